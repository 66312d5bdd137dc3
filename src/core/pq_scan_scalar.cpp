/*
 * pq_scan_scalar.cpp: the PQ code scan with scalar loads, the reference of
 * pq_scan_codes and the path every level takes for ksub > 16.
 *
 * Why scalar: on AMD Zen 4 an AVX2/AVX-512 gather costs about 1.2 cycles per
 * element, more than a scalar load and add, and Intel's gathers are slower
 * still since the GDS (Downfall) microcode.  A lookup is one code byte load,
 * one table load and one add per term, so the loop is bound by the load ports
 * and the add latency: eight rows run side by side (eight independent
 * dependency chains, one per row).
 *
 * This file is compiled with SLP vectorisation off (CMakeLists.txt): GCC
 * otherwise packs the eight scalar sums into SSE registers with two shuffles
 * per load, which measured 1.75x slower than the plain scalar loop.
 *
 * Tables over 64 KiB (m * ksub floats, e.g. m = 96 at ksub = 256) do not stay
 * in L1: rows are then taken in blocks of 128 and columns in spans whose
 * tables fill 16 KiB, the partial sums staying in out.  Each row still adds
 * its terms in the order bias, j = 0, 1, ..., m-1, so every path gives the
 * same bits.
 */
#define PGVQ_ISA_TU
#include <cstddef>
#include <cstdint>

#include "distances.h"

#include "cpp_only.h"

namespace pgvq {
namespace {

constexpr size_t kL1TableBytes = 64 * 1024;
constexpr size_t kSpanTableBytes = 16 * 1024;
constexpr size_t kRowBlock = 128;

/*
 * o[r] += t[j][c[r*m + j]] for j in [0, jn), r < 8, in column order; t points
 * at the first column's table.  kFull: ksub = 256, where a byte needs no mask.
 */
template <bool kFull>
void span8(size_t m, size_t ksub, const float *t, size_t jn, const uint8_t *c, float *o) {
    const unsigned mask = kFull ? 0xFFu : (unsigned)(ksub - 1);
    const uint8_t *c0 = c, *c1 = c + m, *c2 = c + 2 * m, *c3 = c + 3 * m;
    const uint8_t *c4 = c + 4 * m, *c5 = c + 5 * m, *c6 = c + 6 * m, *c7 = c + 7 * m;
    float s0 = o[0], s1 = o[1], s2 = o[2], s3 = o[3];
    float s4 = o[4], s5 = o[5], s6 = o[6], s7 = o[7];
    for (size_t j = 0; j < jn; j++, t += ksub) {
        s0 += t[c0[j] & mask];
        s1 += t[c1[j] & mask];
        s2 += t[c2[j] & mask];
        s3 += t[c3[j] & mask];
        s4 += t[c4[j] & mask];
        s5 += t[c5[j] & mask];
        s6 += t[c6[j] & mask];
        s7 += t[c7[j] & mask];
    }
    o[0] = s0;
    o[1] = s1;
    o[2] = s2;
    o[3] = s3;
    o[4] = s4;
    o[5] = s5;
    o[6] = s6;
    o[7] = s7;
}

/* The same for one row. */
void span1(size_t ksub, const float *t, size_t jn, const uint8_t *c, float *o) {
    const unsigned mask = (unsigned)(ksub - 1);
    float s = *o;
    for (size_t j = 0; j < jn; j++, t += ksub)
        s += t[c[j] & mask];
    *o = s;
}

/* Rows [0, n) over columns [j0, j0 + jn), sums carried in out. */
template <bool kFull>
void scan_span(size_t m, size_t ksub, const float *table, size_t j0, size_t jn, size_t n,
               const uint8_t *codes, float *out) {
    const float *t = table + j0 * ksub;
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        span8<kFull>(m, ksub, t, jn, codes + i * m + j0, out + i);
    for (; i < n; i++)
        span1(ksub, t, jn, codes + i * m + j0, out + i);
}

template <bool kFull>
void scan(size_t m, size_t ksub, const float *table, float bias, size_t n, const uint8_t *codes,
          float *out) {
    for (size_t i = 0; i < n; i++)
        out[i] = bias;
    if (m * ksub * sizeof(float) <= kL1TableBytes) {
        scan_span<kFull>(m, ksub, table, 0, m, n, codes, out);
        return;
    }
    size_t span = kSpanTableBytes / (ksub * sizeof(float));
    if (span == 0)
        span = 1;
    for (size_t i0 = 0; i0 < n; i0 += kRowBlock) {
        const size_t rows = n - i0 < kRowBlock ? n - i0 : kRowBlock;
        for (size_t j0 = 0; j0 < m; j0 += span)
            scan_span<kFull>(m, ksub, table, j0, m - j0 < span ? m - j0 : span, rows,
                             codes + i0 * m, out + i0);
    }
}

} // namespace

void pq_scan_codes_scalar(size_t m, size_t ksub, const float *table, float bias, size_t n,
                          const uint8_t *codes, float *out) {
    if (ksub == 256)
        scan<true>(m, ksub, table, bias, n, codes, out);
    else
        scan<false>(m, ksub, table, bias, n, codes, out);
}

} // namespace pgvq
