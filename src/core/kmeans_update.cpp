/*
 * kmeans_update.cpp: the update step of Clustering::train's Lloyd iterations:
 * the means of the clusters, then the repair of empty clusters.  Both depend
 * on the labels alone (the stop in train relies on it).
 */
#include <algorithm>
#include <cstring>
#include <queue>
#include <utility>
#include <vector>

#include "kmeans.h"
#include "split_clusters.h"
#include "parallel.h"

#include "cpp_only.h"

namespace pgvq {

namespace {

/* Clusters per parallel block of the grouped centroid update. */
constexpr size_t kUpdateClusters = 16;
/* The row-order update while its k * d sums stay this small (in L2). */
constexpr size_t kRowOrderSums = (size_t)1 << 15;

} // namespace

/*
 * The mean of each non-empty cluster (counts[c] > 0) into cent, in double,
 * each cluster's rows added in row order; empty clusters keep their centroid.
 * Short vectors (k * d <= kRowOrderSums): one pass over the rows into k * d
 * sums (rows of PQ sub-vectors are too short to regroup); otherwise the rows
 * are grouped by cluster (stably) and blocks of clusters summed in parallel.
 * Both add the same numbers in the same order.
 */
void update_means(size_t n, size_t d, size_t k, const float *x, const int64_t *labels,
                  const std::vector<size_t> &counts, float *cent, int nthreads,
                  const StopChecker &stop) {
    if (k * d <= kRowOrderSums) {
        std::vector<double> sums(k * d, 0.0);
        for (size_t i = 0; i < n; i++) {
            double *a = sums.data() + (size_t)labels[i] * d;
            const float *row = x + i * d;
            for (size_t j = 0; j < d; j++)
                a[j] += row[j];
        }
        for (size_t c = 0; c < k; c++) {
            if (counts[c] == 0)
                continue;
            const double inv = 1.0 / (double)counts[c];
            for (size_t j = 0; j < d; j++)
                cent[c * d + j] = (float)(sums[c * d + j] * inv);
        }
        return;
    }
    /* Rows grouped by cluster, in row order within a cluster. */
    std::vector<size_t> pos(k + 1, 0), order(n);
    for (size_t c = 0; c < k; c++)
        pos[c + 1] = pos[c] + counts[c];
    for (size_t i = 0; i < n; i++)
        order[pos[(size_t)labels[i]]++] = i; /* pos[c] ends at the start of c + 1 */
    const size_t nblocks = (k + kUpdateClusters - 1) / kUpdateClusters;
    std::vector<std::vector<double>> acc((size_t)effective_threads(nthreads, nblocks),
                                         std::vector<double>(d));
    parallel_for(nblocks, nthreads, stop, [&](size_t b, int tid, const StopChecker &) {
        double *a = acc[(size_t)tid].data();
        const size_t c1 = std::min(k, (b + 1) * kUpdateClusters);
        for (size_t c = b * kUpdateClusters; c < c1; c++) {
            if (counts[c] == 0)
                continue;
            std::fill(a, a + d, 0.0);
            const size_t p1 = pos[c], p0 = p1 - counts[c];
            for (size_t p = p0; p < p1; p++) {
                const float *row = x + order[p] * d;
                for (size_t j = 0; j < d; j++)
                    a[j] += row[j];
            }
            const double inv = 1.0 / (double)counts[c];
            for (size_t j = 0; j < d; j++)
                cent[c * d + j] = (float)(a[j] * inv);
        }
    });
}

/* Each empty cluster (counts[c] == 0) takes half of the largest one
 * (split_clusters.h, shared with gpu/).  Returns the number of splits. */
size_t split_empty(size_t k, size_t d, std::vector<size_t> &counts, float *cent) {
    bool any_empty = false;
    for (size_t c = 0; c < k && !any_empty; c++)
        any_empty = counts[c] == 0;
    return any_empty ? split::split_empty(k, d, counts.data(), cent) : 0;
}

void split_pair(float *a, float *b, size_t d) { split::split_pair(a, b, d); }

} // namespace pgvq
