/*
 * half_kernels.cpp: the half-precision table of the current SIMD level and
 * the extern "C" entry points of pgvq_core_half.h.  Nothing here allocates
 * or throws.
 */
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "distances.h"
#include "half_kernels.h"
#include "pgvq_core_half.h"

#include "cpp_only.h"

namespace pgvq {

const HalfKernels &half_kernels() noexcept {
    switch (kernels().level) {
    case SIMD_AVX512:
        return half_kernels_avx512;
    case SIMD_AVX2:
        return half_kernels_avx2;
    default:
        return half_kernels_scalar;
    }
}

} // namespace pgvq

extern "C" {

float pgvq_half_to_float(uint16_t h) { return pgvq::half_to_float_scalar(h); }

uint16_t pgvq_float_to_half(float f) { return pgvq::float_to_half_scalar(f); }

void pgvq_half_to_float_n(const uint16_t *in, size_t n, float *out) {
    pgvq::half_kernels().half_to_float(in, n, out);
}

size_t pgvq_float_to_half_n(const float *in, size_t n, uint16_t *out) {
    pgvq::half_kernels().float_to_half(in, n, out);
    for (size_t i = 0; i < n; i++)
        if (PGVQ_HALF_IS_INF(out[i]) && std::isfinite(in[i]))
            return i;
    return n;
}

float pgvq_hvec_l2sqr(const uint16_t *a, const uint16_t *b, size_t d) {
    return pgvq::half_kernels().l2sqr(a, b, d);
}

float pgvq_hvec_inner_product(const uint16_t *a, const uint16_t *b, size_t d) {
    return pgvq::half_kernels().inner_product(a, b, d);
}

float pgvq_hvec_l1(const uint16_t *a, const uint16_t *b, size_t d) {
    return pgvq::half_kernels().l1(a, b, d);
}

void pgvq_hvec_cosine_parts(const uint16_t *a, const uint16_t *b, size_t d, float *dot,
                            float *norma, float *normb) {
    pgvq::half_kernels().cosine_parts(a, b, d, dot, norma, normb);
}

} // extern "C"
