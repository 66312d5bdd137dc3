/*
 * pq_qscan_vbmi.cpp: the integer PQ code scan with AVX-512 VBMI (compiled
 * with -mavx512vbmi; called only when pq_qscan_vbmi_usable()).
 *
 * Rows go 64 at a time, columns 64 at a time.  Codes are stored row-major
 * (m bytes a row), and a lookup wants one column of 64 rows in one ZMM, so
 * each 64 x 64 block is transposed in registers: an 8 x 8 transpose of qwords
 * over 8 rows, a byte permutation (vpermb) inside each register, and a second
 * 8 x 8 qword transpose over the 8 row groups (through a 4 KiB scratch).  A
 * column's 256-entry byte table is four ZMM: two vpermi2b look up the 64 rows
 * in each half and bit 7 of the code picks the half.  The bytes add into
 * 16-bit lanes (even and odd rows apart), which cannot overflow within 64
 * columns (64 * 255 < 65536), and go into 32-bit sums after each 64 columns.
 * 16-bit tables are two byte planes looked up with the same indices.
 */
#define PGVQ_ISA_TU
/* GCC 12 warns about the undefined source operand inside the intrinsics of
 * shuffles (_mm512_undefined_epi32): a false positive. */
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "pq_qscan.h"

#include "cpp_only.h"

namespace pgvq {
namespace {

constexpr size_t kBlock = 64;

/* r[k] qword i <- r[i] qword k. */
inline void transpose_qwords(__m512i r[8]) {
    const __m512i t0 = _mm512_unpacklo_epi64(r[0], r[1]), t1 = _mm512_unpackhi_epi64(r[0], r[1]);
    const __m512i t2 = _mm512_unpacklo_epi64(r[2], r[3]), t3 = _mm512_unpackhi_epi64(r[2], r[3]);
    const __m512i t4 = _mm512_unpacklo_epi64(r[4], r[5]), t5 = _mm512_unpackhi_epi64(r[4], r[5]);
    const __m512i t6 = _mm512_unpacklo_epi64(r[6], r[7]), t7 = _mm512_unpackhi_epi64(r[6], r[7]);
    const __m512i u0 = _mm512_shuffle_i64x2(t0, t2, 0x88), u1 = _mm512_shuffle_i64x2(t0, t2, 0xDD);
    const __m512i u2 = _mm512_shuffle_i64x2(t4, t6, 0x88), u3 = _mm512_shuffle_i64x2(t4, t6, 0xDD);
    const __m512i v0 = _mm512_shuffle_i64x2(t1, t3, 0x88), v1 = _mm512_shuffle_i64x2(t1, t3, 0xDD);
    const __m512i v2 = _mm512_shuffle_i64x2(t5, t7, 0x88), v3 = _mm512_shuffle_i64x2(t5, t7, 0xDD);
    r[0] = _mm512_shuffle_i64x2(u0, u2, 0x88);
    r[4] = _mm512_shuffle_i64x2(u0, u2, 0xDD);
    r[2] = _mm512_shuffle_i64x2(u1, u3, 0x88);
    r[6] = _mm512_shuffle_i64x2(u1, u3, 0xDD);
    r[1] = _mm512_shuffle_i64x2(v0, v2, 0x88);
    r[5] = _mm512_shuffle_i64x2(v0, v2, 0xDD);
    r[3] = _mm512_shuffle_i64x2(v1, v3, 0x88);
    r[7] = _mm512_shuffle_i64x2(v1, v3, 0xDD);
}

/* byte 8c + i <- byte 8i + c: an 8 x 8 byte transpose inside the register. */
inline __m512i byte_transpose_index() {
    alignas(64) uint8_t idx[64];
    for (int c = 0; c < 8; c++)
        for (int i = 0; i < 8; i++)
            idx[8 * c + i] = (uint8_t)(8 * i + c);
    return _mm512_load_si512(idx);
}

/*
 * Stage one of the transpose: rows [0, nb) of the block, columns [j0, j0 +
 * nj); scratch[8k + g] qword c = column 8k + c of rows 8g .. 8g + 7 (zero for
 * rows past nb).
 */
inline void stage_rows(size_t m, size_t nb, const uint8_t *codes, size_t j0, size_t nj,
                       __m512i bt, __m512i *scratch) {
    const __mmask64 cols = nj >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << nj) - 1);
    for (size_t g = 0; g < 8; g++) {
        __m512i r[8];
        if (8 * g >= nb) {
            for (size_t k = 0; k < 8; k++)
                scratch[8 * k + g] = _mm512_setzero_si512();
            continue;
        }
        for (size_t i = 0; i < 8; i++) {
            const size_t row = 8 * g + i;
            r[i] = row < nb ? _mm512_maskz_loadu_epi8(cols, codes + row * m + j0)
                            : _mm512_setzero_si512();
        }
        transpose_qwords(r);
        for (size_t k = 0; k < 8; k++)
            scratch[8 * k + g] = _mm512_permutexvar_epi8(bt, r[k]);
    }
}

/* One column of 64 rows (x) looked up in a 256-byte table, added into even/odd 16-bit lanes. */
inline void lookup_add(const uint8_t *t, __m512i x, __mmask64 high, __m512i &even, __m512i &odd) {
    const __m512i lo = _mm512_permutex2var_epi8(_mm512_loadu_si512(t), x,
                                                _mm512_loadu_si512(t + 64));
    const __m512i hi = _mm512_permutex2var_epi8(_mm512_loadu_si512(t + 128), x,
                                                _mm512_loadu_si512(t + 192));
    const __m512i v = _mm512_mask_blend_epi8(high, lo, hi);
    even = _mm512_add_epi16(even, _mm512_and_si512(v, _mm512_set1_epi16(0x00FF)));
    odd = _mm512_add_epi16(odd, _mm512_srli_epi16(v, 8));
}

/* 16-bit lanes (rows 2w or 2w + 1) into 32-bit sums, times 2^shift. */
inline void widen_add(__m512i acc, int shift, __m512i &s0, __m512i &s1) {
    s0 = _mm512_add_epi32(
        s0, _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_castsi512_si256(acc)), shift));
    s1 = _mm512_add_epi32(
        s1, _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(acc, 1)), shift));
}

template <int kBits>
void block_sums(size_t m, const uint8_t *qt, size_t nb, const uint8_t *codes, __m512i bt,
                uint32_t *sums) {
    constexpr size_t col = kQscanKsub * (kBits / 8);
    alignas(64) __m512i scratch[64];
    /* 32-bit sums: even rows 0-30, 32-62; odd rows 1-31, 33-63 */
    __m512i se0 = _mm512_setzero_si512(), se1 = se0, so0 = se0, so1 = se0;
    for (size_t j0 = 0; j0 < m; j0 += kBlock) {
        const size_t nj = m - j0 < kBlock ? m - j0 : kBlock;
        stage_rows(m, nb, codes, j0, nj, bt, scratch);
        __m512i le = _mm512_setzero_si512(), lo = le, he = le, ho = le;
        for (size_t k = 0; 8 * k < nj; k++) {
            __m512i x[8];
            for (size_t g = 0; g < 8; g++)
                x[g] = scratch[8 * k + g];
            transpose_qwords(x); /* x[c]: column j0 + 8k + c, byte = row */
            const size_t cn = nj - 8 * k < 8 ? nj - 8 * k : 8;
            for (size_t c = 0; c < cn; c++) {
                const uint8_t *t = qt + (j0 + 8 * k + c) * col;
                const __mmask64 high = _mm512_movepi8_mask(x[c]);
                lookup_add(t, x[c], high, le, lo);
                if (kBits == 16)
                    lookup_add(t + kQscanKsub, x[c], high, he, ho);
            }
        }
        widen_add(le, 0, se0, se1);
        widen_add(lo, 0, so0, so1);
        if (kBits == 16) {
            widen_add(he, 8, se0, se1);
            widen_add(ho, 8, so0, so1);
        }
    }
    alignas(64) uint32_t e[32], o[32];
    _mm512_store_si512(e, se0);
    _mm512_store_si512(e + 16, se1);
    _mm512_store_si512(o, so0);
    _mm512_store_si512(o + 16, so1);
    for (size_t w = 0; 2 * w < nb; w++) {
        sums[2 * w] = e[w];
        if (2 * w + 1 < nb)
            sums[2 * w + 1] = o[w];
    }
}

} // namespace

void pq_qscan_sums_vbmi(size_t m, int bits, const uint8_t *qt, size_t n, const uint8_t *codes,
                        uint32_t *sums) noexcept {
    const __m512i bt = byte_transpose_index();
    for (size_t i = 0; i < n; i += kBlock) {
        const size_t nb = n - i < kBlock ? n - i : kBlock;
        if (bits == 16)
            block_sums<16>(m, qt, nb, codes + i * m, bt, sums + i);
        else
            block_sums<8>(m, qt, nb, codes + i * m, bt, sums + i);
    }
}

bool pq_qtable_prepare_vbmi(size_t m, const float *table, float *lo, float *hi) noexcept {
    const __m512 zero = _mm512_setzero_ps();
    __m512 fin = zero; /* stays 0 while every entry is finite (t * 0 is NaN otherwise) */
    for (size_t j = 0; j < m; j++) {
        const size_t o = j * kQscanKsub;
        __m512 mn = _mm512_set1_ps(__builtin_inff()), mx = _mm512_set1_ps(-__builtin_inff());
        for (size_t k = 0; k < kQscanKsub; k += 16) {
            const __m512 t = _mm512_loadu_ps(table + o + k);
            fin = _mm512_add_ps(fin, _mm512_mul_ps(t, zero));
            mn = _mm512_min_ps(mn, t);
            mx = _mm512_max_ps(mx, t);
        }
        lo[j] = _mm512_reduce_min_ps(mn);
        hi[j] = _mm512_reduce_max_ps(mx);
    }
    return _mm512_cmp_ps_mask(fin, fin, _CMP_UNORD_Q) == 0;
}

void pq_qtable_quantize_vbmi(size_t m, int bits, const float *table, const float *lo, float k,
                             uint8_t *qt) noexcept {
    const __m512 kv = _mm512_set1_ps(k);
    const __m512 top = _mm512_set1_ps(bits == 16 ? 65535.0f : 255.0f);
    const size_t col = kQscanKsub * (size_t)(bits / 8);
    for (size_t j = 0; j < m; j++) {
        const __m512 l = _mm512_set1_ps(lo[j]);
        const float *t = table + j * kQscanKsub;
        uint8_t *out = qt + j * col;
        for (size_t c = 0; c < kQscanKsub; c += 16) {
            const __m512 y =
                _mm512_min_ps(_mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(t + c), l), kv), top);
            const __m512i q = _mm512_cvttps_epu32(y);
            _mm_storeu_si128((__m128i *)(out + c), _mm512_cvtepi32_epi8(q));
            if (bits == 16)
                _mm_storeu_si128((__m128i *)(out + kQscanKsub + c),
                                 _mm512_cvtepi32_epi8(_mm512_srli_epi32(q, 8)));
        }
    }
}

} // namespace pgvq
