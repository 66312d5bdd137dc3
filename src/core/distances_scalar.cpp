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

void cosine_parts(const float *a, const float *b, size_t d, float *dot, float *norma,
                  float *normb) {
    float sd[W] = {0, 0, 0, 0, 0, 0, 0, 0};
    float sa[W] = {0, 0, 0, 0, 0, 0, 0, 0};
    float sb[W] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + W <= d; i += W)
        for (size_t j = 0; j < W; j++) {
            float x = a[i + j], y = b[i + j];
            sd[j] += x * y;
            sa[j] += x * x;
            sb[j] += y * y;
        }
    for (size_t j = 0; i < d; i++, j++) {
        float x = a[i], y = b[i];
        sd[j] += x * y;
        sa[j] += x * x;
        sb[j] += y * y;
    }
    *dot = sum8(sd);
    *norma = sum8(sa);
    *normb = sum8(sb);
}

void distances_1xn(int metric, const float *q, size_t n, size_t d, const float *x, float *out) {
    switch (metric) {
    case METRIC_L2:
        for (size_t i = 0; i < n; i++)
            out[i] = l2sqr(q, x + i * d, d);
        break;
    case METRIC_IP:
        for (size_t i = 0; i < n; i++)
            out[i] = -inner_product(q, x + i * d, d);
        break;
    case METRIC_COSINE:
        for (size_t i = 0; i < n; i++) {
            float dot, na, nb;
            cosine_parts(q, x + i * d, d, &dot, &na, &nb);
            out[i] = cosine_distance_from_parts(dot, na, nb);
        }
        break;
    case METRIC_L1:
        for (size_t i = 0; i < n; i++)
            out[i] = l1(q, x + i * d, d);
        break;
    default:
        for (size_t i = 0; i < n; i++)
            out[i] = __builtin_nanf("");
        break;
    }
}

/* Four codes at a time, each row's m lookups summed in order j = 0..m-1. */
void pq_scan_codes(size_t m, size_t ksub, const float *table, float bias, size_t n,
                   const uint8_t *codes, float *out) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const uint8_t *c = codes + i * m;
        float s0 = bias, s1 = bias, s2 = bias, s3 = bias;
        const float *t = table;
        for (size_t j = 0; j < m; j++, t += ksub) {
            s0 += t[c[j]];
            s1 += t[c[m + j]];
            s2 += t[c[2 * m + j]];
            s3 += t[c[3 * m + j]];
        }
        out[i] = s0;
        out[i + 1] = s1;
        out[i + 2] = s2;
        out[i + 3] = s3;
    }
    for (; i < n; i++) {
        const uint8_t *c = codes + i * m;
        float s = bias;
        const float *t = table;
        for (size_t j = 0; j < m; j++, t += ksub)
            s += t[c[j]];
        out[i] = s;
    }
}

} // namespace

const DistanceKernels kernels_scalar = {
    "scalar",      SIMD_SCALAR,  l2sqr,         inner_product, l1,
    norm_l2sqr,    cosine_parts, distances_1xn, pq_scan_codes,
};

} // namespace pgvq
