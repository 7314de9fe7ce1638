#include <string.h>
#include "fastgrad_native.h"

/* Row-major sweep over delta so the inner loop is contiguous and vectorises. */
#define BIAS_GRAD(NAME, T)                                                    \
    void NAME(const T *delta, int64_t n, int64_t m, T *db, int accumulate) {  \
        if (!accumulate) memset(db, 0, (size_t)m * sizeof(T));                \
        for (int64_t i = 0; i < n; i++) {                                     \
            const T *row = delta + i * m;                                     \
            for (int64_t j = 0; j < m; j++) db[j] += row[j];                  \
        }                                                                     \
    }

BIAS_GRAD(fg_bias_grad_f32, float)
BIAS_GRAD(fg_bias_grad_f64, double)
