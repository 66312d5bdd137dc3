/*
 * distances.h: float vector distance kernels with run-time SIMD dispatch.
 *
 * Each instruction set has its own translation unit, compiled with its own
 * flags (distances_scalar.cpp, distances_avx2.cpp, distances_avx512.cpp).  Each
 * fills one DistanceKernels table; the dispatcher (distances.cpp) picks a table
 * once from cpuid/xgetbv and every caller goes through it.
 *
 * The ISA files must not instantiate any inline function or template that is
 * shared with other translation units (a COMDAT compiled with -mavx512f could be
 * picked by the linker for a scalar caller); they only include <immintrin.h>,
 * <cstddef>, <cstdint> and this header, whose inline helpers are `static`.
 */
#ifndef PGVQ_DISTANCES_H
#define PGVQ_DISTANCES_H

#include <cstddef>
#include <cstdint>
#ifndef PGVQ_ISA_TU
#include <atomic>
#endif

#include "cpp_only.h"

namespace pgvq {

enum SimdLevel : int { SIMD_SCALAR = 0, SIMD_AVX2 = 1, SIMD_AVX512 = 2 };

/* Metric codes, equal to pgvq_metric in pgvq_core.h. */
enum MetricType : int { METRIC_L2 = 0, METRIC_IP = 1, METRIC_COSINE = 2, METRIC_L1 = 3 };

struct DistanceKernels {
    const char *name;
    int level;
    /* sum (a_i - b_i)^2 */
    float (*l2sqr)(const float *a, const float *b, size_t d);
    /* sum a_i b_i */
    float (*inner_product)(const float *a, const float *b, size_t d);
    /* sum |a_i - b_i| */
    float (*l1)(const float *a, const float *b, size_t d);
    /* sum a_i^2 */
    float (*norm_l2sqr)(const float *a, size_t d);
    /* dot, |a|^2, |b|^2 in one pass */
    void (*cosine_parts)(const float *a, const float *b, size_t d, float *dot, float *norma,
                         float *normb);
    /* out[i] = metric distance (q, x + i*d); x: (n, d).  Same values as the
     * single-pair kernels above followed by metric_from_parts. */
    void (*distances_1xn)(int metric, const float *q, size_t n, size_t d, const float *x,
                          float *out);
    /* out[i] = bias + sum_j table[j * ksub + codes[i*m + j]]; codes: (n, m) */
    void (*pq_scan_codes)(size_t m, size_t ksub, const float *table, float bias, size_t n,
                          const uint8_t *codes, float *out);
    /* See pq_ip_table_t_scalar. */
    void (*pq_ip_table_t)(size_t d, const float *q, size_t m, size_t ksub, const float *cbT,
                          float scale, float *table);
    /* c[i] = a[i] + bf * b[i] */
    void (*fvec_madd)(size_t n, const float *a, float bf, const float *b, float *c);
    /* The nearest of k centroids for each of `rows` short rows x[r * ldx .. + d),
     * fused (no inner-product matrix): best[r] = min_c cn[c] - 2 <x_r, c>,
     * arg[r] = the smallest index reaching it (NaN values skipped; +inf and 0
     * when no value is below +inf).  cT: the centroids in blocks of 16,
     * (ceil(k / 16), d, 16); cn: their squared norms, ceil(k / 16) * 16 of
     * them, +inf past k (see CentroidSearch in kmeans.h). */
    void (*nearest_small)(size_t rows, size_t d, const float *x, size_t ldx, size_t k,
                          const float *cT, const float *cn, float *best, int64_t *arg);
    /* nearest_small for d <= 8 (kTinyMaxDim in kmeans.h) with the centroids as
     * they are, c (k, d), and their k squared norms cn: the same values and
     * indices bit for bit at each level, faster for short rows (rows in SIMD
     * lanes, no lane reduction; nearest_tiny.inc). */
    void (*nearest_tiny)(size_t rows, size_t d, const float *x, size_t ldx, size_t k,
                         const float *c, const float *cn, float *best, int64_t *arg);
    /* mind[i] = min(mind[i], |x_i - c|^2) for n rows given transposed, xT
     * (d, ld); the sums in order over the dimensions, without FMA, so every
     * level gives the same bits.  Returns whether any mind[i] fell.  For
     * k-means++ on short vectors (distances_1xn.inc). */
    bool (*l2sqr_min_update_t)(size_t n, size_t d, const float *xT, size_t ld, const float *c,
                               float *mind);
};

/* out[i] = bias + sum_j table[j * ksub + (codes[i*m + j] & (ksub - 1))], summed in
 * the order bias, j = 0, 1, ..., m-1, so every implementation gives the same
 * bits.  Code bytes are masked to nbits: a corrupt byte cannot read outside
 * the table. */
using PqScanFn = void (*)(size_t m, size_t ksub, const float *table, float bias, size_t n,
                          const uint8_t *codes, float *out);
/* Scalar loads, eight rows side by side (pq_scan_scalar.cpp): the path of
 * every level for ksub > 16. */
void pq_scan_codes_scalar(size_t m, size_t ksub, const float *table, float bias, size_t n,
                          const uint8_t *codes, float *out);
/* ksub <= 16: the table of a sub-quantizer sits in registers and vpermps
 * looks up 8 (AVX2) or 16 (AVX-512) rows at once, from codes transposed in
 * blocks of 8 rows. */
void pq_scan_codes_perm_avx2(size_t m, size_t ksub, const float *table, float bias, size_t n,
                             const uint8_t *codes, float *out);
void pq_scan_codes_perm_avx512(size_t m, size_t ksub, const float *table, float bias, size_t n,
                               const uint8_t *codes, float *out);
/* Eight rows per step, two AVX2 gathers per sub-quantizer. */
void pq_scan_codes_gather_avx2(size_t m, size_t ksub, const float *table, float bias, size_t n,
                               const uint8_t *codes, float *out);
/* Sixteen rows per step, two AVX-512 gathers per sub-quantizer. */
void pq_scan_codes_gather_avx512(size_t m, size_t ksub, const float *table, float bias, size_t n,
                                 const uint8_t *codes, float *out);

/* table[j*ksub + k] = sum_s (q[j*dsub + s] * scale) * cbT[(j*dsub + s)*ksub + k]
 * for the transposed codebooks cbT (m, dsub, ksub), dsub = d / m: each
 * product rounded to float, then added in the order s = 0, 1, ..., dsub-1
 * (no fused multiply-add), so every level gives the same bits. */
void pq_ip_table_t_scalar(size_t d, const float *q, size_t m, size_t ksub, const float *cbT,
                          float scale, float *table);
/* c[i] = a[i] + bf * b[i], the product rounded before the add; c may be a or b. */
void fvec_madd_scalar(size_t n, const float *a, float bf, const float *b, float *c);
/* A nearest-centroid kernel: rows x (ldx apart) against k centroids c
 * (layout per kernel) with norms cn; the best value and index per row. */
#define PGVQ_NEAREST_KERNEL(name)                                                                  \
    void name(size_t rows, size_t d, const float *x, size_t ldx, size_t k, const float *c,        \
              const float *cn, float *best, int64_t *arg)
/* nearest_small per level (c transposed): the AVX2 and AVX-512 kernels give
 * the same bits (one FMA per dimension, in order); the scalar one rounds each
 * product.  nearest_tiny per level (c by rows): the same bits as
 * nearest_small at that level. */
PGVQ_NEAREST_KERNEL(nearest_small_scalar);
PGVQ_NEAREST_KERNEL(nearest_small_avx2);
PGVQ_NEAREST_KERNEL(nearest_small_avx512);
PGVQ_NEAREST_KERNEL(nearest_tiny_scalar);
PGVQ_NEAREST_KERNEL(nearest_tiny_avx2);
PGVQ_NEAREST_KERNEL(nearest_tiny_avx512);

extern const DistanceKernels kernels_scalar;
extern const DistanceKernels kernels_avx2;   /* valid only if the CPU has AVX2+FMA */
extern const DistanceKernels kernels_avx512; /* valid only if the CPU has AVX-512F/BW/DQ/VL */

/* Highest level the CPU and the OS support (cpuid + XCR0); computed once. */
int simd_level_supported() noexcept;
/* Selects the best supported level unless one was already chosen; returns
 * the current table.  Idempotent and thread-safe. */
const DistanceKernels *init_kernels() noexcept;
/* Forces a level, clamped to what is supported; returns the level set. */
int set_simd_level(int level) noexcept;

/*
 * 1 - cos(a, b) from float parts, computed in double like pgvector's
 * cosine_distance: the similarity is clamped to [-1, 1]; NaN when a norm is 0.
 * static: each ISA file gets its own copy (see the note at the top).
 */
static inline double cosine_distance_f64(float dot, float norma, float normb) {
    double sim = (double)dot / __builtin_sqrt((double)norma * (double)normb);
    if (sim > 1.0)
        sim = 1.0;
    else if (sim < -1.0)
        sim = -1.0;
    return 1.0 - sim;
}

static inline float cosine_distance_from_parts(float dot, float norma, float normb) {
    return (float)cosine_distance_f64(dot, norma, normb);
}

/*
 * The last step of nearest_small: the smallest of 16 lane minima v (no NaN)
 * and, among lanes holding it, the smallest centroid index i.  With every
 * value +inf: +inf and the smallest index (0 when no lane was updated).
 * static: each ISA file gets its own copy.
 */
static inline void lanes_argmin16(const float *v, const int32_t *i, float *best, int64_t *arg) {
    float m = v[0];
    int32_t a = i[0];
    for (int l = 1; l < 16; l++)
        if (v[l] < m || (v[l] == m && i[l] < a)) {
            m = v[l];
            a = i[l];
        }
    *best = m;
    *arg = a;
}

#ifndef PGVQ_ISA_TU
extern std::atomic<const DistanceKernels *> g_kernels;

/* The current table; the first call before pgvq_init() initialises it. */
inline const DistanceKernels &kernels() noexcept {
    const DistanceKernels *k = g_kernels.load(std::memory_order_acquire);
    if (__builtin_expect(k == nullptr, 0))
        k = init_kernels();
    return *k;
}

/* Convenience wrappers through the dispatch table (Faiss names).  Hidden from
 * the ISA translation units, which must not emit shared inline code. */
inline float fvec_L2sqr(const float *a, const float *b, size_t d) noexcept {
    return kernels().l2sqr(a, b, d);
}
inline float fvec_inner_product(const float *a, const float *b, size_t d) noexcept {
    return kernels().inner_product(a, b, d);
}
inline float fvec_L1(const float *a, const float *b, size_t d) noexcept {
    return kernels().l1(a, b, d);
}
inline float fvec_norm_L2sqr(const float *a, size_t d) noexcept {
    return kernels().norm_l2sqr(a, d);
}
/* out[i] = |x_i|^2 for the n rows of x (n, d). */
void fvec_norms_L2sqr(size_t n, size_t d, const float *x, float *out) noexcept;
/* The distance an index orders by (see pgvq_distance). */
float fvec_distance(int metric, const float *a, const float *b, size_t d) noexcept;
/* The same in double; cosine not rounded to float (the SQL operator's value). */
double fvec_distance_f64(int metric, const float *a, const float *b, size_t d) noexcept;
void distances_1xn_f64(int metric, const float *q, size_t n, size_t d, const float *x,
                       double *out) noexcept;
#endif

} // namespace pgvq

#endif
