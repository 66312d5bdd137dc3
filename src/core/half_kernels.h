/*
 * half_kernels.h: half-precision (binary16) kernels with run-time SIMD
 * dispatch, one table per level: half_kernels_scalar.cpp (portable bit
 * arithmetic), half_kernels_avx2.cpp (F16C conversions, 4 x 8 AVX lanes),
 * half_kernels_avx512.cpp (AVX-512F conversions, 2 x 16 lanes, masked tails).
 * The table follows the level of the float kernels (distances.h), so
 * pgvq_set_simd_level switches both.
 *
 * Every level computes the same bits (see pgvq_core_half.h for the summation
 * order: 32 lanes, no FMA, lanes folded 16 then 8 then summed 0..7).  The
 * same rule as distances.h applies to the ISA files: no shared inline code,
 * only the `static` helpers below.
 */
#ifndef PGVQ_HALF_KERNELS_H
#define PGVQ_HALF_KERNELS_H

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "cpp_only.h"

namespace pgvq {

/* Lanes of the canonical sum, and the block every level steps by. */
constexpr size_t HALF_LANES = 32;

struct HalfKernels {
    const char *name;
    /* out[i] = float value of in[i] (exact) */
    void (*half_to_float)(const uint16_t *in, size_t n, float *out);
    /* out[i] = in[i] rounded to nearest even half */
    void (*float_to_half)(const float *in, size_t n, uint16_t *out);
    float (*l2sqr)(const uint16_t *a, const uint16_t *b, size_t d);
    float (*inner_product)(const uint16_t *a, const uint16_t *b, size_t d);
    float (*l1)(const uint16_t *a, const uint16_t *b, size_t d);
    void (*cosine_parts)(const uint16_t *a, const uint16_t *b, size_t d, float *dot,
                         float *norma, float *normb);
};

extern const HalfKernels half_kernels_scalar;
extern const HalfKernels half_kernels_avx2;   /* valid only with AVX2, FMA and F16C */
extern const HalfKernels half_kernels_avx512; /* valid only with AVX-512F/BW/DQ/VL */

/* The table of the current SIMD level. */
const HalfKernels &half_kernels() noexcept;

static inline uint32_t half_float_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof(u));
    return u;
}

static inline float half_bits_float(uint32_t u) {
    float f;
    std::memcpy(&f, &u, sizeof(f));
    return f;
}

/* binary16 -> binary32, exact.  NaNs come out quiet with the payload shifted
 * up, as vcvtph2ps gives them. */
static inline float half_to_float_scalar(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1Fu;
    const uint32_t mant = h & 0x3FFu;
    if (exp == 0) {
        /* zero or subnormal: mant * 2^-24, exact in float */
        float v = static_cast<float>(mant) * 0x1p-24f;
        return sign ? -v : v;
    }
    if (exp == 31)
        return half_bits_float(sign | 0x7F800000u | (mant << 13) | (mant ? 0x400000u : 0u));
    return half_bits_float(sign | ((exp + 112u) << 23) | (mant << 13));
}

/* binary32 -> binary16, round to nearest, ties to even; overflow gives
 * infinity; NaN stays a quiet NaN with the top payload bits (vcvtps2ph). */
static inline uint16_t float_to_half_scalar(float f) {
    const uint32_t x = half_float_bits(f);
    const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
    const uint32_t ax = x & 0x7FFFFFFFu;
    if (ax >= 0x7F800000u) {
        if (ax > 0x7F800000u)
            return static_cast<uint16_t>(sign | 0x7E00u | ((ax >> 13) & 0x3FFu));
        return static_cast<uint16_t>(sign | 0x7C00u);
    }
    /* 65520 = 65504 + half an ulp: the tie goes to the even neighbour, +inf */
    if (ax >= 0x477FF000u)
        return static_cast<uint16_t>(sign | 0x7C00u);
    if (ax < 0x38800000u) {
        /* below 2^-14: a subnormal half (or zero); 2^-25 itself ties to 0 */
        if (ax <= 0x33000000u)
            return sign;
        const uint32_t e = ax >> 23;                  /* 102 .. 112 */
        const uint32_t m = (ax & 0x7FFFFFu) | 0x800000u;
        const uint32_t shift = 126u - e;              /* 14 .. 24 */
        uint32_t r = m >> shift;
        const uint32_t rem = m & ((1u << shift) - 1u);
        const uint32_t halfway = 1u << (shift - 1u);
        if (rem > halfway || (rem == halfway && (r & 1u)))
            r++; /* may carry into the smallest normal, 0x0400: still right */
        return static_cast<uint16_t>(sign | r);
    }
    uint32_t h = (((ax >> 23) - 112u) << 10) | ((ax >> 13) & 0x3FFu);
    const uint32_t rem = ax & 0x1FFFu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u)))
        h++; /* a carry into the exponent is the right result */
    return static_cast<uint16_t>(sign | h);
}

/* The fold every level ends with: lanes j + 16 into j, j + 8 into j, then
 * lanes 0..7 in order. */
static inline float half_fold_lanes(float *s) {
    for (size_t j = 0; j < 16; j++)
        s[j] = s[j] + s[j + 16];
    for (size_t j = 0; j < 8; j++)
        s[j] = s[j] + s[j + 8];
    float sum = s[0];
    for (size_t j = 1; j < 8; j++)
        sum = sum + s[j];
    return sum;
}

} // namespace pgvq

#endif
