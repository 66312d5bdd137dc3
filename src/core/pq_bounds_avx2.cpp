/*
 * pq_bounds_avx2.cpp: the kernels of pgvq_pq_lower_bounds and
 * pgvq_pq_lower_bounds_eps with AVX2 (see pq_bounds.h): four entries per step
 * in double lanes, the last n % 4 from a padded copy.  The scalar kernels'
 * operations lane by lane, so their bits.
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

using D = __m256d;
inline D dset1(double x) { return _mm256_set1_pd(x); }
inline D dsub(D a, D b) { return _mm256_sub_pd(a, b); }
inline D dmul(D a, D b) { return _mm256_mul_pd(a, b); }
inline D dadd(D a, D b) { return _mm256_add_pd(a, b); }
inline D dsqrt_pos(D a) {
    return _mm256_and_pd(_mm256_sqrt_pd(a), _mm256_cmp_pd(a, _mm256_setzero_pd(), _CMP_GT_OQ));
}
#include "pq_bounds.inc"

/* The low 32 bits of each 64-bit lane: four double-lane masks as float lanes. */
inline __m128i narrow(__m256d mask) {
    const __m256i sel = _mm256_setr_epi32(0, 2, 4, 6, 0, 0, 0, 0);
    return _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(_mm256_castpd_si256(mask), sel));
}

inline __m256d is_inf(__m256d x) {
    return _mm256_cmp_pd(_mm256_andnot_pd(_mm256_set1_pd(-0.0), x),
                         _mm256_set1_pd(__builtin_inf()), _CMP_EQ_OQ);
}

/*
 * The largest float not above each lane of b: the nearest float, and where
 * that is above b the next one down (one step of the bits down for a
 * positive float or +inf, up for a negative one or -0).
 */
inline __m128i round_down(__m256d b) {
    const __m128 f = _mm256_cvtpd_ps(b);
    const __m128i above = narrow(_mm256_cmp_pd(_mm256_cvtps_pd(f), b, _CMP_GT_OQ));
    const __m128i bits = _mm_castps_si128(f);
    const __m128i neg = _mm_srai_epi32(bits, 31);
    /* -1 for a positive float, +1 for a negative one */
    const __m128i step = _mm_sub_epi32(_mm_set1_epi32(-1), _mm_add_epi32(neg, neg));
    return _mm_add_epi32(bits, _mm_and_si128(step, above));
}

/* Bounds of four entries: calibrated by t, or the worst case. */
template <bool Calibrated>
inline void bounds4(const PqBoundConsts &k, const EpsTerms &t, const float *adc,
                    const uint16_t *errs, const float *dec, float *lb) {
    /* one load each: a gather (vgatherdps) is slower on Zen 4 */
    const __m256d e =
        _mm256_cvtps_pd(_mm_setr_ps(dec[errs[0]], dec[errs[1]], dec[errs[2]], dec[errs[3]]));
    const __m256d x = _mm256_cvtps_pd(_mm_loadu_ps(adc));
    const __m256d zero = _mm256_setzero_pd();
    __m128i r;
    if (k.metric == METRIC_IP) {
        const __m256d b = ip_bound(k, x, e);
        const __m128i none = narrow(_mm256_or_pd(_mm256_cmp_pd(b, b, _CMP_UNORD_Q), is_inf(x)));
        r = _mm_castps_si128(_mm_blendv_ps(_mm_castsi128_ps(round_down(b)),
                                           _mm_set1_ps(-__builtin_inff()), _mm_castsi128_ps(none)));
    } else {
        const __m256d a = _mm256_sub_pd(x, _mm256_set1_pd(k.margin));
        const __m256d s = Calibrated ? l2_root_eps(t, a, e) : l2_root(a, e);
        /* a NaN a makes s -0, negative or NaN: the eps scalar kernel's
         * isnan(a) test changes nothing, and has no lane test here */
        const __m256d ok = _mm256_andnot_pd(is_inf(x), _mm256_cmp_pd(s, zero, _CMP_GT_OQ));
        /* +0 where not ok, as the scalar kernel's b = 0.0 */
        __m256d b = _mm256_and_pd(l2_bound(k, s), ok);
        if (k.metric == METRIC_COSINE)
            b = cosine_bound(k, b);
        r = round_down(b);
    }
    _mm_storeu_si128(reinterpret_cast<__m128i *>(lb), r);
}

template <bool Calibrated>
void bounds(const PqBoundConsts &k, const EpsTerms &t, size_t n, const float *adc,
            const uint16_t *errs, const float *dec, float *lb) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        bounds4<Calibrated>(k, t, adc + i, errs + i, dec, lb + i);
    if (i < n) {
        float a[4] = {0, 0, 0, 0}, out[4];
        uint16_t c[4] = {0, 0, 0, 0};
        for (size_t j = 0; i + j < n; j++) {
            a[j] = adc[i + j];
            c[j] = errs[i + j];
        }
        bounds4<Calibrated>(k, t, a, c, dec, out);
        for (size_t j = 0; i + j < n; j++)
            lb[i + j] = out[j];
    }
}

} // namespace

void pq_bounds_avx2(const PqBoundConsts &k, size_t n, const float *adc, const uint16_t *errs,
                    const float *dec, float *lb) {
    bounds<false>(k, EpsTerms(), n, adc, errs, dec, lb);
}

void pq_bounds_eps_avx2(const PqBoundConsts &k, double eps, size_t n, const float *adc,
                        const uint16_t *errs, const float *dec, float *lb) {
    bounds<true>(eps_ip_consts(k, eps), eps_terms(eps), n, adc, errs, dec, lb);
}

} // namespace pgvq
