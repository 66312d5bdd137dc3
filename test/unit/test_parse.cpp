// Unit tests of pgvq_parse_vector, the text-form parser behind vector_in.
// The accepted language is pgvector 0.8's: see src/core/text_parse.cpp.

#include <gtest/gtest.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "pgvq_core.h"

namespace {

struct Parsed {
    int rc;
    int dim;
    int err_pos;
    std::vector<float> values;
};

Parsed parse(const std::string& s, int maxdim = 16000) {
    Parsed r;
    r.values.assign(maxdim > 0 ? maxdim : 1, -12345.0f);
    r.dim = -7;
    r.err_pos = -7;
    r.rc = pgvq_parse_vector(s.c_str(), r.values.data(), maxdim, &r.dim, &r.err_pos);
    r.values.resize(r.dim >= 0 ? r.dim : 0);
    return r;
}

void expect_ok(const std::string& s, const std::vector<float>& want) {
    Parsed r = parse(s);
    ASSERT_EQ(r.rc, PGVQ_PARSE_OK) << "input: \"" << s << "\"";
    EXPECT_EQ(r.err_pos, -1) << s;
    ASSERT_EQ(r.dim, static_cast<int>(want.size())) << s;
    for (size_t i = 0; i < want.size(); i++) {
        // Bit-exact: the parser must round like strtof, not via double.
        EXPECT_EQ(std::memcmp(&r.values[i], &want[i], sizeof(float)), 0)
            << s << " element " << i << ": " << r.values[i] << " vs " << want[i];
    }
}

void expect_fail(const std::string& s, int rc, int err_pos = -2) {
    Parsed r = parse(s);
    EXPECT_EQ(r.rc, rc) << "input: \"" << s << "\"";
    if (err_pos != -2) {
        EXPECT_EQ(r.err_pos, err_pos) << "input: \"" << s << "\"";
    }
    EXPECT_GE(r.err_pos, 0) << s;
    EXPECT_LE(r.err_pos, static_cast<int>(s.size())) << s;
}

TEST(Parse, SimpleVectors) {
    expect_ok("[1,2,3]", {1, 2, 3});
    expect_ok("[-1,-2,-3]", {-1, -2, -3});
    expect_ok("[1.,2.,3.]", {1, 2, 3});
    expect_ok("[1.23456]", {1.23456f});
    expect_ok("[0]", {0});
    expect_ok("[+1]", {1});
    expect_ok("[.5,-.5]", {0.5f, -0.5f});
}

TEST(Parse, Blanks) {
    expect_ok(" [ 1,  2 ,    3  ] ", {1, 2, 3});
    expect_ok("\t[\n1\r,\v2\f]\n", {1, 2});
    expect_ok("[1 ]", {1});
    expect_ok("[ 1]", {1});
}

TEST(Parse, Exponents) {
    expect_ok("[1.5e38,-1.5e38]", {1.5e38f, -1.5e38f});
    expect_ok("[1.5e+38,-1.5e+38]", {1.5e38f, -1.5e38f});
    expect_ok("[1.5e-38,-1.5e-38]", {1.5e-38f, -1.5e-38f});
    expect_ok("[1E3,2e0]", {1000, 2});
    expect_ok("[-3e4]", {-30000});
}

TEST(Parse, UnderflowIsAccepted) {
    // strtof reports ERANGE but returns zero (or a denormal): accepted, sign kept.
    Parsed r = parse("[1e-46,-1e-46]");
    ASSERT_EQ(r.rc, PGVQ_PARSE_OK);
    ASSERT_EQ(r.dim, 2);
    EXPECT_EQ(r.values[0], 0.0f);
    EXPECT_FALSE(std::signbit(r.values[0]));
    EXPECT_EQ(r.values[1], 0.0f);
    EXPECT_TRUE(std::signbit(r.values[1]));
    expect_ok("[1e-40]", {1e-40f});  // denormal
}

TEST(Parse, RoundsLikeStrtof) {
    // 16777217 is not representable in float; strtof rounds it to even.
    expect_ok("[16777217]", {16777216.0f});
    expect_ok("[0.1]", {0.1f});
    expect_ok("[3.4028235e38]", {3.4028235e38f});
}

TEST(Parse, HexFloatsAsStrtof) {
    // pgvector's vector_in uses strtof, which reads hexadecimal floats.
    expect_ok("[0x10,0x1p-1]", {16, 0.5f});
}

TEST(Parse, OutOfRange) {
    expect_fail("[4e38,1]", PGVQ_PARSE_OUT_OF_RANGE, 1);
    expect_fail("[1, -4e38]", PGVQ_PARSE_OUT_OF_RANGE, 4);
    expect_fail("[1e39]", PGVQ_PARSE_OUT_OF_RANGE, 1);
    expect_fail("[3.5e38]", PGVQ_PARSE_OUT_OF_RANGE, 1);
}

TEST(Parse, NanAndInfinity) {
    expect_fail("[NaN,1]", PGVQ_PARSE_NAN, 1);
    expect_fail("[1,nan]", PGVQ_PARSE_NAN, 3);
    expect_fail("[-nan]", PGVQ_PARSE_NAN, 1);
    expect_fail("[Infinity,1]", PGVQ_PARSE_INFINITE, 1);
    expect_fail("[-Infinity,1]", PGVQ_PARSE_INFINITE, 1);
    expect_fail("[1,inf]", PGVQ_PARSE_INFINITE, 3);
    expect_fail("[ -INF ]", PGVQ_PARSE_INFINITE, 2);
}

TEST(Parse, Empty) {
    expect_fail("[]", PGVQ_PARSE_EMPTY, 1);
    expect_fail("[ ]", PGVQ_PARSE_EMPTY, 2);
    expect_fail("  [\t]  ", PGVQ_PARSE_EMPTY, 4);
    // Empty is detected before junk after the bracket, as pgvector does.
    expect_fail("[]x", PGVQ_PARSE_EMPTY, 1);
}

TEST(Parse, MissingOpeningBracket) {
    expect_fail("1,2,3", PGVQ_PARSE_SYNTAX, 0);
    expect_fail("", PGVQ_PARSE_SYNTAX, 0);
    expect_fail("   ", PGVQ_PARSE_SYNTAX, 3);
    expect_fail("{1,2}", PGVQ_PARSE_SYNTAX, 0);
    expect_fail(" (1)", PGVQ_PARSE_SYNTAX, 1);
}

TEST(Parse, Malformed) {
    expect_fail("[hello,1]", PGVQ_PARSE_SYNTAX, 1);
    expect_fail("[1,2,3", PGVQ_PARSE_SYNTAX, 6);
    expect_fail("[", PGVQ_PARSE_SYNTAX, 1);
    expect_fail("[ ", PGVQ_PARSE_SYNTAX, 2);
    expect_fail("[,", PGVQ_PARSE_SYNTAX, 1);
    expect_fail("[,]", PGVQ_PARSE_SYNTAX, 1);
    expect_fail("[1,]", PGVQ_PARSE_SYNTAX, 3);
    expect_fail("[1a]", PGVQ_PARSE_SYNTAX, 2);
    expect_fail("[1,,3]", PGVQ_PARSE_SYNTAX, 3);
    expect_fail("[1, ,3]", PGVQ_PARSE_SYNTAX, 4);
    expect_fail("[1 2]", PGVQ_PARSE_SYNTAX, 3);
    expect_fail("[1;2]", PGVQ_PARSE_SYNTAX, 2);
    expect_fail("[1,2,", PGVQ_PARSE_SYNTAX, 5);
    expect_fail("[1,2, ", PGVQ_PARSE_SYNTAX, 6);
    expect_fail("[[1]]", PGVQ_PARSE_SYNTAX, 1);
    expect_fail("[1e]", PGVQ_PARSE_SYNTAX, 2);  // strtof reads "1", then the "e" is junk
    expect_fail("[--1]", PGVQ_PARSE_SYNTAX, 1);
    expect_fail("[.]", PGVQ_PARSE_SYNTAX, 1);
    expect_fail("[e5]", PGVQ_PARSE_SYNTAX, 1);
    expect_fail("[1,2]]", PGVQ_PARSE_SYNTAX, 5);
}

TEST(Parse, JunkAfterClosingBracket) {
    expect_fail("[1,2,3]9", PGVQ_PARSE_SYNTAX, 7);
    expect_fail("[1] x", PGVQ_PARSE_SYNTAX, 4);
    expect_fail("[1],[2]", PGVQ_PARSE_SYNTAX, 3);
}

TEST(Parse, ErrorOrderFollowsInput) {
    // The first bad element decides the error.
    expect_fail("[NaN,4e38]", PGVQ_PARSE_NAN, 1);
    expect_fail("[4e38,NaN]", PGVQ_PARSE_OUT_OF_RANGE, 1);
    expect_fail("[1,x,NaN]", PGVQ_PARSE_SYNTAX, 3);
    // An element error comes before a missing closing bracket.
    expect_fail("[inf", PGVQ_PARSE_INFINITE, 1);
}

TEST(Parse, TooMany) {
    // Exactly maxdim elements are fine, one more is too many.
    std::string s = "[";
    for (int i = 0; i < 16000; i++) s += (i ? ",1" : "1");
    Parsed ok = parse(s + "]");
    EXPECT_EQ(ok.rc, PGVQ_PARSE_OK);
    EXPECT_EQ(ok.dim, 16000);
    Parsed r = parse(s + ",1]");
    EXPECT_EQ(r.rc, PGVQ_PARSE_TOO_MANY);
    EXPECT_EQ(r.dim, 16000);
    // Too many is reported before the element after the limit is looked at.
    EXPECT_EQ(parse(s + ",x]").rc, PGVQ_PARSE_TOO_MANY);

    Parsed small = parse("[1,2,3]", 2);
    EXPECT_EQ(small.rc, PGVQ_PARSE_TOO_MANY);
    EXPECT_EQ(small.dim, 2);
    EXPECT_EQ(small.err_pos, 5);
    EXPECT_EQ(parse("[1,2]", 2).rc, PGVQ_PARSE_OK);
}

TEST(Parse, NeverWritesPastMaxdim) {
    float buf[4] = {-1, -1, -1, -1};
    int dim = 0, pos = 0;
    int rc = pgvq_parse_vector("[1,2,3,4]", buf, 2, &dim, &pos);
    EXPECT_EQ(rc, PGVQ_PARSE_TOO_MANY);
    EXPECT_EQ(buf[0], 1.0f);
    EXPECT_EQ(buf[1], 2.0f);
    EXPECT_EQ(buf[2], -1.0f);
    EXPECT_EQ(buf[3], -1.0f);
    // maxdim 0: any element is too many; nothing is written.
    rc = pgvq_parse_vector("[1]", buf, 0, &dim, &pos);
    EXPECT_EQ(rc, PGVQ_PARSE_TOO_MANY);
    EXPECT_EQ(dim, 0);
    EXPECT_EQ(buf[2], -1.0f);
}

TEST(Parse, NullArguments) {
    float buf[2];
    EXPECT_EQ(pgvq_parse_vector(nullptr, buf, 2, nullptr, nullptr), PGVQ_PARSE_SYNTAX);
    EXPECT_EQ(pgvq_parse_vector("[1]", buf, 2, nullptr, nullptr), PGVQ_PARSE_OK);
    EXPECT_EQ(buf[0], 1.0f);
}

TEST(Parse, LeavesErrnoAlone) {
    float buf[2];
    int dim, pos;
    errno = 1234;
    EXPECT_EQ(pgvq_parse_vector("[1e-46,4e38]", buf, 2, &dim, &pos), PGVQ_PARSE_OUT_OF_RANGE);
    EXPECT_EQ(errno, 1234);
}

TEST(Parse, ManyRandomRoundTrips) {
    // Values printed with %.9g read back bit-exactly.
    unsigned state = 12345;
    for (int t = 0; t < 200; t++) {
        std::vector<float> want;
        std::string s = "[";
        int n = 1 + static_cast<int>(state % 50);
        for (int i = 0; i < n; i++) {
            state = state * 1103515245u + 12345u;
            float v = (static_cast<float>(state >> 8) / 16777216.0f - 0.5f) *
                      std::pow(10.0f, static_cast<float>(static_cast<int>(state % 60) - 30));
            want.push_back(v);
            char b[64];
            snprintf(b, sizeof b, "%s%.9g", i ? (state & 1 ? ", " : ",") : "", v);
            s += b;
        }
        s += "]";
        expect_ok(s, want);
    }
}

}  // namespace
