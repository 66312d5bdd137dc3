/*
 * test_flat_sq.cpp: the flat index's first pass.  Its lower bounds are never
 * above the values the index orders by (pgvq_distance_f64, the SQL operators'
 * float8 results), for every metric, every SIMD level, random and extreme
 * data (tiny and huge scales, constant rows, outliers, zero rows, queries
 * far outside the rows' ranges), and they are tight enough to prune.
 */
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "pgvq_core.h"

namespace {

const int kMetrics[] = {PGVQ_METRIC_L2, PGVQ_METRIC_IP, PGVQ_METRIC_COSINE, PGVQ_METRIC_L1};

struct Encoded {
    size_t d, stride;
    std::vector<uint8_t> bytes;
};

Encoded encode(int metric, size_t n, size_t d, const std::vector<float> &x) {
    Encoded e{d, PGVQ_SQ_STRIDE(d), {}};
    e.bytes.assign(n * e.stride, 0xAB);
    for (size_t i = 0; i < n; i++)
        pgvq_sq_encode(metric, d, x.data() + i * d, e.bytes.data() + i * e.stride);
    return e;
}

/* Every bound <= the exact value at every SIMD level; returns how many bounds
 * were informative (finite and not -inf). */
void check_bounds(int metric, size_t n, size_t d, const std::vector<float> &x,
                  const std::vector<float> &queries, size_t nq, const std::string &what,
                  size_t *informative_out = nullptr) {
    Encoded e = encode(metric, n, d, x);
    for (size_t i = 0; i < n; i++)
        EXPECT_EQ(pgvq_sq_check_entry(metric, d, x.data() + i * d, e.bytes.data() + i * e.stride),
                  PGVQ_SQ_OK)
            << what << " row " << i;
    size_t informative = 0;
    std::vector<double> lb(n), ref;
    for (int level = 0; level <= 2; level++) {
        pgvq_set_simd_level(level);
        for (size_t k = 0; k < nq; k++) {
            const float *q = queries.data() + k * d;
            pgvq_sq_query qq;
            pgvq_sq_prepare(metric, d, q, &qq);
            pgvq_sq_lower_bounds(&qq, n, e.bytes.data(), e.stride, lb.data());
            for (size_t i = 0; i < n; i++) {
                const double exact = pgvq_distance_f64(metric, q, x.data() + i * d, d);
                ASSERT_FALSE(std::isnan(lb[i])) << what;
                if (std::isnan(exact)) {
                    /* NaN sorts last: any bound is below it */
                    continue;
                }
                ASSERT_LE(lb[i], exact) << what << " metric " << metric << " level " << level
                                        << " query " << k << " row " << i << " d " << d;
                if (std::isfinite(lb[i]))
                    informative++;
            }
        }
    }
    pgvq_set_simd_level(2);
    if (informative_out)
        *informative_out = informative;
}

std::vector<float> uniform(std::mt19937 &rng, size_t count, float lo, float hi) {
    std::uniform_real_distribution<float> u(lo, hi);
    std::vector<float> v(count);
    for (auto &f : v)
        f = u(rng);
    return v;
}

TEST(FlatSq, StrideAndEncoding) {
    EXPECT_EQ(PGVQ_SQ_STRIDE(1), 20u);
    EXPECT_EQ(PGVQ_SQ_STRIDE(4), 20u);
    EXPECT_EQ(PGVQ_SQ_STRIDE(5), 24u);
    /* integers 0..255 are coded exactly: err is only the rounding slack */
    std::vector<float> x(256);
    for (int j = 0; j < 256; j++)
        x[j] = (float)((j * 37) % 256);
    Encoded e = encode(PGVQ_METRIC_L2, 1, 256, x);
    pgvq_sq_header h;
    memcpy(&h, e.bytes.data(), sizeof(h));
    EXPECT_EQ(h.lo, 0.0f);
    EXPECT_EQ(h.step, 1.0f);
    EXPECT_LT(h.err, 1e-3f);
    EXPECT_GE(h.norm, std::sqrt(255.0f * 256 * 511 / 6) * 0.9999f);
    for (int j = 0; j < 256; j++)
        ASSERT_EQ(e.bytes[16 + j], (uint8_t)x[j]);
    /* the zero row: norm 0, err 0 */
    std::vector<float> z(7, 0.0f);
    Encoded ez = encode(PGVQ_METRIC_COSINE, 1, 7, z);
    memcpy(&h, ez.bytes.data(), sizeof(h));
    EXPECT_EQ(h.norm, 0.0f);
    EXPECT_EQ(h.err, 0.0f);
    /* padding is zero */
    EXPECT_EQ(ez.bytes[16 + 7], 0);
}

TEST(FlatSq, RandomDataEveryMetricAndLevel) {
    std::mt19937 rng(11);
    for (size_t d : {1, 3, 7, 8, 15, 16, 17, 31, 33, 100, 128, 784}) {
        const size_t n = 60, nq = 6;
        std::vector<float> x = uniform(rng, n * d, -1.0f, 1.0f);
        std::vector<float> q = uniform(rng, nq * d, -1.0f, 1.0f);
        for (int metric : kMetrics) {
            size_t inf = 0;
            check_bounds(metric, n, d, x, q, nq, "uniform", &inf);
            if (d >= 16) {
                EXPECT_GT(inf, 0u) << "metric " << metric << " d " << d;
            }
        }
    }
}

/* Rows and queries near each other: the bound is close to the exact value. */
TEST(FlatSq, NearRowsAreTightAndStillBelow) {
    std::mt19937 rng(5);
    const size_t n = 200, d = 64;
    std::vector<float> x = uniform(rng, n * d, 0.0f, 255.0f);
    std::vector<float> q(x.begin(), x.begin() + 4 * d);
    std::normal_distribution<float> nd(0.0f, 0.3f);
    for (auto &f : q)
        f += nd(rng);
    for (int metric : kMetrics)
        check_bounds(metric, n, d, x, q, 4, "near");
    /* L2: the bound of a far row is a large fraction of its value */
    Encoded e = encode(PGVQ_METRIC_L2, n, d, x);
    pgvq_sq_query qq;
    pgvq_sq_prepare(PGVQ_METRIC_L2, d, q.data(), &qq);
    std::vector<double> lb(n);
    pgvq_sq_lower_bounds(&qq, n, e.bytes.data(), e.stride, lb.data());
    for (size_t i = 1; i < n; i++) {
        const double exact = pgvq_distance_f64(PGVQ_METRIC_L2, q.data(), x.data() + i * d, d);
        EXPECT_GT(lb[i], 0.9 * exact) << "row " << i;
    }
}

TEST(FlatSq, ExtremeScales) {
    std::mt19937 rng(3);
    const size_t d = 33, n = 40;
    for (float scale : {1e-30f, 1e-20f, 1e-12f, 1e-3f, 1.0f, 1e6f, 1e15f, 1e18f, 1e30f, 3e38f}) {
        std::vector<float> x = uniform(rng, n * d, -1.0f, 1.0f);
        std::vector<float> q = uniform(rng, 3 * d, -1.0f, 1.0f);
        for (auto &f : x)
            f *= scale;
        for (auto &f : q)
            f *= scale;
        for (int metric : kMetrics)
            check_bounds(metric, n, d, x, q, 3, "scale " + std::to_string(scale));
    }
}

/* Constant rows, a single outlier, subnormals, extreme values mixed with
 * small ones, rows far from the query, the zero row and the zero query. */
TEST(FlatSq, HostileRows) {
    std::mt19937 rng(9);
    const size_t d = 19;
    std::vector<std::vector<float>> rows;
    rows.push_back(std::vector<float>(d, 0.0f));
    rows.push_back(std::vector<float>(d, 3.5f));
    rows.push_back(std::vector<float>(d, -1e-40f));
    std::vector<float> r = uniform(rng, d, -1e-3f, 1e-3f);
    r[5] = 1e6f;
    rows.push_back(r);
    r = uniform(rng, d, -1.0f, 1.0f);
    r[0] = -3.4e38f;
    r[1] = 3.4e38f;
    rows.push_back(r);
    r = uniform(rng, d, -1.0f, 1.0f);
    r[2] = 1.4e-45f;
    rows.push_back(r);
    std::vector<float> s(d, 0.0f);
    s[3] = 1e-30f;
    rows.push_back(s);
    for (int k = 0; k < 20; k++)
        rows.push_back(uniform(rng, d, -100.0f, 100.0f));
    std::vector<float> x;
    for (auto &row : rows)
        x.insert(x.end(), row.begin(), row.end());
    const size_t n = rows.size();
    std::vector<float> q;
    q.insert(q.end(), d, 0.0f);                         /* zero query */
    auto far = uniform(rng, d, 1e10f, 1e12f);           /* far outside every range */
    q.insert(q.end(), far.begin(), far.end());
    auto near = rows[3];                                 /* an outlier row itself */
    q.insert(q.end(), near.begin(), near.end());
    auto huge = uniform(rng, d, -3e38f, 3e38f);
    q.insert(q.end(), huge.begin(), huge.end());
    auto tiny = uniform(rng, d, -1e-38f, 1e-38f);
    q.insert(q.end(), tiny.begin(), tiny.end());
    for (int metric : kMetrics)
        check_bounds(metric, n, d, x, q, q.size() / d, "hostile");

    /* cosine: the zero row is bounded by +inf (its value is NaN) */
    Encoded e = encode(PGVQ_METRIC_COSINE, n, d, x);
    pgvq_sq_query qq;
    pgvq_sq_prepare(PGVQ_METRIC_COSINE, d, rows[5].data(), &qq);
    std::vector<double> lb(n);
    pgvq_sq_lower_bounds(&qq, n, e.bytes.data(), e.stride, lb.data());
    EXPECT_TRUE(std::isinf(lb[0]) && lb[0] > 0);
    EXPECT_TRUE(std::isnan(pgvq_distance_f64(PGVQ_METRIC_COSINE, rows[5].data(), rows[0].data(), d)));
}

/* Quantization fixed from other data still bounds a row whose values lie far
 * outside (codes clamp): its err grows, the bound stays below. */
TEST(FlatSq, ClampedCodesKeepValidBounds) {
    std::mt19937 rng(21);
    const size_t d = 24, n = 30;
    std::vector<float> x = uniform(rng, n * d, -1.0f, 1.0f);
    std::vector<float> q = uniform(rng, 4 * d, -1.0f, 1.0f);
    for (int metric : kMetrics) {
        Encoded e = encode(metric, n, d, x);
        /* force each entry's codes to a range that misses half its values */
        for (size_t i = 0; i < n; i++) {
            uint8_t *p = e.bytes.data() + i * e.stride;
            pgvq_sq_header h;
            memcpy(&h, p, sizeof(h));
            h.step *= 0.5f;
            memcpy(p, &h, sizeof(h));
            EXPECT_EQ(pgvq_sq_check_entry(metric, d, x.data() + i * d, p), PGVQ_SQ_ERR_TOO_SMALL);
            pgvq_sq_encode(metric, d, x.data() + i * d, p);
            EXPECT_EQ(pgvq_sq_check_entry(metric, d, x.data() + i * d, p), PGVQ_SQ_OK);
        }
    }
}

TEST(FlatSq, CheckFindsCorruption) {
    std::mt19937 rng(4);
    const size_t d = 40;
    std::vector<float> x = uniform(rng, d, -5.0f, 5.0f);
    for (int metric : kMetrics) {
        Encoded e = encode(metric, 1, d, x);
        uint8_t *p = e.bytes.data();
        ASSERT_EQ(pgvq_sq_check_entry(metric, d, x.data(), p), PGVQ_SQ_OK);
        /* a code byte far off */
        std::vector<uint8_t> c(e.bytes);
        c[16 + 7] ^= 0x80;
        EXPECT_EQ(pgvq_sq_check_entry(metric, d, x.data(), c.data()), PGVQ_SQ_ERR_TOO_SMALL);
        /* header fields */
        pgvq_sq_header h;
        memcpy(&h, p, sizeof(h));
        pgvq_sq_header bad = h;
        bad.err = -1.0f;
        EXPECT_TRUE(pgvq_sq_header_insane(&bad));
        bad = h;
        bad.step = NAN;
        EXPECT_TRUE(pgvq_sq_header_insane(&bad));
        bad = h;
        bad.lo = INFINITY;
        EXPECT_TRUE(pgvq_sq_header_insane(&bad));
        EXPECT_FALSE(pgvq_sq_header_insane(&h));
        /* the scan's bounds report an insane header (and give it no bound) */
        {
            std::vector<uint8_t> two(2 * e.stride);
            memcpy(two.data(), e.bytes.data(), e.stride);
            memcpy(two.data() + e.stride, e.bytes.data(), e.stride);
            pgvq_sq_header nan_err = h;
            nan_err.err = NAN;
            memcpy(two.data() + e.stride, &nan_err, sizeof(nan_err));
            pgvq_sq_query qq;
            pgvq_sq_prepare(metric, d, x.data(), &qq);
            double lb[2];
            EXPECT_EQ(pgvq_sq_lower_bounds(&qq, 2, two.data(), e.stride, lb), 1u);
            EXPECT_TRUE(std::isinf(lb[1]) && lb[1] < 0);
            EXPECT_EQ(pgvq_sq_lower_bounds(&qq, 1, two.data(), e.stride, lb), 0u);
        }
        bad = h;
        bad.norm = 0.0f;
        memcpy(c.data(), e.bytes.data(), e.bytes.size());
        memcpy(c.data(), &bad, sizeof(bad));
        EXPECT_EQ(pgvq_sq_check_entry(metric, d, x.data(), c.data()), PGVQ_SQ_BAD_NORM);
        bad = h;
        bad.norm = h.norm * 1.01f;
        memcpy(c.data(), &bad, sizeof(bad));
        EXPECT_EQ(pgvq_sq_check_entry(metric, d, x.data(), c.data()), PGVQ_SQ_BAD_NORM);
        bad = h;
        bad.err = h.err * 0.5f;
        memcpy(c.data(), &bad, sizeof(bad));
        EXPECT_EQ(pgvq_sq_check_entry(metric, d, x.data(), c.data()), PGVQ_SQ_ERR_TOO_SMALL);
    }
}

/* The SIMD kernels and the scalar one agree closely (their sums differ only
 * in rounding order) on every tail length. */
TEST(FlatSq, LevelsAgree) {
    std::mt19937 rng(8);
    for (size_t d = 1; d <= 70; d++) {
        const size_t n = 9;
        std::vector<float> x = uniform(rng, n * d, -2.0f, 2.0f);
        std::vector<float> q = uniform(rng, d, -2.0f, 2.0f);
        for (int metric : kMetrics) {
            Encoded e = encode(metric, n, d, x);
            pgvq_sq_query qq;
            pgvq_sq_prepare(metric, d, q.data(), &qq);
            std::vector<double> ref(n), lb(n);
            pgvq_set_simd_level(0);
            pgvq_sq_lower_bounds(&qq, n, e.bytes.data(), e.stride, ref.data());
            for (int level = 1; level <= 2; level++) {
                pgvq_set_simd_level(level);
                pgvq_sq_lower_bounds(&qq, n, e.bytes.data(), e.stride, lb.data());
                for (size_t i = 0; i < n; i++) {
                    if (std::isinf(ref[i])) {
                        ASSERT_EQ(ref[i], lb[i]);
                    } else {
                        ASSERT_NEAR(ref[i], lb[i], 1e-4 * (1.0 + std::fabs(ref[i])))
                            << "d " << d << " metric " << metric << " level " << level;
                    }
                }
            }
        }
    }
    pgvq_set_simd_level(2);
}

} // namespace
