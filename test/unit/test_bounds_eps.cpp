/*
 * test_bounds_eps.cpp: calibrated lower bounds (pgvq_pq_lower_bounds_eps) and
 * the share that calibrates them (pgvq_pq_bound_share): at eps 1 the bits of
 * the worst-case bounds; below 1 never below them and never above the
 * operator's value of a row whose share is at most eps; the share is the
 * smallest eps that keeps a row's bound at or below its value.
 */
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "pgvq_core.h"

namespace {

/* Rows x = x^ + r with |r| = e exactly representable as an error code's
 * value, and queries q: ADC a = |q - x^|^2 and the exact value. */
struct Case {
    float adc;
    uint16_t err;
    double exact; /* squared L2 */
};

std::vector<Case> make_cases(size_t d, int n, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> nd(0.0, 1.0);
    std::vector<Case> out;
    for (int i = 0; i < n; i++) {
        std::vector<double> q(d), xh(d), r(d);
        double rn = 0;
        for (size_t k = 0; k < d; k++) {
            q[k] = nd(rng);
            xh[k] = nd(rng);
            r[k] = nd(rng);
            rn += r[k] * r[k];
        }
        const uint16_t code = (uint16_t)(32768 - 200 + (int)(rng() % 400));
        const double e = pgvq_err_decode(code), scale = e / std::sqrt(rn);
        double a = 0, ex = 0;
        for (size_t k = 0; k < d; k++) {
            const double x = xh[k] + r[k] * scale;
            a += (q[k] - xh[k]) * (q[k] - xh[k]);
            ex += (q[k] - x) * (q[k] - x);
        }
        out.push_back({(float)a, code, ex});
    }
    return out;
}

TEST(BoundsEps, OneIsTheWorstCase) {
    for (int metric : {PGVQ_METRIC_L2, PGVQ_METRIC_COSINE, PGVQ_METRIC_IP}) {
        pgvq_pq_bound_params p{metric, 32, 1e-4f, 3.0f, 2.0f, 1.5f};
        std::mt19937 rng(3);
        std::uniform_real_distribution<float> ua(0.0f, 50.0f);
        std::vector<float> adc(1000), a(1000), b(1000);
        std::vector<uint16_t> errs(1000);
        for (size_t i = 0; i < adc.size(); i++) {
            adc[i] = metric == PGVQ_METRIC_IP ? ua(rng) - 25.0f : ua(rng);
            errs[i] = (uint16_t)(i % 7 == 0 ? 65535 : 32768 - 1500 + rng() % 3000);
        }
        adc[3] = NAN;
        adc[5] = std::numeric_limits<float>::infinity();
        pgvq_pq_lower_bounds(&p, adc.size(), adc.data(), errs.data(), a.data());
        pgvq_pq_lower_bounds_eps(&p, 1.0, adc.size(), adc.data(), errs.data(), b.data());
        for (size_t i = 0; i < adc.size(); i++)
            ASSERT_EQ(std::memcmp(&a[i], &b[i], sizeof(float)), 0) << "metric " << metric << " i " << i;
        /* below 1: never below the worst case */
        for (double eps : {0.0, 0.05, 0.3, 0.99}) {
            pgvq_pq_lower_bounds_eps(&p, eps, adc.size(), adc.data(), errs.data(), b.data());
            for (size_t i = 0; i < adc.size(); i++) {
                if (!std::isnan(a[i])) {
                    ASSERT_GE(b[i], a[i]) << "metric " << metric << " eps " << eps << " i " << i;
                }
            }
        }
    }
}

TEST(BoundsEps, ShareIsTheSmallestEpsThatHolds) {
    for (size_t d : {8, 64, 768}) {
        const std::vector<Case> cases = make_cases(d, 400, (unsigned)d);
        pgvq_pq_bound_params p{PGVQ_METRIC_L2, (int)d, 0.0f, 1.0f, 1.0f, 1.0f};
        double most = -INFINITY;
        for (const Case &c : cases) {
            const double t = pgvq_pq_bound_share(PGVQ_METRIC_L2, 1.0f, c.adc, c.err, c.exact);
            ASSERT_FALSE(std::isnan(t));
            ASSERT_LE(t, 1.0 + 1e-6) << "the worst case always holds";
            most = std::max(most, t);
            float lb;
            /* at eps = share (and above) the bound holds, up to the rounding of adc */
            const double at = std::min(1.0, std::max(t, 0.0) + 1e-3);
            pgvq_pq_lower_bounds_eps(&p, at, 1, &c.adc, &c.err, &lb);
            ASSERT_LE((double)lb, c.exact * (1 + 1e-5) + 1e-9) << "d " << d << " share " << t;
            /* well below it the bound passes the value: the share is tight */
            if (t > 0.05) {
                pgvq_pq_lower_bounds_eps(&p, t - 0.05, 1, &c.adc, &c.err, &lb);
                ASSERT_GT((double)lb, c.exact) << "d " << d << " share " << t;
            }
        }
        /* random directions: the share shrinks with the dimensions */
        if (d == 768) {
            EXPECT_LT(most, 0.25);
        }
        if (d == 8) {
            EXPECT_GT(most, 0.5);
        }
    }
}

TEST(BoundsEps, ShareEdges) {
    /* no error: nothing to calibrate */
    EXPECT_EQ(pgvq_pq_bound_share(PGVQ_METRIC_L2, 1.0f, 4.0f, 0, 4.0), -INFINITY);
    EXPECT_EQ(pgvq_pq_bound_share(PGVQ_METRIC_L2, 1.0f, 4.0f, 65535, 4.0), -INFINITY);
    EXPECT_EQ(pgvq_pq_bound_share(PGVQ_METRIC_L2, 1.0f, INFINITY, 32768, 4.0), -INFINITY);
    EXPECT_EQ(pgvq_pq_bound_share(PGVQ_METRIC_L2, 1.0f, 4.0f, 32768, NAN), -INFINITY);
    /* the row is the query, yet the ADC value says far: no eps below 1 holds */
    EXPECT_EQ(pgvq_pq_bound_share(PGVQ_METRIC_L2, 1.0f, 9.0f, 32768, 0.0), INFINITY);
    /* inner product: (adc - value) / (|q| e) */
    const double e = pgvq_err_decode(32768);
    EXPECT_NEAR(pgvq_pq_bound_share(PGVQ_METRIC_IP, 2.0f, -3.0f, 32768, -3.5), 0.5 / (2.0 * e), 1e-12);
    /* cosine: the squared distance between unit vectors is 2 (1 - cos) */
    EXPECT_NEAR(pgvq_pq_bound_share(PGVQ_METRIC_COSINE, 1.0f, 1.0f, 32768, 0.25),
                (1.0 - e * e - 0.5) / (2.0 * std::sqrt(0.5) * e), 1e-12);
}

/* The share is never NaN: a scan keeps the largest share with !(t <= max), so
 * one NaN would replace the largest share measured before it (and then be
 * replaced by the next share, whatever its size). */
TEST(BoundsEps, ShareOfInfiniteValues) {
    const float big = 1e30f;
    /* L2: the operator's float sum overflowed while the ADC value did not:
     * any finite bound is below +inf, whatever eps */
    EXPECT_EQ(pgvq_pq_bound_share(PGVQ_METRIC_L2, 1.0f, big, 32768, INFINITY), -INFINITY);
    EXPECT_EQ(pgvq_pq_bound_share(PGVQ_METRIC_COSINE, 1.0f, 1.0f, 32768, INFINITY), -INFINITY);
    /* inner product: a query norm past float range makes every bound -inf */
    EXPECT_EQ(pgvq_pq_bound_share(PGVQ_METRIC_IP, INFINITY, -3.0f, 32768, -INFINITY), -INFINITY);
    EXPECT_EQ(pgvq_pq_bound_share(PGVQ_METRIC_IP, INFINITY, -3.0f, 32768, 2.0), -INFINITY);
    /* an exact value of -inf (float overflow of <q, x>): no eps below 1 holds */
    EXPECT_EQ(pgvq_pq_bound_share(PGVQ_METRIC_IP, 2.0f, -3.0f, 32768, -INFINITY), INFINITY);
    std::mt19937 rng(11);
    std::uniform_int_distribution<int> code(0, 65535);
    const double values[] = {0.0, -0.0, 1e-300, 1.0, 1e300, INFINITY, -INFINITY, -1.0};
    const float adcs[] = {0.0f, 1.0f, -1.0f, big, -big, 1e-40f};
    const float qnorms[] = {0.0f, 1.0f, big, INFINITY};
    for (int metric : {PGVQ_METRIC_L2, PGVQ_METRIC_COSINE, PGVQ_METRIC_IP})
        for (float qn : qnorms)
            for (float adc : adcs)
                for (double v : values)
                    for (int i = 0; i < 8; i++) {
                        const uint16_t c = i == 0 ? 1 : i == 1 ? 65534 : (uint16_t)code(rng);
                        ASSERT_FALSE(std::isnan(pgvq_pq_bound_share(metric, qn, adc, c, v)))
                            << "metric " << metric << " qnorm " << qn << " adc " << adc
                            << " value " << v << " code " << c;
                    }
}

} // namespace
