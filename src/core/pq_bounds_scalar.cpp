/*
 * pq_bounds_scalar.cpp: the portable kernel of pgvq_pq_lower_bounds, one
 * entry at a time (see pq_bounds.h); the reference the SIMD kernels match.
 */
#define PGVQ_ISA_TU
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "distances.h"
#include "pq_bounds.h"

#include "cpp_only.h"

namespace pgvq {
namespace {

/* A float not above x (x finite or +-inf). */
inline float round_down(double x) noexcept {
    float f = (float)x;
    if ((double)f > x)
        f = std::nextafter(f, -std::numeric_limits<float>::infinity());
    return f;
}

} // namespace

void pq_bounds_scalar(const PqBoundConsts &k, size_t n, const float *adc, const uint16_t *errs,
                      const float *dec, float *lb) {
    if (k.metric == METRIC_IP) {
        for (size_t i = 0; i < n; i++) {
            const double e = dec[errs[i]];
            /* -<q,x> >= -<q,x^> - |q| e, less the ADC margin and the
             * operator's rounding (rho |q| |x|, |x| <= |x^| + e) */
            double b = (double)adc[i] - k.margin - k.qn * e - k.rho_qn * (k.reach + e) - k.tiny;
            /* NaN, or +inf: a float sum that overflowed (nothing is known) */
            lb[i] = std::isnan(b) || std::isinf(adc[i]) ? -std::numeric_limits<float>::infinity()
                                                        : round_down(b);
        }
        return;
    }
    const bool cosine = k.metric == METRIC_COSINE;
    for (size_t i = 0; i < n; i++) {
        const double e = dec[errs[i]];
        double a = (double)adc[i] - k.margin;
        double s = (a > 0.0 ? std::sqrt(a) : 0.0) - e;
        double b;
        /* +inf is a float sum that overflowed (T, or the table's sums of
         * products: each can pass FLT_MAX while |q - x|^2 does not) */
        if (!(s > 0.0) || std::isinf(adc[i]))
            b = 0.0; /* also for an unbounded e (inf) or a NaN ADC value */
        else
            b = s * s * k.keep - k.tiny;
        /* 1 - cos = |q~ - x~|^2 / 2 for unit vectors; the operator divides
         * float sums (each off by rho relative) in double, and the stored x~
         * is a float normalisation: absolute slack */
        if (cosine)
            b = b * 0.5 - k.cos_slack;
        lb[i] = round_down(b);
    }
}

void pq_bounds_eps_scalar(const PqBoundConsts &k, double eps, size_t n, const float *adc,
                          const uint16_t *errs, const float *dec, float *lb) {
    for (size_t i = 0; i < n; i++) {
        const double e = dec[errs[i]];
        if (k.metric == METRIC_IP) {
            /* -<q,x> >= -<q,x^> - eps |q| e, the margins as above */
            double b = (double)adc[i] - k.margin - eps * k.qn * e - k.rho_qn * (k.reach + e) - k.tiny;
            lb[i] = std::isnan(b) || std::isinf(adc[i]) ? -std::numeric_limits<float>::infinity()
                                                        : round_down(b);
            continue;
        }
        const double a = (double)adc[i] - k.margin;
        const double inner = a - (1.0 - eps * eps) * e * e;
        const double s = (inner > 0.0 ? std::sqrt(inner) : 0.0) - eps * e;
        double b;
        if (!(s > 0.0) || std::isinf(adc[i]) || std::isnan(a))
            b = 0.0;
        else
            b = s * s * k.keep - k.tiny;
        if (k.metric == METRIC_COSINE)
            b = b * 0.5 - k.cos_slack;
        lb[i] = round_down(b);
    }
}

} // namespace pgvq
