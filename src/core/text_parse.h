/*
 * text_parse.h: the vector text parser of text_parse.cpp with the choice of
 * element reader made by the caller: fast = false reads every element with
 * strtof (the parser before the fast path of float_parse.h), the reference
 * the unit tests hold the fast path to; pgvq_parse_vector passes
 * float_fast_path_usable().  C++ only, inside the core.
 */
#ifndef PGVQ_TEXT_PARSE_H
#define PGVQ_TEXT_PARSE_H

#include "cpp_only.h"

namespace pgvq {

int parse_vector_text(const char *str, float *out, int maxdim, int *dim, int *err_pos, bool fast);

}  // namespace pgvq

#endif
