/*
 * pq_bounds_avx512.cpp: the kernels of pgvq_pq_lower_bounds and
 * pgvq_pq_lower_bounds_eps with AVX-512 F/DQ/BW/VL (see pq_bounds.h): eight
 * entries per step in double lanes, the last n % 8 through masked loads and
 * stores.  The scalar kernels' operations lane by lane, so their bits.
 */
#define PGVQ_ISA_TU
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "distances.h"
#include "pq_bounds.h"

#include "cpp_only.h"

namespace pgvq {
namespace {

/* Conversions (zero-masking forms: GCC 12 warns about the plain ones). */
inline __m512d to_pd(__m256 v) { return _mm512_maskz_cvtps_pd((__mmask8)0xFF, v); }
inline __m256 to_ps(__m512d v) { return _mm512_maskz_cvtpd_ps((__mmask8)0xFF, v); }

using D = __m512d;
inline D dset1(double x) { return _mm512_set1_pd(x); }
inline D dsub(D a, D b) { return _mm512_sub_pd(a, b); }
inline D dmul(D a, D b) { return _mm512_mul_pd(a, b); }
inline D dadd(D a, D b) { return _mm512_add_pd(a, b); }
inline D dsqrt_pos(D a) {
    return _mm512_maskz_sqrt_pd(_mm512_cmp_pd_mask(a, _mm512_setzero_pd(), _CMP_GT_OQ), a);
}
#include "pq_bounds.inc"

/* Lanes holding +inf or -inf. */
inline __mmask8 is_inf(__m512d x) { return _mm512_fpclass_pd_mask(x, 0x08 | 0x10); }

/*
 * The largest float not above each lane of b: the nearest float, and where
 * that is above b the next one down (nextafter towards -inf: one step of the
 * bits down for a positive float or +inf, up for a negative one or -0).
 */
inline __m256 round_down(__m512d b) {
    const __m256 f = to_ps(b);
    const __mmask8 above = _mm512_cmp_pd_mask(to_pd(f), b, _CMP_GT_OQ);
    const __m256i bits = _mm256_castps_si256(f);
    const __mmask8 neg = _mm256_movepi32_mask(bits);
    const __m256i one = _mm256_set1_epi32(1);
    __m256i r = _mm256_mask_add_epi32(bits, above & neg, bits, one);
    r = _mm256_mask_sub_epi32(r, above & (__mmask8)~neg, r, one);
    return _mm256_castsi256_ps(r);
}

/* The errors dec[errs[j]] of eight entries, one load each: a gather
 * (vgatherdps) made these kernels 2-4 times slower on Zen 4. */
inline __m256 errors8(const uint16_t *errs, const float *dec) {
    return _mm256_setr_ps(dec[errs[0]], dec[errs[1]], dec[errs[2]], dec[errs[3]], dec[errs[4]],
                          dec[errs[5]], dec[errs[6]], dec[errs[7]]);
}

/* The errors of the entries in lanes m; dec[0] in the others. */
inline __m256 errors_masked(__mmask8 m, const uint16_t *errs, const float *dec) {
    const __m256i idx = _mm256_cvtepu16_epi32(_mm_maskz_loadu_epi16(m, errs));
    return _mm256_i32gather_ps(dec, idx, 4);
}

/* Bounds of the entries in lanes m, of errors ef (the other lanes are not
 * read or written): calibrated by t, or the worst case. */
template <bool Calibrated>
inline void bounds8(const PqBoundConsts &k, const EpsTerms &t, __mmask8 m, __m256 ef,
                    const float *adc, float *lb) {
    const __m512d e = to_pd(ef);
    const __m512d x = to_pd(_mm256_maskz_loadu_ps(m, adc));
    const __m512d zero = _mm512_setzero_pd();
    __m256 r;
    if (k.metric == METRIC_IP) {
        const __m512d b = ip_bound(k, x, e);
        const __mmask8 none = _mm512_cmp_pd_mask(b, b, _CMP_UNORD_Q) | is_inf(x);
        r = _mm256_mask_mov_ps(round_down(b), none, _mm256_set1_ps(-__builtin_inff()));
    } else {
        const __m512d a = _mm512_sub_pd(x, _mm512_set1_pd(k.margin));
        const __m512d s = Calibrated ? l2_root_eps(t, a, e) : l2_root(a, e);
        /* a NaN a makes s -0, negative or NaN: the eps scalar kernel's
         * isnan(a) test changes nothing, and has no lane test here */
        const __mmask8 ok = _mm512_cmp_pd_mask(s, zero, _CMP_GT_OQ) & (__mmask8)~is_inf(x);
        /* +0 where not ok, as the scalar kernel's b = 0.0 */
        __m512d b = _mm512_maskz_mov_pd(ok, l2_bound(k, s));
        if (k.metric == METRIC_COSINE)
            b = cosine_bound(k, b);
        r = round_down(b);
    }
    _mm256_mask_storeu_ps(lb, m, r);
}

template <bool Calibrated>
void bounds(const PqBoundConsts &k, const EpsTerms &t, size_t n, const float *adc,
            const uint16_t *errs, const float *dec, float *lb) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        bounds8<Calibrated>(k, t, (__mmask8)0xFF, errors8(errs + i, dec), adc + i, lb + i);
    if (i < n) {
        const __mmask8 m = (__mmask8)((1u << (n - i)) - 1u);
        bounds8<Calibrated>(k, t, m, errors_masked(m, errs + i, dec), adc + i, lb + i);
    }
}

} // namespace

void pq_bounds_avx512(const PqBoundConsts &k, size_t n, const float *adc, const uint16_t *errs,
                      const float *dec, float *lb) {
    bounds<false>(k, EpsTerms(), n, adc, errs, dec, lb);
}

void pq_bounds_eps_avx512(const PqBoundConsts &k, double eps, size_t n, const float *adc,
                          const uint16_t *errs, const float *dec, float *lb) {
    bounds<true>(eps_ip_consts(k, eps), eps_terms(eps), n, adc, errs, dec, lb);
}

} // namespace pgvq
