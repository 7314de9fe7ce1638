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

/* One Elman RNN step after its recurrent product (csrc/elman_rnn.c): pre (n = batch * hidden) holds
 * x_t W_ih^T + b on entry and h_t = f(pre + recurrent) on return, f = tanh, or max(0, .) if relu. */
void fg_elman_step_f32(float *pre, const float *recurrent, int64_t n, int relu);
void fg_elman_step_f64(double *pre, const double *recurrent, int64_t n, int relu);
/* Its backward pass: delta = (g + carry) f'(.) with f' read off the step's output h. */
void fg_elman_delta_f32(const float *g, const float *carry, const float *h, int64_t n, int relu, float *delta);
void fg_elman_delta_f64(const double *g, const double *carry, const double *h, int64_t n, int relu,
                        double *delta);

/* One LSTM step after its recurrent product (csrc/gated_rnn.c): gates (batch, 4 hidden) = x_t W_ih^T + b
 * on entry, activated i, f, g, o on return; writes h_t and c_t. */
void fg_lstm_step_f32(float *gates, const float *recurrent, const float *c_prev, float *h, float *c,
                      int64_t batch, int64_t hidden);
void fg_lstm_step_f64(double *gates, const double *recurrent, const double *c_prev, double *h, double *c,
                      int64_t batch, int64_t hidden);
/* Its backward: d_gates from the gradients reaching h_t and c_t; carry_c becomes d loss / d c_{t-1}. */
void fg_lstm_step_backward_f32(const float *g_h, const float *g_c, const float *carry_h, float *carry_c,
                               const float *gates, const float *c, const float *c_prev, float *d_gates,
                               int64_t batch, int64_t hidden);
void fg_lstm_step_backward_f64(const double *g_h, const double *g_c, const double *carry_h, double *carry_c,
                               const double *gates, const double *c, const double *c_prev, double *d_gates,
                               int64_t batch, int64_t hidden);
/* One GRU step after its recurrent product: writes h_t and gates (batch, 4 hidden) = r, z, n, W_hn h + b_hn. */
void fg_gru_step_f32(const float *input_part, const float *recurrent, const float *b_hh, const float *h_prev,
                     float *h, float *gates, int64_t batch, int64_t hidden);
void fg_gru_step_f64(const double *input_part, const double *recurrent, const double *b_hh, const double *h_prev,
                     double *h, double *gates, int64_t batch, int64_t hidden);
/* Its backward: d_input, d_hidden (batch, 3 hidden); carry_direct becomes this step's dh z. */
void fg_gru_step_backward_f32(const float *g_h, const float *carry_product, float *carry_direct,
                              const float *gates, const float *h_prev, float *d_input, float *d_hidden,
                              int64_t batch, int64_t hidden);
void fg_gru_step_backward_f64(const double *g_h, const double *carry_product, double *carry_direct,
                              const double *gates, const double *h_prev, double *d_input, double *d_hidden,
                              int64_t batch, int64_t hidden);

/* Elementwise exp, tanh and sigmoid as the kernels compute them (for accuracy tests). */
void fg_exp_f32(const float *x, int64_t n, float *out);
void fg_exp_f64(const double *x, int64_t n, double *out);
void fg_tanh_f32(const float *x, int64_t n, float *out);
void fg_tanh_f64(const double *x, int64_t n, double *out);
void fg_sigmoid_f32(const float *x, int64_t n, float *out);
void fg_sigmoid_f64(const double *x, int64_t n, double *out);

/* Instruction-set level of the multiversioned kernels: 0 baseline, 1 AVX2+FMA, 2 AVX-512.
 * fg_set_simd_level clamps to [0, fg_max_simd_level()] and returns the level now in use. */
int fg_simd_level(void);
int fg_max_simd_level(void);
int fg_set_simd_level(int level);
