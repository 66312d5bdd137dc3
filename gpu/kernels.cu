// kernels.cu: the device kernels of the CUDA module and their launchers.
//
// Every kernel is deterministic: no floating-point atomics, every sum runs in
// an order fixed by the launch configuration alone.  Index arithmetic is in
// size_t; kernels use grid-stride loops so any size fits the grid limits.
#include <cub/cub.cuh>

#include <climits>
#include <cmath>

#include "gpu_internal.cuh"

namespace pgvq_gpu {
namespace {

constexpr unsigned kThreads = 256;
constexpr unsigned kMaxBlocks = 1u << 20;

unsigned blocks_for(size_t threads_needed, unsigned threads_per_block = kThreads) {
  size_t blocks = (threads_needed + threads_per_block - 1) / threads_per_block;
  if (blocks == 0) blocks = 1;
  if (blocks > kMaxBlocks) blocks = kMaxBlocks;
  return static_cast<unsigned>(blocks);
}

// (v1, c1) is better than (v2, c2): smaller distance, then smaller index.
__device__ __forceinline__ bool better(float v1, int c1, float v2, int c2) {
  return v1 < v2 || (v1 == v2 && c1 < c2);
}

template <class T>
__device__ __forceinline__ T warp_sum(T v) {
  for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
  return v;
}

// One warp per (row, group).
__global__ void group_norms_kernel(const float *__restrict__ x, size_t b, size_t d, size_t m,
                                   size_t dsub, float *__restrict__ norms) {
  const size_t warp = (blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x) / 32;
  const size_t nwarps = gridDim.x * static_cast<size_t>(blockDim.x) / 32;
  const unsigned lane = threadIdx.x & 31u;
  for (size_t p = warp; p < b * m; p += nwarps) {
    const float *row = x + (p / m) * d + (p % m) * dsub;
    float acc = 0.f;
    for (size_t t = lane; t < dsub; t += 32) acc = fmaf(row[t], row[t], acc);
    acc = warp_sum(acc);
    if (lane == 0) norms[p] = acc;
  }
}

// GEMM path: dot (m, b, k) holds x.c; one warp per (row, group) finds the
// arg-min of |c|^2 - 2 x.c.
__global__ void argmin_kernel(const float *__restrict__ dot, const float *__restrict__ cnorm,
                              const float *__restrict__ xnorm, size_t b, size_t m, size_t k,
                              int32_t *__restrict__ labels, float *__restrict__ dist) {
  const size_t warp = (blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x) / 32;
  const size_t nwarps = gridDim.x * static_cast<size_t>(blockDim.x) / 32;
  const unsigned lane = threadIdx.x & 31u;
  for (size_t p = warp; p < b * m; p += nwarps) {
    const size_t i = p / m, j = p % m;
    const float *drow = dot + (j * b + i) * k;
    const float *cn = cnorm + j * k;
    float best = INFINITY;
    int bestc = INT_MAX;
    for (size_t c = lane; c < k; c += 32) {
      float v = cn[c] - 2.f * drow[c];
      if (v != v) v = INFINITY;  // NaN never wins
      if (better(v, static_cast<int>(c), best, bestc)) {
        best = v;
        bestc = static_cast<int>(c);
      }
    }
    for (int off = 16; off > 0; off >>= 1) {
      float ov = __shfl_down_sync(0xffffffffu, best, off);
      int oc = __shfl_down_sync(0xffffffffu, bestc, off);
      if (better(ov, oc, best, bestc)) {
        best = ov;
        bestc = oc;
      }
    }
    if (lane == 0) {
      labels[p] = bestc == INT_MAX ? 0 : bestc;
      if (dist) dist[p] = fmaxf(0.f, xnorm[p] + best);
    }
  }
}

// Direct path: one thread per row of group blockIdx.y computes the exact
// squared distance to every centroid of that group.  DS > 0: dsub == DS, the
// sub-vector lives in registers; DS == 0: any dsub.
template <int DS>
__global__ void direct_assign_kernel(const float *__restrict__ x, size_t b, size_t d, size_t m,
                                     size_t dsub, const float *__restrict__ centroids, size_t k,
                                     int32_t *__restrict__ labels, float *__restrict__ dist) {
  const size_t j = blockIdx.y;
  const float *cb = centroids + j * k * dsub;
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < b;
       i += gridDim.x * static_cast<size_t>(blockDim.x)) {
    const float *xr = x + i * d + j * dsub;
    float best = INFINITY;
    int bestc = 0;
    if constexpr (DS > 0) {
      float xs[DS];
#pragma unroll
      for (int t = 0; t < DS; ++t) xs[t] = xr[t];
      for (size_t c = 0; c < k; ++c) {
        const float *cr = cb + c * DS;
        float acc = 0.f;
#pragma unroll
        for (int t = 0; t < DS; ++t) {
          const float df = xs[t] - cr[t];
          acc = fmaf(df, df, acc);
        }
        if (acc < best) {
          best = acc;
          bestc = static_cast<int>(c);
        }
      }
    } else {
      for (size_t c = 0; c < k; ++c) {
        const float *cr = cb + c * dsub;
        float acc = 0.f;
        for (size_t t = 0; t < dsub; ++t) {
          const float df = xr[t] - cr[t];
          acc = fmaf(df, df, acc);
        }
        if (acc < best) {
          best = acc;
          bestc = static_cast<int>(c);
        }
      }
    }
    labels[i * m + j] = bestc;
    if (dist) dist[i * m + j] = best;
  }
}

// r may be x (in place): each element is read and written by one thread.
__global__ void residuals_kernel(const float *x, const int32_t *__restrict__ labels,
                                 const float *__restrict__ centroids, size_t b, size_t d,
                                 float *r) {
  for (size_t p = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; p < b * d;
       p += gridDim.x * static_cast<size_t>(blockDim.x)) {
    const size_t i = p / d, t = p % d;
    r[p] = x[p] - centroids[static_cast<size_t>(labels[i]) * d + t];
  }
}

__global__ void labels_to_u8_kernel(const int32_t *__restrict__ labels, size_t count,
                                    uint8_t *__restrict__ out) {
  for (size_t p = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; p < count;
       p += gridDim.x * static_cast<size_t>(blockDim.x))
    out[p] = static_cast<uint8_t>(labels[p]);
}

// One block; fixed per-thread strides and a fixed tree: deterministic.
constexpr unsigned kSumThreads = 1024;
__global__ void sum_kernel(const float *__restrict__ v, size_t count, double *acc) {
  __shared__ double s[kSumThreads];
  double a = 0.0;
  for (size_t p = threadIdx.x; p < count; p += kSumThreads) a += v[p];
  s[threadIdx.x] = a;
  __syncthreads();
  for (unsigned w = kSumThreads / 2; w > 0; w >>= 1) {
    if (threadIdx.x < w) s[threadIdx.x] += s[threadIdx.x + w];
    __syncthreads();
  }
  if (threadIdx.x == 0) acc[0] += s[0];
}

__global__ void make_keys_kernel(const int32_t *__restrict__ labels, size_t b, size_t m, size_t k,
                                 uint32_t *__restrict__ keys, int32_t *__restrict__ vals) {
  for (size_t p = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; p < b * m;
       p += gridDim.x * static_cast<size_t>(blockDim.x)) {
    keys[p] = static_cast<uint32_t>((p % m) * k + static_cast<size_t>(labels[p]));
    vals[p] = static_cast<int32_t>(p / m);
  }
}

// keys sorted: segment of key s is [start[s], end[s]); untouched keys keep 0, 0.
__global__ void seg_bounds_kernel(const uint32_t *__restrict__ keys, size_t count,
                                  int32_t *__restrict__ start, int32_t *__restrict__ end) {
  for (size_t p = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; p < count;
       p += gridDim.x * static_cast<size_t>(blockDim.x)) {
    const uint32_t key = keys[p];
    if (p == 0 || keys[p - 1] != key) start[key] = static_cast<int32_t>(p);
    if (p + 1 == count || keys[p + 1] != key) end[key] = static_cast<int32_t>(p + 1);
  }
}

// One block per (group, cluster) segment; each thread owns some of the dsub
// components and sums the members in sorted (row) order.
__global__ void seg_accumulate_kernel(const float *__restrict__ x, size_t d, size_t dsub,
                                      size_t k, size_t mk, const int32_t *__restrict__ vals,
                                      const int32_t *__restrict__ start,
                                      const int32_t *__restrict__ end, double *__restrict__ sums,
                                      long long *__restrict__ counts) {
  for (size_t s = blockIdx.x; s < mk; s += gridDim.x) {
    const int32_t a = start[s], e = end[s];
    if (e <= a) continue;
    const size_t off = (s / k) * dsub;
    for (size_t t = threadIdx.x; t < dsub; t += blockDim.x) {
      double acc = 0.0;
      for (int32_t p = a; p < e; ++p) acc += x[static_cast<size_t>(vals[p]) * d + off + t];
      sums[s * dsub + t] += acc;
    }
    if (threadIdx.x == 0) counts[s] += e - a;
  }
}

__global__ void finalize_kernel(const double *__restrict__ sums,
                                const long long *__restrict__ counts, size_t mk, size_t dsub,
                                float *__restrict__ centroids) {
  for (size_t p = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; p < mk * dsub;
       p += gridDim.x * static_cast<size_t>(blockDim.x)) {
    const long long c = counts[p / dsub];
    if (c > 0) centroids[p] = static_cast<float>(sums[p] / static_cast<double>(c));
  }
}

// One warp per (group, sample row); xs layout (m, ns, dsub), mind (m, ns).
__global__ void kpp_update_kernel(const float *__restrict__ xs, size_t ns, size_t m, size_t dsub,
                                  const float *__restrict__ newc, float *__restrict__ mind,
                                  int first) {
  const size_t warp = (blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x) / 32;
  const size_t nwarps = gridDim.x * static_cast<size_t>(blockDim.x) / 32;
  const unsigned lane = threadIdx.x & 31u;
  for (size_t p = warp; p < m * ns; p += nwarps) {
    const float *row = xs + p * dsub;
    const float *c = newc + (p / ns) * dsub;
    float acc = 0.f;
    for (size_t t = lane; t < dsub; t += 32) {
      const float df = row[t] - c[t];
      acc = fmaf(df, df, acc);
    }
    acc = warp_sum(acc);
    if (lane == 0) mind[p] = first ? acc : fminf(mind[p], acc);
  }
}

// One block per group j picks round r's k-means++ row from mind (m, ns):
// chunk sums of len rows (fixed order: lane-strided, then a shuffle tree),
// the chunk where the running sum first passes u * total, then the row in
// that chunk; round 0 (and a sample whose distances are all zero) takes the
// row u * ns.  The row goes to centroids[j][r] and newc[j].  Shared memory:
// nchunks doubles, then len floats.
__global__ void kpp_select_kernel(const float *__restrict__ xs, size_t ns, size_t dsub,
                                  const float *__restrict__ mind, const double *__restrict__ draws,
                                  size_t r, size_t k, size_t nchunks, size_t len,
                                  float *__restrict__ centroids, float *__restrict__ newc) {
  extern __shared__ double smem[];
  double *cs = smem;
  float *g = reinterpret_cast<float *>(smem + nchunks);
  __shared__ long long pick_row;
  __shared__ long long chunk_q;
  __shared__ double rest;
  const size_t j = blockIdx.x;
  const float *md = mind + j * ns;
  const double u = draws[j * k + r];
  const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x / 32, nwarps = blockDim.x / 32;
  if (threadIdx.x == 0) {
    pick_row = static_cast<long long>(static_cast<size_t>(u * static_cast<double>(ns)) % ns);
    chunk_q = -1;
  }
  if (r > 0) {
    for (size_t q = warp; q < nchunks; q += nwarps) {
      const size_t a = q * len, e = a + len < ns ? a + len : ns;
      double acc = 0.0;
      for (size_t p = a + lane; p < e; p += 32) acc += md[p];
      acc = warp_sum(acc);
      if (lane == 0) cs[q] = acc;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
      double total = 0.0;
      for (size_t q = 0; q < nchunks; ++q) total += cs[q];
      if (total > 0.0 && isfinite(total)) {
        double v = u * total;
        size_t q = 0;
        while (q + 1 < nchunks && (v >= cs[q] || !(cs[q] > 0.0))) {
          v -= cs[q];
          ++q;
        }
        if (!(cs[q] > 0.0)) {  // rounding ran past the last non-empty chunk
          while (q > 0 && !(cs[q] > 0.0)) --q;
          v = cs[q];
        }
        chunk_q = static_cast<long long>(q);
        rest = v;
      }
    }
    __syncthreads();
    if (chunk_q >= 0) {
      const size_t base = static_cast<size_t>(chunk_q) * len;
      const size_t cnt = len < ns - base ? len : ns - base;
      for (size_t t = threadIdx.x; t < cnt; t += blockDim.x) g[t] = md[base + t];
      __syncthreads();
      if (threadIdx.x == 0) {
        double acc = 0.0;
        size_t pick = cnt, last_positive = 0;
        for (size_t t = 0; t < cnt; ++t) {
          if (!(g[t] > 0.f)) continue;
          last_positive = t;
          acc += g[t];
          if (acc > rest) {
            pick = t;
            break;
          }
        }
        if (pick == cnt) pick = last_positive;
        pick_row = static_cast<long long>(base + pick);
      }
    }
  }
  __syncthreads();
  const size_t row = static_cast<size_t>(pick_row);
  for (size_t t = threadIdx.x; t < dsub; t += blockDim.x) {
    const float v = xs[(j * ns + row) * dsub + t];
    centroids[(j * k + r) * dsub + t] = v;
    newc[j * dsub + t] = v;
  }
}

// out (m, ns, dsub)[j][i] = x[rows[j*ns + i]], group j's columns.
__global__ void gather_groups_kernel(const float *__restrict__ x, size_t d, size_t m, size_t dsub,
                                     size_t ns, const int64_t *__restrict__ rows,
                                     float *__restrict__ out) {
  for (size_t p = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; p < m * ns * dsub;
       p += gridDim.x * static_cast<size_t>(blockDim.x)) {
    const size_t t = p % dsub, ji = p / dsub, j = ji / ns;
    out[p] = x[static_cast<size_t>(rows[ji]) * d + j * dsub + t];
  }
}

int key_bits(size_t mk) {
  int bits = 1;
  while (bits < 32 && (static_cast<size_t>(1) << bits) < mk) ++bits;
  return bits;
}

}  // namespace

void launch_group_norms(const Context &ctx, const float *x, size_t b, size_t d, size_t m,
                        size_t dsub, float *norms) {
  if (b * m == 0) return;
  group_norms_kernel<<<blocks_for(b * m * 32), kThreads, 0, ctx.stream()>>>(x, b, d, m, dsub,
                                                                            norms);
  check_launch("group_norms_kernel");
}

bool assign_uses_gemm(size_t dsub) { return dsub > 32; }

void assign_groups(const Context &ctx, const float *x, size_t b, size_t d, size_t m, size_t k,
                   const float *centroids, const float *cnorm, float *dot_ws, float *xnorm_ws,
                   int32_t *labels, float *dist) {
  if (b == 0) return;
  const size_t dsub = d / m;
  if (assign_uses_gemm(dsub)) {
    // Row-major dot_j (b, k) = x_j (b, dsub) * C_j^T is column-major (k, b):
    // C_j is column-major (dsub, k) with ld dsub, used transposed; x_j is
    // column-major (dsub, b) with ld d, starting at column offset j*dsub.
    const float alpha = 1.f, beta = 0.f;
    check_cublas(cublasSgemmStridedBatched(
                     ctx.blas(), CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(k),
                     static_cast<int>(b), static_cast<int>(dsub), &alpha, centroids,
                     static_cast<int>(dsub), static_cast<long long>(k * dsub), x,
                     static_cast<int>(d), static_cast<long long>(dsub), &beta, dot_ws,
                     static_cast<int>(k), static_cast<long long>(b * k), static_cast<int>(m)),
                 "cublasSgemmStridedBatched (distances to centroids)");
    if (dist) launch_group_norms(ctx, x, b, d, m, dsub, xnorm_ws);
    argmin_kernel<<<blocks_for(b * m * 32), kThreads, 0, ctx.stream()>>>(
        dot_ws, cnorm, xnorm_ws, b, m, k, labels, dist);
    check_launch("argmin_kernel");
    return;
  }
  dim3 grid(blocks_for(b, 128), static_cast<unsigned>(m));
  switch (dsub) {
    case 1:
      direct_assign_kernel<1><<<grid, 128, 0, ctx.stream()>>>(x, b, d, m, dsub, centroids, k,
                                                              labels, dist);
      break;
    case 2:
      direct_assign_kernel<2><<<grid, 128, 0, ctx.stream()>>>(x, b, d, m, dsub, centroids, k,
                                                              labels, dist);
      break;
    case 4:
      direct_assign_kernel<4><<<grid, 128, 0, ctx.stream()>>>(x, b, d, m, dsub, centroids, k,
                                                              labels, dist);
      break;
    case 8:
      direct_assign_kernel<8><<<grid, 128, 0, ctx.stream()>>>(x, b, d, m, dsub, centroids, k,
                                                              labels, dist);
      break;
    case 16:
      direct_assign_kernel<16><<<grid, 128, 0, ctx.stream()>>>(x, b, d, m, dsub, centroids, k,
                                                               labels, dist);
      break;
    case 32:
      direct_assign_kernel<32><<<grid, 128, 0, ctx.stream()>>>(x, b, d, m, dsub, centroids, k,
                                                               labels, dist);
      break;
    default:
      direct_assign_kernel<0><<<grid, 128, 0, ctx.stream()>>>(x, b, d, m, dsub, centroids, k,
                                                              labels, dist);
      break;
  }
  check_launch("direct_assign_kernel");
}

void launch_residuals(const Context &ctx, const float *x, const int32_t *labels,
                      const float *centroids, size_t b, size_t d, float *r) {
  if (b == 0) return;
  residuals_kernel<<<blocks_for(b * d), kThreads, 0, ctx.stream()>>>(x, labels, centroids, b, d,
                                                                     r);
  check_launch("residuals_kernel");
}

void launch_labels_to_u8(const Context &ctx, const int32_t *labels, size_t count,
                         uint8_t *out) {
  if (count == 0) return;
  labels_to_u8_kernel<<<blocks_for(count), kThreads, 0, ctx.stream()>>>(labels, count, out);
  check_launch("labels_to_u8_kernel");
}

void launch_sum(const Context &ctx, const float *v, size_t count, double *acc) {
  if (count == 0) return;
  sum_kernel<<<1, kSumThreads, 0, ctx.stream()>>>(v, count, acc);
  check_launch("sum_kernel");
}

size_t update_temp_bytes(size_t items, size_t mk) {
  size_t bytes = 0;
  check_cuda(cub::DeviceRadixSort::SortPairs(nullptr, bytes, static_cast<const uint32_t *>(nullptr),
                                             static_cast<uint32_t *>(nullptr),
                                             static_cast<const int32_t *>(nullptr),
                                             static_cast<int32_t *>(nullptr),
                                             static_cast<int>(items), 0, key_bits(mk)),
             "cub::DeviceRadixSort::SortPairs (workspace size)");
  return bytes;
}

void accumulate_groups(const Context &ctx, const float *x, size_t b, size_t d, size_t m,
                       size_t k, const int32_t *labels, int32_t *keys, int32_t *vals,
                       int32_t *keys_out, int32_t *vals_out, int32_t *seg_start,
                       int32_t *seg_end, void *temp, size_t temp_bytes, double *sums,
                       long long *counts) {
  if (b == 0) return;
  const size_t items = b * m, mk = m * k, dsub = d / m;
  uint32_t *ukeys = reinterpret_cast<uint32_t *>(keys);
  uint32_t *ukeys_out = reinterpret_cast<uint32_t *>(keys_out);
  make_keys_kernel<<<blocks_for(items), kThreads, 0, ctx.stream()>>>(labels, b, m, k, ukeys,
                                                                     vals);
  check_launch("make_keys_kernel");
  size_t bytes = temp_bytes;
  check_cuda(cub::DeviceRadixSort::SortPairs(temp, bytes, ukeys, ukeys_out, vals, vals_out,
                                             static_cast<int>(items), 0, key_bits(mk),
                                             ctx.stream()),
             "cub::DeviceRadixSort::SortPairs");
  check_cuda(cudaMemsetAsync(seg_start, 0, mk * sizeof(int32_t), ctx.stream()),
             "cudaMemsetAsync");
  check_cuda(cudaMemsetAsync(seg_end, 0, mk * sizeof(int32_t), ctx.stream()), "cudaMemsetAsync");
  seg_bounds_kernel<<<blocks_for(items), kThreads, 0, ctx.stream()>>>(ukeys_out, items, seg_start,
                                                                      seg_end);
  check_launch("seg_bounds_kernel");
  unsigned threads = dsub >= kThreads ? kThreads : static_cast<unsigned>((dsub + 31) / 32 * 32);
  unsigned blocks = mk < kMaxBlocks ? static_cast<unsigned>(mk) : kMaxBlocks;
  seg_accumulate_kernel<<<blocks, threads, 0, ctx.stream()>>>(x, d, dsub, k, mk, vals_out,
                                                              seg_start, seg_end, sums, counts);
  check_launch("seg_accumulate_kernel");
}

void launch_finalize(const Context &ctx, const double *sums, const long long *counts, size_t mk,
                     size_t dsub, float *centroids) {
  finalize_kernel<<<blocks_for(mk * dsub), kThreads, 0, ctx.stream()>>>(sums, counts, mk, dsub,
                                                                        centroids);
  check_launch("finalize_kernel");
}

void launch_kpp_update(const Context &ctx, const float *xs, size_t ns, size_t m, size_t dsub,
                       const float *newc, float *mind, bool first) {
  kpp_update_kernel<<<blocks_for(m * ns * 32), kThreads, 0, ctx.stream()>>>(xs, ns, m, dsub, newc,
                                                                           mind, first ? 1 : 0);
  check_launch("kpp_update_kernel");
}

void launch_kpp_select(const Context &ctx, const float *xs, size_t ns, size_t m, size_t dsub,
                       const float *mind, const double *draws, size_t r, size_t k, size_t nchunks,
                       size_t len, float *centroids, float *newc) {
  const size_t smem = nchunks * sizeof(double) + len * sizeof(float);
  kpp_select_kernel<<<static_cast<unsigned>(m), kThreads, smem, ctx.stream()>>>(
      xs, ns, dsub, mind, draws, r, k, nchunks, len, centroids, newc);
  check_launch("kpp_select_kernel");
}

void launch_gather_groups(const Context &ctx, const float *x, size_t d, size_t m, size_t dsub,
                          size_t ns, const int64_t *rows, float *out) {
  if (m * ns * dsub == 0) return;
  gather_groups_kernel<<<blocks_for(m * ns * dsub), kThreads, 0, ctx.stream()>>>(x, d, m, dsub,
                                                                                ns, rows, out);
  check_launch("gather_groups_kernel");
}

}  // namespace pgvq_gpu
