/*
 * flat_sq_scalar.cpp: the portable first-pass kernel (see flat_sq.h).  Eight
 * independent accumulators, as distances_scalar.cpp.
 */
#define PGVQ_ISA_TU
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "distances.h"
#include "flat_sq.h"

#include "cpp_only.h"

namespace pgvq {
namespace {

constexpr size_t W = 8;

template <int M> float entry_sum(const float *q, size_t d, float lo, float step, const uint8_t *c) {
    float s[W] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t j = 0;
    for (; j + W <= d; j += W)
        for (size_t k = 0; k < W; k++)
            s[k] += sq_term<M>(q[j + k], lo + step * (float)c[j + k]);
    for (size_t k = 0; j < d; j++, k++)
        s[k] += sq_term<M>(q[j], lo + step * (float)c[j]);
    return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

} // namespace

#define SQ_SUMS_NAME sq_sums_scalar
#include "flat_sq_entries.inc"

} // namespace pgvq
