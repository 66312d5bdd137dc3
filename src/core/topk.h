/*
 * topk.h: a bounded max-heap keeping the k smallest (distance, id) pairs.
 *
 * Order: ascending distance, ties broken by the smaller id; NaN distances sort
 * after every number (as Postgres sorts float8 NaN last), NaNs among themselves
 * by id.  -0 and +0 compare equal.  This is a strict total order on pairs, so
 * results do not depend on the order of the pushes.
 *
 * Storage (k entries) is allocated once in the constructor: push never
 * allocates and never throws.
 */
#ifndef PGVQ_TOPK_H
#define PGVQ_TOPK_H

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>

#include "cpp_only.h"

namespace pgvq {

/* (da, ia) < (db, ib) in the order above. */
inline bool pair_less(double da, int64_t ia, double db, int64_t ib) noexcept {
    const bool na = std::isnan(da), nb = std::isnan(db);
    if (__builtin_expect(na | nb, 0))
        return na == nb ? ia < ib : nb;
    if (da < db)
        return true;
    if (db < da)
        return false;
    return ia < ib;
}

class TopK {
  public:
    struct Entry {
        double distance; /* double: exact for float inputs and for cosine's float8 */
        int64_t id;
    };

    explicit TopK(size_t k) : k_(k), size_(0), heap_(new Entry[k > 0 ? k : 1]) {}

    size_t capacity() const noexcept { return k_; }
    size_t size() const noexcept { return size_; }
    void reset() noexcept { size_ = 0; }

    /* The worst kept distance once full (NaN if that is a NaN), +inf before. */
    double threshold() const noexcept {
        return (size_ == k_ && k_ > 0) ? heap_[0].distance : std::numeric_limits<double>::infinity();
    }

    void push(double distance, int64_t id) noexcept {
        if (size_ < k_) {
            sift_up(size_++, Entry{distance, id});
        } else if (k_ > 0 && pair_less(distance, id, heap_[0].distance, heap_[0].id)) {
            sift_down(Entry{distance, id});
        }
    }

    /* Pushes the candidates strictly after (after_distance, after_id);
     * T is float (PQ scores) or double (exact distances). */
    template <typename T>
    void push_many_after(size_t n, const T *distances, const int64_t *ids, double after_distance,
                         int64_t after_id) noexcept {
        size_t i = 0;
        /*
         * Blocks of kBlock: once the heap is full most candidates lie outside
         * [after_distance, threshold] and a block without one is skipped by a
         * branch-free test (NaN, after or threshold, is always "inside", so
         * the exact per-element path decides it).
         */
        for (; i + kBlock <= n; i += kBlock) {
            const double lo = after_distance, hi = threshold();
            unsigned inside = 0;
            for (size_t j = 0; j < kBlock; j++) {
                const double d = distances[i + j];
                inside |= (unsigned)(!(d < lo) & !(d > hi));
            }
            if (inside)
                push_each_after(kBlock, distances + i, ids + i, after_distance, after_id);
        }
        push_each_after(n - i, distances + i, ids + i, after_distance, after_id);
    }

    /* Writes the contents in ascending order and empties the heap. */
    size_t extract_sorted(double *distances, int64_t *ids) noexcept;

  private:
    static constexpr size_t kBlock = 16;

    template <typename T>
    void push_each_after(size_t n, const T *distances, const int64_t *ids, double after_distance,
                         int64_t after_id) noexcept {
        for (size_t i = 0; i < n; i++) {
            const double d = distances[i];
            const int64_t id = ids[i];
            if (pair_less(after_distance, after_id, d, id))
                push(d, id);
        }
    }

    static bool less(const Entry &a, const Entry &b) noexcept {
        return pair_less(a.distance, a.id, b.distance, b.id);
    }
    void sift_up(size_t pos, Entry e) noexcept {
        Entry *h = heap_.get();
        while (pos > 0) {
            size_t parent = (pos - 1) / 2;
            if (!less(h[parent], e))
                break;
            h[pos] = h[parent];
            pos = parent;
        }
        h[pos] = e;
    }
    /* Replaces the root (the worst entry) by e. */
    void sift_down(Entry e) noexcept {
        Entry *h = heap_.get();
        size_t pos = 0;
        for (;;) {
            size_t child = 2 * pos + 1;
            if (child >= size_)
                break;
            if (child + 1 < size_ && less(h[child], h[child + 1]))
                child++;
            if (!less(e, h[child]))
                break;
            h[pos] = h[child];
            pos = child;
        }
        h[pos] = e;
    }

    size_t k_;
    size_t size_;
    /* Layout: (k) entries, a binary max-heap on (distance, id); [0] is the worst kept. */
    std::unique_ptr<Entry[]> heap_;
};

} // namespace pgvq

#endif
