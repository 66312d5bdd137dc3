// gpu_internal.cuh: shared pieces of the CUDA module (not installed).
//
// Error handling: CUDA and cuBLAS calls go through check_cuda/check_cublas,
// which throw GpuError; cancellation throws Cancelled.  Only the extern "C"
// functions in api.cu catch them.  Device memory is owned by DeviceBuffer
// (plain cudaMalloc/cudaFree, never managed memory).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "pgvq_gpu.h"

namespace pgvq_gpu {

class GpuError : public std::runtime_error {
 public:
  GpuError(int code, const std::string &msg) : std::runtime_error(msg), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

struct Cancelled {};

[[noreturn]] void throw_cuda(cudaError_t err, const char *what);
[[noreturn]] void throw_cublas(cublasStatus_t err, const char *what);
[[noreturn]] inline void throw_invalid(const std::string &msg) {
  throw GpuError(PGVQ_INVALID_ARGUMENT, msg);
}

inline void check_cuda(cudaError_t err, const char *what) {
  if (err != cudaSuccess) throw_cuda(err, what);
}
inline void check_cublas(cublasStatus_t err, const char *what) {
  if (err != CUBLAS_STATUS_SUCCESS) throw_cublas(err, what);
}
// Checks the launch of the kernel just queued.
inline void check_launch(const char *kernel) { check_cuda(cudaGetLastError(), kernel); }

// Owns count elements of device memory.
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t count, const char *what) { alloc(count, what); }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  DeviceBuffer(DeviceBuffer &&o) noexcept : ptr_(o.ptr_), count_(o.count_) {
    o.ptr_ = nullptr;
    o.count_ = 0;
  }

  void alloc(size_t count, const char *what) {
    release();
    if (count == 0) return;
    void *p = nullptr;
    cudaError_t err = cudaMalloc(&p, count * sizeof(T));
    if (err != cudaSuccess) {
      (void)cudaGetLastError();
      if (err == cudaErrorMemoryAllocation)
        throw GpuError(PGVQ_OOM, std::string("out of GPU memory allocating ") +
                                     std::to_string(count * sizeof(T)) + " bytes for " + what);
      throw_cuda(err, what);
    }
    ptr_ = static_cast<T *>(p);
    count_ = count;
  }
  // Waits for queued work first: an exception may leave kernels in flight
  // that still read or write this memory.
  void release() noexcept {
    if (ptr_) {
      cudaDeviceSynchronize();
      cudaFree(ptr_);
      (void)cudaGetLastError();
    }
    ptr_ = nullptr;
    count_ = 0;
  }
  T *get() const { return ptr_; }
  size_t size() const { return count_; }

 private:
  T *ptr_ = nullptr;
  size_t count_ = 0;
};

// Blocks every signal in the calling thread while it lives, so that threads
// started meanwhile inherit a fully blocked mask: in a PostgreSQL backend,
// signals must only ever be handled by the backend's own thread (the core's
// parallel_for does the same).
class BlockSignals {
 public:
  BlockSignals() noexcept {
    sigset_t all;
    sigfillset(&all);
    ok_ = pthread_sigmask(SIG_SETMASK, &all, &old_) == 0;
  }
  ~BlockSignals() {
    if (ok_) pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  BlockSignals(const BlockSignals &) = delete;
  BlockSignals &operator=(const BlockSignals &) = delete;

 private:
  sigset_t old_;
  bool ok_ = false;
};

// memcpy split across a few threads: pageable host memory is copied into
// pinned staging buffers faster than one thread (or the driver's own staging
// of a pageable cudaMemcpy) can.  Workers live as long as the pool.
class CopyPool {
 public:
  explicit CopyPool(unsigned threads);
  ~CopyPool();
  CopyPool(const CopyPool &) = delete;
  CopyPool &operator=(const CopyPool &) = delete;
  void copy(void *dst, const void *src, size_t bytes);

 private:
  void work(unsigned id);
  void slice(unsigned id, unsigned parts);
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable go_, done_;
  char *dst_ = nullptr;
  const char *src_ = nullptr;
  size_t bytes_ = 0;
  unsigned long generation_ = 0;
  unsigned pending_ = 0;
  bool stop_ = false;
};

// Host-to-device copies of large pageable buffers through two pinned staging
// buffers: the pool fills one while the copy engine drains the other.  The
// copies run on a stream of their own; work queued on the main stream after a
// copy waits for it, so kernels on earlier parts overlap later copies.  The
// pinned buffers are kept for the process (pinning costs about 0.5 ms per MB)
// unless another thread holds them.  Without pinned memory: plain copies.
class Stager {
 public:
  Stager(cudaStream_t stream, unsigned threads);
  ~Stager();
  Stager(const Stager &) = delete;
  Stager &operator=(const Stager &) = delete;
  // Queues the copy; returns once src has been read in full (the last chunks
  // may still be on their way).  after_queued_work: the copy also waits for
  // everything queued on the main stream so far (dst may still be read
  // there); false only when the caller knows no queued work touches dst.
  void copy(void *dst, const void *src, size_t bytes, bool after_queued_work, const char *what);

 private:
  cudaStream_t stream_;
  cudaStream_t copy_stream_ = nullptr;
  cudaEvent_t main_done_ = nullptr, copied_ = nullptr;
  size_t chunk_ = 0;
  bool cached_ = false;
  void *pinned_[2] = {nullptr, nullptr};
  cudaEvent_t drained_[2] = {nullptr, nullptr};
  bool used_[2] = {false, false};
  std::unique_ptr<CopyPool> pool_;
};

// One device, one stream, one cuBLAS handle, a memory budget and the
// cancellation callback.  Everything a public function does runs through one.
class Context {
 public:
  Context(const pgvq_gpu_options *opts, pgvq_should_stop_fn should_stop, void *stop_arg);
  ~Context();
  Context(const Context &) = delete;
  Context &operator=(const Context &) = delete;

  cudaStream_t stream() const { return stream_; }
  cublasHandle_t blas() const { return blas_; }
  // Device bytes this call may allocate in all.
  size_t budget() const { return budget_; }
  // Largest rows per batch the caller allowed (0 = no cap).
  size_t batch_rows_cap() const { return opts_.batch_rows; }
  size_t seed_sample() const { return opts_.seed_sample; }

  // Throws Cancelled when should_stop says so.  Called between batches.
  void poll() const {
    if (should_stop_ && should_stop_(stop_arg_)) {
      cudaStreamSynchronize(stream_);  // nothing in flight once we unwind
      throw Cancelled();
    }
  }
  void sync(const char *what) const { check_cuda(cudaStreamSynchronize(stream_), what); }

  // Host <-> device copies on the context's stream; both wait for the copy.
  void to_device(void *dst, const void *src, size_t bytes, const char *what) const;
  void to_host(void *dst, const void *src, size_t bytes, const char *what) const;
  // A large host-to-device copy, through pinned staging buffers (see
  // Stager); work queued on the stream afterwards sees the data, src may
  // change once it returns.  after_queued_work as in Stager::copy.
  void upload(void *dst, const void *src, size_t bytes, const char *what,
              bool after_queued_work = true);

  // PGVQ_GPU_TRACE=1 in the environment: the time of each named step is summed
  // (the stream is synchronized at each mark, so this slows the work down)
  // and printed to stderr when the context goes.  Off: mark() costs nothing.
  bool tracing() const { return trace_; }
  void mark(const char *step) const;

 private:
  bool trace_ = false;
  mutable std::chrono::steady_clock::time_point last_mark_;
  mutable std::map<std::string, std::pair<double, long>> trace_times_;
  pgvq_gpu_options opts_;
  pgvq_should_stop_fn should_stop_;
  void *stop_arg_;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t blas_ = nullptr;
  size_t budget_ = 0;
  std::unique_ptr<Stager> stager_;
};

// ---- kernels (kernels.cu) ---------------------------------------------------
// Layouts: x (b, d) row-major, group j = columns [j*dsub, (j+1)*dsub);
// centroids (m, k, dsub); labels/dist per (row, group) (b, m).

// norms[i*m + j] = |x_i, group j|^2 for i < b.
void launch_group_norms(const Context &ctx, const float *x, size_t b, size_t d, size_t m,
                        size_t dsub, float *norms);

// Nearest centroid per (row, group).  Uses batched SGEMM + arg-min when
// dsub > 32 (needs dot workspace of m*b*k floats and xnorm of b*m floats), a
// fused direct-distance kernel otherwise.  labels (b, m) int32; dist (b, m)
// squared distances (may be null).  cnorm (m, k) = centroid norms (GEMM path).
bool assign_uses_gemm(size_t dsub);
void assign_groups(const Context &ctx, const float *x, size_t b, size_t d, size_t m,
                   size_t k, const float *centroids, const float *cnorm, float *dot_ws,
                   float *xnorm_ws, int32_t *labels, float *dist);

// r = x - centroids[labels] (rows of d floats); r may be x.
void launch_residuals(const Context &ctx, const float *x, const int32_t *labels,
                      const float *centroids, size_t b, size_t d, float *r);

// out[i] = (uint8_t) labels[i] for i < count.
void launch_labels_to_u8(const Context &ctx, const int32_t *labels, size_t count, uint8_t *out);

// acc[0] += sum of v[0..count) in double, in a fixed order.
void launch_sum(const Context &ctx, const float *v, size_t count, double *acc);

// Deterministic per-(group, cluster) sums of the rows of x given labels (b, m):
// sums (m, k, dsub) += members' sub-vectors, counts (m, k) += member counts.
// keys/vals/keys_out/vals_out: b*m int32 each; seg_start/seg_end m*k int32;
// temp: cub workspace of temp_bytes (from update_temp_bytes).
size_t update_temp_bytes(size_t items, size_t mk);
void accumulate_groups(const Context &ctx, const float *x, size_t b, size_t d, size_t m,
                       size_t k, const int32_t *labels, int32_t *keys, int32_t *vals,
                       int32_t *keys_out, int32_t *vals_out, int32_t *seg_start,
                       int32_t *seg_end, void *temp, size_t temp_bytes, double *sums,
                       long long *counts);

// centroids[s] = sums[s] / counts[s] where counts[s] > 0 (s < mk, dsub each).
void launch_finalize(const Context &ctx, const double *sums, const long long *counts, size_t mk,
                     size_t dsub, float *centroids);

// k-means++ helpers over resident per-group samples xs (m, ns, dsub), mind (m, ns).
// mind[j][i] = (first ? e : min(mind, e)), e = |xs[j][i] - newc[j]|^2; newc (m, dsub).
void launch_kpp_update(const Context &ctx, const float *xs, size_t ns, size_t m, size_t dsub,
                       const float *newc, float *mind, bool first);
// Round r of k-means++ for every group (one block each): picks the row from
// mind with the group's draw draws[j*k + r] (see kpp_select_kernel) and
// writes it to centroids (m, k, dsub) row r and newc (m, dsub).
// nchunks * 8 + len * 4 bytes must fit in 48 KiB of shared memory.
void launch_kpp_select(const Context &ctx, const float *xs, size_t ns, size_t m, size_t dsub,
                       const float *mind, const double *draws, size_t r, size_t k, size_t nchunks,
                       size_t len, float *centroids, float *newc);
// out (m, ns, dsub): group j's columns of the rows rows[j*ns .. (j+1)*ns) of x (n, d).
void launch_gather_groups(const Context &ctx, const float *x, size_t d, size_t m, size_t dsub,
                          size_t ns, const int64_t *rows, float *out);

// ---- k-means engine (kmeans.cu) ---------------------------------------------

// m independent k-means problems on the column groups of x (n, d) in host
// memory, or of dx (n, d) already on the device (then x may be null);
// centroids out (m, k, dsub) in host memory.  n > k required.
// Group j follows the CPU core's Clustering with seed params.seed + j (same
// seeding sample, same random draws, same repair).  Returns the summed
// objective of the returned centroids (a final assignment pass).
double kmeans_groups(Context &ctx, size_t n, size_t d, const float *x, const float *dx,
                     size_t m, size_t k, const pgvq_kmeans_params &params, float *centroids);

// Fills centroids (m, k, dsub) when n <= k, exactly as the CPU core does:
// the rows, then copies of random rows scaled by (1 +- 1/1024) alternately.
void fill_small(size_t n, size_t d, const float *x, size_t m, size_t k,
                const pgvq_kmeans_params &params, float *centroids);

// Throws PGVQ_INVALID_ARGUMENT unless all n*d values are finite.
void check_finite(size_t n, size_t d, const float *x, const char *what);

// ---- encoding (encode.cu) ------------------------------------------------------

// out (n, d) on the device = x (host) - its nearest of the nlist centroids.
// Returns false, with nothing allocated, when that does not fit in the budget
// (the caller then streams through encode_rows).
bool device_residuals(Context &ctx, size_t n, size_t d, const float *x, size_t nlist,
                      const float *centroids, DeviceBuffer<float> &out);

// labels (n) int64 and/or codes (n, m) for x (n, d); either step may be
// skipped (nlist == 0 or codes == nullptr).  residual_out (n, d, host, may be
// null): x - centroid, for PQ training on residuals.
void encode_rows(Context &ctx, size_t n, size_t d, const float *x, size_t nlist,
                 const float *centroids, size_t m, size_t ksub, const float *codebooks,
                 int64_t *labels, float *distances, uint8_t *codes, float *residual_out);

}  // namespace pgvq_gpu
