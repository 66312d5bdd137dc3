/*
 * pgvq_train_profile: the training and encoding steps of an ivfpq build, through
 * the core's C API, on a real base file, timed step by step (CPU seconds), with the quality
 * of what they produce (k-means objective, PQ reconstruction error of the
 * residuals).  No Postgres: for profiling the build's CPU work (perf,
 * callgrind) and for checking that a faster training loses no accuracy.
 *
 *   build/dev/pgvq_train_profile BASE.fvecs|BASE.bvecs [--lists N] [--m M]
 *       [--nbits B] [--sample S] [--threads T] [--kmeans-niter I] [--pq-niter I]
 *       [--rows R] [--no-encode] [--flat | --two-level] [--pq-sample S]
 *
 * Defaults follow CREATE INDEX ... USING ivfpq: lists 4 sqrt(rows); the sample
 * 50 rows a list for the first 256 lists and 25 for each beyond, at least
 * 10000, drawn at random; k-means in two levels from 256 lists (--flat or
 * --two-level force one); the codebooks train on at most 32768 residuals
 * (--pq-sample); m and nbits must be given for non-default shapes (m defaults
 * to d / 16 when 16 divides d, else d / 8; nbits 8); 10 iterations each.
 */
#include <algorithm>
#include <ctime>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "pgvq_core.h"
#include "vecs_io.h"

using namespace pgvq_tools;

namespace {

/* Process CPU seconds (all threads): less noisy than wall time on a shared
 * machine; with --threads 1 it is the work done. */
double now() {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void check(int rc, const pgvq_status &st, const char *what) {
    if (rc != 0)
        die("%s failed (%d): %s", what, rc, st.message);
}

/* x[i] -= centroids[labels[i]] for n rows of d. */
void subtract_centroids(size_t n, size_t d, float *x, const std::vector<int64_t> &labels,
                        const std::vector<float> &cent) {
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            x[i * d + j] -= cent[(size_t)labels[i] * d + j];
}

} // namespace

int main(int argc, char **argv) {
    g_prog = "pgvq_train_profile";
    Args a = parse_args(argc, argv, 1, {"--no-encode", "--two-level", "--flat"},
                        {"--lists", "--m", "--nbits", "--sample", "--threads", "--kmeans-niter",
                         "--pq-niter", "--rows", "--pq-sample"});
    if (a.positional.size() != 1)
        die("usage: pgvq_train_profile BASE.fvecs|BASE.bvecs [options] (see the source)");
    pgvq_init();
    VecsFile f(a.positional[0]);
    const size_t n = (size_t)a.num("--rows", f.n(), false, 1, f.n());
    const size_t d = (size_t)f.d();
    std::vector<float> base(n * d);
    f.read_float(0, (int64_t)n, base.data());

    const size_t lists = (size_t)a.num(
        "--lists", std::max<int64_t>(1, (int64_t)(4.0 * std::sqrt((double)n))), false, 1, 1 << 20);
    const size_t m = (size_t)a.num("--m", d % 16 == 0 ? d / 16 : std::max<size_t>(1, d / 8),
                                   false, 1, (int64_t)d);
    const int nbits = (int)a.num("--nbits", 8, false, 1, 8);
    const int64_t first = std::min<int64_t>((int64_t)lists, 256);
    const int64_t want = std::max<int64_t>(10000, first * 50 + ((int64_t)lists - first) * 25);
    const bool two_level = a.has("--two-level") || (!a.has("--flat") && lists >= 256);
    const size_t ns = (size_t)std::min<int64_t>(a.num("--sample", want, false, 1, 1 << 30), n);
    const int threads = (int)a.num("--threads", 0, false, 0, 1024);
    if (d % m != 0)
        die("--m %zu does not divide d = %zu", m, d);

    /* The sample: ns distinct random rows (fixed seed), in row order. */
    std::vector<size_t> idx(n);
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    std::mt19937_64 rng(0x49565051);
    for (size_t i = 0; i < ns; i++)
        std::swap(idx[i], idx[i + rng() % (n - i)]);
    idx.resize(ns);
    std::sort(idx.begin(), idx.end());
    std::vector<float> sample(ns * d);
    for (size_t i = 0; i < ns; i++)
        std::copy(base.begin() + idx[i] * d, base.begin() + (idx[i] + 1) * d,
                  sample.begin() + i * d);

    std::printf("n=%zu d=%zu lists=%zu m=%zu nbits=%d sample=%zu threads=%d simd=%s k-means=%s\n",
                n, d, lists, m, nbits, ns, threads, pgvq_simd_level(),
                two_level ? "two-level" : "flat");
    pgvq_status st{};
    pgvq_kmeans_params p;
    pgvq_kmeans_params_default(&p);
    p.nthreads = threads;

    /* 1. coarse k-means */
    p.niter = (int)a.num("--kmeans-niter", 10, false, 0, 1000);
    std::vector<float> cent(lists * d);
    double obj = 0, t0 = now();
    if (two_level)
        check(pgvq_kmeans_train_two_level(ns, d, sample.data(), lists, &p, cent.data(), &st), st,
              "two-level k-means");
    else
        check(pgvq_kmeans_train(ns, d, sample.data(), lists, &p, cent.data(), &obj, &st), st,
              "k-means");
    const double t_kmeans = now() - t0;

    /* 2. residuals of the sample */
    t0 = now();
    std::vector<int64_t> labels(ns);
    std::vector<float> sdist(ns);
    check(pgvq_assign_l2(ns, d, sample.data(), lists, cent.data(), labels.data(), sdist.data(),
                         threads, nullptr, nullptr, &st),
          st, "assign");
    obj = 0;
    for (size_t i = 0; i < ns; i++)
        obj += sdist[i];
    subtract_centroids(ns, d, sample.data(), labels, cent);
    const double t_resid = now() - t0;

    /* 3. PQ codebooks */
    p.niter = (int)a.num("--pq-niter", 10, false, 0, 1000);
    const size_t ksub = size_t(1) << nbits;
    std::vector<float> cb(ksub * d);
    t0 = now();
    /* --pq-sample S: the codebooks train on every (ns / S)-th residual */
    size_t npq = (size_t)std::min<int64_t>(a.num("--pq-sample", 32768, false, 1, 1 << 30),
                                           (int64_t)ns);
    std::vector<float> pqx;
    const float *pqsrc = sample.data();
    if (npq < ns) {
        pqx.resize(npq * d);
        for (size_t i = 0; i < npq; i++)
            std::copy(sample.begin() + (i * ns / npq) * d, sample.begin() + (i * ns / npq + 1) * d,
                      pqx.begin() + i * d);
        pqsrc = pqx.data();
    }
    check(pgvq_pq_train(npq, d, pqsrc, m, nbits, &p, cb.data(), &st), st, "PQ training");
    const double t_pq = now() - t0;
    /* FNV-1a of the codebooks' bytes: equal before and after a change that
     * must not change what training computes. */
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < cb.size() * sizeof(float); i++)
        h = (h ^ reinterpret_cast<const unsigned char *>(cb.data())[i]) * 0x100000001b3ULL;
    std::printf("k-means %.3f s (objective/row %.6g), sample residuals %.3f s, PQ training "
                "%.3f s (codebooks fnv1a %016llx)\n",
                t_kmeans, obj / (double)ns, t_resid, t_pq, (unsigned long long)h);
    if (a.has("--no-encode"))
        return 0;

    /* 4. every row: list, residual, code; quality = mean squared PQ error */
    t0 = now();
    std::vector<int64_t> all_labels(n);
    std::vector<float> dist(n);
    check(pgvq_assign_l2(n, d, base.data(), lists, cent.data(), all_labels.data(), dist.data(),
                         threads, nullptr, nullptr, &st),
          st, "assign");
    const double t_assign = now() - t0;
    subtract_centroids(n, d, base.data(), all_labels, cent);
    std::vector<uint8_t> codes(n * m);
    t0 = now();
    check(pgvq_pq_encode(n, d, base.data(), m, nbits, cb.data(), codes.data(), threads, nullptr,
                         nullptr, &st),
          st, "PQ encoding");
    const double t_encode = now() - t0;
    double coarse = 0, pqerr = 0;
    std::vector<float> dec(d);
    for (size_t i = 0; i < n; i++) {
        coarse += dist[i];
        pgvq_pq_decode(1, d, codes.data() + i * m, m, nbits, cb.data(), dec.data());
        for (size_t j = 0; j < d; j++) {
            const double e = (double)base[i * d + j] - dec[j];
            pqerr += e * e;
        }
    }
    std::printf("all rows: assignment %.3f s, PQ encoding %.3f s; coarse error/row %.6g, PQ "
                "error/row %.6g (%.4f of the residual)\n",
                t_assign, t_encode, coarse / (double)n, pqerr / (double)n, pqerr / coarse);
    return 0;
}
