/*
 * kmeans.cpp: Clustering::train and the GEMM assignment.
 *
 * Training: check the input, seed with k-means++ on a random sample, then
 * `niter` Lloyd iterations: GEMM assignment of all rows, centroid update as
 * double-precision means, repair of empty clusters by splitting the largest one
 * (Faiss' split_clusters), optional renormalisation.  A final assignment gives
 * the objective of the returned centroids.
 *
 * Determinism: every random draw comes from one mt19937_64 seeded with `seed`
 * and consumed in a fixed order on the calling thread; threads only compute
 * per-block / per-cluster results whose values do not depend on which thread
 * runs them, and every reduction is done in a fixed order.  So the result
 * depends on (data, k, parameters), not on timing.
 */
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <queue>
#include <random>
#include <utility>
#include <vector>

#include "blas.h"
#include "distances.h"
#include "errors.h"
#include "kmeans.h"
#include "parallel.h"

#include "cpp_only.h"

namespace pgvq {

namespace {

constexpr size_t kColBlock = 1024; /* centroids per GEMM */

} // namespace

/* Rows per assignment block: a function of n only (see assign_l2). */
size_t rows_per_block(size_t n) {
    size_t b = n / 64;
    b = std::max<size_t>(32, std::min<size_t>(512, b));
    return (b + 15) & ~size_t(15);
}

namespace {

/* Index of the first minimum of v[0..n) (n >= 1); NaNs are skipped.  Eight
 * independent running minima keep the first pass vectorisable. */
size_t argmin_row(const float *v, size_t n, float *minval) {
    float m[8];
    for (int l = 0; l < 8; l++)
        m[l] = std::numeric_limits<float>::infinity();
    size_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int l = 0; l < 8; l++)
            m[l] = v[j + l] < m[l] ? v[j + l] : m[l];
    for (int l = 0; j < n; j++, l++)
        m[l] = v[j] < m[l] ? v[j] : m[l];
    float best = m[0];
    for (int l = 1; l < 8; l++)
        best = m[l] < best ? m[l] : best;
    for (j = 0; j < n; j++)
        if (v[j] == best)
            break;
    if (j == n) { /* every value is NaN */
        *minval = std::numeric_limits<float>::infinity();
        return 0;
    }
    *minval = best;
    return j;
}

double uniform01(std::mt19937_64 &rng) { return (double)(rng() >> 11) * 0x1.0p-53; }

size_t uniform_index(std::mt19937_64 &rng, size_t n) {
    return (size_t)(uniform01(rng) * (double)n) % n;
}

void normalize_rows(size_t n, size_t d, float *x) {
    for (size_t i = 0; i < n; i++) {
        float *row = x + i * d;
        double s = 0;
        for (size_t j = 0; j < d; j++)
            s += (double)row[j] * row[j];
        if (s > 0) {
            float inv = (float)(1.0 / std::sqrt(s));
            for (size_t j = 0; j < d; j++)
                row[j] *= inv;
        }
    }
}

} // namespace

void check_finite(size_t n, size_t d, const float *x, const char *what) {
    const size_t total = n * d;
    for (size_t i = 0; i < total; i++)
        if (!std::isfinite(x[i]))
            throw_invalid("%s: input row %zu contains a NaN or infinite value", what, i / d);
}

namespace {

/* The GEMM path: ip <- |c|^2 - 2 <x, c> block by block of centroids, then the
 * arg-min of each row.  ip: rows * min(k, kColBlock) floats. */
void nearest_l2_block(size_t rows, size_t d, const float *x, size_t ldx, size_t k,
                      const float *centroids, const float *cnorms, float *best, int64_t *arg,
                      float *ip) noexcept {
    const size_t bc = std::min(k, kColBlock);
    for (size_t r = 0; r < rows; r++) {
        best[r] = std::numeric_limits<float>::infinity();
        arg[r] = 0;
    }
    for (size_t c0 = 0; c0 < k; c0 += bc) {
        const size_t cols = std::min(bc, k - c0);
        /* ip <- |c|^2 - 2 <x, c> */
        for (size_t r = 0; r < rows; r++)
            std::memcpy(ip + r * cols, cnorms + c0, cols * sizeof(float));
        sgemm_nt(rows, cols, d, -2.0f, x, ldx, centroids + c0 * d, d, 1.0f, ip, cols);
        for (size_t r = 0; r < rows; r++) {
            float v;
            size_t j = argmin_row(ip + r * cols, cols, &v);
            if (v < best[r]) {
                best[r] = v;
                arg[r] = (int64_t)(c0 + j);
            }
        }
    }
}

} // namespace

namespace {

CentroidSearch::Kind pick_kind(size_t k, size_t d, int kind) {
    if (k >= ((size_t)1 << 30) || kind == CentroidSearch::kGemm)
        return CentroidSearch::kGemm;
    if (kind == CentroidSearch::kTiny || kind == CentroidSearch::kFused) {
        PGVQ_CHECK_ARG(kind == CentroidSearch::kFused || d <= kTinyMaxDim,
                       "centroid search: the tiny kernel takes at most %zu dimensions",
                       kTinyMaxDim);
        return (CentroidSearch::Kind)kind;
    }
    if (d <= kTinyMaxDim)
        return CentroidSearch::kTiny;
    return d <= kFusedMaxDim ? CentroidSearch::kFused : CentroidSearch::kGemm;
}

} // namespace

CentroidSearch::CentroidSearch(size_t k, size_t d, const float *centroids, int kind)
    : k_(k), d_(d), cent_(centroids), kind_(pick_kind(k, d, kind)) {
    if (kind_ != kFused) {
        norms_.resize(k);
        fvec_norms_L2sqr(k, d, centroids, norms_.data());
        return;
    }
    const size_t nblk = (k + 15) / 16;
    norms_.assign(nblk * 16, std::numeric_limits<float>::infinity());
    fvec_norms_L2sqr(k, d, centroids, norms_.data());
    packed_.assign(nblk * d * 16, 0.0f);
    for (size_t c = 0; c < k; c++) {
        float *blk = packed_.data() + (c / 16) * d * 16 + c % 16;
        for (size_t j = 0; j < d; j++)
            blk[j * 16] = centroids[c * d + j];
    }
}

size_t CentroidSearch::scratch_size(size_t rows) const noexcept {
    return kind_ == kGemm ? rows * std::min(k_, kColBlock) : 0;
}

void CentroidSearch::nearest(size_t rows, const float *x, size_t ldx, float *best, int64_t *arg,
                             float *ip) const noexcept {
    if (kind_ == kTiny)
        kernels().nearest_tiny(rows, d_, x, ldx, k_, cent_, norms_.data(), best, arg);
    else if (kind_ == kFused)
        kernels().nearest_small(rows, d_, x, ldx, k_, packed_.data(), norms_.data(), best, arg);
    else
        nearest_l2_block(rows, d_, x, ldx, k_, cent_, norms_.data(), best, arg, ip);
}

void assign_l2(size_t n, size_t d, const float *x, const CentroidSearch &cs, int64_t *labels,
               float *distances, int nthreads, const StopChecker &stop, const float *xnorms) {
    if (n == 0)
        return;
    blas_init();
    const size_t bx = rows_per_block(n);
    const size_t nblocks = (n + bx - 1) / bx;
    const int nt = effective_threads(nthreads, nblocks);

    /* Per-thread scratch, allocated once: inner products and the best per row. */
    struct Scratch {
        std::vector<float> ip, best;
    };
    std::vector<Scratch> scratch((size_t)nt);
    for (auto &s : scratch) {
        s.ip.resize(cs.scratch_size(bx));
        s.best.resize(bx);
    }
    const DistanceKernels &kern = kernels();

    parallel_for(nblocks, nthreads, stop, [&](size_t b, int tid, const StopChecker &) {
        Scratch &s = scratch[(size_t)tid];
        const size_t i0 = b * bx;
        const size_t rows = std::min(bx, n - i0);
        const float *xb = x + i0 * d;
        cs.nearest(rows, xb, d, s.best.data(), labels + i0, s.ip.data());
        if (distances) {
            for (size_t r = 0; r < rows; r++) {
                const float xn = xnorms ? xnorms[i0 + r] : kern.norm_l2sqr(xb + r * d, d);
                const float dist = xn + s.best[r];
                distances[i0 + r] = dist > 0.0f ? dist : 0.0f;
            }
        }
    });
}

namespace {

/* Rows per chunk of the k-means++ draw (fixed: the draws must not depend on
 * the thread count). */
constexpr size_t kSeedChunk = 256;
/* Chunks per parallel block of the k-means++ update. */
constexpr size_t kSeedChunksPerBlock = 8;

/*
 * csum[q] = the sum in row order, in double, of w over chunk q (kSeedChunk
 * rows), for the chunks q0 <= q < q1 (at most kSeedChunksPerBlock) with
 * changed[q - q0]: the
 * full chunks side by side, so that the chunks' chains of additions overlap
 * (one chain is bound by the latency of an addition), each in its own order.
 */
void chunk_sums(const std::vector<float> &w, size_t q0, size_t q1, const bool *changed,
                std::vector<double> &csum) {
    const size_t n = w.size();
    size_t full[kSeedChunksPerBlock], nfull = 0;
    for (size_t q = q0; q < q1; q++) {
        if (!changed[q - q0])
            continue;
        if ((q + 1) * kSeedChunk <= n) {
            full[nfull++] = q;
            continue;
        }
        double sum = 0; /* the last, partial chunk */
        for (size_t i = q * kSeedChunk; i < n; i++)
            sum += w[i];
        csum[q] = sum;
    }
    double sum[kSeedChunksPerBlock] = {};
    for (size_t i = 0; i < kSeedChunk; i++)
        for (size_t f = 0; f < nfull; f++)
            sum[f] += w[full[f] * kSeedChunk + i];
    for (size_t f = 0; f < nfull; f++)
        csum[full[f]] = sum[f];
}

/* The row where the running sum of w (rows of weight <= 0 skipped) first
 * passes r, walking chunk sums csum (of kSeedChunk rows each) first; the last
 * row of positive weight when rounding runs past the end.  0 < r < sum(csum). */
size_t pick_weighted(const std::vector<float> &w, const std::vector<double> &csum, double r) {
    const size_t n = w.size();
    double cum = 0, before = 0;
    size_t last_q = 0;
    for (size_t q = 0; q < csum.size(); q++) {
        if (!(csum[q] > 0))
            continue;
        last_q = q;
        before = cum;
        if (cum + csum[q] > r)
            break;
        cum += csum[q];
    }
    cum = before;
    /* In chunk last_q: the row where cum passes r, or its last positive row. */
    const size_t i0 = last_q * kSeedChunk, i1 = std::min(n, i0 + kSeedChunk);
    size_t last_positive = i0;
    for (size_t i = i0; i < i1; i++) {
        if (w[i] <= 0)
            continue;
        last_positive = i;
        cum += w[i];
        if (cum > r)
            return i;
    }
    return last_positive;
}

/*
 * k-means++ seeding: k centroids (cent, (k, d)) drawn from the rows
 * x[sample[i]], each new one with probability proportional to the squared
 * distance of a row to its nearest centroid so far (mind[i], kept with that
 * centroid's index near[i]).  After a pick, a row whose nearest centroid a is
 * at least twice as far from the new centroid c as from the row
 * (|c - c_a|^2 > 4 mind, with a margin of 1e-3 for rounding) cannot be nearer
 * to c, by the triangle inequality; its distance to c is not computed.  The
 * updates, and so the picks, are what a full scan gives, at a fraction of the
 * cost once centroids are spread out (most rows are skipped).
 */
void seed_kmeanspp(size_t d, size_t k, const float *x, const std::vector<size_t> &sample,
                   float *cent, std::mt19937_64 &rng, int nthreads, const StopChecker &stop) {
    const DistanceKernels &kern = kernels();
    const size_t ns = sample.size();
    std::vector<float> mind(ns, std::numeric_limits<float>::infinity());
    std::vector<size_t> near(ns, 0);
    std::vector<float> cc(k); /* |c_j - c_new|^2 for the centroids so far */
    /* Sums of mind over chunks of kSeedChunk rows (in row order), redone only
     * for the chunks an update changed: the draw walks the chunks, then rows. */
    const size_t nchunks = (ns + kSeedChunk - 1) / kSeedChunk;
    std::vector<double> csum(nchunks);
    const size_t snblocks = (nchunks + kSeedChunksPerBlock - 1) / kSeedChunksPerBlock;
    /* Parallel only when one update is large enough to pay for starting
     * threads (every round starts them again): on a busy machine a new thread
     * can wait milliseconds to run, and the round waits for it. */
    const int seed_threads = (ns * d >= (size_t)1 << 24) ? nthreads : 1;
    /* Short vectors: each chunk's rows transposed, (d, kSeedChunk), so that
     * one kernel call updates a chunk across rows (no pruning: computing all
     * is cheaper than testing). */
    const bool small = d <= kFusedMaxDim;
    std::vector<float> xT;
    if (small) {
        xT.resize(nchunks * d * kSeedChunk);
        for (size_t i = 0; i < ns; i++)
            for (size_t j = 0; j < d; j++)
                xT[((i / kSeedChunk) * d + j) * kSeedChunk + i % kSeedChunk] = x[sample[i] * d + j];
    }
    auto update_min = [&](size_t c) {
        const float *cn = cent + c * d;
        for (size_t j = 0; j < c && !small; j++)
            cc[j] = kern.l2sqr(cent + j * d, cn, d);
        parallel_for(snblocks, seed_threads, stop, [&](size_t b, int, const StopChecker &) {
            const size_t q0 = b * kSeedChunksPerBlock;
            const size_t q1 = std::min(nchunks, q0 + kSeedChunksPerBlock);
            bool changed[kSeedChunksPerBlock];
            for (size_t q = q0; q < q1; q++) {
                const size_t i0 = q * kSeedChunk, i1 = std::min(ns, i0 + kSeedChunk);
                changed[q - q0] = c == 0;
                if (small)
                    changed[q - q0] |=
                        kern.l2sqr_min_update_t(i1 - i0, d, xT.data() + q * d * kSeedChunk,
                                                 kSeedChunk, cn, mind.data() + i0);
                for (size_t i = small ? i1 : i0; i < i1; i++) {
                    if (c > 0 && cc[near[i]] > mind[i] * 4.004f)
                        continue;
                    float dd = kern.l2sqr(x + sample[i] * d, cn, d);
                    if (dd < mind[i]) {
                        mind[i] = dd;
                        near[i] = c;
                        changed[q - q0] = true;
                    }
                }
            }
            chunk_sums(mind, q0, q1, changed, csum);
        });
    };
    size_t first = uniform_index(rng, ns);
    std::memcpy(cent, x + sample[first] * d, d * sizeof(float));
    update_min(0);
    for (size_t c = 1; c < k; c++) {
        double total = 0;
        for (size_t q = 0; q < nchunks; q++)
            total += csum[q];
        size_t pick;
        if (total > 0 && std::isfinite(total)) {
            pick = pick_weighted(mind, csum, uniform01(rng) * total);
        } else {
            /* Every sampled row coincides with a centroid: fewer distinct
             * rows than clusters.  Duplicate one; Lloyd repairs it. */
            pick = uniform_index(rng, ns);
        }
        std::memcpy(cent + c * d, x + sample[pick] * d, d * sizeof(float));
        update_min(c);
    }
}

} // namespace

Clustering::Clustering(size_t d_, size_t k_, const ClusteringParameters &cp)
    : ClusteringParameters(cp), d(d_), k(k_) {}

void Clustering::train(size_t n, const float *x, const StopChecker &stop) {
    PGVQ_CHECK_ARG(d > 0, "k-means: dimension must be positive");
    PGVQ_CHECK_ARG(k > 0, "k-means: number of clusters must be positive");
    PGVQ_CHECK_ARG(n > 0, "k-means: no training rows");
    PGVQ_CHECK_ARG(x != nullptr, "k-means: no input");
    PGVQ_CHECK_ARG(niter >= 0, "k-means: niter must not be negative");
    PGVQ_CHECK_ARG(d <= (size_t)std::numeric_limits<int>::max() / 2,
                   "k-means: dimension %zu too large", d);
    PGVQ_CHECK_ARG(n <= std::numeric_limits<size_t>::max() / d, "k-means: n * d overflows");
    PGVQ_CHECK_ARG(k <= std::numeric_limits<size_t>::max() / d, "k-means: k * d overflows");
    check_finite(n, d, x, "k-means");
    blas_init();
    stop.check();

    std::mt19937_64 rng(seed);
    centroids.assign(k * d, 0.0f);
    objectives.clear();
    nsplit = 0;
    iterations = 0;
    float *cent = centroids.data();

    std::vector<int64_t> labels(n);
    std::vector<float> dist(n), xnorms(n);
    fvec_norms_L2sqr(n, d, x, xnorms.data()); /* once, for every assignment */

    auto assign_and_score = [&]() {
        const CentroidSearch cs(k, d, cent);
        assign_l2(n, d, x, cs, labels.data(), dist.data(), nthreads, stop, xnorms.data());
        double obj = 0;
        for (size_t i = 0; i < n; i++)
            obj += dist[i];
        objectives.push_back(obj);
    };

    if (k >= n) {
        /* Every row is its own centroid; the rest are jittered copies. */
        std::memcpy(cent, x, n * d * sizeof(float));
        std::vector<float> scratch(d);
        for (size_t c = n; c < k; c++) {
            size_t src = uniform_index(rng, n);
            std::memcpy(cent + c * d, x + src * d, d * sizeof(float));
            std::memcpy(scratch.data(), x + src * d, d * sizeof(float));
            split_pair(cent + c * d, scratch.data(), d); /* jitter only the copy */
        }
        if (spherical)
            normalize_rows(k, d, cent);
        assign_and_score();
        return;
    }

    /* ---- k-means++ seeding on a sample ---- */
    size_t ns = std::max(seed_points_per_centroid * k, seed_min_points);
    ns = std::min(std::max(ns, k), n);
    std::vector<size_t> sample(n);
    std::iota(sample.begin(), sample.end(), size_t(0));
    if (ns < n) {
        for (size_t i = 0; i < ns; i++) /* partial Fisher-Yates */
            std::swap(sample[i], sample[i + uniform_index(rng, n - i)]);
        /* In memory order for the scans (the order a sort gives, in O(n)). */
        std::vector<bool> picked(n, false);
        for (size_t i = 0; i < ns; i++)
            picked[sample[i]] = true;
        sample.clear();
        for (size_t i = 0; i < n; i++)
            if (picked[i])
                sample.push_back(i);
    }
    seed_kmeanspp(d, k, x, sample, cent, rng, nthreads, stop);
    std::vector<size_t>().swap(sample);
    if (spherical)
        normalize_rows(k, d, cent);

    /* ---- Lloyd iterations ---- */
    /*
     * The centroids after an iteration are a function of the labels it
     * started from alone (the means, then the splits, which overwrite every
     * empty cluster).  So once the labels repeat those of p = 1 or 2
     * iterations before, every later iteration repeats the one p before it:
     * stop_when_stable stops there and fills in what the rest would give
     * (objectives, splits, and the centroids of the right phase).
     */
    std::vector<size_t> counts(k), splits; /* splits[i]: in iteration i */
    std::vector<int64_t> prev(n), prev2;   /* the labels 1 and 2 iterations back */
    std::vector<float> prev_cent;          /* the centroids 1 iteration back */

    assign_and_score();
    for (int it = 0; it < niter; it++) {
        std::fill(counts.begin(), counts.end(), 0);
        for (size_t i = 0; i < n; i++)
            counts[(size_t)labels[i]]++;
        if (stop_when_stable) {
            prev_cent.assign(cent, cent + k * d);
            prev2 = prev;
        }
        update_means(n, d, k, x, labels.data(), counts, cent, nthreads, stop);
        splits.push_back(split_empty(k, d, counts, cent));
        nsplit += splits.back();
        if (spherical)
            normalize_rows(k, d, cent);
        prev.swap(labels);
        assign_and_score();
        iterations = it + 1;
        const size_t t = (size_t)it + 1;
        const size_t p = labels == prev ? 1 : (it >= 1 && labels == prev2) ? 2 : 0;
        if (!stop_when_stable || p == 0)
            continue;
        for (size_t m = t + 1; m <= (size_t)niter; m++) {
            objectives.push_back(objectives[m - p]);
            splits.push_back(splits[m - 1 - p]);
            nsplit += splits.back();
        }
        if (p == 2 && ((size_t)niter - t) % 2 == 1)
            std::copy(prev_cent.begin(), prev_cent.end(), cent);
        break;
    }
}

} // namespace pgvq
