// Unit tests of pgvq_parse_vector_binary, the binary-form parser behind
// vector_recv: pgvector's layout (int16 dim, int16 unused, dim float4, all
// big-endian), its check order, and the promise never to write past what the
// message can hold.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "pgvq_core.h"

namespace {

using Bytes = std::vector<unsigned char>;

void put16(Bytes& b, uint16_t v) {
    b.push_back(static_cast<unsigned char>(v >> 8));
    b.push_back(static_cast<unsigned char>(v & 0xff));
}

void put_float(Bytes& b, float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<unsigned char>((u >> s) & 0xff));
}

void put_bits(Bytes& b, uint32_t u) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<unsigned char>((u >> s) & 0xff));
}

Bytes header(int dim, int unused = 0) {
    Bytes b;
    put16(b, static_cast<uint16_t>(static_cast<int16_t>(dim)));
    put16(b, static_cast<uint16_t>(static_cast<int16_t>(unused)));
    return b;
}

Bytes encode(const std::vector<float>& v) {
    Bytes b = header(static_cast<int>(v.size()));
    for (float f : v) put_float(b, f);
    return b;
}

struct Parsed {
    int rc;
    int dim;
    std::vector<float> values;
    bool canary_ok;
};

constexpr float kCanary = -12345.5f;
constexpr int kSlack = 8;

// Output buffer of exactly the documented size, min(maxdim, (len - 4) / 4),
// followed by canaries that must survive.
Parsed parse(const Bytes& b, int maxdim = 16000) {
    size_t room = b.size() >= 4 ? (b.size() - 4) / 4 : 0;
    if (maxdim >= 0 && room > static_cast<size_t>(maxdim)) room = static_cast<size_t>(maxdim);
    std::vector<float> buf(room + kSlack, kCanary);
    Parsed r;
    r.dim = -7;
    r.rc = pgvq_parse_vector_binary(b.empty() ? nullptr : b.data(), b.size(), buf.data(),
                                    maxdim, &r.dim);
    r.canary_ok = true;
    for (size_t i = room; i < buf.size(); i++)
        if (std::memcmp(&buf[i], &kCanary, sizeof(float)) != 0) r.canary_ok = false;
    if (r.rc == PGVQ_BINARY_OK || r.rc == PGVQ_BINARY_TRAILING)
        r.values.assign(buf.begin(), buf.begin() + r.dim);
    return r;
}

}  // namespace

TEST(BinaryParse, RoundTripsExactBits) {
    std::vector<float> v = {1.0f,
                            -2.5f,
                            0.0f,
                            -0.0f,
                            std::numeric_limits<float>::max(),
                            -std::numeric_limits<float>::max(),
                            std::numeric_limits<float>::min(),
                            std::numeric_limits<float>::denorm_min(),
                            3.14159274f};
    Parsed r = parse(encode(v));
    ASSERT_EQ(r.rc, PGVQ_BINARY_OK);
    ASSERT_EQ(r.dim, static_cast<int>(v.size()));
    EXPECT_TRUE(r.canary_ok);
    for (size_t i = 0; i < v.size(); i++)
        EXPECT_EQ(std::memcmp(&r.values[i], &v[i], 4), 0) << "element " << i;
}

TEST(BinaryParse, NetworkByteOrder) {
    // 1.0f is 0x3f800000, 2.0f 0x40000000: pgvector's own bytes.
    Bytes b = {0x00, 0x02, 0x00, 0x00, 0x3f, 0x80, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00};
    Parsed r = parse(b);
    ASSERT_EQ(r.rc, PGVQ_BINARY_OK);
    ASSERT_EQ(r.dim, 2);
    EXPECT_EQ(r.values[0], 1.0f);
    EXPECT_EQ(r.values[1], 2.0f);
}

TEST(BinaryParse, MaxDimensions) {
    std::vector<float> v(16000);
    for (size_t i = 0; i < v.size(); i++) v[i] = static_cast<float>(i) * 0.5f - 7.0f;
    Parsed r = parse(encode(v));
    ASSERT_EQ(r.rc, PGVQ_BINARY_OK);
    EXPECT_EQ(r.dim, 16000);
    EXPECT_EQ(r.values, v);
    EXPECT_TRUE(r.canary_ok);
}

TEST(BinaryParse, ShortHeader) {
    for (size_t n = 0; n < 4; n++) {
        Bytes b = {0x00, 0x01, 0x00, 0x00};
        b.resize(n);
        Parsed r = parse(b);
        EXPECT_EQ(r.rc, PGVQ_BINARY_SHORT_HEADER) << n << " bytes";
        EXPECT_EQ(r.dim, 0);
        EXPECT_TRUE(r.canary_ok);
    }
    int dim = -7;
    EXPECT_EQ(pgvq_parse_vector_binary(nullptr, 12, nullptr, 16000, &dim), PGVQ_BINARY_SHORT_HEADER);
    EXPECT_EQ(dim, 0);
}

TEST(BinaryParse, DimensionOutOfRange) {
    // 0, negative (0xffff = -1, 0x8000 = -32768), above maxdim; *dim is the header's.
    for (int d : {0, -1, -32768, 16001, 32767}) {
        Bytes b = header(d);
        put_float(b, 1.0f);
        Parsed r = parse(b);
        EXPECT_EQ(r.rc, PGVQ_BINARY_BAD_DIM) << d;
        EXPECT_EQ(r.dim, d);
        EXPECT_TRUE(r.canary_ok);
    }
    // maxdim is the caller's limit, not a constant.
    Parsed r = parse(encode({1, 2, 3}), 2);
    EXPECT_EQ(r.rc, PGVQ_BINARY_BAD_DIM);
    EXPECT_EQ(r.dim, 3);
    EXPECT_TRUE(r.canary_ok);
    EXPECT_EQ(parse(encode({1, 2, 3}), 3).rc, PGVQ_BINARY_OK);
    EXPECT_EQ(parse(encode({1}), 0).rc, PGVQ_BINARY_BAD_DIM);
    EXPECT_EQ(parse(encode({1}), -5).rc, PGVQ_BINARY_BAD_DIM);
}

TEST(BinaryParse, UnusedMustBeZero) {
    for (int u : {1, -1, 0x7fff, -32768}) {
        Bytes b = header(1, u);
        put_float(b, 1.0f);
        Parsed r = parse(b);
        EXPECT_EQ(r.rc, PGVQ_BINARY_BAD_UNUSED) << u;
        EXPECT_EQ(r.dim, 1);
        EXPECT_TRUE(r.canary_ok);
    }
}

TEST(BinaryParse, ShortBody) {
    Bytes full = encode({1, 2, 3});
    for (size_t n = 4; n < full.size(); n++) {
        Bytes b(full.begin(), full.begin() + static_cast<long>(n));
        Parsed r = parse(b);
        EXPECT_EQ(r.rc, PGVQ_BINARY_SHORT) << n << " bytes";
        EXPECT_EQ(r.dim, 3);
        EXPECT_TRUE(r.canary_ok) << "wrote elements of a message that was too short";
    }
    // A header promising the maximum with one element behind it.
    Bytes b = header(16000);
    put_float(b, 1.0f);
    Parsed r = parse(b);
    EXPECT_EQ(r.rc, PGVQ_BINARY_SHORT);
    EXPECT_EQ(r.dim, 16000);
    EXPECT_TRUE(r.canary_ok);
}

TEST(BinaryParse, NonFiniteElements) {
    const uint32_t nans[] = {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0x7fffffffu, 0xffffffffu};
    for (uint32_t bits : nans) {
        Bytes b = header(2);
        put_float(b, 1.0f);
        put_bits(b, bits);
        Parsed r = parse(b);
        EXPECT_EQ(r.rc, PGVQ_BINARY_NAN) << std::hex << bits;
        EXPECT_TRUE(r.canary_ok);
    }
    for (uint32_t bits : {0x7f800000u, 0xff800000u}) {
        Bytes b = header(2);
        put_bits(b, bits);
        put_float(b, 1.0f);
        Parsed r = parse(b);
        EXPECT_EQ(r.rc, PGVQ_BINARY_INFINITE) << std::hex << bits;
        EXPECT_TRUE(r.canary_ok);
    }
    // The first bad element decides.
    Bytes b = header(2);
    put_bits(b, 0xff800000u);
    put_bits(b, 0x7fc00000u);
    EXPECT_EQ(parse(b).rc, PGVQ_BINARY_INFINITE);
}

TEST(BinaryParse, TrailingBytes) {
    Bytes b = encode({4, 5});
    b.push_back(0xff);
    Parsed r = parse(b);
    ASSERT_EQ(r.rc, PGVQ_BINARY_TRAILING);
    ASSERT_EQ(r.dim, 2);
    EXPECT_EQ(r.values, (std::vector<float>{4, 5}));
    EXPECT_EQ(PGVQ_BINARY_SIZE(r.dim), b.size() - 1);
    EXPECT_TRUE(r.canary_ok);
    // A whole extra vector behind the first is still trailing.
    Bytes two = encode({1});
    Bytes more = encode({2});
    two.insert(two.end(), more.begin(), more.end());
    Parsed t = parse(two);
    EXPECT_EQ(t.rc, PGVQ_BINARY_TRAILING);
    EXPECT_EQ(t.dim, 1);
}

// vector_recv's order: range, then unused, then length, then elements, then
// trailing bytes.  One input breaking several rules reports the first.
TEST(BinaryParse, CheckOrder) {
    Bytes b = header(0, 1);  // bad dim and bad unused
    EXPECT_EQ(parse(b).rc, PGVQ_BINARY_BAD_DIM);
    b = header(3, 1);  // bad unused and short
    EXPECT_EQ(parse(b).rc, PGVQ_BINARY_BAD_UNUSED);
    b = header(2);  // short, first element NaN
    put_bits(b, 0x7fc00000u);
    EXPECT_EQ(parse(b).rc, PGVQ_BINARY_SHORT);
    b = header(1);  // NaN and trailing
    put_bits(b, 0x7fc00000u);
    b.push_back(0);
    EXPECT_EQ(parse(b).rc, PGVQ_BINARY_NAN);
}

TEST(BinaryParse, NullDimPointer) {
    Bytes b = encode({1, 2});
    float out[2];
    EXPECT_EQ(pgvq_parse_vector_binary(b.data(), b.size(), out, 16000, nullptr), PGVQ_BINARY_OK);
    EXPECT_EQ(out[1], 2.0f);
}
