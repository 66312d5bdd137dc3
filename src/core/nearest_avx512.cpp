/*
 * nearest_avx512.cpp: the fused nearest-centroid kernel for short vectors
 * (see nearest_small in distances.h), AVX-512F.  Compiled with -mavx512f/...;
 * called only after the dispatcher chose the AVX-512 level.
 *
 * Eight rows at a time against one block of 16 centroids: eight 16-lane
 * accumulators of <x_r, c> (FMA over the dimensions in order), then
 * v = |c|^2 - 2 <x_r, c> and a per-lane running minimum with its index.  The
 * values are those of the AVX2 kernel bit for bit (same FMA order).
 */
#define PGVQ_ISA_TU
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "distances.h"

#include "cpp_only.h"

namespace pgvq {
namespace {

template <int R>
void nearest_rows(size_t d, const float *x, size_t ldx, size_t nblk, const float *cT,
                  const float *cn, float *best, int64_t *arg) {
    __m512 bv[R];
    __m512i bi[R];
    for (int r = 0; r < R; r++) {
        bv[r] = _mm512_set1_ps(__builtin_inff());
        bi[r] = _mm512_setzero_si512();
    }
    __m512i idx = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i step = _mm512_set1_epi32(16);
    const __m512 m2 = _mm512_set1_ps(-2.0f);
    for (size_t b = 0; b < nblk; b++) {
        const float *cb = cT + b * d * 16;
        __m512 acc[R];
        for (int r = 0; r < R; r++)
            acc[r] = _mm512_setzero_ps();
        for (size_t s = 0; s < d; s++) {
            const __m512 c = _mm512_loadu_ps(cb + s * 16);
            for (int r = 0; r < R; r++)
                acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(x[r * ldx + s]), c, acc[r]);
        }
        const __m512 n = _mm512_loadu_ps(cn + b * 16);
        for (int r = 0; r < R; r++) {
            const __m512 v = _mm512_fmadd_ps(m2, acc[r], n);
            const __mmask16 lt = _mm512_cmp_ps_mask(v, bv[r], _CMP_LT_OQ);
            bv[r] = _mm512_mask_mov_ps(bv[r], lt, v);
            bi[r] = _mm512_mask_mov_epi32(bi[r], lt, idx);
        }
        idx = _mm512_add_epi32(idx, step);
    }
    /* Lanes in memory (GCC 12 warns wrongly about _mm512_reduce_min_ps).  No
     * lane holds a NaN (a NaN never compares less). */
    for (int r = 0; r < R; r++) {
        alignas(64) float v[16];
        alignas(64) int32_t i[16];
        _mm512_store_ps(v, bv[r]);
        _mm512_store_si512(i, bi[r]);
        lanes_argmin16(v, i, best + r, arg + r);
    }
}

/* Vector wrappers for nearest_tiny.inc. */
constexpr int kW = 16, kRegs = 32;
using Vec = __m512;
using IVec = __m512i;
using Mask = __mmask16;
inline Vec v_load(const float *p) { return _mm512_load_ps(p); }
inline Vec v_set1(float f) { return _mm512_set1_ps(f); }
inline Vec v_fmadd(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline Mask v_lt(Vec a, Vec b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
/* The masked form: GCC 12 warns wrongly about _mm512_min_ps. */
inline Vec v_min(Vec a, Vec b) { return _mm512_mask_min_ps(a, (__mmask16)0xFFFF, a, b); }
inline IVec i_set1(int i) { return _mm512_set1_epi32(i); }
inline IVec i_add(IVec a, IVec b) { return _mm512_add_epi32(a, b); }
inline IVec i_select(Mask m, IVec yes, IVec no) { return _mm512_mask_mov_epi32(no, m, yes); }
inline void v_store(float *p, Vec v) { _mm512_store_ps(p, v); }
inline void i_store(int32_t *p, IVec v) { _mm512_store_si512(p, v); }

#include "nearest_tiny.inc"

} // namespace

void nearest_small_avx512(size_t rows, size_t d, const float *x, size_t ldx, size_t k,
                          const float *cT, const float *cn, float *best, int64_t *arg) {
    const size_t nblk = (k + 15) / 16;
    size_t r = 0;
    for (; r + 8 <= rows; r += 8)
        nearest_rows<8>(d, x + r * ldx, ldx, nblk, cT, cn, best + r, arg + r);
    for (; r + 2 <= rows; r += 2)
        nearest_rows<2>(d, x + r * ldx, ldx, nblk, cT, cn, best + r, arg + r);
    for (; r < rows; r++)
        nearest_rows<1>(d, x + r * ldx, ldx, nblk, cT, cn, best + r, arg + r);
}

void nearest_tiny_avx512(size_t rows, size_t d, const float *x, size_t ldx, size_t k,
                         const float *c, const float *cn, float *best, int64_t *arg) {
    nearest_tiny_impl(rows, d, x, ldx, k, c, cn, best, arg);
}

} // namespace pgvq
