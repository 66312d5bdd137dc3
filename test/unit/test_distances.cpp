/*
 * test_distances.cpp: every SIMD level the CPU supports against a
 * double-precision scalar reference.
 */
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "pgvq_core.h"

namespace {

struct Ref {
    double l2 = 0, ip = 0, l1 = 0, na = 0, nb = 0;
    double abs_ip = 0; /* sum |a_i b_i|: the scale of the inner-product error */
};

Ref reference(const float *a, const float *b, size_t d) {
    Ref r;
    for (size_t i = 0; i < d; i++) {
        double x = a[i], y = b[i];
        r.l2 += (x - y) * (x - y);
        r.ip += x * y;
        r.abs_ip += std::fabs(x * y);
        r.l1 += std::fabs(x - y);
        r.na += x * x;
        r.nb += y * y;
    }
    return r;
}

/* Levels this CPU runs: 0 .. the highest pgvq_set_simd_level accepts. */
std::vector<int> supported_levels() {
    int top = pgvq_set_simd_level(2);
    std::vector<int> v;
    for (int l = 0; l <= top; l++)
        v.push_back(l);
    return v;
}

class LevelGuard {
  public:
    LevelGuard() : saved_(level_of(pgvq_simd_level())) {}
    ~LevelGuard() { pgvq_set_simd_level(saved_); }

  private:
    static int level_of(const char *name) {
        return std::string(name) == "avx512" ? 2 : std::string(name) == "avx2" ? 1 : 0;
    }
    int saved_;
};

std::vector<size_t> test_lengths() {
    std::vector<size_t> v;
    for (size_t d = 1; d <= 300; d++)
        v.push_back(d);
    for (size_t d : {511, 512, 513, 784, 1000, 1536, 4096, 16000})
        v.push_back(d);
    return v;
}

} // namespace

TEST(Distances, LevelsAndNames) {
    LevelGuard g;
    pgvq_init();
    pgvq_init(); /* idempotent */
    const char *names[] = {"scalar", "avx2", "avx512"};
    for (int l : supported_levels()) {
        EXPECT_EQ(pgvq_set_simd_level(l), l);
        EXPECT_STREQ(pgvq_simd_level(), names[l]);
    }
    EXPECT_EQ(pgvq_set_simd_level(-5), 0);
    EXPECT_STREQ(pgvq_simd_level(), "scalar");
    int top = pgvq_set_simd_level(99);
    EXPECT_GE(top, 0);
    EXPECT_LE(top, 2);
}

/* Random floats at unaligned offsets: relative tolerance against double. */
TEST(Distances, RandomAgainstDoubleReference) {
    LevelGuard g;
    std::mt19937 rng(42);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    const size_t maxd = 16000;
    std::vector<float> abuf(maxd + 8), bbuf(maxd + 8);
    for (auto &v : abuf)
        v = nd(rng);
    for (auto &v : bbuf)
        v = nd(rng) * 3.0f + 0.5f;
    for (int level : supported_levels()) {
        ASSERT_EQ(pgvq_set_simd_level(level), level);
        for (size_t d : test_lengths()) {
            for (size_t off = 0; off < 4; off++) {
                const float *a = abuf.data() + off;
                const float *b = bbuf.data() + (3 - off) + 1;
                Ref r = reference(a, b, d);
                const double rel = 4.0 * FLT_EPSILON * std::sqrt((double)d) + 1e-7;
                SCOPED_TRACE("level " + std::to_string(level) + " d " + std::to_string(d) +
                             " off " + std::to_string(off));
                EXPECT_NEAR(pgvq_fvec_l2sqr(a, b, d), r.l2, rel * r.l2);
                EXPECT_NEAR(pgvq_fvec_inner_product(a, b, d), r.ip, rel * r.abs_ip);
                EXPECT_NEAR(pgvq_fvec_l1(a, b, d), r.l1, rel * r.l1);
                EXPECT_NEAR(pgvq_fvec_norm_l2sqr(a, d), r.na, rel * r.na);
                float dot, na, nb;
                pgvq_fvec_cosine_parts(a, b, d, &dot, &na, &nb);
                EXPECT_NEAR(dot, r.ip, rel * r.abs_ip);
                EXPECT_NEAR(na, r.na, rel * r.na);
                EXPECT_NEAR(nb, r.nb, rel * r.nb);

                EXPECT_NEAR(pgvq_distance(PGVQ_METRIC_L2, a, b, d), r.l2, rel * r.l2);
                EXPECT_NEAR(pgvq_distance(PGVQ_METRIC_IP, a, b, d), -r.ip, rel * r.abs_ip);
                EXPECT_NEAR(pgvq_distance(PGVQ_METRIC_L1, a, b, d), r.l1, rel * r.l1);
                double cos_ref = 1.0 - r.ip / std::sqrt(r.na * r.nb);
                double cos_tol = rel * r.abs_ip / std::sqrt(r.na * r.nb) + 4 * rel + 1e-6;
                EXPECT_NEAR(pgvq_distance(PGVQ_METRIC_COSINE, a, b, d), cos_ref, cos_tol);
            }
        }
    }
}

/*
 * Small integers: every partial sum is an integer below 2^24, so each level
 * must match the reference exactly.  This catches any tail element dropped or
 * counted twice, at every length.
 */
TEST(Distances, SmallIntegersExact) {
    LevelGuard g;
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> ud(-4, 4);
    const size_t maxd = 16000;
    std::vector<float> abuf(maxd + 4), bbuf(maxd + 4);
    for (auto &v : abuf)
        v = (float)ud(rng);
    for (auto &v : bbuf)
        v = (float)ud(rng);
    for (int level : supported_levels()) {
        ASSERT_EQ(pgvq_set_simd_level(level), level);
        for (size_t d : test_lengths()) {
            const float *a = abuf.data() + 1, *b = bbuf.data() + 3;
            Ref r = reference(a, b, d);
            SCOPED_TRACE("level " + std::to_string(level) + " d " + std::to_string(d));
            ASSERT_EQ((double)pgvq_fvec_l2sqr(a, b, d), r.l2);
            ASSERT_EQ((double)pgvq_fvec_inner_product(a, b, d), r.ip);
            ASSERT_EQ((double)pgvq_fvec_l1(a, b, d), r.l1);
            ASSERT_EQ((double)pgvq_fvec_norm_l2sqr(a, d), r.na);
            float dot, na, nb;
            pgvq_fvec_cosine_parts(a, b, d, &dot, &na, &nb);
            ASSERT_EQ((double)dot, r.ip);
            ASSERT_EQ((double)na, r.na);
            ASSERT_EQ((double)nb, r.nb);
        }
    }
}

/* The batch kernel equals the single-pair one bit for bit, for every metric. */
TEST(Distances, OneByNMatchesPairwise) {
    LevelGuard g;
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> ud(-2.0f, 2.0f);
    for (int level : supported_levels()) {
        ASSERT_EQ(pgvq_set_simd_level(level), level);
        for (size_t d : {1, 3, 8, 17, 64, 100, 128, 784}) {
            const size_t n = 37;
            std::vector<float> q(d + 1), x(n * d + 1), out(n + 1);
            for (auto &v : q)
                v = ud(rng);
            for (auto &v : x)
                v = ud(rng);
            for (int metric = 0; metric <= 3; metric++) {
                out[n] = 12345.0f;
                pgvq_distances_1xn(metric, q.data() + 1, n, d, x.data() + 1, out.data());
                for (size_t i = 0; i < n; i++) {
                    float single = pgvq_distance(metric, q.data() + 1, x.data() + 1 + i * d, d);
                    ASSERT_EQ(std::memcmp(&single, &out[i], sizeof(float)), 0)
                        << "metric " << metric << " d " << d << " i " << i;
                }
                EXPECT_EQ(out[n], 12345.0f) << "wrote past n";
            }
        }
    }
}

/* The float8 forms: 1xn equals pairwise, the non-cosine metrics widen the
 * float results exactly, cosine is 1 - dot / sqrt(|a|^2 |b|^2) in double from
 * the float parts (the SQL operator's formula), n past the internal chunk. */
TEST(Distances, Float8FormsMatchTheOperators) {
    LevelGuard g;
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> ud(-2.0f, 2.0f);
    for (int level : supported_levels()) {
        ASSERT_EQ(pgvq_set_simd_level(level), level);
        const size_t d = 19, n = 600;
        std::vector<float> q(d), x(n * d), f(n);
        std::vector<double> out(n + 1);
        for (auto &v : q)
            v = ud(rng);
        for (auto &v : x)
            v = ud(rng);
        for (int metric = 0; metric <= 3; metric++) {
            out[n] = 777.0;
            pgvq_distances_1xn_f64(metric, q.data(), n, d, x.data(), out.data());
            pgvq_distances_1xn(metric, q.data(), n, d, x.data(), f.data());
            for (size_t i = 0; i < n; i++) {
                const float *xi = x.data() + i * d;
                double single = pgvq_distance_f64(metric, q.data(), xi, d);
                ASSERT_EQ(std::memcmp(&single, &out[i], sizeof(double)), 0)
                    << "metric " << metric << " i " << i;
                if (metric != PGVQ_METRIC_COSINE) {
                    ASSERT_EQ(out[i], (double)f[i]) << "metric " << metric << " i " << i;
                } else {
                    float dot, na, nb;
                    pgvq_fvec_cosine_parts(q.data(), xi, d, &dot, &na, &nb);
                    double sim = (double)dot / std::sqrt((double)na * (double)nb);
                    sim = sim > 1.0 ? 1.0 : (sim < -1.0 ? -1.0 : sim);
                    ASSERT_EQ(out[i], 1.0 - sim) << "i " << i;
                    ASSERT_EQ((float)out[i], f[i]) << "i " << i;
                }
            }
            EXPECT_EQ(out[n], 777.0) << "wrote past n";
        }
    }
}

TEST(Distances, CosineEdgeCases) {
    LevelGuard g;
    for (int level : supported_levels()) {
        ASSERT_EQ(pgvq_set_simd_level(level), level);
        std::vector<float> zero(19, 0.0f), a(19), neg(19), twice(19);
        for (size_t i = 0; i < a.size(); i++) {
            a[i] = (float)i * 0.37f - 2.0f;
            neg[i] = -a[i];
            twice[i] = 2.0f * a[i];
        }
        size_t d = a.size();
        EXPECT_TRUE(std::isnan(pgvq_distance(PGVQ_METRIC_COSINE, a.data(), zero.data(), d)));
        EXPECT_TRUE(std::isnan(pgvq_distance(PGVQ_METRIC_COSINE, zero.data(), zero.data(), d)));
        float same = pgvq_distance(PGVQ_METRIC_COSINE, a.data(), twice.data(), d);
        EXPECT_GE(same, 0.0f); /* clamped: never below 0 */
        EXPECT_NEAR(same, 0.0f, 1e-6);
        float opp = pgvq_distance(PGVQ_METRIC_COSINE, a.data(), neg.data(), d);
        EXPECT_LE(opp, 2.0f); /* clamped: never above 2 */
        EXPECT_NEAR(opp, 2.0f, 1e-6);
        float out[2];
        pgvq_distances_1xn(PGVQ_METRIC_COSINE, a.data(), 1, d, zero.data(), out);
        EXPECT_TRUE(std::isnan(out[0]));
        /* Unknown metric: NaN, never a crash. */
        EXPECT_TRUE(std::isnan(pgvq_distance(42, a.data(), a.data(), d)));
        /* d = 0 */
        EXPECT_EQ(pgvq_distance(PGVQ_METRIC_L2, a.data(), a.data(), 0), 0.0f);
    }
}

/* pgvector's semantics for the negative inner product and L1 on a known pair. */
TEST(Distances, KnownValues) {
    const float a[3] = {1, 2, 3}, b[3] = {4, 5, 6};
    EXPECT_EQ(pgvq_distance(PGVQ_METRIC_L2, a, b, 3), 27.0f);
    EXPECT_EQ(pgvq_distance(PGVQ_METRIC_IP, a, b, 3), -32.0f);
    EXPECT_EQ(pgvq_distance(PGVQ_METRIC_L1, a, b, 3), 9.0f);
    EXPECT_NEAR(pgvq_distance(PGVQ_METRIC_COSINE, a, b, 3), 1.0 - 32.0 / std::sqrt(14.0 * 77.0),
                1e-7);
}
