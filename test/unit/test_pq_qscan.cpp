/*
 * test_pq_qscan.cpp: the integer PQ code scan (pq_qscan.cpp,
 * pq_qscan_vbmi.cpp).  Every value must be a lower bound of the real sum
 * bias + sum_j table[j][code_j] over the float table the build wrote (checked
 * against a long double sum), within 1.02 m step of it; the VBMI kernels must give
 * the scalar reference's integers and bytes exactly (skipped without VBMI);
 * tables that cannot be quantized fall back with the float table written.
 */
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <limits>
#include <random>
#include <vector>

#include "distances.h"
#include "pgvq_core.h"
#include "pq_qscan.h"

namespace {

constexpr size_t K = 256;

enum class Shape { Uniform, Wide, Negative, Constant, Tiny };

/* A table with the given shape: columns with their own offsets and ranges. */
std::vector<float> make_table(size_t m, Shape shape, std::mt19937 &rng) {
    std::vector<float> t(m * K);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (size_t j = 0; j < m; j++) {
        float off = 0, scale = 1;
        switch (shape) {
        case Shape::Uniform:
            off = -4, scale = 8;
            break;
        case Shape::Wide: /* offsets and ranges across many binades */
            off = (u(rng) - 0.5f) * std::ldexp(1.0f, (int)(rng() % 40) - 10);
            scale = std::ldexp(1.0f, (int)(rng() % 30) - 10);
            break;
        case Shape::Negative:
            off = -1e4f * u(rng) - 100, scale = 50 * u(rng);
            break;
        case Shape::Constant:
            off = (float)(j % 7) - 3, scale = j % 3 == 0 ? 0.0f : 2.0f;
            break;
        case Shape::Tiny: /* a small range far from zero: float rounding of t - lo matters */
            off = 1000.0f + (float)j, scale = 1e-3f;
            break;
        }
        for (size_t k = 0; k < K; k++)
            t[j * K + k] = off + scale * u(rng);
    }
    return t;
}

std::vector<uint8_t> make_codes(size_t n, size_t m, int kind, std::mt19937 &rng) {
    std::vector<uint8_t> c(n * m);
    for (size_t i = 0; i < c.size(); i++)
        c[i] = kind == 0 ? (uint8_t)rng() : kind == 1 ? 255 : (uint8_t)(i % 2 ? 128 : 127);
    return c;
}

/* A scan's table a + 2 b of two random tables of one shape (as terms + 2 qTable
 * once were), in table; quantized at bits into qt and sc. */
void madd_table(size_t m, int bits, Shape shape, std::mt19937 &rng, std::vector<float> &table,
                std::vector<uint8_t> &qt, pgvq_pq_qscale *sc) {
    const std::vector<float> a = make_table(m, shape, rng), b = make_table(m, shape, rng);
    table.resize(m * K);
    qt.resize(pgvq_pq_qtable_bytes(m, bits));
    pgvq_fvec_madd(m * K, a.data(), 2.0f, b.data(), table.data());
    ASSERT_EQ(pgvq_pq_qtable_build(m, bits, table.data(), qt.data(), sc), 1);
}

/* Each output is at most the long double sum, and within 1.02 m step (and the slack) of it. */
void check_bounds(size_t m, int bits, Shape shape, size_t n, int kind, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<float> table;
    std::vector<uint8_t> qt;
    pgvq_pq_qscale sc;
    madd_table(m, bits, shape, rng, table, qt, &sc);
    const float bias = shape == Shape::Negative ? -12345.5f : 3.25f;
    const std::vector<uint8_t> codes = make_codes(n, m, kind, rng);
    std::vector<float> out(n);
    pgvq_pq_qscan_codes(m, qt.data(), &sc, bias, n, codes.data(), out.data());
    for (size_t i = 0; i < n; i++) {
        long double ref = bias, mag = std::fabs(bias);
        for (size_t j = 0; j < m; j++) {
            ref += table[j * K + codes[i * m + j]];
            mag += std::fabs(table[j * K + codes[i * m + j]]) + 2 * std::fabs(table[j * K]);
        }
        ASSERT_LE((long double)out[i], ref) << "row " << i << " m " << m << " bits " << bits;
        const long double tol = 1.02L * (long double)m * sc.step + 1e-14L * mag +
                                std::fabs(ref) * std::ldexp(1.0L, -23);
        ASSERT_GE((long double)out[i], ref - tol) << std::setprecision(20) << out[i] << " " << (double)ref << " step " << sc.step << " row " << i << " m " << m << " bits " << bits;
    }
}

TEST(PqQscan, LowerBoundsWithinStep) {
    const size_t ms[] = {1, 3, 8, 63, 64, 65, 196, 200, 1030};
    const size_t ns[] = {1, 7, 39, 64, 65, 130, 200};
    const Shape shapes[] = {Shape::Uniform, Shape::Wide, Shape::Negative, Shape::Constant,
                            Shape::Tiny};
    uint32_t seed = 1;
    for (int bits : {8, 16})
        for (size_t m : ms)
            for (Shape s : shapes)
                for (size_t n : ns) {
                    if (m >= 1030 && n > 65)
                        continue;
                    check_bounds(m, bits, s, n, (int)(seed % 3), seed);
                    seed++;
                }
}

/* Every quantized entry, scaled back, is at most the float entry (exactly, in
 * long double) and within 1.02 steps of it. */
TEST(PqQscan, EntriesNeverExceedTheTable) {
    std::mt19937 rng(21);
    for (int bits : {8, 16})
        for (Shape shape : {Shape::Uniform, Shape::Wide, Shape::Tiny, Shape::Negative}) {
            const size_t m = 300;
            std::vector<float> table;
            std::vector<uint8_t> qt;
            pgvq_pq_qscale sc;
            madd_table(m, bits, shape, rng, table, qt, &sc);
            const size_t col = K * (size_t)(bits / 8);
            for (size_t j = 0; j < m; j++) {
                float lo = table[j * K];
                for (size_t k = 1; k < K; k++)
                    lo = std::min(lo, table[j * K + k]);
                for (size_t k = 0; k < K; k++) {
                    long double q = qt[j * col + k];
                    if (bits == 16)
                        q += 256.0L * qt[j * col + K + k];
                    const long double back = (long double)lo + q * (long double)sc.step;
                    const long double t = table[j * K + k];
                    ASSERT_LE(back, t) << "column " << j << " entry " << k << " bits " << bits;
                    ASSERT_GE(back, t - 1.02L * sc.step) << "column " << j << " entry " << k;
                }
            }
        }
}

/* 16-bit entries are 256 times finer: the bound is that much closer. */
TEST(PqQscan, SixteenBitsIsTighter) {
    std::mt19937 rng(7);
    const size_t m = 196;
    const std::vector<float> a = make_table(m, Shape::Uniform, rng);
    std::vector<uint8_t> q8(pgvq_pq_qtable_bytes(m, 8)), q16(pgvq_pq_qtable_bytes(m, 16));
    pgvq_pq_qscale s8, s16;
    ASSERT_EQ(pgvq_pq_qtable_build(m, 8, a.data(), q8.data(), &s8), 1);
    ASSERT_EQ(pgvq_pq_qtable_build(m, 16, a.data(), q16.data(), &s16), 1);
    EXPECT_NEAR(s8.step / s16.step, 65535.0 / 255.0, 1e-3);
}

TEST(PqQscan, NonFiniteTablesFallBack) {
    std::mt19937 rng(3);
    const size_t m = 20;
    for (float bad : {std::numeric_limits<float>::infinity(), std::nanf(""), 3e38f}) {
        std::vector<float> a = make_table(m, Shape::Uniform, rng), b = a, table(m * K);
        a[5 * K + 17] = bad;
        std::vector<uint8_t> qt(pgvq_pq_qtable_bytes(m, 8));
        pgvq_pq_qscale sc;
        /* 3e38 + 2 * 3e38 overflows to inf */
        b[5 * K + 17] = bad;
        pgvq_fvec_madd(m * K, a.data(), 2.0f, b.data(), table.data());
        EXPECT_EQ(pgvq_pq_qtable_build(m, 8, table.data(), qt.data(), &sc), 0);
    }
    /* a range whose step is below 1e-30: left to the float scan */
    std::vector<float> a(m * K, 1e-35f);
    a[3] = 2e-35f;
    std::vector<uint8_t> qt(pgvq_pq_qtable_bytes(m, 8));
    pgvq_pq_qscale sc;
    EXPECT_EQ(pgvq_pq_qtable_build(m, 8, a.data(), qt.data(), &sc), 0);
    EXPECT_EQ(pgvq_pq_qtable_build(m, 12, a.data(), qt.data(), &sc), 0);
}

/* The VBMI kernels against the scalar reference, bit for bit. */
TEST(PqQscan, VbmiMatchesScalar) {
    if (!pgvq::pq_qscan_vbmi_usable())
        GTEST_SKIP() << "no AVX-512 VBMI here";
    std::mt19937 rng(11);
    for (int bits : {8, 16})
        for (size_t m : {1, 2, 9, 64, 100, 196, 257, 1030}) {
            const std::vector<float> a = make_table(m, Shape::Wide, rng);
            const std::vector<float> b = make_table(m, Shape::Uniform, rng);
            std::vector<float> t1(m * K), lo1(m), lo2(m), hi1(m), hi2(m);
            pgvq_fvec_madd(m * K, a.data(), 2.0f, b.data(), t1.data());
            ASSERT_TRUE(pgvq::pq_qtable_prepare_scalar(m, t1.data(), lo1.data(), hi1.data()));
            ASSERT_TRUE(pgvq::pq_qtable_prepare_vbmi(m, t1.data(), lo2.data(), hi2.data()));
            ASSERT_EQ(lo1, lo2);
            ASSERT_EQ(hi1, hi2);
            std::vector<uint8_t> q1(pgvq_pq_qtable_bytes(m, bits)), q2(q1.size());
            const float k = bits == 16 ? 3.7f : 0.013f; /* saturates some entries */
            pgvq::pq_qtable_quantize_scalar(m, bits, t1.data(), lo1.data(), k, q1.data());
            pgvq::pq_qtable_quantize_vbmi(m, bits, t1.data(), lo1.data(), k, q2.data());
            ASSERT_EQ(q1, q2);
            for (size_t n : {1, 5, 39, 63, 64, 65, 127, 200}) {
                for (int kind = 0; kind < 3; kind++) {
                    /* random table bytes too, so every byte value is reached */
                    for (auto &x : q1)
                        x = kind == 1 ? 255 : (uint8_t)rng();
                    const std::vector<uint8_t> codes = make_codes(n, m, kind, rng);
                    std::vector<uint32_t> s1(n), s2(n, 0xdeadbeef);
                    pgvq::pq_qscan_sums_scalar(m, bits, q1.data(), n, codes.data(), s1.data());
                    pgvq::pq_qscan_sums_vbmi(m, bits, q1.data(), n, codes.data(), s2.data());
                    ASSERT_EQ(s1, s2) << "m " << m << " n " << n << " bits " << bits;
                }
            }
        }
}

/* Below the AVX-512 level the scan takes the scalar reference: same values. */
TEST(PqQscan, LevelsGiveTheSameValues) {
    const int saved = pgvq::kernels().level;
    std::mt19937 rng(5);
    const size_t m = 196, n = 77;
    const std::vector<float> a = make_table(m, Shape::Negative, rng);
    const std::vector<uint8_t> codes = make_codes(n, m, 0, rng);
    std::vector<float> ref;
    for (int level = pgvq::simd_level_supported(); level >= 0; level--) {
        pgvq_set_simd_level(level);
        EXPECT_EQ(pgvq_pq_qscan_fast(), level == pgvq::SIMD_AVX512 && pgvq::pq_qscan_vbmi_usable());
        std::vector<float> out(n);
        std::vector<uint8_t> qt(pgvq_pq_qtable_bytes(m, 16));
        pgvq_pq_qscale sc;
        ASSERT_EQ(pgvq_pq_qtable_build(m, 16, a.data(), qt.data(), &sc), 1);
        pgvq_pq_qscan_codes(m, qt.data(), &sc, -1.5f, n, codes.data(), out.data());
        if (ref.empty())
            ref = out;
        EXPECT_EQ(0, std::memcmp(ref.data(), out.data(), sizeof(float) * n)) << level;
    }
    pgvq_set_simd_level(saved);
}

} // namespace
