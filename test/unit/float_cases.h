/*
 * float_cases.h: float element spellings for the tests of the text parsers'
 * element reader (src/core/float_parse.h), and strtof as the reference it
 * must agree with.  Used by test_float_parse.cpp and test_parse_fast.cpp.
 */
#ifndef PGVQ_TEST_FLOAT_CASES_H
#define PGVQ_TEST_FLOAT_CASES_H

#include <cerrno>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace float_cases {

// strtof on p, as the parsers called it before the fast path.
struct Ref {
    float value;
    const char *end;
    bool range_error;
};

inline Ref ref_strtof(const char *p) {
    char *end = nullptr;
    int saved_errno = errno;
    errno = 0;
    float v = std::strtof(p, &end);
    Ref r{v, end, errno == ERANGE};
    errno = saved_errno;
    return r;
}

inline bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Mismatches counted, the first few kept for the failure message.
struct Failures {
    size_t checked = 0;
    size_t count = 0;
    std::string first;

    void add(const std::string &input, const std::string &what) {
        if (count++ < 10) first += "  \"" + input.substr(0, 120) + "\": " + what + "\n";
    }
};

// One to four random edits (replace, insert, delete) of s, with bytes that
// matter to the grammar most of the time and any non-NUL byte otherwise.
inline std::string mutate(std::string s, std::mt19937_64 &g) {
    static const char alphabet[] = "0123456789.eE+-xXpPaAfFiInNtTyY ,[]{}:/\t\n\v\f\r";
    int edits = 1 + static_cast<int>(g() % 4);
    for (int k = 0; k < edits; k++) {
        char c = g() % 4 ? alphabet[g() % (sizeof alphabet - 1)]
                         : static_cast<char>(1 + g() % 255);
        size_t at = s.empty() ? 0 : static_cast<size_t>(g() % (s.size() + 1));
        int kind = static_cast<int>(g() % 3);
        if (kind == 0 && at < s.size())
            s[at] = c;
        else if (kind == 2 && at < s.size())
            s.erase(at, 1);
        else
            s.insert(at, 1, c);
    }
    return s;
}

inline std::string fmt(const char *f, double v) {
    char buf[1300];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

inline std::string shortest(float v, std::chars_format f) {
    char buf[128];
    std::to_chars_result r = std::to_chars(buf, buf + sizeof buf, v, f);
    return std::string(buf, r.ptr);
}

// A float of one of several kinds: any finite bit pattern (every exponent,
// denormals included), an embedding-like N(0, 0.05), a uniform [-1000,
// 1000], a denormal, or one within a few ulps of FLT_MAX or FLT_MIN.
inline float random_float(std::mt19937_64 &g) {
    switch (g() % 6) {
        case 0:
            for (;;) {
                uint32_t bits = static_cast<uint32_t>(g());
                if ((bits & 0x7f800000u) == 0x7f800000u) continue;
                float f;
                std::memcpy(&f, &bits, sizeof f);
                return f;
            }
        case 1:
            return std::normal_distribution<float>(0.0f, 0.05f)(g);
        case 2:
            return std::uniform_real_distribution<float>(-1000.0f, 1000.0f)(g);
        case 3: {
            uint32_t bits = static_cast<uint32_t>(g()) & 0x807fffffu;
            float f;
            std::memcpy(&f, &bits, sizeof f);
            return f;
        }
        case 4: {
            uint32_t bits = (0x7f7fffffu - static_cast<uint32_t>(g() % 8)) |
                            (static_cast<uint32_t>(g() & 1) << 31);
            float f;
            std::memcpy(&f, &bits, sizeof f);
            return f;
        }
        default: {
            uint32_t bits = 0x00800000u + static_cast<uint32_t>(g() % 8) - 4u;
            float f;
            std::memcpy(&f, &bits, sizeof f);
            return g() & 1 ? -f : f;
        }
    }
}

// f printed in many ways: printf's %.9g, %.17g, %g, %e, %f (and upper case),
// the shortest round trip (general, fixed, scientific; float4out prints the
// first), hexadecimal (strtof's business), with a '+' sign.  Spelling k of
// kSpellings; the first four are plain decimals that read back finite.
constexpr int kSpellings = 17;

inline std::string spelling(float f, int k) {
    static const char *const formats[] = {"%.9g", "%.17g", "%g", "%e", "%f", "%.8g", "%G",
                                          "%E", "%.12e", "%.0f", "%.3g", "%a", "%+.9g"};
    const double d = f;
    switch (k) {
        case 13: return shortest(f, std::chars_format::general);
        case 14: return shortest(f, std::chars_format::fixed);
        case 15: return shortest(f, std::chars_format::scientific);
        case 16: return fmt("%+g", std::fabs(d));
        default: return fmt(formats[k], d);
    }
}

inline void spellings(float f, std::vector<std::string> *out) {
    for (int k = 0; k < kSpellings; k++) out->push_back(spelling(f, k));
}

// Decimal strings near the midpoint of f and the next float up, where the
// rounding direction decides: the exact midpoint (ties to even), one double
// ulp either side, all printed exactly (up to ~160 significant digits), and
// the midpoint cut to 9..20 significant digits.
inline void halfway_cases(float f, std::vector<std::string> *out) {
    if (!std::isfinite(f)) return;
    float up = std::nextafter(f, INFINITY);
    double hi = std::isinf(up) ? std::ldexp(1.0, 128) : static_cast<double>(up);
    double mid = (static_cast<double>(f) + hi) / 2;  // exact: 25 significant bits
    out->push_back(fmt("%.1100g", mid));
    out->push_back(fmt("%.1100g", std::nextafter(mid, -INFINITY)));
    out->push_back(fmt("%.1100g", std::nextafter(mid, INFINITY)));
    for (int digits = 9; digits <= 20; digits++) {
        char fm[16];
        std::snprintf(fm, sizeof fm, "%%.%dg", digits);
        out->push_back(fmt(fm, mid));
    }
}

// Random decimal spellings: 1..25 digits (leading zeros at times), a point
// anywhere or nowhere, an exponent of -60..60 at times, a sign at times.
inline std::string random_decimal(std::mt19937_64 &g) {
    std::string s;
    switch (g() % 8) {
        case 0: s += '-'; break;
        case 1: s += '+'; break;
        default: break;
    }
    int n = 1 + static_cast<int>(g() % 25);
    int zeros = g() % 4 == 0 ? static_cast<int>(g() % 12) : 0;
    std::string digits(zeros, '0');
    for (int i = 0; i < n; i++) digits += static_cast<char>('0' + g() % 10);
    int point = static_cast<int>(g() % (digits.size() + 2)) - 1;  // -1: none
    if (point >= 0) digits.insert(static_cast<size_t>(point), ".");
    s += digits;
    if (g() % 3 == 0) {
        s += g() % 2 ? 'e' : 'E';
        int e = static_cast<int>(g() % 121) - 60;
        if (e >= 0 && g() % 2) s += '+';
        s += std::to_string(e);
    }
    return s;
}

// Hand-picked spellings around the grammar's and the float format's edges.
inline std::vector<std::string> handcrafted() {
    std::vector<std::string> v = {
        "1e", "1e+", "1e-", "1E5", "1e+5", "1e-5", "1ee5", "1e+-5", "1e5e5", "1e5.5",
        ".5", "5.", "-.5e-3", "-5.e3", ".5e", "00001", "-00001.000", "0001e0001",
        "1.0000000000000000000001", "0.99999999999999999999999", "+1", "+.5", "+-1", "-+1",
        "++1", "--1", "-", "+", ".", "-.", "-.e5", ".e5", "e5", "E5", "..5", "1..2",
        "1.2.3", "-0", "0", "0.0", "-0.0", "0e0", "-0e-0", "0e999999999999999",
        "-0.000e-999999", "000.000", "1e999999999999", "-1e999999999999",
        "1e-999999999999", "-1e-999999999999", "1e2147483648", "1e-2147483649",
        "inf", "-inf", "+inf", "INF", "Inf", "infinity", "-Infinity", "infinit", "infx",
        "nan", "-nan", "+nan", "NaN", "NAN", "nan(123)", "nan(abc_0)", "nan(", "nanx",
        "0x1p3", "0X1P-3", "-0x10", "+0x10", "0x", "0x.", "0x.8", "0x1.8p1", "0xg",
        "0x1p", "0x1p+", "00x1", "0.x1", "0b101", "1x", "1f", "1.5f", "1,5", "1_000",
        "16777216", "16777217", "16777218", "16777219", "33554435", "8388608.5",
        "8388609.5", "0.1", "0.2", "0.3", "3.14159265358979323846264338327950288",
        "3.4028234e38", "3.4028235e38", "3.40282347e38", "3.4028236e38", "3.5e38",
        "340282346638528859811704183484516925440",
        "340282356779733661637539395458142568447",
        "340282356779733661637539395458142568448",
        "340282356779733661637539395458142568449",
        "1.17549435e-38", "1.1754942e-38", "1.1754943e-38", "1.17549421e-38",
        "1.4e-45", "1.401298464324817e-45", "7e-46", "7.006492321624085e-46",
        "7.0064923216240854e-46", "7.1e-46", "1e-46", "1e-45", "2.8e-45", "1e-40",
        "123456789", "1234567890123", "12345678901234567890", "0.123456789012345678901",
        "9999999999999999999999", "99999999e30", "0.0000000000000000000000000000000000001",
        "1e38", "1e39", "-1e39", "1e-38", "1e-39", "4.9e-324",
        std::string(400, '0') + "1", "0." + std::string(400, '0') + "1e400",
        "1" + std::string(300, '0'), "1" + std::string(45, '0') + "e-45",
        "1." + std::string(200, '9'), "0." + std::string(60, '0') + "1" + std::string(60, '5'),
    };
    return v;
}

}  // namespace float_cases

#endif
