/*
 * test_pq_kernels.cpp: the PQ kernels of every SIMD level (code scan, inner
 * product tables from transposed codebooks, madd) against plain loops in the
 * documented order, bit for bit, on the shapes ivfpq uses: m = 16/49/96 and
 * odd m, ksub = 2..256, n across the 8- and 16-row blocks and the 128-row
 * blocks of tables over 64 KiB, code bytes with bits above nbits.
 */
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "distances.h"
#include "pgvq_core.h"

namespace {

std::vector<int> levels() {
    const int top = pgvq::simd_level_supported();
    std::vector<int> v;
    for (int l = 0; l <= top; l++)
        v.push_back(l);
    return v;
}

class LevelGuard {
  public:
    LevelGuard() : saved_(pgvq::kernels().level) {}
    ~LevelGuard() { pgvq_set_simd_level(saved_); }

  private:
    int saved_;
};

std::vector<float> random_floats(size_t n, std::mt19937 &rng) {
    std::uniform_real_distribution<float> ud(-4.0f, 4.0f);
    std::vector<float> v(n);
    for (auto &x : v)
        x = ud(rng);
    return v;
}

/* bias, then table[j][code & (ksub-1)] for j = 0..m-1, in float. */
std::vector<float> scan_reference(size_t m, size_t ksub, const std::vector<float> &table,
                                  float bias, size_t n, const std::vector<uint8_t> &codes) {
    std::vector<float> want(n);
    for (size_t i = 0; i < n; i++) {
        float s = bias;
        for (size_t j = 0; j < m; j++)
            s += table[j * ksub + (codes[i * m + j] & (ksub - 1))];
        want[i] = s;
    }
    return want;
}

} // namespace

/* pgvq_pq_scan_codes at every level: the ivfpq shapes, the blocked path of
 * tables over 64 KiB (m = 96 and 65 at nbits 8), n across row blocks. */
TEST(PqKernels, ScanEveryLevelBitIdentical) {
    LevelGuard g;
    std::mt19937 rng(11);
    for (int nbits : {8, 7, 5, 4, 3, 1}) {
        const size_t ksub = (size_t)1 << nbits;
        for (size_t m : {16, 49, 96, 65, 7, 130}) {
            const auto table = random_floats(m * ksub, rng);
            for (size_t n : {1, 7, 8, 9, 15, 16, 17, 127, 128, 129, 301}) {
                std::vector<uint8_t> codes(n * m); /* exact size: ASan sees over-reads */
                for (auto &c : codes)
                    c = (uint8_t)rng(); /* bits above nbits set */
                const auto want = scan_reference(m, ksub, table, -1.5f, n, codes);
                for (int level : levels()) {
                    ASSERT_EQ(pgvq_set_simd_level(level), level);
                    std::vector<float> got(n + 1, 777.0f);
                    pgvq_pq_scan_codes(m, nbits, table.data(), -1.5f, n, codes.data(), got.data());
                    for (size_t i = 0; i < n; i++)
                        ASSERT_EQ(got[i], want[i]) << "level " << level << " nbits " << nbits
                                                   << " m " << m << " n " << n << " i " << i;
                    ASSERT_EQ(got[n], 777.0f) << "wrote past n";
                }
            }
        }
    }
}

/* Codes of 255 everywhere, nbits 4: the mask keeps every lookup in the table
 * (the table is exactly m * 16 floats, so ASan catches a read past it). */
TEST(PqKernels, ScanMasksHighBits) {
    LevelGuard g;
    const size_t m = 33, n = 40;
    std::vector<float> table(m * 16);
    for (size_t i = 0; i < table.size(); i++)
        table[i] = (float)(i % 16); /* entry 15 of every column: 15 */
    std::vector<uint8_t> codes(n * m, 0xFF);
    for (int level : levels()) {
        ASSERT_EQ(pgvq_set_simd_level(level), level);
        std::vector<float> got(n);
        pgvq_pq_scan_codes(m, 4, table.data(), 0.0f, n, codes.data(), got.data());
        for (size_t i = 0; i < n; i++)
            ASSERT_EQ(got[i], 15.0f * m) << "level " << level;
    }
}

/* pgvq_pq_ip_table_t at every level = the products rounded to float and
 * added in the order s = 0..dsub-1 (no FMA), for dsub = 1..16, ksub 2..256. */
TEST(PqKernels, IpTableEveryLevelBitIdentical) {
    LevelGuard g;
    std::mt19937 rng(12);
    for (int nbits : {8, 4, 5, 3, 1}) {
        const size_t ksub = (size_t)1 << nbits;
        for (size_t dsub : {1, 2, 3, 5, 8, 13, 16}) {
            for (size_t m : {1, 3, 16, 49}) {
                const size_t d = m * dsub;
                const auto q = random_floats(d, rng), cbT = random_floats(m * dsub * ksub, rng);
                for (float scale : {-1.0f, 2.0f, 0.37f}) {
                    std::vector<float> want(m * ksub);
                    for (size_t j = 0; j < m; j++)
                        for (size_t k = 0; k < ksub; k++) {
                            const float *t = cbT.data() + j * dsub * ksub;
                            float o = (q[j * dsub] * scale) * t[k];
                            for (size_t s = 1; s < dsub; s++)
                                o += (q[j * dsub + s] * scale) * t[s * ksub + k];
                            want[j * ksub + k] = o;
                        }
                    for (int level : levels()) {
                        ASSERT_EQ(pgvq_set_simd_level(level), level);
                        std::vector<float> got(m * ksub + 1, 777.0f);
                        pgvq_pq_ip_table_t(d, q.data(), m, nbits, cbT.data(), scale, got.data());
                        ASSERT_EQ(std::memcmp(got.data(), want.data(), want.size() * sizeof(float)), 0)
                            << "level " << level << " nbits " << nbits << " dsub " << dsub << " m " << m;
                        ASSERT_EQ(got[m * ksub], 777.0f) << "wrote past the table";
                    }
                }
            }
        }
    }
}

/* pgvq_fvec_madd at every level: c = a + bf * b (product rounded first, so a
 * fused multiply-add fails at bf = 0.37), for every tail length, in place on a
 * and on b. */
TEST(PqKernels, MaddEveryLevelBitIdentical) {
    LevelGuard g;
    std::mt19937 rng(13);
    for (size_t n : {0, 1, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 100, 12544})
        for (float bf : {2.0f, 0.37f}) {
            const auto a = random_floats(n, rng), b = random_floats(n, rng);
            std::vector<float> want(n);
            for (size_t i = 0; i < n; i++)
                want[i] = a[i] + bf * b[i];
            for (int level : levels()) {
                ASSERT_EQ(pgvq_set_simd_level(level), level);
                std::vector<float> c(n + 1, 777.0f), ina = a, inb = b;
                pgvq_fvec_madd(n, a.data(), bf, b.data(), c.data());
                pgvq_fvec_madd(n, ina.data(), bf, b.data(), ina.data());
                pgvq_fvec_madd(n, a.data(), bf, inb.data(), inb.data());
                for (size_t i = 0; i < n; i++) {
                    ASSERT_EQ(c[i], want[i]) << "level " << level << " n " << n << " i " << i;
                    ASSERT_EQ(ina[i], want[i]) << "in place on a, level " << level;
                    ASSERT_EQ(inb[i], want[i]) << "in place on b, level " << level;
                }
                ASSERT_EQ(c[n], 777.0f) << "wrote past n";
            }
        }
}
