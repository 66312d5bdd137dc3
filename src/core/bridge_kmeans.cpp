/*
 * bridge_kmeans.cpp: extern "C" entry points for k-means and assignment.
 */
#include <cstring>
#include <limits>
#include <vector>

#include "distances.h"
#include "errors.h"
#include "kmeans.h"
#include "parallel.h"
#include "pgvq_core.h"

#include "cpp_only.h"

namespace pgvq {

ClusteringParameters clustering_parameters_from(const pgvq_kmeans_params *p) {
    pgvq::ClusteringParameters cp;
    if (p) {
        PGVQ_CHECK_ARG(p->niter >= 0, "k-means: niter must not be negative (got %d)", p->niter);
        PGVQ_CHECK_ARG(p->nthreads >= 0, "k-means: nthreads must not be negative (got %d)",
                       p->nthreads);
        cp.niter = p->niter;
        cp.seed = p->seed;
        cp.nthreads = p->nthreads;
        cp.spherical = p->spherical != 0;
    }
    return cp;
}

} // namespace pgvq

extern "C" {

void pgvq_kmeans_params_default(pgvq_kmeans_params *p) {
    pgvq::ClusteringParameters cp;
    std::memset(p, 0, sizeof(*p));
    p->niter = cp.niter;
    p->seed = cp.seed;
    p->nthreads = cp.nthreads;
    p->spherical = cp.spherical ? 1 : 0;
    p->should_stop = nullptr;
    p->stop_arg = nullptr;
}

int pgvq_kmeans_train(size_t n, size_t d, const float *x, size_t k,
                      const pgvq_kmeans_params *params, float *centroids, double *objective,
                      pgvq_status *st) {
    PGVQ_BRIDGE_TRY
    PGVQ_CHECK_ARG(centroids != nullptr, "k-means: no output buffer for the centroids");
    pgvq::Clustering clus(d, k, pgvq::clustering_parameters_from(params));
    pgvq::StopChecker stop(params ? params->should_stop : nullptr,
                           params ? params->stop_arg : nullptr);
    clus.train(n, x, stop);
    std::memcpy(centroids, clus.centroids.data(), k * d * sizeof(float));
    if (objective)
        *objective = clus.objectives.empty() ? 0.0 : clus.objectives.back();
    return pgvq::status_ok(st);
    PGVQ_BRIDGE_CATCH(st, "k-means")
}

int pgvq_kmeans_train_two_level(size_t n, size_t d, const float *x, size_t k,
                                const pgvq_kmeans_params *params, float *centroids,
                                pgvq_status *st) {
    PGVQ_BRIDGE_TRY
    PGVQ_CHECK_ARG(d > 0, "k-means: dimension must be positive");
    PGVQ_CHECK_ARG(k > 0, "k-means: number of clusters must be positive");
    PGVQ_CHECK_ARG(n > 0 && x != nullptr, "k-means: no training rows");
    PGVQ_CHECK_ARG(centroids != nullptr, "k-means: no output buffer for the centroids");
    PGVQ_CHECK_ARG(n <= std::numeric_limits<size_t>::max() / d, "k-means: n * d overflows");
    PGVQ_CHECK_ARG(k <= std::numeric_limits<size_t>::max() / d, "k-means: k * d overflows");
    pgvq::StopChecker stop(params ? params->should_stop : nullptr,
                           params ? params->stop_arg : nullptr);
    pgvq::train_two_level(n, d, x, k, pgvq::clustering_parameters_from(params), stop, centroids);
    return pgvq::status_ok(st);
    PGVQ_BRIDGE_CATCH(st, "k-means")
}

int pgvq_assign_l2(size_t n, size_t d, const float *x, size_t k, const float *centroids,
                   int64_t *labels, float *distances, int nthreads, pgvq_should_stop_fn should_stop,
                   void *stop_arg, pgvq_status *st) {
    PGVQ_BRIDGE_TRY
    PGVQ_CHECK_ARG(d > 0, "assign: dimension must be positive");
    PGVQ_CHECK_ARG(k > 0, "assign: number of centroids must be positive");
    PGVQ_CHECK_ARG(nthreads >= 0, "assign: nthreads must not be negative (got %d)", nthreads);
    PGVQ_CHECK_ARG(d <= (size_t)std::numeric_limits<int>::max() / 2,
                   "assign: dimension %zu too large", d);
    PGVQ_CHECK_ARG(n == 0 || (x != nullptr && labels != nullptr), "assign: null buffer");
    PGVQ_CHECK_ARG(centroids != nullptr, "assign: no centroids");
    PGVQ_CHECK_ARG(n <= std::numeric_limits<size_t>::max() / d, "assign: n * d overflows");
    pgvq::StopChecker stop(should_stop, stop_arg);
    const pgvq::CentroidSearch cs(k, d, centroids);
    pgvq::assign_l2(n, d, x, cs, labels, distances, nthreads, stop);
    return pgvq::status_ok(st);
    PGVQ_BRIDGE_CATCH(st, "assign")
}

} // extern "C"
