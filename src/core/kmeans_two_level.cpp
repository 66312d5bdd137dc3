/*
 * kmeans_two_level.cpp: k centroids from two levels of k-means.
 *
 * Flat k-means costs n * k * d per Lloyd iteration, and a training sample
 * that grows with k (the build samples 50 rows a list) makes that k^2: 1,000
 * lists of 768 dimensions took 9 of a build's 12.5 seconds.  Two levels cost
 * n * (k1 + k / k1) * d: k1 = round(sqrt(k)) groups are trained on every row,
 * then the rows of each group train that group's share of the k centroids,
 * in proportion to its rows (largest remainder, at least one centroid for a
 * group with rows, never more centroids than rows).  A centroid so sits
 * among the rows it stands for, and a large group is split into many small
 * lists rather than left as one list that many queries reach.
 *
 * The result is deterministic: the first level is seeded with `seed`, group j
 * with a seed derived from (seed, j), and the groups are trained one after
 * the other (each with all the threads).
 */
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "errors.h"
#include "kmeans.h"
#include "parallel.h"

#include "cpp_only.h"

namespace pgvq {

size_t two_level_groups(size_t k) {
    return std::max<size_t>(1, (size_t)std::llround(std::sqrt((double)k)));
}

/*
 * Shares of k among groups of rows[j] rows (sum n): proportional, largest
 * remainder, between 1 and rows[j] for a group with rows, 0 without.
 * Needs (nonempty groups) <= k <= n, else no such shares exist (and the loops
 * below would never end): throws std::invalid_argument.
 */
std::vector<size_t> two_level_shares(const std::vector<size_t> &rows, size_t n, size_t k) {
    const size_t g = rows.size();
    std::vector<size_t> share(g, 0);
    std::vector<double> quota(g, 0.0);
    size_t total = 0;
    size_t sum = 0, nonempty = 0;
    for (size_t r : rows) {
        sum += r;
        nonempty += r > 0;
    }
    PGVQ_CHECK_ARG(sum == n && nonempty <= k && k <= n,
                   "two-level k-means: %zu centroids for %zu groups of %zu rows (sum %zu)", k,
                   nonempty, n, sum);
    for (size_t j = 0; j < g; j++) {
        if (rows[j] == 0)
            continue;
        quota[j] = (double)k * (double)rows[j] / (double)n;
        share[j] = std::min(rows[j], std::max<size_t>(1, (size_t)std::floor(quota[j])));
        total += share[j];
    }
    /* groups by remainder, largest first (ties: the lower group) */
    std::vector<size_t> order(g);
    for (size_t j = 0; j < g; j++)
        order[j] = j;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return quota[a] - (double)share[a] > quota[b] - (double)share[b];
    });
    while (total < k) { /* k <= n: some group can take one more */
        for (size_t i = 0; i < g && total < k; i++) {
            size_t j = order[i];
            if (rows[j] > share[j]) {
                share[j]++;
                total++;
            }
        }
    }
    while (total > k) { /* only where the floor of 1 overshot */
        for (size_t i = g; i-- > 0 && total > k;) {
            size_t j = order[i];
            if (share[j] > 1) {
                share[j]--;
                total--;
            }
        }
    }
    return share;
}

void train_two_level(size_t n, size_t d, const float *x, size_t k, const ClusteringParameters &cp,
                     const StopChecker &stop, float *centroids) {
    PGVQ_CHECK_ARG(k > 0 && n > 0 && d > 0 && x != nullptr && centroids != nullptr,
                   "two-level k-means: empty input");
    const size_t g = two_level_groups(k);
    if (k >= n || g < 2 || k < 2 * g) {
        Clustering flat(d, k, cp);
        flat.train(n, x, stop);
        std::memcpy(centroids, flat.centroids.data(), k * d * sizeof(float));
        return;
    }

    /* level 1: g groups on every row */
    Clustering top(d, g, cp);
    top.train(n, x, stop);
    std::vector<int64_t> labels(n);
    {
        const CentroidSearch cs(g, d, top.centroids.data());
        assign_l2(n, d, x, cs, labels.data(), nullptr, cp.nthreads, stop);
    }
    std::vector<size_t> rows(g, 0);
    for (size_t i = 0; i < n; i++)
        rows[(size_t)labels[i]]++;
    const std::vector<size_t> share = two_level_shares(rows, n, k);

    /* level 2: each group's rows train its share */
    std::vector<float> buf;
    size_t out = 0;
    for (size_t j = 0; j < g; j++) {
        if (share[j] == 0)
            continue;
        stop.check();
        buf.resize(rows[j] * d);
        size_t r = 0;
        for (size_t i = 0; i < n; i++)
            if ((size_t)labels[i] == j)
                std::memcpy(buf.data() + (r++) * d, x + i * d, d * sizeof(float));
        ClusteringParameters sub = cp;
        sub.seed = cp.seed ^ (0x9E3779B97F4A7C15ull * (uint64_t)(j + 1));
        Clustering c(d, share[j], sub);
        c.train(rows[j], buf.data(), stop);
        std::memcpy(centroids + out * d, c.centroids.data(), share[j] * d * sizeof(float));
        out += share[j];
    }
    PGVQ_CHECK_ARG(out == k, "two-level k-means: %zu centroids for %zu", out, k);
}

} // namespace pgvq
