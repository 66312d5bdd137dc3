/*
 * distances_scalar.cpp: portable kernels (the reference level and the fallback
 * on CPUs without AVX2).  Eight independent accumulators so that the compiler
 * can keep them in SSE registers and the loop-carried dependency is short.
 */
#define PGVQ_ISA_TU
#include <cstddef>
#include <cstdint>

#include "distances.h"

#include "cpp_only.h"

namespace pgvq {
namespace {

constexpr size_t W = 8;

inline float sum8(const float *s) {
    return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

float l2sqr(const float *a, const float *b, size_t d) {
    float s[W] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + W <= d; i += W)
        for (size_t j = 0; j < W; j++) {
            float t = a[i + j] - b[i + j];
            s[j] += t * t;
        }
    for (size_t j = 0; i < d; i++, j++) {
        float t = a[i] - b[i];
        s[j] += t * t;
    }
    return sum8(s);
}

float inner_product(const float *a, const float *b, size_t d) {
    float s[W] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + W <= d; i += W)
        for (size_t j = 0; j < W; j++)
            s[j] += a[i + j] * b[i + j];
    for (size_t j = 0; i < d; i++, j++)
        s[j] += a[i] * b[i];
    return sum8(s);
}

float l1(const float *a, const float *b, size_t d) {
    float s[W] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + W <= d; i += W)
        for (size_t j = 0; j < W; j++)
            s[j] += __builtin_fabsf(a[i + j] - b[i + j]);
    for (size_t j = 0; i < d; i++, j++)
        s[j] += __builtin_fabsf(a[i] - b[i]);
    return sum8(s);
}

float norm_l2sqr(const float *a, size_t d) {
    float s[W] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + W <= d; i += W)
        for (size_t j = 0; j < W; j++)
            s[j] += a[i + j] * a[i + j];
    for (size_t j = 0; i < d; i++, j++)
        s[j] += a[i] * a[i];
    return sum8(s);
}

/* Three vectorisable passes: measured faster than one pass with three sets
 * of accumulators, which GCC keeps in memory. */
void cosine_parts(const float *a, const float *b, size_t d, float *dot, float *norma,
                  float *normb) {
    *dot = inner_product(a, b, d);
    *norma = norm_l2sqr(a, d);
    *normb = norm_l2sqr(b, d);
}

#include "distances_1xn.inc"

} // namespace

void pq_ip_table_t_scalar(size_t d, const float *q, size_t m, size_t ksub, const float *cbT,
                          float scale, float *table) {
    const size_t dsub = d / m;
    for (size_t j = 0; j < m; j++) {
        const float *t = cbT + j * dsub * ksub;
        const float *qj = q + j * dsub;
        float *__restrict o = table + j * ksub;
        const float q0 = qj[0] * scale;
        for (size_t k = 0; k < ksub; k++)
            o[k] = q0 * t[k];
        for (size_t s = 1; s < dsub; s++) {
            const float qs = qj[s] * scale;
            const float *__restrict ts = t + s * ksub;
            for (size_t k = 0; k < ksub; k++)
                o[k] += qs * ts[k];
        }
    }
}

void fvec_madd_scalar(size_t n, const float *a, float bf, const float *b, float *c) {
    /* c may be a or b (element-wise, so the vectorised loop stays right) */
    for (size_t i = 0; i < n; i++)
        c[i] = a[i] + bf * b[i];
}

/* One row at a time, 16 lanes of one block (the compiler vectorises them). */
void nearest_small_scalar(size_t rows, size_t d, const float *x, size_t ldx, size_t k,
                          const float *cT, const float *cn, float *best, int64_t *arg) {
    const size_t nblk = (k + 15) / 16;
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * ldx;
        float m = __builtin_inff();
        int64_t a = 0;
        for (size_t b = 0; b < nblk; b++) {
            const float *cb = cT + b * d * 16;
            float acc[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
            for (size_t s = 0; s < d; s++) {
                const float xs = xr[s];
                for (size_t l = 0; l < 16; l++)
                    acc[l] += xs * cb[s * 16 + l];
            }
            for (size_t l = 0; l < 16; l++) {
                const float v = cn[b * 16 + l] - 2.0f * acc[l];
                if (v < m) {
                    m = v;
                    a = (int64_t)(b * 16 + l);
                }
            }
        }
        best[r] = m;
        arg[r] = a;
    }
}

/* One row at a time, the centroids in index order, each product rounded
 * (this file has no FMA): the bits of nearest_small_scalar. */
void nearest_tiny_scalar(size_t rows, size_t d, const float *x, size_t ldx, size_t k,
                         const float *c, const float *cn, float *best, int64_t *arg) {
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * ldx;
        float m = __builtin_inff();
        int64_t a = 0;
        for (size_t j = 0; j < k; j++) {
            const float *cj = c + j * d;
            float acc = 0;
            for (size_t s = 0; s < d; s++)
                acc += xr[s] * cj[s];
            const float v = cn[j] - 2.0f * acc;
            if (v < m) {
                m = v;
                a = (int64_t)j;
            }
        }
        best[r] = m;
        arg[r] = a;
    }
}

const DistanceKernels kernels_scalar = {
    "scalar",          SIMD_SCALAR,          l2sqr,           inner_product, l1,
    norm_l2sqr,        cosine_parts,         distances_1xn,   pq_scan_codes_scalar,
    pq_ip_table_t_scalar, fvec_madd_scalar,
    nearest_small_scalar, nearest_tiny_scalar, l2sqr_min_update_t,
};

} // namespace pgvq
