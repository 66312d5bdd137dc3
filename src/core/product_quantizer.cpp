/*
 * product_quantizer.cpp: PQ training (k-means per sub-space, sub-spaces in
 * parallel), encoding (GEMM nearest sub-centroid, row blocks in parallel),
 * decoding and distance tables.
 */
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "blas.h"
#include "distances.h"
#include "errors.h"
#include "kmeans.h"
#include "product_quantizer.h"

#include "cpp_only.h"

namespace pgvq {

void pq_check_args(size_t d, size_t M, int nbits) {
    PGVQ_CHECK_ARG(d > 0, "product quantizer: dimension must be positive");
    PGVQ_CHECK_ARG(M > 0, "product quantizer: m must be positive");
    PGVQ_CHECK_ARG(d % M == 0, "product quantizer: dimension %zu is not a multiple of m = %zu", d,
                   M);
    PGVQ_CHECK_ARG(nbits >= 1 && nbits <= 8,
                   "product quantizer: nbits must be between 1 and 8 (got %d)", nbits);
    PGVQ_CHECK_ARG(d <= (size_t)std::numeric_limits<int>::max() / 2,
                   "product quantizer: dimension %zu too large", d);
}

ProductQuantizer::ProductQuantizer(size_t d_, size_t M_, size_t nbits_)
    : d(d_), M(M_), nbits(nbits_), dsub(0), ksub(0), code_size(M_) {
    pq_check_args(d, M, nbits_ > 8 ? 9 : (int)nbits_);
    dsub = d / M;
    ksub = size_t(1) << nbits;
    centroids.assign(M * ksub * dsub, 0.0f);
}

void ProductQuantizer::train(size_t n, const float *x, const StopChecker &stop) {
    PGVQ_CHECK_ARG(n > 0, "product quantizer: no training rows");
    PGVQ_CHECK_ARG(x != nullptr, "product quantizer: no input");
    PGVQ_CHECK_ARG(n <= std::numeric_limits<size_t>::max() / d,
                   "product quantizer: n * d overflows");
    check_finite(n, d, x, "product quantizer");
    blas_init(); /* before any worker thread can call OpenBLAS */
    stop.check();

    /* Sub-spaces in parallel; spare threads go to each sub-space's k-means. */
    const int total = resolve_threads(cp.nthreads);
    const int outer = (int)std::min<size_t>((size_t)total, M);
    const int inner = std::max(1, total / outer);
    std::vector<float> trained(M * ksub * dsub);

    parallel_for(M, outer, stop, [&](size_t j, int, const StopChecker &sub_stop) {
        std::vector<float> xs(n * dsub);
        for (size_t i = 0; i < n; i++)
            std::memcpy(xs.data() + i * dsub, x + i * d + j * dsub, dsub * sizeof(float));
        ClusteringParameters c = cp;
        c.nthreads = inner;
        c.seed = cp.seed + j;
        Clustering clus(dsub, ksub, c);
        clus.train(n, xs.data(), sub_stop);
        std::memcpy(trained.data() + j * ksub * dsub, clus.centroids.data(),
                    ksub * dsub * sizeof(float));
    });
    centroids.swap(trained);
}

void ProductQuantizer::compute_codes(size_t n, const float *x, uint8_t *codes,
                                     const StopChecker &stop) const {
    pq_compute_codes(n, d, x, M, ksub, centroids.data(), codes, cp.nthreads, stop);
}

void ProductQuantizer::decode(size_t n, const uint8_t *codes, float *x) const noexcept {
    pq_decode(n, d, codes, M, ksub, centroids.data(), x);
}

void ProductQuantizer::compute_distance_table(int metric, const float *q,
                                              float *table) const noexcept {
    pq_compute_distance_table(metric, d, q, M, ksub, centroids.data(), table);
}

void pq_compute_codes(size_t n, size_t d, const float *x, size_t M, size_t ksub,
                      const float *codebooks, uint8_t *codes, int nthreads,
                      const StopChecker &stop) {
    stop.check();
    if (n == 0)
        return;
    blas_init();
    const size_t dsub = d / M;
    std::vector<float> cnorms(M * ksub);
    fvec_norms_L2sqr(M * ksub, dsub, codebooks, cnorms.data());

    const size_t bx = rows_per_block(n);
    const size_t nblocks = (n + bx - 1) / bx;
    const int nt = effective_threads(nthreads, nblocks);
    struct Scratch {
        std::vector<float> ip, best;
        std::vector<int64_t> arg;
    };
    std::vector<Scratch> scratch((size_t)nt);
    for (auto &s : scratch) {
        s.ip.resize(nearest_l2_scratch_size(bx, ksub));
        s.best.resize(bx);
        s.arg.resize(bx);
    }

    parallel_for(nblocks, nthreads, stop, [&](size_t b, int tid, const StopChecker &) {
        Scratch &s = scratch[(size_t)tid];
        const size_t i0 = b * bx;
        const size_t rows = std::min(bx, n - i0);
        for (size_t j = 0; j < M; j++) {
            nearest_l2_block(rows, dsub, x + i0 * d + j * dsub, d, ksub,
                             codebooks + j * ksub * dsub, cnorms.data() + j * ksub, s.best.data(),
                             s.arg.data(), s.ip.data());
            uint8_t *c = codes + i0 * M + j;
            for (size_t r = 0; r < rows; r++)
                c[r * M] = (uint8_t)s.arg[r];
        }
    });
}

void pq_decode(size_t n, size_t d, const uint8_t *codes, size_t M, size_t ksub,
               const float *codebooks, float *x) noexcept {
    const size_t dsub = d / M;
    const unsigned mask = (unsigned)(ksub - 1);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *c = codes + i * M;
        float *out = x + i * d;
        for (size_t j = 0; j < M; j++)
            std::memcpy(out + j * dsub, codebooks + (j * ksub + (c[j] & mask)) * dsub,
                        dsub * sizeof(float));
    }
}

void pq_compute_distance_table(int metric, size_t d, const float *q, size_t M, size_t ksub,
                               const float *codebooks, float *table) noexcept {
    if (metric != METRIC_L2 && metric != METRIC_IP) {
        std::fill(table, table + M * ksub, std::numeric_limits<float>::quiet_NaN());
        return;
    }
    const size_t dsub = d / M;
    const DistanceKernels &k = kernels();
    for (size_t j = 0; j < M; j++)
        k.distances_1xn(metric, q + j * dsub, ksub, dsub, codebooks + j * ksub * dsub,
                        table + j * ksub);
}

void pq_ip_table_transposed(size_t d, const float *q, size_t M, size_t ksub, const float *cbT,
                            float scale, float *table) noexcept {
    kernels().pq_ip_table_t(d, q, M, ksub, cbT, scale, table);
}

void fvec_madd(size_t n, const float *a, float bf, const float *b, float *c) noexcept {
    kernels().fvec_madd(n, a, bf, b, c);
}

} // namespace pgvq
