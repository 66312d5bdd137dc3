// context.cu: device selection, stream, cuBLAS handle, memory budget, errors.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "gpu_internal.cuh"

namespace pgvq_gpu {

void throw_cuda(cudaError_t err, const char *what) {
  // Clear the (non-sticky) error so a later call on this thread starts clean.
  (void)cudaGetLastError();
  const int code = err == cudaErrorMemoryAllocation ? PGVQ_OOM : PGVQ_INTERNAL;
  throw GpuError(code, std::string("CUDA error in ") + what + ": " + cudaGetErrorName(err) + " (" +
                           cudaGetErrorString(err) + ")");
}

void throw_cublas(cublasStatus_t err, const char *what) {
  const int code = err == CUBLAS_STATUS_ALLOC_FAILED ? PGVQ_OOM : PGVQ_INTERNAL;
  throw GpuError(code, std::string("cuBLAS error in ") + what + ": " + cublasGetStatusName(err) +
                           " (" + cublasGetStatusString(err) + ")");
}

Context::Context(const pgvq_gpu_options *opts, pgvq_should_stop_fn should_stop, void *stop_arg)
    : should_stop_(should_stop), stop_arg_(stop_arg) {
  if (opts)
    opts_ = *opts;
  else
    pgvq_gpu_options_default(&opts_);
  const char *tr = std::getenv("PGVQ_GPU_TRACE");
  trace_ = tr != nullptr && *tr != '\0' && *tr != '0';
  if (trace_) last_mark_ = std::chrono::steady_clock::now();

  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    throw GpuError(PGVQ_INTERNAL, std::string("no usable CUDA device: ") + cudaGetErrorString(err));
  }
  if (count <= 0) throw GpuError(PGVQ_INTERNAL, "no usable CUDA device: none found");
  if (opts_.device < 0 || opts_.device >= count)
    throw GpuError(PGVQ_INVALID_ARGUMENT, "CUDA device " + std::to_string(opts_.device) +
                                              " does not exist (" + std::to_string(count) +
                                              " present)");
  check_cuda(cudaSetDevice(opts_.device), "cudaSetDevice");
  check_cuda(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
  cublasStatus_t bs = cublasCreate(&blas_);
  if (bs != CUBLAS_STATUS_SUCCESS) {
    cudaStreamDestroy(stream_);
    throw_cublas(bs, "cublasCreate");
  }
  try {
    check_cublas(cublasSetStream(blas_, stream_), "cublasSetStream");
    // Full FP32 (no TF32) so results stay comparable with the CPU path.
    check_cublas(cublasSetMathMode(blas_, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
    size_t free_bytes = 0, total_bytes = 0;
    check_cuda(cudaMemGetInfo(&free_bytes, &total_bytes), "cudaMemGetInfo");
    // Leave room for the CUDA context, cuBLAS workspaces and fragmentation.
    const size_t reserve = static_cast<size_t>(256) << 20;
    size_t usable = free_bytes > reserve ? free_bytes - reserve : free_bytes / 2;
    usable = usable / 10 * 9;
    budget_ = opts_.max_memory != 0 && opts_.max_memory < usable ? opts_.max_memory : usable;
    mark("context: stream, cuBLAS handle");
  } catch (...) {
    cublasDestroy(blas_);
    cudaStreamDestroy(stream_);
    throw;
  }
}

Context::~Context() {
  // Wait for queued work (an exception may leave kernels in flight) before
  // the handle and stream go; errors here have nowhere to go.
  cudaStreamSynchronize(stream_);
  stager_.reset();
  if (trace_) {
    double total = 0;
    for (const auto &kv : trace_times_) total += kv.second.first;
    std::fprintf(stderr, "pgvq_gpu trace: %.4f s in all\n", total);
    for (const auto &kv : trace_times_)
      std::fprintf(stderr, "pgvq_gpu trace:   %-28s %9.4f s %7ld x\n", kv.first.c_str(),
                   kv.second.first, kv.second.second);
  }
  cublasDestroy(blas_);
  cudaStreamDestroy(stream_);
  (void)cudaGetLastError();
}

void Context::mark(const char *step) const {
  if (!trace_) return;
  cudaStreamSynchronize(stream_);
  const auto t = std::chrono::steady_clock::now();
  auto &slot = trace_times_[step];
  slot.first += std::chrono::duration<double>(t - last_mark_).count();
  slot.second += 1;
  last_mark_ = t;
}

void Context::to_device(void *dst, const void *src, size_t bytes, const char *what) const {
  if (bytes == 0) return;
  // Waits, so the host buffer may change or go as soon as this returns.
  check_cuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream_), what);
  check_cuda(cudaStreamSynchronize(stream_), what);
}

void Context::to_host(void *dst, const void *src, size_t bytes, const char *what) const {
  if (bytes == 0) return;
  check_cuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream_), what);
  check_cuda(cudaStreamSynchronize(stream_), what);
}

void Context::upload(void *dst, const void *src, size_t bytes, const char *what,
                     bool after_queued_work) {
  // Small copies are not worth the pinned buffers.
  constexpr size_t kStageMin = static_cast<size_t>(8) << 20;
  if (bytes < kStageMin) {
    to_device(dst, src, bytes, what);
    return;
  }
  if (!stager_) {
    const unsigned hw = std::thread::hardware_concurrency();
    const unsigned threads = hw == 0 ? 1 : (hw > 8 ? 8 : hw);
    stager_ = std::make_unique<Stager>(stream_, threads);
    mark("upload: staging buffers");
  }
  stager_->copy(dst, src, bytes, after_queued_work, what);
}

// ---- CopyPool -------------------------------------------------------------

CopyPool::CopyPool(unsigned threads) {
  // Thread 0 is the caller; a worker that cannot be started just leaves its
  // share to the others.  Workers start with every signal blocked.
  BlockSignals blocked;
  for (unsigned t = 1; t < threads; ++t) {
    try {
      threads_.emplace_back([this, t] { work(t); });
    } catch (...) {
      break;
    }
  }
}

CopyPool::~CopyPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  go_.notify_all();
  for (auto &t : threads_) t.join();
}

void CopyPool::slice(unsigned id, unsigned parts) {
  // 4 KiB-aligned slices so no two threads write one page.
  const size_t per = ((bytes_ / parts + 4095) / 4096) * 4096;
  const size_t a = std::min(bytes_, per * id), e = std::min(bytes_, a + per);
  if (e > a) std::memcpy(dst_ + a, src_ + a, e - a);
}

void CopyPool::work(unsigned id) {
  unsigned long seen = 0;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    go_.wait(lock, [&] { return stop_ || generation_ != seen; });
    if (stop_) return;
    seen = generation_;
    const unsigned parts = static_cast<unsigned>(threads_.size()) + 1;
    lock.unlock();
    slice(id, parts);
    lock.lock();
    if (--pending_ == 0) done_.notify_one();
  }
}

void CopyPool::copy(void *dst, const void *src, size_t bytes) {
  constexpr size_t kParallelMin = static_cast<size_t>(1) << 20;
  if (threads_.empty() || bytes < kParallelMin) {
    std::memcpy(dst, src, bytes);
    return;
  }
  const unsigned parts = static_cast<unsigned>(threads_.size()) + 1;
  std::unique_lock<std::mutex> lock(mu_);
  dst_ = static_cast<char *>(dst);
  src_ = static_cast<const char *>(src);
  bytes_ = bytes;
  pending_ = parts - 1;
  ++generation_;
  lock.unlock();
  go_.notify_all();
  slice(0, parts);
  lock.lock();
  done_.wait(lock, [&] { return pending_ == 0; });
}

// ---- Stager ---------------------------------------------------------------

namespace {

constexpr size_t kStageChunk = static_cast<size_t>(16) << 20;

// The process's pinned staging buffers: made on first use, never freed (the
// process's exit releases them).  One user at a time.
struct PinnedCache {
  std::mutex mu;
  bool busy = false;
  void *buf[2] = {nullptr, nullptr};
};
PinnedCache &pinned_cache() {
  static PinnedCache *cache = new PinnedCache();
  return *cache;
}

bool alloc_pinned(void *out[2]) {
  for (int i = 0; i < 2; ++i) {
    if (cudaHostAlloc(&out[i], kStageChunk, cudaHostAllocPortable) != cudaSuccess) {
      (void)cudaGetLastError();
      out[i] = nullptr;
      if (i == 1) {
        cudaFreeHost(out[0]);
        out[0] = nullptr;
      }
      return false;
    }
  }
  return true;
}

}  // namespace

Stager::Stager(cudaStream_t stream, unsigned threads) : stream_(stream) {
  {
    PinnedCache &c = pinned_cache();
    std::lock_guard<std::mutex> lock(c.mu);
    if (!c.busy) {
      if (c.buf[0] != nullptr || alloc_pinned(c.buf)) {
        pinned_[0] = c.buf[0];
        pinned_[1] = c.buf[1];
        c.busy = true;
        cached_ = true;
      }
    }
  }
  if (!cached_) alloc_pinned(pinned_);
  bool ok = pinned_[0] != nullptr &&
            cudaStreamCreateWithFlags(&copy_stream_, cudaStreamNonBlocking) == cudaSuccess &&
            cudaEventCreateWithFlags(&main_done_, cudaEventDisableTiming) == cudaSuccess &&
            cudaEventCreateWithFlags(&copied_, cudaEventDisableTiming) == cudaSuccess;
  for (int i = 0; ok && i < 2; ++i)
    ok = cudaEventCreateWithFlags(&drained_[i], cudaEventDisableTiming) == cudaSuccess;
  (void)cudaGetLastError();
  if (ok) {
    chunk_ = kStageChunk;
    try {
      pool_ = std::make_unique<CopyPool>(threads);
    } catch (...) {
      chunk_ = 0;
    }
  }
}

Stager::~Stager() {
  // The copy engine may still read the buffers.
  if (copy_stream_) cudaStreamSynchronize(copy_stream_);
  for (int i = 0; i < 2; ++i)
    if (drained_[i]) cudaEventDestroy(drained_[i]);
  if (main_done_) cudaEventDestroy(main_done_);
  if (copied_) cudaEventDestroy(copied_);
  if (copy_stream_) cudaStreamDestroy(copy_stream_);
  if (cached_) {
    PinnedCache &c = pinned_cache();
    std::lock_guard<std::mutex> lock(c.mu);
    c.busy = false;
  } else {
    for (int i = 0; i < 2; ++i)
      if (pinned_[i]) cudaFreeHost(pinned_[i]);
  }
  (void)cudaGetLastError();
}

void Stager::copy(void *dst, const void *src, size_t bytes, bool after_queued_work,
                  const char *what) {
  if (chunk_ == 0) {
    check_cuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream_), what);
    check_cuda(cudaStreamSynchronize(stream_), what);
    return;
  }
  if (after_queued_work) {
    check_cuda(cudaEventRecord(main_done_, stream_), what);
    check_cuda(cudaStreamWaitEvent(copy_stream_, main_done_, 0), what);
  }
  char *d = static_cast<char *>(dst);
  const char *s = static_cast<const char *>(src);
  int buf = 0;
  for (size_t off = 0; off < bytes; off += chunk_, buf ^= 1) {
    const size_t len = std::min(chunk_, bytes - off);
    if (used_[buf]) check_cuda(cudaEventSynchronize(drained_[buf]), what);
    pool_->copy(pinned_[buf], s + off, len);
    check_cuda(cudaMemcpyAsync(d + off, pinned_[buf], len, cudaMemcpyHostToDevice, copy_stream_),
               what);
    check_cuda(cudaEventRecord(drained_[buf], copy_stream_), what);
    used_[buf] = true;
  }
  // Later work on the main stream sees the data.
  check_cuda(cudaEventRecord(copied_, copy_stream_), what);
  check_cuda(cudaStreamWaitEvent(stream_, copied_, 0), what);
}

}  // namespace pgvq_gpu
