/*
 * half_distances.cpp: one fp16 query against n contiguous fp16 rows
 * (pgvq_hvec_distances_1xn_f64), for the flat index's halfvec pages.  The
 * kernels of the current SIMD level are looked up once per call.  Nothing
 * here allocates or throws.
 */
#include <cstddef>
#include <cstdint>

#include "distances.h"
#include "half_kernels.h"
#include "pgvq_core_half.h"

#include "cpp_only.h"

extern "C" {

void pgvq_hvec_distances_1xn_f64(int metric, const uint16_t *q, size_t n, size_t d,
                                 const uint16_t *x, double *out) {
    const pgvq::HalfKernels &k = pgvq::half_kernels();

    for (size_t i = 0; i < n; i++) {
        const uint16_t *xi = x + i * d;
        switch (metric) {
        case PGVQ_METRIC_IP:
            out[i] = -static_cast<double>(k.inner_product(xi, q, d));
            break;
        case PGVQ_METRIC_COSINE: {
            float dot, na, nb;
            k.cosine_parts(xi, q, d, &dot, &na, &nb);
            out[i] = pgvq::cosine_distance_f64(dot, na, nb);
            break;
        }
        case PGVQ_METRIC_L1:
            out[i] = static_cast<double>(k.l1(xi, q, d));
            break;
        default:
            out[i] = static_cast<double>(k.l2sqr(xi, q, d));
            break;
        }
    }
}

} // extern "C"
