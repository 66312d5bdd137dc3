/*
 * pq_bounds.h: the per-entry kernel of pgvq_pq_lower_bounds (pq_bounds.cpp).
 *
 * Each instruction set has its own translation unit (pq_bounds_scalar.cpp,
 * pq_bounds_avx2.cpp, pq_bounds_avx512.cpp) built with its own flags, under
 * the same rules as distances_*.cpp; the SIMD ones share their double
 * arithmetic (pq_bounds.inc).  Every kernel gives the scalar one's
 * bits: the same double operations in the same order (no contraction into
 * FMA, a correctly rounded sqrt), the same float conversion (the current
 * rounding mode) and the same step down to the next float below.
 */
#ifndef PGVQ_PQ_BOUNDS_H
#define PGVQ_PQ_BOUNDS_H

#include <cstddef>
#include <cstdint>

#include "cpp_only.h"

namespace pgvq {

/* One call's constants (pq_bounds.cpp, pgvq_pq_lower_bounds), in double. */
struct PqBoundConsts {
    int metric;       /* PGVQ_METRIC_IP, _COSINE; anything else is L2 */
    double margin;    /* the list's ADC margin */
    double keep;      /* 1 - rho: the operator's float sums (L2, cosine) */
    double tiny;      /* their absolute error below FLT_MIN */
    double cos_slack; /* cosine: 4 rho + 1e-6 */
    double qn;        /* IP: |q| */
    double reach;     /* IP: |c| + R */
    double rho_qn;    /* IP: rho |q| */
};

/*
 * lb[i] from adc[i] and e = dec[errs[i]] (dec: 65536 decoded error codes):
 *   L2, cosine:  a = adc - margin;  s = (a > 0 ? sqrt(a) : 0) - e;
 *                b = (s > 0 and adc finite) ? s * s * keep - tiny : 0;
 *                cosine: b = b * 0.5 - cos_slack
 *   IP:          b = adc - margin - qn e - rho_qn (reach + e) - tiny,
 *                -inf when b is NaN or adc infinite
 * then the largest float not above b.  Never fails.
 */
using PqBoundsFn = void (*)(const PqBoundConsts &k, size_t n, const float *adc,
                            const uint16_t *errs, const float *dec, float *lb);
void pq_bounds_scalar(const PqBoundConsts &k, size_t n, const float *adc, const uint16_t *errs,
                      const float *dec, float *lb);
void pq_bounds_avx2(const PqBoundConsts &k, size_t n, const float *adc, const uint16_t *errs,
                    const float *dec, float *lb);
void pq_bounds_avx512(const PqBoundConsts &k, size_t n, const float *adc, const uint16_t *errs,
                      const float *dec, float *lb);
/*
 * Calibrated bounds (pgvq_pq_lower_bounds_eps, 0 <= eps < 1):
 *   L2, cosine:  inner = a - (1 - eps eps) e e;
 *                s = (inner > 0 ? sqrt(inner) : 0) - eps e in place of the
 *                s above, b = 0 also where a is NaN;
 *   IP:          (eps qn) e in place of qn e;
 * otherwise as above.  The scalar kernel, one entry at a time, is the
 * reference; the SIMD ones give its bits (the same rules).
 */
using PqBoundsEpsFn = void (*)(const PqBoundConsts &k, double eps, size_t n, const float *adc,
                               const uint16_t *errs, const float *dec, float *lb);
void pq_bounds_eps_scalar(const PqBoundConsts &k, double eps, size_t n, const float *adc,
                          const uint16_t *errs, const float *dec, float *lb);
void pq_bounds_eps_avx2(const PqBoundConsts &k, double eps, size_t n, const float *adc,
                        const uint16_t *errs, const float *dec, float *lb);
void pq_bounds_eps_avx512(const PqBoundConsts &k, double eps, size_t n, const float *adc,
                          const uint16_t *errs, const float *dec, float *lb);

} // namespace pgvq

#endif
