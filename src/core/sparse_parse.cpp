// sparse_parse.cpp: the strict parsers of a sparsevec's text form
// ("{1:1.5,3:2}/5") and binary form (pgvector's sparsevec_send layout).
//
// Both accept exactly what pgvector 0.8's sparsevec_in / sparsevec_recv
// accept and report the first problem in the same order, so the glue raises
// the same error for the same input.  Never allocate, never throw: the sort
// of the text form's elements is an in-place heapsort over the two output
// arrays.

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "float_parse.h"
#include "parse_util.h"
#include "pgvq_core.h"

#include "cpp_only.h"

namespace {

using pgvq::skip_blanks;

// strtol() clamped to [lo, hi]; false when no digits were read.
bool read_long(const char *p, const char **end, long lo, long hi, long *out) {
    char *e = nullptr;
    int saved_errno = errno;
    long v = std::strtol(p, &e, 10);
    errno = saved_errno;
    *end = e;
    if (e == p) return false;
    *out = v < lo ? lo : (v > hi ? hi : v);
    return true;
}

// ---- heapsort of (index, value) pairs by index -------------------------------

inline void swap_pair(int32_t *idx, float *val, size_t i, size_t j) {
    int32_t ti = idx[i];
    idx[i] = idx[j];
    idx[j] = ti;
    float tv = val[i];
    val[i] = val[j];
    val[j] = tv;
}

void sift_down(int32_t *idx, float *val, size_t root, size_t n) {
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n) return;
        if (child + 1 < n && idx[child + 1] > idx[child]) ++child;
        if (idx[root] >= idx[child]) return;
        swap_pair(idx, val, root, child);
        root = child;
    }
}

void sort_pairs(int32_t *idx, float *val, size_t n) {
    bool sorted = true;
    for (size_t i = 1; i < n && sorted; i++) sorted = idx[i - 1] <= idx[i];
    if (sorted) return;
    for (size_t i = n / 2; i-- > 0;) sift_down(idx, val, i, n);
    for (size_t end = n; end-- > 1;) {
        swap_pair(idx, val, 0, end);
        sift_down(idx, val, 0, end);
    }
}

// ---- text form -------------------------------------------------------------------

struct TextParser {
    const char *str;
    int32_t *indices;
    float *values;
    size_t cap;
    pgvq_sparse_info *info;
    bool fast_floats;  // float_fast_path_usable(), once per string

    int fail(int rc, const char *at, size_t len = 0) {
        info->err_pos = static_cast<int32_t>(at - str);
        info->err_len = static_cast<int32_t>(len);
        return rc;
    }

    // One "index : value" element at p; *next is set past the value.
    int element(const char *p, const char **next) {
        const char *end;
        long index;

        p = skip_blanks(p);
        if (*p == '\0') return fail(PGVQ_SPARSE_SYNTAX, p);
        // Kept in int range (as pgvector does) so the bounds check reports it.
        if (!read_long(p, &end, static_cast<long>(INT_MIN) + 1, INT_MAX, &index))
            return fail(PGVQ_SPARSE_SYNTAX, p);
        p = skip_blanks(end);
        if (*p != ':') return fail(PGVQ_SPARSE_SYNTAX, p);
        p = skip_blanks(p + 1);

        pgvq::ParsedFloat f = pgvq::parse_float(p, fast_floats);
        const char *vend = f.end;
        float value = f.value;
        if (vend == p) return fail(PGVQ_SPARSE_SYNTAX, p);
        // Like float4in: an overflow and an underflow to zero are errors.
        if (f.range != pgvq::FloatRange::none)
            return fail(PGVQ_SPARSE_OUT_OF_RANGE, p, static_cast<size_t>(vend - p));
        if (std::isnan(value)) return fail(PGVQ_SPARSE_NAN, p);
        if (std::isinf(value)) return fail(PGVQ_SPARSE_INFINITE, p);

        if (value != 0.0f) {
            size_t n = static_cast<size_t>(info->nnz);
            if (n >= cap) return fail(PGVQ_SPARSE_BUFFER, p);
            // 1-based in text, 0-based inside.
            indices[n] = static_cast<int32_t>(index - 1);
            values[n] = value;
            info->nnz++;
        }
        *next = vend;
        return PGVQ_SPARSE_OK;
    }

    // "{" elements "}": returns past the closing brace in *next.
    int elements(const char *p, const char **next) {
        p = skip_blanks(p);
        if (*p != '{') return fail(PGVQ_SPARSE_SYNTAX_START, p);
        p = skip_blanks(p + 1);
        if (*p == '}') {
            *next = p + 1;
            return PGVQ_SPARSE_OK;
        }
        for (;;) {
            int rc = element(p, &p);
            if (rc != PGVQ_SPARSE_OK) return rc;
            p = skip_blanks(p);
            if (*p == ',') {
                ++p;
            } else if (*p == '}') {
                *next = p + 1;
                return PGVQ_SPARSE_OK;
            } else {
                return fail(PGVQ_SPARSE_SYNTAX, p);
            }
        }
    }

    int run() {
        const char *p;
        int rc = elements(str, &p);
        if (rc != PGVQ_SPARSE_OK) return rc;

        p = skip_blanks(p);
        if (*p != '/') return fail(PGVQ_SPARSE_SYNTAX_END, p);
        p = skip_blanks(p + 1);
        const char *end;
        long dim;
        if (!read_long(p, &end, INT_MIN, INT_MAX, &dim)) return fail(PGVQ_SPARSE_SYNTAX, p);
        info->dim = static_cast<int32_t>(dim);
        p = skip_blanks(end);
        if (*p != '\0') return fail(PGVQ_SPARSE_SYNTAX_JUNK, p);

        if (dim < 1) return PGVQ_SPARSE_DIM_LOW;
        if (dim > PGVQ_SPARSEVEC_MAX_DIM) return PGVQ_SPARSE_DIM_HIGH;

        size_t n = static_cast<size_t>(info->nnz);
        sort_pairs(indices, values, n);
        for (size_t i = 0; i < n; i++) {
            if (indices[i] < 0 || indices[i] >= info->dim) return PGVQ_SPARSE_INDEX_BOUNDS;
            if (i > 0 && indices[i] == indices[i - 1]) return PGVQ_SPARSE_INDEX_DUP;
        }
        return PGVQ_SPARSE_OK;
    }
};

// ---- binary form ------------------------------------------------------------------

inline uint32_t load_be32(const unsigned char *p) {
    return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
           (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
}

inline int32_t load_i32(const unsigned char *p) { return static_cast<int32_t>(load_be32(p)); }

inline float load_f32(const unsigned char *p) {
    uint32_t bits = load_be32(p);
    float f;
    std::memcpy(&f, &bits, sizeof(f));
    return f;
}

int check_binary(const unsigned char *buf, size_t len, pgvq_sparse_info *info) {
    if (buf == nullptr || len < 12) return PGVQ_SPARSE_SHORT_HEADER;
    int32_t dim = load_i32(buf);
    int32_t nnz = load_i32(buf + 4);
    info->dim = dim;
    info->nnz = nnz;
    info->unused = load_i32(buf + 8);

    if (dim < 1) return PGVQ_SPARSE_DIM_LOW;
    if (dim > PGVQ_SPARSEVEC_MAX_DIM) return PGVQ_SPARSE_DIM_HIGH;
    if (nnz < 0) return PGVQ_SPARSE_NNZ_NEGATIVE;
    if (nnz > PGVQ_SPARSEVEC_MAX_NNZ) return PGVQ_SPARSE_NNZ_MANY;
    if (nnz > dim) return PGVQ_SPARSE_NNZ_OVER_DIM;
    if (info->unused != 0) return PGVQ_SPARSE_UNUSED;

    const size_t n = static_cast<size_t>(nnz);
    const size_t body = len - 12;
    const unsigned char *ip = buf + 12;
    for (size_t i = 0; i < n; i++) {
        if (body < 4 * (i + 1)) return PGVQ_SPARSE_SHORT;
        int32_t index = load_i32(ip + 4 * i);
        if (index < 0 || index >= dim) return PGVQ_SPARSE_INDEX_BOUNDS;
        if (i > 0) {
            int32_t prev = load_i32(ip + 4 * (i - 1));
            if (index < prev) return PGVQ_SPARSE_INDEX_ORDER;
            if (index == prev) return PGVQ_SPARSE_INDEX_DUP;
        }
    }
    const unsigned char *vp = ip + 4 * n;
    for (size_t i = 0; i < n; i++) {
        if (body < 4 * n + 4 * (i + 1)) return PGVQ_SPARSE_SHORT;
        float v = load_f32(vp + 4 * i);
        if (std::isnan(v)) return PGVQ_SPARSE_NAN;
        if (std::isinf(v)) return PGVQ_SPARSE_INFINITE;
        if (v == 0.0f) return PGVQ_SPARSE_ZERO;
    }
    return body == 8 * n ? PGVQ_SPARSE_OK : PGVQ_SPARSE_TRAILING;
}

void reset_info(pgvq_sparse_info *info) {
    info->dim = 0;
    info->nnz = 0;
    info->unused = 0;
    info->err_pos = -1;
    info->err_len = 0;
}

}  // namespace

extern "C" size_t pgvq_sparsevec_text_capacity(const char *str) {
    size_t n = 1;
    if (str == nullptr) return n;
    for (const char *p = str; *p != '\0'; ++p)
        if (*p == ',') ++n;
    return n;
}

extern "C" int pgvq_parse_sparsevec(const char *str, int32_t *indices, float *values, size_t cap,
                                    pgvq_sparse_info *info) {
    pgvq_sparse_info scratch;
    if (info == nullptr) info = &scratch;
    reset_info(info);
    if (str == nullptr) {
        info->err_pos = 0;
        return PGVQ_SPARSE_SYNTAX_START;
    }
    TextParser parser{str, indices, values, cap, info, pgvq::float_fast_path_usable()};
    return parser.run();
}

extern "C" int pgvq_parse_sparsevec_binary(const unsigned char *buf, size_t len, int32_t *indices,
                                           float *values, size_t cap, pgvq_sparse_info *info) {
    pgvq_sparse_info scratch;
    if (info == nullptr) info = &scratch;
    reset_info(info);
    int rc = check_binary(buf, len, info);
    if (rc != PGVQ_SPARSE_OK && rc != PGVQ_SPARSE_TRAILING) return rc;

    const size_t n = static_cast<size_t>(info->nnz);
    if (n > cap) return PGVQ_SPARSE_BUFFER;
    for (size_t i = 0; i < n; i++) {
        indices[i] = load_i32(buf + 12 + 4 * i);
        values[i] = load_f32(buf + 12 + 4 * n + 4 * i);
    }
    return rc;
}
