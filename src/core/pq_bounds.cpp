/*
 * pq_bounds.cpp: error bounds of IVF-PQ codes and the lower bounds they give.
 *
 * Each indexed row x is stored as a list (centroid c) and a PQ code of its
 * residual; its reconstruction is x^ = c + r^.  The error e = ||x - x^|| is
 * stored with the code, rounded up to a 16-bit log-scale code.  The scan's ADC
 * value a is ||q - x^||^2 (L2, cosine on normalised vectors) or -<q, x^> (IP)
 * up to float rounding, so
 *   L2:      ||q - x|| >= ||q - x^|| - e
 *   IP:      -<q, x>  >= -<q, x^> - ||q|| e
 *   cosine:  1 - cos(q, x) = ||q~ - x~||^2 / 2 for unit q~, x~
 * and the bounds below subtract a margin for every float rounding on the way:
 * the ADC sum (a margin per list, pgvq_pq_adc_margin) and the operator's own
 * float sums, so that the SQL operator's value is never below the bound.
 *
 * The ADC evaluation (on-disk version 4, L2 and cosine).  With
 *   ||q - x^||^2 = ||q - c||^2 + T - 2 <q, r^>,   T = ||r^||^2 + 2 <c, r^>,
 * every entry stores T (pgvq_pq_entry_terms: summed in double from the
 * centroid and the codebooks, rounded to the nearest float), and a scan sums
 *   a = fl( fl(b + sum_j 2 t[j][code_j]) + T~ ),
 * t[j][k] = fl(-<q_j, cb_j_k>) one table for every list (pgvq_pq_ip_table_t),
 * 2 t exact, b = fl(|c|^2 - 2 <q, c> + |q|^2) the list's bias.  With u = 2^-24,
 * g(n) = n u / (1 - n u), S = |q| + |c| + R (R >= |r^|, Cauchy-Schwarz for
 * sum_j |q_j| |cb_j|):
 *   table entries, dsub products and sums:   2 g(dsub) |q| R    <= g(dsub) S^2
 *   the bias, three d-term float sums:       g(d + 2) (|q| + |c|)^2
 *   the (m + 1)-term code sum (any order):   g(m + 1) (|b| + 2 |q| R) <= 2 g(m + 1) S^2
 *   T~ (double sum, one float rounding):     (u + 2^-50 d) (R^2 + 2 |c| R)
 *     and up to 2 u (R^2 + 2 |c| R) more that pgvq_pq_check_terms lets pass
 *   the final add:                           u |a| <= u (1 + 1e-6) S^2
 * in all below (d + dsub + 2 m + 10) u S^2 to first order, within
 * pgvq_pq_adc_margin's (4 d + 8 m + 64) u S^2 (dsub <= d): the margin is that
 * of the per-list tables of versions 2 and 3, whose list terms were float
 * tables.  Inner product does not use T: a = fl(-<q, c> + sum_j t[j][code_j]),
 * below (d + dsub + m + 2) u S^2 the same way.
 */
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "distances.h"
#include "errors.h"
#include "parallel.h"
#include "pgvq_core.h"
#include "pq_bounds.h"

#include "cpp_only.h"

namespace {

constexpr int kErrSteps = 256;     /* codes per doubling: 2^(1/256) = 1.0027 */
constexpr int kErrZero = 32768;    /* code of 2^0 */
constexpr uint16_t kErrInf = 65535; /* unbounded */
constexpr double kUnit = 1.0 / 16777216.0; /* 2^-24, float's unit roundoff */
/* 2^-149, float's spacing below FLT_MIN: a rounding there is off by up to half
 * of it whatever the value's size (the relative bounds above do not hold) */
constexpr double kSubnormalUlp = 1.4012984643248171e-45;

/* decoded[c] >= 2^((c - kErrZero) / 256), as a float rounded up; [0] = 0, [65535] = inf. */
struct ErrTable {
    float v[65536];
    ErrTable() noexcept {
        v[0] = 0.0f;
        for (int c = 1; c < kErrInf; c++) {
            double x = std::exp2(double(c - kErrZero) / kErrSteps);
            float f = (float)x;
            if ((double)f < x)
                f = std::nextafter(f, std::numeric_limits<float>::infinity());
            v[c] = f;
        }
        v[kErrInf] = std::numeric_limits<float>::infinity();
    }
};

const ErrTable &err_table() noexcept {
    static const ErrTable table;
    return table;
}

/* One call's constants, from the list's parameters. */
pgvq::PqBoundConsts bound_consts(const pgvq_pq_bound_params *p) noexcept {
    pgvq::PqBoundConsts k;
    /* the operator's float sums over d terms: relative (L2) or absolute slack */
    const double rho = (2.0 * (double)p->d + 16.0) * kUnit;
    k.metric = p->metric;
    k.margin = p->adc_margin;
    k.keep = 1.0 - rho;
    /* and their absolute error below FLT_MIN, one subnormal step a rounding */
    k.tiny = (2.0 * (double)p->d + 16.0) * kSubnormalUlp;
    k.cos_slack = 4.0 * rho + 1e-6;
    k.qn = p->qnorm;
    k.reach = p->cnorm + (double)p->rmax; /* |x^| <= |c| + R */
    k.rho_qn = rho * k.qn;
    return k;
}

/* The kernels of the current SIMD level (distances.h's dispatch). */
struct BoundKernels {
    pgvq::PqBoundsFn worst;
    pgvq::PqBoundsEpsFn eps;
};

BoundKernels bound_kernels() noexcept {
    switch (pgvq::kernels().level) {
    case pgvq::SIMD_AVX512:
        return {pgvq::pq_bounds_avx512, pgvq::pq_bounds_eps_avx512};
    case pgvq::SIMD_AVX2:
        return {pgvq::pq_bounds_avx2, pgvq::pq_bounds_eps_avx2};
    default:
        return {pgvq::pq_bounds_scalar, pgvq::pq_bounds_eps_scalar};
    }
}

} // namespace

extern "C" {

uint16_t pgvq_err_encode(double e) {
    if (!(e > 0.0))
        return e == 0.0 ? 0 : kErrInf; /* NaN or negative: nothing is known */
    if (!std::isfinite(e))
        return kErrInf;
    const ErrTable &t = err_table();
    double c = std::ceil(std::log2(e) * kErrSteps) + kErrZero;
    if (c < 1)
        c = 1;
    if (c >= kErrInf)
        return kErrInf;
    int code = (int)c;
    /* log2 may round either way: step to the first code that covers e */
    while (code > 1 && (double)t.v[code - 1] >= e)
        code--;
    while (code < kErrInf && (double)t.v[code] < e)
        code++;
    return (uint16_t)code;
}

float pgvq_err_decode(uint16_t code) { return err_table().v[code]; }

int pgvq_pq_error_codes(size_t n, size_t d, const float *x, const float *centroids,
                        const int64_t *labels, size_t m, int nbits, const float *codebooks,
                        const uint8_t *codes, uint16_t *out, int nthreads,
                        pgvq_should_stop_fn should_stop, void *stop_arg, pgvq_status *st) {
    PGVQ_BRIDGE_TRY
    PGVQ_CHECK_ARG(d > 0 && m > 0 && d % m == 0 && nbits >= 1 && nbits <= 8,
                   "error codes: bad PQ shape (d %zu, m %zu, nbits %d)", d, m, nbits);
    PGVQ_CHECK_ARG(n == 0 || (x != nullptr && codebooks != nullptr && codes != nullptr &&
                              out != nullptr),
                   "error codes: null buffer");
    PGVQ_CHECK_ARG((centroids == nullptr) == (labels == nullptr),
                   "error codes: centroids and labels go together");
    const size_t ksub = size_t(1) << nbits, dsub = d / m;
    const size_t block = 1024;
    pgvq::StopChecker stop(should_stop, stop_arg);
    pgvq::parallel_for((n + block - 1) / block, nthreads, stop,
                       [&](size_t b, int, const pgvq::StopChecker &) {
                           const size_t end = std::min(n, (b + 1) * block);
                           for (size_t i = b * block; i < end; i++) {
                               const float *xi = x + i * d;
                               const float *ci =
                                   centroids ? centroids + (size_t)labels[i] * d : nullptr;
                               const uint8_t *code = codes + i * m;
                               double sum = 0.0;
                               for (size_t j = 0; j < m; j++) {
                                   const float *cb =
                                       codebooks + (j * ksub + (code[j] & (ksub - 1))) * dsub;
                                   for (size_t t = 0; t < dsub; t++) {
                                       const size_t k = j * dsub + t;
                                       double r = (double)xi[k] - (ci ? (double)ci[k] : 0.0);
                                       double diff = r - (double)cb[t];
                                       sum += diff * diff;
                                   }
                               }
                               /* double rounding over d terms: far below the 2^(1/256) step,
                                * and covered by this relative slack */
                               out[i] = pgvq_err_encode(std::sqrt(sum) * (1.0 + 1e-9));
                           }
                       });
    return pgvq::status_ok(st);
    PGVQ_BRIDGE_CATCH(st, "PQ error codes")
}

namespace {

/* T = |r^|^2 + 2 <c, r^> of one code, in double; *mag gets the sum of the
 * magnitudes of its terms (c NULL: a zero centroid). */
inline double code_term(size_t m, size_t ksub, size_t dsub, const float *codebooks,
                        const float *c, const uint8_t *code, double *mag) {
    double sum = 0.0, abs_sum = 0.0;
    for (size_t j = 0; j < m; j++) {
        const float *cb = codebooks + (j * ksub + (code[j] & (ksub - 1))) * dsub;
        for (size_t t = 0; t < dsub; t++) {
            const double b = cb[t], cc = c ? (double)c[j * dsub + t] : 0.0;
            sum += b * b + 2.0 * cc * b;
            abs_sum += b * b + 2.0 * std::fabs(cc * b);
        }
    }
    *mag = abs_sum;
    return sum;
}

} // namespace

void pgvq_pq_entry_terms(size_t n, size_t d, const float *centroids, const int64_t *labels,
                         size_t m, int nbits, const float *codebooks, const uint8_t *codes,
                         float *out) {
    if (n == 0 || d == 0 || m == 0 || d % m != 0 || nbits < 1 || nbits > 8)
        return;
    const size_t ksub = size_t(1) << nbits, dsub = d / m;
    for (size_t i = 0; i < n; i++) {
        const float *c = centroids == nullptr ? nullptr
                         : labels == nullptr  ? centroids
                                              : centroids + (size_t)labels[i] * d;
        double mag;
        out[i] = (float)code_term(m, ksub, dsub, codebooks, c, codes + i * m, &mag);
    }
}

size_t pgvq_pq_check_terms(size_t n, size_t d, const float *centroid, size_t m, int nbits,
                           const float *codebooks, const uint8_t *codes, const float *terms,
                           float *expected) {
    if (d == 0 || m == 0 || d % m != 0 || nbits < 1 || nbits > 8)
        return 0;
    const size_t ksub = size_t(1) << nbits, dsub = d / m;
    for (size_t i = 0; i < n; i++) {
        double mag;
        const double t = code_term(m, ksub, dsub, codebooks, centroid, codes + i * m, &mag);
        /* one float rounding of the stored value (u |T| <= u mag, or 2^-150
         * for a subnormal T), as much again for a different summation order,
         * and the double sums */
        const double tol = 2.0 * kUnit * mag * (1.0 + 1e-9) + kSubnormalUlp;
        if (!(std::fabs((double)terms[i] - t) <= tol)) {
            *expected = (float)t;
            return i;
        }
    }
    return n;
}

float pgvq_pq_max_reconstruction_norm(size_t d, size_t m, int nbits, const float *codebooks) {
    if (d == 0 || m == 0 || d % m != 0 || nbits < 1 || nbits > 8)
        return std::numeric_limits<float>::infinity();
    const size_t ksub = size_t(1) << nbits, dsub = d / m;
    double total = 0.0;
    for (size_t j = 0; j < m; j++) {
        double best = 0.0;
        for (size_t k = 0; k < ksub; k++) {
            const float *cb = codebooks + (j * ksub + k) * dsub;
            double s = 0.0;
            for (size_t t = 0; t < dsub; t++)
                s += (double)cb[t] * (double)cb[t];
            best = std::max(best, s);
        }
        total += best;
    }
    double r = std::sqrt(total) * (1.0 + 1e-9);
    float f = (float)r;
    if ((double)f < r)
        f = std::nextafter(f, std::numeric_limits<float>::infinity());
    return f;
}

/*
 * Every float sum in the ADC value (table entries over dsub terms, the bias
 * over d terms, the m-term code sum, the list terms) has a rounding error of
 * at most (terms) * u * (sum of the magnitudes), and the magnitudes add up to
 * at most (|q| + |c| + R)^2, R bounding every |r^|.  The factor is doubled
 * again for the products that feed the sums.
 */
float pgvq_pq_adc_margin(size_t d, size_t m, float qnorm, float cnorm, float rmax) {
    double scale = (double)qnorm + (double)cnorm + (double)rmax;
    const double ops = 4.0 * (double)d + 8.0 * (double)m + 64.0;
    double gamma = ops * kUnit;
    /* each of those roundings is also off by up to 2^-150 absolute where it
     * lands below FLT_MIN (tiny vectors): one subnormal step per operation */
    double margin = gamma * scale * scale + ops * kSubnormalUlp;
    float f = (float)margin;
    if ((double)f < margin)
        f = std::nextafter(f, std::numeric_limits<float>::infinity());
    return std::isfinite(f) ? f : std::numeric_limits<float>::infinity();
}

void pgvq_pq_lower_bounds(const pgvq_pq_bound_params *p, size_t n, const float *adc,
                          const uint16_t *errs, float *lb) {
    bound_kernels().worst(bound_consts(p), n, adc, errs, err_table().v, lb);
}

/*
 * Calibrated bounds (pgvq_core.h).  With x = x^ + r, |r| <= e:
 *   |q - x|^2 = a - |r|^2 - 2 <q - x, r>,   a = |q - x^|^2,
 * and the worst case <q - x, r> = |q - x| |r| gives the bound above.  With
 * <q - x, r> <= eps d e (d = |q - x|): d^2 + 2 eps e d >= a - e^2, so
 * d >= sqrt(a - (1 - eps^2) e^2) - eps e (at eps = 1, sqrt(a) - e).  The scan
 * measures eps on the rows it re-ranks (pgvq_pq_bound_share) before it uses
 * one below 1.  pq_bounds_eps_scalar does the scalar kernel's arithmetic with
 * the same constants and margins, and the SIMD eps kernels give its bits; at
 * eps >= 1 the worst-case kernels themselves run.
 */
void pgvq_pq_lower_bounds_eps(const pgvq_pq_bound_params *p, double eps, size_t n,
                              const float *adc, const uint16_t *errs, float *lb) {
    if (!(eps < 1.0)) {
        pgvq_pq_lower_bounds(p, n, adc, errs, lb);
        return;
    }
    bound_kernels().eps(bound_consts(p), eps > 0.0 ? eps : 0.0, n, adc, errs, err_table().v,
                        lb);
}

double pgvq_pq_bound_share(int metric, float qnorm, float adc, uint16_t err, double key) {
    const double e = err_table().v[err];
    const double inf = std::numeric_limits<double>::infinity();
    if (!(e > 0.0) || !std::isfinite(e) || !std::isfinite(adc) || std::isnan(key))
        return -inf;
    /* never NaN: a scan keeps the largest share with !(t <= max) */
    if (metric == PGVQ_METRIC_IP) {
        /* |q| past float range: every bound is -inf, whatever eps */
        if (!(qnorm > 0.0f) || !std::isfinite(qnorm))
            return -inf;
        const double t = ((double)adc - key) / ((double)qnorm * e);
        return std::isnan(t) ? inf : t;
    }
    /* squared distance: L2's value, or 2 (1 - cos) between unit vectors */
    const double d2 = metric == PGVQ_METRIC_COSINE ? 2.0 * key : key;
    /* the operator's float sum overflowed: every finite bound is below it */
    if (d2 == inf)
        return -inf;
    const double num = (double)adc - e * e - d2;
    if (!(d2 > 0.0))
        return num > 0.0 ? inf : -inf;
    const double t = num / (2.0 * std::sqrt(d2) * e);
    return std::isnan(t) ? inf : t;
}

} // extern "C"
