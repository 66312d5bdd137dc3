// kmeans.cu: k-means on the device for m column groups at once.
//
// m = 1 is the coarse quantizer (centroids (k, d)); m > 1 trains the PQ
// codebooks of all sub-spaces together (centroids (m, ksub, dsub)).
//
//  1. Seeding: k-means++ over a seeded random sample of the rows that stays
//     resident on the device.  Sampling probabilities come from deterministic
//     chunk sums on the device; the host draws the random numbers and picks
//     the chunk, then the row.
//  2. Lloyd iterations: assignment (cuBLAS SGEMM + arg-min, or a fused kernel
//     for short sub-vectors), then a deterministic segmented reduction of
//     the members (sort by (group, cluster), one block per segment), division
//     on the device, empty-cluster repair on the host (split a large cluster,
//     as Faiss does).
// Rows live on the device when they fit in the memory budget; otherwise
// every pass streams them from host memory in batches.
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <exception>
#include <queue>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "split_clusters.h"

#include "gpu_internal.cuh"

namespace pgvq_gpu {
namespace {

// The CPU core's random helpers (kmeans.cpp), so both draw the same numbers.
double uniform01(std::mt19937_64 &rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }
size_t uniform_index(std::mt19937_64 &rng, size_t n) {
  return static_cast<size_t>(uniform01(rng) * static_cast<double>(n)) % n;
}

constexpr size_t kSeedPointsPerCentroid = 16;         // ClusteringParameters defaults
constexpr size_t kSeedMinPoints = 4096;
constexpr size_t kMaxSortItems = static_cast<size_t>(1) << 30;  // int32 item counts in cub

// The CPU core's perturbation and empty-cluster split (split_clusters.h).
using pgvq::split::split_pair;

void normalize_rows(size_t rows, size_t dim, float *v) {
  for (size_t r = 0; r < rows; ++r) {
    float *p = v + r * dim;
    double norm = 0.0;
    for (size_t t = 0; t < dim; ++t) norm += static_cast<double>(p[t]) * p[t];
    if (norm > 0.0) {
      const float inv = static_cast<float>(1.0 / std::sqrt(norm));
      for (size_t t = 0; t < dim; ++t) p[t] *= inv;
    }
  }
}

struct Plan {
  bool resident = false;
  size_t batch = 0;
  size_t temp_bytes = 0;
};

size_t row_bytes(size_t d, size_t m, size_t k, bool gemm, bool streamed) {
  size_t bytes = m * (sizeof(int32_t) + sizeof(float) + 4 * sizeof(int32_t));
  if (gemm) bytes += m * k * sizeof(float) + m * sizeof(float);
  if (streamed) bytes += d * sizeof(float);
  return bytes;
}

size_t fixed_bytes(size_t m, size_t k, size_t dsub) {
  const size_t mk = m * k;
  return mk * dsub * (sizeof(float) + sizeof(double)) +
         mk * (sizeof(float) + sizeof(long long) + 2 * sizeof(int32_t)) + 4096;
}

// Chooses residency and batch size within the budget, or throws PGVQ_OOM.
// rows_on_device: the caller already holds the rows on the device (they are
// counted in the budget and the plan is resident).
Plan plan_lloyd(const Context &ctx, size_t n, size_t d, size_t m, size_t k, bool rows_on_device) {
  const size_t dsub = d / m;
  const bool gemm = assign_uses_gemm(dsub);
  const size_t budget = ctx.budget();
  const size_t fixed = fixed_bytes(m, k, dsub);
  size_t cap = n;
  if (ctx.batch_rows_cap() != 0) cap = std::min(cap, ctx.batch_rows_cap());
  cap = std::min(cap, kMaxSortItems / m);
  cap = std::min(cap, static_cast<size_t>(INT32_MAX));
  cap = std::max<size_t>(cap, 1);

  for (int pass = 0; pass < (rows_on_device ? 1 : 2); ++pass) {
    Plan p;
    p.resident = pass == 0;
    const size_t data = p.resident ? n * d * sizeof(float) : 0;
    if (fixed + data >= budget) continue;
    const size_t per_row = row_bytes(d, m, k, gemm, !p.resident);
    size_t b = std::min(cap, (budget - fixed - data) / per_row);
    // A resident layout is only worth it with batches of a useful size.
    if (p.resident && b < std::min<size_t>(cap, 4096)) continue;
    while (b > 0) {
      p.temp_bytes = update_temp_bytes(b * m, m * k);
      if (fixed + data + b * per_row + p.temp_bytes <= budget) break;
      b = b * 3 / 4;
    }
    if (b == 0) continue;
    p.batch = b;
    return p;
  }
  throw GpuError(PGVQ_OOM, "k-means with " + std::to_string(m * k) + " centroids of " +
                               std::to_string(dsub) + " dimensions does not fit in the " +
                               std::to_string(budget >> 20) + " MB of GPU memory available");
}

// The CPU core's seeding sample: a partial Fisher-Yates shuffle of 0..n-1,
// first ns entries, sorted.  perm is scratch of n entries (kept between
// calls so the groups of a PQ training share it).
std::vector<size_t> sample_rows(size_t n, size_t ns, std::mt19937_64 &rng,
                                std::vector<size_t> &perm) {
  std::vector<size_t> out(ns);
  if (ns >= n) {
    for (size_t i = 0; i < n; ++i) out[i] = i;
    return out;
  }
  perm.resize(n);
  for (size_t i = 0; i < n; ++i) perm[i] = i;
  for (size_t i = 0; i < ns; ++i) {
    const size_t j = i + uniform_index(rng, n - i);
    std::swap(perm[i], perm[j]);
    out[i] = perm[i];
  }
  std::sort(out.begin(), out.end());
  return out;
}

// fn(j, scratch) for every group j < m, on a few threads (group j's result
// does not depend on which thread runs it).  An exception in any is
// rethrown here once all have stopped.
template <class F>
void for_each_group(size_t m, F &&fn) {
  const unsigned hw = std::thread::hardware_concurrency();
  const size_t threads = std::min<size_t>(m, hw == 0 ? 1 : std::min(hw, 8u));
  std::vector<std::exception_ptr> errors(threads);
  auto run = [&](size_t t) {
    try {
      std::vector<size_t> scratch;
      for (size_t j = t; j < m; j += threads) fn(j, scratch);
    } catch (...) {
      errors[t] = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  size_t started = 1;  // share 0 is this thread's
  {
    BlockSignals blocked;  // the helpers start with every signal blocked
    for (; started < threads; ++started) {
      try {
        pool.emplace_back(run, started);
      } catch (...) {
        break;  // the shares of helpers that could not start run here
      }
    }
  }
  run(0);
  for (size_t t = started; t < threads; ++t) run(t);
  for (auto &th : pool) th.join();
  for (auto &e : errors)
    if (e) std::rethrow_exception(e);
}

// Most sample rows a k-means++ seeding takes: its chunk sums and one chunk
// (sqrt(ns) of each) must fit the selection kernel's shared memory.
constexpr size_t kSeedMaxSample = static_cast<size_t>(15) << 20;

// k-means++ per group over that group's own sample; writes centroids
// (m, k, dsub) into dcent.  rngs[j] is group j's generator.  x: the rows in
// host memory, or null when dx (the rows on the device) is given.
void seed_kmeanspp(Context &ctx, size_t n, size_t d, const float *x, const float *dx, size_t m,
                   size_t k, size_t avail, std::vector<std::mt19937_64> &rngs, bool spherical,
                   float *dcent) {
  const size_t dsub = d / m;
  size_t ns = ctx.seed_sample() != 0 ? ctx.seed_sample()
                                     : std::max(kSeedPointsPerCentroid * k, kSeedMinPoints);
  ns = std::min(std::min(std::max(ns, k), n), kSeedMaxSample);
  if (ns < k)
    throw GpuError(PGVQ_INVALID_ARGUMENT, "too many centroids (" + std::to_string(k) +
                                              ") to seed k-means on the GPU");
  // Bytes per sample row: its sub-vectors (unless the resident rows serve),
  // the distances, its index, a share of the draws.
  const bool use_resident = ns == n && m == 1 && dx != nullptr;
  const size_t per_row = (use_resident ? 0 : d * sizeof(float)) + m * sizeof(float) +
                         m * sizeof(int64_t) + 64;
  if (avail / per_row < ns) {
    // Only on a device too small for the CPU's sample: a smaller one.
    ns = avail / per_row;
    if (ns < k)
      throw GpuError(PGVQ_OOM, "not enough GPU memory to seed k-means (" + std::to_string(k) +
                                   " centroids)");
  }

  DeviceBuffer<float> dsample;
  const float *xs = dx;
  if (!(use_resident && ns == n)) {
    // Group-major sample (m, ns, dsub): group j takes the rows its own
    // generator drew, as the CPU core's per-sub-space Clustering does.
    dsample.alloc(m * ns * dsub, "the k-means++ sample");
    if (dx != nullptr) {
      // Gathered on the device from the resident rows.
      std::vector<int64_t> rows(m * ns);
      for_each_group(m, [&](size_t j, std::vector<size_t> &perm) {
        const std::vector<size_t> r = sample_rows(n, ns, rngs[j], perm);
        for (size_t i = 0; i < ns; ++i) rows[j * ns + i] = static_cast<int64_t>(r[i]);
      });
      DeviceBuffer<int64_t> drows(m * ns, "the k-means++ sample rows");
      ctx.to_device(drows.get(), rows.data(), rows.size() * sizeof(int64_t),
                    "copying the k-means++ sample rows");
      launch_gather_groups(ctx, dx, d, m, dsub, ns, drows.get(), dsample.get());
      ctx.sync("gathering the k-means++ sample");
    } else {
      std::vector<float> host(m * ns * dsub);
      for_each_group(m, [&](size_t j, std::vector<size_t> &perm) {
        const std::vector<size_t> rows = sample_rows(n, ns, rngs[j], perm);
        for (size_t r = 0; r < ns; ++r)
          std::copy(x + rows[r] * d + j * dsub, x + rows[r] * d + (j + 1) * dsub,
                    host.begin() + (j * ns + r) * dsub);
      });
      ctx.upload(dsample.get(), host.data(), host.size() * sizeof(float),
                 "copying the k-means++ sample");
      ctx.sync("copying the k-means++ sample");
    }
    xs = dsample.get();
  }
  ctx.mark("k-means++: sample to device");

  size_t nchunks = static_cast<size_t>(std::ceil(std::sqrt(static_cast<double>(ns))));
  const size_t len = (ns + nchunks - 1) / nchunks;
  nchunks = (ns + len - 1) / len;

  // Every round takes exactly one draw of each group's generator (the CPU
  // core's uniform01 or uniform_index), so all k draws are made up front and
  // the rounds run on the device without coming back to the host.
  std::vector<double> draws(m * k);
  for (size_t j = 0; j < m; ++j)
    for (size_t r = 0; r < k; ++r) draws[j * k + r] = uniform01(rngs[j]);
  DeviceBuffer<double> ddraws(m * k, "k-means++ draws");
  ctx.to_device(ddraws.get(), draws.data(), draws.size() * sizeof(double),
                "copying k-means++ draws");
  DeviceBuffer<float> mind(m * ns, "k-means++ distances");
  DeviceBuffer<float> newc(m * dsub, "k-means++ centroid");

  for (size_t r = 0; r < k; ++r) {
    ctx.poll();
    launch_kpp_select(ctx, xs, ns, m, dsub, mind.get(), ddraws.get(), r, k, nchunks, len, dcent,
                      newc.get());
    if (r + 1 < k) launch_kpp_update(ctx, xs, ns, m, dsub, newc.get(), mind.get(), r == 0);
  }
  ctx.sync("k-means++ seeding");
  ctx.mark("k-means++: seeding rounds");
  if (spherical) {
    std::vector<float> h(m * k * dsub);
    ctx.to_host(h.data(), dcent, h.size() * sizeof(float), "reading centroids");
    normalize_rows(m * k, dsub, h.data());
    ctx.to_device(dcent, h.data(), h.size() * sizeof(float), "writing centroids");
  }
}

// Empty clusters take half of the largest one (ties: smaller index), per
// group, exactly as the CPU core does.  counts and cent are host copies.
void repair_empty(size_t m, size_t k, size_t dsub, std::vector<long long> &counts,
                  std::vector<float> &cent) {
  for (size_t j = 0; j < m; ++j)
    pgvq::split::split_empty(k, dsub, counts.data() + j * k, cent.data() + j * k * dsub);
}

}  // namespace

void check_finite(size_t n, size_t d, const float *x, const char *what) {
  // Blocks of a branch-free test of the exponent bits (vectorised), then the
  // exact place only in a block that has one.
  const size_t total = n * d, block = 4096;
  for (size_t i0 = 0; i0 < total; i0 += block) {
    const size_t e = std::min(total, i0 + block);
    unsigned bad = 0;
    for (size_t i = i0; i < e; ++i) {
      uint32_t bits;
      std::memcpy(&bits, x + i, sizeof(bits));
      bad |= (bits & 0x7f800000u) == 0x7f800000u;
    }
    if (!bad) continue;
    for (size_t i = i0; i < e; ++i)
      if (!std::isfinite(x[i]))
        throw GpuError(PGVQ_INVALID_ARGUMENT, std::string(what) + ": input row " +
                                                  std::to_string(i / d) +
                                                  " contains a NaN or infinite value");
  }
}

void fill_small(size_t n, size_t d, const float *x, size_t m, size_t k,
                const pgvq_kmeans_params &params, float *centroids) {
  const size_t dsub = d / m;
  std::vector<float> scratch(dsub);
  for (size_t j = 0; j < m; ++j) {
    std::mt19937_64 rng(params.seed + j);
    float *cent = centroids + j * k * dsub;
    for (size_t c = 0; c < n; ++c)
      std::memcpy(cent + c * dsub, x + c * d + j * dsub, dsub * sizeof(float));
    for (size_t c = n; c < k; ++c) {
      const size_t src = uniform_index(rng, n);
      std::memcpy(cent + c * dsub, x + src * d + j * dsub, dsub * sizeof(float));
      std::memcpy(scratch.data(), x + src * d + j * dsub, dsub * sizeof(float));
      split_pair(cent + c * dsub, scratch.data(), dsub);
    }
    if (params.spherical) normalize_rows(k, dsub, cent);
  }
}

double kmeans_groups(Context &ctx, size_t n, size_t d, const float *x, const float *dx_given,
                     size_t m, size_t k, const pgvq_kmeans_params &params, float *centroids) {
  const size_t dsub = d / m, mk = m * k;
  const bool gemm = assign_uses_gemm(dsub);
  std::vector<std::mt19937_64> rngs;
  rngs.reserve(m);
  for (size_t j = 0; j < m; ++j) rngs.emplace_back(params.seed + j);
  const Plan plan = plan_lloyd(ctx, n, d, m, k, dx_given != nullptr);
  const size_t b = plan.batch;

  DeviceBuffer<float> dcent(mk * dsub, "centroids");
  DeviceBuffer<float> dx_own;
  const float *dx = dx_given;
  if (plan.resident && dx == nullptr) {
    dx_own.alloc(n * d, "the training rows");
    // Copy in slices so cancellation is polled during a long upload.
    const size_t slice = std::max<size_t>(1, (static_cast<size_t>(256) << 20) / (d * sizeof(float)));
    for (size_t i0 = 0; i0 < n; i0 += slice) {
      ctx.poll();
      const size_t cnt = std::min(slice, n - i0);
      ctx.upload(dx_own.get() + i0 * d, x + i0 * d, cnt * d * sizeof(float),
                 "copying the training rows");
    }
    dx = dx_own.get();
  }
  ctx.mark("k-means: rows to device");

  {
    const size_t used = mk * dsub * sizeof(float) + (plan.resident ? n * d * sizeof(float) : 0);
    const size_t avail = ctx.budget() > used ? ctx.budget() - used : 0;
    seed_kmeanspp(ctx, n, d, x, dx, m, k, avail, rngs, params.spherical != 0, dcent.get());
  }

  DeviceBuffer<float> dot, xnorm;
  if (gemm) {
    dot.alloc(m * b * k, "distance matrix");
    xnorm.alloc(m * b, "row norms");
  }
  DeviceBuffer<float> xbuf;
  if (!plan.resident) xbuf.alloc(b * d, "a batch of rows");
  DeviceBuffer<int32_t> labels(b * m, "labels"), keys(b * m, "sort keys"), vals(b * m, "sort values"),
      keys_out(b * m, "sorted keys"), vals_out(b * m, "sorted values");
  DeviceBuffer<float> dist(b * m, "distances");
  DeviceBuffer<unsigned char> temp(std::max<size_t>(plan.temp_bytes, 1), "sort workspace");
  DeviceBuffer<float> cnorm(mk, "centroid norms");
  DeviceBuffer<double> sums(mk * dsub, "centroid sums");
  DeviceBuffer<long long> counts(mk, "cluster sizes");
  DeviceBuffer<int32_t> seg_start(mk, "segments"), seg_end(mk, "segments");
  DeviceBuffer<double> objacc(1, "objective");

  std::vector<long long> hcounts(mk);
  std::vector<float> hcent;
  ctx.mark("k-means: allocate");
  // Pass it assigns every row; passes before the last also update the
  // centroids.  The last pass only scores the centroids that are returned
  // (the CPU core's final assign_and_score).
  const int niter = params.niter;
  double objective = 0.0;

  for (int it = 0; it <= niter; ++it) {
    ctx.poll();
    const bool update = it < niter;
    const bool last = it == niter;
    if (gemm) launch_group_norms(ctx, dcent.get(), mk, dsub, 1, dsub, cnorm.get());
    if (update) {
      check_cuda(cudaMemsetAsync(sums.get(), 0, mk * dsub * sizeof(double), ctx.stream()),
                 "cudaMemsetAsync");
      check_cuda(cudaMemsetAsync(counts.get(), 0, mk * sizeof(long long), ctx.stream()),
                 "cudaMemsetAsync");
    }
    if (last)
      check_cuda(cudaMemsetAsync(objacc.get(), 0, sizeof(double), ctx.stream()), "cudaMemsetAsync");

    for (size_t i0 = 0; i0 < n; i0 += b) {
      ctx.poll();
      const size_t bb = std::min(b, n - i0);
      const float *xb;
      if (plan.resident) {
        xb = dx + i0 * d;
      } else {
        ctx.to_device(xbuf.get(), x + i0 * d, bb * d * sizeof(float), "copying a batch of rows");
        xb = xbuf.get();
      }
      assign_groups(ctx, xb, bb, d, m, k, dcent.get(), cnorm.get(), dot.get(), xnorm.get(),
                    labels.get(), last ? dist.get() : nullptr);
      if (last) launch_sum(ctx, dist.get(), bb * m, objacc.get());
      ctx.mark("k-means: assignment");
      if (update)
        accumulate_groups(ctx, xb, bb, d, m, k, labels.get(), keys.get(), vals.get(),
                          keys_out.get(), vals_out.get(), seg_start.get(), seg_end.get(),
                          temp.get(), plan.temp_bytes, sums.get(), counts.get());
      ctx.mark("k-means: accumulate");
      if (!plan.resident) ctx.sync("k-means batch");
    }

    if (update) {
      launch_finalize(ctx, sums.get(), counts.get(), mk, dsub, dcent.get());
      ctx.to_host(hcounts.data(), counts.get(), mk * sizeof(long long), "reading cluster sizes");
      const bool any_empty = std::find(hcounts.begin(), hcounts.end(), 0LL) != hcounts.end();
      if (any_empty || params.spherical) {
        hcent.resize(mk * dsub);
        ctx.to_host(hcent.data(), dcent.get(), mk * dsub * sizeof(float), "reading centroids");
        if (any_empty) repair_empty(m, k, dsub, hcounts, hcent);
        if (params.spherical) normalize_rows(mk, dsub, hcent.data());
        ctx.to_device(dcent.get(), hcent.data(), mk * dsub * sizeof(float), "writing centroids");
      }
    }
    if (last) ctx.to_host(&objective, objacc.get(), sizeof(double), "reading the objective");
    ctx.mark("k-means: update, repair");
  }
  ctx.to_host(centroids, dcent.get(), mk * dsub * sizeof(float), "reading centroids");
  return objective;
}

}  // namespace pgvq_gpu
