// half_binary_parse.cpp: the strict parser of a halfvec's binary form
// (pgvector's halfvec_send layout): uint16 dim, uint16 unused (0), then dim
// halves, all big-endian.  The checks come in halfvec_recv's order so that the
// glue raises the same error for the same bytes.  Never allocates, never
// throws.

#include <cstddef>
#include <cstdint>

#include "pgvq_core_half.h"

namespace {

inline uint16_t load_be16(const unsigned char* p) {
    return static_cast<uint16_t>((static_cast<unsigned>(p[0]) << 8) | static_cast<unsigned>(p[1]));
}

}  // namespace

extern "C" int pgvq_parse_halfvec_binary(const unsigned char* buf, size_t len, uint16_t* out,
                                         int maxdim, int* dim, int* unused) {
    int header_dim = 0;
    int header_unused = 0;
    int rc = PGVQ_BINARY_OK;

    if (buf == nullptr || len < 4) {
        rc = PGVQ_BINARY_SHORT_HEADER;
    } else {
        // pgvector reads both header fields with pq_getmsgint(.., 2) into an
        // int: unsigned 16-bit values.
        header_dim = load_be16(buf);
        header_unused = load_be16(buf + 2);
        size_t body = len - 4;

        if (header_dim < 1 || header_dim > maxdim) {
            rc = PGVQ_BINARY_BAD_DIM;
        } else if (header_unused != 0) {
            rc = PGVQ_BINARY_BAD_UNUSED;
        } else if (body / 2 < static_cast<size_t>(header_dim)) {
            rc = PGVQ_BINARY_SHORT;
        } else {
            const unsigned char* p = buf + 4;
            for (int i = 0; i < header_dim; i++, p += 2) {
                uint16_t h = load_be16(p);
                if (PGVQ_HALF_IS_NAN(h)) {
                    rc = PGVQ_BINARY_NAN;
                    break;
                }
                if (PGVQ_HALF_IS_INF(h)) {
                    rc = PGVQ_BINARY_INFINITE;
                    break;
                }
                out[i] = h;
            }
            if (rc == PGVQ_BINARY_OK && body != 2 * static_cast<size_t>(header_dim))
                rc = PGVQ_BINARY_TRAILING;
        }
    }

    if (dim != nullptr) *dim = header_dim;
    if (unused != nullptr) *unused = header_unused;
    return rc;
}
