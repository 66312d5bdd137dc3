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

template <int M> inline float term(float q, float y) {
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

template <int M>
void sums(const float *q, size_t d, size_t n, const uint8_t *entries, size_t stride, float *out) {
    for (size_t i = 0; i < n; i++) {
        const uint8_t *e = entries + i * stride;
        float lo, step;
        std::memcpy(&lo, e, sizeof(float));
        std::memcpy(&step, e + sizeof(float), sizeof(float));
        const uint8_t *c = e + kSqHeader;
        float s[W] = {0, 0, 0, 0, 0, 0, 0, 0};
        size_t j = 0;
        for (; j + W <= d; j += W)
            for (size_t k = 0; k < W; k++)
                s[k] += term<M>(q[j + k], lo + step * (float)c[j + k]);
        for (size_t k = 0; j < d; j++, k++)
            s[k] += term<M>(q[j], lo + step * (float)c[j]);
        out[i] = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
    }
}

} // namespace

void sq_sums_scalar(int metric, const float *q, size_t d, size_t n, const uint8_t *entries,
                    size_t stride, float *out) {
    switch (metric) {
    case METRIC_L2:
        sums<METRIC_L2>(q, d, n, entries, stride, out);
        break;
    case METRIC_L1:
        sums<METRIC_L1>(q, d, n, entries, stride, out);
        break;
    default:
        sums<METRIC_IP>(q, d, n, entries, stride, out);
        break;
    }
}

} // namespace pgvq
