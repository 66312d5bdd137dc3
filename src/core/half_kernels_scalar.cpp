/*
 * half_kernels_scalar.cpp: the portable half-precision kernels, and the
 * reference every SIMD level must match bit for bit.  Conversions are the bit
 * arithmetic of half_kernels.h; sums follow the canonical 32-lane order
 * (pgvq_core_half.h), products rounded before the add.
 */
#include <cstddef>
#include <cstdint>

#include "half_kernels.h"

#include "cpp_only.h"

namespace pgvq {
namespace {

void h2f(const uint16_t *in, size_t n, float *out) {
    for (size_t i = 0; i < n; i++)
        out[i] = half_to_float_scalar(in[i]);
}

void f2h(const float *in, size_t n, uint16_t *out) {
    for (size_t i = 0; i < n; i++)
        out[i] = float_to_half_scalar(in[i]);
}

/* Runs op(lane_sum, x, y) over the 32 lanes, the last block zero padded
 * (zeros add exact zeros: +0 + 0 = +0 and a lane sum is never -0). */
template <typename Op> float lane_sum(const uint16_t *a, const uint16_t *b, size_t d, Op op) {
    float s[HALF_LANES] = {};
    size_t i = 0;
    for (; i + HALF_LANES <= d; i += HALF_LANES)
        for (size_t j = 0; j < HALF_LANES; j++)
            s[j] = op(s[j], half_to_float_scalar(a[i + j]), half_to_float_scalar(b[i + j]));
    for (size_t j = 0; i + j < d; j++)
        s[j] = op(s[j], half_to_float_scalar(a[i + j]), half_to_float_scalar(b[i + j]));
    return half_fold_lanes(s);
}

float l2sqr(const uint16_t *a, const uint16_t *b, size_t d) {
    return lane_sum(a, b, d, [](float s, float x, float y) {
        float t = x - y;
        float p = t * t;
        return s + p;
    });
}

float inner_product(const uint16_t *a, const uint16_t *b, size_t d) {
    return lane_sum(a, b, d, [](float s, float x, float y) {
        float p = x * y;
        return s + p;
    });
}

float l1(const uint16_t *a, const uint16_t *b, size_t d) {
    return lane_sum(a, b, d, [](float s, float x, float y) {
        float t = x - y;
        return s + (t < 0 ? -t : t);
    });
}

void cosine_parts(const uint16_t *a, const uint16_t *b, size_t d, float *dot, float *norma,
                  float *normb) {
    *dot = inner_product(a, b, d);
    *norma = inner_product(a, a, d);
    *normb = inner_product(b, b, d);
}

} // namespace

const HalfKernels half_kernels_scalar = {"scalar", h2f, f2h, l2sqr, inner_product, l1, cosine_parts};

} // namespace pgvq
