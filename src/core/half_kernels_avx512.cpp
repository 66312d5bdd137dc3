/*
 * half_kernels_avx512.cpp: half-precision kernels with AVX-512F conversions
 * (compiled with -mavx512f/bw/dq/vl; called only after the dispatcher saw
 * those features and OS-enabled ZMM state).
 *
 * The 32 lanes of the canonical sum are two 16-lane accumulators; the last
 * block is read with zero-masking loads (masked-off lanes do not fault and
 * add exact zeros).  Products are rounded before the add, so the results are
 * the scalar level's bits.
 */
#define PGVQ_ISA_TU
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "half_kernels.h"

#include "cpp_only.h"

namespace pgvq {
namespace {

/* Lanes [0, r) set, r in 0..16. */
inline __mmask16 mask16(size_t r) {
    return r >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << r) - 1u);
}

/* The zero-masking conversions avoid GCC 12's bogus -Wmaybe-uninitialized on
 * the unmasked ones (whose inline bodies pass an undefined source). */
const __mmask16 ALL16 = static_cast<__mmask16>(0xFFFF);

inline __m512 load16(const uint16_t *p) {
    return _mm512_maskz_cvtph_ps(ALL16, _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p)));
}

inline __m512 load16_masked(const uint16_t *p, __mmask16 m) {
    return _mm512_maskz_cvtph_ps(ALL16, _mm256_maskz_loadu_epi16(m, p));
}

inline __m256i to_half16(__m512 x) {
    return _mm512_maskz_cvtps_ph(ALL16, x, _MM_FROUND_TO_NEAREST_INT);
}

void h2f(const uint16_t *in, size_t n, float *out) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(out + i, load16(in + i));
    if (i < n) {
        __mmask16 m = mask16(n - i);
        _mm512_mask_storeu_ps(out + i, m, load16_masked(in + i, m));
    }
}

void f2h(const float *in, size_t n, uint16_t *out) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256(reinterpret_cast<__m256i *>(out + i), to_half16(_mm512_loadu_ps(in + i)));
    if (i < n) {
        __mmask16 m = mask16(n - i);
        __m256i h = to_half16(_mm512_maskz_loadu_ps(m, in + i));
        _mm256_mask_storeu_epi16(out + i, m, h);
    }
}

struct L2Op {
    static inline __m512 step(__m512 acc, __m512 x, __m512 y) {
        __m512 t = _mm512_sub_ps(x, y);
        return _mm512_add_ps(acc, _mm512_mul_ps(t, t));
    }
};
struct IpOp {
    static inline __m512 step(__m512 acc, __m512 x, __m512 y) {
        return _mm512_add_ps(acc, _mm512_mul_ps(x, y));
    }
};
struct L1Op {
    static inline __m512 step(__m512 acc, __m512 x, __m512 y) {
        __m512 t = _mm512_sub_ps(x, y);
        __m512 abs = _mm512_castsi512_ps(
            _mm512_and_si512(_mm512_castps_si512(t), _mm512_set1_epi32(0x7fffffff)));
        return _mm512_add_ps(acc, abs);
    }
};

inline float finish(__m512 lo, __m512 hi) {
    float s[HALF_LANES];
    _mm512_storeu_ps(s, lo);
    _mm512_storeu_ps(s + 16, hi);
    return half_fold_lanes(s);
}

template <typename Op> float lane_sum(const uint16_t *a, const uint16_t *b, size_t d) {
    __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + HALF_LANES <= d; i += HALF_LANES) {
        lo = Op::step(lo, load16(a + i), load16(b + i));
        hi = Op::step(hi, load16(a + i + 16), load16(b + i + 16));
    }
    if (i < d) {
        __mmask16 m0 = mask16(d - i);
        __mmask16 m1 = mask16(d - i > 16 ? d - i - 16 : 0);
        lo = Op::step(lo, load16_masked(a + i, m0), load16_masked(b + i, m0));
        hi = Op::step(hi, load16_masked(a + i + 16, m1), load16_masked(b + i + 16, m1));
    }
    return finish(lo, hi);
}

float l2sqr(const uint16_t *a, const uint16_t *b, size_t d) { return lane_sum<L2Op>(a, b, d); }

float inner_product(const uint16_t *a, const uint16_t *b, size_t d) {
    return lane_sum<IpOp>(a, b, d);
}

float l1(const uint16_t *a, const uint16_t *b, size_t d) { return lane_sum<L1Op>(a, b, d); }

struct CosAcc {
    __m512 dot[2], na[2], nb[2];
    inline void step(int k, __m512 x, __m512 y) {
        dot[k] = _mm512_add_ps(dot[k], _mm512_mul_ps(x, y));
        na[k] = _mm512_add_ps(na[k], _mm512_mul_ps(x, x));
        nb[k] = _mm512_add_ps(nb[k], _mm512_mul_ps(y, y));
    }
};

void cosine_parts(const uint16_t *a, const uint16_t *b, size_t d, float *dot, float *norma,
                  float *normb) {
    CosAcc c;
    for (int k = 0; k < 2; k++)
        c.dot[k] = c.na[k] = c.nb[k] = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + HALF_LANES <= d; i += HALF_LANES) {
        c.step(0, load16(a + i), load16(b + i));
        c.step(1, load16(a + i + 16), load16(b + i + 16));
    }
    if (i < d) {
        __mmask16 m0 = mask16(d - i);
        __mmask16 m1 = mask16(d - i > 16 ? d - i - 16 : 0);
        c.step(0, load16_masked(a + i, m0), load16_masked(b + i, m0));
        c.step(1, load16_masked(a + i + 16, m1), load16_masked(b + i + 16, m1));
    }
    *dot = finish(c.dot[0], c.dot[1]);
    *norma = finish(c.na[0], c.na[1]);
    *normb = finish(c.nb[0], c.nb[1]);
}

} // namespace

const HalfKernels half_kernels_avx512 = {"avx512", h2f, f2h, l2sqr, inner_product, l1,
                                         cosine_parts};

} // namespace pgvq
