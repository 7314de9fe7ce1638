/* The pointwise part of one Elman RNN step, forward and backward, between the step's matrix products
 * (fastgrad/_native.py runs those with BLAS): one pass per step instead of NumPy's two forward (add,
 * then tanh) and four backward, with the vectorised tanh of simd_math.h. Arrays are C-contiguous
 * (batch * hidden values); relu != 0 selects max(0, .) instead of tanh. */
#include "fastgrad_native.h"
#include "simd_math.h"

/* h = f(pre + recurrent), written over pre (which holds x_t W_ih^T + b on entry). */
#define ELMAN_STEP(NAME, T, TANH)                                                                    \
    FG_INLINE void NAME##_body(T *pre, const T *recurrent, int64_t n, int relu) {                    \
        if (relu) {                                                                                  \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) {                                    \
                T z = pre[i] + recurrent[i];                                                         \
                pre[i] = z < 0 ? 0 : z; /* relu as PyTorch's: NaN and -0.0 pass through */            \
            }                                                                                        \
        } else {                                                                                     \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) pre[i] = TANH(pre[i] + recurrent[i]); \
        }                                                                                            \
    }                                                                                                \
    FG_MULTIVERSION(NAME, (T * pre, const T *recurrent, int64_t n, int relu), (pre, recurrent, n, relu))

ELMAN_STEP(elman_step_f32, float, fg_tanhf)
ELMAN_STEP(elman_step_f64, double, fg_tanh)

void fg_elman_step_f32(float *pre, const float *recurrent, int64_t n, int relu) {
    elman_step_f32(pre, recurrent, n, relu);
}
void fg_elman_step_f64(double *pre, const double *recurrent, int64_t n, int relu) {
    elman_step_f64(pre, recurrent, n, relu);
}

/* delta = (g + carry) f'(pre-activation), with f' read off the output h: 1 - h^2 for tanh, [not h <= 0] for
 * relu (1 at NaN, as PyTorch's). carry is the gradient reaching h_t from step t + 1 (zeros at the last step). */
#define ELMAN_DELTA(NAME, T)                                                                         \
    FG_INLINE void NAME##_body(const T *g, const T *carry, const T *h, int64_t n, int relu, T *delta) { \
        if (relu) {                                                                                  \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++) delta[i] = h[i] <= 0 ? 0 : g[i] + carry[i]; \
        } else {                                                                                     \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++)                                      \
                delta[i] = (g[i] + carry[i]) * ((T)1 - h[i] * h[i]);                                 \
        }                                                                                            \
    }                                                                                                \
    FG_MULTIVERSION(NAME, (const T *g, const T *carry, const T *h, int64_t n, int relu, T *delta),  \
                    (g, carry, h, n, relu, delta))

ELMAN_DELTA(elman_delta_f32, float)
ELMAN_DELTA(elman_delta_f64, double)

void fg_elman_delta_f32(const float *g, const float *carry, const float *h, int64_t n, int relu, float *delta) {
    elman_delta_f32(g, carry, h, n, relu, delta);
}
void fg_elman_delta_f64(const double *g, const double *carry, const double *h, int64_t n, int relu,
                        double *delta) {
    elman_delta_f64(g, carry, h, n, relu, delta);
}
