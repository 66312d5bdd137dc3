/*
 * test_sparse_parse.cpp: the sparsevec text and binary parsers, edge cases
 * taken from pgvector 0.8's sparsevec tests and the order of its checks.
 */
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "pgvq_core.h"

namespace {

struct Text {
    int rc;
    pgvq_sparse_info info;
    std::vector<int32_t> idx;
    std::vector<float> val;
};

Text parse(const std::string &s) {
    Text t;
    size_t cap = pgvq_sparsevec_text_capacity(s.c_str());
    t.idx.assign(cap, -7);
    t.val.assign(cap, -7.0f);
    t.rc = pgvq_parse_sparsevec(s.c_str(), t.idx.data(), t.val.data(), cap, &t.info);
    if (t.rc == PGVQ_SPARSE_OK) {
        t.idx.resize(t.info.nnz);
        t.val.resize(t.info.nnz);
    }
    return t;
}

TEST(SparseText, Capacity) {
    EXPECT_EQ(pgvq_sparsevec_text_capacity(""), 1u);
    EXPECT_EQ(pgvq_sparsevec_text_capacity("{1:1,2:2}/2"), 2u);
    EXPECT_EQ(pgvq_sparsevec_text_capacity(",,,"), 4u);
    EXPECT_EQ(pgvq_sparsevec_text_capacity(nullptr), 1u);
}

TEST(SparseText, Valid) {
    Text t = parse("{1:1.5,3:3.5}/5");
    ASSERT_EQ(t.rc, PGVQ_SPARSE_OK);
    EXPECT_EQ(t.info.dim, 5);
    EXPECT_EQ(t.idx, (std::vector<int32_t>{0, 2}));
    EXPECT_EQ(t.val, (std::vector<float>{1.5f, 3.5f}));

    t = parse(" { 1 : 1.5 ,  3  :  3.5  } / 5 ");
    ASSERT_EQ(t.rc, PGVQ_SPARSE_OK);
    EXPECT_EQ(t.idx, (std::vector<int32_t>{0, 2}));

    t = parse("{}/1");
    ASSERT_EQ(t.rc, PGVQ_SPARSE_OK);
    EXPECT_EQ(t.info.nnz, 0);
    EXPECT_EQ(parse("{ }/1").rc, PGVQ_SPARSE_OK);
    EXPECT_EQ(parse("{}/1000000000").rc, PGVQ_SPARSE_OK);
    EXPECT_EQ(parse("{1:2.,3:4.}/5").rc, PGVQ_SPARSE_OK);
    EXPECT_EQ(parse("{+1:+2}/+1").rc, PGVQ_SPARSE_OK);
    EXPECT_EQ(parse("{1:0x10}/1").val[0], 16.0f);
}

TEST(SparseText, ZerosDroppedUnchecked) {
    Text t = parse("{1:0,2:1,3:-0}/3");
    ASSERT_EQ(t.rc, PGVQ_SPARSE_OK);
    EXPECT_EQ(t.idx, (std::vector<int32_t>{1}));
    // A zero's index is never checked, as in pgvector.
    t = parse("{0:0,9:0.0,1:0,1:1}/1");
    ASSERT_EQ(t.rc, PGVQ_SPARSE_OK);
    EXPECT_EQ(t.idx, (std::vector<int32_t>{0}));
}

TEST(SparseText, Sorted) {
    Text t = parse("{5:5,2:2,4:4,1:1,3:3}/5");
    ASSERT_EQ(t.rc, PGVQ_SPARSE_OK);
    EXPECT_EQ(t.idx, (std::vector<int32_t>{0, 1, 2, 3, 4}));
    EXPECT_EQ(t.val, (std::vector<float>{1, 2, 3, 4, 5}));

    // A long reversed input goes through the heapsort.
    std::string s = "{";
    for (int i = 16000; i >= 1; i--) s += std::to_string(i) + ":" + std::to_string(i) + (i > 1 ? "," : "");
    s += "}/16000";
    t = parse(s);
    ASSERT_EQ(t.rc, PGVQ_SPARSE_OK);
    ASSERT_EQ(t.info.nnz, 16000);
    for (int i = 0; i < 16000; i++) {
        ASSERT_EQ(t.idx[i], i);
        ASSERT_EQ(t.val[i], static_cast<float>(i + 1));
    }
}

TEST(SparseText, SyntaxErrors) {
    EXPECT_EQ(parse("").rc, PGVQ_SPARSE_SYNTAX_START);
    EXPECT_EQ(parse("[1]").rc, PGVQ_SPARSE_SYNTAX_START);
    for (const char *s : {"{", "{ ", "{:", "{,", "{}/", "{:}/1", "{,}/1", "{1,}/1", "{:1}/1",
                          "{1:}/1", "{1a:1}/1", "{1:1a}/1", "{1:1,}/1", "{1:hello,2:1}/2",
                          "{1.5:1}/2", "{1:1}/x", "{1:1}/ "})
        EXPECT_EQ(parse(s).rc, PGVQ_SPARSE_SYNTAX) << s;
    EXPECT_EQ(parse("{}").rc, PGVQ_SPARSE_SYNTAX_END);
    EXPECT_EQ(parse("{1:1} 5").rc, PGVQ_SPARSE_SYNTAX_END);
    EXPECT_EQ(parse("{}/1a").rc, PGVQ_SPARSE_SYNTAX_JUNK);
    EXPECT_EQ(parse("{}/1 /").rc, PGVQ_SPARSE_SYNTAX_JUNK);
    Text t = parse("{1:1}/1 x");
    EXPECT_EQ(t.rc, PGVQ_SPARSE_SYNTAX_JUNK);
    EXPECT_EQ(t.info.err_pos, 8);
}

TEST(SparseText, ElementErrors) {
    EXPECT_EQ(parse("{1:NaN,2:1}/2").rc, PGVQ_SPARSE_NAN);
    EXPECT_EQ(parse("{1:Infinity,2:1}/2").rc, PGVQ_SPARSE_INFINITE);
    EXPECT_EQ(parse("{1:-inf}/2").rc, PGVQ_SPARSE_INFINITE);
    Text t = parse("{1:4e38,2:1}/2");
    EXPECT_EQ(t.rc, PGVQ_SPARSE_OUT_OF_RANGE);
    EXPECT_EQ(std::string("{1:4e38,2:1}/2").substr(t.info.err_pos, t.info.err_len), "4e38");
    t = parse("{1: -1e-46}/2");
    EXPECT_EQ(t.rc, PGVQ_SPARSE_OUT_OF_RANGE);
    EXPECT_EQ(std::string("{1: -1e-46}/2").substr(t.info.err_pos, t.info.err_len), "-1e-46");
    // A denormal is fine; the first problem wins.
    EXPECT_EQ(parse("{1:1e-40}/1").rc, PGVQ_SPARSE_OK);
    EXPECT_EQ(parse("{1:nan,2:x}/2").rc, PGVQ_SPARSE_NAN);
    EXPECT_EQ(parse("{1:x,2:nan}/2").rc, PGVQ_SPARSE_SYNTAX);
    // element errors come before the dimension checks
    EXPECT_EQ(parse("{1:nan}/0").rc, PGVQ_SPARSE_NAN);
}

TEST(SparseText, Dimensions) {
    EXPECT_EQ(parse("{}/0").rc, PGVQ_SPARSE_DIM_LOW);
    EXPECT_EQ(parse("{}/-1").rc, PGVQ_SPARSE_DIM_LOW);
    EXPECT_EQ(parse("{}/1000000001").rc, PGVQ_SPARSE_DIM_HIGH);
    EXPECT_EQ(parse("{}/2147483648").rc, PGVQ_SPARSE_DIM_HIGH);
    EXPECT_EQ(parse("{}/9223372036854775808").rc, PGVQ_SPARSE_DIM_HIGH);
    EXPECT_EQ(parse("{}/-9223372036854775809").rc, PGVQ_SPARSE_DIM_LOW);
    Text t = parse("{}/-2147483649");
    EXPECT_EQ(t.rc, PGVQ_SPARSE_DIM_LOW);
    EXPECT_EQ(t.info.dim, INT32_MIN);
    // the dimension check comes before the index checks
    EXPECT_EQ(parse("{5:1}/0").rc, PGVQ_SPARSE_DIM_LOW);
}

TEST(SparseText, Indices) {
    for (const char *s : {"{2147483647:1}/1", "{2147483648:1}/1", "{-2147483648:1}/1",
                          "{-2147483649:1}/1", "{0:1}/1", "{2:1}/1",
                          "{99999999999999999999999:1}/1000000000"}) {
        Text t = parse(s);
        EXPECT_EQ(t.rc, PGVQ_SPARSE_INDEX_BOUNDS) << s;
        EXPECT_EQ(t.info.dim, std::string(s).back() == '1' ? 1 : 1000000000) << s;
    }
    EXPECT_EQ(parse("{1:1,1:1}/2").rc, PGVQ_SPARSE_INDEX_DUP);
    EXPECT_EQ(parse("{1:1,2:1,1:1}/2").rc, PGVQ_SPARSE_INDEX_DUP);
    // after sorting, the smallest bad index is reported first
    EXPECT_EQ(parse("{2:1,2:1,0:1}/2").rc, PGVQ_SPARSE_INDEX_BOUNDS);
}

TEST(SparseText, Buffer) {
    int32_t idx[1];
    float val[1];
    pgvq_sparse_info info;
    EXPECT_EQ(pgvq_parse_sparsevec("{1:1,2:2}/2", idx, val, 1, &info), PGVQ_SPARSE_BUFFER);
    EXPECT_EQ(pgvq_parse_sparsevec("{1:1,2:0}/2", idx, val, 1, &info), PGVQ_SPARSE_OK);
    EXPECT_EQ(pgvq_parse_sparsevec(nullptr, idx, val, 1, &info), PGVQ_SPARSE_SYNTAX_START);
}

// ---- binary ---------------------------------------------------------------------------

void put32(std::vector<unsigned char> &b, uint32_t v) {
    b.push_back(v >> 24);
    b.push_back(v >> 16);
    b.push_back(v >> 8);
    b.push_back(v);
}

void putf(std::vector<unsigned char> &b, float f) {
    uint32_t v;
    std::memcpy(&v, &f, 4);
    put32(b, v);
}

std::vector<unsigned char> encode(int32_t dim, int32_t nnz, int32_t unused,
                                  const std::vector<int32_t> &idx, const std::vector<float> &val) {
    std::vector<unsigned char> b;
    put32(b, dim);
    put32(b, nnz);
    put32(b, unused);
    for (int32_t i : idx) put32(b, i);
    for (float f : val) putf(b, f);
    return b;
}

int recv(const std::vector<unsigned char> &b, pgvq_sparse_info *info = nullptr,
         std::vector<int32_t> *idx = nullptr, std::vector<float> *val = nullptr) {
    size_t cap = b.size() >= 12 ? (b.size() - 12) / 8 : 0;
    std::vector<int32_t> i(cap + 1, -7);
    std::vector<float> v(cap + 1, -7.0f);
    pgvq_sparse_info scratch;
    if (!info) info = &scratch;
    int rc = pgvq_parse_sparsevec_binary(b.data(), b.size(), i.data(), v.data(), cap, info);
    const bool good = rc == PGVQ_SPARSE_OK || rc == PGVQ_SPARSE_TRAILING;
    const size_t n = good ? static_cast<size_t>(info->nnz) : 0;
    if (idx) *idx = std::vector<int32_t>(i.begin(), i.begin() + n);
    if (val) *val = std::vector<float>(v.begin(), v.begin() + n);
    return rc;
}

TEST(SparseBinary, Valid) {
    pgvq_sparse_info info;
    std::vector<int32_t> idx;
    std::vector<float> val;
    EXPECT_EQ(recv(encode(5, 2, 0, {0, 2}, {1.5f, -3.5f}), &info, &idx, &val), PGVQ_SPARSE_OK);
    EXPECT_EQ(info.dim, 5);
    EXPECT_EQ(idx, (std::vector<int32_t>{0, 2}));
    EXPECT_EQ(val, (std::vector<float>{1.5f, -3.5f}));
    EXPECT_EQ(recv(encode(1, 0, 0, {}, {})), PGVQ_SPARSE_OK);
    EXPECT_EQ(recv(encode(1000000000, 1, 0, {999999999}, {1e-45f})), PGVQ_SPARSE_OK);
    auto b = encode(3, 1, 0, {1}, {2});
    b.push_back(0);
    EXPECT_EQ(recv(b, &info, &idx, &val), PGVQ_SPARSE_TRAILING);
    EXPECT_EQ(idx, (std::vector<int32_t>{1}));
}

TEST(SparseBinary, HeaderErrorsInOrder) {
    std::vector<unsigned char> b = encode(3, 0, 0, {}, {});
    for (size_t n = 0; n < 12; n++)
        EXPECT_EQ(recv(std::vector<unsigned char>(b.begin(), b.begin() + n)),
                  PGVQ_SPARSE_SHORT_HEADER);
    EXPECT_EQ(recv(encode(0, -1, 1, {}, {})), PGVQ_SPARSE_DIM_LOW);
    EXPECT_EQ(recv(encode(-5, 0, 0, {}, {})), PGVQ_SPARSE_DIM_LOW);
    EXPECT_EQ(recv(encode(1000000001, -1, 0, {}, {})), PGVQ_SPARSE_DIM_HIGH);
    EXPECT_EQ(recv(encode(3, -1, 1, {}, {})), PGVQ_SPARSE_NNZ_NEGATIVE);
    EXPECT_EQ(recv(encode(20000, 16001, 1, {}, {})), PGVQ_SPARSE_NNZ_MANY);
    EXPECT_EQ(recv(encode(2, 3, 1, {}, {})), PGVQ_SPARSE_NNZ_OVER_DIM);
    pgvq_sparse_info info;
    EXPECT_EQ(recv(encode(2, 0, 7, {}, {}), &info), PGVQ_SPARSE_UNUSED);
    EXPECT_EQ(info.unused, 7);
    EXPECT_EQ(info.dim, 2);
}

TEST(SparseBinary, BodyErrorsInOrder) {
    EXPECT_EQ(recv(encode(3, 2, 0, {0}, {})), PGVQ_SPARSE_SHORT);
    // a bad first index is seen before the missing second one
    EXPECT_EQ(recv(encode(3, 2, 0, {3}, {})), PGVQ_SPARSE_INDEX_BOUNDS);
    EXPECT_EQ(recv(encode(3, 1, 0, {-1}, {1})), PGVQ_SPARSE_INDEX_BOUNDS);
    EXPECT_EQ(recv(encode(3, 2, 0, {2, 1}, {1, 1})), PGVQ_SPARSE_INDEX_ORDER);
    EXPECT_EQ(recv(encode(3, 2, 0, {1, 1}, {1, 1})), PGVQ_SPARSE_INDEX_DUP);
    EXPECT_EQ(recv(encode(3, 2, 0, {0, 1}, {1})), PGVQ_SPARSE_SHORT);
    EXPECT_EQ(recv(encode(3, 2, 0, {0, 1}, {NAN})), PGVQ_SPARSE_NAN);
    EXPECT_EQ(recv(encode(3, 2, 0, {0, 1}, {1, -INFINITY})), PGVQ_SPARSE_INFINITE);
    EXPECT_EQ(recv(encode(3, 2, 0, {0, 1}, {1, 0})), PGVQ_SPARSE_ZERO);
    EXPECT_EQ(recv(encode(3, 2, 0, {0, 1}, {-0.0f, 1})), PGVQ_SPARSE_ZERO);
}

TEST(SparseBinary, BufferAndNull) {
    auto b = encode(3, 2, 0, {0, 1}, {1, 2});
    int32_t idx[1];
    float val[1];
    EXPECT_EQ(pgvq_parse_sparsevec_binary(b.data(), b.size(), idx, val, 1, nullptr),
              PGVQ_SPARSE_BUFFER);
    EXPECT_EQ(pgvq_parse_sparsevec_binary(nullptr, 0, idx, val, 1, nullptr),
              PGVQ_SPARSE_SHORT_HEADER);
}

}  // namespace
