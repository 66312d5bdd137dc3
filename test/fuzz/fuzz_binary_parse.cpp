// libFuzzer harness for pgvq_parse_vector_binary (the binary form behind
// vector_recv).
//
// The input bytes are the message.  Invariants checked on every input:
//  - the parser never writes past min(maxdim, (len - 4) / 4) floats (the
//    output buffer is exactly that size on the heap, so ASan reports the
//    first stray write);
//  - its result code and *dim equal those of an independent reference
//    decoding of the same bytes written here, in the documented check order:
//    OK exactly when the header and length agree (len == 4 + 4 * dim,
//    1 <= dim <= maxdim, unused == 0) and every element is finite;
//  - on OK and TRAILING the elements are bit-equal to the message's; on OK
//    re-encoding gives back the message byte for byte;
//  - on OK the text form ("%.9g") parses back to the same bits.
// Any violation aborts, which libFuzzer reports as a crash.

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "pgvq_core.h"

#include "fuzz_check.h"

namespace {

constexpr int kMaxDim = 16000;	// VECTOR_MAX_DIM

#define CHECK(cond) FUZZ_CHECK(cond, size)

uint32_t be32(const uint8_t* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

int16_t be16s(const uint8_t* p) {
    return static_cast<int16_t>(static_cast<uint16_t>((p[0] << 8) | p[1]));
}

float element(const uint8_t* data, int i) {
    uint32_t u = be32(data + 4 + 4 * static_cast<size_t>(i));
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

// The specification, decoded the slow and obvious way.
int reference(const uint8_t* data, size_t size, int maxdim, int* dim) {
    *dim = 0;
    if (size < 4) return PGVQ_BINARY_SHORT_HEADER;
    *dim = be16s(data);
    if (*dim < 1 || *dim > maxdim) return PGVQ_BINARY_BAD_DIM;
    if (be16s(data + 2) != 0) return PGVQ_BINARY_BAD_UNUSED;
    if (size < 4 + 4 * static_cast<size_t>(*dim)) return PGVQ_BINARY_SHORT;
    for (int i = 0; i < *dim; i++) {
        float f = element(data, i);
        if (std::isnan(f)) return PGVQ_BINARY_NAN;
        if (std::isinf(f)) return PGVQ_BINARY_INFINITE;
    }
    if (size != 4 + 4 * static_cast<size_t>(*dim)) return PGVQ_BINARY_TRAILING;
    return PGVQ_BINARY_OK;
}

void check_one(const uint8_t* data, size_t size, int maxdim) {
    size_t room = size >= 4 ? (size - 4) / 4 : 0;
    if (room > static_cast<size_t>(maxdim > 0 ? maxdim : 0)) room = static_cast<size_t>(maxdim > 0 ? maxdim : 0);
    // Exactly the documented room: ASan catches a write past it.
    float* out = new float[room];
    int dim = -7;
    int rc = pgvq_parse_vector_binary(size ? data : nullptr, size, out, maxdim, &dim);

    int want_dim;
    int want = reference(data, size, maxdim, &want_dim);
    CHECK(rc == want);
    CHECK(dim == want_dim);

    bool consistent = size >= 4 && dim >= 1 && dim <= maxdim && be16s(data + 2) == 0 &&
                      size == 4 + 4 * static_cast<size_t>(dim);
    if (rc == PGVQ_BINARY_OK) CHECK(consistent);
    if (consistent && rc != PGVQ_BINARY_OK) CHECK(rc == PGVQ_BINARY_NAN || rc == PGVQ_BINARY_INFINITE);

    if (rc == PGVQ_BINARY_OK || rc == PGVQ_BINARY_TRAILING) {
        CHECK(static_cast<size_t>(dim) <= room);
        CHECK(PGVQ_BINARY_SIZE(dim) <= size);
        for (int i = 0; i < dim; i++) {
            float f = element(data, i);
            CHECK(std::memcmp(&out[i], &f, 4) == 0);
            CHECK(std::isfinite(out[i]));
        }
    }

    if (rc == PGVQ_BINARY_OK) {
        // Re-encode: the same bytes.
        std::vector<uint8_t> enc;
        enc.push_back(static_cast<uint8_t>((dim >> 8) & 0xff));
        enc.push_back(static_cast<uint8_t>(dim & 0xff));
        enc.push_back(0);
        enc.push_back(0);
        for (int i = 0; i < dim; i++) {
            uint32_t u;
            std::memcpy(&u, &out[i], 4);
            for (int s = 24; s >= 0; s -= 8) enc.push_back(static_cast<uint8_t>((u >> s) & 0xff));
        }
        CHECK(enc.size() == size && std::memcmp(enc.data(), data, size) == 0);

        // Binary -> text -> floats: the two forms agree.
        std::string text = "[";
        char num[32];
        for (int i = 0; i < dim; i++) {
            std::snprintf(num, sizeof(num), "%.9g", static_cast<double>(out[i]));
            if (i > 0) text += ',';
            text += num;
        }
        text += ']';
        std::vector<float> back(static_cast<size_t>(dim));
        int tdim = 0, pos = 0;
        CHECK(pgvq_parse_vector(text.c_str(), back.data(), dim, &tdim, &pos) == PGVQ_PARSE_OK);
        CHECK(tdim == dim);
        CHECK(std::memcmp(back.data(), out, sizeof(float) * static_cast<size_t>(dim)) == 0);
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
