/*
 * product_quantizer.h: Faiss-style product quantizer.
 *
 * A d-dimensional vector is cut into M sub-vectors of dsub = d / M dimensions;
 * sub-space j has its own codebook of ksub = 2^nbits centroids, learnt by
 * k-means on the training sub-vectors.  A code is one byte per sub-space (the
 * index of the nearest sub-centroid), so nbits <= 8.
 */
#ifndef PGVQ_PRODUCT_QUANTIZER_H
#define PGVQ_PRODUCT_QUANTIZER_H

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kmeans.h"
#include "parallel.h"

#include "cpp_only.h"

namespace pgvq {

struct ProductQuantizer {
    size_t d;     /* vector dimension */
    size_t M;     /* number of sub-quantizers */
    size_t nbits; /* bits per sub-code, 1..8 */
    size_t dsub;  /* d / M */
    size_t ksub;  /* 1 << nbits */
    size_t code_size; /* bytes per code: M */
    /* Layout: (M, ksub, dsub), row-major. */
    std::vector<float> centroids;
    /* k-means settings of each sub-quantizer (seed + j for sub-space j). */
    ClusteringParameters cp;

    /* Throws InvalidArgument unless d % M == 0, M >= 1, 1 <= nbits <= 8. */
    ProductQuantizer(size_t d, size_t M, size_t nbits);

    /* x: (n, d).  Sub-spaces are trained in parallel. */
    void train(size_t n, const float *x, const StopChecker &stop = StopChecker());
    /* codes: (n, M). */
    void compute_codes(size_t n, const float *x, uint8_t *codes,
                       const StopChecker &stop = StopChecker()) const;
    /* x: (n, d). */
    void decode(size_t n, const uint8_t *codes, float *x) const noexcept;
    /* table: (M, ksub); METRIC_L2 or METRIC_IP. */
    void compute_distance_table(int metric, const float *q, float *table) const noexcept;
};

/* Validation shared by the class and the raw-pointer functions. */
void pq_check_args(size_t d, size_t M, int nbits);

/*
 * The same operations on a caller-owned codebook (M, ksub, dsub); the C API
 * passes the codebook on every call.  The arguments are assumed valid.
 */
void pq_compute_codes(size_t n, size_t d, const float *x, size_t M, size_t ksub,
                      const float *codebooks, uint8_t *codes, int nthreads,
                      const StopChecker &stop);
void pq_decode(size_t n, size_t d, const uint8_t *codes, size_t M, size_t ksub,
               const float *codebooks, float *x) noexcept;
/* table[j][k] = scale * <q_j, cb_j_k>; cbT: (M, dsub, ksub). */
void pq_ip_table_transposed(size_t d, const float *q, size_t M, size_t ksub, const float *cbT,
                            float scale, float *table) noexcept;
/* c = a + bf * b */
void fvec_madd(size_t n, const float *a, float bf, const float *b, float *c) noexcept;
void pq_compute_distance_table(int metric, size_t d, const float *q, size_t M, size_t ksub,
                               const float *codebooks, float *table) noexcept;

} // namespace pgvq

#endif
