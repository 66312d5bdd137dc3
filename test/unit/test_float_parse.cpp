/*
 * test_float_parse.cpp: the text parsers' element reader (src/core/
 * float_parse.h, a from_chars fast path with strtof behind it) against plain
 * strtof: the same value bits, the same end and the same range result for
 * every spelling of float_cases.h, alone, followed by other characters and
 * mutated; and sparsevec texts built from those spellings against a
 * reference of sparsevec_in's element checks written with strtof.
 */
#include <gtest/gtest.h>

#include "float_cases.h"
#include "float_parse.h"
#include "pgvq_core.h"

namespace {

using float_cases::Failures;
using float_cases::Ref;
using float_cases::ref_strtof;
using float_cases::same_bits;

pgvq::FloatRange ref_range(const Ref &r) {
    if (r.range_error && std::isinf(r.value)) return pgvq::FloatRange::overflow;
    if (r.range_error && r.value == 0.0f) return pgvq::FloatRange::underflow;
    return pgvq::FloatRange::none;
}

struct Checker : Failures {
    size_t fast_hits = 0;

    // Most spellings took the fast path, where there is one: else the
    // comparisons would prove nothing about it.
    bool mostly_fast() const { return !PGVQ_HAVE_FAST_FLOAT_PARSE || fast_hits > checked / 2; }

    void check(const std::string &s) {
        const char *p = s.c_str();
        const Ref r = ref_strtof(p);
        const pgvq::FloatRange rr = ref_range(r);
        checked++;
        for (bool fast : {true, false}) {
            pgvq::ParsedFloat f = pgvq::parse_float(p, fast);
            if (!same_bits(f.value, r.value))
                add(s, "value " + float_cases::fmt("%a", f.value) + ", strtof " +
                           float_cases::fmt("%a", r.value));
            if (f.end != r.end)
                add(s, "read " + std::to_string(f.end - p) + " bytes, strtof " +
                           std::to_string(r.end - p));
            if (f.range != rr) add(s, "range result differs from strtof's");
        }
        float v;
        const char *end;
        if (pgvq::parse_float_fast(p, &v, &end)) {
            fast_hits++;
            if (!same_bits(v, r.value) || end != r.end || rr != pgvq::FloatRange::none)
                add(s, "fast path taken and differs from strtof");
        }
    }

    // s alone and followed by what may come after an element, or may extend it.
    void check_in_context(const std::string &s) {
        static const char *const next[] = {"", ",", "]", "}", " ", "e", "E5", "x", ".", "5", "p1"};
        for (const char *n : next) check(s + n);
    }
};

#define EXPECT_NO_FAILURES(c) \
    EXPECT_EQ((c).count, 0u) << (c).count << " of " << (c).checked << " differ:\n" << (c).first

TEST(FloatParse, FastPathActive) {
#if PGVQ_HAVE_FAST_FLOAT_PARSE
    // The tests run in the "C" locale: the fast path must be on, or they prove nothing.
    EXPECT_TRUE(pgvq::float_fast_path_usable());
    float v = 0.0f;
    const char *s = "0.12345678,";
    const char *end = nullptr;
    ASSERT_TRUE(pgvq::parse_float_fast(s, &v, &end));
    EXPECT_EQ(end, s + 10);
    EXPECT_TRUE(same_bits(v, 0.12345678f));
#else
    GTEST_SKIP() << "no correctly rounded from_chars<float> in this C++ library";
#endif
}

TEST(FloatParse, KnownAnswers) {
    struct Case {
        const char *s;
        float value;
        int len;
        pgvq::FloatRange range;
        bool fast;  // taken by the fast path
    } cases[] = {
        {"1e", 1.0f, 1, pgvq::FloatRange::none, true},
        {"1e+", 1.0f, 1, pgvq::FloatRange::none, true},
        {"-.5e-3", -0.0005f, 6, pgvq::FloatRange::none, true},
        {"5.", 5.0f, 2, pgvq::FloatRange::none, true},
        {"00001", 1.0f, 5, pgvq::FloatRange::none, true},
        {"1.0000000000000000000001", 1.0f, 24, pgvq::FloatRange::none, true},
        {"16777217", 16777216.0f, 8, pgvq::FloatRange::none, true},
        {"16777219", 16777220.0f, 8, pgvq::FloatRange::none, true},
        {"1e-45", 0x1p-149f, 5, pgvq::FloatRange::none, true},
        {"-0", -0.0f, 2, pgvq::FloatRange::none, true},
        {"+1", 1.0f, 2, pgvq::FloatRange::none, false},
        {"0x1p3", 8.0f, 5, pgvq::FloatRange::none, false},
        {"inf", INFINITY, 3, pgvq::FloatRange::none, false},
        {"3.4028236e38", INFINITY, 12, pgvq::FloatRange::overflow, false},
        {"-1e39", -INFINITY, 5, pgvq::FloatRange::overflow, false},
        {"7e-46", 0.0f, 5, pgvq::FloatRange::underflow, false},
        {"-1e-50", -0.0f, 6, pgvq::FloatRange::underflow, false},
        {"x", 0.0f, 0, pgvq::FloatRange::none, false},
    };
    for (const Case &c : cases) {
        pgvq::ParsedFloat f = pgvq::parse_float(c.s, true);
        EXPECT_TRUE(same_bits(f.value, c.value)) << c.s << ": " << f.value;
        EXPECT_EQ(f.end - c.s, c.len) << c.s;
        EXPECT_EQ(f.range, c.range) << c.s;
#if PGVQ_HAVE_FAST_FLOAT_PARSE
        float v;
        const char *end;
        EXPECT_EQ(pgvq::parse_float_fast(c.s, &v, &end), c.fast) << c.s;
#endif
    }
}

// fn(i, spellings of the i-th random float, the generator) for n floats
template <class F>
void each_float_spellings(uint64_t seed, int n, F fn) {
    std::mt19937_64 g(seed);
    std::vector<std::string> spellings;
    for (int i = 0; i < n; i++) {
        spellings.clear();
        float_cases::spellings(float_cases::random_float(g), &spellings);
        fn(i, spellings, g);
    }
}

TEST(FloatParse, RandomFloatsEverySpelling) {
    Checker c;
    each_float_spellings(20240611, 20000,
                         [&](int i, const std::vector<std::string> &spellings, std::mt19937_64 &) {
                             for (const std::string &s : spellings) c.check(s);
                             if (i % 16 == 0)
                                 for (const std::string &s : spellings) c.check_in_context(s);
                         });
    EXPECT_NO_FAILURES(c);
    EXPECT_TRUE(c.mostly_fast()) << c.fast_hits << " of " << c.checked;
}

TEST(FloatParse, HalfwayCases) {
    std::mt19937_64 g(7);
    std::vector<float> floats = {0.0f, 1.0f, 0.1f, 16777216.0f, 8388608.0f, FLT_MAX,
                                 std::nextafter(FLT_MAX, 0.0f), FLT_MIN,
                                 std::nextafter(FLT_MIN, 0.0f), 0x1p-149f, 1e-40f, 3.0f};
    for (int i = 0; i < 3000; i++) floats.push_back(float_cases::random_float(g));
    Checker c;
    std::vector<std::string> cases;
    for (float f : floats) {
        cases.clear();
        float_cases::halfway_cases(f, &cases);
        float_cases::halfway_cases(-f, &cases);
        for (const std::string &s : cases) c.check(s);
    }
    EXPECT_NO_FAILURES(c);
    EXPECT_TRUE(c.mostly_fast()) << c.fast_hits << " of " << c.checked;
}

TEST(FloatParse, RandomDecimals) {
    std::mt19937_64 g(99);
    Checker c;
    for (int i = 0; i < 60000; i++) c.check(float_cases::random_decimal(g));
    EXPECT_NO_FAILURES(c);
}

TEST(FloatParse, Handcrafted) {
    Checker c;
    for (const std::string &s : float_cases::handcrafted()) {
        for (const char *sign : {"", "-", "+"}) c.check_in_context(sign + s);
    }
    EXPECT_NO_FAILURES(c);
}

TEST(FloatParse, MutatedSpellings) {
    Checker c;
    each_float_spellings(5, 5000, [&](int, const std::vector<std::string> &spellings, std::mt19937_64 &g) {
        for (const std::string &s : spellings) c.check(float_cases::mutate(s, g));
    });
    EXPECT_NO_FAILURES(c);
}

TEST(FloatParse, LeavesErrnoAlone) {
    for (const char *s : {"1e-50", "1e39", "0.5", "x", "1e-40"}) {
        errno = 4321;
        (void) pgvq::parse_float(s, true);
        EXPECT_EQ(errno, 4321) << s;
    }
}

// ---- sparsevec texts ------------------------------------------------------------

struct SparseResult {
    int rc;
    int err_pos;
    int err_len;
    std::vector<int32_t> idx;
    std::vector<float> val;
};

// "{1:t0,2:t1,...}/n" as sparsevec_in reads it, elements read by strtof.
// The spellings hold no blank, ',' or '}', so strtof never reads past one.
SparseResult sparse_reference(const std::string &text, const std::vector<size_t> &offsets,
                              const std::vector<size_t> &lengths) {
    SparseResult e{PGVQ_SPARSE_OK, -1, 0, {}, {}};
    for (size_t i = 0; i < offsets.size(); i++) {
        const char *p = text.c_str() + offsets[i];
        const Ref r = ref_strtof(p);
        const int at = static_cast<int>(offsets[i]);
        if (r.end == p) return {PGVQ_SPARSE_SYNTAX, at, 0, {}, {}};
        if (ref_range(r) != pgvq::FloatRange::none)
            return {PGVQ_SPARSE_OUT_OF_RANGE, at, static_cast<int>(r.end - p), {}, {}};
        if (std::isnan(r.value)) return {PGVQ_SPARSE_NAN, at, 0, {}, {}};
        if (std::isinf(r.value)) return {PGVQ_SPARSE_INFINITE, at, 0, {}, {}};
        if (r.end != p + lengths[i])
            return {PGVQ_SPARSE_SYNTAX, static_cast<int>(r.end - text.c_str()), 0, {}, {}};
        if (r.value != 0.0f) {
            e.idx.push_back(static_cast<int32_t>(i));
            e.val.push_back(r.value);
        }
    }
    return e;
}

bool blank_or_separator(const std::string &s) {
    return s.find_first_of(" \t\n\v\f\r,}") != std::string::npos;
}

TEST(FloatParse, SparseTextMatchesStrtof) {
    std::mt19937_64 g(31);
    std::vector<std::string> pool = float_cases::handcrafted();
    Failures fails;
    for (int t = 0; t < 4000; t++) {
        std::string text = "{";
        std::vector<size_t> offsets, lengths;
        int n = 1 + static_cast<int>(g() % 12);
        for (int i = 0; i < n; i++) {
            std::string tok;
            if (g() % 10 == 0) {
                tok = pool[g() % pool.size()];
            } else {
                tok = float_cases::spelling(float_cases::random_float(g),
                                            static_cast<int>(g() % float_cases::kSpellings));
            }
            if (tok.empty() || blank_or_separator(tok)) tok = "1";
            text += (i ? "," : "") + std::to_string(i + 1) + ":";
            offsets.push_back(text.size());
            lengths.push_back(tok.size());
            text += tok;
        }
        text += "}/" + std::to_string(n);

        const SparseResult want = sparse_reference(text, offsets, lengths);
        std::vector<int32_t> idx(n, -7);
        std::vector<float> val(n, -7.0f);
        pgvq_sparse_info info;
        int rc = pgvq_parse_sparsevec(text.c_str(), idx.data(), val.data(), n, &info);
        fails.checked++;
        if (rc != want.rc || info.err_pos != want.err_pos || info.err_len != want.err_len) {
            fails.add(text, "rc " + std::to_string(rc) + " at " + std::to_string(info.err_pos) +
                                " len " + std::to_string(info.err_len) + ", want " +
                                std::to_string(want.rc) + " at " + std::to_string(want.err_pos) +
                                " len " + std::to_string(want.err_len));
            continue;
        }
        if (rc != PGVQ_SPARSE_OK) continue;
        bool same = info.nnz == static_cast<int32_t>(want.idx.size());
        for (size_t i = 0; same && i < want.idx.size(); i++)
            same = idx[i] == want.idx[i] && same_bits(val[i], want.val[i]);
        if (!same) fails.add(text, "elements differ");
    }
    EXPECT_NO_FAILURES(fails);
}

}  // namespace
