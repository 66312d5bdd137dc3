/*
 * test_pq.cpp: product quantizer error bounds, distance tables, the code
 * scanner (every implementation), and argument errors.
 */
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "distances.h"
#include "pgvq_core.h"
#include "product_quantizer.h"

namespace {

/* Correlated data with some structure: a few Gaussian blobs, anisotropic. */
std::vector<float> make_data(size_t n, size_t d, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    const size_t nblobs = 16;
    std::vector<float> centres(nblobs * d), x(n * d);
    for (auto &v : centres)
        v = nd(rng) * 4.0f;
    for (size_t i = 0; i < n; i++) {
        size_t b = (size_t)(rng() % nblobs);
        for (size_t j = 0; j < d; j++)
            x[i * d + j] = centres[b * d + j] + nd(rng) * (1.0f + (float)(j % 4));
    }
    return x;
}

double variance(const std::vector<float> &x, size_t n, size_t d) {
    double total = 0;
    for (size_t j = 0; j < d; j++) {
        double s = 0, s2 = 0;
        for (size_t i = 0; i < n; i++) {
            s += x[i * d + j];
            s2 += (double)x[i * d + j] * x[i * d + j];
        }
        total += s2 / n - (s / n) * (s / n);
    }
    return total; /* mean squared distance to the mean */
}

/* Mean squared reconstruction error of a PQ trained and applied on x. */
double pq_mse(const std::vector<float> &x, size_t n, size_t d, size_t m, int nbits,
              std::vector<float> *codebooks_out = nullptr, std::vector<uint8_t> *codes_out = nullptr) {
    std::vector<float> cb(m * ((size_t)1 << nbits) * (d / m));
    pgvq_kmeans_params p;
    pgvq_kmeans_params_default(&p);
    p.niter = 15;
    pgvq_status st;
    EXPECT_EQ(pgvq_pq_train(n, d, x.data(), m, nbits, &p, cb.data(), &st), PGVQ_OK) << st.message;
    std::vector<uint8_t> codes(n * m);
    EXPECT_EQ(pgvq_pq_encode(n, d, x.data(), m, nbits, cb.data(), codes.data(), 0, nullptr,
                             nullptr, &st),
              PGVQ_OK)
        << st.message;
    std::vector<float> rec(n * d);
    pgvq_pq_decode(n, d, codes.data(), m, nbits, cb.data(), rec.data());
    double err = 0;
    for (size_t i = 0; i < n * d; i++)
        err += ((double)x[i] - rec[i]) * ((double)x[i] - rec[i]);
    if (codebooks_out)
        *codebooks_out = cb;
    if (codes_out)
        *codes_out = codes;
    return err / n;
}

double ref_l2(const float *a, const float *b, size_t d) {
    double s = 0;
    for (size_t j = 0; j < d; j++)
        s += ((double)a[j] - b[j]) * ((double)a[j] - b[j]);
    return s;
}

} // namespace

TEST(PQ, ReconstructionErrorBoundAndMonotone) {
    const size_t n = 3000, d = 32;
    auto x = make_data(n, d, 1);
    const double var = variance(x, n, d);
    double prev = std::numeric_limits<double>::infinity();
    for (size_t m : {2, 4, 8, 16}) {
        double mse = pq_mse(x, n, d, m, 6);
        EXPECT_LT(mse, 0.5 * var) << "m " << m;
        EXPECT_LT(mse, prev) << "m " << m;
        prev = mse;
    }
    prev = std::numeric_limits<double>::infinity();
    for (int nbits : {1, 2, 4, 6, 8}) {
        double mse = pq_mse(x, n, d, 8, nbits);
        EXPECT_LT(mse, (nbits == 1 ? 0.9 : 0.5) * var) << "nbits " << nbits;
        EXPECT_LT(mse, prev) << "nbits " << nbits;
        prev = mse;
    }
}

/* Encoding picks the nearest sub-centroid in every sub-space (brute force). */
TEST(PQ, EncodeIsNearestSubCentroid) {
    const size_t n = 500, d = 24, m = 6, nbits = 5, ksub = 32, dsub = 4;
    auto x = make_data(n, d, 2);
    std::vector<float> cb;
    std::vector<uint8_t> codes;
    pq_mse(x, n, d, m, nbits, &cb, &codes);
    size_t mismatches = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++) {
            double best = std::numeric_limits<double>::infinity();
            size_t arg = 0;
            for (size_t c = 0; c < ksub; c++) {
                double v = ref_l2(&x[i * d + j * dsub], &cb[(j * ksub + c) * dsub], dsub);
                if (v < best) {
                    best = v;
                    arg = c;
                }
            }
            if (codes[i * m + j] != arg) {
                double got = ref_l2(&x[i * d + j * dsub], &cb[(j * ksub + codes[i * m + j]) * dsub],
                                    dsub);
                EXPECT_LE(got, best + 1e-4 * (1 + best)); /* only a near tie may differ */
                mismatches++;
            }
        }
    EXPECT_LT(mismatches, n * m / 100);
}

/* sum_j table[j][code_j] = distance to the decoded vector (L2 and IP). */
TEST(PQ, TableDistanceEqualsDecodedDistance) {
    const size_t n = 800, d = 48, m = 12;
    const int nbits = 4;
    const size_t ksub = 16;
    auto x = make_data(n, d, 3);
    std::vector<float> cb;
    std::vector<uint8_t> codes;
    pq_mse(x, n, d, m, nbits, &cb, &codes);
    auto q = make_data(5, d, 4);
    std::vector<float> table(m * ksub), rec(d), dist(n);
    for (size_t qi = 0; qi < 5; qi++) {
        const float *qv = &q[qi * d];
        for (int metric : {PGVQ_METRIC_L2, PGVQ_METRIC_IP}) {
            pgvq_pq_distance_table(metric, d, qv, m, nbits, cb.data(), table.data());
            pgvq_pq_scan_codes(m, nbits, table.data(), 0.0f, n, codes.data(), dist.data());
            for (size_t i = 0; i < n; i++) {
                pgvq_pq_decode(1, d, &codes[i * m], m, nbits, cb.data(), rec.data());
                double want = 0, scale = 0;
                if (metric == PGVQ_METRIC_L2) {
                    want = ref_l2(qv, rec.data(), d);
                    scale = want;
                } else {
                    for (size_t j = 0; j < d; j++) {
                        want -= (double)qv[j] * rec[j];
                        scale += std::fabs((double)qv[j] * rec[j]);
                    }
                }
                ASSERT_NEAR(dist[i], want, 1e-5 * scale + 1e-5) << "metric " << metric << " i " << i;
            }
        }
    }
    /* Unsupported metric: NaN table, never garbage. */
    pgvq_pq_distance_table(PGVQ_METRIC_COSINE, d, &q[0], m, nbits, cb.data(), table.data());
    for (float v : table)
        EXPECT_TRUE(std::isnan(v));
}

/* Every scan implementation the CPU runs = per-code table sums, bit for bit,
 * for every m, n (tails) and nbits, including out-of-range code bytes. */
TEST(PQ, ScanCodesEqualsTableSums) {
    struct Impl {
        const char *name;
        pgvq::PqScanFn fn;
        int level;
    };
    const int top = pgvq::simd_level_supported();
    std::vector<Impl> impls = {{"scalar", pgvq::pq_scan_codes_scalar, 0},
                               {"gather_avx2", pgvq::pq_scan_codes_gather_avx2, 1},
                               {"gather_avx512", pgvq::pq_scan_codes_gather_avx512, 2},
                               {"perm_avx2", pgvq::pq_scan_codes_perm_avx2, 1},
                               {"perm_avx512", pgvq::pq_scan_codes_perm_avx512, 2}};
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> ud(-3.0f, 3.0f);
    for (int nbits = 1; nbits <= 8; nbits++) {
        const size_t ksub = (size_t)1 << nbits;
        for (size_t m = 1; m <= 40; m += (m < 12 ? 1 : 7)) {
            std::vector<float> table(m * ksub);
            for (auto &v : table)
                v = ud(rng);
            for (size_t n : {0, 1, 3, 15, 16, 17, 31, 33, 100}) {
                /* Exactly n * m bytes, so any over-read is caught by ASan. */
                std::vector<uint8_t> codes(n * m);
                for (auto &c : codes)
                    c = (uint8_t)(rng() & 0xFF); /* high bits set when nbits < 8 */
                std::vector<float> want(n);
                for (size_t i = 0; i < n; i++) {
                    float s = 0.25f;
                    for (size_t j = 0; j < m; j++)
                        s += table[j * ksub + (codes[i * m + j] & (ksub - 1))];
                    want[i] = s;
                }
                for (const Impl &impl : impls) {
                    if (impl.level > top)
                        continue;
                    std::vector<float> got(n + 1, 777.0f);
                    impl.fn(m, ksub, table.data(), 0.25f, n, codes.data(), got.data());
                    for (size_t i = 0; i < n; i++)
                        ASSERT_EQ(got[i], want[i]) << impl.name << " nbits " << nbits << " m "
                                                   << m << " n " << n << " i " << i;
                    ASSERT_EQ(got[n], 777.0f) << "wrote past n";
                }
                std::vector<float> got(n + 1);
                pgvq_pq_scan_codes(m, nbits, table.data(), 0.25f, n, codes.data(), got.data());
                for (size_t i = 0; i < n; i++)
                    ASSERT_EQ(got[i], want[i]);
            }
        }
    }
}

TEST(PQ, AllNbitsTrainAndEncode) {
    const size_t n = 600, d = 8, m = 2;
    auto x = make_data(n, d, 6);
    for (int nbits = 1; nbits <= 8; nbits++) {
        std::vector<float> cb;
        std::vector<uint8_t> codes;
        double mse = pq_mse(x, n, d, m, nbits, &cb, &codes);
        EXPECT_TRUE(std::isfinite(mse));
        for (uint8_t c : codes)
            ASSERT_LT((size_t)c, (size_t)1 << nbits);
        for (float v : cb)
            ASSERT_TRUE(std::isfinite(v));
    }
    /* Fewer training rows than centroids still works (duplicated centroids). */
    std::vector<float> cb(m * 256 * (d / m));
    EXPECT_EQ(pgvq_pq_train(100, d, x.data(), m, 8, nullptr, cb.data(), nullptr), PGVQ_OK);
}

TEST(PQ, DeterministicAcrossThreads) {
    const size_t n = 2000, d = 16, m = 4;
    auto x = make_data(n, d, 7);
    auto run = [&](int nthreads) {
        pgvq_kmeans_params p;
        pgvq_kmeans_params_default(&p);
        p.nthreads = nthreads;
        p.niter = 5;
        std::vector<float> cb(m * 64 * (d / m));
        EXPECT_EQ(pgvq_pq_train(n, d, x.data(), m, 6, &p, cb.data(), nullptr), PGVQ_OK);
        std::vector<uint8_t> codes(n * m);
        EXPECT_EQ(pgvq_pq_encode(n, d, x.data(), m, 6, cb.data(), codes.data(), nthreads, nullptr,
                                 nullptr, nullptr),
                  PGVQ_OK);
        return std::make_pair(cb, codes);
    };
    auto a = run(1), b = run(3);
    EXPECT_EQ(a.first, b.first);
    EXPECT_EQ(a.second, b.second);
}

TEST(PQ, InvalidArguments) {
    auto x = make_data(100, 10, 8);
    std::vector<float> cb(4 * 256 * 10);
    std::vector<uint8_t> codes(100 * 4);
    pgvq_status st;
    /* d % m != 0 */
    EXPECT_EQ(pgvq_pq_train(100, 10, x.data(), 4, 4, nullptr, cb.data(), &st),
              PGVQ_INVALID_ARGUMENT);
    EXPECT_NE(std::string(st.message).find("multiple"), std::string::npos) << st.message;
    EXPECT_EQ(pgvq_pq_encode(100, 10, x.data(), 4, 4, cb.data(), codes.data(), 1, nullptr, nullptr,
                             &st),
              PGVQ_INVALID_ARGUMENT);
    /* nbits out of range, m = 0, n = 0 */
    EXPECT_EQ(pgvq_pq_train(100, 10, x.data(), 5, 0, nullptr, cb.data(), &st),
              PGVQ_INVALID_ARGUMENT);
    EXPECT_EQ(pgvq_pq_train(100, 10, x.data(), 5, 9, nullptr, cb.data(), &st),
              PGVQ_INVALID_ARGUMENT);
    EXPECT_EQ(pgvq_pq_train(100, 10, x.data(), 0, 4, nullptr, cb.data(), &st),
              PGVQ_INVALID_ARGUMENT);
    EXPECT_EQ(pgvq_pq_train(0, 10, x.data(), 5, 4, nullptr, cb.data(), &st),
              PGVQ_INVALID_ARGUMENT);
    EXPECT_EQ(pgvq_pq_encode(100, 10, x.data(), 5, 9, cb.data(), codes.data(), 1, nullptr, nullptr,
                             &st),
              PGVQ_INVALID_ARGUMENT);
    x[3] = std::numeric_limits<float>::quiet_NaN();
    EXPECT_EQ(pgvq_pq_train(100, 10, x.data(), 5, 4, nullptr, cb.data(), &st),
              PGVQ_INVALID_ARGUMENT);
    /* The never-failing functions write NaN on a bad shape. */
    std::vector<float> out(20, 0.0f);
    pgvq_pq_decode(2, 10, codes.data(), 4, 4, cb.data(), out.data());
    for (float v : out)
        EXPECT_TRUE(std::isnan(v));
    std::vector<float> dist(3, 0.0f);
    pgvq_pq_scan_codes(4, 0, cb.data(), 0.0f, 3, codes.data(), dist.data());
    for (float v : dist)
        EXPECT_TRUE(std::isnan(v));
}

TEST(PQ, CancelTrainAndEncode) {
    const size_t n = 3000, d = 16, m = 4;
    auto x = make_data(n, d, 9);
    struct Counter {
        int polls = 0, after = 0;
    };
    auto fn = [](void *arg) -> int {
        auto *c = static_cast<Counter *>(arg);
        return ++c->polls > c->after;
    };
    for (int after : {0, 1, 2}) { /* polls that happen whatever the timing */
        Counter c{0, after};
        pgvq_kmeans_params p;
        pgvq_kmeans_params_default(&p);
        p.should_stop = fn;
        p.stop_arg = &c;
        p.nthreads = 2;
        std::vector<float> cb(m * 256 * (d / m));
        pgvq_status st;
        EXPECT_EQ(pgvq_pq_train(n, d, x.data(), m, 8, &p, cb.data(), &st), PGVQ_CANCELLED);
        EXPECT_EQ(c.polls, after + 1);
    }
    std::vector<float> cb(m * 16 * (d / m), 0.0f);
    std::vector<uint8_t> codes(n * m);
    for (int after : {0, 1}) {
        Counter c{0, after};
        pgvq_status st;
        EXPECT_EQ(pgvq_pq_encode(n, d, x.data(), m, 4, cb.data(), codes.data(), 2, fn, &c, &st),
                  PGVQ_CANCELLED);
    }
}
