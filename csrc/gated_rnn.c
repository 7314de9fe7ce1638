/* The pointwise part of one LSTM or GRU step, forward and backward, between the step's matrix products
 * (fastgrad/_native.py runs those with BLAS). One pass per step over the batch's gates, with the
 * vectorised sigmoid and tanh of simd_math.h; gate order and formulas as PyTorch's (the NumPy reference,
 * fastgrad/backends/numpy.py, spells them out). Arrays are C-contiguous: gates (B, 4H) or (B, 3H), states
 * (B, H). */
#include "fastgrad_native.h"
#include "simd_math.h"

/* gates holds x_t W_ih^T + b on entry and the activated i, f, g, o on return; recurrent is
 * h_{t-1} W_hh^T. c = f c_prev + i g, h = o tanh(c). */
#define LSTM_STEP(NAME, T, SIGMOID, TANH)                                                            \
    FG_INLINE void NAME##_body(T *gates, const T *recurrent, const T *c_prev, T *h, T *c,            \
                               int64_t batch, int64_t hidden) {                                      \
        for (int64_t b = 0; b < batch; b++) {                                                        \
            T *z = gates + b * 4 * hidden;                                                           \
            const T *r = recurrent + b * 4 * hidden;                                                 \
            const T *cp = c_prev + b * hidden;                                                       \
            T *hb = h + b * hidden, *cb = c + b * hidden;                                            \
            _Pragma("omp simd") for (int64_t j = 0; j < hidden; j++) {                               \
                T i = SIGMOID(z[j] + r[j]);                                                          \
                T f = SIGMOID(z[hidden + j] + r[hidden + j]);                                        \
                T g = TANH(z[2 * hidden + j] + r[2 * hidden + j]);                                   \
                T o = SIGMOID(z[3 * hidden + j] + r[3 * hidden + j]);                                \
                z[j] = i;                                                                            \
                z[hidden + j] = f;                                                                   \
                z[2 * hidden + j] = g;                                                               \
                z[3 * hidden + j] = o;                                                               \
                T cell = f * cp[j] + i * g;                                                          \
                cb[j] = cell;                                                                        \
                hb[j] = o * TANH(cell);                                                              \
            }                                                                                        \
        }                                                                                            \
    }                                                                                                \
    FG_MULTIVERSION(NAME, (T * gates, const T *recurrent, const T *c_prev, T *h, T *c, int64_t batch, \
                           int64_t hidden), (gates, recurrent, c_prev, h, c, batch, hidden))

LSTM_STEP(lstm_step_f32, float, fg_sigmoidf, fg_tanhf)
LSTM_STEP(lstm_step_f64, double, fg_sigmoid, fg_tanh)

void fg_lstm_step_f32(float *gates, const float *recurrent, const float *c_prev, float *h, float *c,
                      int64_t batch, int64_t hidden) {
    lstm_step_f32(gates, recurrent, c_prev, h, c, batch, hidden);
}
void fg_lstm_step_f64(double *gates, const double *recurrent, const double *c_prev, double *h, double *c,
                      int64_t batch, int64_t hidden) {
    lstm_step_f64(gates, recurrent, c_prev, h, c, batch, hidden);
}

/* Gradients reaching h_t: g_h + carry_h (carry_h = the later step's d_gates W_hh); reaching c_t: g_c +
 * carry_c + the path through h_t. Writes the pre-activation gradients d_gates and overwrites carry_c
 * with the gradient for c_{t-1}. tanh(c_t) is recomputed rather than stored. */
#define LSTM_STEP_BACKWARD(NAME, T, TANH)                                                            \
    FG_INLINE void NAME##_body(const T *g_h, const T *g_c, const T *carry_h, T *carry_c,             \
                               const T *gates, const T *c, const T *c_prev, T *d_gates,              \
                               int64_t batch, int64_t hidden) {                                      \
        for (int64_t b = 0; b < batch; b++) {                                                        \
            const T *z = gates + b * 4 * hidden;                                                     \
            T *d = d_gates + b * 4 * hidden;                                                         \
            int64_t row = b * hidden;                                                                \
            _Pragma("omp simd") for (int64_t j = 0; j < hidden; j++) {                               \
                T i = z[j], f = z[hidden + j], g = z[2 * hidden + j], o = z[3 * hidden + j];          \
                T tanh_c = TANH(c[row + j]);                                                         \
                T dh = g_h[row + j] + carry_h[row + j];                                              \
                T dc = g_c[row + j] + carry_c[row + j] + dh * o * ((T)1 - tanh_c * tanh_c);          \
                d[j] = dc * g * i * ((T)1 - i);                                                      \
                d[hidden + j] = dc * c_prev[row + j] * f * ((T)1 - f);                               \
                d[2 * hidden + j] = dc * i * ((T)1 - g * g);                                         \
                d[3 * hidden + j] = dh * tanh_c * o * ((T)1 - o);                                    \
                carry_c[row + j] = dc * f;                                                           \
            }                                                                                        \
        }                                                                                            \
    }                                                                                                \
    FG_MULTIVERSION(NAME, (const T *g_h, const T *g_c, const T *carry_h, T *carry_c, const T *gates,  \
                           const T *c, const T *c_prev, T *d_gates, int64_t batch, int64_t hidden),  \
                    (g_h, g_c, carry_h, carry_c, gates, c, c_prev, d_gates, batch, hidden))

LSTM_STEP_BACKWARD(lstm_step_backward_f32, float, fg_tanhf)
LSTM_STEP_BACKWARD(lstm_step_backward_f64, double, fg_tanh)

void fg_lstm_step_backward_f32(const float *g_h, const float *g_c, const float *carry_h, float *carry_c,
                               const float *gates, const float *c, const float *c_prev, float *d_gates,
                               int64_t batch, int64_t hidden) {
    lstm_step_backward_f32(g_h, g_c, carry_h, carry_c, gates, c, c_prev, d_gates, batch, hidden);
}
void fg_lstm_step_backward_f64(const double *g_h, const double *g_c, const double *carry_h, double *carry_c,
                               const double *gates, const double *c, const double *c_prev, double *d_gates,
                               int64_t batch, int64_t hidden) {
    lstm_step_backward_f64(g_h, g_c, carry_h, carry_c, gates, c, c_prev, d_gates, batch, hidden);
}

/* input_part is x_t W_ih^T + b_ih (B, 3H), recurrent h_{t-1} W_hh^T (B, 3H), b_hh (3H,). Writes h_t and
 * the gates r, z, n and W_hn h_{t-1} + b_hn (B, 4H) that the backward reads. */
#define GRU_STEP(NAME, T, SIGMOID, TANH)                                                             \
    FG_INLINE void NAME##_body(const T *input_part, const T *recurrent, const T *b_hh,               \
                               const T *h_prev, T *h, T *gates, int64_t batch, int64_t hidden) {     \
        for (int64_t b = 0; b < batch; b++) {                                                        \
            const T *x = input_part + b * 3 * hidden, *r = recurrent + b * 3 * hidden;               \
            T *out = gates + b * 4 * hidden;                                                         \
            int64_t row = b * hidden;                                                                \
            _Pragma("omp simd") for (int64_t j = 0; j < hidden; j++) {                               \
                T reset = SIGMOID(x[j] + (r[j] + b_hh[j]));                                          \
                T update = SIGMOID(x[hidden + j] + (r[hidden + j] + b_hh[hidden + j]));              \
                T hidden_n = r[2 * hidden + j] + b_hh[2 * hidden + j];                               \
                T n = TANH(x[2 * hidden + j] + reset * hidden_n);                                    \
                h[row + j] = ((T)1 - update) * n + update * h_prev[row + j];                         \
                out[j] = reset;                                                                      \
                out[hidden + j] = update;                                                            \
                out[2 * hidden + j] = n;                                                             \
                out[3 * hidden + j] = hidden_n;                                                      \
            }                                                                                        \
        }                                                                                            \
    }                                                                                                \
    FG_MULTIVERSION(NAME, (const T *input_part, const T *recurrent, const T *b_hh, const T *h_prev,  \
                           T *h, T *gates, int64_t batch, int64_t hidden),                           \
                    (input_part, recurrent, b_hh, h_prev, h, gates, batch, hidden))

GRU_STEP(gru_step_f32, float, fg_sigmoidf, fg_tanhf)
GRU_STEP(gru_step_f64, double, fg_sigmoid, fg_tanh)

void fg_gru_step_f32(const float *input_part, const float *recurrent, const float *b_hh, const float *h_prev,
                     float *h, float *gates, int64_t batch, int64_t hidden) {
    gru_step_f32(input_part, recurrent, b_hh, h_prev, h, gates, batch, hidden);
}
void fg_gru_step_f64(const double *input_part, const double *recurrent, const double *b_hh, const double *h_prev,
                     double *h, double *gates, int64_t batch, int64_t hidden) {
    gru_step_f64(input_part, recurrent, b_hh, h_prev, h, gates, batch, hidden);
}

/* The gradient reaching h_t is g_h + carry_product (the later step's d_hidden W_hh) + carry_direct (its
 * dh z); carry_direct is overwritten with this step's. d_input and d_hidden (B, 3H) differ only in the n
 * block: the hidden side's n pre-activation is r times the input side's. */
#define GRU_STEP_BACKWARD(NAME, T)                                                                   \
    FG_INLINE void NAME##_body(const T *g_h, const T *carry_product, T *carry_direct, const T *gates, \
                               const T *h_prev, T *d_input, T *d_hidden, int64_t batch,               \
                               int64_t hidden) {                                                     \
        for (int64_t b = 0; b < batch; b++) {                                                        \
            const T *z = gates + b * 4 * hidden;                                                     \
            T *di = d_input + b * 3 * hidden, *dr = d_hidden + b * 3 * hidden;                       \
            int64_t row = b * hidden;                                                                \
            _Pragma("omp simd") for (int64_t j = 0; j < hidden; j++) {                               \
                T reset = z[j], update = z[hidden + j], n = z[2 * hidden + j];                       \
                T hidden_n = z[3 * hidden + j];                                                      \
                T dh = g_h[row + j] + carry_product[row + j] + carry_direct[row + j];                \
                T d_n = dh * ((T)1 - update) * ((T)1 - n * n);                                       \
                T d_z = dh * (h_prev[row + j] - n) * update * ((T)1 - update);                       \
                T d_r = d_n * hidden_n * reset * ((T)1 - reset);                                     \
                di[j] = d_r;                                                                         \
                di[hidden + j] = d_z;                                                                \
                di[2 * hidden + j] = d_n;                                                            \
                dr[j] = d_r;                                                                         \
                dr[hidden + j] = d_z;                                                                \
                dr[2 * hidden + j] = d_n * reset;                                                    \
                carry_direct[row + j] = dh * update;                                                 \
            }                                                                                        \
        }                                                                                            \
    }                                                                                                \
    FG_MULTIVERSION(NAME, (const T *g_h, const T *carry_product, T *carry_direct, const T *gates,    \
                           const T *h_prev, T *d_input, T *d_hidden, int64_t batch, int64_t hidden), \
                    (g_h, carry_product, carry_direct, gates, h_prev, d_input, d_hidden, batch, hidden))

GRU_STEP_BACKWARD(gru_step_backward_f32, float)
GRU_STEP_BACKWARD(gru_step_backward_f64, double)

void fg_gru_step_backward_f32(const float *g_h, const float *carry_product, float *carry_direct,
                              const float *gates, const float *h_prev, float *d_input, float *d_hidden,
                              int64_t batch, int64_t hidden) {
    gru_step_backward_f32(g_h, carry_product, carry_direct, gates, h_prev, d_input, d_hidden, batch, hidden);
}
void fg_gru_step_backward_f64(const double *g_h, const double *carry_product, double *carry_direct,
                              const double *gates, const double *h_prev, double *d_input, double *d_hidden,
                              int64_t batch, int64_t hidden) {
    gru_step_backward_f64(g_h, carry_product, carry_direct, gates, h_prev, d_input, d_hidden, batch, hidden);
}
