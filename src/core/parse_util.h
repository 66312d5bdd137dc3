/*
 * parse_util.h: what the text parsers (text_parse.cpp, sparse_parse.cpp)
 * treat as blanks.  Header-only; static inline, so no shared symbol.
 */
#ifndef PGVQ_PARSE_UTIL_H
#define PGVQ_PARSE_UTIL_H

namespace pgvq {

// Postgres' scanner_isspace(): the six ASCII whitespace characters.
static inline bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static inline const char *skip_blanks(const char *p) {
    while (is_blank(*p)) ++p;
    return p;
}

}  // namespace pgvq

#endif
