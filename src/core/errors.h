/*
 * errors.h: the core's exceptions and the bridge's exception -> status mapping.
 *
 * Core code throws (never aborts); every extern "C" function wraps its body in
 * PGVQ_BRIDGE_TRY / PGVQ_BRIDGE_CATCH(st), which turns each exception into a
 * pgvq_status_code and a message, so that no exception ever crosses into C.
 */
#ifndef PGVQ_ERRORS_H
#define PGVQ_ERRORS_H

#include <cstdarg>
#include <new>
#include <stdexcept>

#include "pgvq_core.h"

#include "cpp_only.h"

namespace pgvq {

/* should_stop() returned true: unwind, the bridge returns PGVQ_CANCELLED. */
struct Cancelled : std::exception {
    const char *what() const noexcept override { return "canceling statement due to user request"; }
};

/* A bad argument from the caller: PGVQ_INVALID_ARGUMENT. */
struct InvalidArgument : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

/* Throws InvalidArgument with a printf-style message. */
[[noreturn]] void throw_invalid(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define PGVQ_CHECK_ARG(cond, ...)                                                                  \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ::pgvq::throw_invalid(__VA_ARGS__);                                                    \
    } while (0)

/* Fills *st (if not NULL) and returns code.  Never throws. */
int set_status(pgvq_status *st, int code, const char *fmt, ...) noexcept
    __attribute__((format(printf, 3, 4)));

inline int status_ok(pgvq_status *st) noexcept {
    if (st) {
        st->code = PGVQ_OK;
        st->message[0] = '\0';
    }
    return PGVQ_OK;
}

} // namespace pgvq

#define PGVQ_BRIDGE_TRY try {
/* Order matters: most specific first, catch (...) last. */
#define PGVQ_BRIDGE_CATCH(st, ctx)                                                                \
    }                                                                                              \
    catch (const std::bad_alloc &) {                                                               \
        return ::pgvq::set_status((st), PGVQ_OOM, "%s: out of memory", (ctx));                    \
    }                                                                                              \
    catch (const std::length_error &) {                                                            \
        return ::pgvq::set_status((st), PGVQ_OOM, "%s: out of memory (size too large)", (ctx));   \
    }                                                                                              \
    catch (const ::pgvq::Cancelled &) {                                                            \
        return ::pgvq::set_status((st), PGVQ_CANCELLED, "%s: canceled", (ctx));                   \
    }                                                                                              \
    catch (const std::invalid_argument &e) {                                                       \
        return ::pgvq::set_status((st), PGVQ_INVALID_ARGUMENT, "%s", e.what());                    \
    }                                                                                              \
    catch (const std::exception &e) {                                                              \
        return ::pgvq::set_status((st), PGVQ_INTERNAL, "%s: internal error: %s", (ctx),           \
                                  e.what());                                                       \
    }                                                                                              \
    catch (...) {                                                                                  \
        return ::pgvq::set_status((st), PGVQ_INTERNAL, "%s: unknown internal error", (ctx));      \
    }

#endif
