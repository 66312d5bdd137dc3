/*
 * test_bounds_simd.cpp: pgvq_pq_lower_bounds, and pgvq_pq_lower_bounds_eps
 * at eps from 0 to just below 1, give the same bits at every SIMD level the
 * CPU runs (AVX2, AVX-512 against the scalar kernels), on random inputs and on
 * extreme ones: NaN (with payloads), +-inf, +-0, subnormals,
 * FLT_MAX, error codes 0 and 65535 (unbounded), margins and norms that are
 * 0, subnormal, huge, infinite or NaN, every metric (and an unknown one, which
 * is L2), every tail length; and, calling the kernels directly, the cases
 * where a multiply fused with the next subtraction (FMA) would change the
 * float.  test_bounds.cpp proves the scalar kernel's
 * bounds are never above the operators' values; equal bits carry that over.
 */
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "pgvq_core.h"
#include "pq_bounds.h"

namespace {

/* Restores the SIMD level in force at its creation. */
class LevelGuard {
  public:
    LevelGuard() : saved_(pgvq_set_simd_level(2)) {}
    ~LevelGuard() { pgvq_set_simd_level(saved_); }
    int top() const { return saved_; }

  private:
    int saved_;
};

float from_bits(uint32_t b) {
    float f;
    std::memcpy(&f, &b, sizeof(f));
    return f;
}

uint32_t bits_of(float f) {
    uint32_t b;
    std::memcpy(&b, &f, sizeof(b));
    return b;
}

const float kInf = std::numeric_limits<float>::infinity();

/* Values on the edges of float: zeros, subnormals, the extremes, NaNs. */
const std::vector<float> &specials() {
    static const std::vector<float> v = {
        0.0f, -0.0f, from_bits(1), from_bits(0x80000001u), 1e-40f, -1e-40f,
        std::numeric_limits<float>::min(), -std::numeric_limits<float>::min(), 1e-30f, 1.0f,
        -1.0f, 0.5f, 3.0f, 1e30f, -1e30f, std::numeric_limits<float>::max(),
        -std::numeric_limits<float>::max(), kInf, -kInf, std::nanf(""), -std::nanf(""),
        from_bits(0x7fc12345u), from_bits(0xffa00001u)};
    return v;
}

/* A float from the specials, any bit pattern, or a value of any exponent. */
float draw(std::mt19937_64 &rng) {
    const uint64_t r = rng();
    switch (r % 4) {
    case 0:
        return specials()[(r >> 8) % specials().size()];
    case 1:
        return from_bits((uint32_t)(r >> 16));
    default: {
        const double mag = std::exp2((double)((r >> 8) % 300) - 150.0);
        return (float)((r >> 40) & 1 ? -mag : mag) * (1.0f + (float)((r >> 20) % 1000) / 1000.0f);
    }
    }
}

uint16_t draw_code(std::mt19937_64 &rng) {
    const uint64_t r = rng();
    const uint16_t edges[] = {0, 1, 2, 32768, 40000, 65534, 65535};
    return r % 3 == 0 ? edges[(r >> 8) % 7] : (uint16_t)(r >> 16);
}

/*
 * The eps of the calibrated bounds tested: kWorstCase stands for
 * pgvq_pq_lower_bounds; below 0 is taken as 0, NaN as the worst case; 4/sqrt(768)
 * is a scan's floor on 768 dimensions.
 */
const double kWorstCase = 1.0;
const double kEps[] = {kWorstCase, 0.0, -0.25, 0x1p-40, 0.1, 4.0 / std::sqrt(768.0), 0.5, 0.99,
                       0x1.fffffffffffffp-1, std::nan("")};

/* The bounds of n entries at a level, as bits: the worst case at kWorstCase,
 * else calibrated by eps. */
std::vector<uint32_t> bounds_at(int level, const pgvq_pq_bound_params &p, double eps,
                                const float *adc, const uint16_t *errs, size_t n) {
    EXPECT_EQ(pgvq_set_simd_level(level), level);
    /* a guard past the end: no kernel writes beyond n */
    std::vector<float> lb(n + 1, 42.0f);
    if (eps == kWorstCase)
        pgvq_pq_lower_bounds(&p, n, adc, errs, lb.data());
    else
        pgvq_pq_lower_bounds_eps(&p, eps, n, adc, errs, lb.data());
    EXPECT_EQ(lb[n], 42.0f) << "level " << level << " wrote past n " << n;
    std::vector<uint32_t> out(n);
    for (size_t i = 0; i < n; i++)
        out[i] = bits_of(lb[i]);
    return out;
}

void expect_levels_agree(const pgvq_pq_bound_params &p, double eps, const std::vector<float> &adc,
                         const std::vector<uint16_t> &errs, int top, const std::string &what) {
    const size_t n = adc.size();
    const std::vector<uint32_t> ref = bounds_at(0, p, eps, adc.data(), errs.data(), n);
    for (int level = 1; level <= top; level++) {
        const std::vector<uint32_t> got = bounds_at(level, p, eps, adc.data(), errs.data(), n);
        for (size_t i = 0; i < n; i++)
            ASSERT_EQ(got[i], ref[i])
                << what << " eps " << eps << " level " << level << " entry " << i << " of " << n
                << ": adc "
                << adc[i] << " err " << errs[i] << " -> " << from_bits(got[i]) << " vs scalar "
                << from_bits(ref[i]) << " (metric " << p.metric << " d " << p.d << " margin "
                << p.adc_margin << " qnorm " << p.qnorm << " cnorm " << p.cnorm << " rmax "
                << p.rmax << ")";
    }
}

TEST(LowerBoundsSimd, SameBitsAsScalar) {
    LevelGuard guard;
    if (guard.top() == 0)
        GTEST_SKIP() << "this CPU runs only the scalar kernel";
    std::mt19937_64 rng(2024);
    const int metrics[] = {PGVQ_METRIC_L2, PGVQ_METRIC_IP, PGVQ_METRIC_COSINE, 7};
    const int dims[] = {1, 8, 784, 16000};
    for (int round = 0; round < 400; round++) {
        pgvq_pq_bound_params p;
        p.metric = metrics[round % 4];
        p.d = dims[(round / 4) % 4];
        /* the norms and margins: plausible half the time, anything otherwise */
        const bool wild = round % 2 == 1;
        p.qnorm = wild ? std::fabs(draw(rng)) : 1.0f + (float)(rng() % 100);
        p.cnorm = wild ? std::fabs(draw(rng)) : (float)(rng() % 100);
        p.rmax = wild ? std::fabs(draw(rng)) : 1.0f + (float)(rng() % 10);
        p.adc_margin = wild ? draw(rng)
                            : pgvq_pq_adc_margin((size_t)p.d, 4, p.qnorm, p.cnorm, p.rmax);
        /* every tail length, and a long run */
        const size_t n = round % 40 == 39 ? 1000 : (size_t)(round % 40);
        std::vector<float> adc(n);
        std::vector<uint16_t> errs(n);
        for (size_t i = 0; i < n; i++) {
            errs[i] = draw_code(rng);
            /* a third of the time near the margin, a third near margin + e^2,
             * where the bounds cross zero */
            const double e = pgvq_err_decode(errs[i]), f = (double)(rng() % 200) / 100.0;
            const uint64_t pick = rng() % 3;
            adc[i] = pick == 0   ? draw(rng)
                     : pick == 1 ? (float)((double)p.adc_margin * f)
                                 : (float)((double)p.adc_margin + e * e * f);
        }
        /* the fixed eps, and one drawn in [0, 1) */
        std::vector<double> eps(std::begin(kEps), std::end(kEps));
        eps.push_back((double)(rng() >> 11) * 0x1p-53);
        for (double x : eps) {
            expect_levels_agree(p, x, adc, errs, guard.top(), "round " + std::to_string(round));
            if (HasFatalFailure())
                return;
        }
    }
}

/* Every special ADC value with every edge error code, in every lane. */
TEST(LowerBoundsSimd, ExtremesInEveryLane) {
    LevelGuard guard;
    if (guard.top() == 0)
        GTEST_SKIP() << "this CPU runs only the scalar kernel";
    const uint16_t codes[] = {0, 1, 32768, 65534, 65535};
    std::vector<float> adc;
    std::vector<uint16_t> errs;
    for (float a : specials())
        for (uint16_t c : codes) {
            adc.push_back(a);
            errs.push_back(c);
        }
    const float params[] = {0.0f, from_bits(1), 1e-30f, 1.0f, 1e30f,
                            std::numeric_limits<float>::max(), kInf, std::nanf("")};
    for (int metric : {PGVQ_METRIC_L2, PGVQ_METRIC_IP, PGVQ_METRIC_COSINE})
        for (float margin : params)
            for (float norm : params) {
                pgvq_pq_bound_params p{metric, 784, margin, norm, norm, norm};
                /* shifted by 0..7 entries: each value meets each lane */
                for (size_t shift = 0; shift < 8; shift++) {
                    std::vector<float> a(adc.begin() + shift, adc.end());
                    std::vector<uint16_t> e(errs.begin() + shift, errs.end());
                    for (double eps : kEps) {
                        expect_levels_agree(p, eps, a, e, guard.top(),
                                            "metric " + std::to_string(metric) + " shift " +
                                                std::to_string(shift));
                        if (HasFatalFailure())
                            return;
                    }
                }
            }
}

/*
 * The step below the nearest float at its edges, through the inner-product
 * bound b = adc - margin - |q| e - rho |q| (|c| + R + e) - tiny (d = 0:
 * rho = 16 u, tiny = 16 2^-149; |c| = R = 0): b just below 1 (1 steps down),
 * an exact float (no step), a b in (-2^-150, 0) whose nearest float is -0
 * (steps to -2^-149), a b above FLT_MAX (+inf steps to FLT_MAX), one below
 * -FLT_MAX (-inf, no step).  Each bound is the largest float not above b, at
 * every level.
 */
TEST(LowerBoundsSimd, RoundDownEdges) {
    LevelGuard guard;
    const double u = std::ldexp(1.0, -24), tiny = 16.0 * std::ldexp(1.0, -149);
    const float fmax = std::numeric_limits<float>::max();
    const float e1 = pgvq_err_decode(1); /* about 2^-128 */
    struct Case {
        float adc, margin, qnorm;
        uint16_t err;
    } cases[] = {
        {1.0f, std::ldexp(1.0f, -30), 0.0f, 0},        /* 1 - 2^-30: 1 - 2^-24 */
        {from_bits(1), 0.0f, 0.0f, 0},                 /* 2^-149 - tiny: exact */
        {from_bits(16), 0.0f, std::ldexp(1.0f, -30), 1}, /* -(2^-30 e1 (1 + 16 u)) */
        {fmax, -fmax, 0.0f, 0},                        /* 2 FLT_MAX: FLT_MAX */
        {-fmax, fmax, 0.0f, 0},                        /* -2 FLT_MAX: -inf */
    };
    const size_t n = sizeof(cases) / sizeof(cases[0]);
    for (size_t i = 0; i < n; i++) {
        const Case &c = cases[i];
        pgvq_pq_bound_params p{PGVQ_METRIC_IP, 0, c.margin, c.qnorm, 0.0f, 0.0f};
        const double qn = c.qnorm, e = c.err == 0 ? 0.0 : (double)e1;
        const double b = (double)c.adc - c.margin - qn * e - 16.0 * u * qn * (0.0 + e) - tiny;
        std::vector<uint32_t> ref;
        for (int level = 0; level <= guard.top(); level++) {
            const std::vector<uint32_t> got = bounds_at(level, p, kWorstCase, &c.adc, &c.err, 1);
            const float r = from_bits(got[0]);
            EXPECT_LE((double)r, b) << "case " << i << " level " << level;
            EXPECT_GT((double)std::nextafter(r, kInf), b) << "case " << i << " level " << level;
            if (level == 0)
                ref = got;
            else
                EXPECT_EQ(got, ref) << "case " << i << " level " << level;
        }
        if (i == 2) {
            EXPECT_EQ(ref[0], 0x80000001u) << "-0 steps to -2^-149";
        }
        if (i == 3) {
            EXPECT_EQ(from_bits(ref[0]), fmax);
        }
    }
}

/* The largest float not above b (the scalar kernel's last step). */
float largest_float_below(double b) {
    float f = (float)b;
    if ((double)f > b)
        f = std::nextafter(f, -kInf);
    return f;
}

/*
 * Each multiply of the bounds, fused with the subtraction after it, changes
 * the float in these cases (checked here); every kernel keeps them apart.
 *   L2:  s = 1 + 2^-30 (a = fl(s^2)), keep = 1 - 2^-30, tiny = 1 - 2^-24:
 *        fl(fl(s s) keep) - tiny = 2^-24 + 2^-30, a float; fused, 2^-59 less.
 *   IP:  e = dec[32769] (24 bits), |q| or rho |q| = 1 + 2^-40, margin -e:
 *        e - fl(1.000..1 e) is -e 2^-40 rounded to 2^-52; fused, exact.
 */
TEST(LowerBoundsSimd, NoFusedMultiplyAdd) {
    LevelGuard guard;
    const pgvq::PqBoundsFn kernels[] = {pgvq::pq_bounds_scalar, pgvq::pq_bounds_avx2,
                                        pgvq::pq_bounds_avx512};
    std::vector<float> dec(65536);
    for (size_t c = 0; c < dec.size(); c++)
        dec[c] = pgvq_err_decode((uint16_t)c);
    const double s = 1.0 + std::ldexp(1.0, -30), e = dec[32769];
    pgvq::PqBoundConsts l2{PGVQ_METRIC_L2, -(s * s), 1.0 - std::ldexp(1.0, -30),
                           1.0 - std::ldexp(1.0, -24), 0.0, 0.0, 0.0, 0.0};
    pgvq::PqBoundConsts ipq{PGVQ_METRIC_IP, -e, 0.0, 0.0, 0.0, 1.0 + std::ldexp(1.0, -40), 0.0, 0.0};
    pgvq::PqBoundConsts iprho = ipq;
    iprho.qn = 0.0;
    iprho.rho_qn = 1.0 + std::ldexp(1.0, -40);
    struct Case {
        pgvq::PqBoundConsts k;
        uint16_t err;
        double apart, fused;
    } cases[] = {
        {l2, 0, s * s * l2.keep - l2.tiny, std::fma(s * s, l2.keep, -l2.tiny)},
        {ipq, 32769, e - ipq.qn * e, std::fma(-ipq.qn, e, e)},
        {iprho, 32769, e - iprho.rho_qn * e, std::fma(-iprho.rho_qn, e, e)},
    };
    ASSERT_EQ(std::sqrt(s * s), s);
    for (const Case &c : cases) {
        const float want = largest_float_below(c.apart);
        ASSERT_NE(want, largest_float_below(c.fused)) << "the case must tell them apart";
        const float adc = 0.0f;
        for (int level = 0; level <= guard.top(); level++) {
            float lb = 0;
            kernels[level](c.k, 1, &adc, &c.err, dec.data(), &lb);
            EXPECT_EQ(bits_of(lb), bits_of(want)) << "metric " << c.k.metric << " level " << level;
        }
    }
}

/*
 * The calibrated L2 bound's s = sqrt(a - (1 - eps eps) e e) - eps e as
 * pq_bounds_eps_scalar computes it (fuse < 0), or with one step fused into a
 * single rounding: 0 the 1 - eps eps, 1 the a - (c2 e) e, 2 the root - eps e.
 */
double eps_root(double a, double e, double eps, int fuse) {
    const double c2 = fuse == 0 ? std::fma(-eps, eps, 1.0) : 1.0 - eps * eps;
    const double ce = c2 * e;
    const double inner = fuse == 1 ? std::fma(-ce, e, a) : a - ce * e;
    const double root = inner > 0.0 ? std::sqrt(inner) : 0.0;
    return fuse == 2 ? std::fma(-eps, e, root) : root - eps * e;
}

/* Each level's calibrated kernel on one entry gives the bits of want. */
void expect_eps_kernels(const pgvq::PqBoundConsts &k, double eps, float adc, uint16_t err,
                        const std::vector<float> &dec, float want, int top,
                        const std::string &what) {
    const pgvq::PqBoundsEpsFn kernels[] = {pgvq::pq_bounds_eps_scalar, pgvq::pq_bounds_eps_avx2,
                                           pgvq::pq_bounds_eps_avx512};
    for (int level = 0; level <= top; level++) {
        float lb = 42.0f;
        kernels[level](k, eps, 1, &adc, &err, dec.data(), &lb);
        EXPECT_EQ(bits_of(lb), bits_of(want))
            << what << " level " << level << ": eps " << eps << " adc " << adc << " err " << err
            << " -> " << lb << ", want " << want;
    }
}

/*
 * The calibrated kernels' multiplies, each fused with the subtraction after
 * it (1 - eps eps, a - (c2 e) e, sqrt(inner) - eps e; IP's b - (eps qn) e),
 * change the float in the cases found here (entries and eps drawn until three
 * do for each); every kernel keeps them apart.
 *   L2:  a just above e^2 (s small against sqrt(inner) and eps e, so a change
 *        in its last bits survives), keep 1, tiny = fl(s s): the bound is 0,
 *        fused a float near 2^-52 s^2 of either sign.
 *   IP:  margin -e, eps qn = 1 + 2^-40 or so: e - fl(fl(eps qn) e), a float
 *        near -2^-40 e that the fused rounding moves (as NoFusedMultiplyAdd).
 */
TEST(LowerBoundsSimd, NoFusedMultiplyAddEps) {
    LevelGuard guard;
    std::vector<float> dec(65536);
    for (size_t c = 0; c < dec.size(); c++)
        dec[c] = pgvq_err_decode((uint16_t)c);
    std::mt19937_64 rng(77);
    for (int fuse = 0; fuse < 4; fuse++) {
        int found = 0;
        for (int tries = 0; tries < 100000 && found < 3; tries++) {
            const uint16_t err = (uint16_t)(32768 - 2048 + rng() % 4096);
            const double e = dec[err], eps = 0.5 + (double)(rng() >> 11) * 0x1p-54;
            pgvq::PqBoundConsts k{PGVQ_METRIC_L2, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0};
            float adc;
            double apart, fused;
            if (fuse < 3) {
                adc = (float)(e * e * (1.0 + std::ldexp((double)(rng() % 4096 + 1), -24)));
                const double sa = eps_root(adc, e, eps, -1), sf = eps_root(adc, e, eps, fuse);
                if (!(sa > 0.0) || !(sf > 0.0))
                    continue;
                k.tiny = sa * sa;
                apart = sa * sa * k.keep - k.tiny;
                fused = sf * sf * k.keep - k.tiny;
            } else {
                /* IP: fl(eps qn) near 1 + 2^-40 */
                k.metric = PGVQ_METRIC_IP;
                k.margin = -e;
                k.qn = (1.0 + std::ldexp(1.0, -40)) / eps;
                adc = 0.0f;
                const double qe = eps * k.qn;
                apart = (double)adc - k.margin - qe * e - k.rho_qn * (k.reach + e) - k.tiny;
                const double rest = k.rho_qn * (k.reach + e);
                fused = std::fma(-qe, e, (double)adc - k.margin) - rest - k.tiny;
            }
            const float want = largest_float_below(apart);
            if (want == largest_float_below(fused))
                continue;
            found++;
            expect_eps_kernels(k, eps, adc, err, dec, want, guard.top(),
                               "fused step " + std::to_string(fuse));
        }
        ASSERT_EQ(found, 3) << "no entry tells fused step " << fuse << " apart";
    }
}

} // namespace
