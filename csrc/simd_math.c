/* The ISA level the multiversioned kernels run with, and elementwise exp/tanh/sigmoid for measuring the
 * accuracy of simd_math.h's functions. */
#include "fastgrad_native.h"
#include "simd_math.h"

/* The best level the CPU (and OS) supports; fg_set_simd_level can lower it (tests run every one). */
static int fg_detected_simd_level(void) {
#if defined(__GNUC__) && defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl"))
        return FG_SIMD_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return FG_SIMD_AVX2;
#endif
    return FG_SIMD_BASELINE;
}

static int fg_current_level = -1; /* -1: not detected yet */

int fg_simd_level(void) {
    if (fg_current_level < 0) fg_current_level = fg_detected_simd_level();
    return fg_current_level;
}

int fg_max_simd_level(void) { return fg_detected_simd_level(); }

int fg_set_simd_level(int level) {
    int best = fg_detected_simd_level();
    fg_current_level = level < FG_SIMD_BASELINE ? FG_SIMD_BASELINE : (level > best ? best : level);
    return fg_current_level;
}

/* Elementwise exp, tanh and sigmoid with the same code the kernels use, so tests can measure their error. */
#define MAP(NAME, FN, T)                                                               \
    FG_INLINE void NAME##_body(const T *x, int64_t n, T *out) {                        \
        _Pragma("omp simd") for (int64_t i = 0; i < n; i++) out[i] = FN(x[i]);         \
    }                                                                                  \
    FG_MULTIVERSION(NAME, (const T *x, int64_t n, T *out), (x, n, out))

MAP(map_exp_f32, fg_expf, float)
MAP(map_exp_f64, fg_exp, double)
MAP(map_tanh_f32, fg_tanhf, float)
MAP(map_tanh_f64, fg_tanh, double)
MAP(map_sigmoid_f32, fg_sigmoidf, float)
MAP(map_sigmoid_f64, fg_sigmoid, double)

void fg_exp_f32(const float *x, int64_t n, float *out) { map_exp_f32(x, n, out); }
void fg_exp_f64(const double *x, int64_t n, double *out) { map_exp_f64(x, n, out); }
void fg_tanh_f32(const float *x, int64_t n, float *out) { map_tanh_f32(x, n, out); }
void fg_tanh_f64(const double *x, int64_t n, double *out) { map_tanh_f64(x, n, out); }
void fg_sigmoid_f32(const float *x, int64_t n, float *out) { map_sigmoid_f32(x, n, out); }
void fg_sigmoid_f64(const double *x, int64_t n, double *out) { map_sigmoid_f64(x, n, out); }
