// api.cu: the extern "C" boundary of libpgvq_gpu.  Every function validates
// its arguments before touching the device and catches everything.
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "gpu_internal.cuh"

#ifndef PGVQ_GPU_VERSION
#define PGVQ_GPU_VERSION "unknown"
#endif
#ifndef PGVQ_GPU_ARCHS
#define PGVQ_GPU_ARCHS "unknown"
#endif

using namespace pgvq_gpu;

namespace {

void set_status(pgvq_status *st, int code, const char *msg) {
  if (!st) return;
  st->code = code;
  std::snprintf(st->message, sizeof(st->message), "%s", msg ? msg : "");
}

template <class F>
int guarded(pgvq_status *st, F &&body) {
  set_status(st, PGVQ_OK, "");
  try {
    body();
    return PGVQ_OK;
  } catch (const Cancelled &) {
    set_status(st, PGVQ_CANCELLED, "canceled");
    return PGVQ_CANCELLED;
  } catch (const GpuError &e) {
    set_status(st, e.code(), e.what());
    return e.code();
  } catch (const std::bad_alloc &) {
    set_status(st, PGVQ_OOM, "out of host memory in the GPU module");
    return PGVQ_OOM;
  } catch (const std::exception &e) {
    set_status(st, PGVQ_INTERNAL, e.what());
    return PGVQ_INTERNAL;
  } catch (...) {
    set_status(st, PGVQ_INTERNAL, "unknown error in the GPU module");
    return PGVQ_INTERNAL;
  }
}

pgvq_kmeans_params params_or_default(const pgvq_kmeans_params *p) {
  if (p) return *p;
  pgvq_kmeans_params d;
  std::memset(&d, 0, sizeof(d));
  d.niter = 20;
  d.seed = 1234;
  return d;
}

void check_params(const pgvq_kmeans_params &p) {
  if (p.niter < 0) throw_invalid("k-means iterations must not be negative");
}

void check_common(size_t n, size_t d, const float *x) {
  if (n == 0) throw_invalid("no rows given");
  if (d == 0) throw_invalid("dimensions must be positive");
  if (!x) throw_invalid("rows must not be NULL");
  if (n > (SIZE_MAX / sizeof(float)) / d) throw_invalid("too many rows");
}

void check_pq(size_t d, size_t m, int nbits) {
  if (m == 0 || d % m != 0) throw_invalid("m must be positive and divide the dimensions");
  if (m > 65535) throw_invalid("m must be at most 65535");
  if (nbits < 1 || nbits > 8) throw_invalid("nbits must be between 1 and 8");
}

}  // namespace

extern "C" {

PGVQ_GPU_EXPORT void pgvq_gpu_options_default(pgvq_gpu_options *opts) {
  if (!opts) return;
  std::memset(opts, 0, sizeof(*opts));
  opts->device = 0;
}

PGVQ_GPU_EXPORT const char *pgvq_gpu_version(void) {
  static const std::string text = [] {
    int rt = 0;
    if (cudaRuntimeGetVersion(&rt) != cudaSuccess) rt = 0;
    (void)cudaGetLastError();
    return std::string("pgvq_gpu ") + PGVQ_GPU_VERSION + " (CUDA runtime " +
           std::to_string(rt / 1000) + "." + std::to_string((rt % 1000) / 10) +
           ", built for sm " + PGVQ_GPU_ARCHS + ")";
  }();
  return text.c_str();
}

PGVQ_GPU_EXPORT int pgvq_gpu_device_count(int *count, pgvq_status *st) {
  return guarded(st, [&] {
    if (!count) throw_invalid("count must not be NULL");
    *count = 0;
    int c = 0;
    cudaError_t err = cudaGetDeviceCount(&c);
    if (err != cudaSuccess) {
      (void)cudaGetLastError();
      set_status(st, PGVQ_OK, (std::string("no usable CUDA device: ") + cudaGetErrorString(err)).c_str());
      return;
    }
    if (c <= 0) set_status(st, PGVQ_OK, "no usable CUDA device: none found");
    *count = c > 0 ? c : 0;
  });
}

PGVQ_GPU_EXPORT int pgvq_gpu_device_info(int device, char *name, size_t name_len,
                                         size_t *total_bytes, size_t *free_bytes,
                                         pgvq_status *st) {
  return guarded(st, [&] {
    int c = 0;
    cudaError_t err = cudaGetDeviceCount(&c);
    if (err != cudaSuccess) throw_cuda(err, "cudaGetDeviceCount");
    if (device < 0 || device >= c)
      throw_invalid("CUDA device " + std::to_string(device) + " does not exist");
    cudaDeviceProp prop;
    check_cuda(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
    if (name && name_len > 0) std::snprintf(name, name_len, "%s", prop.name);
    if (total_bytes || free_bytes) {
      check_cuda(cudaSetDevice(device), "cudaSetDevice");
      size_t f = 0, t = 0;
      check_cuda(cudaMemGetInfo(&f, &t), "cudaMemGetInfo");
      if (total_bytes) *total_bytes = t;
      if (free_bytes) *free_bytes = f;
    }
  });
}

PGVQ_GPU_EXPORT int pgvq_gpu_kmeans_train(size_t n, size_t d, const float *x, size_t k,
                                          const pgvq_kmeans_params *params,
                                          const pgvq_gpu_options *opts, float *centroids,
                                          double *objective, pgvq_status *st) {
  return guarded(st, [&] {
    check_common(n, d, x);
    if (k == 0) throw_invalid("k must be positive");
    if (!centroids) throw_invalid("centroids must not be NULL");
    const pgvq_kmeans_params p = params_or_default(params);
    check_params(p);
    check_finite(n, d, x, "k-means");
    if (n <= k) {
      fill_small(n, d, x, 1, k, p, centroids);
      if (objective) *objective = 0.0;
      return;
    }
    Context ctx(opts, p.should_stop, p.stop_arg);
    const double obj = kmeans_groups(ctx, n, d, x, nullptr, 1, k, p, centroids);
    if (objective) *objective = obj;
  });
}

PGVQ_GPU_EXPORT int pgvq_gpu_assign_l2(size_t n, size_t d, const float *x, size_t k,
                                       const float *centroids, int64_t *labels,
                                       float *distances, const pgvq_gpu_options *opts,
                                       pgvq_should_stop_fn should_stop, void *stop_arg,
                                       pgvq_status *st) {
  return guarded(st, [&] {
    check_common(n, d, x);
    if (k == 0 || !centroids) throw_invalid("centroids must be given");
    if (!labels) throw_invalid("labels must not be NULL");
    Context ctx(opts, should_stop, stop_arg);
    encode_rows(ctx, n, d, x, k, centroids, 0, 0, nullptr, labels, distances, nullptr, nullptr);
  });
}

PGVQ_GPU_EXPORT int pgvq_gpu_pq_train(size_t n, size_t d, const float *x, size_t nlist,
                                      const float *centroids, size_t m, int nbits,
                                      const pgvq_kmeans_params *params,
                                      const pgvq_gpu_options *opts, float *codebooks,
                                      pgvq_status *st) {
  return guarded(st, [&] {
    check_common(n, d, x);
    check_pq(d, m, nbits);
    if ((nlist == 0) != (centroids == nullptr))
      throw_invalid("nlist and centroids must be given together");
    if (!codebooks) throw_invalid("codebooks must not be NULL");
    const pgvq_kmeans_params p = params_or_default(params);
    check_params(p);
    const size_t ksub = static_cast<size_t>(1) << nbits;
    check_finite(n, d, x, "product quantizer");
    if (nlist == 0 && n <= ksub) {
      fill_small(n, d, x, m, ksub, p, codebooks);
      return;
    }
    Context ctx(opts, p.should_stop, p.stop_arg);
    // Residuals stay on the device when they fit; otherwise they come back
    // to host memory and the training streams them.
    DeviceBuffer<float> dres;
    if (nlist > 0 && n > ksub && device_residuals(ctx, n, d, x, nlist, centroids, dres)) {
      kmeans_groups(ctx, n, d, nullptr, dres.get(), m, ksub, p, codebooks);
      return;
    }
    std::vector<float> residuals;
    const float *train = x;
    if (nlist > 0) {
      residuals.resize(n * d);
      encode_rows(ctx, n, d, x, nlist, centroids, 0, 0, nullptr, nullptr, nullptr, nullptr,
                  residuals.data());
      train = residuals.data();
    }
    if (n <= ksub)
      fill_small(n, d, train, m, ksub, p, codebooks);
    else
      kmeans_groups(ctx, n, d, train, nullptr, m, ksub, p, codebooks);
  });
}

PGVQ_GPU_EXPORT int pgvq_gpu_ivfpq_encode(size_t n, size_t d, const float *x, size_t nlist,
                                          const float *centroids, size_t m, int nbits,
                                          const float *codebooks, int64_t *labels,
                                          uint8_t *codes, const pgvq_gpu_options *opts,
                                          pgvq_should_stop_fn should_stop, void *stop_arg,
                                          pgvq_status *st) {
  return guarded(st, [&] {
    check_common(n, d, x);
    check_pq(d, m, nbits);
    if ((nlist == 0) != (centroids == nullptr))
      throw_invalid("nlist and centroids must be given together");
    if (!codebooks) throw_invalid("codebooks must not be NULL");
    if (!codes) throw_invalid("codes must not be NULL");
    const size_t ksub = static_cast<size_t>(1) << nbits;
    Context ctx(opts, should_stop, stop_arg);
    encode_rows(ctx, n, d, x, nlist, centroids, m, ksub, codebooks, nlist > 0 ? labels : nullptr,
                nullptr, codes, nullptr);
  });
}

PGVQ_GPU_EXPORT const pgvq_gpu_api *pgvq_gpu_get_api(int abi_version) {
  static const pgvq_gpu_api api = {
      PGVQ_GPU_ABI_VERSION,     sizeof(pgvq_gpu_api),  pgvq_gpu_version,
      pgvq_gpu_options_default, pgvq_gpu_device_count, pgvq_gpu_device_info,
      pgvq_gpu_kmeans_train,    pgvq_gpu_assign_l2,    pgvq_gpu_pq_train,
      pgvq_gpu_ivfpq_encode,
  };
  return abi_version == PGVQ_GPU_ABI_VERSION ? &api : nullptr;
}

}  // extern "C"
