/*
 * test_topk.cpp: the bounded heap against a full sort, ties, NaN, and the
 * after-cursor resume used by exact scans.
 */
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "pgvq_core.h"

namespace {

struct Cand {
    float d;
    int64_t id;
};

/* The order the heap must produce: distance, then id; NaN after all numbers. */
bool ref_less(const Cand &a, const Cand &b) {
    bool na = std::isnan(a.d), nb = std::isnan(b.d);
    if (na || nb)
        return na == nb ? a.id < b.id : nb;
    if (a.d != b.d)
        return a.d < b.d;
    return a.id < b.id;
}

std::vector<Cand> make_candidates(size_t n, uint32_t seed, bool with_specials) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> bucket(0, 40); /* many ties */
    std::vector<Cand> c(n);
    std::vector<int64_t> ids(n);
    for (size_t i = 0; i < n; i++)
        ids[i] = (int64_t)i * 7 - 300;
    std::shuffle(ids.begin(), ids.end(), rng);
    for (size_t i = 0; i < n; i++) {
        c[i].d = (float)bucket(rng) * 0.25f - 3.0f;
        c[i].id = ids[i];
    }
    if (with_specials && n >= 10) {
        c[0].d = std::numeric_limits<float>::quiet_NaN();
        c[1].d = std::numeric_limits<float>::quiet_NaN();
        c[2].d = std::numeric_limits<float>::infinity();
        c[3].d = -std::numeric_limits<float>::infinity();
        c[4].d = -0.0f;
        c[5].d = 0.0f;
        c[6].d = std::numeric_limits<float>::quiet_NaN();
    }
    return c;
}

struct Heap {
    explicit Heap(size_t k) {
        pgvq_status st;
        EXPECT_EQ(pgvq_topk_new(k, &h, &st), PGVQ_OK);
    }
    ~Heap() { pgvq_topk_free(h); }
    std::vector<Cand> extract() {
        std::vector<double> d(pgvq_topk_size(h));
        std::vector<int64_t> id(d.size());
        size_t n = pgvq_topk_extract_sorted(h, d.data(), id.data());
        EXPECT_EQ(n, d.size());
        std::vector<Cand> out(n);
        for (size_t i = 0; i < n; i++) {
            out[i] = {(float)d[i], id[i]};
            EXPECT_TRUE(std::isnan(d[i]) || (double)out[i].d == d[i]) << "float inputs come back exactly";
        }
        return out;
    }
    pgvq_topk *h = nullptr;
};

void expect_same(const std::vector<Cand> &got, const std::vector<Cand> &want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); i++) {
        EXPECT_EQ(got[i].id, want[i].id) << "at " << i;
        if (std::isnan(want[i].d))
            EXPECT_TRUE(std::isnan(got[i].d)) << "at " << i;
        else
            EXPECT_EQ(got[i].d, want[i].d) << "at " << i;
    }
}

} // namespace

TEST(TopK, AgainstFullSort) {
    for (bool specials : {false, true}) {
        for (size_t n : {0, 1, 2, 10, 100, 1000}) {
            auto c = make_candidates(n, (uint32_t)n + 11, specials);
            auto sorted = c;
            std::sort(sorted.begin(), sorted.end(), ref_less);
            for (size_t k : {1, 2, 5, 10, 64, 1000, 1100}) {
                Heap heap(k);
                EXPECT_EQ(pgvq_topk_capacity(heap.h), k);
                for (auto &x : c)
                    pgvq_topk_push(heap.h, x.d, x.id);
                EXPECT_EQ(pgvq_topk_size(heap.h), std::min(k, n));
                std::vector<Cand> want(sorted.begin(), sorted.begin() + std::min(k, n));
                SCOPED_TRACE("n " + std::to_string(n) + " k " + std::to_string(k));
                expect_same(heap.extract(), want);
                EXPECT_EQ(pgvq_topk_size(heap.h), 0u);
            }
        }
    }
}

TEST(TopK, OrderOfPushesDoesNotMatter) {
    auto c = make_candidates(500, 5, true);
    Heap a(20), b(20);
    for (auto &x : c)
        pgvq_topk_push(a.h, x.d, x.id);
    std::reverse(c.begin(), c.end());
    for (auto &x : c)
        pgvq_topk_push(b.h, x.d, x.id);
    expect_same(a.extract(), b.extract());
}

TEST(TopK, TiesSmallerIdWins) {
    Heap heap(3);
    for (int64_t id : {50, 10, 40, 20, 30})
        pgvq_topk_push(heap.h, 1.0f, id);
    auto got = heap.extract();
    expect_same(got, {{1.0f, 10}, {1.0f, 20}, {1.0f, 30}});
}

TEST(TopK, NaNSortsLast) {
    Heap heap(4);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    pgvq_topk_push(heap.h, nan, 1);
    pgvq_topk_push(heap.h, nan, 0);
    pgvq_topk_push(heap.h, inf, 5);
    pgvq_topk_push(heap.h, 3.0f, 9);
    EXPECT_TRUE(std::isnan(pgvq_topk_threshold(heap.h)));
    pgvq_topk_push(heap.h, 2.0f, 8); /* evicts (NaN, 1) */
    auto got = heap.extract();
    expect_same(got, {{2.0f, 8}, {3.0f, 9}, {inf, 5}, {nan, 0}});
}

TEST(TopK, ThresholdAndReset) {
    Heap heap(3);
    EXPECT_EQ(pgvq_topk_threshold(heap.h), std::numeric_limits<float>::infinity());
    pgvq_topk_push(heap.h, 5.0f, 1);
    pgvq_topk_push(heap.h, 1.0f, 2);
    EXPECT_EQ(pgvq_topk_threshold(heap.h), std::numeric_limits<float>::infinity());
    pgvq_topk_push(heap.h, 3.0f, 3);
    EXPECT_EQ(pgvq_topk_threshold(heap.h), 5.0f);
    pgvq_topk_push(heap.h, 2.0f, 4);
    EXPECT_EQ(pgvq_topk_threshold(heap.h), 3.0f);
    pgvq_topk_reset(heap.h);
    EXPECT_EQ(pgvq_topk_size(heap.h), 0u);
    EXPECT_EQ(pgvq_topk_capacity(heap.h), 3u);
    pgvq_topk_push(heap.h, 9.0f, 1);
    expect_same(heap.extract(), {{9.0f, 1}});
}

TEST(TopK, ZeroCapacityKeepsNothing) {
    Heap heap(0);
    pgvq_topk_push(heap.h, 1.0f, 1);
    EXPECT_EQ(pgvq_topk_size(heap.h), 0u);
    EXPECT_EQ(pgvq_topk_threshold(heap.h), std::numeric_limits<float>::infinity());
    EXPECT_EQ(heap.extract().size(), 0u);
}

/*
 * Drains c from a heap of k in rounds, each resuming after the last pair the
 * previous round returned and feeding c in `batches` calls (as a scan over
 * pages would); returns everything returned, in order, and counts the rounds.
 */
static std::vector<Cand> drain_after_cursor(size_t k, const std::vector<Cand> &c, size_t batches,
                                            size_t *rounds) {
    std::vector<float> d(c.size());
    std::vector<int64_t> ids(c.size());
    for (size_t i = 0; i < c.size(); i++) {
        d[i] = c[i].d;
        ids[i] = c[i].id;
    }
    Heap heap(k);
    std::vector<Cand> all;
    float after_d = -std::numeric_limits<float>::infinity();
    int64_t after_id = INT64_MIN;
    *rounds = 0;
    for (;;) {
        for (size_t b = 0; b < batches; b++) {
            size_t lo = c.size() * b / batches, hi = c.size() * (b + 1) / batches;
            pgvq_topk_push_many_after(heap.h, hi - lo, d.data() + lo, ids.data() + lo, after_d, after_id);
        }
        auto got = heap.extract();
        if (got.empty())
            break;
        (*rounds)++;
        EXPECT_LE(got.size(), k);
        all.insert(all.end(), got.begin(), got.end());
        after_d = got.back().d;
        after_id = got.back().id;
    }
    return all;
}

/* Resuming after the last returned pair, round after round, yields exactly the
 * full sorted order: nothing lost, nothing repeated, ties and NaN included;
 * also over many blocks of the skip test with NaN and infinities anywhere
 * (ivfpq's chunked re-rank order: one call over the whole pool a round). */
TEST(TopK, ResumeAfterCursorYieldsFullOrder) {
    struct Case {
        size_t n, batches;
        bool shuffle;
        std::vector<size_t> ks;
    } cases[] = {{400, 2, false, {1, 3, 7, 50}}, {5003, 1, true, {32, 64, 1000}}};
    for (const Case &cs : cases)
        for (size_t k : cs.ks) {
            auto c = make_candidates(cs.n, 99, true);
            if (cs.shuffle)
                std::shuffle(c.begin(), c.end(), std::mt19937(k));
            auto sorted = c;
            std::sort(sorted.begin(), sorted.end(), ref_less);
            size_t rounds;
            auto all = drain_after_cursor(k, c, cs.batches, &rounds);
            SCOPED_TRACE("n " + std::to_string(cs.n) + " k " + std::to_string(k));
            EXPECT_EQ(rounds, (c.size() + k - 1) / k);
            expect_same(all, sorted);
        }
}

/* The radix argsort gives the TopK order: ties by position, NaN last, -0 = +0. */
TEST(TopK, ArgsortMatchesTheTopKOrder) {
    for (size_t n : {0, 1, 2, 17, 256, 5003}) {
        auto c = make_candidates(n, 5, true);
        std::shuffle(c.begin(), c.end(), std::mt19937(n));
        std::vector<float> keys(n);
        for (size_t i = 0; i < n; i++) {
            keys[i] = c[i].d;
            c[i].id = (int64_t)i; /* the position is the tie-break */
        }
        if (n > 20) {
            keys[11] = -std::numeric_limits<float>::quiet_NaN();
            c[11].d = keys[11];
            keys[12] = 1e-40f; /* a denormal */
            c[12].d = keys[12];
        }
        auto sorted = c;
        std::sort(sorted.begin(), sorted.end(), ref_less);
        std::vector<uint32_t> pos(n), work(3 * n);
        pgvq_argsort_f32(n, keys.data(), pos.data(), work.data());
        std::vector<Cand> got(n);
        for (size_t i = 0; i < n; i++)
            got[i] = c[pos[i]];
        SCOPED_TRACE("n " + std::to_string(n));
        expect_same(got, sorted);
    }
    /* one byte value in every key: the passes are skipped, the order stays */
    std::vector<float> same(100, 2.5f);
    std::vector<uint32_t> pos(100), work(300);
    pgvq_argsort_f32(100, same.data(), pos.data(), work.data());
    for (uint32_t i = 0; i < 100; i++)
        EXPECT_EQ(pos[i], i);
}

TEST(TopK, AfterCursorIsStrict) {
    Heap heap(10);
    const float d[5] = {1.0f, 1.0f, 1.0f, 0.5f, 2.0f};
    const int64_t ids[5] = {3, 4, 5, 100, 0};
    pgvq_topk_push_many_after(heap.h, 5, d, ids, 1.0f, 4);
    expect_same(heap.extract(), {{1.0f, 5}, {2.0f, 0}});
}

/* float8 distances that round to the same float4 keep their order (cosine). */
TEST(TopK, DoubleDistancesKeepTheirOrder) {
    Heap heap(3);
    const double base = 0.25;
    const double d[4] = {base + 3e-12, base + 1e-12, base + 2e-12, base};
    const int64_t ids[4] = {1, 2, 3, 4};
    ASSERT_EQ((float)d[0], (float)d[3]); /* one float4, four float8 values */
    pgvq_topk_push_many_after_f64(heap.h, 4, d, ids, -INFINITY, INT64_MIN);
    std::vector<double> out(3);
    std::vector<int64_t> oid(3);
    ASSERT_EQ(pgvq_topk_extract_sorted(heap.h, out.data(), oid.data()), 3u);
    EXPECT_EQ(oid, (std::vector<int64_t>{4, 2, 3}));
    EXPECT_EQ(out[0], base);
    EXPECT_EQ(out[2], base + 2e-12);
    /* resuming after the third keeps the fourth, though its float4 is equal */
    pgvq_topk_push_many_after_f64(heap.h, 4, d, ids, out[2], oid[2]);
    ASSERT_EQ(pgvq_topk_extract_sorted(heap.h, out.data(), oid.data()), 1u);
    EXPECT_EQ(oid[0], 1);
}
