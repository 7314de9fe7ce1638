/* Public C kernels of fastgrad. Every buffer is C-contiguous; sizes are passed explicitly.
 * Callers (fastgrad/_native.py) check shapes, dtypes and index ranges before calling. */
#include <stdint.h>

/* db[j] (+)= sum_i delta[i, j] for an (n x m) delta: the bias gradient of a linear layer. */
void fg_bias_grad_f32(const float *delta, int64_t n, int64_t m, float *db, int accumulate);
void fg_bias_grad_f64(const double *delta, int64_t n, int64_t m, double *db, int accumulate);
