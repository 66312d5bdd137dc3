// sparse_distances.cpp: distances and ordering of sparse vectors given as
// sorted 0-based index arrays and their non-zero values.
//
// Each sum walks both vectors in ascending index order and adds one term per
// index present in either, in float: the order and precision of pgvector's
// merge loops, so both give the same results.  A merge has no SIMD form worth
// having at these sizes (16,000 non-zeros at most); no allocation, no throw.

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "pgvq_core.h"

#include "cpp_only.h"

namespace {

// Calls both(x, y) for an index in both vectors, only_a(x) / only_b(y) for one
// in a single vector, in ascending index order.
template <typename Both, typename OnlyA, typename OnlyB>
inline void merge_walk(const int32_t *ai, const float *ax, size_t an, const int32_t *bi,
                       const float *bx, size_t bn, Both both, OnlyA only_a, OnlyB only_b) {
    size_t i = 0, j = 0;
    while (i < an && j < bn) {
        if (ai[i] == bi[j]) {
            both(ax[i], bx[j]);
            ++i;
            ++j;
        } else if (ai[i] < bi[j]) {
            only_a(ax[i]);
            ++i;
        } else {
            only_b(bx[j]);
            ++j;
        }
    }
    for (; i < an; i++) only_a(ax[i]);
    for (; j < bn; j++) only_b(bx[j]);
}

}  // namespace

extern "C" float pgvq_svec_l2sqr(const int32_t *ai, const float *ax, size_t an, const int32_t *bi,
                                 const float *bx, size_t bn) {
    float sum = 0.0f;
    merge_walk(
        ai, ax, an, bi, bx, bn,
        [&](float x, float y) {
            float diff = x - y;
            sum += diff * diff;
        },
        [&](float x) { sum += x * x; }, [&](float y) { sum += y * y; });
    return sum;
}

extern "C" float pgvq_svec_inner_product(const int32_t *ai, const float *ax, size_t an,
                                         const int32_t *bi, const float *bx, size_t bn) {
    float sum = 0.0f;
    // Only common indices contribute: skip ahead without touching the values.
    size_t i = 0, j = 0;
    while (i < an && j < bn) {
        if (ai[i] == bi[j]) {
            sum += ax[i] * bx[j];
            ++i;
            ++j;
        } else if (ai[i] < bi[j]) {
            ++i;
        } else {
            ++j;
        }
    }
    return sum;
}

extern "C" float pgvq_svec_l1(const int32_t *ai, const float *ax, size_t an, const int32_t *bi,
                              const float *bx, size_t bn) {
    float sum = 0.0f;
    merge_walk(
        ai, ax, an, bi, bx, bn, [&](float x, float y) { sum += std::fabs(x - y); },
        [&](float x) { sum += std::fabs(x); }, [&](float y) { sum += std::fabs(y); });
    return sum;
}

extern "C" float pgvq_svec_norm_l2sqr(const float *x, size_t n) {
    float sum = 0.0f;
    for (size_t i = 0; i < n; i++) sum += x[i] * x[i];
    return sum;
}

extern "C" double pgvq_svec_norm_l2(const float *x, size_t n) {
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) sum += static_cast<double>(x[i]) * static_cast<double>(x[i]);
    return std::sqrt(sum);
}

extern "C" double pgvq_svec_cosine_distance(const int32_t *ai, const float *ax, size_t an,
                                            const int32_t *bi, const float *bx, size_t bn) {
    double dot = pgvq_svec_inner_product(ai, ax, an, bi, bx, bn);
    double na = pgvq_svec_norm_l2sqr(ax, an);
    double nb = pgvq_svec_norm_l2sqr(bx, bn);
    // One sqrt of the product; NaN (a zero norm, an overflow) passes through.
    double sim = dot / std::sqrt(na * nb);
    if (sim > 1.0)
        sim = 1.0;
    else if (sim < -1.0)
        sim = -1.0;
    return 1.0 - sim;
}

extern "C" int pgvq_svec_compare(int32_t adim, const int32_t *ai, const float *ax, size_t an,
                                 int32_t bdim, const int32_t *bi, const float *bx, size_t bn) {
    // Walk the positions where either dense form is non-zero, within the
    // shorter dimension; values are never zero, so differing indices decide.
    const int32_t limit = adim < bdim ? adim : bdim;
    size_t i = 0, j = 0;
    for (;;) {
        const bool has_a = i < an && ai[i] < limit;
        const bool has_b = j < bn && bi[j] < limit;
        if (!has_a && !has_b) break;
        const bool use_a = has_a && (!has_b || ai[i] <= bi[j]);
        const bool use_b = has_b && (!has_a || bi[j] <= ai[i]);
        const float x = use_a ? ax[i] : 0.0f;
        const float y = use_b ? bx[j] : 0.0f;
        if (x < y) return -1;
        if (x > y) return 1;
        i += use_a;
        j += use_b;
    }
    if (adim != bdim) return adim < bdim ? -1 : 1;
    return 0;
}
