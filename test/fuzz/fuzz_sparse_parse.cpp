// libFuzzer harness for the sparsevec parsers (sparsevec_in's text form and
// sparsevec_recv's binary form).
//
// Text: arbitrary bytes up to the first NUL, parsed with sparsevec_in's
// buffer (pgvq_sparsevec_text_capacity entries, exactly, on the heap: ASan
// reports a write past it).  Checked on every input:
//  - the result code is known; BUFFER never happens with that capacity;
//  - err_pos is -1 or inside the string, and err_pos + err_len too;
//  - on success 1 <= dim <= 1e9, nnz <= capacity, indices strictly
//    ascending inside [0, dim), values finite and non-zero, and printing
//    the vector ("{i+1:%.9g,...}/dim") and parsing it again gives the same
//    indices and bits.
// Binary: the same bytes as a sparsevec_recv message, with an output of
// exactly (len - 12) / 8 entries.  On OK or TRAILING the same invariants
// hold, and re-encoding the vector gives back the input's first
// 12 + 8 * nnz bytes.  Any violation aborts.

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

#define CHECK(cond, input) FUZZ_CHECK(cond, input)

void check_vector(const pgvq_sparse_info& info, const int32_t* idx, const float* val, size_t cap,
                  const std::string& s) {
    CHECK(info.dim >= 1 && info.dim <= PGVQ_SPARSEVEC_MAX_DIM, s);
    CHECK(info.nnz >= 0 && static_cast<size_t>(info.nnz) <= cap, s);
    CHECK(info.nnz <= PGVQ_SPARSEVEC_MAX_NNZ && info.nnz <= info.dim, s);
    for (int32_t i = 0; i < info.nnz; i++) {
        CHECK(idx[i] >= 0 && idx[i] < info.dim, s);
        CHECK(i == 0 || idx[i - 1] < idx[i], s);
        CHECK(std::isfinite(val[i]) && val[i] != 0.0f, s);
    }
}

void fuzz_text(const std::string& s) {
    const size_t cap = pgvq_sparsevec_text_capacity(s.c_str());
    CHECK(cap >= 1 && cap <= s.size() + 1, s);
    if (cap > PGVQ_SPARSEVEC_MAX_NNZ) return;  // sparsevec_in refuses it first
    int32_t* idx = new int32_t[cap];
    float* val = new float[cap];
    pgvq_sparse_info info;
    int rc = pgvq_parse_sparsevec(s.c_str(), idx, val, cap, &info);
    CHECK(rc >= PGVQ_SPARSE_OK && rc <= PGVQ_SPARSE_INDEX_DUP, s);
    CHECK(rc != PGVQ_SPARSE_BUFFER && rc != PGVQ_SPARSE_INDEX_ORDER, s);
    CHECK(info.err_pos >= -1 && info.err_pos <= static_cast<int32_t>(s.size()), s);
    CHECK(info.err_len >= 0 && info.err_pos + info.err_len <= static_cast<int32_t>(s.size()), s);
    if (rc == PGVQ_SPARSE_OK) {
        check_vector(info, idx, val, cap, s);
        std::string text = "{";
        char num[64];
        for (int32_t i = 0; i < info.nnz; i++) {
            std::snprintf(num, sizeof(num), "%s%d:%.9g", i ? "," : "", idx[i] + 1,
                          static_cast<double>(val[i]));
            text += num;
        }
        text += "}/" + std::to_string(info.dim);
        const size_t cap2 = pgvq_sparsevec_text_capacity(text.c_str());
        std::vector<int32_t> idx2(cap2);
        std::vector<float> val2(cap2);
        pgvq_sparse_info info2;
        CHECK(pgvq_parse_sparsevec(text.c_str(), idx2.data(), val2.data(), cap2, &info2) ==
                  PGVQ_SPARSE_OK, text);
        CHECK(info2.dim == info.dim && info2.nnz == info.nnz, text);
        CHECK(std::memcmp(idx2.data(), idx, sizeof(int32_t) * info.nnz) == 0, text);
        CHECK(std::memcmp(val2.data(), val, sizeof(float) * info.nnz) == 0, text);
    }
    delete[] idx;
    delete[] val;
}

void put_be32(std::vector<unsigned char>& b, uint32_t v) {
    for (int k = 3; k >= 0; k--) b.push_back(static_cast<unsigned char>(v >> (8 * k)));
}

void fuzz_binary(const uint8_t* data, size_t size, const std::string& s) {
    const size_t cap = size >= 12 ? (size - 12) / 8 : 0;
    int32_t* idx = new int32_t[cap];
    float* val = new float[cap];
    pgvq_sparse_info info;
    int rc = pgvq_parse_sparsevec_binary(data, size, idx, val, cap, &info);
    CHECK(rc == PGVQ_SPARSE_OK || rc == PGVQ_SPARSE_NAN || rc == PGVQ_SPARSE_INFINITE ||
              (rc >= PGVQ_SPARSE_DIM_LOW && rc <= PGVQ_SPARSE_TRAILING), s);
    if (rc == PGVQ_SPARSE_OK || rc == PGVQ_SPARSE_TRAILING) {
        check_vector(info, idx, val, cap, s);
        CHECK(info.unused == 0, s);
        const size_t used = PGVQ_SPARSE_BINARY_SIZE(info.nnz);
        CHECK((rc == PGVQ_SPARSE_OK) == (used == size) && used <= size, s);
        std::vector<unsigned char> again;
        put_be32(again, static_cast<uint32_t>(info.dim));
        put_be32(again, static_cast<uint32_t>(info.nnz));
        put_be32(again, 0);
        for (int32_t i = 0; i < info.nnz; i++) put_be32(again, static_cast<uint32_t>(idx[i]));
        for (int32_t i = 0; i < info.nnz; i++) {
            uint32_t bits;
            std::memcpy(&bits, &val[i], sizeof(bits));
            put_be32(again, bits);
        }
        CHECK(again.size() == used && std::memcmp(again.data(), data, used) == 0, s);
    }
    delete[] idx;
    delete[] val;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string raw(reinterpret_cast<const char*>(data), size);
    // A C string: stop at the first NUL, as Postgres' cstring would.
    fuzz_text(std::string(raw.c_str()));
    fuzz_binary(data, size, raw);
    return 0;
}
