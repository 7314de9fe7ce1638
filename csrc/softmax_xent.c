/* Fused softmax cross-entropy: per row one pass for the max, one for exp (written straight into the
 * gradient buffer) and its sum, one to scale; no separate probability matrix. With m = max_j z_j and
 * s = sum_j exp(z_j - m), loss = log s - (z_t - m) and d loss / d z_j = exp(z_j - m) / s - [j = t]
 * (the softmax-regression gradient), which is exact and overflow-free for any finite logits.
 * dlogits may be logits itself: each row reads its target's logit before the gradient overwrites it,
 * and every other element is read only at the index it is then written to. */
#include <math.h>
#include <string.h>
#include "fastgrad_native.h"
#include "simd_math.h"

#define XENT_ROW(NAME, T, EXP)                                                                  \
    FG_INLINE void NAME##_body(const T *z, int64_t c, int64_t target, T grad_scale,             \
                               double *loss, T *dz) {                                           \
        const T z_target = z[target]; /* read first: dz may overwrite z */                      \
        T m = z[0];                                                                             \
        _Pragma("omp simd reduction(max : m)") for (int64_t j = 0; j < c; j++)                  \
            m = z[j] > m ? z[j] : m;                                                            \
        T s = 0;                                                                                \
        if (dz) {                                                                               \
            _Pragma("omp simd reduction(+ : s)") for (int64_t j = 0; j < c; j++) {              \
                T e = EXP(z[j] - m);                                                            \
                dz[j] = e;                                                                      \
                s += e;                                                                         \
            }                                                                                   \
            T k = grad_scale / s;                                                               \
            _Pragma("omp simd") for (int64_t j = 0; j < c; j++) dz[j] *= k;                     \
            dz[target] -= grad_scale;                                                           \
        } else {                                                                                \
            _Pragma("omp simd reduction(+ : s)") for (int64_t j = 0; j < c; j++)                \
                s += EXP(z[j] - m);                                                             \
        }                                                                                       \
        *loss = log((double)s) - ((double)z_target - (double)m);                                \
    }                                                                                           \
    FG_MULTIVERSION(NAME,                                                                       \
                    (const T *z, int64_t c, int64_t target, T grad_scale, double *loss, T *dz), \
                    (z, c, target, grad_scale, loss, dz))

XENT_ROW(xent_row_f32, float, fg_expf_nonpositive)
XENT_ROW(xent_row_f64, double, fg_exp_nonpositive)

/* Rows are independent, so the parallel split cannot change any result. */
#define XENT(NAME, ROW, T)                                                                          \
    void NAME(const T *logits, const int64_t *targets, int64_t n, int64_t c, int64_t ignore_index, \
              double grad_scale, double *row_loss, T *dlogits, int n_threads) {                     \
        fg_simd_level(); /* detect once, before any thread reads it */                              \
        _Pragma("omp parallel for num_threads(n_threads) schedule(static)")                         \
        for (int64_t i = 0; i < n; i++) {                                                           \
            T *dz = dlogits ? dlogits + i * c : NULL;                                               \
            if (targets[i] == ignore_index) {                                                       \
                row_loss[i] = 0.0;                                                                  \
                if (dz) memset(dz, 0, (size_t)c * sizeof(T));                                       \
            } else {                                                                                \
                ROW(logits + i * c, c, targets[i], (T)grad_scale, row_loss + i, dz);                \
            }                                                                                       \
        }                                                                                           \
    }

XENT(fg_softmax_xent_f32, xent_row_f32, float)
XENT(fg_softmax_xent_f64, xent_row_f64, double)
