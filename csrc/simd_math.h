/* Internal to the C kernels: exp and tanh written so that gcc vectorises loops calling them, and
 * the ISA dispatch that compiles such loops once per instruction set.
 *
 * exp(x) = 2^n * e^r with n = round(x / ln2) and r = x - n ln2 in [-ln2/2, ln2/2] (Cody & Waite,
 * "Software Manual for the Elementary Functions", 1980): ln2 is split in a high part with trailing
 * zero bits, so n * LN2_HI is exact, and a low correction. e^r is a polynomial in Horner form whose
 * error stays far below the format's rounding (float: a fitted degree 6, 2e-9; double: the degree-13
 * Taylor polynomial, |r|^14/14! < 5e-18). n is read from the low mantissa bits of
 * x/ln2 + 1.5*2^(mantissa bits) (round to nearest without a rint call) and 2^n is built from exponent
 * bits. No branches, no libm: every step is a vector instruction on SSE2, AVX2 and AVX-512. Measured
 * error (tests/test_native.py): about 1 ulp for exp; tanh 2.5 ulp (float) and 3 ulp
 * (double) just above the switch to the series, from e's error amplified by e / (1 - e). */
#ifndef FASTGRAD_SIMD_MATH_H
#define FASTGRAD_SIMD_MATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define FG_INLINE static inline __attribute__((always_inline))

FG_INLINE float fg_bits_to_f32(uint32_t bits) {
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

FG_INLINE uint32_t fg_f32_to_bits(float f) {
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return bits;
}

FG_INLINE double fg_bits_to_f64(uint64_t bits) {
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

FG_INLINE uint64_t fg_f64_to_bits(double d) {
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return bits;
}

/* e^r, r = x - n ln2, for x already clamped to the finite range; sets *n. */
FG_INLINE float fg_expf_reduced(float x, int32_t *n) {
    const float round_magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    const float log2e = 1.44269504088896341f;
    const float ln2_hi = 0.693359375f;     /* 9 significant bits: n * ln2_hi is exact for |n| < 2^15 */
    const float ln2_lo = -2.12194440e-4f;  /* ln2 - ln2_hi */
    float shifted = x * log2e + round_magic;
    float n_float = shifted - round_magic;
    float r = x - n_float * ln2_hi;
    r = r - n_float * ln2_lo;
    /* Degree-6 fit of e^r with the constant fixed at 1: weighted least squares iterated toward the
     * minimax relative error on [-ln2/2, ln2/2] (Lawson's algorithm); max error 2.0e-9, under the
     * 6e-8 of float rounding (the degree-7 Taylor polynomial would need one more FMA). */
    float p = 8.37415549e-3f + r * 1.38436537e-3f;
    p = 4.16680016e-2f + r * p;
    p = 1.66664317e-1f + r * p;
    p = 4.99999940e-1f + r * p;
    p = 1.0f + r * p;
    p = 1.0f + r * p;
    *n = (int32_t)(fg_f32_to_bits(shifted) - fg_f32_to_bits(round_magic));
    return p;
}

FG_INLINE float fg_pow2f(int32_t n) { return fg_bits_to_f32((uint32_t)(n + 127) << 23); } /* normal n */

#define FG_EXPF_OVERFLOW 88.7228394f    /* ln(FLT_MAX) */
#define FG_EXPF_UNDERFLOW -103.972084f  /* ln of half the smallest subnormal */
#define FG_EXPF_MIN_NORMAL -87.3365448f /* ln(FLT_MIN) */

/* e^x on the whole float range, subnormal results included: 2^n (n in [-150, 128]) is applied in
 * two normal halves. */
FG_INLINE float fg_expf(float x) {
    float xc = x > FG_EXPF_OVERFLOW ? FG_EXPF_OVERFLOW : x;
    xc = xc < FG_EXPF_UNDERFLOW ? FG_EXPF_UNDERFLOW : xc;
    int32_t n;
    float p = fg_expf_reduced(xc, &n);
    int32_t n_half = n >> 1;
    float y = (p * fg_pow2f(n_half)) * fg_pow2f(n - n_half);
    y = x > FG_EXPF_OVERFLOW ? (float)INFINITY : y;
    return x < FG_EXPF_UNDERFLOW ? 0.0f : y;
}

/* e^x for x <= 0 (softmax's shifted logits): results below FLT_MIN flush to 0, so one scale does;
 * lanes below that range compute garbage that the final select discards. */
FG_INLINE float fg_expf_nonpositive(float x) {
    int32_t n;
    float p = fg_expf_reduced(x, &n);
    return x < FG_EXPF_MIN_NORMAL ? 0.0f : p * fg_pow2f(n);
}

/* Same scheme in double. */
FG_INLINE double fg_exp_reduced(double x, int64_t *n) {
    const double round_magic = 6755399441055744.0; /* 1.5 * 2^52 */
    const double log2e = 1.4426950408889634074;
    const double ln2_hi = 6.93147180369123816490e-01; /* 32 significant bits */
    const double ln2_lo = 1.90821492927058770002e-10;
    double shifted = x * log2e + round_magic;
    double n_float = shifted - round_magic;
    double r = x - n_float * ln2_hi;
    r = r - n_float * ln2_lo;
    /* Taylor coefficients 1/k!, k = 13 down to 2 */
    double p = 1.6059043836821613e-10 + r * 1.1470745597729725e-11;
    p = 2.0876756987868099e-09 + r * p;
    p = 2.5052108385441720e-08 + r * p;
    p = 2.7557319223985893e-07 + r * p;
    p = 2.7557319223985888e-06 + r * p;
    p = 2.4801587301587302e-05 + r * p;
    p = 1.9841269841269841e-04 + r * p;
    p = 1.3888888888888889e-03 + r * p;
    p = 8.3333333333333332e-03 + r * p;
    p = 4.1666666666666664e-02 + r * p;
    p = 1.6666666666666666e-01 + r * p;
    p = 0.5 + r * p;
    p = 1.0 + r * p;
    p = 1.0 + r * p;
    *n = (int64_t)(fg_f64_to_bits(shifted) - fg_f64_to_bits(round_magic));
    return p;
}

FG_INLINE double fg_pow2(int64_t n) { return fg_bits_to_f64((uint64_t)(n + 1023) << 52); } /* normal n */

#define FG_EXP_OVERFLOW 709.782712893383973   /* ln(DBL_MAX) */
#define FG_EXP_UNDERFLOW -745.1332191019412   /* ln of half the smallest subnormal */
#define FG_EXP_MIN_NORMAL -708.3964185322641  /* ln(DBL_MIN) */

FG_INLINE double fg_exp(double x) {
    double xc = x > FG_EXP_OVERFLOW ? FG_EXP_OVERFLOW : x;
    xc = xc < FG_EXP_UNDERFLOW ? FG_EXP_UNDERFLOW : xc;
    int64_t n;
    double p = fg_exp_reduced(xc, &n);
    /* n in [-1075, 1024]; halved through a non-negative offset so only logical 64-bit shifts are
     * needed (AVX2 has no arithmetic one) */
    int64_t n_half = (int64_t)((uint64_t)(n + 2048) >> 1) - 1024;
    double y = (p * fg_pow2(n_half)) * fg_pow2(n - n_half);
    y = x > FG_EXP_OVERFLOW ? (double)INFINITY : y;
    return x < FG_EXP_UNDERFLOW ? 0.0 : y;
}

FG_INLINE double fg_exp_nonpositive(double x) {
    int64_t n;
    double p = fg_exp_reduced(x, &n);
    return x < FG_EXP_MIN_NORMAL ? 0.0 : p * fg_pow2(n);
}

/* tanh(x) = sign(x) (1 - e) / (1 + e), e = exp(-2|x|), which cannot overflow. Near 0, 1 - e loses
 * the relative accuracy of small results, so |x| below a threshold uses the odd Taylor series
 * x - x^3/3 + 2x^5/15 - ... (terms shrink by about (2x/pi)^2 each); both branches are computed and
 * one is selected, which keeps the loop branch-free. */
FG_INLINE float fg_tanhf(float x) {
    float ax = x < 0.0f ? -x : x;
    float e = fg_expf_nonpositive(-2.0f * ax);
    float large = (1.0f - e) / (1.0f + e);
    float x2 = ax * ax; /* |x| < 0.3: the x^13 term is below float rounding */
    float s = -1382.0f / 155925.0f;
    s = 62.0f / 2835.0f + x2 * s;
    s = -17.0f / 315.0f + x2 * s;
    s = 2.0f / 15.0f + x2 * s;
    s = -1.0f / 3.0f + x2 * s;
    float small = ax + ax * (x2 * s);
    float t = ax < 0.3f ? small : large;
    return x < 0.0f ? -t : t;
}

FG_INLINE double fg_tanh(double x) {
    double ax = x < 0.0 ? -x : x;
    double e = fg_exp_nonpositive(-2.0 * ax);
    double large = (1.0 - e) / (1.0 + e);
    double x2 = ax * ax; /* |x| < 0.2: the x^21 term is below double rounding */
    double s = -443861162.0 / 1856156927625.0;
    s = 6404582.0 / 10854718875.0 + x2 * s;
    s = -929569.0 / 638512875.0 + x2 * s;
    s = 21844.0 / 6081075.0 + x2 * s;
    s = -1382.0 / 155925.0 + x2 * s;
    s = 62.0 / 2835.0 + x2 * s;
    s = -17.0 / 315.0 + x2 * s;
    s = 2.0 / 15.0 + x2 * s;
    s = -1.0 / 3.0 + x2 * s;
    double small = ax + ax * (x2 * s);
    double t = ax < 0.2 ? small : large;
    return x < 0.0 ? -t : t;
}

/* sigmoid(x) = 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) below, both from e = exp(-|x|) <= 1, so
 * nothing overflows; branch-free like the functions above. */
FG_INLINE float fg_sigmoidf(float x) {
    float e = fg_expf_nonpositive(x < 0.0f ? x : -x);
    return (x >= 0.0f ? 1.0f : e) / (1.0f + e);
}

FG_INLINE double fg_sigmoid(double x) {
    double e = fg_exp_nonpositive(x < 0.0 ? x : -x);
    return (x >= 0.0 ? 1.0 : e) / (1.0 + e);
}

/* -- ISA dispatch ------------------------------------------------------------------------------
 * FG_MULTIVERSION(NAME, PARAMS, ARGS) defines static NAME(PARAMS) which calls the always-inline
 * NAME##_body compiled for AVX-512, AVX2+FMA or the baseline ISA, whichever the CPU supports (see
 * fg_simd_level). Parallel loops stay outside these functions: gcc outlines OpenMP regions before it
 * inlines, so a region inside the body would lose the ISA. */
enum { FG_SIMD_BASELINE = 0, FG_SIMD_AVX2 = 1, FG_SIMD_AVX512 = 2 };
int fg_simd_level(void);

#if defined(__GNUC__) && defined(__x86_64__)
#define FG_MULTIVERSION(NAME, PARAMS, ARGS)                                                    \
    __attribute__((target("avx512f,avx512dq,avx512vl,avx2,fma,prefer-vector-width=512")))    \
    static void NAME##_avx512 PARAMS { NAME##_body ARGS; }                                   \
    __attribute__((target("avx2,fma"))) static void NAME##_avx2 PARAMS { NAME##_body ARGS; } \
    static void NAME##_baseline PARAMS { NAME##_body ARGS; }                                 \
    static void NAME PARAMS {                                                                \
        switch (fg_simd_level()) {                                                           \
        case FG_SIMD_AVX512: NAME##_avx512 ARGS; break;                                      \
        case FG_SIMD_AVX2: NAME##_avx2 ARGS; break;                                          \
        default: NAME##_baseline ARGS;                                                       \
        }                                                                                    \
    }
#else
#define FG_MULTIVERSION(NAME, PARAMS, ARGS) \
    static void NAME PARAMS { NAME##_body ARGS; }
#endif

#endif
