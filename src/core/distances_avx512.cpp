/*
 * distances_avx512.cpp: AVX-512F kernels (compiled with -mavx512f/bw/dq/vl;
 * called only after the dispatcher saw those features and OS-enabled ZMM
 * state).
 *
 * Four independent 16-lane accumulators; the last d % 16 elements are read with
 * a zero-masking load (masked-off lanes do not fault).  Unaligned loads.
 */
#define PGVQ_ISA_TU
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "distances.h"
#include "simd_avx512.h"

#include "cpp_only.h"

namespace pgvq {
namespace {

/* Lanes [0, r) set, r in 1..15. */
inline __mmask16 tail_mask(size_t r) { return (__mmask16)((1u << r) - 1u); }

float l2sqr(const float *a, const float *b, size_t d) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    __m512 s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 64 <= d; i += 64) {
        __m512 t0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
        __m512 t1 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));
        __m512 t2 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32));
        __m512 t3 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48));
        s0 = _mm512_fmadd_ps(t0, t0, s0);
        s1 = _mm512_fmadd_ps(t1, t1, s1);
        s2 = _mm512_fmadd_ps(t2, t2, s2);
        s3 = _mm512_fmadd_ps(t3, t3, s3);
    }
    for (; i + 16 <= d; i += 16) {
        __m512 t = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
        s0 = _mm512_fmadd_ps(t, t, s0);
    }
    if (i < d) {
        __mmask16 m = tail_mask(d - i);
        __m512 t = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i));
        s1 = _mm512_fmadd_ps(t, t, s1);
    }
    return hsum(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

float inner_product(const float *a, const float *b, size_t d) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    __m512 s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 64 <= d; i += 64) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
        s2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32), s2);
        s3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48), s3);
    }
    for (; i + 16 <= d; i += 16)
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    if (i < d) {
        __mmask16 m = tail_mask(d - i);
        s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), s1);
    }
    return hsum(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

float l1(const float *a, const float *b, size_t d) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    __m512 s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 64 <= d; i += 64) {
        s0 = _mm512_add_ps(s0, abs_ps(_mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i))));
        s1 = _mm512_add_ps(
            s1, abs_ps(_mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16))));
        s2 = _mm512_add_ps(
            s2, abs_ps(_mm512_sub_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32))));
        s3 = _mm512_add_ps(
            s3, abs_ps(_mm512_sub_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48))));
    }
    for (; i + 16 <= d; i += 16)
        s0 = _mm512_add_ps(s0, abs_ps(_mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i))));
    if (i < d) {
        __mmask16 m = tail_mask(d - i);
        s1 = _mm512_add_ps(
            s1, abs_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i))));
    }
    return hsum(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

float norm_l2sqr(const float *a, size_t d) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    __m512 s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 64 <= d; i += 64) {
        __m512 t0 = _mm512_loadu_ps(a + i), t1 = _mm512_loadu_ps(a + i + 16);
        __m512 t2 = _mm512_loadu_ps(a + i + 32), t3 = _mm512_loadu_ps(a + i + 48);
        s0 = _mm512_fmadd_ps(t0, t0, s0);
        s1 = _mm512_fmadd_ps(t1, t1, s1);
        s2 = _mm512_fmadd_ps(t2, t2, s2);
        s3 = _mm512_fmadd_ps(t3, t3, s3);
    }
    for (; i + 16 <= d; i += 16) {
        __m512 t = _mm512_loadu_ps(a + i);
        s0 = _mm512_fmadd_ps(t, t, s0);
    }
    if (i < d) {
        __m512 t = _mm512_maskz_loadu_ps(tail_mask(d - i), a + i);
        s1 = _mm512_fmadd_ps(t, t, s1);
    }
    return hsum(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

void cosine_parts(const float *a, const float *b, size_t d, float *dot, float *norma,
                  float *normb) {
    __m512 d0 = _mm512_setzero_ps(), d1 = _mm512_setzero_ps();
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    __m512 b0 = _mm512_setzero_ps(), b1 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= d; i += 32) {
        __m512 x0 = _mm512_loadu_ps(a + i), y0 = _mm512_loadu_ps(b + i);
        __m512 x1 = _mm512_loadu_ps(a + i + 16), y1 = _mm512_loadu_ps(b + i + 16);
        d0 = _mm512_fmadd_ps(x0, y0, d0);
        a0 = _mm512_fmadd_ps(x0, x0, a0);
        b0 = _mm512_fmadd_ps(y0, y0, b0);
        d1 = _mm512_fmadd_ps(x1, y1, d1);
        a1 = _mm512_fmadd_ps(x1, x1, a1);
        b1 = _mm512_fmadd_ps(y1, y1, b1);
    }
    if (i + 16 <= d) {
        __m512 x0 = _mm512_loadu_ps(a + i), y0 = _mm512_loadu_ps(b + i);
        d0 = _mm512_fmadd_ps(x0, y0, d0);
        a0 = _mm512_fmadd_ps(x0, x0, a0);
        b0 = _mm512_fmadd_ps(y0, y0, b0);
        i += 16;
    }
    if (i < d) {
        __mmask16 m = tail_mask(d - i);
        __m512 x1 = _mm512_maskz_loadu_ps(m, a + i), y1 = _mm512_maskz_loadu_ps(m, b + i);
        d1 = _mm512_fmadd_ps(x1, y1, d1);
        a1 = _mm512_fmadd_ps(x1, x1, a1);
        b1 = _mm512_fmadd_ps(y1, y1, b1);
    }
    *dot = hsum(_mm512_add_ps(d0, d1));
    *norma = hsum(_mm512_add_ps(a0, a1));
    *normb = hsum(_mm512_add_ps(b0, b1));
}

#include "distances_1xn.inc"
#include "pq_transpose.inc"

constexpr size_t kChunk = 128; /* columns transposed at a time */

/* Sixteen rows: T (jn, 16) holds the codes of rows 0-7 in bytes 0-7 and of
 * rows 8-15 in bytes 8-15 of each column; the table of a column is one
 * register (masked to its ksub floats) and one vpermps looks all 16 up. */
__m512 perm_rows16(size_t ksub, const float *t, size_t jn, const uint8_t *T, __m512 acc) {
    const __m512i kmask = _mm512_set1_epi32((int)(ksub - 1));
    const __mmask16 in = (__mmask16)((1u << ksub) - 1u);
    const __mmask16 all = (__mmask16)0xFFFF; /* zero-masking forms: see hsum */
    for (size_t j = 0; j < jn; j++, t += ksub) {
        const __m512i idx = _mm512_and_si512(
            _mm512_maskz_cvtepu8_epi32(
                all, _mm_load_si128(reinterpret_cast<const __m128i *>(T + j * 16))),
            kmask);
        acc = _mm512_add_ps(acc, _mm512_maskz_permutexvar_ps(all, idx, _mm512_maskz_loadu_ps(in, t)));
    }
    return acc;
}

constexpr size_t W = 16;
using Vec = __m512;
inline Vec vload(const float *p) { return _mm512_loadu_ps(p); }
inline void vstore(float *p, Vec v) { _mm512_storeu_ps(p, v); }
inline Vec vmul(Vec a, Vec b) { return _mm512_mul_ps(a, b); }
inline Vec vadd(Vec a, Vec b) { return _mm512_add_ps(a, b); }
inline Vec vset1(float x) { return _mm512_set1_ps(x); }
#include "pq_ip_table.inc"

void madd(size_t n, const float *a, float bf, const float *b, float *c) {
    const __m512 vb = _mm512_set1_ps(bf);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m512 r0 = _mm512_add_ps(_mm512_loadu_ps(a + i), _mm512_mul_ps(vb, _mm512_loadu_ps(b + i)));
        const __m512 r1 = _mm512_add_ps(_mm512_loadu_ps(a + i + 16),
                                        _mm512_mul_ps(vb, _mm512_loadu_ps(b + i + 16)));
        _mm512_storeu_ps(c + i, r0);
        _mm512_storeu_ps(c + i + 16, r1);
    }
    for (; i < n; i += 16) {
        const __mmask16 mk = n - i < 16 ? tail_mask(n - i) : (__mmask16)0xFFFF;
        _mm512_mask_storeu_ps(c + i, mk, _mm512_add_ps(_mm512_maskz_loadu_ps(mk, a + i),
                                                       _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(mk, b + i))));
    }
}

} // namespace

/* ksub > 16 takes the scalar scan (see pq_scan_scalar.cpp for why). */
void pq_scan_codes_perm_avx512(size_t m, size_t ksub, const float *table, float bias, size_t n,
                               const uint8_t *codes, float *out) {
    if (ksub > 16) {
        pq_scan_codes_scalar(m, ksub, table, bias, n, codes, out);
        return;
    }
    alignas(16) uint8_t T[kChunk * 16];
    for (size_t i = 0; i < n; i += 16) {
        const size_t rows = n - i < 16 ? n - i : 16;
        __m512 acc = _mm512_set1_ps(bias);
        for (size_t j0 = 0; j0 < m; j0 += kChunk) {
            const size_t jn = m - j0 < kChunk ? m - j0 : kChunk;
            const uint8_t *c = codes + i * m + j0;
            transpose_codes(c, m, rows < 8 ? rows : 8, jn, T, 16);
            transpose_codes(rows > 8 ? c + 8 * m : c, m, rows > 8 ? rows - 8 : 0, jn, T + 8, 16);
            acc = perm_rows16(ksub, table + j0 * ksub, jn, T, acc);
        }
        _mm512_mask_storeu_ps(out + i, rows == 16 ? (__mmask16)0xFFFF : tail_mask(rows), acc);
    }
}

void pq_scan_codes_gather_avx512(size_t m, size_t ksub, const float *table, float bias, size_t n,
                                 const uint8_t *codes, float *out) {
    const __m512i mask = _mm512_set1_epi32((int)(ksub - 1));
    const __m512i rowoff =
        _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                           _mm512_set1_epi32((int)m));
    const __m512 vbias = _mm512_set1_ps(bias);
    size_t i = 0;
    if (m > ((size_t)1 << 20)) /* row offsets must fit in int32 */
        i = n;
    /* The code gather reads 4 bytes at each position: stay 3 bytes inside. */
    for (; i + 16 <= n && (i + 16) * m + 3 <= n * m; i += 16) {
        const uint8_t *c = codes + i * m;
        __m512 acc = vbias;
        const float *t = table;
        for (size_t j = 0; j < m; j++, t += ksub) {
            __m512i raw = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), (__mmask16)0xFFFF, rowoff, c + j, 1);
            __m512i idx = _mm512_and_si512(raw, mask);
            acc = _mm512_add_ps(acc, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), (__mmask16)0xFFFF, idx, t, 4));
        }
        _mm512_storeu_ps(out + i, acc);
    }
    if (i < n)
        pq_scan_codes_scalar(m, ksub, table, bias, n - i, codes + i * m, out + i);
}

const DistanceKernels kernels_avx512 = {
    "avx512",     SIMD_AVX512,   l2sqr,         inner_product, l1,   norm_l2sqr,
    cosine_parts, distances_1xn, pq_scan_codes_perm_avx512, ip_table_t, madd,
    nearest_small_avx512, nearest_tiny_avx512, l2sqr_min_update_t,
};

} // namespace pgvq
