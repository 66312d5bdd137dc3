/*
 * test_bounds.cpp: the error codes of IVF-PQ entries and the lower bounds they
 * give are never above the SQL operators' values (float rounding included),
 * for every metric, at extreme scales, through each way the scan builds its
 * ADC values (the per-entry terms of on-disk version 4 with one table per
 * query, per-list tables from list terms, residual tables, inner-product
 * tables).
 */
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "pgvq_core.h"

namespace {

TEST(ErrCode, RoundsUpWithinOneStep) {
    EXPECT_EQ(pgvq_err_encode(0.0), 0);
    EXPECT_EQ(pgvq_err_decode(0), 0.0f);
    EXPECT_EQ(pgvq_err_encode(-1.0), 65535);
    EXPECT_EQ(pgvq_err_encode(std::nan("")), 65535);
    EXPECT_EQ(pgvq_err_encode(INFINITY), 65535);
    EXPECT_EQ(pgvq_err_encode(1e300), 65535);
    EXPECT_TRUE(std::isinf(pgvq_err_decode(65535)));
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> ex(-120.0, 120.0);
    for (int i = 0; i < 200000; i++) {
        double e = std::exp2(ex(rng));
        uint16_t c = pgvq_err_encode(e);
        ASSERT_GT(c, 0);
        ASSERT_LT(c, 65535);
        double back = pgvq_err_decode(c);
        ASSERT_GE(back, e) << "e " << e;
        ASSERT_LE(back, e * 1.0028 + 1e-45) << "e " << e;
        /* the smallest code that covers e */
        ASSERT_LT((double)pgvq_err_decode(c - 1), e) << "e " << e;
    }
    /* tiny errors get the smallest code, which still covers them */
    EXPECT_GE((double)pgvq_err_decode(pgvq_err_encode(1e-45)), 1e-45);
    /* decoding is monotone */
    for (int c = 1; c < 65535; c++)
        ASSERT_LT(pgvq_err_decode(c - 1), pgvq_err_decode(c));
}

struct Index {
    size_t d, m, lists;
    int nbits;
    std::vector<float> centroids, codebooks, codebooksT, cnorms;
    std::vector<int64_t> labels;
    std::vector<uint8_t> codes;
    std::vector<uint16_t> errs;
    std::vector<float> terms; /* T per row, as stored */
    float rmax;
};

/* An IVF-PQ index over rows x (already normalised for cosine), as ivfpq builds it. */
Index build(const std::vector<float> &x, size_t n, size_t d, size_t m, int nbits, size_t lists) {
    Index ix{d, m, lists, nbits, {}, {}, {}, {}, {}, {}, {}, {}, 0.0f};
    pgvq_status st;
    pgvq_kmeans_params kp;
    pgvq_kmeans_params_default(&kp);
    kp.niter = 5;
    ix.centroids.resize(lists * d);
    EXPECT_EQ(pgvq_kmeans_train(n, d, x.data(), lists, &kp, ix.centroids.data(), nullptr, &st),
              PGVQ_OK);
    ix.labels.resize(n);
    EXPECT_EQ(pgvq_assign_l2(n, d, x.data(), lists, ix.centroids.data(), ix.labels.data(),
                             nullptr, 1, nullptr, nullptr, &st),
              PGVQ_OK);
    std::vector<float> res(x);
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < d; t++)
            res[i * d + t] -= ix.centroids[ix.labels[i] * d + t];
    ix.codebooks.resize((size_t(1) << nbits) * d);
    EXPECT_EQ(pgvq_pq_train(n, d, res.data(), m, nbits, &kp, ix.codebooks.data(), &st), PGVQ_OK);
    ix.codes.resize(n * m);
    EXPECT_EQ(pgvq_pq_encode(n, d, res.data(), m, nbits, ix.codebooks.data(), ix.codes.data(), 1,
                             nullptr, nullptr, &st),
              PGVQ_OK);
    /* from the rows with centroids and labels: residuals rounded to float
     * would understate tiny errors */
    ix.errs.resize(n);
    EXPECT_EQ(pgvq_pq_error_codes(n, d, x.data(), ix.centroids.data(), ix.labels.data(), m, nbits,
                                  ix.codebooks.data(), ix.codes.data(), ix.errs.data(), 2, nullptr,
                                  nullptr, &st),
              PGVQ_OK);
    ix.terms.resize(n);
    pgvq_pq_entry_terms(n, d, ix.centroids.data(), ix.labels.data(), m, nbits,
                        ix.codebooks.data(), ix.codes.data(), ix.terms.data());
    ix.codebooksT.resize(ix.codebooks.size());
    pgvq_pq_transpose_codebooks(d, m, nbits, ix.codebooks.data(), ix.codebooksT.data());
    ix.cnorms.resize(lists);
    for (size_t l = 0; l < lists; l++)
        ix.cnorms[l] = pgvq_fvec_norm_l2sqr(ix.centroids.data() + l * d, d);
    ix.rmax = pgvq_pq_max_reconstruction_norm(d, m, nbits, ix.codebooks.data());
    return ix;
}

/* The stored term of row i moved by shift times (just under) the tolerance
 * pgvq_pq_check_terms allows, in float steps; the check must still pass it. */
float shifted_term(const Index &ix, size_t i, int shift) {
    float t = ix.terms[i];
    if (shift == 0)
        return t;
    const size_t d = ix.d, m = ix.m, ksub = size_t(1) << ix.nbits, dsub = d / m;
    const float *c = ix.centroids.data() + ix.labels[i] * d;
    double mag = 0, exact = 0;
    for (size_t j = 0; j < m; j++)
        for (size_t s = 0; s < dsub; s++) {
            double b = ix.codebooks[(j * ksub + ix.codes[i * m + j]) * dsub + s];
            exact += b * b + 2.0 * (double)c[j * dsub + s] * b;
            mag += b * b + 2.0 * std::fabs((double)c[j * dsub + s] * b);
        }
    const double tol = 2.0 * mag / 16777216.0 + std::ldexp(1.0, -149);
    float moved = (float)(exact + (shift > 0 ? 0.99 : -0.99) * tol);
    while (std::fabs((double)moved - exact) > tol * 0.999)
        moved = std::nextafter(moved, (float)exact);
    float expected;
    EXPECT_EQ(pgvq_pq_check_terms(1, d, c, m, ix.nbits, ix.codebooks.data(), &ix.codes[i * m],
                                  &moved, &expected),
              1u)
        << "a term within the tolerance passes the check";
    return moved;
}

/* ADC values of every row of list l for the query, built the way the scan
 * does for `path`: 0 list terms, 1 residual table, 2 inner product, 3 the
 * scan of version 4 (one table -2 <q_j, cb_j_k> for every list, the list's
 * bias |q - c|^2, then + T of each row, stored T shifted by t_shift of the
 * tolerance pgvq_pq_check_terms lets pass: -1, 0 or 1). */
std::vector<float> adc_values(const Index &ix, const float *q, size_t l, int path,
                              const std::vector<size_t> &rows, int t_shift = 0) {
    const size_t d = ix.d, m = ix.m, ksub = size_t(1) << ix.nbits, per = m * ksub;
    const float *c = ix.centroids.data() + l * d;
    std::vector<float> table(per), codes_out(rows.size());
    float bias = 0.0f;
    if (path == 3) {
        pgvq_pq_ip_table_t(d, q, m, ix.nbits, ix.codebooksT.data(), -2.0f, table.data());
        float score = ix.cnorms[l] - 2 * pgvq_fvec_inner_product(q, c, d);
        bias = std::max(0.0f, score + pgvq_fvec_norm_l2sqr(q, d));
    } else if (path == 0) {
        std::vector<float> terms(per), cbn(per), qt(per);
        for (size_t i = 0; i < per; i++)
            cbn[i] = pgvq_fvec_norm_l2sqr(ix.codebooks.data() + i * (d / m), d / m);
        pgvq_pq_ip_table_t(d, c, m, ix.nbits, ix.codebooksT.data(), 2.0f, terms.data());
        pgvq_fvec_madd(per, cbn.data(), 1.0f, terms.data(), terms.data());
        pgvq_pq_ip_table_t(d, q, m, ix.nbits, ix.codebooksT.data(), -1.0f, qt.data());
        pgvq_fvec_madd(per, terms.data(), 2.0f, qt.data(), table.data());
        float score = ix.cnorms[l] - 2 * pgvq_fvec_inner_product(q, c, d);
        bias = std::max(0.0f, score + pgvq_fvec_norm_l2sqr(q, d));
    } else if (path == 1) {
        std::vector<float> r(d);
        for (size_t t = 0; t < d; t++)
            r[t] = q[t] - c[t];
        pgvq_pq_distance_table(PGVQ_METRIC_L2, d, r.data(), m, ix.nbits, ix.codebooks.data(),
                               table.data());
    } else {
        pgvq_pq_ip_table_t(d, q, m, ix.nbits, ix.codebooksT.data(), -1.0f, table.data());
        bias = -pgvq_fvec_inner_product(q, c, d);
    }
    std::vector<uint8_t> codes(rows.size() * m);
    for (size_t i = 0; i < rows.size(); i++)
        std::copy_n(ix.codes.data() + rows[i] * m, m, codes.data() + i * m);
    pgvq_pq_scan_codes(m, ix.nbits, table.data(), bias, rows.size(), codes.data(),
                       codes_out.data());
    if (path == 3) {
        std::vector<float> t(rows.size());
        for (size_t i = 0; i < rows.size(); i++)
            t[i] = shifted_term(ix, rows[i], t_shift);
        pgvq_fvec_madd(rows.size(), codes_out.data(), 1.0f, t.data(), codes_out.data());
    }
    return codes_out;
}

void normalise(float *v, size_t d) {
    double s = 0;
    for (size_t t = 0; t < d; t++)
        s += (double)v[t] * v[t];
    s = std::sqrt(s);
    for (size_t t = 0; t < d; t++)
        v[t] = (float)(v[t] / s);
}

struct Case {
    int metric;
    size_t d, m;
    int nbits;
    double scale;
    size_t distinct; /* rows drawn from this many points (0: all distinct) */
    size_t lists = 0; /* 0: 6 (or distinct) */
    double offset = 0; /* added to every coordinate (times scale): |c| >> |r| */
};

void check_case(const Case &cs) {
    const size_t n = 800, nq = 6, d = cs.d;
    const size_t lists = cs.lists > 0 ? cs.lists : cs.distinct > 0 ? cs.distinct : 6;
    std::mt19937 rng(11 + (unsigned)d + (unsigned)cs.metric);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::vector<float> raw(n * d), q(nq * d);
    for (size_t i = 0; i < n; i++) {
        float shift = (float)(i % 5) * 2.0f;
        for (size_t t = 0; t < d; t++)
            raw[i * d + t] = (float)((nd(rng) + shift * (t % 3 == 0) + cs.offset) * cs.scale);
    }
    /* few distinct points: k-means and PQ reconstruct them (almost) exactly,
     * so e is ~0 and only the rounding margins keep the bounds below */
    if (cs.distinct > 0)
        for (size_t i = cs.distinct; i < n; i++)
            std::copy_n(raw.data() + (i % cs.distinct) * d, d, raw.data() + i * d);
    for (auto &v : q)
        v = (float)(nd(rng) * cs.scale);
    /* data far from the origin: queries right next to rows, where the ADC
     * value is a tiny difference of huge terms (rounding is all there is) */
    if (cs.offset != 0)
        for (size_t qi = 0; qi < nq; qi++)
            for (size_t t = 0; t < d; t++)
                q[qi * d + t] = raw[(qi * 37 % n) * d + t] + (float)(nd(rng) * cs.scale * 1e-4);
    const bool cosine = cs.metric == PGVQ_METRIC_COSINE;
    std::vector<float> x(raw);
    if (cosine)
        for (size_t i = 0; i < n; i++)
            normalise(x.data() + i * d, d);
    Index ix = build(x, n, d, cs.m, cs.nbits, lists);
    double tight = 0;
    size_t pairs = 0;
    for (size_t qi = 0; qi < nq; qi++) {
        std::vector<float> qq(q.begin() + qi * d, q.begin() + (qi + 1) * d);
        if (cosine)
            normalise(qq.data(), d);
        float qnorm = std::sqrt(pgvq_fvec_norm_l2sqr(qq.data(), d));
        for (size_t l = 0; l < lists; l++) {
            std::vector<size_t> rows;
            for (size_t i = 0; i < n; i++)
                if ((size_t)ix.labels[i] == l)
                    rows.push_back(i);
            if (rows.empty())
                continue;
            pgvq_pq_bound_params p;
            p.metric = cs.metric;
            p.d = (int)d;
            p.qnorm = qnorm;
            p.cnorm = std::sqrt(ix.cnorms[l]);
            p.rmax = ix.rmax;
            p.adc_margin = pgvq_pq_adc_margin(d, cs.m, qnorm, p.cnorm, ix.rmax);
            /* 3, 4, 5: the version 4 scan with the stored terms as they are,
             * and moved down or up to the edge of the check's tolerance */
            for (int path : (cs.metric == PGVQ_METRIC_IP ? std::vector<int>{2}
                                                         : std::vector<int>{0, 1, 3, 4, 5})) {
                std::vector<float> adc =
                    adc_values(ix, qq.data(), l, std::min(path, 3), rows,
                               path == 4 ? -1 : path == 5 ? 1 : 0);
                std::vector<uint16_t> errs(rows.size());
                for (size_t i = 0; i < rows.size(); i++)
                    errs[i] = ix.errs[rows[i]];
                std::vector<float> lb(rows.size());
                pgvq_pq_lower_bounds(&p, rows.size(), adc.data(), errs.data(), lb.data());
                for (size_t i = 0; i < rows.size(); i++) {
                    /* the operator's value on the rows and the query as given */
                    double exact = pgvq_distance_f64(cs.metric, q.data() + qi * d,
                                                     raw.data() + rows[i] * d, d);
                    ASSERT_LE((double)lb[i], exact)
                        << "metric " << cs.metric << " d " << d << " scale " << cs.scale
                        << " path " << path << " row " << rows[i] << " adc " << adc[i] << " e "
                        << pgvq_err_decode(errs[i]);
                    if (cs.metric != PGVQ_METRIC_IP && exact > 0) {
                        tight += std::max(0.0, (double)lb[i]) / exact;
                        pairs++;
                    }
                }
            }
        }
    }
    if (pairs > 0 && cs.scale >= 1e-3 && cs.scale <= 1e6 && cs.metric == PGVQ_METRIC_L2 &&
        cs.distinct == 0 && cs.offset == 0 && cs.m < cs.d) {
        /* not vacuous: on average the bound recovers a good part of the distance */
        EXPECT_GT(tight / pairs, 0.3) << "d " << d << " scale " << cs.scale;
    }
}

/* check_case over every metric, scale and (d, m, nbits) shape given, with
 * distinct rows and with 4 repeated points; stops at a fatal failure. */
void check_cases(const std::vector<int> &metrics, const std::vector<double> &scales,
                 const std::vector<std::vector<size_t>> &shapes) {
    for (int metric : metrics)
        for (double scale : scales)
            for (const auto &shape : shapes) {
                SCOPED_TRACE("metric " + std::to_string(metric) + " scale " +
                             std::to_string(scale) + " d " + std::to_string(shape[0]));
                for (size_t distinct : {0, 4})
                    check_case(Case{metric, shape[0], shape[1], (int)shape[2], scale, distinct});
                if (::testing::Test::HasFatalFailure())
                    return;
            }
}

TEST(LowerBounds, NeverAboveTheOperators) {
    check_cases({PGVQ_METRIC_L2, PGVQ_METRIC_IP, PGVQ_METRIC_COSINE},
                {1e-12, 1e-3, 1.0, 1e6, 1e15}, {{8, 4, 8}, {32, 8, 4}, {96, 12, 8}});
}

/* Vectors of size ~1e-20: squares and products land below FLT_MIN, where a
 * float rounding is off by up to 2^-150 whatever the value (the bounds were
 * above the operator's value, L2 7.41301e-41 vs 7.41273e-41).  Cosine is left
 * out: there the operator's own norms lose their relative precision. */
TEST(LowerBounds, TinyVectors) {
    check_cases({PGVQ_METRIC_L2, PGVQ_METRIC_IP}, {1e-21, 1e-20}, {{8, 4, 8}, {32, 8, 4}});
}

/* The version 4 path at the shapes it is for: fine codes (m up to d, 1- and
 * 2-dim sub-vectors), many lists, centroids far from the origin (T is then a
 * small difference of large terms) and huge or tiny norms. */
TEST(LowerBounds, EntryTermsAdversarial) {
    for (int metric : {PGVQ_METRIC_L2, PGVQ_METRIC_COSINE, PGVQ_METRIC_IP})
        for (double scale : {1e-15, 1.0, 1e12})
            for (auto shape : {std::vector<size_t>{16, 16, 8}, std::vector<size_t>{32, 16, 8},
                               std::vector<size_t>{24, 24, 4}}) {
                SCOPED_TRACE("metric " + std::to_string(metric) + " scale " +
                             std::to_string(scale) + " d " + std::to_string(shape[0]) + " m " +
                             std::to_string(shape[1]));
                for (double offset : {0.0, 1e3})
                    for (size_t lists : {size_t(40), size_t(0)})
                        check_case(Case{metric, shape[0], shape[1], (int)shape[2], scale, 0, lists,
                                        offset});
                check_case(Case{metric, shape[0], shape[1], (int)shape[2], scale, 4, 0, 1e3});
                if (HasFatalFailure())
                    return;
            }
}

/* The check finds a stored term off by more than the rounding tolerance. */
TEST(EntryTerms, CheckFindsAMismatch) {
    const size_t n = 300, d = 16, m = 8;
    std::mt19937 rng(5);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::vector<float> x(n * d);
    for (auto &v : x)
        v = nd(rng) + 50.0f;
    Index ix = build(x, n, d, m, 8, 4);
    for (size_t i = 0; i < n; i++) {
        const float *c = ix.centroids.data() + ix.labels[i] * d;
        float expected = -1, t = ix.terms[i];
        ASSERT_EQ(pgvq_pq_check_terms(1, d, c, m, 8, ix.codebooks.data(), &ix.codes[i * m], &t,
                                      &expected),
                  1u);
        /* T in double, against its definition from the decoded residual */
        std::vector<float> r(d);
        pgvq_pq_decode(1, d, &ix.codes[i * m], m, 8, ix.codebooks.data(), r.data());
        double want = 0;
        for (size_t k = 0; k < d; k++)
            want += (double)r[k] * r[k] + 2.0 * (double)c[k] * r[k];
        ASSERT_EQ(t, (float)want) << "row " << i;
    }
    /* rows 0..2 of list l as one page; the third one's term is off */
    size_t l = ix.labels[0];
    std::vector<uint8_t> codes;
    std::vector<float> terms;
    for (size_t i = 0; i < n && terms.size() < 3; i++)
        if ((size_t)ix.labels[i] == l) {
            codes.insert(codes.end(), &ix.codes[i * m], &ix.codes[i * m] + m);
            terms.push_back(ix.terms[i]);
        }
    ASSERT_EQ(terms.size(), 3u);
    const float *c = ix.centroids.data() + l * d;
    float expected = 0;
    float good = terms[2];
    terms[2] = good + std::max(1e-3f, std::fabs(good) * 1e-5f);
    EXPECT_EQ(pgvq_pq_check_terms(3, d, c, m, 8, ix.codebooks.data(), codes.data(), terms.data(),
                                  &expected),
              2u);
    EXPECT_EQ(expected, good);
    terms[2] = NAN;
    EXPECT_EQ(pgvq_pq_check_terms(3, d, c, m, 8, ix.codebooks.data(), codes.data(), terms.data(),
                                  &expected),
              2u);
}

/* An entry term T that overflows float while the operator's value does not:
 * c = (1.3e19, 0), r^ = (0.5e19, 1.4e19), so T = 2 <c, r^> + |r^|^2 = 3.51e38
 * rounds to +inf, and q = c, where |q - x|^2 = |r^|^2 = 2.21e38 is finite in
 * the operator's float sum and the list bias (0) and the table entry
 * (-2 <q, r^> = -1.3e38) are finite too.  The ADC value is then +inf: its
 * bound must not be (the row would come back after rows farther away). */
TEST(LowerBounds, OverflowedTermIsNoBound) {
    const size_t d = 2, m = 1;
    const int nbits = 1;
    const float c[2] = {1.3e19f, 0.0f};
    const float codebooks[4] = {0.5e19f, 1.4e19f, 0.0f, 0.0f}; /* (m, ksub, dsub) */
    const uint8_t code = 0;
    const float x[2] = {c[0] + codebooks[0], c[1] + codebooks[1]};
    const float *q = c;
    const int64_t label = 0;
    float term;
    pgvq_pq_entry_terms(1, d, c, &label, m, nbits, codebooks, &code, &term);
    ASSERT_TRUE(std::isinf(term)) << "the case needs a term that overflows";
    float codebooksT[4], table[2], adc;
    pgvq_pq_transpose_codebooks(d, m, nbits, codebooks, codebooksT);
    pgvq_pq_ip_table_t(d, q, m, nbits, codebooksT, -2.0f, table);
    const float cn = pgvq_fvec_norm_l2sqr(c, d);
    const float bias =
        std::max(0.0f, cn - 2 * pgvq_fvec_inner_product(q, c, d) + pgvq_fvec_norm_l2sqr(q, d));
    ASSERT_TRUE(std::isfinite(bias) && std::isfinite(table[0]));
    pgvq_pq_scan_codes(m, nbits, table, bias, 1, &code, &adc);
    pgvq_fvec_madd(1, &adc, 1.0f, &term, &adc);
    uint16_t err;
    pgvq_status st;
    ASSERT_EQ(pgvq_pq_error_codes(1, d, x, c, &label, m, nbits, codebooks, &code, &err, 1,
                                  nullptr, nullptr, &st),
              PGVQ_OK);
    const float qnorm = std::sqrt(pgvq_fvec_norm_l2sqr(q, d));
    const float rmax = pgvq_pq_max_reconstruction_norm(d, m, nbits, codebooks);
    pgvq_pq_bound_params p{PGVQ_METRIC_L2, (int)d, 0.0f, qnorm, std::sqrt(cn), rmax};
    p.adc_margin = pgvq_pq_adc_margin(d, m, qnorm, std::sqrt(cn), rmax);
    float lb;
    pgvq_pq_lower_bounds(&p, 1, &adc, &err, &lb);
    const double exact = pgvq_distance_f64(PGVQ_METRIC_L2, q, x, d);
    ASSERT_TRUE(std::isfinite(exact));
    EXPECT_LE((double)lb, exact) << "adc " << adc << " margin " << p.adc_margin;
    /* inner product: an ADC value that overflowed up is no bound either */
    const float inf = std::numeric_limits<float>::infinity();
    p.metric = PGVQ_METRIC_IP;
    pgvq_pq_lower_bounds(&p, 1, &inf, &err, &lb);
    EXPECT_TRUE(std::isinf(lb) && lb < 0);
}

/* Terms in float's subnormal range (vectors of size 1e-20): a rounding there
 * is off by up to 2^-150 whatever T's size, so the stored (nearest) float of
 * a healthy entry must pass the check (pgvq_index_check reported such
 * entries as corrupt). */
TEST(EntryTerms, SubnormalTermsPass) {
    const size_t n = 500, d = 8, m = 4, dsub = d / m;
    const int nbits = 4;
    const size_t ksub = size_t(1) << nbits;
    std::mt19937 rng(5);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::vector<float> c(d), cb(m * ksub * dsub), terms(n);
    std::vector<uint8_t> codes(n * m);
    for (auto &v : c)
        v = nd(rng) * 1e-20f;
    for (auto &v : cb)
        v = nd(rng) * 1e-20f;
    for (auto &v : codes)
        v = (uint8_t)(rng() % ksub);
    pgvq_pq_entry_terms(n, d, c.data(), nullptr, m, nbits, cb.data(), codes.data(), terms.data());
    size_t subnormal = 0;
    for (float t : terms)
        subnormal += t != 0.0f && std::fabs(t) < std::numeric_limits<float>::min();
    ASSERT_GT(subnormal, n / 2) << "the case needs subnormal terms";
    float expected = 0;
    EXPECT_EQ(pgvq_pq_check_terms(n, d, c.data(), m, nbits, cb.data(), codes.data(), terms.data(),
                                  &expected),
              n)
        << "expected " << expected;
}

TEST(LowerBounds, UnboundedAndNaN) {
    pgvq_pq_bound_params p{PGVQ_METRIC_L2, 4, 0.0f, 1.0f, 1.0f, 1.0f};
    const float adc[3] = {100.0f, NAN, 4.0f};
    const uint16_t errs[3] = {65535, 0, 0};
    float lb[3];
    pgvq_pq_lower_bounds(&p, 3, adc, errs, lb);
    EXPECT_EQ(lb[0], 0.0f); /* unknown error: nothing above zero */
    EXPECT_EQ(lb[1], 0.0f);
    EXPECT_GT(lb[2], 3.99f);
    EXPECT_LE(lb[2], 4.0f);
    p.metric = PGVQ_METRIC_IP;
    pgvq_pq_lower_bounds(&p, 3, adc, errs, lb);
    EXPECT_TRUE(std::isinf(lb[0]) && lb[0] < 0);
    EXPECT_TRUE(std::isinf(lb[1]) && lb[1] < 0);
}

} // namespace
