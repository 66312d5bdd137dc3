/*
 * pq_qscan.h: the integer PQ code scan's kernels (pq_qscan.cpp: table build,
 * scalar reference, dispatch; pq_qscan_vbmi.cpp: AVX-512 VBMI).
 *
 * A quantized table holds, per column j of 256 entries, bits / 8 byte planes:
 * at 8 bits qt[j*256 + k]; at 16 bits the low bytes at qt[j*512 + k] and the
 * high bytes at qt[j*512 + 256 + k].  The kernels sum, for each row i,
 * Q_i = sum_j q[j][codes[i*m + j]] exactly in 32-bit lanes (m <= 65536).
 */
#ifndef PGVQ_CORE_PQ_QSCAN_H
#define PGVQ_CORE_PQ_QSCAN_H

#include <cstddef>
#include <cstdint>

#include "cpp_only.h"

namespace pgvq {

constexpr size_t kQscanKsub = 256;
constexpr size_t kQscanMaxM = 65536;

/* Q_i for i < n, the reference of the same integer sums. */
void pq_qscan_sums_scalar(size_t m, int bits, const uint8_t *qt, size_t n, const uint8_t *codes,
                          uint32_t *sums) noexcept;
/* The same in registers: 64 rows per block, transposed in registers, each
 * column's table looked up with vpermi2b.  Only after pq_qscan_vbmi_usable(). */
void pq_qscan_sums_vbmi(size_t m, int bits, const uint8_t *qt, size_t n, const uint8_t *codes,
                        uint32_t *sums) noexcept;

/* Each column's minimum lo and maximum hi of table; false when an entry is
 * not finite (lo, hi then meaningless).  Both versions give the same bits. */
bool pq_qtable_prepare_scalar(size_t m, const float *table, float *lo, float *hi) noexcept;
bool pq_qtable_prepare_vbmi(size_t m, const float *table, float *lo, float *hi) noexcept;

/* Quantizes columns [0, m) of table (minima lo, one multiplier k at most the
 * step's reciprocal, levels top = 2^bits - 1): q = min(top,
 * trunc(fl(fl(t - lo_j) * k))).  Both versions give the same bits. */
void pq_qtable_quantize_scalar(size_t m, int bits, const float *table, const float *lo, float k,
                               uint8_t *qt) noexcept;
void pq_qtable_quantize_vbmi(size_t m, int bits, const float *table, const float *lo, float k,
                             uint8_t *qt) noexcept;

/* The CPU has AVX-512 F/BW/VBMI with ZMM state, and the SIMD level in force is AVX-512. */
bool pq_qscan_vbmi_usable() noexcept;

} // namespace pgvq

#endif /* PGVQ_CORE_PQ_QSCAN_H */
