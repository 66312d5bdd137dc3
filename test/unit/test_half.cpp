/*
 * test_half.cpp: the half-precision core (pgvq_core_half.h).
 *  - conversions against references written independently of the bit
 *    arithmetic (half values from ldexp; rounding by searching the sorted
 *    halves), every half and the rounding boundaries of every binade;
 *  - every SIMD level against the scalar one, bit for bit;
 *  - the canonical summation order (sequential up to 8 dimensions);
 *  - the halfvec binary-form parser.
 */
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "pgvq_core.h"
#include "pgvq_core_half.h"

namespace {

uint32_t bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

float from_bits(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

/* The value of a finite half from its fields, in double. */
double half_value(uint16_t h) {
    int e = (h >> 10) & 0x1F, m = h & 0x3FF;
    double v = e == 0 ? std::ldexp(m, -24) : std::ldexp(1024 + m, e - 25);
    return (h & 0x8000) ? -v : v;
}

/* Round to nearest even by search: the positive finite halves 0..0x7BFF are
 * increasing in value. */
uint16_t ref_round(float f) {
    if (std::isnan(f)) return 0x7E00;
    uint16_t sign = std::signbit(f) ? 0x8000 : 0;
    double a = std::fabs(static_cast<double>(f));
    if (a >= 65520.0) return sign | 0x7C00; /* ties to the even 0x7C00 */
    uint16_t lo = 0, hi = 0x7BFF;
    while (lo < hi) { /* largest h with value(h) <= a */
        uint16_t mid = static_cast<uint16_t>((lo + hi + 1) / 2);
        if (half_value(mid) <= a) lo = mid; else hi = static_cast<uint16_t>(mid - 1);
    }
    if (lo == 0x7BFF) return sign | 0x7BFF; /* 65504 <= a < 65520 */
    double dlo = a - half_value(lo), dhi = half_value(lo + 1) - a;
    uint16_t r = (dlo < dhi || (dlo == dhi && (lo & 1) == 0)) ? lo : static_cast<uint16_t>(lo + 1);
    return sign | r;
}

std::vector<int> supported_levels() {
    int top = pgvq_set_simd_level(2);
    std::vector<int> v;
    for (int l = 0; l <= top; l++) v.push_back(l);
    return v;
}

class LevelGuard {
  public:
    LevelGuard() : saved_(level_of(pgvq_simd_level())) {}
    ~LevelGuard() { pgvq_set_simd_level(saved_); }

  private:
    static int level_of(const char* name) {
        return std::string(name) == "avx512" ? 2 : std::string(name) == "avx2" ? 1 : 0;
    }
    int saved_;
};

/* Floats at and around every rounding boundary of the halves: each half,
 * each midpoint between neighbours, one float ulp either side of both. */
std::vector<float> boundary_floats() {
    std::vector<float> v;
    for (uint32_t h = 0; h < 0x7C00; h++) {
        double x = half_value(static_cast<uint16_t>(h));
        double mid = (x + (h < 0x7BFF ? half_value(static_cast<uint16_t>(h + 1)) : 65536.0)) / 2;
        for (double y : {x, mid}) {
            float f = static_cast<float>(y); /* exact: 12 significant bits at most */
            v.push_back(f);
            v.push_back(std::nextafter(f, 0.0f));
            v.push_back(std::nextafter(f, 1e9f));
        }
    }
    for (float f : {0x1p-25f, 0x1p-26f, 0x1p-24f, 0x1.8p-25f, 0x1p-14f, 65504.0f, 65519.0f,
                    65519.996f, 65520.0f, 65536.0f, 1e10f, 3.4e38f, 1e-8f, 1e-40f, 1.23456f})
        v.push_back(f);
    size_t n = v.size();
    for (size_t i = 0; i < n; i++) v.push_back(-v[i]);
    return v;
}

} // namespace

TEST(Half, EveryHalfToFloat) {
    for (uint32_t h = 0; h <= 0xFFFF; h++) {
        float f = pgvq_half_to_float(static_cast<uint16_t>(h));
        int e = (h >> 10) & 0x1F;
        if (e == 31 && (h & 0x3FF)) {
            EXPECT_TRUE(std::isnan(f)) << h;
            EXPECT_TRUE(PGVQ_HALF_IS_NAN(h));
        } else if (e == 31) {
            EXPECT_TRUE(std::isinf(f)) << h;
            EXPECT_EQ(std::signbit(f), (h & 0x8000) != 0);
            EXPECT_TRUE(PGVQ_HALF_IS_INF(h));
        } else {
            EXPECT_EQ(static_cast<double>(f), half_value(static_cast<uint16_t>(h))) << h;
            EXPECT_EQ(std::signbit(f), (h & 0x8000) != 0) << h; /* -0 stays -0 */
            /* every finite half reads back to itself */
            EXPECT_EQ(pgvq_float_to_half(f), h) << h;
        }
    }
}

TEST(Half, RoundsToNearestEven) {
    for (float f : boundary_floats())
        ASSERT_EQ(pgvq_float_to_half(f), ref_round(f)) << f;
    std::mt19937 rng(7);
    std::uniform_int_distribution<uint32_t> any;
    for (int i = 0; i < 200000; i++) {
        float f = from_bits(any(rng));
        if (std::isnan(f)) continue;
        ASSERT_EQ(pgvq_float_to_half(f), ref_round(f)) << f;
    }
}

TEST(Half, EdgeCases) {
    EXPECT_EQ(pgvq_float_to_half(65504.0f), 0x7BFF);
    EXPECT_EQ(pgvq_float_to_half(65519.0f), 0x7BFF);  /* pgvector: [65519] -> [65504] */
    EXPECT_EQ(pgvq_float_to_half(65520.0f), 0x7C00);  /* the tie goes to infinity */
    EXPECT_EQ(pgvq_float_to_half(-65520.0f), 0xFC00);
    EXPECT_EQ(pgvq_float_to_half(0x1p-24f), 0x0001);  /* smallest subnormal */
    EXPECT_EQ(pgvq_float_to_half(0x1p-25f), 0x0000);  /* tie to even: zero */
    EXPECT_EQ(pgvq_float_to_half(0x1.000002p-25f), 0x0001);
    EXPECT_EQ(pgvq_float_to_half(0x1.8p-24f), 0x0002); /* 1.5 units: tie to even 2 */
    EXPECT_EQ(pgvq_float_to_half(0x1.ffcp-15f), 0x0400); /* 1023.5 units: up into the normals */
    EXPECT_EQ(pgvq_float_to_half(1e-8f), 0x0000);
    EXPECT_EQ(pgvq_float_to_half(-1e-8f), 0x8000);    /* pgvector prints -0 */
    EXPECT_EQ(pgvq_float_to_half(-0.0f), 0x8000);
    EXPECT_EQ(pgvq_half_to_float(pgvq_float_to_half(1.23456f)), 1.234375f);
    EXPECT_EQ(pgvq_half_to_float(pgvq_float_to_half(0.6f)), 0.60009766f);
    EXPECT_EQ(pgvq_half_to_float(pgvq_float_to_half(0.8f)), 0.7998047f);
    EXPECT_EQ(pgvq_float_to_half(std::numeric_limits<float>::infinity()), 0x7C00);
    EXPECT_EQ(pgvq_float_to_half(-std::numeric_limits<float>::infinity()), 0xFC00);
    EXPECT_TRUE(PGVQ_HALF_IS_NAN(pgvq_float_to_half(std::nanf(""))));
    EXPECT_TRUE(PGVQ_HALF_IS_NAN(pgvq_float_to_half(from_bits(0x7F800001u)))); /* sNaN stays NaN */
    EXPECT_TRUE(PGVQ_HALF_IS_ZERO(0x8000));
    EXPECT_FALSE(PGVQ_HALF_IS_ZERO(0x0001));
}

/* The bulk conversions of every level give the scalar bits, NaNs included,
 * and report the first overflow (a finite float become infinite) only. */
TEST(Half, BulkConversionsEveryLevel) {
    LevelGuard g;
    std::vector<float> in = boundary_floats();
    std::mt19937 rng(11);
    std::uniform_int_distribution<uint32_t> any;
    for (int i = 0; i < 100000; i++) in.push_back(from_bits(any(rng)));
    in.push_back(std::nanf(""));
    in.push_back(from_bits(0xFF800123u));
    std::vector<uint16_t> all(0x10000);
    for (uint32_t h = 0; h <= 0xFFFF; h++) all[h] = static_cast<uint16_t>(h);
    for (int l : supported_levels()) {
        ASSERT_EQ(pgvq_set_simd_level(l), l);
        std::vector<float> back(all.size());
        pgvq_half_to_float_n(all.data(), all.size(), back.data());
        for (uint32_t h = 0; h <= 0xFFFF; h++)
            ASSERT_EQ(bits(back[h]), bits(pgvq_half_to_float(static_cast<uint16_t>(h))))
                << "level " << l << " half " << h;
        /* odd lengths and offsets exercise the tails */
        for (size_t off : {0, 1, 3}) {
            size_t n = in.size() - off;
            std::vector<uint16_t> out(n);
            pgvq_float_to_half_n(in.data() + off, n, out.data());
            for (size_t i = 0; i < n; i++)
                ASSERT_EQ(out[i], pgvq_float_to_half(in[off + i])) << "level " << l << " " << in[off + i];
        }
        for (size_t n = 0; n <= 40; n++) {
            std::vector<float> x(n, 1.5f);
            std::vector<uint16_t> out(n + 1, 0xABCD);
            EXPECT_EQ(pgvq_float_to_half_n(x.data(), n, out.data()), n);
            EXPECT_EQ(out[n], 0xABCD) << "wrote past the end, n " << n;
            if (n > 5) {
                x[2] = std::numeric_limits<float>::infinity(); /* not an overflow */
                x[4] = 65520.0f;
                x[5] = 1e30f;
                EXPECT_EQ(pgvq_float_to_half_n(x.data(), n, out.data()), 4u);
                EXPECT_EQ(out[4], 0x7C00);
                EXPECT_EQ(out[5], 0x7C00); /* converted on past the first */
            }
        }
    }
}

namespace {

std::vector<uint16_t> random_halves(std::mt19937& rng, size_t n, float scale) {
    std::normal_distribution<float> nd(0.0f, scale);
    std::vector<uint16_t> v(n);
    for (auto& h : v) {
        h = pgvq_float_to_half(nd(rng));
        if (PGVQ_HALF_IS_INF(h)) h = 0x7BFF;
    }
    return v;
}

struct Result {
    uint32_t l2, ip, l1, dot, na, nb;
    bool operator==(const Result& o) const {
        return l2 == o.l2 && ip == o.ip && l1 == o.l1 && dot == o.dot && na == o.na && nb == o.nb;
    }
};

Result run(const uint16_t* a, const uint16_t* b, size_t d) {
    float dot, na, nb;
    pgvq_hvec_cosine_parts(a, b, d, &dot, &na, &nb);
    return {bits(pgvq_hvec_l2sqr(a, b, d)), bits(pgvq_hvec_inner_product(a, b, d)),
            bits(pgvq_hvec_l1(a, b, d)), bits(dot), bits(na), bits(nb)};
}

} // namespace

TEST(HalfKernels, EveryLevelEqualsScalar) {
    LevelGuard g;
    std::mt19937 rng(3);
    std::vector<size_t> lengths;
    for (size_t d = 0; d <= 100; d++) lengths.push_back(d);
    for (size_t d : {127, 128, 129, 384, 768, 1000, 1536, 3072, 16000}) lengths.push_back(d);
    for (float scale : {1.0f, 100.0f, 1e-5f}) {
        for (size_t d : lengths) {
            /* one spare element: unaligned starts */
            auto a = random_halves(rng, d + 1, scale), b = random_halves(rng, d + 1, scale);
            pgvq_set_simd_level(0);
            Result ref = run(a.data() + 1, b.data() + 1, d);
            for (int l : supported_levels()) {
                pgvq_set_simd_level(l);
                EXPECT_TRUE(run(a.data() + 1, b.data() + 1, d) == ref)
                    << "level " << l << " d " << d << " scale " << scale;
            }
        }
    }
}

/* The scalar level is the documented order: 32 lanes, product rounded, then
 * the fold.  Checked against a literal transcription, and against double. */
TEST(HalfKernels, CanonicalOrder) {
    LevelGuard g;
    std::mt19937 rng(5);
    for (size_t d : {1, 2, 3, 7, 8, 9, 31, 32, 33, 65, 300, 3072}) {
        auto a = random_halves(rng, d, 3.0f), b = random_halves(rng, d, 3.0f);
        float s[32] = {};
        double dref = 0;
        for (size_t i = 0; i < d; i++) {
            float x = pgvq_half_to_float(a[i]), y = pgvq_half_to_float(b[i]);
            volatile float p = x * y; /* rounded before the add */
            s[i % 32] = s[i % 32] + p;
            dref += static_cast<double>(x) * y;
        }
        for (int j = 0; j < 16; j++) s[j] = s[j] + s[j + 16];
        for (int j = 0; j < 8; j++) s[j] = s[j] + s[j + 8];
        float want = s[0];
        for (int j = 1; j < 8; j++) want = want + s[j];
        for (int l : supported_levels()) {
            pgvq_set_simd_level(l);
            float got = pgvq_hvec_inner_product(a.data(), b.data(), d);
            EXPECT_EQ(bits(got), bits(want)) << "level " << l << " d " << d;
            EXPECT_NEAR(got, dref, 1e-5 * (1 + std::fabs(dref)) * std::sqrt(static_cast<double>(d)));
        }
        if (d <= 8) { /* pgvector's plain sequential sum */
            float seq = 0;
            for (size_t i = 0; i < d; i++) {
                volatile float p = pgvq_half_to_float(a[i]) * pgvq_half_to_float(b[i]);
                seq = seq + p;
            }
            EXPECT_EQ(bits(want), bits(seq)) << d;
        }
    }
}

TEST(HalfKernels, KnownValues) {
    LevelGuard g;
    auto h = [](std::initializer_list<float> l) {
        std::vector<uint16_t> v;
        for (float f : l) v.push_back(pgvq_float_to_half(f));
        return v;
    };
    for (int l : supported_levels()) {
        pgvq_set_simd_level(l);
        auto z = h({0, 0}), p = h({3, 4});
        EXPECT_EQ(pgvq_hvec_l2sqr(z.data(), p.data(), 2), 25.0f);
        EXPECT_EQ(pgvq_hvec_l1(z.data(), p.data(), 2), 7.0f);
        auto ones = h({1, 1, 1, 1, 1, 1, 1, 1, 1}), nine = h({1, 2, 3, 4, 5, 6, 7, 8, 9});
        EXPECT_EQ(pgvq_hvec_inner_product(ones.data(), nine.data(), 9), 45.0f);
        auto m = h({65504}), m2 = h({65504});
        EXPECT_EQ(pgvq_hvec_inner_product(m.data(), m2.data(), 1), 4290774016.0f);
        float dot, na, nb;
        auto a = h({1, 2}), b = h({2, 4});
        pgvq_hvec_cosine_parts(a.data(), b.data(), 2, &dot, &na, &nb);
        EXPECT_EQ(dot, 10.0f);
        EXPECT_EQ(na, 5.0f);
        EXPECT_EQ(nb, 20.0f);
    }
}

namespace {

using Bytes = std::vector<unsigned char>;

Bytes hv_bytes(unsigned dim, unsigned unused, const std::vector<uint16_t>& x) {
    Bytes b{static_cast<unsigned char>(dim >> 8), static_cast<unsigned char>(dim & 0xff),
            static_cast<unsigned char>(unused >> 8), static_cast<unsigned char>(unused & 0xff)};
    for (uint16_t h : x) {
        b.push_back(static_cast<unsigned char>(h >> 8));
        b.push_back(static_cast<unsigned char>(h & 0xff));
    }
    return b;
}

} // namespace

TEST(HalfBinary, ParsesPgvectorLayout) {
    std::vector<uint16_t> out(8, 0);
    int dim = -1, unused = -1;
    Bytes b = hv_bytes(3, 0, {0x3C00, 0x4000, 0xC200}); /* 1, 2, -3 */
    ASSERT_EQ(b.size(), PGVQ_HALF_BINARY_SIZE(3));
    EXPECT_EQ(pgvq_parse_halfvec_binary(b.data(), b.size(), out.data(), 16000, &dim, &unused),
              PGVQ_BINARY_OK);
    EXPECT_EQ(dim, 3);
    EXPECT_EQ(unused, 0);
    EXPECT_EQ(out[0], 0x3C00);
    EXPECT_EQ(out[2], 0xC200);
    EXPECT_EQ(out[3], 0); /* nothing written past dim */
}

TEST(HalfBinary, ErrorsInHalfvecRecvOrder) {
    std::vector<uint16_t> out(16, 0);
    int dim, unused;
    auto parse = [&](const Bytes& b, int maxdim = 16000) {
        return pgvq_parse_halfvec_binary(b.data(), b.size(), out.data(), maxdim, &dim, &unused);
    };
    EXPECT_EQ(parse(Bytes{0, 1, 0}), PGVQ_BINARY_SHORT_HEADER);
    EXPECT_EQ(dim, 0);
    EXPECT_EQ(pgvq_parse_halfvec_binary(nullptr, 0, out.data(), 16000, &dim, &unused),
              PGVQ_BINARY_SHORT_HEADER);
    EXPECT_EQ(parse(hv_bytes(0, 0, {})), PGVQ_BINARY_BAD_DIM);
    EXPECT_EQ(parse(hv_bytes(16001, 0, {})), PGVQ_BINARY_BAD_DIM);
    /* unsigned header fields, as pgvector reads them */
    EXPECT_EQ(parse(hv_bytes(0xFFFF, 0, {})), PGVQ_BINARY_BAD_DIM);
    EXPECT_EQ(dim, 65535);
    /* the dimension is checked before unused, unused before the length */
    EXPECT_EQ(parse(hv_bytes(0, 7, {})), PGVQ_BINARY_BAD_DIM);
    EXPECT_EQ(parse(hv_bytes(2, 0xFFFF, {})), PGVQ_BINARY_BAD_UNUSED);
    EXPECT_EQ(unused, 65535);
    EXPECT_EQ(parse(hv_bytes(3, 0, {1, 2})), PGVQ_BINARY_SHORT);
    Bytes odd = hv_bytes(2, 0, {1});
    odd.push_back(0); /* 3 bytes for 2 halves */
    EXPECT_EQ(parse(odd), PGVQ_BINARY_SHORT);
    /* elements in order: the first bad one decides */
    EXPECT_EQ(parse(hv_bytes(3, 0, {1, 0x7E00, 0x7C00})), PGVQ_BINARY_NAN);
    EXPECT_EQ(parse(hv_bytes(3, 0, {1, 0xFC00, 0x7E00})), PGVQ_BINARY_INFINITE);
    EXPECT_EQ(parse(hv_bytes(1, 0, {0x7C01})), PGVQ_BINARY_NAN);
    EXPECT_EQ(parse(hv_bytes(2, 0, {1, 2, 3})), PGVQ_BINARY_TRAILING);
    EXPECT_EQ(out[1], 2);
    EXPECT_EQ(parse(hv_bytes(2, 0, {0x8000, 0x0001})), PGVQ_BINARY_OK); /* -0 and a subnormal */
    EXPECT_EQ(parse(hv_bytes(5, 0, {1, 2, 3, 4, 5}), 4), PGVQ_BINARY_BAD_DIM);
}
