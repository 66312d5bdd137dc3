// popcount.cpp: Hamming and Jaccard kernels of bit strings with run-time
// dispatch.
//
// Three levels, each a pair of functions: "scalar" (the compiler's portable
// __builtin_popcountll on 64-bit words), "popcnt" (the same code compiled for
// the POPCNT instruction) and "avx512vpopcntdq" (64 bytes per step).  The
// faster levels are compiled per function with target attributes, never for
// the whole file (no -march=native), and only run after cpuid and XCR0 said
// the CPU and the OS support them.  All levels count exactly, so they agree
// bit for bit.

#include <immintrin.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "cpu_features.h"
#include "pgvq_core.h"

#include "cpp_only.h"

namespace {

enum PopcountLevel : int { POPCOUNT_SCALAR = 0, POPCOUNT_POPCNT = 1, POPCOUNT_AVX512 = 2 };

struct JaccardCounts {
    uint64_t ab, aa, bb;
};

struct PopcountKernels {
    const char *name;
    uint64_t (*hamming)(const unsigned char *a, const unsigned char *b, size_t n);
    JaccardCounts (*jaccard)(const unsigned char *a, const unsigned char *b, size_t n);
};

inline uint64_t load_u64(const unsigned char *p) {
    uint64_t v;
    std::memcpy(&v, p, sizeof(v));
    return v;
}

// The word loops, expanded once into each target's function below (a shared
// inline function could be emitted once, for one target, and linked into all).
#define PGVQ_HAMMING_WORDS(a, b, n, acc)                                   \
    do {                                                                   \
        for (; (n) >= 8; (n) -= 8, (a) += 8, (b) += 8)                     \
            (acc) += static_cast<uint64_t>(                                \
                __builtin_popcountll(load_u64(a) ^ load_u64(b)));          \
        for (; (n) > 0; (n)--, (a)++, (b)++)                               \
            (acc) += static_cast<uint64_t>(__builtin_popcount(*(a) ^ *(b))); \
    } while (0)

#define PGVQ_JACCARD_WORDS(a, b, n, c)                                          \
    do {                                                                        \
        for (; (n) >= 8; (n) -= 8, (a) += 8, (b) += 8) {                        \
            uint64_t x = load_u64(a), y = load_u64(b);                          \
            (c).ab += static_cast<uint64_t>(__builtin_popcountll(x & y));        \
            (c).aa += static_cast<uint64_t>(__builtin_popcountll(x));            \
            (c).bb += static_cast<uint64_t>(__builtin_popcountll(y));            \
        }                                                                       \
        for (; (n) > 0; (n)--, (a)++, (b)++) {                                  \
            (c).ab += static_cast<uint64_t>(__builtin_popcount(*(a) & *(b)));    \
            (c).aa += static_cast<uint64_t>(__builtin_popcount(*(a)));           \
            (c).bb += static_cast<uint64_t>(__builtin_popcount(*(b)));           \
        }                                                                       \
    } while (0)

uint64_t hamming_scalar(const unsigned char *a, const unsigned char *b, size_t n) {
    uint64_t acc = 0;
    PGVQ_HAMMING_WORDS(a, b, n, acc);
    return acc;
}

JaccardCounts jaccard_scalar(const unsigned char *a, const unsigned char *b, size_t n) {
    JaccardCounts c{0, 0, 0};
    PGVQ_JACCARD_WORDS(a, b, n, c);
    return c;
}

__attribute__((target("popcnt"))) uint64_t hamming_popcnt(const unsigned char *a,
                                                          const unsigned char *b, size_t n) {
    uint64_t acc = 0;
    PGVQ_HAMMING_WORDS(a, b, n, acc);
    return acc;
}

__attribute__((target("popcnt"))) JaccardCounts jaccard_popcnt(const unsigned char *a,
                                                               const unsigned char *b, size_t n) {
    JaccardCounts c{0, 0, 0};
    PGVQ_JACCARD_WORDS(a, b, n, c);
    return c;
}

#define PGVQ_TARGET_VPOPCNT __attribute__((target("popcnt,avx512f,avx512vpopcntdq")))

// The eight 64-bit lanes summed through memory (GCC 12's
// _mm512_reduce_add_epi64 trips -Wuninitialized inside its own header).
PGVQ_TARGET_VPOPCNT inline uint64_t lane_sum(__m512i v) {
    uint64_t lanes[8];
    _mm512_storeu_si512(static_cast<void *>(lanes), v);
    uint64_t s = 0;
    for (uint64_t x : lanes) s += x;
    return s;
}

PGVQ_TARGET_VPOPCNT uint64_t hamming_avx512(const unsigned char *a, const unsigned char *b,
                                            size_t n) {
    __m512i acc = _mm512_setzero_si512();
    for (; n >= 64; n -= 64, a += 64, b += 64) {
        __m512i x = _mm512_loadu_si512(static_cast<const void *>(a));
        __m512i y = _mm512_loadu_si512(static_cast<const void *>(b));
        acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_xor_si512(x, y)));
    }
    uint64_t total = lane_sum(acc);
    PGVQ_HAMMING_WORDS(a, b, n, total);
    return total;
}

PGVQ_TARGET_VPOPCNT JaccardCounts jaccard_avx512(const unsigned char *a, const unsigned char *b,
                                                 size_t n) {
    __m512i ab = _mm512_setzero_si512();
    __m512i aa = _mm512_setzero_si512();
    __m512i bb = _mm512_setzero_si512();
    for (; n >= 64; n -= 64, a += 64, b += 64) {
        __m512i x = _mm512_loadu_si512(static_cast<const void *>(a));
        __m512i y = _mm512_loadu_si512(static_cast<const void *>(b));
        ab = _mm512_add_epi64(ab, _mm512_popcnt_epi64(_mm512_and_si512(x, y)));
        aa = _mm512_add_epi64(aa, _mm512_popcnt_epi64(x));
        bb = _mm512_add_epi64(bb, _mm512_popcnt_epi64(y));
    }
    JaccardCounts c{lane_sum(ab), lane_sum(aa), lane_sum(bb)};
    PGVQ_JACCARD_WORDS(a, b, n, c);
    return c;
}

const PopcountKernels kKernels[] = {
    {"scalar", hamming_scalar, jaccard_scalar},
    {"popcnt", hamming_popcnt, jaccard_popcnt},
    {"avx512vpopcntdq", hamming_avx512, jaccard_avx512},
};

int detect_level() noexcept {
    const pgvq::CpuFeatures f = pgvq::detect_cpu_features();
    if (!f.popcnt) return POPCOUNT_SCALAR;
    /* xcr0 is 0 without OSXSAVE; the avx512 bits are clear without leaf 7 */
    if ((f.xcr0 & pgvq::XCR0_ZMM) != pgvq::XCR0_ZMM) return POPCOUNT_POPCNT;
    return (f.avx512f && f.avx512vpopcntdq) ? POPCOUNT_AVX512 : POPCOUNT_POPCNT;
}

std::atomic<int> g_supported{-1};
std::atomic<const PopcountKernels *> g_popcount{nullptr};

int supported_level() noexcept {
    int s = g_supported.load(std::memory_order_relaxed);
    if (s < 0) {
        s = detect_level();
        g_supported.store(s, std::memory_order_relaxed);
    }
    return s;
}

const PopcountKernels &kernels() noexcept {
    const PopcountKernels *k = g_popcount.load(std::memory_order_acquire);
    if (__builtin_expect(k == nullptr, 0)) {
        const PopcountKernels *expected = nullptr;
        const PopcountKernels *best = &kKernels[supported_level()];
        if (g_popcount.compare_exchange_strong(expected, best, std::memory_order_acq_rel))
            k = best;
        else
            k = expected;
    }
    return *k;
}

}  // namespace

extern "C" const char *pgvq_popcount_level(void) { return kernels().name; }

extern "C" int pgvq_set_popcount_level(int level) {
    int sup = supported_level();
    if (level > sup) level = sup;
    if (level < POPCOUNT_SCALAR) level = POPCOUNT_SCALAR;
    g_popcount.store(&kKernels[level], std::memory_order_release);
    return level;
}

extern "C" uint64_t pgvq_bit_hamming(const unsigned char *a, const unsigned char *b,
                                     size_t nbytes) {
    return kernels().hamming(a, b, nbytes);
}

extern "C" double pgvq_bit_jaccard(const unsigned char *a, const unsigned char *b,
                                   size_t nbytes) {
    JaccardCounts c = kernels().jaccard(a, b, nbytes);
    if (c.ab == 0) return 1.0;
    return 1.0 - static_cast<double>(c.ab) / static_cast<double>(c.aa + c.bb - c.ab);
}
