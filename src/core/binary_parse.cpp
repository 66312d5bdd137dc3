// binary_parse.cpp: the strict parser of a vector's binary form (pgvector's
// vector_send layout): int16 dim, int16 unused (0), then dim float4 values,
// all big-endian.  The checks come in vector_recv's order so that the glue
// raises the same error for the same bytes.  Never allocates, never throws.

#include <cmath>
#include <cstdint>
#include <cstring>

#include "pgvq_core.h"

namespace {

inline uint16_t load_be16(const unsigned char* p) {
    return static_cast<uint16_t>((static_cast<unsigned>(p[0]) << 8) | static_cast<unsigned>(p[1]));
}

inline uint32_t load_be32(const unsigned char* p) {
    return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
           (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
}

inline float bits_to_float(uint32_t bits) {
    float f;
    static_assert(sizeof(f) == sizeof(bits), "float must be 32 bits");
    std::memcpy(&f, &bits, sizeof(f));
    return f;
}

}  // namespace

extern "C" int pgvq_parse_vector_binary(const unsigned char* buf, size_t len, float* out,
                                        int maxdim, int* dim) {
    int header_dim = 0;
    int rc = PGVQ_BINARY_OK;

    if (buf == nullptr || len < 4) {
        rc = PGVQ_BINARY_SHORT_HEADER;
    } else {
        // Both header fields are signed int16 on the wire.
        header_dim = static_cast<int16_t>(load_be16(buf));
        int unused = static_cast<int16_t>(load_be16(buf + 2));
        size_t body = len - 4;

        if (header_dim < 1 || header_dim > maxdim) {
            rc = PGVQ_BINARY_BAD_DIM;
        } else if (unused != 0) {
            rc = PGVQ_BINARY_BAD_UNUSED;
        } else if (body / 4 < static_cast<size_t>(header_dim)) {
            rc = PGVQ_BINARY_SHORT;
        } else {
            const unsigned char* p = buf + 4;
            for (int i = 0; i < header_dim; i++, p += 4) {
                float v = bits_to_float(load_be32(p));
                if (std::isnan(v)) {
                    rc = PGVQ_BINARY_NAN;
                    break;
                }
                if (std::isinf(v)) {
                    rc = PGVQ_BINARY_INFINITE;
                    break;
                }
                out[i] = v;
            }
            if (rc == PGVQ_BINARY_OK && body != 4 * static_cast<size_t>(header_dim))
                rc = PGVQ_BINARY_TRAILING;
        }
    }

    if (dim != nullptr) *dim = header_dim;
    return rc;
}
