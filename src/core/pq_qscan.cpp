/*
 * pq_qscan.cpp: the integer PQ code scan (pgvq_pq_qtable_build,
 * pgvq_pq_qscan_codes): table build and quantization, the scalar reference of
 * the integer sums, and the choice of the AVX-512 VBMI kernel.
 *
 * Why: at ksub = 256 the float scan is one scalar table load and add per
 * code (pq_scan_scalar.cpp), 0.35-0.9 ns each.  Quantized to bytes, a
 * column's table is 256 bytes, four ZMM registers, and vpermi2b looks up 64
 * rows at once (pq_qscan_vbmi.cpp).
 *
 * The values must stay lower bounds of the float sums the scan replaces
 * (pgvq_pq_lower_bounds turns them into bounds of the operator's value), so
 * every rounding goes down:
 *  - one step s for all columns, the float at or above R / (2^bits - 1), R the
 *    widest column range (hi_j - lo_j);
 *  - q = trunc(fl(fl(t - lo_j) * k)), k a float at most (1/s)(1 - 2^-22): the
 *    two float roundings are each at most 2^-24 relative, so the product is
 *    below (t - lo_j) / s and q s <= t - lo_j in real arithmetic; also q <= top,
 *    and q s is less than s (1 + top 2^-22) below t - lo_j;
 *  - the sum bias + sum_j lo_j + s Q is taken in double, less a slack of
 *    (m + 8) 2^-52 (|bias| + sum_j |lo_j| + |hi_j|) that covers the double
 *    roundings (each at most 2^-53 of those magnitudes), then rounded down to
 *    float.
 * So a value is at most 1.02 m s (plus that slack) below the real sum.
 * ivfpq then adds the entry's term T in float (pq_bounds.cpp): that add's
 * rounding grows with |v + T|, at most S^2 (1 + 4 m / 255) when every column
 * range is within 4 |q_j| R_j, inside the 8 m u S^2 that pgvq_pq_adc_margin
 * keeps for the code sum, of which the float sum needs 2 m u S^2.
 */
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "cpu_features.h"
#include "distances.h"
#include "pgvq_core.h"
#include "pq_qscan.h"

#include "cpp_only.h"

namespace pgvq {

namespace {

/* Rows converted per call of the sum kernel (a list page holds fewer). */
constexpr size_t kQscanChunk = 256;
/* The step's range: a normal float whose reciprocal and top multiples stay finite. */
constexpr float kMinStep = 1e-30f;
constexpr float kMaxStep = 1e30f;

bool vbmi_cpu() noexcept {
    static const bool ok = [] {
        const CpuFeatures f = detect_cpu_features();
        return f.osxsave && f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl && f.avx512vbmi &&
               (f.xcr0 & XCR0_ZMM) == XCR0_ZMM;
    }();
    return ok;
}

/* A float not above x; the step down without a libm call (once per row). */
inline float round_down(double x) noexcept {
    float f = (float)x;
    if (!((double)f > x))
        return f;
    if (f == 0.0f)
        return -std::numeric_limits<float>::denorm_min();
    if (std::isinf(f))
        return f > 0 ? std::numeric_limits<float>::max() : f;
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    u = f > 0 ? u - 1 : u + 1;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

} // namespace

/* Column minima and maxima of table; false on a non-finite entry. */
bool pq_qtable_prepare_scalar(size_t m, const float *table, float *lo, float *hi) noexcept {
    bool finite = true;
    for (size_t j = 0; j < m; j++) {
        const size_t o = j * kQscanKsub;
        float mn = std::numeric_limits<float>::infinity(), mx = -mn;
        for (size_t k = 0; k < kQscanKsub; k++) {
            const float t = table[o + k];
            finite = finite && std::isfinite(t);
            mn = std::min(mn, t);
            mx = std::max(mx, t);
        }
        lo[j] = mn;
        hi[j] = mx;
    }
    return finite;
}

bool pq_qscan_vbmi_usable() noexcept {
    return vbmi_cpu() && kernels().level == SIMD_AVX512;
}

void pq_qscan_sums_scalar(size_t m, int bits, const uint8_t *qt, size_t n, const uint8_t *codes,
                          uint32_t *sums) noexcept {
    const size_t col = kQscanKsub * (size_t)(bits / 8);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *c = codes + i * m;
        uint32_t s = 0;
        for (size_t j = 0; j < m; j++) {
            const uint8_t *t = qt + j * col;
            s += t[c[j]];
            if (bits == 16)
                s += (uint32_t)t[kQscanKsub + c[j]] << 8;
        }
        sums[i] = s;
    }
}

void pq_qtable_quantize_scalar(size_t m, int bits, const float *table, const float *lo, float k,
                               uint8_t *qt) noexcept {
    const float top = bits == 16 ? 65535.0f : 255.0f;
    const size_t col = kQscanKsub * (size_t)(bits / 8);
    for (size_t j = 0; j < m; j++) {
        for (size_t c = 0; c < kQscanKsub; c++) {
            const float y = std::min((table[j * kQscanKsub + c] - lo[j]) * k, top);
            const uint32_t q = (uint32_t)y;
            qt[j * col + c] = (uint8_t)q;
            if (bits == 16)
                qt[j * col + kQscanKsub + c] = (uint8_t)(q >> 8);
        }
    }
}

} // namespace pgvq

extern "C" {

size_t pgvq_pq_qtable_bytes(size_t m, int bits) {
    return m * pgvq::kQscanKsub * (size_t)(bits == 16 ? 2 : 1);
}

int pgvq_pq_qscan_fast(void) { return pgvq::pq_qscan_vbmi_usable() ? 1 : 0; }

int pgvq_pq_qtable_build(size_t m, int bits, const float *table, uint8_t *qt,
                         pgvq_pq_qscale *scale) {
    try {
        std::vector<float> lo(m), hi(m); /* the only thing that can throw */
        const bool fast = pgvq::pq_qscan_vbmi_usable();
        const bool finite =
            fast ? pgvq::pq_qtable_prepare_vbmi(m, table, lo.data(), hi.data())
                 : pgvq::pq_qtable_prepare_scalar(m, table, lo.data(), hi.data());
        if (!finite || m == 0 || m > pgvq::kQscanMaxM || (bits != 8 && bits != 16))
            return 0;
        double range = 0.0, lower = 0.0, mag = 0.0;
        for (size_t j = 0; j < m; j++) {
            range = std::max(range, (double)hi[j] - (double)lo[j]);
            lower += lo[j];
            mag += std::fabs((double)lo[j]) + std::fabs((double)hi[j]);
        }
        const double top = bits == 16 ? 65535.0 : 255.0;
        float step = 1.0f, k = 0.0f; /* a zero range: every q is 0 */
        if (range > 0.0) {
            const double sd = range / top;
            step = (float)sd;
            if ((double)step < sd)
                step = std::nextafter(step, std::numeric_limits<float>::infinity());
            if (!(step >= pgvq::kMinStep && step <= pgvq::kMaxStep))
                return 0;
            k = pgvq::round_down(1.0 / (double)step * (1.0 - std::ldexp(1.0, -22)));
        }
        if (fast)
            pgvq::pq_qtable_quantize_vbmi(m, bits, table, lo.data(), k, qt);
        else
            pgvq::pq_qtable_quantize_scalar(m, bits, table, lo.data(), k, qt);
        scale->bits = bits;
        scale->step = step;
        scale->lower_sum = lower;
        scale->magnitude = mag;
        return 1;
    } catch (...) {
        return 0; /* no memory for the column ranges: the float scan */
    }
}

void pgvq_pq_qscan_codes(size_t m, const uint8_t *qt, const pgvq_pq_qscale *scale, float bias,
                         size_t n, const uint8_t *codes, float *out) {
    const double slack =
        ((double)m + 8.0) * std::ldexp(1.0, -52) * (std::fabs((double)bias) + scale->magnitude);
    const double base = ((double)bias + scale->lower_sum) - slack;
    const bool fast = pgvq::pq_qscan_vbmi_usable();
    uint32_t sums[pgvq::kQscanChunk];
    for (size_t i0 = 0; i0 < n; i0 += pgvq::kQscanChunk) {
        const size_t c = std::min(n - i0, pgvq::kQscanChunk);
        if (fast)
            pgvq::pq_qscan_sums_vbmi(m, scale->bits, qt, c, codes + i0 * m, sums);
        else
            pgvq::pq_qscan_sums_scalar(m, scale->bits, qt, c, codes + i0 * m, sums);
        for (size_t i = 0; i < c; i++)
            out[i0 + i] = pgvq::round_down(base + scale->step * (double)sums[i]);
    }
}

} // extern "C"
