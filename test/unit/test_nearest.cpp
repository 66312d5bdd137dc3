/*
 * test_nearest.cpp: the fused nearest-centroid kernel for short vectors
 * (CentroidSearch with fused = 1, nearest_small in distances.h) against brute
 * force and against the GEMM path, on every SIMD level; ties, NaN and padding.
 */
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "distances.h"
#include "errors.h"
#include "kmeans.h"

namespace {

std::vector<float> uniform(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> ud(-1.0f, 1.0f);
    std::vector<float> x(n);
    for (auto &v : x)
        v = ud(rng);
    return x;
}

/* |c|^2 - 2 <x, c> in double. */
double score(const float *x, const float *c, size_t d) {
    double n = 0, ip = 0;
    for (size_t j = 0; j < d; j++) {
        n += (double)c[j] * c[j];
        ip += (double)x[j] * c[j];
    }
    return n - 2 * ip;
}

struct Result {
    std::vector<float> best;
    std::vector<int64_t> arg;
};

Result search(const pgvq::CentroidSearch &cs, size_t rows, const float *x, size_t ldx) {
    Result r{std::vector<float>(rows), std::vector<int64_t>(rows, -1)};
    std::vector<float> ip(cs.scratch_size(rows) + 1);
    cs.nearest(rows, x, ldx, r.best.data(), r.arg.data(), ip.data());
    return r;
}

/* Restores the SIMD level a test changed. */
struct LevelGuard {
    int saved = pgvq::kernels().level;
    ~LevelGuard() { pgvq::set_simd_level(saved); }
};

} // namespace

/* Every level, shapes around the block sizes (16 centroids, 8/4 rows), rows
 * read with a stride: the fused result is the brute-force nearest wherever
 * the best is not a near tie, and the GEMM path agrees. */
TEST(Nearest, FusedEqualsBruteForceOnEveryLevel) {
    LevelGuard guard;
    const size_t rows = 37, ldx = 40;
    for (int level = 0; level <= pgvq::simd_level_supported(); level++) {
        ASSERT_EQ(pgvq::set_simd_level(level), level);
        for (size_t d : {1, 3, 8, 16, 17, 32}) {
            for (size_t k : {1, 5, 16, 33, 256, 300}) {
                auto x = uniform(rows * ldx, (uint32_t)(d * 1000 + k));
                auto cent = uniform(k * d, (uint32_t)(d * 7 + k * 3));
                const pgvq::CentroidSearch fused(k, d, cent.data(), pgvq::CentroidSearch::kFused),
                    gemm(k, d, cent.data(), pgvq::CentroidSearch::kGemm);
                ASSERT_TRUE(fused.fused());
                ASSERT_FALSE(gemm.fused());
                EXPECT_EQ(fused.scratch_size(rows), 0u);
                Result f = search(fused, rows, x.data(), ldx);
                Result g = search(gemm, rows, x.data(), ldx);
                if (d <= pgvq::kTinyMaxDim) {
                    const pgvq::CentroidSearch tiny(k, d, cent.data(), pgvq::CentroidSearch::kTiny);
                    EXPECT_EQ(tiny.scratch_size(rows), 0u);
                    Result t = search(tiny, rows, x.data(), ldx);
                    EXPECT_EQ(t.arg, f.arg) << "level " << level << " d " << d << " k " << k;
                }
                for (size_t r = 0; r < rows; r++) {
                    const float *xr = x.data() + r * ldx;
                    double best = std::numeric_limits<double>::infinity(), second = best;
                    int64_t arg = 0;
                    for (size_t c = 0; c < k; c++) {
                        double v = score(xr, cent.data() + c * d, d);
                        if (v < best) {
                            second = best;
                            best = v;
                            arg = (int64_t)c;
                        } else if (v < second) {
                            second = v;
                        }
                    }
                    const double tol = 1e-5 * (1.0 + std::fabs(best));
                    ASSERT_GE(f.arg[r], 0);
                    ASSERT_LT(f.arg[r], (int64_t)k);
                    EXPECT_NEAR(f.best[r], best, tol) << "level " << level << " d " << d;
                    if (second - best > 2 * tol) {
                        EXPECT_EQ(f.arg[r], arg) << "level " << level << " d " << d << " k " << k;
                        EXPECT_EQ(g.arg[r], arg) << "level " << level << " d " << d << " k " << k;
                    }
                }
            }
        }
    }
}

/* The AVX2 and AVX-512 kernels give the same bits (one FMA per dimension, in
 * order), so an index does not depend on which of them built it. */
TEST(Nearest, Avx2AndAvx512GiveTheSameBits) {
    if (pgvq::simd_level_supported() < pgvq::SIMD_AVX512)
        GTEST_SKIP() << "this CPU has no AVX-512";
    LevelGuard guard;
    const size_t rows = 203, d = 16, k = 256;
    auto x = uniform(rows * d, 5);
    auto cent = uniform(k * d, 6);
    const pgvq::CentroidSearch cs(k, d, cent.data(), 1);
    pgvq::set_simd_level(pgvq::SIMD_AVX2);
    Result a = search(cs, rows, x.data(), d);
    pgvq::set_simd_level(pgvq::SIMD_AVX512);
    Result b = search(cs, rows, x.data(), d);
    EXPECT_EQ(std::memcmp(a.best.data(), b.best.data(), rows * sizeof(float)), 0);
    EXPECT_EQ(a.arg, b.arg);
}

/* The rows-in-lanes kernel for d <= 8 gives the blocked kernel's values and
 * indices bit for bit on every level: every d, k around 16 and the PQ sizes
 * (16, 256), row counts around the group sizes (8, 16, 32, 64 rows), rows read
 * with a stride, values with exact ties (a coarse grid) and NaN centroids. */
TEST(Nearest, TinyEqualsFusedBitForBitOnEveryLevel) {
    LevelGuard guard;
    const size_t ldx = 11;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (int level = 0; level <= pgvq::simd_level_supported(); level++) {
        ASSERT_EQ(pgvq::set_simd_level(level), level);
        for (size_t d = 1; d <= pgvq::kTinyMaxDim; d++) {
            for (size_t k : {1, 7, 16, 17, 256, 300}) {
                for (size_t rows : {1, 7, 8, 15, 16, 33, 40, 64, 65, 100, 203}) {
                    const uint32_t seed = (uint32_t)(level * 100000 + d * 1000 + k * 3 + rows);
                    auto x = uniform(rows * ldx, seed);
                    auto cent = uniform(k * d, seed + 1);
                    /* A grid of 0.5: many centroids at the same score. */
                    for (size_t i = 0; i < cent.size(); i += 2)
                        cent[i] = std::round(cent[i] * 2.0f) / 2.0f;
                    for (size_t i = 0; i < x.size(); i += 3)
                        x[i] = std::round(x[i] * 2.0f) / 2.0f;
                    if (k > 7)
                        cent[5 * d] = nan;
                    const pgvq::CentroidSearch tiny(k, d, cent.data(), pgvq::CentroidSearch::kTiny),
                        fused(k, d, cent.data(), pgvq::CentroidSearch::kFused);
                    ASSERT_EQ(tiny.kind(), pgvq::CentroidSearch::kTiny);
                    Result t = search(tiny, rows, x.data(), ldx);
                    Result f = search(fused, rows, x.data(), ldx);
                    ASSERT_EQ(t.arg, f.arg) << "level " << level << " d " << d << " k " << k
                                            << " rows " << rows;
                    ASSERT_EQ(std::memcmp(t.best.data(), f.best.data(), rows * sizeof(float)), 0)
                        << "level " << level << " d " << d << " k " << k << " rows " << rows;
                }
            }
        }
    }
}

/* Ties go to the smaller index, also across lanes and blocks of 16; a
 * centroid with a NaN is never chosen; all NaN gives +inf and index 0; on
 * both short-row kernels. */
TEST(Nearest, TiesNaNAndPadding) {
    LevelGuard guard;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (int kind : {pgvq::CentroidSearch::kFused, pgvq::CentroidSearch::kTiny}) {
        for (int level = 0; level <= pgvq::simd_level_supported(); level++) {
            pgvq::set_simd_level(level);
            const size_t d = 2, k = 40;
            /* Centroid 7, 23 and 39 equal and nearest (lanes 7 of blocks 0-2). */
            std::vector<float> cent(k * d, 5.0f);
            for (size_t c : {7, 23, 39}) {
                cent[c * d] = 1.0f;
                cent[c * d + 1] = 1.0f;
            }
            std::vector<float> x = {1.0f, 1.0f, 1.1f, 0.9f, 0.9f, 1.1f};
            Result r = search(pgvq::CentroidSearch(k, d, cent.data(), kind), 3, x.data(), d);
            EXPECT_EQ(r.arg, (std::vector<int64_t>{7, 7, 7}))
                << "level " << level << " kind " << kind;

            /* NaN in the would-be nearest: the next one. */
            cent[7 * d + 1] = nan;
            cent[23 * d] = nan;
            r = search(pgvq::CentroidSearch(k, d, cent.data(), kind), 1, x.data(), d);
            EXPECT_EQ(r.arg[0], 39) << "level " << level << " kind " << kind;

            std::vector<float> all_nan(k * d, nan);
            r = search(pgvq::CentroidSearch(k, d, all_nan.data(), kind), 1, x.data(), d);
            EXPECT_EQ(r.arg[0], 0);
            EXPECT_TRUE(std::isinf(r.best[0]) && r.best[0] > 0);
        }
    }
}

/* The default picks the tiny kernel up to kTinyMaxDim dimensions, the fused
 * one up to kFusedMaxDim; the tiny kernel refuses longer rows. */
TEST(Nearest, DefaultChoice) {
    using CS = pgvq::CentroidSearch;
    std::vector<float> cent(64 * 64, 0.0f);
    EXPECT_EQ(CS(64, 1, cent.data()).kind(), CS::kTiny);
    EXPECT_EQ(CS(64, pgvq::kTinyMaxDim, cent.data()).kind(), CS::kTiny);
    EXPECT_EQ(CS(64, pgvq::kTinyMaxDim + 1, cent.data()).kind(), CS::kFused);
    EXPECT_TRUE(CS(64, pgvq::kFusedMaxDim, cent.data()).fused());
    EXPECT_FALSE(CS(64, pgvq::kFusedMaxDim + 1, cent.data()).fused());
    EXPECT_EQ(CS(64, 4, cent.data(), CS::kFused).kind(), CS::kFused);
    EXPECT_THROW(CS(64, pgvq::kTinyMaxDim + 1, cent.data(), CS::kTiny), pgvq::InvalidArgument);
}

namespace {

/* k-means++ as kmeans.cpp did before it skipped rows: every row's distance to
 * every new centroid, the running sum over all rows in order.  n <= 4096, so
 * the whole input is the seeding sample. */
std::vector<float> kmeanspp_reference(const std::vector<float> &x, size_t n, size_t d, size_t k,
                                      uint64_t seed) {
    std::mt19937_64 rng(seed);
    auto u01 = [&] { return (double)(rng() >> 11) * 0x1.0p-53; };
    auto uidx = [&](size_t m) { return (size_t)(u01() * (double)m) % m; };
    const pgvq::DistanceKernels &kern = pgvq::kernels();
    std::vector<float> cent(k * d), mind(n, std::numeric_limits<float>::infinity());
    /* The core's distances: the sum in order over the dimensions for short
     * vectors (l2sqr_min_update_t), the SIMD kernel otherwise. */
    auto dist = [&](const float *a, const float *b) {
        if (d > pgvq::kFusedMaxDim)
            return kern.l2sqr(a, b, d);
        float s = 0;
        for (size_t j = 0; j < d; j++) {
            const float t = a[j] - b[j];
            const float t2 = t * t; /* no FMA contraction */
            s += t2;
        }
        return s;
    };
    auto add = [&](size_t c, size_t row) {
        std::memcpy(&cent[c * d], &x[row * d], d * sizeof(float));
        for (size_t i = 0; i < n; i++)
            mind[i] = std::min(mind[i], dist(&x[i * d], &cent[c * d]));
    };
    add(0, uidx(n));
    for (size_t c = 1; c < k; c++) {
        double total = 0;
        for (size_t i = 0; i < n; i++)
            total += mind[i];
        size_t pick = 0;
        if (total > 0) {
            double r = u01() * total, cum = 0;
            for (size_t i = 0; i < n; i++) {
                if (mind[i] <= 0)
                    continue;
                pick = i;
                cum += mind[i];
                if (cum > r)
                    break;
            }
        } else {
            pick = uidx(n);
        }
        add(c, pick);
    }
    return cent;
}

} // namespace

/* Skipping rows the triangle inequality rules out, and drawing through chunk
 * sums, picks the same seeds as the full scan (niter 0 returns the seeds). */
TEST(Nearest, KmeansppSeedsEqualTheFullScan) {
    struct Case {
        size_t n, d, k;
        float spread;
    };
    for (Case c : {Case{4000, 16, 256, 0.3f}, Case{3000, 100, 64, 0.1f}, Case{2000, 8, 200, 2.0f},
                   Case{1500, 2, 300, 0.0f}}) {
        /* Clustered rows (spread 0: many exact duplicates). */
        std::mt19937 rng((uint32_t)c.n);
        std::normal_distribution<float> nd(0.0f, 1.0f);
        std::vector<float> centres(50 * c.d), x(c.n * c.d);
        for (auto &v : centres)
            v = nd(rng) * 5.0f;
        for (size_t i = 0; i < c.n; i++)
            for (size_t j = 0; j < c.d; j++)
                x[i * c.d + j] = centres[(i % 50) * c.d + j] + c.spread * nd(rng);
        pgvq::ClusteringParameters cp;
        cp.niter = 0;
        cp.seed = 99;
        pgvq::Clustering clus(c.d, c.k, cp);
        clus.train(c.n, x.data());
        const std::vector<float> ref = kmeanspp_reference(x, c.n, c.d, c.k, cp.seed);
        EXPECT_EQ(std::memcmp(clus.centroids.data(), ref.data(), ref.size() * sizeof(float)), 0)
            << "n " << c.n << " d " << c.d << " k " << c.k;
    }
}

/* The transposed k-means++ update gives the bits of the in-order sum on every
 * level (no FMA contraction), and reports whether anything fell. */
TEST(Nearest, TransposedMinUpdateSameBitsOnEveryLevel) {
    LevelGuard guard;
    const size_t n = 203, ld = 256;
    for (size_t d : {1, 2, 4, 8, 13}) { /* 2, 4, 8: the unrolled forms */
        auto xT = uniform(d * ld, (uint32_t)(11 + d));
        auto c = uniform(d, 12);
        std::vector<float> start = uniform(n, 13);
        for (auto &v : start)
            v = std::fabs(v) * 4.0f; /* some rows fall, some do not */
        std::vector<float> ref(start);
        for (size_t i = 0; i < n; i++) {
            float s = 0;
            for (size_t j = 0; j < d; j++) {
                const float t = xT[j * ld + i] - c[j];
                const float t2 = t * t;
                s += t2;
            }
            ref[i] = std::min(ref[i], s);
        }
        for (int level = 0; level <= pgvq::simd_level_supported(); level++) {
            pgvq::set_simd_level(level);
            std::vector<float> mind(start);
            EXPECT_TRUE(
                pgvq::kernels().l2sqr_min_update_t(n, d, xT.data(), ld, c.data(), mind.data()));
            EXPECT_EQ(std::memcmp(mind.data(), ref.data(), n * sizeof(float)), 0)
                << "level " << level << " d " << d;
            EXPECT_FALSE(
                pgvq::kernels().l2sqr_min_update_t(n, d, xT.data(), ld, c.data(), mind.data()));
        }
    }
}
