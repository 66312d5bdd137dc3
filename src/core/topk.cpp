/*
 * topk.cpp: the bulk operations of TopK.
 */
#include <algorithm>

#include "topk.h"

#include "cpp_only.h"

namespace pgvq {

size_t TopK::extract_sorted(double *distances, int64_t *ids) noexcept {
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
