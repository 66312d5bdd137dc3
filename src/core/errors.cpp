/*
 * errors.cpp: status helpers for the bridge.
 */
#include <cstdarg>
#include <cstdio>
#include <string>

#include "errors.h"

#include "cpp_only.h"

namespace pgvq {

void throw_invalid(const char *fmt, ...) {
    char buf[sizeof(((pgvq_status *)nullptr)->message)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    throw InvalidArgument(buf);
}

int set_status(pgvq_status *st, int code, const char *fmt, ...) noexcept {
    if (st) {
        st->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(st->message, sizeof(st->message), fmt, ap);
        va_end(ap);
    }
    return code;
}

} // namespace pgvq
