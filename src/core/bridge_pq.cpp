/*
 * bridge_pq.cpp: extern "C" entry points of the product quantizer.
 *
 * The functions documented "never fails" cannot report a bad argument; they
 * check the cheap invariants anyway and write NaN (or nothing) instead of
 * reading outside the codebook.
 */
#include <cmath>
#include <cstring>
#include <limits>

#include "distances.h"
#include "errors.h"
#include "kmeans.h"
#include "parallel.h"
#include "pgvq_core.h"
#include "product_quantizer.h"

#include "cpp_only.h"

namespace {

bool pq_shape_ok(size_t d, size_t m, int nbits) noexcept {
    return d > 0 && m > 0 && d % m == 0 && nbits >= 1 && nbits <= 8;
}

void fill_nan(float *p, size_t count) noexcept {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (size_t i = 0; i < count; i++)
        p[i] = nan;
}

} // namespace

extern "C" {

int pgvq_pq_train(size_t n, size_t d, const float *x, size_t m, int nbits,
                  const pgvq_kmeans_params *params, float *codebooks, pgvq_status *st) {
    PGVQ_BRIDGE_TRY
    pgvq::pq_check_args(d, m, nbits);
    PGVQ_CHECK_ARG(codebooks != nullptr, "product quantizer: no output buffer for the codebooks");
    pgvq::ProductQuantizer pq(d, m, (size_t)nbits);
    pq.cp = pgvq::clustering_parameters_from(params);
    pgvq::StopChecker stop(params ? params->should_stop : nullptr,
                           params ? params->stop_arg : nullptr);
    pq.train(n, x, stop);
    std::memcpy(codebooks, pq.centroids.data(), pq.centroids.size() * sizeof(float));
    return pgvq::status_ok(st);
    PGVQ_BRIDGE_CATCH(st, "product quantizer training")
}

int pgvq_pq_encode(size_t n, size_t d, const float *x, size_t m, int nbits,
                   const float *codebooks, uint8_t *codes, int nthreads,
                   pgvq_should_stop_fn should_stop, void *stop_arg, pgvq_status *st) {
    PGVQ_BRIDGE_TRY
    pgvq::pq_check_args(d, m, nbits);
    PGVQ_CHECK_ARG(codebooks != nullptr, "product quantizer: no codebooks");
    PGVQ_CHECK_ARG(n == 0 || (x != nullptr && codes != nullptr), "product quantizer: null buffer");
    PGVQ_CHECK_ARG(nthreads >= 0, "product quantizer: nthreads must not be negative (got %d)",
                   nthreads);
    PGVQ_CHECK_ARG(n <= std::numeric_limits<size_t>::max() / d,
                   "product quantizer: n * d overflows");
    pgvq::StopChecker stop(should_stop, stop_arg);
    pgvq::pq_compute_codes(n, d, x, m, size_t(1) << nbits, codebooks, codes, nthreads, stop);
    return pgvq::status_ok(st);
    PGVQ_BRIDGE_CATCH(st, "product quantizer encoding")
}

void pgvq_pq_decode(size_t n, size_t d, const uint8_t *codes, size_t m, int nbits,
                    const float *codebooks, float *x) {
    if (!pq_shape_ok(d, m, nbits)) {
        fill_nan(x, n * d);
        return;
    }
    pgvq::pq_decode(n, d, codes, m, size_t(1) << nbits, codebooks, x);
}

void pgvq_pq_distance_table(int metric, size_t d, const float *q, size_t m, int nbits,
                            const float *codebooks, float *table) {
    if (!pq_shape_ok(d, m, nbits)) {
        if (m > 0 && nbits >= 1 && nbits <= 8)
            fill_nan(table, m << nbits);
        return;
    }
    pgvq::pq_compute_distance_table(metric, d, q, m, size_t(1) << nbits, codebooks, table);
}

void pgvq_pq_scan_codes(size_t m, int nbits, const float *table, float bias, size_t n,
                        const uint8_t *codes, float *distances) {
    if (m == 0 || nbits < 1 || nbits > 8) {
        fill_nan(distances, n);
        return;
    }
    pgvq::kernels().pq_scan_codes(m, size_t(1) << nbits, table, bias, n, codes, distances);
}

void pgvq_pq_transpose_codebooks(size_t d, size_t m, int nbits, const float *codebooks,
                                 float *transposed) {
    if (!pq_shape_ok(d, m, nbits)) {
        if (m > 0 && nbits >= 1 && nbits <= 8 && d > 0)
            fill_nan(transposed, d << nbits);
        return;
    }
    const size_t ksub = size_t(1) << nbits, dsub = d / m;
    for (size_t j = 0; j < m; j++) {
        const float *cb = codebooks + j * ksub * dsub;
        float *t = transposed + j * ksub * dsub;
        for (size_t k = 0; k < ksub; k++)
            for (size_t s = 0; s < dsub; s++)
                t[s * ksub + k] = cb[k * dsub + s];
    }
}

void pgvq_pq_ip_table_t(size_t d, const float *q, size_t m, int nbits, const float *transposed,
                        float scale, float *table) {
    if (!pq_shape_ok(d, m, nbits)) {
        if (m > 0 && nbits >= 1 && nbits <= 8)
            fill_nan(table, m << nbits);
        return;
    }
    pgvq::pq_ip_table_transposed(d, q, m, size_t(1) << nbits, transposed, scale, table);
}

void pgvq_fvec_madd(size_t n, const float *a, float bf, const float *b, float *c) {
    pgvq::fvec_madd(n, a, bf, b, c);
}

} // extern "C"
