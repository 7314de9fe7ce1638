/* Public C kernels of fastgrad. Every buffer is C-contiguous; sizes are passed explicitly.
 * Callers (fastgrad/_native.py) check shapes, dtypes and index ranges before calling. */
#include <stdint.h>

/* db[j] (+)= sum_i delta[i, j] for an (n x m) delta: the bias gradient of a linear layer. */
void fg_bias_grad_f32(const float *delta, int64_t n, int64_t m, float *db, int accumulate);
void fg_bias_grad_f64(const double *delta, int64_t n, int64_t m, double *db, int accumulate);

/* Softmax cross-entropy of n rows of c logits against targets in [0, c) or == ignore_index.
 * row_loss[i] = logsumexp(z_i) - z_i[t_i] (0 on ignored rows); if dlogits is not NULL it receives
 * grad_scale * (softmax(z_i) - onehot(t_i)) (zero on ignored rows). Rows run on n_threads threads. */
void fg_softmax_xent_f32(const float *logits, const int64_t *targets, int64_t n, int64_t c,
                         int64_t ignore_index, double grad_scale, double *row_loss, float *dlogits,
                         int n_threads);
void fg_softmax_xent_f64(const double *logits, const int64_t *targets, int64_t n, int64_t c,
                         int64_t ignore_index, double grad_scale, double *row_loss, double *dlogits,
                         int n_threads);

/* One Elman step after the recurrent product: pre <- f(pre + hw), f = relu if relu else tanh. */
void fg_rnn_step_f32(float *pre, const float *hw, int64_t n, int relu);
void fg_rnn_step_f64(double *pre, const double *hw, int64_t n, int relu);
/* delta = (g + carry) * f'(.) with f' from the step's output h; carry may be NULL (last step). */
void fg_rnn_delta_f32(const float *g, const float *carry, const float *h, int64_t n, int relu,
                      float *delta);
void fg_rnn_delta_f64(const double *g, const double *carry, const double *h, int64_t n, int relu,
                      double *delta);

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
