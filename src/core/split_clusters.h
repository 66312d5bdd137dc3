/*
 * split_clusters.h: k-means' repair of empty clusters, shared by the core
 * (kmeans_update.cpp) and the GPU module (gpu/kmeans.cu), so that both split
 * the same clusters the same way, bit for bit.  Header-only, no dependency
 * on the rest of the core (nvcc compiles it in gpu/).
 */
#ifndef PGVQ_SPLIT_CLUSTERS_H
#define PGVQ_SPLIT_CLUSTERS_H

#include <cstddef>
#include <cstring>
#include <queue>
#include <utility>

namespace pgvq {
namespace split {

constexpr float kEps = 1.0f / 1024.0f;

/* Faiss-style perturbation: a <- a (1 +- eps), b <- b (1 -+ eps), alternating by dim. */
inline void split_pair(float *a, float *b, size_t d) {
    for (size_t j = 0; j < d; j++) {
        if (j % 2 == 0) {
            a[j] *= 1.0f + kEps;
            b[j] *= 1.0f - kEps;
        } else {
            a[j] *= 1.0f - kEps;
            b[j] *= 1.0f + kEps;
        }
    }
}

/*
 * Each empty cluster (counts[c] == 0) takes half of the largest one (ties: the
 * smaller index), Faiss' split_clusters; counts follow.  At least one cluster
 * must hold rows.  Returns the number of splits.
 */
template <typename Count>
size_t split_empty(size_t k, size_t d, Count *counts, float *cent) {
    using Item = std::pair<Count, size_t>; /* (count, k - 1 - index) */
    std::priority_queue<Item> largest;
    for (size_t c = 0; c < k; c++)
        if (counts[c] > 0)
            largest.push({counts[c], k - 1 - c});
    size_t splits = 0;
    for (size_t ci = 0; ci < k; ci++) {
        if (counts[ci] != 0)
            continue;
        const Item top = largest.top();
        largest.pop();
        const size_t cj = k - 1 - top.second;
        std::memcpy(cent + ci * d, cent + cj * d, d * sizeof(float));
        split_pair(cent + ci * d, cent + cj * d, d);
        counts[ci] = counts[cj] / 2;
        counts[cj] -= counts[ci];
        largest.push({counts[cj], k - 1 - cj});
        largest.push({counts[ci], k - 1 - ci});
        splits++;
    }
    return splits;
}

} // namespace split
} // namespace pgvq

#endif
