/*
 * test_kmeans_two_level.cpp: two-level k-means (kmeans_two_level.cpp): the
 * shares of the groups, balance on a clustered set where flat k-means makes a
 * hub list, quality against flat k-means, determinism, the flat fallback,
 * cancellation and argument errors through the C API.
 */
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>
#include <vector>

#include "kmeans.h"
#include "pgvq_core.h"

namespace {

/* n rows, row i around centre i % nclusters (centres N(0, spread^2)), noise sigma. */
std::vector<float> clustered(size_t n, size_t d, size_t nclusters, float spread, float sigma,
                             uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::vector<float> centres(nclusters * d), x(n * d);
    for (auto &v : centres)
        v = nd(rng) * spread;
    for (size_t i = 0; i < n; i++) {
        size_t c = i % nclusters;
        for (size_t j = 0; j < d; j++)
            x[i * d + j] = centres[c * d + j] + sigma * nd(rng);
    }
    return x;
}

/* Rows per centroid (nearest by brute force) and the sum of squared distances. */
std::vector<size_t> sizes(const std::vector<float> &x, size_t n, size_t d,
                          const std::vector<float> &cent, size_t k, double *sse) {
    std::vector<size_t> cnt(k, 0);
    *sse = 0;
    for (size_t i = 0; i < n; i++) {
        double best = std::numeric_limits<double>::infinity();
        size_t arg = 0;
        for (size_t c = 0; c < k; c++) {
            double s = 0;
            for (size_t j = 0; j < d; j++) {
                double t = (double)x[i * d + j] - cent[c * d + j];
                s += t * t;
            }
            if (s < best) {
                best = s;
                arg = c;
            }
        }
        cnt[arg]++;
        *sse += best;
    }
    return cnt;
}

double imbalance(const std::vector<size_t> &cnt, size_t n) {
    double sq = 0;
    for (size_t c : cnt)
        sq += (double)c * c;
    return sq * (double)cnt.size() / ((double)n * n);
}

} // namespace

TEST(KMeansTwoLevel, SharesAreProportionalAndBounded) {
    EXPECT_EQ(pgvq::two_level_groups(1), 1u);
    EXPECT_EQ(pgvq::two_level_groups(980), 31u);
    EXPECT_EQ(pgvq::two_level_groups(1000), 32u);
    /* 100 centroids over groups of 500, 300, 150, 49, 1 rows (1000) */
    std::vector<size_t> rows{500, 300, 150, 49, 1};
    auto s = pgvq::two_level_shares(rows, 1000, 100);
    EXPECT_EQ(std::accumulate(s.begin(), s.end(), size_t(0)), 100u);
    EXPECT_EQ(s[0], 50u);
    EXPECT_EQ(s[1], 30u);
    EXPECT_EQ(s[2], 15u);
    EXPECT_EQ(s[4], 1u); /* at least one for a group with rows */
    EXPECT_EQ(s[3], 4u); /* 4.9: the floor of 1 for the last group took its remainder */
    /* never more centroids than rows; an empty group gets none */
    rows = {3, 0, 7};
    s = pgvq::two_level_shares(rows, 10, 9);
    EXPECT_EQ(s[1], 0u);
    EXPECT_LE(s[0], 3u);
    EXPECT_LE(s[2], 7u);
    EXPECT_EQ(s[0] + s[2], 9u);
    s = pgvq::two_level_shares(rows, 10, 10);
    EXPECT_EQ(s[0], 3u);
    EXPECT_EQ(s[2], 7u);
    /* the deficit goes to the largest remainders: quotas 4.25, 3.25, 2.5 */
    rows = {17, 13, 10};
    s = pgvq::two_level_shares(rows, 40, 10);
    EXPECT_EQ(s, (std::vector<size_t>{4, 3, 3}));
    /* ties go to the lower group: quotas 3.5, 1.5, 1 */
    rows = {7, 3, 2};
    s = pgvq::two_level_shares(rows, 12, 6);
    EXPECT_EQ(s, (std::vector<size_t>{4, 1, 1}));
    /* the floor of 1 overshoots (quotas 3.6, 0.2, 0.2): the excess comes off
     * groups above 1, never a group's last centroid */
    rows = {90, 5, 5};
    s = pgvq::two_level_shares(rows, 100, 4);
    EXPECT_EQ(s, (std::vector<size_t>{2, 1, 1}));
    /* quotas 4.0, 3.2, 0.4, 0.4: the excess off the smallest remainder above 1 */
    rows = {50, 40, 5, 5};
    s = pgvq::two_level_shares(rows, 100, 8);
    EXPECT_EQ(s, (std::vector<size_t>{3, 3, 1, 1}));
    /* many groups at the floor of 1 overshoot by more than the groups above 1
     * can give in one pass: quotas 30.97 and 0.05 for 20 groups of 1 row */
    rows.assign(21, 1);
    rows[0] = 600;
    s = pgvq::two_level_shares(rows, 620, 32);
    EXPECT_EQ(s[0], 12u);
    EXPECT_EQ(std::accumulate(s.begin(), s.end(), size_t(0)), 32u);
    /* no shares exist for fewer centroids than groups with rows, or more than
     * rows, or rows that do not sum to n: an error, not an endless loop */
    rows = {5, 5, 5};
    EXPECT_THROW(pgvq::two_level_shares(rows, 15, 2), std::invalid_argument);
    EXPECT_THROW(pgvq::two_level_shares(rows, 15, 16), std::invalid_argument);
    EXPECT_THROW(pgvq::two_level_shares(rows, 14, 3), std::invalid_argument);
    /* random groups: the sum is k, each share within 1 of its quota or at the bounds */
    std::mt19937 rng(7);
    for (int t = 0; t < 200; t++) {
        size_t g = 1 + rng() % 40, n = 0;
        std::vector<size_t> r(g);
        for (auto &v : r) {
            v = rng() % 3 == 0 ? 0 : rng() % 200;
            n += v;
        }
        if (n == 0)
            continue;
        size_t nonempty = (size_t)std::count_if(r.begin(), r.end(), [](size_t v) { return v > 0; });
        size_t k = nonempty + rng() % (n - nonempty + 1);
        auto sh = pgvq::two_level_shares(r, n, k);
        ASSERT_EQ(std::accumulate(sh.begin(), sh.end(), size_t(0)), k) << "trial " << t;
        for (size_t j = 0; j < g; j++) {
            EXPECT_LE(sh[j], r[j]);
            if (r[j] > 0) {
                EXPECT_GE(sh[j], 1u);
            }
        }
    }
}

/* Many tight clusters, far fewer centroids: two levels come close to flat
 * k-means' objective, with lists as even (every group gets its share). */
TEST(KMeansTwoLevel, BalancedAndAsGoodAsFlat) {
    const size_t n = 12000, d = 32, k = 300;
    auto x = clustered(n, d, 1000, 1.0f, 0.6f, 11);
    pgvq_kmeans_params p;
    pgvq_kmeans_params_default(&p);
    p.niter = 10;
    std::vector<float> flat(k * d), two(k * d);
    pgvq_status st;
    ASSERT_EQ(pgvq_kmeans_train(n, d, x.data(), k, &p, flat.data(), nullptr, &st), PGVQ_OK)
        << st.message;
    ASSERT_EQ(pgvq_kmeans_train_two_level(n, d, x.data(), k, &p, two.data(), &st), PGVQ_OK)
        << st.message;
    double sse_flat, sse_two;
    auto cf = sizes(x, n, d, flat, k, &sse_flat);
    auto ct = sizes(x, n, d, two, k, &sse_two);
    /* within 10% of flat k-means' objective (+3% to +8% measured) */
    EXPECT_LT(sse_two, sse_flat * 1.10) << sse_flat << " imbalance flat " << imbalance(cf, n)
                                        << " two " << imbalance(ct, n) << " max flat "
                                        << *std::max_element(cf.begin(), cf.end()) << " two "
                                        << *std::max_element(ct.begin(), ct.end());
    /* no list much larger than flat's largest */
    EXPECT_LE(*std::max_element(ct.begin(), ct.end()),
              *std::max_element(cf.begin(), cf.end()) * 5 / 4);
    EXPECT_LT(imbalance(ct, n), 1.5);
    for (float v : two)
        ASSERT_TRUE(std::isfinite(v));
}

TEST(KMeansTwoLevel, DeterministicAndThreadIndependent) {
    const size_t n = 6000, d = 16, k = 120;
    auto x = clustered(n, d, 200, 2.0f, 0.5f, 3);
    std::vector<float> a(k * d), b(k * d), c(k * d);
    pgvq_kmeans_params p;
    pgvq_kmeans_params_default(&p);
    p.nthreads = 1;
    ASSERT_EQ(pgvq_kmeans_train_two_level(n, d, x.data(), k, &p, a.data(), nullptr), PGVQ_OK);
    ASSERT_EQ(pgvq_kmeans_train_two_level(n, d, x.data(), k, &p, b.data(), nullptr), PGVQ_OK);
    p.nthreads = 3;
    ASSERT_EQ(pgvq_kmeans_train_two_level(n, d, x.data(), k, &p, c.data(), nullptr), PGVQ_OK);
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
    EXPECT_EQ(std::memcmp(a.data(), c.data(), a.size() * sizeof(float)), 0);
    /* another seed, other centroids */
    p.seed = 99;
    ASSERT_EQ(pgvq_kmeans_train_two_level(n, d, x.data(), k, &p, c.data(), nullptr), PGVQ_OK);
    EXPECT_NE(std::memcmp(a.data(), c.data(), a.size() * sizeof(float)), 0);
}

/* k >= n, and k too small for two levels: exactly flat k-means. */
TEST(KMeansTwoLevel, FallsBackToFlat) {
    pgvq_kmeans_params p;
    pgvq_kmeans_params_default(&p);
    for (auto nk : {std::pair<size_t, size_t>{50, 60}, {50, 50}, {500, 3}, {500, 1}}) {
        const size_t n = nk.first, k = nk.second, d = 6;
        auto x = clustered(n, d, 7, 3.0f, 0.3f, 5);
        std::vector<float> a(k * d), b(k * d);
        ASSERT_EQ(pgvq_kmeans_train(n, d, x.data(), k, &p, a.data(), nullptr, nullptr), PGVQ_OK);
        ASSERT_EQ(pgvq_kmeans_train_two_level(n, d, x.data(), k, &p, b.data(), nullptr), PGVQ_OK);
        EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0) << n << " " << k;
    }
}

namespace {
int stop_after(void *arg) {
    int *left = static_cast<int *>(arg);
    return (*left)-- <= 0;
}
} // namespace

TEST(KMeansTwoLevel, CancelAndBadArguments) {
    const size_t n = 4000, d = 8, k = 100;
    auto x = clustered(n, d, 50, 2.0f, 0.5f, 9);
    std::vector<float> cent(k * d);
    pgvq_kmeans_params p;
    pgvq_kmeans_params_default(&p);
    p.should_stop = stop_after;
    for (int after : {0, 3, 30}) {
        int left = after;
        p.stop_arg = &left;
        pgvq_status st;
        EXPECT_EQ(pgvq_kmeans_train_two_level(n, d, x.data(), k, &p, cent.data(), &st),
                  PGVQ_CANCELLED)
            << after;
    }
    pgvq_kmeans_params_default(&p);
    pgvq_status st;
    EXPECT_EQ(pgvq_kmeans_train_two_level(n, 0, x.data(), k, &p, cent.data(), &st),
              PGVQ_INVALID_ARGUMENT);
    EXPECT_EQ(pgvq_kmeans_train_two_level(n, d, x.data(), 0, &p, cent.data(), &st),
              PGVQ_INVALID_ARGUMENT);
    EXPECT_EQ(pgvq_kmeans_train_two_level(0, d, x.data(), k, &p, cent.data(), &st),
              PGVQ_INVALID_ARGUMENT);
    EXPECT_EQ(pgvq_kmeans_train_two_level(n, d, x.data(), k, &p, nullptr, &st),
              PGVQ_INVALID_ARGUMENT);
    x[17] = std::numeric_limits<float>::quiet_NaN();
    EXPECT_EQ(pgvq_kmeans_train_two_level(n, d, x.data(), k, &p, cent.data(), &st),
              PGVQ_INVALID_ARGUMENT);
}
