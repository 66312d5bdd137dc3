/*
 * topk.cpp: the bulk operations of TopK.
 */
#include <algorithm>

#include "topk.h"

#include "cpp_only.h"

namespace pgvq {

void TopK::push_many_after(size_t n, const float *distances, const int64_t *ids,
                           float after_distance, int64_t after_id) noexcept {
    for (size_t i = 0; i < n; i++) {
        const float d = distances[i];
        const int64_t id = ids[i];
        if (pair_less(after_distance, after_id, d, id))
            push(d, id);
    }
}

size_t TopK::extract_sorted(float *distances, int64_t *ids) noexcept {
    Entry *h = heap_.get();
    std::sort_heap(h, h + size_, less);
    for (size_t i = 0; i < size_; i++) {
        distances[i] = h[i].distance;
        ids[i] = h[i].id;
    }
    size_t n = size_;
    size_ = 0;
    return n;
}

} // namespace pgvq
