/*
 * half_kernels_avx2.cpp: half-precision kernels with F16C conversions
 * (compiled with -mavx2 -mfma -mf16c -ffp-contract=off; called only after the
 * dispatcher saw AVX2, FMA, F16C and OS-enabled YMM state).
 *
 * The 32 lanes of the canonical sum are four 8-lane accumulators; a block
 * shorter than 32 is copied into a zero-padded buffer first.  Products are
 * rounded before the add, so the results are the scalar level's bits.
 */
#define PGVQ_ISA_TU
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "half_kernels.h"

#include "cpp_only.h"

namespace pgvq {
namespace {

inline __m256 load8(const uint16_t *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p)));
}

void h2f(const uint16_t *in, size_t n, float *out) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i, load8(in + i));
    for (; i < n; i++)
        out[i] = _cvtsh_ss(in[i]);
}

void f2h(const float *in, size_t n, uint16_t *out) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128(reinterpret_cast<__m128i *>(out + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++)
        out[i] = static_cast<uint16_t>(_cvtss_sh(in[i], _MM_FROUND_TO_NEAREST_INT));
}

/* The lane sums of one metric: acc[k] += f(a, b) for 32 elements. */
struct L2Op {
    static inline void step(__m256 *acc, __m256 x, __m256 y) {
        __m256 t = _mm256_sub_ps(x, y);
        acc[0] = _mm256_add_ps(acc[0], _mm256_mul_ps(t, t));
    }
};
struct IpOp {
    static inline void step(__m256 *acc, __m256 x, __m256 y) {
        acc[0] = _mm256_add_ps(acc[0], _mm256_mul_ps(x, y));
    }
};
struct L1Op {
    static inline void step(__m256 *acc, __m256 x, __m256 y) {
        const __m256 sign = _mm256_set1_ps(-0.0f);
        acc[0] = _mm256_add_ps(acc[0], _mm256_andnot_ps(sign, _mm256_sub_ps(x, y)));
    }
};

template <typename Op> inline void block(__m256 *acc, const uint16_t *a, const uint16_t *b) {
    for (int k = 0; k < 4; k++)
        Op::step(acc + k, load8(a + 8 * k), load8(b + 8 * k));
}

/* Lanes in order, then the common fold. */
inline float finish(const __m256 *acc) {
    float s[HALF_LANES];
    for (int k = 0; k < 4; k++)
        _mm256_storeu_ps(s + 8 * k, acc[k]);
    return half_fold_lanes(s);
}

template <typename Op> float lane_sum(const uint16_t *a, const uint16_t *b, size_t d) {
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                     _mm256_setzero_ps()};
    size_t i = 0;
    for (; i + HALF_LANES <= d; i += HALF_LANES)
        block<Op>(acc, a + i, b + i);
    if (i < d) {
        uint16_t ta[HALF_LANES] = {}, tb[HALF_LANES] = {};
        std::memcpy(ta, a + i, (d - i) * sizeof(uint16_t));
        std::memcpy(tb, b + i, (d - i) * sizeof(uint16_t));
        block<Op>(acc, ta, tb);
    }
    return finish(acc);
}

float l2sqr(const uint16_t *a, const uint16_t *b, size_t d) { return lane_sum<L2Op>(a, b, d); }

float inner_product(const uint16_t *a, const uint16_t *b, size_t d) {
    return lane_sum<IpOp>(a, b, d);
}

float l1(const uint16_t *a, const uint16_t *b, size_t d) { return lane_sum<L1Op>(a, b, d); }

/* One pass, three sets of lane sums. */
inline void cos_block(__m256 *dot, __m256 *na, __m256 *nb, const uint16_t *a, const uint16_t *b) {
    for (int k = 0; k < 4; k++) {
        __m256 x = load8(a + 8 * k), y = load8(b + 8 * k);
        dot[k] = _mm256_add_ps(dot[k], _mm256_mul_ps(x, y));
        na[k] = _mm256_add_ps(na[k], _mm256_mul_ps(x, x));
        nb[k] = _mm256_add_ps(nb[k], _mm256_mul_ps(y, y));
    }
}

void cosine_parts(const uint16_t *a, const uint16_t *b, size_t d, float *dot, float *norma,
                  float *normb) {
    __m256 sd[4], sa[4], sb[4];
    for (int k = 0; k < 4; k++)
        sd[k] = sa[k] = sb[k] = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + HALF_LANES <= d; i += HALF_LANES)
        cos_block(sd, sa, sb, a + i, b + i);
    if (i < d) {
        uint16_t ta[HALF_LANES] = {}, tb[HALF_LANES] = {};
        std::memcpy(ta, a + i, (d - i) * sizeof(uint16_t));
        std::memcpy(tb, b + i, (d - i) * sizeof(uint16_t));
        cos_block(sd, sa, sb, ta, tb);
    }
    *dot = finish(sd);
    *norma = finish(sa);
    *normb = finish(sb);
}

} // namespace

const HalfKernels half_kernels_avx2 = {"avx2", h2f, f2h, l2sqr, inner_product, l1, cosine_parts};

} // namespace pgvq
