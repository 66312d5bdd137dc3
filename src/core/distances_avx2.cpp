/*
 * distances_avx2.cpp: AVX2 + FMA kernels (compiled with -mavx2 -mfma; called
 * only after the dispatcher saw AVX2, FMA and OS-enabled YMM state).
 *
 * Four independent 8-lane accumulators hide the FMA latency; the last d % 8
 * elements are read with a masked load (masked-off lanes are never touched, so
 * no read past the end of the arrays).  Unaligned loads throughout.
 */
#define PGVQ_ISA_TU
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "distances.h"
#include "simd_avx2.h"

#include "cpp_only.h"

namespace pgvq {
namespace {

alignas(32) const int32_t kMaskTable[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                            0,  0,  0,  0,  0,  0,  0,  0};

/* Lanes [0, r) set, r in 1..7. */
inline __m256i tail_mask(size_t r) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i *>(kMaskTable + 8 - r));
}

float l2sqr(const float *a, const float *b, size_t d) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= d; i += 32) {
        __m256 t0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        __m256 t1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
        __m256 t2 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16));
        __m256 t3 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24));
        s0 = _mm256_fmadd_ps(t0, t0, s0);
        s1 = _mm256_fmadd_ps(t1, t1, s1);
        s2 = _mm256_fmadd_ps(t2, t2, s2);
        s3 = _mm256_fmadd_ps(t3, t3, s3);
    }
    for (; i + 8 <= d; i += 8) {
        __m256 t = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        s0 = _mm256_fmadd_ps(t, t, s0);
    }
    if (i < d) {
        __m256i m = tail_mask(d - i);
        __m256 t = _mm256_sub_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m));
        s1 = _mm256_fmadd_ps(t, t, s1);
    }
    return hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
}

float inner_product(const float *a, const float *b, size_t d) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= d; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= d; i += 8)
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    if (i < d) {
        __m256i m = tail_mask(d - i);
        s1 = _mm256_fmadd_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m), s1);
    }
    return hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
}

float l1(const float *a, const float *b, size_t d) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= d; i += 32) {
        s0 = _mm256_add_ps(s0, abs_ps(_mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i))));
        s1 = _mm256_add_ps(
            s1, abs_ps(_mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8))));
        s2 = _mm256_add_ps(
            s2, abs_ps(_mm256_sub_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16))));
        s3 = _mm256_add_ps(
            s3, abs_ps(_mm256_sub_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24))));
    }
    for (; i + 8 <= d; i += 8)
        s0 = _mm256_add_ps(s0, abs_ps(_mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i))));
    if (i < d) {
        __m256i m = tail_mask(d - i);
        s1 = _mm256_add_ps(
            s1, abs_ps(_mm256_sub_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m))));
    }
    return hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
}

float norm_l2sqr(const float *a, size_t d) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= d; i += 32) {
        __m256 t0 = _mm256_loadu_ps(a + i), t1 = _mm256_loadu_ps(a + i + 8);
        __m256 t2 = _mm256_loadu_ps(a + i + 16), t3 = _mm256_loadu_ps(a + i + 24);
        s0 = _mm256_fmadd_ps(t0, t0, s0);
        s1 = _mm256_fmadd_ps(t1, t1, s1);
        s2 = _mm256_fmadd_ps(t2, t2, s2);
        s3 = _mm256_fmadd_ps(t3, t3, s3);
    }
    for (; i + 8 <= d; i += 8) {
        __m256 t = _mm256_loadu_ps(a + i);
        s0 = _mm256_fmadd_ps(t, t, s0);
    }
    if (i < d) {
        __m256 t = _mm256_maskload_ps(a + i, tail_mask(d - i));
        s1 = _mm256_fmadd_ps(t, t, s1);
    }
    return hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
}

void cosine_parts(const float *a, const float *b, size_t d, float *dot, float *norma,
                  float *normb) {
    __m256 d0 = _mm256_setzero_ps(), d1 = _mm256_setzero_ps();
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    __m256 b0 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= d; i += 16) {
        __m256 x0 = _mm256_loadu_ps(a + i), y0 = _mm256_loadu_ps(b + i);
        __m256 x1 = _mm256_loadu_ps(a + i + 8), y1 = _mm256_loadu_ps(b + i + 8);
        d0 = _mm256_fmadd_ps(x0, y0, d0);
        a0 = _mm256_fmadd_ps(x0, x0, a0);
        b0 = _mm256_fmadd_ps(y0, y0, b0);
        d1 = _mm256_fmadd_ps(x1, y1, d1);
        a1 = _mm256_fmadd_ps(x1, x1, a1);
        b1 = _mm256_fmadd_ps(y1, y1, b1);
    }
    if (i + 8 <= d) {
        __m256 x0 = _mm256_loadu_ps(a + i), y0 = _mm256_loadu_ps(b + i);
        d0 = _mm256_fmadd_ps(x0, y0, d0);
        a0 = _mm256_fmadd_ps(x0, x0, a0);
        b0 = _mm256_fmadd_ps(y0, y0, b0);
        i += 8;
    }
    if (i < d) {
        __m256i m = tail_mask(d - i);
        __m256 x1 = _mm256_maskload_ps(a + i, m), y1 = _mm256_maskload_ps(b + i, m);
        d1 = _mm256_fmadd_ps(x1, y1, d1);
        a1 = _mm256_fmadd_ps(x1, x1, a1);
        b1 = _mm256_fmadd_ps(y1, y1, b1);
    }
    *dot = hsum(_mm256_add_ps(d0, d1));
    *norma = hsum(_mm256_add_ps(a0, a1));
    *normb = hsum(_mm256_add_ps(b0, b1));
}

#include "distances_1xn.inc"
#include "pq_transpose.inc"

constexpr size_t kChunk = 128; /* columns transposed at a time */

/* Eight rows from the transposed codes T (jn, 8); kFull16: ksub == 16. */
template <bool kFull16>
__m256 perm_rows8(size_t ksub, const float *t, size_t jn, const uint8_t *T, __m256 acc) {
    const __m256i kmask = _mm256_set1_epi32((int)(ksub - 1));
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i kv = _mm256_set1_epi32((int)ksub);
    const __m256i lo_in = _mm256_cmpgt_epi32(kv, lanes); /* lane < ksub */
    const __m256i hi_in = _mm256_cmpgt_epi32(kv, _mm256_add_epi32(lanes, _mm256_set1_epi32(8)));
    for (size_t j = 0; j < jn; j++, t += ksub) {
        const __m256i idx = _mm256_and_si256(
            _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(T + j * 8))),
            kmask);
        const __m256 tlo = kFull16 ? _mm256_loadu_ps(t) : _mm256_maskload_ps(t, lo_in);
        const __m256 thi = kFull16 ? _mm256_loadu_ps(t + 8) : _mm256_maskload_ps(t + 8, hi_in);
        const __m256 lo = _mm256_permutevar8x32_ps(tlo, idx);
        const __m256 hi = _mm256_permutevar8x32_ps(thi, idx);
        /* bit 3 of the code picks the upper half */
        acc = _mm256_add_ps(
            acc, _mm256_blendv_ps(lo, hi, _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28))));
    }
    return acc;
}

template <bool kFull16>
void perm_scan(size_t m, size_t ksub, const float *table, float bias, size_t n,
               const uint8_t *codes, float *out) {
    alignas(16) uint8_t T[kChunk * 8];
    for (size_t i = 0; i < n; i += 8) {
        const size_t rows = n - i < 8 ? n - i : 8;
        __m256 acc = _mm256_set1_ps(bias);
        for (size_t j0 = 0; j0 < m; j0 += kChunk) {
            const size_t jn = m - j0 < kChunk ? m - j0 : kChunk;
            transpose_codes(codes + i * m + j0, m, rows, jn, T, 8);
            acc = perm_rows8<kFull16>(ksub, table + j0 * ksub, jn, T, acc);
        }
        if (rows == 8)
            _mm256_storeu_ps(out + i, acc);
        else
            _mm256_maskstore_ps(out + i, tail_mask(rows), acc);
    }
}

constexpr size_t W = 8;
using Vec = __m256;
inline Vec vload(const float *p) { return _mm256_loadu_ps(p); }
inline void vstore(float *p, Vec v) { _mm256_storeu_ps(p, v); }
inline Vec vmul(Vec a, Vec b) { return _mm256_mul_ps(a, b); }
inline Vec vadd(Vec a, Vec b) { return _mm256_add_ps(a, b); }
inline Vec vset1(float x) { return _mm256_set1_ps(x); }
#include "pq_ip_table.inc"

void madd(size_t n, const float *a, float bf, const float *b, float *c) {
    const __m256 vb = _mm256_set1_ps(bf);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256 r0 = _mm256_add_ps(_mm256_loadu_ps(a + i), _mm256_mul_ps(vb, _mm256_loadu_ps(b + i)));
        const __m256 r1 =
            _mm256_add_ps(_mm256_loadu_ps(a + i + 8), _mm256_mul_ps(vb, _mm256_loadu_ps(b + i + 8)));
        _mm256_storeu_ps(c + i, r0);
        _mm256_storeu_ps(c + i + 8, r1);
    }
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(c + i, _mm256_add_ps(_mm256_loadu_ps(a + i),
                                              _mm256_mul_ps(vb, _mm256_loadu_ps(b + i))));
    if (i < n) {
        const __m256i mk = tail_mask(n - i);
        _mm256_maskstore_ps(c + i, mk, _mm256_add_ps(_mm256_maskload_ps(a + i, mk),
                                                     _mm256_mul_ps(vb, _mm256_maskload_ps(b + i, mk))));
    }
}

} // namespace

/* ksub > 16 takes the scalar scan (see pq_scan_scalar.cpp for why). */
void pq_scan_codes_perm_avx2(size_t m, size_t ksub, const float *table, float bias, size_t n,
                             const uint8_t *codes, float *out) {
    if (ksub > 16)
        pq_scan_codes_scalar(m, ksub, table, bias, n, codes, out);
    else if (ksub == 16)
        perm_scan<true>(m, ksub, table, bias, n, codes, out);
    else
        perm_scan<false>(m, ksub, table, bias, n, codes, out);
}

void pq_scan_codes_gather_avx2(size_t m, size_t ksub, const float *table, float bias, size_t n,
                               const uint8_t *codes, float *out) {
    const __m256i mask = _mm256_set1_epi32((int)(ksub - 1));
    const __m256i rowoff = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                              _mm256_set1_epi32((int)m));
    const __m256 vbias = _mm256_set1_ps(bias);
    size_t i = 0;
    if (m > ((size_t)1 << 20)) /* row offsets must fit in int32 */
        i = n;
    /* The code gather reads 4 bytes at each position: stay 3 bytes inside. */
    for (; i + 8 <= n && (i + 8) * m + 3 <= n * m; i += 8) {
        const uint8_t *c = codes + i * m;
        __m256 acc = vbias;
        const float *t = table;
        for (size_t j = 0; j < m; j++, t += ksub) {
            __m256i raw = _mm256_i32gather_epi32(reinterpret_cast<const int *>(c + j), rowoff, 1);
            __m256i idx = _mm256_and_si256(raw, mask);
            acc = _mm256_add_ps(acc, _mm256_i32gather_ps(t, idx, 4));
        }
        _mm256_storeu_ps(out + i, acc);
    }
    if (i < n)
        pq_scan_codes_scalar(m, ksub, table, bias, n - i, codes + i * m, out + i);
}

const DistanceKernels kernels_avx2 = {
    "avx2",     SIMD_AVX2,    l2sqr,         inner_product, l1,   norm_l2sqr,
    cosine_parts, distances_1xn, pq_scan_codes_perm_avx2, ip_table_t, madd,
    nearest_small_avx2, nearest_tiny_avx2, l2sqr_min_update_t,
};

} // namespace pgvq
