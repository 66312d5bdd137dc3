/*
 * pgvq_bench_core: micro benchmarks of the core's hot paths (distance kernels
 * per SIMD level, PQ code scanning per implementation, distance tables,
 * k-means, PQ encoding).  Synthetic data; prints one line per measurement.
 *
 *   build/dev/pgvq_bench_core [quick]
 */
#include <algorithm>
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

} // namespace

int main(int argc, char **argv) {
    const bool quick = argc > 1 && std::string(argv[1]) == "quick";
    pgvq_init();
    const int top = pgvq::simd_level_supported();
    std::printf("cpu supports level %d; default %s\n", top, pgvq_simd_level());

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

    /* ---- PQ scan implementations ---- */
    struct Impl {
        const char *name;
        pgvq::PqScanFn fn;
        int level;
    } impls[] = {{"scalar4", pgvq::pq_scan_codes_scalar, 0},
                 {"gather_avx2", pgvq::pq_scan_codes_gather_avx2, 1},
                 {"gather_avx512", pgvq::pq_scan_codes_gather_avx512, 2}};
    for (size_t m : {8, 16, 32, 64, 96}) {
        for (int nbits : {4, 8}) {
            const size_t ksub = (size_t)1 << nbits, n = 8192;
            auto table = random_floats(m * ksub, 3);
            std::vector<uint8_t> codes(n * m);
            std::mt19937 rng(4);
            for (auto &c : codes)
                c = (uint8_t)(rng() % ksub);
            std::vector<float> out(n);
            for (const Impl &impl : impls) {
                if (impl.level > top)
                    continue;
                int reps = quick ? 20 : 200;
                impl.fn(m, ksub, table.data(), 0.0f, n, codes.data(), out.data());
                double t0 = now();
                for (int r = 0; r < reps; r++)
                    impl.fn(m, ksub, table.data(), 0.0f, n, codes.data(), out.data());
                double t = (now() - t0) / reps / n;
                g_sink = out[7];
                std::printf("pq_scan %-14s m=%-3zu nbits=%d: %.2f ns/code\n", impl.name, m, nbits,
                            t * 1e9);
            }
        }
    }

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
