// GPU module tests: the C API contract (run everywhere) and GPU-vs-CPU
// comparisons on fixed-seed data (skipped with a message when no CUDA device
// is present).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "pgvq_core.h"
#include "pgvq_gpu.h"

namespace {

bool HaveDevice(std::string *why) {
  int count = 0;
  pgvq_status st;
  std::memset(&st, 0, sizeof(st));
  const int rc = pgvq_gpu_device_count(&count, &st);
  if (rc != PGVQ_OK || count <= 0) {
    *why = st.message[0] ? st.message : "pgvq_gpu_device_count found none";
    return false;
  }
  return true;
}

#define REQUIRE_GPU()                                                                \
  do {                                                                               \
    std::string why_;                                                                \
    if (!HaveDevice(&why_))                                                          \
      GTEST_SKIP() << "no CUDA device present (" << why_                             \
                   << "): GPU-vs-CPU comparison skipped";                            \
  } while (0)

// Overlapping Gaussian clusters of different spreads, fixed seed.
std::vector<float> MakeData(size_t n, size_t d, size_t nclusters, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> centers(nclusters * d), spread(nclusters);
  for (auto &v : centers) v = 2.f * normal(rng);
  for (auto &s : spread) s = 0.5f + std::fabs(normal(rng));
  std::vector<float> x(n * d);
  for (size_t i = 0; i < n; ++i) {
    const size_t c = rng() % nclusters;
    for (size_t t = 0; t < d; ++t) x[i * d + t] = centers[c * d + t] + spread[c] * normal(rng);
  }
  return x;
}

double L2(const float *a, const float *b, size_t d) {
  double s = 0.0;
  for (size_t t = 0; t < d; ++t) {
    const double df = static_cast<double>(a[t]) - b[t];
    s += df * df;
  }
  return s;
}

// Sum over rows of the squared distance to the nearest centroid (double, brute force).
double Objective(const std::vector<float> &x, size_t d, const std::vector<float> &cent, size_t k) {
  const size_t n = x.size() / d;
  double total = 0.0;
  for (size_t i = 0; i < n; ++i) {
    double best = INFINITY;
    for (size_t c = 0; c < k; ++c) best = std::min(best, L2(&x[i * d], &cent[c * d], d));
    total += best;
  }
  return total;
}

pgvq_kmeans_params Params(int niter, uint64_t seed) {
  pgvq_kmeans_params p;
  pgvq_kmeans_params_default(&p);
  p.niter = niter;
  p.seed = seed;
  return p;
}

pgvq_status NewStatus() {
  pgvq_status st;
  std::memset(&st, 0, sizeof(st));
  return st;
}

// ---- the C API contract (no device needed) -------------------------------------

TEST(GpuApi, VersionAndDispatchTable) {
  const char *v = pgvq_gpu_version();
  ASSERT_NE(v, nullptr);
  EXPECT_NE(std::string(v).find("pgvq_gpu"), std::string::npos) << v;
  const pgvq_gpu_api *api = pgvq_gpu_get_api(PGVQ_GPU_ABI_VERSION);
  ASSERT_NE(api, nullptr);
  EXPECT_EQ(api->abi_version, PGVQ_GPU_ABI_VERSION);
  EXPECT_EQ(api->struct_size, sizeof(pgvq_gpu_api));
  EXPECT_EQ(api->kmeans_train, &pgvq_gpu_kmeans_train);
  EXPECT_EQ(api->pq_train, &pgvq_gpu_pq_train);
  EXPECT_EQ(api->ivfpq_encode, &pgvq_gpu_ivfpq_encode);
  EXPECT_EQ(api->assign_l2, &pgvq_gpu_assign_l2);
  EXPECT_EQ(api->device_count, &pgvq_gpu_device_count);
  EXPECT_EQ(pgvq_gpu_get_api(PGVQ_GPU_ABI_VERSION + 1), nullptr);
  EXPECT_EQ(pgvq_gpu_get_api(0), nullptr);
}

TEST(GpuApi, DeviceCountNeverFails) {
  int count = -1;
  pgvq_status st = NewStatus();
  ASSERT_EQ(pgvq_gpu_device_count(&count, &st), PGVQ_OK) << st.message;
  EXPECT_GE(count, 0);
  if (count == 0) {
    EXPECT_NE(std::string(st.message).find("no usable CUDA device"), std::string::npos);
  }
  EXPECT_EQ(pgvq_gpu_device_count(nullptr, &st), PGVQ_INVALID_ARGUMENT);
}

TEST(GpuApi, RejectsBadArgumentsBeforeTouchingTheDevice) {
  const size_t n = 100, d = 8;
  std::vector<float> x(n * d, 1.f), cent(4 * d), cb(2 * 256 * 4);
  std::vector<int64_t> labels(n);
  std::vector<uint8_t> codes(n * 2);
  pgvq_status st = NewStatus();
  EXPECT_EQ(pgvq_gpu_kmeans_train(n, 0, x.data(), 4, nullptr, nullptr, cent.data(), nullptr, &st),
            PGVQ_INVALID_ARGUMENT);
  EXPECT_EQ(st.code, PGVQ_INVALID_ARGUMENT);
  EXPECT_STRNE(st.message, "");
  EXPECT_EQ(pgvq_gpu_kmeans_train(n, d, x.data(), 0, nullptr, nullptr, cent.data(), nullptr, &st),
            PGVQ_INVALID_ARGUMENT);
  EXPECT_EQ(pgvq_gpu_kmeans_train(0, d, x.data(), 4, nullptr, nullptr, cent.data(), nullptr, &st),
            PGVQ_INVALID_ARGUMENT);
  pgvq_kmeans_params bad = Params(-1, 1);
  EXPECT_EQ(pgvq_gpu_kmeans_train(n, d, x.data(), 4, &bad, nullptr, cent.data(), nullptr, &st),
            PGVQ_INVALID_ARGUMENT);
  EXPECT_EQ(pgvq_gpu_pq_train(n, d, x.data(), 0, nullptr, 3, 8, nullptr, nullptr, cb.data(), &st),
            PGVQ_INVALID_ARGUMENT);  // 3 does not divide 8
  EXPECT_EQ(pgvq_gpu_pq_train(n, d, x.data(), 0, nullptr, 2, 9, nullptr, nullptr, cb.data(), &st),
            PGVQ_INVALID_ARGUMENT);
  EXPECT_EQ(pgvq_gpu_pq_train(n, d, x.data(), 4, nullptr, 2, 8, nullptr, nullptr, cb.data(), &st),
            PGVQ_INVALID_ARGUMENT);  // nlist without centroids
  EXPECT_EQ(pgvq_gpu_ivfpq_encode(n, d, x.data(), 4, cent.data(), 2, 8, cb.data(), labels.data(),
                                  nullptr, nullptr, nullptr, nullptr, &st),
            PGVQ_INVALID_ARGUMENT);  // no codes buffer
  EXPECT_EQ(pgvq_gpu_assign_l2(n, d, x.data(), 4, cent.data(), nullptr, nullptr, nullptr, nullptr,
                               nullptr, &st),
            PGVQ_INVALID_ARGUMENT);
}

TEST(GpuApi, MoreCentroidsThanRowsMatchesTheCpuExactly) {
  // k >= n is answered on the host, exactly as the CPU core does it: the
  // rows, then copies of random rows scaled by (1 +- 1/1024).
  const size_t n = 5, d = 4, k = 8;
  std::vector<float> x = MakeData(n, d, 2, 7), gpu(k * d), cpu(k * d);
  pgvq_kmeans_params p = Params(10, 77);
  double gobj = -1.0, cobj = -1.0;
  pgvq_status st = NewStatus();
  ASSERT_EQ(pgvq_gpu_kmeans_train(n, d, x.data(), k, &p, nullptr, gpu.data(), &gobj, &st), PGVQ_OK)
      << st.message;
  ASSERT_EQ(pgvq_kmeans_train(n, d, x.data(), k, &p, cpu.data(), &cobj, &st), PGVQ_OK) << st.message;
  EXPECT_EQ(gobj, 0.0);
  EXPECT_NEAR(cobj, 0.0, 1e-3);
  EXPECT_EQ(std::memcmp(gpu.data(), cpu.data(), gpu.size() * sizeof(float)), 0);

  // The same for PQ codebooks with fewer rows than sub-centroids (seed + j per sub-space).
  const size_t m = 2, nbits = 4, ksub = 16;
  std::vector<float> gcb(m * ksub * (d / m)), ccb(gcb.size());
  ASSERT_EQ(pgvq_gpu_pq_train(n, d, x.data(), 0, nullptr, m, nbits, &p, nullptr, gcb.data(), &st),
            PGVQ_OK)
      << st.message;
  ASSERT_EQ(pgvq_pq_train(n, d, x.data(), m, nbits, &p, ccb.data(), &st), PGVQ_OK) << st.message;
  EXPECT_EQ(std::memcmp(gcb.data(), ccb.data(), gcb.size() * sizeof(float)), 0);
}

TEST(GpuApi, RejectsNonFiniteInput) {
  const size_t n = 50, d = 4, k = 4;
  std::vector<float> x = MakeData(n, d, 2, 9), cent(k * d);
  x[17 * d + 2] = NAN;
  pgvq_status st = NewStatus();
  EXPECT_EQ(pgvq_gpu_kmeans_train(n, d, x.data(), k, nullptr, nullptr, cent.data(), nullptr, &st),
            PGVQ_INVALID_ARGUMENT);
  EXPECT_NE(std::string(st.message).find("row 17"), std::string::npos) << st.message;
}

TEST(GpuApi, ClearErrorWithoutAUsableDevice) {
  const size_t n = 200, d = 8, k = 4;
  std::vector<float> x = MakeData(n, d, 4, 3), cent(k * d);
  pgvq_status st = NewStatus();
  std::string why;
  if (!HaveDevice(&why)) {
    EXPECT_EQ(pgvq_gpu_kmeans_train(n, d, x.data(), k, nullptr, nullptr, cent.data(), nullptr, &st),
              PGVQ_INTERNAL);
    EXPECT_NE(std::string(st.message).find("no usable CUDA device"), std::string::npos)
        << st.message;
  } else {
    pgvq_gpu_options o;
    pgvq_gpu_options_default(&o);
    o.device = 4096;
    EXPECT_EQ(pgvq_gpu_kmeans_train(n, d, x.data(), k, nullptr, &o, cent.data(), nullptr, &st),
              PGVQ_INVALID_ARGUMENT);
    EXPECT_NE(std::string(st.message).find("does not exist"), std::string::npos) << st.message;
  }
}

// ---- GPU against CPU (device needed) -----------------------------------------------

TEST(GpuVsCpu, KmeansObjectiveWithinOnePercent) {
  REQUIRE_GPU();
  const size_t n = 20000, d = 64, k = 100;
  std::vector<float> x = MakeData(n, d, 150, 11);
  std::vector<float> cpu(k * d), gpu(k * d);
  pgvq_kmeans_params p = Params(20, 1234);
  double cpu_obj = 0, gpu_obj = 0;
  pgvq_status st = NewStatus();
  ASSERT_EQ(pgvq_kmeans_train(n, d, x.data(), k, &p, cpu.data(), &cpu_obj, &st), PGVQ_OK)
      << st.message;
  ASSERT_EQ(pgvq_gpu_kmeans_train(n, d, x.data(), k, &p, nullptr, gpu.data(), &gpu_obj, &st),
            PGVQ_OK)
      << st.message;
  const double cpu_true = Objective(x, d, cpu, k), gpu_true = Objective(x, d, gpu, k);
  EXPECT_LE(std::fabs(gpu_true - cpu_true), 0.01 * cpu_true)
      << "GPU objective " << gpu_true << " vs CPU " << cpu_true;
  // The reported objective is that of the returned centroids (a final assignment).
  EXPECT_NEAR(gpu_obj, gpu_true, 1e-3 * gpu_true);
  EXPECT_NEAR(cpu_obj, cpu_true, 1e-3 * cpu_true);
  for (float v : gpu) ASSERT_TRUE(std::isfinite(v));
}

TEST(GpuVsCpu, KmeansIsDeterministicAndStreamingGivesTheSameResult) {
  REQUIRE_GPU();
  // d = 48 > 32: the SGEMM assignment path.
  const size_t n = 30000, d = 48, k = 16;
  std::vector<float> x = MakeData(n, d, 20, 5);
  pgvq_kmeans_params p = Params(8, 99);
  pgvq_gpu_options resident, streamed;
  pgvq_gpu_options_default(&resident);
  resident.batch_rows = 3000;
  streamed = resident;
  streamed.max_memory = 3u << 20;  // the 5.8 MB of rows do not fit: streamed in batches
  std::vector<float> a(k * d), b(k * d), c(k * d);
  double oa = 0, ob = 0, oc = 0;
  pgvq_status st = NewStatus();
  ASSERT_EQ(pgvq_gpu_kmeans_train(n, d, x.data(), k, &p, &resident, a.data(), &oa, &st), PGVQ_OK)
      << st.message;
  ASSERT_EQ(pgvq_gpu_kmeans_train(n, d, x.data(), k, &p, &resident, b.data(), &ob, &st), PGVQ_OK)
      << st.message;
  ASSERT_EQ(pgvq_gpu_kmeans_train(n, d, x.data(), k, &p, &streamed, c.data(), &oc, &st), PGVQ_OK)
      << st.message;
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0) << "not deterministic";
  EXPECT_EQ(oa, ob);
  // Same batches, same seeding sample: only where the rows live differs
  // (cuBLAS may pick another kernel for another pointer alignment, so allow
  // rounding-level differences).
  EXPECT_NEAR(oc, oa, 1e-4 * oa) << "streamed batches differ from resident batches";
  double maxdiff = 0.0;
  for (size_t i = 0; i < a.size(); ++i) maxdiff = std::max(maxdiff, std::fabs(double(a[i]) - c[i]));
  EXPECT_LT(maxdiff, 1e-2);
}

TEST(GpuVsCpu, EmptyClustersAreRepaired) {
  REQUIRE_GPU();
  // 40 distinct points repeated, 32 centroids: seeding and repair must still
  // give 32 distinct centroids near the data.
  const size_t distinct = 40, reps = 50, d = 8, k = 32;
  std::vector<float> base = MakeData(distinct, d, 40, 21), x;
  for (size_t r = 0; r < reps; ++r) x.insert(x.end(), base.begin(), base.end());
  const size_t n = distinct * reps;
  std::vector<float> cent(k * d);
  pgvq_kmeans_params p = Params(10, 3);
  pgvq_status st = NewStatus();
  ASSERT_EQ(pgvq_gpu_kmeans_train(n, d, x.data(), k, &p, nullptr, cent.data(), nullptr, &st),
            PGVQ_OK)
      << st.message;
  for (size_t a = 0; a < k; ++a)
    for (size_t b = a + 1; b < k; ++b)
      EXPECT_GT(L2(&cent[a * d], &cent[b * d], d), 0.0) << a << " and " << b << " coincide";
}

struct StopAfter {
  int polls_left;
  int polls = 0;
};
int StopAfterFn(void *arg) {
  auto *s = static_cast<StopAfter *>(arg);
  ++s->polls;
  return s->polls_left-- <= 0;
}

TEST(GpuVsCpu, CancellationIsPolledBetweenBatches) {
  REQUIRE_GPU();
  const size_t n = 20000, d = 40, k = 32;
  std::vector<float> x = MakeData(n, d, 40, 8), cent(k * d);
  pgvq_gpu_options o;
  pgvq_gpu_options_default(&o);
  o.batch_rows = 1000;
  // Polls: 1 upload slice + 32 seeding rounds + (1 per iteration + 1 per
  // 1000-row batch); the 41st is the 7th batch of the first iteration.
  StopAfter stop{40};
  pgvq_kmeans_params p = Params(20, 1);
  p.should_stop = StopAfterFn;
  p.stop_arg = &stop;
  pgvq_status st = NewStatus();
  EXPECT_EQ(pgvq_gpu_kmeans_train(n, d, x.data(), k, &p, &o, cent.data(), nullptr, &st),
            PGVQ_CANCELLED);
  EXPECT_EQ(st.code, PGVQ_CANCELLED);
  EXPECT_EQ(stop.polls, 41);

  // Encoding polls too, and the device is fine afterwards.
  const size_t m = 4;
  std::vector<float> cb(m * 256 * (d / m));
  ASSERT_EQ(pgvq_gpu_pq_train(n, d, x.data(), 0, nullptr, m, 8, nullptr, &o, cb.data(), &st),
            PGVQ_OK)
      << st.message;
  std::vector<uint8_t> codes(n * m);
  StopAfter stop2{3};
  EXPECT_EQ(pgvq_gpu_ivfpq_encode(n, d, x.data(), 0, nullptr, m, 8, cb.data(), nullptr,
                                  codes.data(), &o, StopAfterFn, &stop2, &st),
            PGVQ_CANCELLED);
  EXPECT_EQ(stop2.polls, 4);
}

// A mismatch is acceptable only where the two choices are equally near.
bool NearTie(double a, double b) { return std::fabs(a - b) <= 1e-5 * std::max(1.0, std::max(a, b)); }

TEST(GpuVsCpu, AssignmentMatchesCpu) {
  REQUIRE_GPU();
  const size_t n = 20000, d = 96, k = 200;
  std::vector<float> x = MakeData(n, d, 100, 13), cent = MakeData(k, d, 100, 14);
  std::vector<int64_t> lc(n), lg(n);
  std::vector<float> dc(n), dg(n);
  pgvq_status st = NewStatus();
  ASSERT_EQ(pgvq_assign_l2(n, d, x.data(), k, cent.data(), lc.data(), dc.data(), 0, nullptr,
                           nullptr, &st),
            PGVQ_OK)
      << st.message;
  ASSERT_EQ(pgvq_gpu_assign_l2(n, d, x.data(), k, cent.data(), lg.data(), dg.data(), nullptr,
                               nullptr, nullptr, &st),
            PGVQ_OK)
      << st.message;
  size_t mismatches = 0;
  for (size_t i = 0; i < n; ++i) {
    const double exact = L2(&x[i * d], &cent[lg[i] * d], d);
    EXPECT_NEAR(dg[i], exact, 1e-3 * std::max(1.0, exact)) << "row " << i;
    if (lc[i] == lg[i]) continue;
    ++mismatches;
    EXPECT_TRUE(NearTie(exact, L2(&x[i * d], &cent[lc[i] * d], d))) << "row " << i;
  }
  EXPECT_LE(mismatches, n / 1000);
}

TEST(GpuVsCpu, CodesIdenticalForAGivenCodebook) {
  REQUIRE_GPU();
  const size_t n = 20000, d = 64, nlist = 32;
  std::vector<float> x = MakeData(n, d, 60, 17);
  pgvq_kmeans_params p = Params(10, 5);
  pgvq_status st = NewStatus();
  std::vector<float> cent(nlist * d);
  ASSERT_EQ(pgvq_kmeans_train(n, d, x.data(), nlist, &p, cent.data(), nullptr, &st), PGVQ_OK);
  // m = 8 (dsub 8) and m = 2 (dsub 32): the fused kernel with the sub-vector in
  // registers; m = 1 (dsub 64): the SGEMM + arg-min path.
  for (size_t m : {8, 2, 1}) {
    SCOPED_TRACE("m = " + std::to_string(m));
    const size_t dsub = d / m;
    std::vector<float> cb(m * 256 * dsub);
    ASSERT_EQ(pgvq_pq_train(n, d, x.data(), m, 8, &p, cb.data(), &st), PGVQ_OK) << st.message;

    // Plain PQ codes.
    std::vector<uint8_t> cc(n * m), cg(n * m);
    ASSERT_EQ(pgvq_pq_encode(n, d, x.data(), m, 8, cb.data(), cc.data(), 0, nullptr, nullptr, &st),
              PGVQ_OK);
    ASSERT_EQ(pgvq_gpu_ivfpq_encode(n, d, x.data(), 0, nullptr, m, 8, cb.data(), nullptr, cg.data(),
                                    nullptr, nullptr, nullptr, &st),
              PGVQ_OK)
        << st.message;
    size_t mismatches = 0;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < m; ++j) {
        if (cc[i * m + j] == cg[i * m + j]) continue;
        ++mismatches;
        const float *xs = &x[i * d + j * dsub];
        EXPECT_TRUE(NearTie(L2(xs, &cb[(j * 256 + cc[i * m + j]) * dsub], dsub),
                            L2(xs, &cb[(j * 256 + cg[i * m + j]) * dsub], dsub)))
            << "row " << i << " sub-space " << j;
      }
    EXPECT_LE(mismatches, n * m / 10000) << "codes differ beyond near-ties";

    // IVF: list labels, then codes of the residuals.
    std::vector<float> res(n * d);
    std::vector<int64_t> lg(n), lc(n);
    ASSERT_EQ(pgvq_gpu_ivfpq_encode(n, d, x.data(), nlist, cent.data(), m, 8, cb.data(), lg.data(),
                                    cg.data(), nullptr, nullptr, nullptr, &st),
              PGVQ_OK)
        << st.message;
    ASSERT_EQ(pgvq_assign_l2(n, d, x.data(), nlist, cent.data(), lc.data(), nullptr, 0, nullptr,
                             nullptr, &st),
              PGVQ_OK);
    size_t label_mismatches = 0;
    for (size_t i = 0; i < n; ++i) {
      if (lc[i] != lg[i]) {
        ++label_mismatches;
        EXPECT_TRUE(NearTie(L2(&x[i * d], &cent[lc[i] * d], d), L2(&x[i * d], &cent[lg[i] * d], d)));
      }
      for (size_t t = 0; t < d; ++t) res[i * d + t] = x[i * d + t] - cent[lg[i] * d + t];
    }
    EXPECT_LE(label_mismatches, n / 1000);
    ASSERT_EQ(pgvq_pq_encode(n, d, res.data(), m, 8, cb.data(), cc.data(), 0, nullptr, nullptr, &st),
              PGVQ_OK);
    mismatches = 0;
    for (size_t i = 0; i < n * m; ++i) mismatches += cc[i] != cg[i];
    EXPECT_LE(mismatches, n * m / 10000) << "residual codes differ";
  }
}

TEST(GpuVsCpu, PqTrainingOnDeviceResidualsMatchesHostResiduals) {
  REQUIRE_GPU();
  // By default the residuals of the sample stay on the device; with 8 MB of
  // device memory (the 5 MB of rows exceed half of it) they come back to the
  // host and the training reads them from there.  Same codebooks either way,
  // up to the rounding of other batch sizes.
  const size_t n = 20000, d = 64, nlist = 32, m = 8, dsub = d / m;
  std::vector<float> x = MakeData(n, d, 40, 31);
  pgvq_kmeans_params p = Params(8, 77);
  pgvq_status st = NewStatus();
  std::vector<float> cent(nlist * d);
  ASSERT_EQ(pgvq_kmeans_train(n, d, x.data(), nlist, &p, cent.data(), nullptr, &st), PGVQ_OK);
  pgvq_gpu_options dev, host;
  pgvq_gpu_options_default(&dev);
  host = dev;
  host.max_memory = 8u << 20;
  std::vector<float> a(m * 256 * dsub), b(a.size()), c(a.size());
  ASSERT_EQ(pgvq_gpu_pq_train(n, d, x.data(), nlist, cent.data(), m, 8, &p, &dev, a.data(), &st),
            PGVQ_OK)
      << st.message;
  ASSERT_EQ(pgvq_gpu_pq_train(n, d, x.data(), nlist, cent.data(), m, 8, &p, &dev, b.data(), &st),
            PGVQ_OK)
      << st.message;
  ASSERT_EQ(pgvq_gpu_pq_train(n, d, x.data(), nlist, cent.data(), m, 8, &p, &host, c.data(), &st),
            PGVQ_OK)
      << st.message;
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0) << "not deterministic";
  double maxdiff = 0.0;
  for (size_t i = 0; i < a.size(); ++i) maxdiff = std::max(maxdiff, std::fabs(double(a[i]) - c[i]));
  EXPECT_LT(maxdiff, 1e-2);
}

TEST(GpuVsCpu, StagedUploadGivesTheSameCodes) {
  REQUIRE_GPU();
  // 150000 x 128 floats (77 MB) in one batch go through the pinned staging
  // buffers (32 MB chunks, both buffers used twice); 4096-row batches (2 MB)
  // are plain copies.  The results must agree.
  const size_t n = 150000, d = 128, nlist = 64, m = 16, dsub = d / m;
  std::vector<float> x = MakeData(n, d, 80, 41);
  std::vector<float> cent(x.begin(), x.begin() + nlist * d);
  std::vector<float> cb(m * 256 * dsub);
  for (size_t j = 0; j < m; ++j)
    for (size_t c = 0; c < 256; ++c)
      std::memcpy(&cb[(j * 256 + c) * dsub], &x[(1000 + c * 7) * d + j * dsub], dsub * sizeof(float));
  pgvq_gpu_options big, small;
  pgvq_gpu_options_default(&big);
  small = big;
  small.batch_rows = 4096;
  std::vector<int64_t> la(n), lb(n);
  std::vector<uint8_t> ca(n * m), cb2(n * m);
  pgvq_status st = NewStatus();
  ASSERT_EQ(pgvq_gpu_ivfpq_encode(n, d, x.data(), nlist, cent.data(), m, 8, cb.data(), la.data(),
                                  ca.data(), &big, nullptr, nullptr, &st),
            PGVQ_OK)
      << st.message;
  ASSERT_EQ(pgvq_gpu_ivfpq_encode(n, d, x.data(), nlist, cent.data(), m, 8, cb.data(), lb.data(),
                                  cb2.data(), &small, nullptr, nullptr, &st),
            PGVQ_OK)
      << st.message;
  size_t label_mismatches = 0, code_mismatches = 0;
  for (size_t i = 0; i < n; ++i) {
    if (la[i] != lb[i]) {
      ++label_mismatches;
      EXPECT_TRUE(NearTie(L2(&x[i * d], &cent[la[i] * d], d), L2(&x[i * d], &cent[lb[i] * d], d)))
          << "row " << i;
      continue;
    }
    for (size_t j = 0; j < m; ++j) code_mismatches += ca[i * m + j] != cb2[i * m + j];
  }
  EXPECT_LE(label_mismatches, n / 1000);
  EXPECT_EQ(code_mismatches, 0u) << "same list, same residual, other code";
}

// ---- an IVF-PQ index trained on either side, searched the same way ------------------

struct Ivfpq {
  size_t nlist = 0, m = 0;
  std::vector<float> cent, cb;
  std::vector<int64_t> labels;
  std::vector<uint8_t> codes;
};

// recall@10: nprobe lists, ADC over residual tables, the best `rerank`
// candidates re-ranked by exact L2.
double Recall(const Ivfpq &ix, const std::vector<float> &x, size_t d, const std::vector<float> &q,
              const std::vector<std::vector<int64_t>> &gt, size_t nprobe, size_t rerank) {
  const size_t n = x.size() / d, nq = q.size() / d, m = ix.m, ksub = 256;
  std::vector<std::vector<int64_t>> members(ix.nlist);
  for (size_t i = 0; i < n; ++i) members[ix.labels[i]].push_back(static_cast<int64_t>(i));
  size_t hits = 0;
  std::vector<float> cd(ix.nlist), table(m * ksub), qr(d), dist;
  std::vector<uint8_t> codes;
  for (size_t qi = 0; qi < nq; ++qi) {
    const float *qq = &q[qi * d];
    pgvq_distances_1xn(PGVQ_METRIC_L2, qq, ix.nlist, d, ix.cent.data(), cd.data());
    std::vector<size_t> order(ix.nlist);
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + nprobe, order.end(),
                      [&](size_t a, size_t b) { return cd[a] < cd[b] || (cd[a] == cd[b] && a < b); });
    std::vector<std::pair<float, int64_t>> cand;
    for (size_t p = 0; p < nprobe; ++p) {
      const size_t l = order[p];
      for (size_t t = 0; t < d; ++t) qr[t] = qq[t] - ix.cent[l * d + t];
      pgvq_pq_distance_table(PGVQ_METRIC_L2, d, qr.data(), m, 8, ix.cb.data(), table.data());
      const auto &mem = members[l];
      codes.resize(mem.size() * m);
      for (size_t r = 0; r < mem.size(); ++r)
        std::memcpy(&codes[r * m], &ix.codes[mem[r] * m], m);
      dist.resize(mem.size());
      pgvq_pq_scan_codes(m, 8, table.data(), 0.f, mem.size(), codes.data(), dist.data());
      for (size_t r = 0; r < mem.size(); ++r) cand.emplace_back(dist[r], mem[r]);
    }
    const size_t keep = std::min(rerank, cand.size());
    std::partial_sort(cand.begin(), cand.begin() + keep, cand.end());
    std::vector<std::pair<double, int64_t>> exact;
    for (size_t r = 0; r < keep; ++r)
      exact.emplace_back(L2(qq, &x[cand[r].second * d], d), cand[r].second);
    std::sort(exact.begin(), exact.end());
    for (size_t r = 0; r < std::min<size_t>(10, exact.size()); ++r)
      hits += std::count(gt[qi].begin(), gt[qi].end(), exact[r].second);
  }
  return static_cast<double>(hits) / (10.0 * nq);
}

std::vector<std::vector<int64_t>> GroundTruth(const std::vector<float> &x, size_t d,
                                              const std::vector<float> &q) {
  const size_t n = x.size() / d, nq = q.size() / d;
  std::vector<std::vector<int64_t>> gt(nq);
  std::vector<std::pair<double, int64_t>> all(n);
  for (size_t qi = 0; qi < nq; ++qi) {
    for (size_t i = 0; i < n; ++i) all[i] = {L2(&q[qi * d], &x[i * d], d), static_cast<int64_t>(i)};
    std::partial_sort(all.begin(), all.begin() + 10, all.end());
    for (size_t r = 0; r < 10; ++r) gt[qi].push_back(all[r].second);
  }
  return gt;
}

TEST(GpuVsCpu, IvfpqRecallWithinHalfAPointOfCpu) {
  REQUIRE_GPU();
  // With these settings CPU-trained indexes with six different seeds reach
  // recall 0.976-0.980 (measured), so 0.005 tolerates training noise while a
  // broken quantizer (wrong lists, codes or codebooks) falls far below.
  const size_t n = 20000, d = 64, nlist = 64, m = 8, nq = 1000;
  const size_t nprobe = 16, rerank = 100;
  std::vector<float> all = MakeData(n + nq, d, 300, 23);
  std::vector<float> x(all.begin(), all.begin() + n * d), q(all.begin() + n * d, all.end());
  const auto gt = GroundTruth(x, d, q);
  pgvq_kmeans_params p = Params(20, 1234);
  pgvq_status st = NewStatus();

  Ivfpq cpu, gpu;
  for (Ivfpq *ix : {&cpu, &gpu}) {
    ix->nlist = nlist;
    ix->m = m;
    ix->cent.resize(nlist * d);
    ix->cb.resize(m * 256 * (d / m));
    ix->labels.resize(n);
    ix->codes.resize(n * m);
  }
  // CPU: k-means, residuals, PQ training, encoding.
  ASSERT_EQ(pgvq_kmeans_train(n, d, x.data(), nlist, &p, cpu.cent.data(), nullptr, &st), PGVQ_OK);
  ASSERT_EQ(pgvq_assign_l2(n, d, x.data(), nlist, cpu.cent.data(), cpu.labels.data(), nullptr, 0,
                           nullptr, nullptr, &st),
            PGVQ_OK);
  std::vector<float> res(n * d);
  for (size_t i = 0; i < n; ++i)
    for (size_t t = 0; t < d; ++t) res[i * d + t] = x[i * d + t] - cpu.cent[cpu.labels[i] * d + t];
  ASSERT_EQ(pgvq_pq_train(n, d, res.data(), m, 8, &p, cpu.cb.data(), &st), PGVQ_OK);
  ASSERT_EQ(pgvq_pq_encode(n, d, res.data(), m, 8, cpu.cb.data(), cpu.codes.data(), 0, nullptr,
                           nullptr, &st),
            PGVQ_OK);
  // GPU: the same three phases.
  ASSERT_EQ(pgvq_gpu_kmeans_train(n, d, x.data(), nlist, &p, nullptr, gpu.cent.data(), nullptr,
                                  &st),
            PGVQ_OK)
      << st.message;
  ASSERT_EQ(pgvq_gpu_pq_train(n, d, x.data(), nlist, gpu.cent.data(), m, 8, &p, nullptr,
                              gpu.cb.data(), &st),
            PGVQ_OK)
      << st.message;
  ASSERT_EQ(pgvq_gpu_ivfpq_encode(n, d, x.data(), nlist, gpu.cent.data(), m, 8, gpu.cb.data(),
                                  gpu.labels.data(), gpu.codes.data(), nullptr, nullptr, nullptr,
                                  &st),
            PGVQ_OK)
      << st.message;

  const double rc = Recall(cpu, x, d, q, gt, nprobe, rerank);
  const double rg = Recall(gpu, x, d, q, gt, nprobe, rerank);
  std::printf("recall@10 (nprobe %zu, rerank %zu): CPU-trained %.4f, GPU-trained %.4f\n", nprobe,
              rerank, rc, rg);
  EXPECT_GT(rc, 0.95);  // the evaluation itself works
  EXPECT_LE(std::fabs(rg - rc), 0.005);
}

}  // namespace
