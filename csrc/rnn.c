/* Pointwise parts of the Elman RNN (h_t = f(x_t W_ih^T + h_{t-1} W_hh^T + b)). The matrix products
 * stay in BLAS (fastgrad/_native.py); these fuse what lies between them into one pass each. */
#include "fastgrad_native.h"
#include "simd_math.h"

/* pre <- f(pre + hw): pre holds x_t W_ih^T + b on entry and h_t on return. */
#define STEP(NAME, T, TANH)                                                                  \
    FG_INLINE void NAME##_body(T *pre, const T *hw, int64_t n, int relu) {                   \
        if (relu) {                                                                          \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) {                            \
                T a = pre[i] + hw[i];                                                        \
                pre[i] = a > 0 ? a : 0;                                                      \
            }                                                                                \
        } else {                                                                             \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) pre[i] = TANH(pre[i] + hw[i]); \
        }                                                                                    \
    }                                                                                        \
    FG_MULTIVERSION(NAME, (T * pre, const T *hw, int64_t n, int relu), (pre, hw, n, relu))

STEP(rnn_step_f32, float, fg_tanhf)
STEP(rnn_step_f64, double, fg_tanh)

void fg_rnn_step_f32(float *pre, const float *hw, int64_t n, int relu) { rnn_step_f32(pre, hw, n, relu); }
void fg_rnn_step_f64(double *pre, const double *hw, int64_t n, int relu) { rnn_step_f64(pre, hw, n, relu); }

/* delta = (g + carry) * f'(pre-activation), with f' read off the output h: 1 - h^2 for tanh,
 * [h > 0] for relu. carry (d loss / d h_t from step t+1) is NULL at the last step. */
#define DELTA(NAME, T)                                                                        \
    void NAME(const T *g, const T *carry, const T *h, int64_t n, int relu, T *delta) {        \
        if (relu) {                                                                           \
            for (int64_t i = 0; i < n; i++) {                                                 \
                T upstream = carry ? g[i] + carry[i] : g[i];                                  \
                delta[i] = h[i] > 0 ? upstream : 0;                                           \
            }                                                                                 \
        } else {                                                                              \
            for (int64_t i = 0; i < n; i++) {                                                 \
                T upstream = carry ? g[i] + carry[i] : g[i];                                  \
                delta[i] = upstream * (1 - h[i] * h[i]);                                      \
            }                                                                                 \
        }                                                                                     \
    }

DELTA(fg_rnn_delta_f32, float)
DELTA(fg_rnn_delta_f64, double)
