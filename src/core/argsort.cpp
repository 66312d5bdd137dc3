/*
 * argsort.cpp: positions of float keys in ascending (key, position) order.
 *
 * ivfpq re-ranks its pool's entries in bound order (ivfpq_rerank.c); sorting
 * the pool once is cheaper than selecting it chunk by chunk with a heap.  An
 * LSD radix sort over the keys' bits, 8 bits a pass, is stable, so entries
 * with equal keys keep their position order: the TopK order (topk.h), with
 * every NaN mapped to one code after +inf and -0 to +0.  Passes whose byte is
 * the same for every key are skipped.
 */
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "pgvq_core.h"

#include "cpp_only.h"

namespace {

/* Unsigned codes in the keys' order: NaN last, -0 as +0. */
inline uint32_t sort_code(float f) noexcept {
    uint32_t b;
    std::memcpy(&b, &f, sizeof(b));
    if ((b & 0x7FFFFFFFu) > 0x7F800000u)
        return 0xFFFFFFFFu; /* any NaN */
    if (b == 0x80000000u)
        b = 0; /* -0 */
    return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

} // namespace

extern "C" void pgvq_argsort_f32(size_t n, const float *keys, uint32_t *pos, uint32_t *work) {
    uint32_t *codeA = work, *codeB = work + n, *posB = work + 2 * n;
    uint32_t *posA = pos;
    size_t count[4][256] = {};

    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++) {
        const uint32_t c = sort_code(keys[i]);
        codeA[i] = c;
        posA[i] = (uint32_t)i;
        for (int b = 0; b < 4; b++)
            count[b][(c >> (8 * b)) & 0xFF]++;
    }
    for (int b = 0; b < 4; b++) {
        size_t *cnt = count[b];
        if (cnt[(codeA[0] >> (8 * b)) & 0xFF] == n)
            continue; /* one byte value: the order stays */
        size_t sum = 0;
        for (int v = 0; v < 256; v++) {
            const size_t c = cnt[v];
            cnt[v] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) {
            const size_t at = cnt[(codeA[i] >> (8 * b)) & 0xFF]++;
            codeB[at] = codeA[i];
            posB[at] = posA[i];
        }
        uint32_t *t = codeA;
        codeA = codeB;
        codeB = t;
        t = posA;
        posA = posB;
        posB = t;
    }
    if (posA != pos)
        std::memcpy(pos, posA, n * sizeof(uint32_t));
}
