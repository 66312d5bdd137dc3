/*
 * test_sparse_kernels.cpp: the sparse distance kernels and the order of
 * sparse vectors against dense references, and every popcount level against
 * a bit-by-bit count.
 */
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "pgvq_core.h"

namespace {

struct Sparse {
    int32_t dim;
    std::vector<int32_t> idx;
    std::vector<float> val;
    std::vector<float> dense;
};

Sparse random_sparse(std::mt19937 &rng, int32_t dim, double density) {
    std::uniform_real_distribution<double> u(0, 1);
    std::uniform_real_distribution<float> v(-4, 4);
    Sparse s;
    s.dim = dim;
    s.dense.assign(dim, 0.0f);
    for (int32_t i = 0; i < dim; i++) {
        if (u(rng) < density) {
            float x = v(rng);
            if (x == 0.0f) x = 1.0f;
            s.idx.push_back(i);
            s.val.push_back(x);
            s.dense[i] = x;
        }
    }
    return s;
}

/* Dense float sums in index order: the zero positions add exact zeros, so
 * these equal the merge-order sums bit for bit. */
float dense_l2(const Sparse &a, const Sparse &b) {
    float s = 0;
    for (int32_t i = 0; i < a.dim; i++) {
        float d = a.dense[i] - b.dense[i];
        if (a.dense[i] != 0 || b.dense[i] != 0) s += d * d;
    }
    return s;
}
float dense_ip(const Sparse &a, const Sparse &b) {
    float s = 0;
    for (int32_t i = 0; i < a.dim; i++)
        if (a.dense[i] != 0 && b.dense[i] != 0) s += a.dense[i] * b.dense[i];
    return s;
}
float dense_l1(const Sparse &a, const Sparse &b) {
    float s = 0;
    for (int32_t i = 0; i < a.dim; i++)
        if (a.dense[i] != 0 || b.dense[i] != 0) s += std::fabs(a.dense[i] - b.dense[i]);
    return s;
}
int dense_compare(const Sparse &a, const Sparse &b) {
    int32_t n = std::min(a.dim, b.dim);
    for (int32_t i = 0; i < n; i++) {
        if (a.dense[i] < b.dense[i]) return -1;
        if (a.dense[i] > b.dense[i]) return 1;
    }
    return a.dim == b.dim ? 0 : (a.dim < b.dim ? -1 : 1);
}

#define ARGS(a, b) a.idx.data(), a.val.data(), a.idx.size(), b.idx.data(), b.val.data(), b.idx.size()

TEST(SparseKernels, MatchDenseReference) {
    std::mt19937 rng(42);
    for (int t = 0; t < 2000; t++) {
        int32_t dim = 1 + static_cast<int32_t>(rng() % 200);
        double da = (rng() % 5) / 4.0, db = (rng() % 5) / 4.0;
        Sparse a = random_sparse(rng, dim, da), b = random_sparse(rng, dim, db);
        ASSERT_EQ(pgvq_svec_l2sqr(ARGS(a, b)), dense_l2(a, b));
        ASSERT_EQ(pgvq_svec_l2sqr(ARGS(b, a)), dense_l2(b, a));
        ASSERT_EQ(pgvq_svec_inner_product(ARGS(a, b)), dense_ip(a, b));
        ASSERT_EQ(pgvq_svec_l1(ARGS(a, b)), dense_l1(a, b));
        float na = 0, nb = 0;
        double na64 = 0;
        for (float x : a.val) na += x * x, na64 += double(x) * x;
        for (float x : b.val) nb += x * x;
        ASSERT_EQ(pgvq_svec_norm_l2sqr(a.val.data(), a.val.size()), na);
        ASSERT_EQ(pgvq_svec_norm_l2(a.val.data(), a.val.size()), std::sqrt(na64));
        double cos = pgvq_svec_cosine_distance(ARGS(a, b));
        double sim = double(dense_ip(a, b)) / std::sqrt(double(na) * double(nb));
        if (std::isnan(sim))
            ASSERT_TRUE(std::isnan(cos));
        else
            ASSERT_EQ(cos, 1.0 - std::max(-1.0, std::min(1.0, sim)));
    }
}

TEST(SparseKernels, KnownValues) {
    int32_t i1[] = {0}, i2[] = {1}, i12[] = {0, 1};
    float v3[] = {3}, v4[] = {4}, v34[] = {3, 4}, v12[] = {1, 2}, v24[] = {2, 4};
    EXPECT_EQ(pgvq_svec_l2sqr(i1, v3, 1, i2, v4, 1), 25.0f);
    EXPECT_EQ(pgvq_svec_l2sqr(nullptr, nullptr, 0, i12, v34, 2), 25.0f);
    EXPECT_EQ(pgvq_svec_l1(nullptr, nullptr, 0, i12, v34, 2), 7.0f);
    EXPECT_EQ(pgvq_svec_inner_product(i12, v12, 2, i12, v24, 2), 10.0f);
    EXPECT_EQ(pgvq_svec_cosine_distance(i12, v12, 2, i12, v24, 2), 0.0);
    EXPECT_TRUE(std::isnan(pgvq_svec_cosine_distance(i12, v12, 2, nullptr, nullptr, 0)));
    float big[] = {3e38f};
    EXPECT_TRUE(std::isinf(pgvq_svec_inner_product(i1, big, 1, i1, big, 1)));
    EXPECT_TRUE(std::isnan(pgvq_svec_cosine_distance(i1, big, 1, i1, big, 1)));
}

TEST(SparseKernels, CompareIsDenseArrayOrder) {
    std::mt19937 rng(7);
    std::vector<Sparse> all;
    for (int t = 0; t < 300; t++) {
        int32_t dim = 1 + static_cast<int32_t>(rng() % 6);
        all.push_back(random_sparse(rng, dim, (rng() % 3) / 2.0));
        // small integer values make equal prefixes common
        for (auto &x : all.back().val) x = std::round(x) != 0 ? std::round(x) : 1;
        for (size_t k = 0; k < all.back().idx.size(); k++)
            all.back().dense[all.back().idx[k]] = all.back().val[k];
    }
    for (const Sparse &a : all)
        for (const Sparse &b : all)
            ASSERT_EQ(pgvq_svec_compare(a.dim, a.idx.data(), a.val.data(), a.idx.size(), b.dim,
                                        b.idx.data(), b.val.data(), b.idx.size()),
                      dense_compare(a, b));
}

// ---- popcount ----------------------------------------------------------------------

uint64_t ref_hamming(const unsigned char *a, const unsigned char *b, size_t n) {
    uint64_t d = 0;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 8; k++) d += ((a[i] ^ b[i]) >> k) & 1;
    return d;
}

double ref_jaccard(const unsigned char *a, const unsigned char *b, size_t n) {
    uint64_t ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 8; k++) {
            ab += ((a[i] & b[i]) >> k) & 1;
            aa += (a[i] >> k) & 1;
            bb += (b[i] >> k) & 1;
        }
    return ab == 0 ? 1.0 : 1.0 - double(ab) / double(aa + bb - ab);
}

class PopcountLevelGuard {
  public:
    PopcountLevelGuard() : saved_(level_of(pgvq_popcount_level())) {}
    ~PopcountLevelGuard() { pgvq_set_popcount_level(saved_); }
    static int level_of(const std::string &n) {
        return n == "avx512vpopcntdq" ? 2 : n == "popcnt" ? 1 : 0;
    }

  private:
    int saved_;
};

TEST(Popcount, EveryLevelEqualsReference) {
    PopcountLevelGuard guard;
    int top = pgvq_set_popcount_level(2);
    EXPECT_EQ(PopcountLevelGuard::level_of(pgvq_popcount_level()), top);
    std::printf("popcount levels tested: 0..%d\n", top);
    std::mt19937 rng(1234);
    std::vector<unsigned char> a(2100), b(2100);
    for (int level = 0; level <= top; level++) {
        ASSERT_EQ(pgvq_set_popcount_level(level), level);
        for (size_t n : {0, 1, 7, 8, 9, 63, 64, 65, 127, 128, 129, 200, 256, 1000, 2048}) {
            for (size_t off = 0; off < 8; off++) {
                for (int rep = 0; rep < 4; rep++) {
                    int density = rep;  // 0: sparse, 3: dense bits
                    for (size_t i = 0; i < n + off; i++) {
                        a[i] = static_cast<unsigned char>(rng());
                        b[i] = static_cast<unsigned char>(rng());
                        if (density == 0) a[i] &= b[i] & static_cast<unsigned char>(rng());
                        if (density == 3) a[i] |= 0xF0, b[i] |= 0x0F;
                    }
                    const unsigned char *pa = a.data() + off, *pb = b.data() + off;
                    ASSERT_EQ(pgvq_bit_hamming(pa, pb, n), ref_hamming(pa, pb, n))
                        << "level " << level << " n " << n;
                    ASSERT_EQ(pgvq_bit_jaccard(pa, pb, n), ref_jaccard(pa, pb, n))
                        << "level " << level << " n " << n;
                }
            }
        }
        std::vector<unsigned char> ones(300, 0xFF), zeros(300, 0);
        EXPECT_EQ(pgvq_bit_hamming(ones.data(), zeros.data(), 300), 2400u);
        EXPECT_EQ(pgvq_bit_jaccard(zeros.data(), zeros.data(), 300), 1.0);
        EXPECT_EQ(pgvq_bit_jaccard(ones.data(), ones.data(), 300), 0.0);
    }
}

TEST(Popcount, LevelClamped) {
    PopcountLevelGuard guard;
    EXPECT_EQ(pgvq_set_popcount_level(-3), 0);
    EXPECT_STREQ(pgvq_popcount_level(), "scalar");
    EXPECT_LE(pgvq_set_popcount_level(99), 2);
}

}  // namespace
