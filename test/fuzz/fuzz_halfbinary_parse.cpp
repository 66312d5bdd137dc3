// libFuzzer harness for pgvq_parse_halfvec_binary (the binary form behind
// halfvec_recv).
//
// The input bytes are the message.  Invariants checked on every input:
//  - the parser never writes past min(maxdim, (len - 4) / 2) halves (the
//    output buffer is exactly that size on the heap, so ASan reports the
//    first stray write);
//  - its result code, *dim and *unused equal those of an independent
//    reference decoding of the same bytes, in the documented check order,
//    with the header fields unsigned;
//  - on OK and TRAILING the elements are the message's, none NaN or
//    infinite; on OK re-encoding gives back the message byte for byte;
//  - on OK the text form of the elements' float values ("%.9g") parses back
//    (pgvq_parse_vector) to the same floats.
// Any violation aborts, which libFuzzer reports as a crash.

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "pgvq_core.h"
#include "pgvq_core_half.h"

#include "fuzz_check.h"

namespace {

constexpr int kMaxDim = 16000;	// HALFVEC_MAX_DIM

#define CHECK(cond) FUZZ_CHECK(cond, size)

unsigned be16(const uint8_t* p) { return (unsigned{p[0]} << 8) | unsigned{p[1]}; }

uint16_t element(const uint8_t* data, int i) {
    return static_cast<uint16_t>(be16(data + 4 + 2 * static_cast<size_t>(i)));
}

// A half's value, from its fields (independent of the core's conversion).
double half_value(uint16_t h) {
    int e = (h >> 10) & 0x1F, m = h & 0x3FF;
    double v = e == 0 ? std::ldexp(m, -24) : std::ldexp(1024 + m, e - 25);
    return (h & 0x8000) ? -v : v;
}

// The specification, decoded the slow and obvious way.
int reference(const uint8_t* data, size_t size, int maxdim, int* dim, int* unused) {
    *dim = 0;
    *unused = 0;
    if (size < 4) return PGVQ_BINARY_SHORT_HEADER;
    *dim = static_cast<int>(be16(data));
    *unused = static_cast<int>(be16(data + 2));
    if (*dim < 1 || *dim > maxdim) return PGVQ_BINARY_BAD_DIM;
    if (*unused != 0) return PGVQ_BINARY_BAD_UNUSED;
    if (size < 4 + 2 * static_cast<size_t>(*dim)) return PGVQ_BINARY_SHORT;
    for (int i = 0; i < *dim; i++) {
        uint16_t h = element(data, i);
        if ((h & 0x7C00) == 0x7C00) return (h & 0x3FF) ? PGVQ_BINARY_NAN : PGVQ_BINARY_INFINITE;
    }
    if (size != 4 + 2 * static_cast<size_t>(*dim)) return PGVQ_BINARY_TRAILING;
    return PGVQ_BINARY_OK;
}

void check_one(const uint8_t* data, size_t size, int maxdim) {
    size_t room = size >= 4 ? (size - 4) / 2 : 0;
    size_t cap = static_cast<size_t>(maxdim > 0 ? maxdim : 0);
    if (room > cap) room = cap;
    uint16_t* out = new uint16_t[room];
    int dim = -7, unused = -7;
    int rc = pgvq_parse_halfvec_binary(size ? data : nullptr, size, out, maxdim, &dim, &unused);

    int want_dim, want_unused;
    int want = reference(data, size, maxdim, &want_dim, &want_unused);
    CHECK(rc == want);
    CHECK(dim == want_dim);
    CHECK(unused == want_unused);

    if (rc == PGVQ_BINARY_OK || rc == PGVQ_BINARY_TRAILING) {
        CHECK(static_cast<size_t>(dim) <= room);
        CHECK(PGVQ_HALF_BINARY_SIZE(dim) <= size);
        for (int i = 0; i < dim; i++) {
            CHECK(out[i] == element(data, i));
            CHECK(!PGVQ_HALF_IS_NAN(out[i]) && !PGVQ_HALF_IS_INF(out[i]));
        }
    }

    if (rc == PGVQ_BINARY_OK) {
        std::vector<uint8_t> enc{static_cast<uint8_t>(dim >> 8), static_cast<uint8_t>(dim & 0xff), 0, 0};
        for (int i = 0; i < dim; i++) {
            enc.push_back(static_cast<uint8_t>(out[i] >> 8));
            enc.push_back(static_cast<uint8_t>(out[i] & 0xff));
        }
        CHECK(enc.size() == size && std::memcmp(enc.data(), data, size) == 0);

        // Binary -> text -> floats: the two forms agree.
        std::string text = "[";
        char num[40];
        for (int i = 0; i < dim; i++) {
            std::snprintf(num, sizeof(num), "%.9g", half_value(out[i]));
            if (i > 0) text += ',';
            text += num;
        }
        text += ']';
        std::vector<float> back(static_cast<size_t>(dim));
        int tdim = 0, pos = 0;
        CHECK(pgvq_parse_vector(text.c_str(), back.data(), dim, &tdim, &pos) == PGVQ_PARSE_OK);
        CHECK(tdim == dim);
        for (int i = 0; i < dim; i++) CHECK(static_cast<double>(back[i]) == half_value(out[i]));
    }
    delete[] out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    check_one(data, size, kMaxDim);
    // A caller's smaller limit, and the degenerate ones.
    check_one(data, size, 3);
    check_one(data, size, 0);
    check_one(data, size, -1);
    return 0;
}
