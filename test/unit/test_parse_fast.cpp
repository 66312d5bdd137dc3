/*
 * test_parse_fast.cpp: pgvq_parse_vector, whose elements go through the
 * from_chars fast path of float_parse.h, against the same parser reading
 * every element with plain strtof (parse_vector_text with the fast path off,
 * the parser as it was before): the same result code, dim,
 * err_pos and output buffer, bit for bit, for vectors built from the
 * spellings of float_cases.h with blanks everywhere, for byte mutations of
 * valid vectors, and at several maxdim.
 */
#include <gtest/gtest.h>

#include <algorithm>

#include "float_cases.h"
#include "parse_util.h"
#include "pgvq_core.h"
#include "text_parse.h"

namespace {

using float_cases::Failures;

// The parser before the fast path: every element read by strtof (the same
// parser with the fast path off).
int ref_parse_vector(const char *str, float *out, int maxdim, int *dim, int *err_pos) {
    return pgvq::parse_vector_text(str, out, maxdim, dim, err_pos, false);
}

struct Run {
    int rc;
    int dim;
    int err_pos;
    std::vector<float> buf;  // maxdim floats and a canary
};

template <class Parser>
Run run(Parser parser, const std::string &s, int maxdim) {
    Run r{-7, -7, -7, std::vector<float>(static_cast<size_t>(std::max(maxdim, 0)) + 1, -12345.0f)};
    r.rc = parser(s.c_str(), r.buf.data(), maxdim, &r.dim, &r.err_pos);
    return r;
}

// The parser and the reference agree on s at each maxdim.
void compare(const std::string &s, Failures *f, std::initializer_list<int> maxdims = {100}) {
    for (int maxdim : maxdims) {
        f->checked++;
        Run got = run(pgvq_parse_vector, s, maxdim);
        Run want = run(ref_parse_vector, s, maxdim);
        if (got.rc != want.rc || got.dim != want.dim || got.err_pos != want.err_pos) {
            f->add(s, "maxdim " + std::to_string(maxdim) + ": rc/dim/err_pos " +
                          std::to_string(got.rc) + "/" + std::to_string(got.dim) + "/" +
                          std::to_string(got.err_pos) + ", reference " + std::to_string(want.rc) +
                          "/" + std::to_string(want.dim) + "/" + std::to_string(want.err_pos));
        } else if (std::memcmp(got.buf.data(), want.buf.data(), got.buf.size() * sizeof(float))) {
            f->add(s, "maxdim " + std::to_string(maxdim) + ": element bits differ");
        }
    }
}

#define EXPECT_NO_FAILURES(c) \
    EXPECT_EQ((c).count, 0u) << (c).count << " of " << (c).checked << " differ:\n" << (c).first

std::string blanks(std::mt19937_64 &g) {
    static const char b[] = " \t\n\r\v\f";
    std::string s;
    if (g() % 3 == 0)
        for (int k = 1 + static_cast<int>(g() % 3); k > 0; k--) s += b[g() % 6];
    return s;
}

// A vector of 1..24 elements: mostly spellings of random floats (valid
// ones when valid_only), now and then a random decimal or a hand-picked
// spelling; blanks anywhere blanks may go.
std::string random_vector(std::mt19937_64 &g, bool valid_only) {
    static const std::vector<std::string> pool = float_cases::handcrafted();
    std::string s = blanks(g) + "[";
    int n = 1 + static_cast<int>(g() % 24);
    for (int i = 0; i < n; i++) {
        std::string tok;
        unsigned kind = g() % 20;
        if (!valid_only && kind == 0) {
            tok = pool[g() % pool.size()];
        } else if (!valid_only && kind == 1) {
            tok = float_cases::random_decimal(g);
        } else {
            int k = static_cast<int>(g() % (valid_only ? 4 : float_cases::kSpellings));
            tok = float_cases::spelling(float_cases::random_float(g), k);
            if (valid_only && !std::isfinite(std::strtof(tok.c_str(), nullptr))) tok = "1";
        }
        s += (i ? "," : "") + blanks(g) + tok + blanks(g);
    }
    return s + "]" + blanks(g);
}

TEST(ParseFast, RandomVectorsMatchReference) {
    std::mt19937_64 g(424242);
    Failures f;
    for (int t = 0; t < 20000; t++) {
        int small = 1 + static_cast<int>(g() % 8);
        compare(random_vector(g, false), &f, {100, small, 0});
    }
    EXPECT_NO_FAILURES(f);
}

TEST(ParseFast, ValidVectorsParse) {
    // The generator's valid vectors do parse: the comparison above is not
    // only between two parsers that both fail.
    std::mt19937_64 g(17);
    Failures f;
    for (int t = 0; t < 2000; t++) {
        std::string s = random_vector(g, true);
        compare(s, &f);
        float buf[24];
        int dim, pos;
        EXPECT_EQ(pgvq_parse_vector(s.c_str(), buf, 24, &dim, &pos), PGVQ_PARSE_OK) << s;
    }
    EXPECT_NO_FAILURES(f);
}

TEST(ParseFast, MutatedVectorsMatchReference) {
    std::mt19937_64 g(1);
    Failures f;
    for (int t = 0; t < 30000; t++)
        compare(float_cases::mutate(random_vector(g, true), g), &f, {100, 3});
    EXPECT_NO_FAILURES(f);
}

TEST(ParseFast, HandcraftedElementsInContext) {
    Failures f;
    for (const std::string &tok : float_cases::handcrafted()) {
        for (const std::string &s :
             {"[" + tok + "]", "[1," + tok + ",2]", " [ " + tok + " ] ", "[\t" + tok + "\n,-" +
              tok + "]", "[" + tok + "e]", "[" + tok + "," + tok + "", "[0," + tok + "]x"})
            compare(s, &f, {100, 1});
    }
    EXPECT_NO_FAILURES(f);
}

TEST(ParseFast, KnownAnswers) {
    // A few of the brief's edge cases with their expected answers, so that
    // agreement with the reference is not agreement on something wrong.
    struct Case {
        const char *s;
        int rc;
        int dim;
        int err_pos;
        float first;
    } cases[] = {
        {"[1e]", PGVQ_PARSE_SYNTAX, 1, 2, 1.0f},
        {"[1e+]", PGVQ_PARSE_SYNTAX, 1, 2, 1.0f},
        {"[ .5 , 5. ]", PGVQ_PARSE_OK, 2, -1, 0.5f},
        {"[-.5e-3]", PGVQ_PARSE_OK, 1, -1, -0.0005f},
        {"[00001]", PGVQ_PARSE_OK, 1, -1, 1.0f},
        {"[1.0000000000000000000001]", PGVQ_PARSE_OK, 1, -1, 1.0f},
        {"[16777217]", PGVQ_PARSE_OK, 1, -1, 16777216.0f},
        {"[+1]", PGVQ_PARSE_OK, 1, -1, 1.0f},
        {"[0x1p3]", PGVQ_PARSE_OK, 1, -1, 8.0f},
        {"[1, inf]", PGVQ_PARSE_INFINITE, 1, 4, 1.0f},
        {"[1,nan]", PGVQ_PARSE_NAN, 1, 3, 1.0f},
        {"[2,3.4028236e38]", PGVQ_PARSE_OUT_OF_RANGE, 1, 3, 2.0f},
        {"[-1e-50]", PGVQ_PARSE_OK, 1, -1, -0.0f},
        {"[1.5 2]", PGVQ_PARSE_SYNTAX, 1, 5, 1.5f},
    };
    for (const Case &c : cases) {
        float buf[4] = {-7, -7, -7, -7};
        int dim = -1, pos = -2;
        EXPECT_EQ(pgvq_parse_vector(c.s, buf, 4, &dim, &pos), c.rc) << c.s;
        EXPECT_EQ(dim, c.dim) << c.s;
        EXPECT_EQ(pos, c.err_pos) << c.s;
        EXPECT_TRUE(float_cases::same_bits(buf[0], c.first)) << c.s << ": " << buf[0];
    }
}

TEST(ParseFast, Vector768AsPostgresPrintsIt) {
    // The benchmark's shape: 768 shortest round-trip elements, read back bit for bit.
    std::mt19937_64 g(768);
    std::normal_distribution<float> nd(0.0f, 0.05f);
    std::vector<float> want(768);
    std::string s = "[";
    for (size_t i = 0; i < want.size(); i++) {
        want[i] = nd(g);
        s += (i ? "," : "") + float_cases::shortest(want[i], std::chars_format::general);
    }
    s += "]";
    std::vector<float> got(768);
    int dim = 0, pos = 0;
    ASSERT_EQ(pgvq_parse_vector(s.c_str(), got.data(), 768, &dim, &pos), PGVQ_PARSE_OK);
    ASSERT_EQ(dim, 768);
    EXPECT_EQ(std::memcmp(got.data(), want.data(), sizeof(float) * 768), 0);
    Failures f;
    compare(s, &f, {16000, 768, 767});
    EXPECT_NO_FAILURES(f);
}

}  // namespace
