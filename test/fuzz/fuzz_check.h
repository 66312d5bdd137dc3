// fuzz_check.h: how the libFuzzer harnesses report a broken invariant: the
// condition and the input (its size, or its first 200 bytes as text) on
// stderr, then abort(), which libFuzzer reports as a crash.
#ifndef PGVQ_FUZZ_CHECK_H
#define PGVQ_FUZZ_CHECK_H

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace pgvq_fuzz {

[[noreturn]] inline void fail(const char* what, size_t size) {
    std::fprintf(stderr, "invariant violated: %s (input of %zu bytes)\n", what, size);
    std::abort();
}

[[noreturn]] inline void fail(const char* what, const std::string& input) {
    std::fprintf(stderr, "invariant violated: %s\ninput (%zu bytes): \"%s\"\n", what, input.size(),
                 input.substr(0, 200).c_str());
    std::abort();
}

}  // namespace pgvq_fuzz

// ctx: the input's size_t size or its std::string text.
#define FUZZ_CHECK(cond, ctx)                               \
    do {                                                    \
        if (!(cond)) ::pgvq_fuzz::fail(#cond, ctx);         \
    } while (0)

#endif  // PGVQ_FUZZ_CHECK_H
