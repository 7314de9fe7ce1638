/* Public C kernels of fastgrad. Every buffer is C-contiguous; sizes are passed explicitly.
 * The kernel registry checks shapes, dtypes and index ranges before fastgrad/_native.py calls them
 * (fastgrad/kernels/checks.py). */
#include <stdint.h>

/* Softmax cross-entropy of n rows of c logits against targets in [0, c) or == ignore_index.
 * row_loss[i] = logsumexp(z_i) - z_i[t_i] (0 on ignored rows); if dlogits is not NULL it receives
 * grad_scale * (softmax(z_i) - onehot(t_i)) (zero on ignored rows). Rows run on n_threads threads. */
void fg_softmax_xent_f32(const float *logits, const int64_t *targets, int64_t n, int64_t c,
                         int64_t ignore_index, double grad_scale, double *row_loss, float *dlogits,
                         int n_threads);
void fg_softmax_xent_f64(const double *logits, const int64_t *targets, int64_t n, int64_t c,
                         int64_t ignore_index, double grad_scale, double *row_loss, double *dlogits,
                         int n_threads);

/* Elementwise exp and tanh as the kernels compute them (for accuracy tests). */
void fg_exp_f32(const float *x, int64_t n, float *out);
void fg_exp_f64(const double *x, int64_t n, double *out);
void fg_tanh_f32(const float *x, int64_t n, float *out);
void fg_tanh_f64(const double *x, int64_t n, double *out);

/* Instruction-set level of the multiversioned kernels: 0 baseline, 1 AVX2+FMA, 2 AVX-512.
 * fg_set_simd_level clamps to [0, fg_max_simd_level()] and returns the level now in use. */
int fg_simd_level(void);
int fg_max_simd_level(void);
int fg_set_simd_level(int level);
