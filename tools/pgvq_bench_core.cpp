/*
 * pgvq_bench_core: micro benchmarks of the core's hot paths (distance kernels
 * per SIMD level, PQ code scanning per implementation, distance tables,
 * k-means, PQ encoding).  Synthetic data; prints one line per measurement.
 *
 *   build/dev/pgvq_bench_core [quick | pq]
 *
 * "pq" runs only the PQ scan and table kernels, on ivfpq's shapes (m = 16,
 * 49, 96; nbits 8 and 4; n = 1000 and 10000 rows a list; the integer scan at
 * m = 49 and 196, n = 39 and 1000), single thread.
 *
 * "parse" times the text parsers (vector and sparsevec) on 768-dimension
 * vectors printed as Postgres prints float4 (shortest round trip).
 */
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "distances.h"
#include "pgvq_core.h"

namespace {

double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::vector<float> random_floats(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::vector<float> v(n);
    for (auto &x : v)
        x = nd(rng);
    return v;
}

volatile float g_sink;

/* The code scan before the 8-row kernel: four rows, which GCC packs into one
 * SSE register with shuffles.  Kept to measure the change on other CPUs. */
void scan_before(size_t m, size_t ksub, const float *table, float bias, size_t n,
                 const uint8_t *codes, float *out) {
    const unsigned mask = (unsigned)(ksub - 1);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const uint8_t *c = codes + i * m;
        float s0 = bias, s1 = bias, s2 = bias, s3 = bias;
        const float *t = table;
        for (size_t j = 0; j < m; j++, t += ksub) {
            s0 += t[c[j] & mask];
            s1 += t[c[m + j] & mask];
            s2 += t[c[2 * m + j] & mask];
            s3 += t[c[3 * m + j] & mask];
        }
        out[i] = s0;
        out[i + 1] = s1;
        out[i + 2] = s2;
        out[i + 3] = s3;
    }
    for (; i < n; i++) {
        float s = bias;
        for (size_t j = 0; j < m; j++)
            s += table[j * ksub + (codes[i * m + j] & mask)];
        out[i] = s;
    }
}

/* Best of `trials` of `reps` calls, seconds per call. */
template <class F> double best_time(int trials, int reps, F &&f) {
    double best = 1e30;
    for (int t = 0; t < trials; t++) {
        double t0 = now();
        for (int r = 0; r < reps; r++)
            f();
        best = std::min(best, (now() - t0) / reps);
    }
    return best;
}

/*
 * The integer code scan at nbits 8 (pgvq_pq_qscan_codes, 8- and 16-bit table
 * entries, values converted to float bounds included) against the float scan
 * it replaces, on a list page (39 rows at m 196) and a list, and a table
 * quantization (pgvq_pq_qtable_build) against the float table's build
 * (fvec_madd).
 */
void bench_pq_int(bool quick) {
    const int trials = quick ? 3 : 15;
    std::printf("pq_qscan on this CPU: %s\n", pgvq_pq_qscan_fast() ? "AVX-512 VBMI" : "scalar");
    for (size_t m : {49, 196})
        for (size_t n : {39, 1000}) {
            const size_t ksub = 256;
            auto terms = random_floats(m * ksub, 3), qtab = random_floats(m * ksub, 8);
            std::vector<float> table(m * ksub);
            std::vector<uint8_t> codes(n * m), qt(pgvq_pq_qtable_bytes(m, 16));
            std::mt19937 rng(4);
            for (auto &c : codes)
                c = (uint8_t)rng();
            std::vector<float> out(n);
            const int reps = (int)std::max<size_t>(1, 4000000 / (n * m));
            pgvq_fvec_madd(m * ksub, terms.data(), 2.0f, qtab.data(), table.data());
            double tf = best_time(trials, reps, [&] {
                pgvq::pq_scan_codes_scalar(m, ksub, table.data(), 0.0f, n, codes.data(), out.data());
            });
            g_sink = out[n / 2];
            std::printf("pq_scan %-13s m=%-3zu nbits=8 n=%-5zu: %7.2f ns/row %5.3f ns/term\n",
                        "float", m, n, tf / n * 1e9, tf / n / m * 1e9);
            for (int bits : {8, 16}) {
                pgvq_pq_qscale sc;
                if (!pgvq_pq_qtable_build(m, bits, table.data(), qt.data(), &sc))
                    continue;
                double t = best_time(trials, reps, [&] {
                    pgvq_pq_qscan_codes(m, qt.data(), &sc, 0.0f, n, codes.data(), out.data());
                });
                g_sink = out[n / 2];
                std::printf("pq_scan int%-10d m=%-3zu nbits=8 n=%-5zu: %7.2f ns/row %5.3f ns/term "
                            "(%.1fx the float scan)\n",
                            bits, m, n, t / n * 1e9, t / n / m * 1e9, tf / t);
            }
        }
    for (size_t m : {49, 196}) {
        const size_t per = m * 256;
        auto terms = random_floats(per, 3), qtab = random_floats(per, 8);
        std::vector<float> table(per);
        std::vector<uint8_t> qt(pgvq_pq_qtable_bytes(m, 16));
        pgvq_pq_qscale sc;
        double tm = best_time(trials, quick ? 20 : 500, [&] {
            pgvq_fvec_madd(per, terms.data(), 2.0f, qtab.data(), table.data());
        });
        std::printf("pq_table_build fvec_madd m=%-3zu: %6.2f us", m, tm * 1e6);
        for (int bits : {8, 16}) {
            double tb = best_time(trials, quick ? 20 : 500, [&] {
                pgvq_pq_qtable_build(m, bits, table.data(), qt.data(), &sc);
            });
            std::printf("   qtable_build int%d: %6.2f us", bits, tb * 1e6);
        }
        std::printf("\n");
    }
}

/* PQ scans per implementation and per-probe tables per level. */
void bench_pq(int top, bool quick) {
    struct Impl {
        const char *name;
        pgvq::PqScanFn fn;
        int level;
    } impls[] = {{"before", scan_before, 0},
                 {"scalar8", pgvq::pq_scan_codes_scalar, 0},
                 {"gather_avx2", pgvq::pq_scan_codes_gather_avx2, 1},
                 {"gather_avx512", pgvq::pq_scan_codes_gather_avx512, 2},
                 {"perm_avx2", pgvq::pq_scan_codes_perm_avx2, 1},
                 {"perm_avx512", pgvq::pq_scan_codes_perm_avx512, 2}};
    const int trials = quick ? 3 : 15;
    for (int nbits : {8, 4})
        for (size_t m : {16, 49, 96})
            for (size_t n : {1000, 10000}) {
                const size_t ksub = (size_t)1 << nbits;
                auto table = random_floats(m * ksub, 3);
                std::vector<uint8_t> codes(n * m);
                std::mt19937 rng(4);
                for (auto &c : codes)
                    c = (uint8_t)rng();
                std::vector<float> out(n);
                const int reps = (int)std::max<size_t>(1, 2000000 / (n * m));
                for (const Impl &impl : impls) {
                    if (impl.level > top || (nbits == 8 && std::strncmp(impl.name, "perm", 4) == 0))
                        continue;
                    double t = best_time(trials, reps, [&] {
                        impl.fn(m, ksub, table.data(), 0.0f, n, codes.data(), out.data());
                    });
                    g_sink = out[n / 2];
                    std::printf("pq_scan %-13s m=%-2zu nbits=%d n=%-5zu: %6.2f ns/row %5.3f ns/term\n",
                                impl.name, m, nbits, n, t / n * 1e9, t / n / m * 1e9);
                }
            }
    bench_pq_int(quick);
    /* per-probe tables: (d, m) of ivfpq's defaults at 128, 784 and 768 dims */
    const size_t shapes[][2] = {{128, 16}, {784, 49}, {768, 96}};
    for (int nbits : {8, 4})
        for (const auto &dm : shapes) {
            const size_t d = dm[0], m = dm[1], ksub = (size_t)1 << nbits;
            auto cbT = random_floats(d * ksub, 5), q = random_floats(d, 6);
            std::vector<float> table(m * ksub), terms = random_floats(m * ksub, 7);
            for (int level = 0; level <= top; level++) {
                pgvq_set_simd_level(level);
                double ti = best_time(trials, quick ? 20 : 200, [&] {
                    pgvq_pq_ip_table_t(d, q.data(), m, nbits, cbT.data(), -1.0f, table.data());
                });
                double tm = best_time(trials, quick ? 50 : 2000, [&] {
                    pgvq_fvec_madd(m * ksub, terms.data(), 2.0f, table.data(), table.data());
                });
                g_sink = table[3];
                std::printf("pq_ip_table_t %-6s d=%-3zu m=%-2zu nbits=%d: %7.2f us   fvec_madd "
                            "n=%-5zu: %6.2f us\n",
                            pgvq_simd_level(), d, m, nbits, ti * 1e6, m * ksub, tm * 1e6);
            }
        }
    pgvq_set_simd_level(top);
}


/*
 * The text parsers on a 768-dimension vector: N(0, sd) elements (sd 0.05 is
 * a unit-norm embedding's spread, sd 1 gives more digits before the point),
 * each printed in its shortest round-trip form, as float4out does.
 */
void bench_parse() {
    const size_t d = 768;
    for (float sd : {0.05f, 1.0f}) {
        std::mt19937 rng(11);
        std::normal_distribution<float> nd(0.0f, sd);
        std::string text = "[", sparse = "{";
        for (size_t i = 0; i < d; i++) {
            char buf[32];
            std::to_chars_result r = std::to_chars(buf, buf + sizeof buf, nd(rng));
            std::string el(buf, r.ptr);
            text += (i ? "," : "") + el;
            sparse += (i ? "," : "") + std::to_string(i + 1) + ":" + el;
        }
        text += "]";
        sparse += "}/" + std::to_string(d);
        std::vector<float> out(d), vals(d);
        std::vector<int32_t> idx(d);
        int dim = 0, pos = 0;
        pgvq_sparse_info info;
        double tv = best_time(40, 300, [&] {
            pgvq_parse_vector(text.c_str(), out.data(), (int)d, &dim, &pos);
            g_sink = out[d - 1];
        });
        double ts = best_time(40, 300, [&] {
            pgvq_parse_sparsevec(sparse.c_str(), idx.data(), vals.data(), d, &info);
            g_sink = vals[d - 1];
        });
        std::printf("parse_vector    d=%zu sd=%-4g (%zu bytes): %6.2f ns/element\n", d, sd,
                    text.size(), tv * 1e9 / d);
        std::printf("parse_sparsevec d=%zu sd=%-4g (%zu bytes): %6.2f ns/element\n", d, sd,
                    sparse.size(), ts * 1e9 / d);
    }
}

} // namespace

int main(int argc, char **argv) {
    const bool quick = argc > 1 && std::string(argv[1]) == "quick";
    pgvq_init();
    const int top = pgvq::simd_level_supported();
    std::printf("cpu supports level %d; default %s\n", top, pgvq_simd_level());
    if (argc > 1 && std::string(argv[1]) == "parse") {
        bench_parse();
        return 0;
    }
    if (argc > 1 && std::string(argv[1]) == "pq") {
        bench_pq(top, false);
        return 0;
    }

    /* ---- distance kernels: a 256 KiB working set (cache resident), best of 5 ---- */
    for (size_t d : {3, 16, 128, 768, 1536}) {
        const size_t n = 65536 / d;
        auto x = random_floats(n * d, 1), q = random_floats(d, 2);
        std::vector<float> out(n);
        for (int level = 0; level <= top; level++) {
            pgvq_set_simd_level(level);
            for (int metric : {0, 1, 2, 3}) {
                const int reps = quick ? 20 : 200;
                double best = 1e30;
                for (int trial = 0; trial < 5; trial++) {
                    double t0 = now();
                    for (int r = 0; r < reps; r++)
                        pgvq_distances_1xn(metric, q.data(), n, d, x.data(), out.data());
                    best = std::min(best, (now() - t0) / reps / n);
                }
                std::printf("distances_1xn %-6s metric=%d d=%-4zu: %8.1f ns/vector %6.2f GFLOP/s\n",
                            pgvq_simd_level(), metric, d, best * 1e9, 2.0 * d / best / 1e9);
            }
        }
    }
    pgvq_set_simd_level(top);

    /* ---- PQ scans and per-probe tables ---- */
    bench_pq(top, quick);

    /* ---- distance tables ---- */
    for (auto dm : {std::make_pair<size_t, size_t>(128, 16), std::make_pair<size_t, size_t>(768, 96)}) {
        const size_t d = dm.first, m = dm.second;
        auto cb = random_floats(256 * d, 5), q = random_floats(d, 6);
        std::vector<float> table(m * 256);
        int reps = quick ? 50 : 1000;
        double t0 = now();
        for (int r = 0; r < reps; r++)
            pgvq_pq_distance_table(PGVQ_METRIC_L2, d, q.data(), m, 8, cb.data(), table.data());
        std::printf("pq_distance_table d=%zu m=%zu nbits=8: %.1f us\n", d, m,
                    (now() - t0) / reps * 1e6);
    }

    /* ---- k-means and PQ ---- */
    {
        const size_t n = quick ? 5000 : 50000, d = 128, k = quick ? 64 : 256;
        auto x = random_floats(n * d, 7);
        std::vector<float> cent(k * d);
        for (int nthreads : {1, 2}) {
            pgvq_kmeans_params p;
            pgvq_kmeans_params_default(&p);
            p.niter = 10;
            p.nthreads = nthreads;
            double obj;
            double t0 = now();
            int rc = pgvq_kmeans_train(n, d, x.data(), k, &p, cent.data(), &obj, nullptr);
            double t = now() - t0;
            std::printf("kmeans n=%zu d=%zu k=%zu niter=10 threads=%d: %.2f s (rc %d, %.1f GFLOP/s "
                        "in assignments)\n",
                        n, d, k, nthreads, t, rc, 2.0 * n * k * d * 11 / t / 1e9);
        }
        const size_t m = 16;
        std::vector<float> cb(m * 256 * (d / m));
        pgvq_kmeans_params p;
        pgvq_kmeans_params_default(&p);
        p.niter = 10;
        double t0 = now();
        pgvq_pq_train(quick ? n : 20000, d, x.data(), m, 8, &p, cb.data(), nullptr);
        std::printf("pq_train n=%zu d=%zu m=%zu nbits=8 niter=10: %.2f s\n", quick ? n : 20000, d,
                    m, now() - t0);
        std::vector<uint8_t> codes(n * m);
        for (int nthreads : {1, 2}) {
            t0 = now();
            pgvq_pq_encode(n, d, x.data(), m, 8, cb.data(), codes.data(), nthreads, nullptr,
                           nullptr, nullptr);
            double t = now() - t0;
            std::printf("pq_encode n=%zu d=%zu m=%zu threads=%d: %.0f vectors/s\n", n, d, m,
                        nthreads, n / t);
        }
    }
    return 0;
}
