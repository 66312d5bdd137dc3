// text_parse.cpp: the strict parser of a vector's text form, "[1, 2.5, -3e4]".
//
// It accepts exactly what pgvector's vector_in accepts: blanks (the six ASCII
// whitespace characters the Postgres scanner knows) around the brackets and
// the elements, elements in strtof() syntax (exponents, "inf"/"nan" spellings
// and hexadecimal floats included; the last two kinds are then rejected as
// non-finite), no empty elements, nothing but blanks after the closing
// bracket.  Checks happen in the same order as pgvector's, so the same input
// gives the same error.  Elements are read by float_parse.h: a fast path for
// plain decimals, strtof for the rest, strtof's results for all.  Never
// allocates, never throws.

#include <cmath>

#include "float_parse.h"
#include "parse_util.h"
#include "pgvq_core.h"
#include "text_parse.h"

using pgvq::skip_blanks;

int pgvq::parse_vector_text(const char* str, float* out, int maxdim, int* dim, int* err_pos,
                            bool fast) {
    int n = 0;
    int pos = 0;
    int rc = PGVQ_PARSE_OK;

    if (maxdim < 0) maxdim = 0;

    if (str == nullptr) {
        rc = PGVQ_PARSE_SYNTAX;
    } else {
        const char* p = skip_blanks(str);

        if (*p != '[') {
            rc = PGVQ_PARSE_SYNTAX;
            pos = static_cast<int>(p - str);
        } else {
            p = skip_blanks(p + 1);
            if (*p == ']') {
                rc = PGVQ_PARSE_EMPTY;
                pos = static_cast<int>(p - str);
            } else {
                for (;;) {
                    if (n == maxdim) {
                        rc = PGVQ_PARSE_TOO_MANY;
                        pos = static_cast<int>(p - str);
                        break;
                    }
                    p = skip_blanks(p);
                    pos = static_cast<int>(p - str);
                    if (*p == '\0') {
                        rc = PGVQ_PARSE_SYNTAX;
                        break;
                    }

                    pgvq::ParsedFloat f = pgvq::parse_float(p, fast);
                    float v = f.value;

                    if (f.end == p) {
                        rc = PGVQ_PARSE_SYNTAX;
                        break;
                    }
                    // Overflow only: an underflow to zero or a denormal is
                    // accepted, as float4in and pgvector do.
                    if (f.range == pgvq::FloatRange::overflow) {
                        rc = PGVQ_PARSE_OUT_OF_RANGE;
                        break;
                    }
                    if (std::isnan(v)) {
                        rc = PGVQ_PARSE_NAN;
                        break;
                    }
                    if (std::isinf(v)) {
                        rc = PGVQ_PARSE_INFINITE;
                        break;
                    }
                    out[n++] = v;

                    p = skip_blanks(f.end);
                    if (*p == ',') {
                        ++p;
                    } else if (*p == ']') {
                        ++p;
                        break;
                    } else {
                        rc = PGVQ_PARSE_SYNTAX;
                        pos = static_cast<int>(p - str);
                        break;
                    }
                }
                if (rc == PGVQ_PARSE_OK) {
                    p = skip_blanks(p);
                    if (*p != '\0') {
                        rc = PGVQ_PARSE_SYNTAX;
                        pos = static_cast<int>(p - str);
                    }
                }
            }
        }
    }

    if (dim != nullptr) *dim = n;
    if (err_pos != nullptr) *err_pos = (rc == PGVQ_PARSE_OK) ? -1 : pos;
    return rc;
}

extern "C" int pgvq_parse_vector(const char* str, float* out, int maxdim, int* dim,
                                 int* err_pos) {
    return pgvq::parse_vector_text(str, out, maxdim, dim, err_pos,
                                   pgvq::float_fast_path_usable());
}
