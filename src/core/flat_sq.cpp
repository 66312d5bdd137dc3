/*
 * flat_sq.cpp: the flat index's compressed first pass: 8-bit scalar
 * quantization of each row with its own range, and lower bounds of the SQL
 * operators' values from the codes.
 *
 * A row x (d floats) is stored as lo = min x_j, step = (max x_j - lo) / 255
 * (rounded up) and codes c_j = round((x_j - lo) / step), so that
 * y_j = lo + step c_j approximates x_j.  The scan computes in float, with any
 * summation order,
 *   S = sum (q_j - y_j)^2 (L2),  sum q_j y_j (IP, cosine),  sum |q_j - y_j| (L1)
 * and bounds the operator's value from S and the entry's err (|x - y| in the
 * metric's norm, y as any kernel rounds it) and norm (|x|_2):
 *   L2:     |q - x| >= |q - y| - err
 *   L1:     |q - x|_1 >= |q - y|_1 - err
 *   IP:     <q, x> <= <q, y> + |q| err
 *   cosine: <q, x> / (|q| |x|) <= (<q, y> + |q| err) / (|q| |x|)
 * with a margin for every float rounding on the way: a float sum of d terms
 * (the kernel's S, and the operator's own sum) is within
 * gamma = 2 (d + 8) u of the exact sum, relatively for the non-negative terms
 * of L2 and L1 and absolutely against sum |q_j x_j| <= |q| |x| for the dot
 * products (u = 2^-24; twice the textbook (d + 3) u / (1 - (d + 3) u), which
 * also covers the double arithmetic of the bounds themselves), plus an
 * absolute (4 d + 16) 2^-149 for subnormal results.  Where cancellation in
 * double could matter, operands get a relative 1e-14 of slack.
 */
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "distances.h"
#include "flat_sq.h"
#include "pgvq_core.h"

#include "cpp_only.h"

namespace pgvq {

SqSumsFn sq_sums_kernel() noexcept {
    switch (kernels().level) {
    case SIMD_AVX512:
        return sq_sums_avx512;
    case SIMD_AVX2:
        return sq_sums_avx2;
    default:
        return sq_sums_scalar;
    }
}

} // namespace pgvq

namespace {

static_assert(sizeof(pgvq_sq_header) == pgvq::kSqHeader, "header layout");

constexpr double kUnit = 1.0 / 16777216.0;  /* 2^-24 */
constexpr double kSlack = 1e-14;            /* relative, against double cancellation */
constexpr double kInf = std::numeric_limits<double>::infinity();
/* norms below this get no cosine bound (their float sums may underflow) */
constexpr double kTinyNorm = 1e-10;

double gamma_of(size_t d) noexcept { return 2.0 * ((double)d + 8.0) * kUnit; }
double subnormal_slack(size_t d) noexcept { return (4.0 * (double)d + 16.0) * std::ldexp(1.0, -149); }

/* The least float >= x. */
float round_up(double x) noexcept {
    float f = (float)x;
    if ((double)f < x)
        f = std::nextafter(f, std::numeric_limits<float>::infinity());
    return f;
}

/* |y_j - (lo + step c_j)| for y_j rounded by any kernel (FMA or not). */
double y_rounding(float lo, float step) noexcept {
    return 3.0 * kUnit * (std::fabs((double)lo) + 255.0 * std::fabs((double)step));
}

/* The err an entry needs for x and its codes (before rounding up to float). */
double needed_err(int metric, size_t d, const float *x, float lo, float step, const uint8_t *c) {
    double s2 = 0.0, s1 = 0.0;
    for (size_t j = 0; j < d; j++) {
        const double t = (double)x[j] - ((double)lo + (double)step * (double)c[j]);
        s2 += t * t;
        s1 += std::fabs(t);
    }
    const double rho = y_rounding(lo, step);
    const double e = metric == PGVQ_METRIC_L1 ? s1 + (double)d * rho
                                              : std::sqrt(s2) + std::sqrt((double)d) * rho;
    return e * (1.0 + 1e-9);
}

double norm_of(size_t d, const float *x) {
    double s = 0.0;
    for (size_t j = 0; j < d; j++)
        s += (double)x[j] * (double)x[j];
    return std::sqrt(s);
}

/* The stored norm's lower end: |x| >= this. */
double norm_lo(float stored) noexcept {
    return std::max(0.0, (double)stored * (1.0 - 4.0 * kUnit) - std::ldexp(1.0, -149));
}

void bounds_l2_l1(const pgvq_sq_query *qq, size_t n, const uint8_t *entries, size_t stride,
                  const float *sums, double *lb) {
    const double g = qq->gamma, tiny = subnormal_slack(qq->d);
    const bool l2 = qq->metric == PGVQ_METRIC_L2;
    for (size_t i = 0; i < n; i++) {
        pgvq_sq_header h;
        std::memcpy(&h, entries + i * stride, sizeof(h));
        const double s = sums[i];
        if (!std::isfinite(s) || !(h.err >= 0.0f)) {
            lb[i] = -kInf;
            continue;
        }
        /* |q - y| (L2) or |q - y|_1 from above, then less err */
        const double t = std::max(0.0, s - tiny) / (1.0 + g);
        const double r = (l2 ? std::sqrt(t) : t) * (1.0 - kSlack) - (double)h.err * (1.0 + kSlack);
        if (!(r > 0.0)) {
            lb[i] = -kInf;
            continue;
        }
        lb[i] = (1.0 - g) * (l2 ? r * r : r) - tiny;
    }
}

void bounds_ip_cosine(const pgvq_sq_query *qq, size_t n, const uint8_t *entries, size_t stride,
                      const float *sums, double *lb) {
    const double g = qq->gamma, tiny = subnormal_slack(qq->d), qn = qq->qnorm;
    const bool cosine = qq->metric == PGVQ_METRIC_COSINE;
    for (size_t i = 0; i < n; i++) {
        pgvq_sq_header h;
        std::memcpy(&h, entries + i * stride, sizeof(h));
        if (cosine && h.norm == 0.0f) {
            lb[i] = kInf; /* the zero row: 1 - cos is NaN, after every number */
            continue;
        }
        const double s = sums[i], e = h.err, xn = h.norm;
        if (!std::isfinite(s) || !(e >= 0.0) || !(xn >= 0.0)) {
            lb[i] = -kInf;
            continue;
        }
        /* the operator's float dot is at most <q,y> + |q| err plus the
         * rounding of both sums (|y| <= |x| + err) */
        const double m = qn * (e + g * (xn + e) + g * xn) + 2.0 * tiny;
        const double dot_hi = s + m + kSlack * (std::fabs(s) + m);
        if (!std::isfinite(dot_hi)) {
            lb[i] = -kInf;
            continue;
        }
        if (!cosine) {
            lb[i] = -dot_hi;
            continue;
        }
        if (qn < kTinyNorm || xn < kTinyNorm) {
            lb[i] = -kInf;
            continue;
        }
        /* the operator divides by sqrt(|q|^2 |x|^2) of float sums */
        const double den_lo = qn * (1.0 - 1e-11) * norm_lo(h.norm) * (1.0 - g); /* qn is rounded up */
        const double den_hi = qn * xn * (1.0 + g);
        double sim = dot_hi >= 0.0 ? dot_hi / den_lo : dot_hi / den_hi;
        sim += kSlack * std::fabs(sim);
        sim = std::min(1.0, std::max(-1.0, sim));
        lb[i] = (1.0 - sim) - kSlack;
    }
}

} // namespace

extern "C" {

void pgvq_sq_encode(int metric, size_t d, const float *x, void *entry) {
    uint8_t *out = static_cast<uint8_t *>(entry);
    uint8_t *c = out + pgvq::kSqHeader;
    std::memset(out, 0, PGVQ_SQ_STRIDE(d));
    pgvq_sq_header h{0.0f, 0.0f, 0.0f, 0.0f};
    if (d > 0) {
        float mn = x[0], mx = x[0];
        for (size_t j = 1; j < d; j++) {
            mn = std::min(mn, x[j]);
            mx = std::max(mx, x[j]);
        }
        const double range = (double)mx - (double)mn;
        h.lo = mn;
        h.step = range > 0.0 ? round_up(range / 255.0) : 0.0f;
        for (size_t j = 0; j < d; j++) {
            double code = h.step > 0.0f ? std::nearbyint(((double)x[j] - mn) / h.step) : 0.0;
            c[j] = (uint8_t)std::min(255.0, std::max(0.0, code));
        }
        const double e = needed_err(metric, d, x, h.lo, h.step, c);
        h.err = std::isfinite(e) ? round_up(e) : std::numeric_limits<float>::infinity();
        h.norm = round_up(norm_of(d, x) * (1.0 + 1e-12));
    }
    std::memcpy(out, &h, sizeof(h));
}

int pgvq_sq_header_insane(const pgvq_sq_header *h) {
    return !(std::isfinite(h->lo) && std::isfinite(h->step) && h->step >= 0.0f && h->err >= 0.0f &&
             h->norm >= 0.0f);
}

int pgvq_sq_check_entry(int metric, size_t d, const float *x, const void *entry) {
    const uint8_t *e = static_cast<const uint8_t *>(entry);
    pgvq_sq_header h;
    std::memcpy(&h, e, sizeof(h));
    if (pgvq_sq_header_insane(&h))
        return PGVQ_SQ_BAD_HEADER;
    if ((double)h.err < needed_err(metric, d, x, h.lo, h.step, e + pgvq::kSqHeader))
        return PGVQ_SQ_ERR_TOO_SMALL;
    const double xn = norm_of(d, x);
    const bool overflow = std::isinf(h.norm) && xn >= (double)std::numeric_limits<float>::max();
    if ((double)h.norm < xn || (norm_lo(h.norm) > xn && !overflow) || ((h.norm == 0.0f) != (xn == 0.0)))
        return PGVQ_SQ_BAD_NORM;
    return PGVQ_SQ_OK;
}

void pgvq_sq_prepare(int metric, size_t d, const float *q, pgvq_sq_query *out) {
    out->metric = metric;
    out->d = d;
    out->q = q;
    out->qnorm = norm_of(d, q) * (1.0 + 1e-12);
    out->gamma = gamma_of(d);
}

size_t pgvq_sq_lower_bounds(const pgvq_sq_query *q, size_t n, const void *entries, size_t stride,
                            double *lb) {
    const uint8_t *e = static_cast<const uint8_t *>(entries);
    const pgvq::SqSumsFn sums = pgvq::sq_sums_kernel();
    const bool known = q->metric == PGVQ_METRIC_L2 || q->metric == PGVQ_METRIC_IP ||
                       q->metric == PGVQ_METRIC_COSINE || q->metric == PGVQ_METRIC_L1;
    float buf[64];
    for (size_t i = 0; i < n; i += 64) {
        const size_t c = std::min<size_t>(64, n - i);
        if (!known) {
            std::fill(lb + i, lb + i + c, -kInf);
            continue;
        }
        sums(q->metric, q->q, q->d, c, e + i * stride, stride, buf);
        if (q->metric == PGVQ_METRIC_L2 || q->metric == PGVQ_METRIC_L1)
            bounds_l2_l1(q, c, e + i * stride, stride, buf, lb + i);
        else
            bounds_ip_cosine(q, c, e + i * stride, stride, buf, lb + i);
    }
    /* the headers are in cache now */
    size_t insane = 0;
    for (size_t i = 0; i < n; i++) {
        pgvq_sq_header h;
        std::memcpy(&h, e + i * stride, sizeof(h));
        if (pgvq_sq_header_insane(&h)) {
            lb[i] = -kInf;
            insane++;
        }
    }
    return insane;
}

} // extern "C"
