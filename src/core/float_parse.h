/*
 * float_parse.h: one float element of a text form (text_parse.cpp,
 * sparse_parse.cpp), read exactly as strtof() reads it, with a fast path.
 *
 * The fast path takes the plain decimal spelling, "-?digits[.digits]
 * [(e|E)[+-]digits]" (digits on at least one side of the point), checks the
 * token itself and converts it with std::from_chars<float>.  libstdc++ 12
 * and later implement that with fast_float (Eisel-Lemire, with an exact
 * big-integer fallback): correctly rounded like glibc's strtof, no
 * allocation, no locale, about 4x faster.  Everything else goes to strtof:
 * a '+' sign, "inf"/"nan" spellings, hexadecimal floats, a result that
 * overflows or underflows to zero (strtof's ERANGE decides the error), any
 * from_chars error or any disagreement on where the token ends, and every
 * element when the locale's radix character is not '.' (backends run with
 * LC_NUMERIC "C"; strtof follows the locale, from_chars does not).
 *
 * Header-only, static inline: no shared symbol.  Never throws, never
 * allocates, leaves errno as it found it.
 */
#ifndef PGVQ_FLOAT_PARSE_H
#define PGVQ_FLOAT_PARSE_H

#include <langinfo.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>

// libstdc++ 11 reads floats with strtod in a newlocale and may allocate;
// older libraries have no float from_chars at all: strtof alone there.
#if defined(__GLIBCXX__) && defined(_GLIBCXX_RELEASE) && _GLIBCXX_RELEASE >= 12
#include <charconv>
#include <system_error>
#define PGVQ_HAVE_FAST_FLOAT_PARSE 1
#else
#define PGVQ_HAVE_FAST_FLOAT_PARSE 0
#endif

#include "cpp_only.h"

namespace pgvq {

// What strtof's ERANGE meant: an infinite result (overflow) or a zero one
// (underflow).  A denormal result with ERANGE is an ordinary value here.
enum class FloatRange { none, overflow, underflow };

struct ParsedFloat {
    float value;
    const char *end;   // past the element; the start when nothing was read
    FloatRange range;
};

static inline bool is_digit_char(char c) { return c >= '0' && c <= '9'; }

// Whether the fast path may be used in the current locale: true when
// strtof's radix character is '.'.  Call once per string, not per element.
static inline bool float_fast_path_usable() {
#if PGVQ_HAVE_FAST_FLOAT_PARSE
    const char *radix = nl_langinfo(RADIXCHAR);
    return radix != nullptr && radix[0] == '.' && radix[1] == '\0';
#else
    return false;
#endif
}

// The end of the plain decimal token at p (strtof's longest match for it),
// or nullptr when p does not start with one.  *nonzero: a digit of the
// significand is not '0'.
static inline const char *scan_decimal_token(const char *p, bool *nonzero) {
    const char *q = p;
    bool nz = false;
    if (*q == '-') ++q;
    if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X')) return nullptr;  // hexadecimal
    const char *int_start = q;
    while (is_digit_char(*q)) nz |= (*q++ != '0');
    bool have_digits = q != int_start;
    if (*q == '.') {
        const char *frac_start = ++q;
        while (is_digit_char(*q)) nz |= (*q++ != '0');
        have_digits |= q != frac_start;
    }
    if (!have_digits) return nullptr;
    if (*q == 'e' || *q == 'E') {
        // Taken only with at least one digit, as strtof does: "1e+" reads "1".
        const char *e = q + 1;
        if (*e == '+' || *e == '-') ++e;
        if (is_digit_char(*e)) {
            while (is_digit_char(*e)) ++e;
            q = e;
        }
    }
    *nonzero = nz;
    return q;
}

// The fast path: true with *value and *end set when it read the element at
// p exactly as strtof would, with no ERANGE; false to ask strtof.
static inline bool parse_float_fast(const char *p, float *value, const char **end) {
#if PGVQ_HAVE_FAST_FLOAT_PARSE
    bool nonzero = false;
    const char *tok_end = scan_decimal_token(p, &nonzero);
    if (tok_end == nullptr) return false;
    float v = 0.0f;
    std::from_chars_result r = std::from_chars(p, tok_end, v);
    if (r.ec != std::errc() || r.ptr != tok_end) return false;
    // Overflow and underflow to zero are strtof's to report.
    if (std::isinf(v) || (v == 0.0f && nonzero)) return false;
    *value = v;
    *end = tok_end;
    return true;
#else
    (void) p;
    (void) value;
    (void) end;
    return false;
#endif
}

// strtof itself, errno saved and restored.
static inline ParsedFloat parse_float_strtof(const char *p) {
    char *end = nullptr;
    int saved_errno = errno;
    errno = 0;
    float v = std::strtof(p, &end);
    bool range_error = (errno == ERANGE);
    errno = saved_errno;

    ParsedFloat r{v, end, FloatRange::none};
    if (range_error && std::isinf(v))
        r.range = FloatRange::overflow;
    else if (range_error && v == 0.0f)
        r.range = FloatRange::underflow;
    return r;
}

// The element at p (blanks already skipped) as strtof reads it.  fast: the
// value of float_fast_path_usable() for this string.
static inline ParsedFloat parse_float(const char *p, bool fast) {
    ParsedFloat r;
    if (fast && parse_float_fast(p, &r.value, &r.end)) {
        r.range = FloatRange::none;
        return r;
    }
    return parse_float_strtof(p);
}

}  // namespace pgvq

#endif
