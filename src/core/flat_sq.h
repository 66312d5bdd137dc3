/*
 * flat_sq.h: the SIMD kernel of the flat index's compressed first pass (see
 * flat_sq.cpp and pgvq_sq_lower_bounds in pgvq_core.h).
 *
 * Each instruction set has its own translation unit (flat_sq_scalar.cpp,
 * flat_sq_avx2.cpp, flat_sq_avx512.cpp) built with its own flags, under the
 * same rules as distances_*.cpp: nothing inline is shared between them.
 * Each defines entry_sum<M> and includes flat_sq_entries.inc (the loop over
 * entries and the metric dispatch).
 */
#ifndef PGVQ_FLAT_SQ_H
#define PGVQ_FLAT_SQ_H

#include <cstddef>
#include <cstdint>

#include "distances.h"

#include "cpp_only.h"

namespace pgvq {

/* Bytes of the per-entry header before the codes (pgvq_sq_header). */
constexpr size_t kSqHeader = 16;

/* One term of the sums below (static: each ISA file gets its own copy). */
template <int M> static inline float sq_term(float q, float y) {
    if (M == METRIC_L2) {
        const float t = q - y;
        return t * t;
    }
    if (M == METRIC_L1) {
        const float t = q - y;
        return t < 0.0f ? -t : t;
    }
    return q * y;
}

/*
 * out[i] = sum_j f(q_j, y_j) over j < d for entry i of entries (n, stride
 * bytes each: float lo, float step, two more floats, then d code bytes), with
 * y_j = lo + step * code_j computed in float (with or without FMA), summed in
 * float in any order:
 *   METRIC_L2: (q_j - y_j)^2;  METRIC_IP, METRIC_COSINE: q_j * y_j;
 *   METRIC_L1: |q_j - y_j|.
 * Reads no code byte at or past d.  Never fails.
 */
using SqSumsFn = void (*)(int metric, const float *q, size_t d, size_t n, const uint8_t *entries,
                          size_t stride, float *out);
void sq_sums_scalar(int metric, const float *q, size_t d, size_t n, const uint8_t *entries,
                    size_t stride, float *out);
void sq_sums_avx2(int metric, const float *q, size_t d, size_t n, const uint8_t *entries,
                  size_t stride, float *out);
void sq_sums_avx512(int metric, const float *q, size_t d, size_t n, const uint8_t *entries,
                    size_t stride, float *out);

/* The kernel of the current SIMD level (distances.h's dispatch). */
SqSumsFn sq_sums_kernel() noexcept;

} // namespace pgvq

#endif
