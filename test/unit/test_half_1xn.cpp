/*
 * test_half_1xn.cpp: pgvq_hvec_distances_1xn_f64 (the flat index's halfvec
 * page scan) against a scalar reference: the scalar level's one-pair kernels
 * with the halfvec operators' float8 formulas, bit for bit, at every SIMD
 * level, for every metric, for lengths around the 32-lane blocks and with
 * zero rows (cosine NaN).
 */
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "pgvq_core.h"
#include "pgvq_core_half.h"

namespace {

uint64_t dbits(double x) {
    uint64_t u;
    std::memcpy(&u, &x, 8);
    return u;
}

int level_of(const char *name) {
    return std::string(name) == "avx512" ? 2 : std::string(name) == "avx2" ? 1 : 0;
}

/* What the halfvec operators return (before the sqrt of <->), row x as
 * their left argument, at the current level. */
double reference(int metric, const uint16_t *x, const uint16_t *q, size_t d) {
    switch (metric) {
    case PGVQ_METRIC_IP:
        return static_cast<double>(-pgvq_hvec_inner_product(x, q, d));
    case PGVQ_METRIC_COSINE: {
        float dot, na, nb;
        pgvq_hvec_cosine_parts(x, q, d, &dot, &na, &nb);
        double sim = static_cast<double>(dot) / std::sqrt(static_cast<double>(na) * nb);
        if (sim > 1.0) sim = 1.0;
        else if (sim < -1.0) sim = -1.0;
        return 1.0 - sim;
    }
    case PGVQ_METRIC_L1:
        return static_cast<double>(pgvq_hvec_l1(x, q, d));
    default:
        return static_cast<double>(pgvq_hvec_l2sqr(x, q, d));
    }
}

} // namespace

TEST(HalfKernels1xN, EqualsScalarReferenceEveryLevel) {
    const int saved = level_of(pgvq_simd_level());
    const int top = pgvq_set_simd_level(2);
    std::mt19937 rng(11);
    std::normal_distribution<float> nd(0.0f, 2.0f);
    for (size_t d : {1, 3, 8, 31, 32, 33, 100, 768, 3072}) {
        const size_t n = 37;
        std::vector<uint16_t> q(d), x(n * d);
        for (auto &h : q) h = pgvq_float_to_half(nd(rng));
        for (auto &h : x) h = pgvq_float_to_half(nd(rng));
        std::fill(x.begin() + 5 * d, x.begin() + 6 * d, 0); /* a zero row: cosine NaN */
        for (int metric = 0; metric <= 3; metric++) {
            pgvq_set_simd_level(0);
            std::vector<double> want(n);
            for (size_t i = 0; i < n; i++) want[i] = reference(metric, x.data() + i * d, q.data(), d);
            for (int l = 0; l <= top; l++) {
                pgvq_set_simd_level(l);
                std::vector<double> got(n, -1.0);
                pgvq_hvec_distances_1xn_f64(metric, q.data(), n, d, x.data(), got.data());
                for (size_t i = 0; i < n; i++) {
                    if (std::isnan(want[i]))
                        EXPECT_TRUE(std::isnan(got[i])) << "metric " << metric << " row " << i;
                    else
                        EXPECT_EQ(dbits(got[i]), dbits(want[i]))
                            << "level " << l << " metric " << metric << " d " << d << " row " << i;
                }
            }
        }
        EXPECT_TRUE(std::isnan(reference(PGVQ_METRIC_COSINE, x.data() + 5 * d, q.data(), d)));
    }
    pgvq_set_simd_level(saved);
}

TEST(HalfKernels1xN, KnownValues) {
    auto h = [](std::initializer_list<float> l) {
        std::vector<uint16_t> v;
        for (float f : l) v.push_back(pgvq_float_to_half(f));
        return v;
    };
    auto q = h({1, 2}), x = h({1, 2, 4, 6, -1, -2});
    double out[3];
    pgvq_hvec_distances_1xn_f64(PGVQ_METRIC_L2, q.data(), 3, 2, x.data(), out);
    EXPECT_EQ(out[0], 0.0);
    EXPECT_EQ(out[1], 25.0);
    EXPECT_EQ(out[2], 20.0);
    pgvq_hvec_distances_1xn_f64(PGVQ_METRIC_IP, q.data(), 3, 2, x.data(), out);
    EXPECT_EQ(out[0], -5.0);
    EXPECT_EQ(out[1], -16.0);
    EXPECT_EQ(out[2], 5.0);
    pgvq_hvec_distances_1xn_f64(PGVQ_METRIC_L1, q.data(), 3, 2, x.data(), out);
    EXPECT_EQ(out[1], 7.0);
    pgvq_hvec_distances_1xn_f64(PGVQ_METRIC_COSINE, q.data(), 3, 2, x.data(), out);
    EXPECT_NEAR(out[0], 0.0, 1e-7);
    EXPECT_EQ(out[2], 2.0);
}
