// libFuzzer harness for pgvq_parse_vector (the text form behind vector_in).
//
// Arbitrary bytes become a NUL-terminated string (an embedded NUL ends it, as
// in a C string from Postgres).  Invariants checked on every input:
//  - the parser never writes past maxdim floats (the output buffer is exactly
//    maxdim floats on the heap, so ASan reports the first stray write);
//  - the result code is known, 0 <= dim <= maxdim, err_pos is -1 exactly on
//    success and otherwise inside the string;
//  - vector_in's buffer rule holds: with maxdim = len / 2 + 1 the parser
//    never runs out of room (TOO_MANY is impossible);
//  - a smaller maxdim gives the same answer while the vector fits, TOO_MANY
//    once it does not;
//  - on success every element is finite, dim >= 1, and the round trip
//    text -> floats -> text ("%.9g") -> floats is bit-identical.
// Any violation aborts, which libFuzzer reports as a crash.

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "pgvq_core.h"

#include "fuzz_check.h"

namespace {

constexpr int kMaxDim = 16000;	// VECTOR_MAX_DIM

#define CHECK(cond, input) FUZZ_CHECK(cond, input)

struct Result {
    int rc;
    int dim;
    int err_pos;
    float* values;	// maxdim floats, owned
};

// Parses with an output buffer of exactly maxdim floats (new float[0] for 0,
// which ASan treats as having no room at all).
Result parse(const std::string& s, int maxdim) {
    Result r;
    r.values = new float[maxdim > 0 ? maxdim : 0];
    r.dim = -7;
    r.err_pos = -7;
    r.rc = pgvq_parse_vector(s.c_str(), r.values, maxdim, &r.dim, &r.err_pos);
    return r;
}

void check_basic(const Result& r, const std::string& s, int maxdim) {
    CHECK(r.rc >= PGVQ_PARSE_OK && r.rc <= PGVQ_PARSE_TOO_MANY, s);
    CHECK(r.dim >= 0 && r.dim <= (maxdim > 0 ? maxdim : 0), s);
    if (r.rc == PGVQ_PARSE_OK) {
        CHECK(r.err_pos == -1, s);
        CHECK(r.dim >= 1, s);
        for (int i = 0; i < r.dim; i++) CHECK(std::isfinite(r.values[i]), s);
    } else {
        CHECK(r.err_pos >= 0 && static_cast<size_t>(r.err_pos) <= s.size(), s);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // A C string: stop at the first NUL, as Postgres' cstring would.
    std::string s(reinterpret_cast<const char*>(data), size);
    s = std::string(s.c_str());

    // vector_in's choice of buffer size.
    size_t cap_sz = s.size() / 2 + 1;
    int cap = cap_sz < static_cast<size_t>(kMaxDim) ? static_cast<int>(cap_sz) : kMaxDim;

    Result full = parse(s, cap);
    check_basic(full, s, cap);
    if (cap < kMaxDim) CHECK(full.rc != PGVQ_PARSE_TOO_MANY, s);

    // A small limit: same answer while the vector fits, TOO_MANY once not.
    for (int small : {0, 1, 3}) {
        Result r = parse(s, small);
        check_basic(r, s, small);
        if (full.rc == PGVQ_PARSE_OK) {
            if (full.dim <= small) {
                CHECK(r.rc == PGVQ_PARSE_OK && r.dim == full.dim, s);
                CHECK(std::memcmp(r.values, full.values, sizeof(float) * full.dim) == 0, s);
            } else {
                CHECK(r.rc == PGVQ_PARSE_TOO_MANY && r.dim == small, s);
            }
        }
        delete[] r.values;
    }

    if (full.rc == PGVQ_PARSE_OK) {
        // floats -> text with %.9g (enough digits for any float) -> floats.
        std::string text = "[";
        char num[32];
        for (int i = 0; i < full.dim; i++) {
            std::snprintf(num, sizeof(num), "%.9g", static_cast<double>(full.values[i]));
            if (i > 0) text += ',';
            text += num;
        }
        text += ']';
        Result again = parse(text, full.dim);
        CHECK(again.rc == PGVQ_PARSE_OK, text);
        CHECK(again.dim == full.dim, text);
        CHECK(std::memcmp(again.values, full.values, sizeof(float) * full.dim) == 0, text);
        delete[] again.values;
    }

    delete[] full.values;
    return 0;
}
