/*
 * kmeans.h: k-means++-seeded Lloyd k-means with GEMM assignment (Faiss-style
 * Clustering), and the GEMM nearest-centroid assignment on its own.
 */
#ifndef PGVQ_KMEANS_H
#define PGVQ_KMEANS_H

#include <cstddef>
#include <cstdint>
#include <vector>

#include "parallel.h"
#include "pgvq_core.h"

#include "cpp_only.h"

namespace pgvq {

struct ClusteringParameters {
    /* Lloyd iterations (assignment + update). */
    int niter = 20;
    /* Seed of every random choice (seeding sample, k-means++ draws, jitter). */
    uint64_t seed = 1234;
    /* Worker threads including the caller; 0 = hardware concurrency. */
    int nthreads = 0;
    /* Renormalise the centroids to unit length after each update. */
    bool spherical = false;
    /* k-means++ seeding runs on a random sample of at most
     * max(seed_points_per_centroid * k, seed_min_points) rows. */
    size_t seed_points_per_centroid = 16;
    size_t seed_min_points = 4096;
    /* Stop once the labels repeat those of 1 or 2 iterations before: the
     * later iterations would repeat too, so the result (centroids,
     * objectives, nsplit) is the same either way; false runs them all. */
    bool stop_when_stable = true;
};

struct Clustering : ClusteringParameters {
    size_t d;
    size_t k;
    /* Layout: (k, d). */
    std::vector<float> centroids;
    /* objectives[0] is the sum of squared distances of the rows to the seeded
     * centroids; objectives[i] (1 <= i <= niter) the same after update i.  The
     * last entry is the objective of the centroids train() returns. */
    std::vector<double> objectives;
    /* Empty clusters repaired during training (all iterations). */
    size_t nsplit = 0;
    /* Lloyd iterations run: niter, or fewer where stop_when_stable stopped. */
    int iterations = 0;

    Clustering(size_t d, size_t k, const ClusteringParameters &cp = ClusteringParameters());

    /* x: (n, d), finite.  Throws InvalidArgument, Cancelled, std::bad_alloc. */
    void train(size_t n, const float *x, const StopChecker &stop = StopChecker());
};

/* Two-level k-means (kmeans_two_level.cpp): round(sqrt(k)) groups, then each
 * group's rows train its share of the k centroids (in proportion to its rows).
 * Flat k-means where k >= n or k < 2 round(sqrt(k)).  centroids: (k, d).
 * Throws as Clustering::train. */
size_t two_level_groups(size_t k);
std::vector<size_t> two_level_shares(const std::vector<size_t> &rows, size_t n, size_t k);
void train_two_level(size_t n, size_t d, const float *x, size_t k, const ClusteringParameters &cp,
                     const StopChecker &stop, float *centroids);

/* Longest vectors the fused nearest-centroid kernel (nearest_small in
 * distances.h) searches; longer ones go through GEMM (nearest_l2_block). */
constexpr size_t kFusedMaxDim = 32;
/* Longest vectors the rows-in-lanes kernel (nearest_tiny in distances.h)
 * searches by default: PQ sub-vectors of 1 to 8 dimensions. */
constexpr size_t kTinyMaxDim = 8;

/*
 * The k centroids (k, d) an assignment searches, prepared once for many
 * searches: their squared norms and, for kTinyMaxDim < d <= kFusedMaxDim, a
 * copy in blocks of 16 for the fused kernel.  The centroids are not copied
 * otherwise and must outlive this.  nearest() is const and may run on many
 * threads at once.  The fused and the tiny kernel give the same bits.
 */
class CentroidSearch {
  public:
    enum Kind : int { kAuto = -1, kGemm = 0, kFused = 1, kTiny = 2 };
    /* kind: kAuto picks by d (tiny up to kTinyMaxDim, fused up to
     * kFusedMaxDim, GEMM beyond); the others force one (tests); kTiny
     * needs d <= kTinyMaxDim, and kFused and kTiny fall back to GEMM for
     * k >= 2^30. */
    CentroidSearch(size_t k, size_t d, const float *centroids, int kind = kAuto);
    size_t k() const noexcept { return k_; }
    size_t d() const noexcept { return d_; }
    /* No GEMM (fused or tiny kernel). */
    bool fused() const noexcept { return kind_ != kGemm; }
    Kind kind() const noexcept { return kind_; }
    /* Floats of scratch nearest() needs for `rows` rows (0 when fused). */
    size_t scratch_size(size_t rows) const noexcept;
    /*
     * The nearest centroid for rows x[r * ldx .. + d), r < rows, on the calling
     * thread: best[r] = min_c |c|^2 - 2 <x_r, c> (add |x_r|^2 for the squared
     * distance), arg[r] = its index (smaller index on ties).  ip: scratch of
     * scratch_size(rows) floats.
     */
    void nearest(size_t rows, const float *x, size_t ldx, float *best, int64_t *arg,
                 float *ip) const noexcept;

  private:
    size_t k_, d_;
    const float *cent_;
    Kind kind_;
    std::vector<float> norms_;  /* (k), or padded to blocks of 16 when kFused */
    std::vector<float> packed_; /* fused: (ceil(k / 16), d, 16) */
};

/*
 * Nearest centroid by squared L2 for each row of x (n, d) among the centroids
 * of cs (d == cs.d()): |x|^2 + |c|^2 - 2<x, c>, by blocked single-threaded
 * sgemm calls (or the fused kernel for short vectors) from our own threads.
 * Ties go to the smaller centroid index.  labels: (n); distances: (n) or
 * nullptr (clamped at 0).  xnorms: the rows' squared norms (fvec_norms_L2sqr)
 * when the caller has them, or nullptr.  Deterministic: the block shapes
 * depend only on (n, k).
 */
void assign_l2(size_t n, size_t d, const float *x, const CentroidSearch &cs, int64_t *labels,
               float *distances, int nthreads, const StopChecker &stop,
               const float *xnorms = nullptr);

/* The update of a Lloyd iteration (kmeans_update.cpp), a function of the
 * labels alone.  update_means: the mean of each non-empty cluster into cent
 * (k, d), in double, each cluster's rows added in row order; empty clusters
 * keep their centroid.  split_empty: each empty cluster takes half of the
 * largest one (ties: the smaller index; Faiss' split_clusters), counts
 * follow; returns the number of splits.  split_pair: the perturbation of a
 * split, a <- a (1 +- eps), b <- b (1 -+ eps) alternating by dimension. */
void update_means(size_t n, size_t d, size_t k, const float *x, const int64_t *labels,
                  const std::vector<size_t> &counts, float *cent, int nthreads,
                  const StopChecker &stop);
size_t split_empty(size_t k, size_t d, std::vector<size_t> &counts, float *cent);
void split_pair(float *a, float *b, size_t d);

/* Rows per assignment block for n rows (depends on n only, for determinism). */
size_t rows_per_block(size_t n);

/* The C parameters as ClusteringParameters (defaults when p is NULL); throws
 * InvalidArgument on a negative niter or nthreads.  (bridge_kmeans.cpp) */
ClusteringParameters clustering_parameters_from(const pgvq_kmeans_params *p);

/* Throws InvalidArgument unless all n*d values are finite. */
void check_finite(size_t n, size_t d, const float *x, const char *what);

} // namespace pgvq

#endif
