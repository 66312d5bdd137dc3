/*
 * test_kmeans.cpp: k-means invariants, GEMM assignment against brute force,
 * determinism, cancellation and argument errors.
 */
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kmeans.h"
#include "pgvq_core.h"

namespace {

/* n rows around `nclusters` Gaussian centres (spread 10, noise sigma). */
std::vector<float> clustered(size_t n, size_t d, size_t nclusters, float sigma, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::vector<float> centres(nclusters * d), x(n * d);
    for (auto &v : centres)
        v = nd(rng) * 10.0f;
    for (size_t i = 0; i < n; i++) {
        size_t c = i % nclusters;
        for (size_t j = 0; j < d; j++)
            x[i * d + j] = centres[c * d + j] + sigma * nd(rng);
    }
    return x;
}

std::vector<float> uniform(size_t n, size_t d, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> ud(-1.0f, 1.0f);
    std::vector<float> x(n * d);
    for (auto &v : x)
        v = ud(rng);
    return x;
}

double l2_double(const float *a, const float *b, size_t d) {
    double s = 0;
    for (size_t j = 0; j < d; j++) {
        double t = (double)a[j] - b[j];
        s += t * t;
    }
    return s;
}

struct CountingStop {
    int polls = 0;
    int stop_after = 0;
};

int counting_should_stop(void *arg) {
    auto *c = static_cast<CountingStop *>(arg);
    return ++c->polls > c->stop_after;
}

} // namespace

TEST(KMeans, ObjectiveNeverRises) {
    for (int nthreads : {1, 3}) {
        const size_t n = 4000, d = 24, k = 40;
        auto x = clustered(n, d, 25, 3.0f, 1);
        pgvq::ClusteringParameters cp;
        cp.niter = 25;
        cp.nthreads = nthreads;
        pgvq::Clustering clus(d, k, cp);
        clus.train(n, x.data());
        ASSERT_EQ(clus.objectives.size(), (size_t)cp.niter + 1);
        for (size_t i = 1; i < clus.objectives.size(); i++)
            EXPECT_LE(clus.objectives[i], clus.objectives[i - 1] * (1 + 1e-6))
                << "iteration " << i;
        EXPECT_LT(clus.objectives.back(), clus.objectives.front());

        /* The reported objective is the sum of squared distances to the nearest
         * returned centroid, recomputed here in double. */
        double obj = 0;
        for (size_t i = 0; i < n; i++) {
            double best = std::numeric_limits<double>::infinity();
            for (size_t c = 0; c < k; c++)
                best = std::min(best, l2_double(&x[i * d], &clus.centroids[c * d], d));
            obj += best;
        }
        EXPECT_NEAR(clus.objectives.back(), obj, 1e-4 * obj);
    }
}

/* Well separated clusters: every true cluster is found, objective near the noise. */
TEST(KMeans, RecoversSeparatedClusters) {
    const size_t n = 2000, d = 8, k = 10;
    auto x = clustered(n, d, k, 0.1f, 2);
    pgvq_kmeans_params p;
    pgvq_kmeans_params_default(&p);
    EXPECT_EQ(p.niter, 20);
    EXPECT_EQ(p.seed, 1234u);
    std::vector<float> cent(k * d);
    double obj = -1;
    pgvq_status st;
    ASSERT_EQ(pgvq_kmeans_train(n, d, x.data(), k, &p, cent.data(), &obj, &st), PGVQ_OK)
        << st.message;
    EXPECT_EQ(st.code, PGVQ_OK);
    /* Noise SSE: n * d * sigma^2 = 160; a missed cluster would cost ~ 1e5. */
    EXPECT_LT(obj, 400.0);
    EXPECT_GT(obj, 50.0);
}

TEST(KMeans, MoreClustersThanDistinctPoints) {
    const size_t d = 5;
    /* 300 rows, 4 distinct points. */
    auto base = uniform(4, d, 3);
    std::vector<float> x;
    for (size_t i = 0; i < 300; i++)
        x.insert(x.end(), base.begin() + (i % 4) * d, base.begin() + (i % 4 + 1) * d);
    pgvq::ClusteringParameters cp;
    cp.niter = 10;
    pgvq::Clustering clus(d, 16, cp);
    clus.train(300, x.data());
    EXPECT_GT(clus.nsplit, 0u);
    EXPECT_NEAR(clus.objectives.back(), 0.0, 1e-6);
    for (float v : clus.centroids)
        EXPECT_TRUE(std::isfinite(v));
    /* Every distinct point has a centroid on it. */
    for (size_t p = 0; p < 4; p++) {
        double best = std::numeric_limits<double>::infinity();
        for (size_t c = 0; c < 16; c++)
            best = std::min(best, l2_double(&base[p * d], &clus.centroids[c * d], d));
        EXPECT_LT(best, 1e-10);
    }

    /* k > n through the C API. */
    std::vector<float> cent(10 * d);
    double obj = -1;
    pgvq_status st;
    ASSERT_EQ(pgvq_kmeans_train(7, d, x.data(), 10, nullptr, cent.data(), &obj, &st), PGVQ_OK);
    EXPECT_NEAR(obj, 0.0, 1e-6);
    for (size_t i = 0; i < 7; i++) {
        double best = std::numeric_limits<double>::infinity();
        for (size_t c = 0; c < 10; c++)
            best = std::min(best, l2_double(&x[i * d], &cent[c * d], d));
        EXPECT_LT(best, 1e-10);
    }
}

/* Stopping once no label moves gives what running every iteration gives:
 * centroids, objectives and splits, bit for bit; on data that settles fast
 * (separated clusters; few distinct points, whose empty clusters are split
 * again in every iteration), on data that does not (uniform), short and
 * long rows. */
TEST(KMeans, StopWhenStableGivesTheSameResult) {
    struct Case {
        const char *name;
        size_t n, d, k;
        std::vector<float> x;
        uint64_t seed;
        bool settles;
    };
    /* 600 rows on 6 distinct points, 8 clusters: two stay empty and are
     * split again in every iteration while no label moves (seed 3). */
    std::vector<float> dup;
    const std::vector<float> base = uniform(6, 4, 3);
    for (size_t i = 0; i < 600; i++)
        dup.insert(dup.end(), base.begin() + (i % 6) * 4, base.begin() + (i % 6 + 1) * 4);
    const std::vector<Case> cases = {
        {"separated d 4", 3000, 4, 16, clustered(3000, 4, 16, 0.01f, 22), 1234, true},
        {"separated d 40", 2000, 40, 8, clustered(2000, 40, 8, 0.01f, 23), 1234, true},
        {"few distinct", 600, 4, 8, dup, 3, true},
        {"uniform", 3000, 4, 64, uniform(3000, 4, 24), 1234, false},
    };
    for (const Case &c : cases) {
        pgvq::ClusteringParameters cp;
        cp.niter = 25;
        cp.nthreads = 2;
        cp.seed = c.seed;
        pgvq::Clustering fast(c.d, c.k, cp);
        fast.train(c.n, c.x.data());
        cp.stop_when_stable = false;
        pgvq::Clustering full(c.d, c.k, cp);
        full.train(c.n, c.x.data());
        EXPECT_EQ(full.iterations, 25) << c.name;
        if (c.settles) {
            EXPECT_LT(fast.iterations, 25) << c.name;
        }
        ASSERT_EQ(fast.centroids.size(), full.centroids.size());
        EXPECT_EQ(std::memcmp(fast.centroids.data(), full.centroids.data(),
                              full.centroids.size() * sizeof(float)),
                  0)
            << c.name;
        EXPECT_EQ(fast.objectives, full.objectives) << c.name;
        EXPECT_EQ(fast.nsplit, full.nsplit) << c.name;
        if (std::string(c.name) == "few distinct") {
            EXPECT_EQ(full.nsplit, 50u) << "two splits in every iteration";
        }
    }
}

/* Labels that alternate between two states (a PQ sub-space of mnist's
 * border pixels: 7 distinct values on one axis, 256 clusters): the stop
 * after a repeat of two iterations back ends in the phase niter gives. */
TEST(KMeans, StopWhenStableFollowsAPeriodOfTwo) {
    const float vals[7] = {0.0f, -0.2487804889678955f, -0.640625f, -0.125f,
                           81.359375f, 50.751220703125f, 12.875f};
    const int count[7] = {9563, 208, 126, 100, 1, 1, 1};
    std::vector<float> col;
    for (int v = 0; v < 7; v++)
        col.insert(col.end(), (size_t)count[v], vals[v]);
    std::mt19937 rng(1);
    std::shuffle(col.begin(), col.end(), rng);
    const size_t n = col.size(), d = 4, k = 256;
    std::vector<float> x(n * d, 0.0f);
    for (size_t i = 0; i < n; i++)
        x[i * d + 3] = col[i];
    std::vector<float> last[2];
    for (int niter : {10, 11}) {
        pgvq::ClusteringParameters cp;
        cp.niter = niter;
        cp.seed = 1;
        pgvq::Clustering fast(d, k, cp);
        fast.train(n, x.data());
        cp.stop_when_stable = false;
        pgvq::Clustering full(d, k, cp);
        full.train(n, x.data());
        EXPECT_LT(fast.iterations, 10) << niter;
        EXPECT_EQ(fast.centroids, full.centroids) << niter;
        EXPECT_EQ(fast.objectives, full.objectives) << niter;
        EXPECT_EQ(fast.nsplit, full.nsplit) << niter;
        last[niter - 10] = full.centroids;
    }
    EXPECT_NE(last[0], last[1]) << "the two phases differ";
}

/* GEMM assignment = brute force wherever the best centroid is not a near tie. */
TEST(KMeans, GemmAssignmentEqualsBruteForce) {
    struct Case {
        size_t n, d, k;
    };
    for (Case c : {Case{1000, 37, 300}, Case{777, 3, 1500}, Case{33, 128, 5}, Case{1, 1, 1}}) {
        auto x = uniform(c.n, c.d, 10 + (uint32_t)c.n);
        auto cent = uniform(c.k, c.d, 20 + (uint32_t)c.k);
        for (int nthreads : {1, 2, 0}) {
            std::vector<int64_t> labels(c.n, -1);
            std::vector<float> dist(c.n, -1);
            pgvq_status st;
            ASSERT_EQ(pgvq_assign_l2(c.n, c.d, x.data(), c.k, cent.data(), labels.data(),
                                     dist.data(), nthreads, nullptr, nullptr, &st),
                      PGVQ_OK)
                << st.message;
            size_t checked = 0;
            for (size_t i = 0; i < c.n; i++) {
                double best = std::numeric_limits<double>::infinity(), second = best;
                size_t arg = 0;
                for (size_t j = 0; j < c.k; j++) {
                    double v = l2_double(&x[i * c.d], &cent[j * c.d], c.d);
                    if (v < best) {
                        second = best;
                        best = v;
                        arg = j;
                    } else if (v < second) {
                        second = v;
                    }
                }
                ASSERT_GE(labels[i], 0);
                ASSERT_LT(labels[i], (int64_t)c.k);
                const double tol = 1e-4 * (1.0 + best);
                EXPECT_NEAR(dist[i], best, tol) << "row " << i;
                if (second - best > 2 * tol) {
                    EXPECT_EQ(labels[i], (int64_t)arg) << "row " << i;
                    checked++;
                } else {
                    double chosen = l2_double(&x[i * c.d], &cent[labels[i] * c.d], c.d);
                    EXPECT_LE(chosen, best + 2 * tol);
                }
            }
            EXPECT_GT(checked, c.n * 9 / 10);
        }
    }
    /* distances may be NULL; ties go to the smaller index. */
    std::vector<float> x = {1, 1}, cent = {0, 0, 2, 2, 0, 0};
    int64_t label = -1;
    ASSERT_EQ(pgvq_assign_l2(1, 2, x.data(), 3, cent.data(), &label, nullptr, 1, nullptr, nullptr,
                             nullptr),
              PGVQ_OK);
    EXPECT_EQ(label, 0);
}

TEST(KMeans, DeterministicForSeed) {
    const size_t n = 3000, d = 20, k = 32;
    auto x = clustered(n, d, 50, 2.0f, 4);
    auto run = [&](uint64_t seed, int nthreads) {
        pgvq_kmeans_params p;
        pgvq_kmeans_params_default(&p);
        p.seed = seed;
        p.nthreads = nthreads;
        p.niter = 8;
        std::vector<float> cent(k * d);
        double obj;
        EXPECT_EQ(pgvq_kmeans_train(n, d, x.data(), k, &p, cent.data(), &obj, nullptr), PGVQ_OK);
        return cent;
    };
    auto a = run(7, 2), b = run(7, 2), c = run(7, 1), e = run(8, 2);
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
    /* Results do not depend on the thread count either. */
    EXPECT_EQ(std::memcmp(a.data(), c.data(), a.size() * sizeof(float)), 0);
    EXPECT_NE(std::memcmp(a.data(), e.data(), a.size() * sizeof(float)), 0);
}

TEST(KMeans, Spherical) {
    const size_t n = 1000, d = 12, k = 8;
    auto x = uniform(n, d, 5);
    pgvq_kmeans_params p;
    pgvq_kmeans_params_default(&p);
    p.spherical = 1;
    std::vector<float> cent(k * d);
    ASSERT_EQ(pgvq_kmeans_train(n, d, x.data(), k, &p, cent.data(), nullptr, nullptr), PGVQ_OK);
    for (size_t c = 0; c < k; c++) {
        double s = 0;
        for (size_t j = 0; j < d; j++)
            s += (double)cent[c * d + j] * cent[c * d + j];
        EXPECT_NEAR(s, 1.0, 1e-5);
    }
}

/* should_stop turns true after N polls: PGVQ_CANCELLED, nothing leaks (ASan). */
TEST(KMeans, CancelReturnsCancelled) {
    const size_t n = 5000, d = 16, k = 64;
    auto x = clustered(n, d, 30, 1.0f, 6);
    int total_polls = 0;
    {
        CountingStop never{0, std::numeric_limits<int>::max()};
        pgvq_kmeans_params p;
        pgvq_kmeans_params_default(&p);
        p.should_stop = counting_should_stop;
        p.stop_arg = &never;
        p.nthreads = 3;
        std::vector<float> cent(k * d);
        ASSERT_EQ(pgvq_kmeans_train(n, d, x.data(), k, &p, cent.data(), nullptr, nullptr), PGVQ_OK);
        total_polls = never.polls;
        /* At least twice per parallel step: 64 seeding steps, 21 assignments,
         * 20 updates.  (How many more depends on thread timing.) */
        EXPECT_GE(total_polls, 2 * (64 + 21 + 20));
    }
    for (int after : {0, 1, 5, 40, 120, 200}) {
        CountingStop cs{0, after};
        pgvq_kmeans_params p;
        pgvq_kmeans_params_default(&p);
        p.should_stop = counting_should_stop;
        p.stop_arg = &cs;
        p.nthreads = 3;
        std::vector<float> cent(k * d);
        pgvq_status st;
        st.code = -1;
        EXPECT_EQ(pgvq_kmeans_train(n, d, x.data(), k, &p, cent.data(), nullptr, &st),
                  PGVQ_CANCELLED)
            << "after " << after;
        EXPECT_EQ(st.code, PGVQ_CANCELLED);
        EXPECT_GT(std::strlen(st.message), 0u);
        EXPECT_EQ(cs.polls, after + 1) << "kept polling after it said stop";
    }
    /* The assignment alone, on one thread: with two, a worker can take every
     * block before the caller polls a second time, and the work then simply
     * finishes (a cancel that arrives as work completes is not an error). */
    std::vector<float> cent(k * d, 0.0f);
    std::vector<int64_t> labels(n);
    for (int after : {0, 1}) {
        CountingStop cs{0, after};
        pgvq_status st;
        EXPECT_EQ(pgvq_assign_l2(n, d, x.data(), k, cent.data(), labels.data(), nullptr, 1,
                                 counting_should_stop, &cs, &st),
                  PGVQ_CANCELLED);
    }
}

TEST(KMeans, InvalidArguments) {
    auto x = uniform(100, 4, 9);
    std::vector<float> cent(10 * 4);
    pgvq_status st;
    auto expect_invalid = [&](int rc) {
        EXPECT_EQ(rc, PGVQ_INVALID_ARGUMENT);
        EXPECT_EQ(st.code, PGVQ_INVALID_ARGUMENT);
        EXPECT_GT(std::strlen(st.message), 0u);
    };
    expect_invalid(pgvq_kmeans_train(0, 4, x.data(), 10, nullptr, cent.data(), nullptr, &st));
    expect_invalid(pgvq_kmeans_train(100, 0, x.data(), 10, nullptr, cent.data(), nullptr, &st));
    expect_invalid(pgvq_kmeans_train(100, 4, x.data(), 0, nullptr, cent.data(), nullptr, &st));
    expect_invalid(pgvq_kmeans_train(100, 4, nullptr, 10, nullptr, cent.data(), nullptr, &st));
    expect_invalid(pgvq_kmeans_train(100, 4, x.data(), 10, nullptr, nullptr, nullptr, &st));
    pgvq_kmeans_params p;
    pgvq_kmeans_params_default(&p);
    p.niter = -1;
    expect_invalid(pgvq_kmeans_train(100, 4, x.data(), 10, &p, cent.data(), nullptr, &st));
    pgvq_kmeans_params_default(&p);
    p.nthreads = -2;
    expect_invalid(pgvq_kmeans_train(100, 4, x.data(), 10, &p, cent.data(), nullptr, &st));
    x[17] = std::numeric_limits<float>::quiet_NaN();
    expect_invalid(pgvq_kmeans_train(100, 4, x.data(), 10, nullptr, cent.data(), nullptr, &st));
    x[17] = std::numeric_limits<float>::infinity();
    expect_invalid(pgvq_kmeans_train(100, 4, x.data(), 10, nullptr, cent.data(), nullptr, &st));
    std::vector<int64_t> labels(100);
    expect_invalid(pgvq_assign_l2(100, 4, x.data(), 0, cent.data(), labels.data(), nullptr, 1,
                                  nullptr, nullptr, &st));
    expect_invalid(pgvq_assign_l2(100, 0, x.data(), 10, cent.data(), labels.data(), nullptr, 1,
                                  nullptr, nullptr, &st));
    /* A NULL status is allowed. */
    EXPECT_EQ(pgvq_kmeans_train(0, 4, x.data(), 10, nullptr, cent.data(), nullptr, nullptr),
              PGVQ_INVALID_ARGUMENT);
}
