/*
 * blas.cpp: OpenBLAS set-up and the one GEMM shape the core uses.
 */
#include <cblas.h>

#include <atomic>
#include <mutex>

#include "blas.h"

#include "cpp_only.h"

/* Present in the pthreads build of OpenBLAS; absent (null) in other builds. */
extern "C" int blas_thread_shutdown_(void) __attribute__((weak));

namespace pgvq {

namespace {
std::atomic<bool> g_blas_ready{false};
std::mutex g_blas_mu;
} // namespace

void blas_init() noexcept {
    if (g_blas_ready.load(std::memory_order_acquire))
        return;
    try {
        std::lock_guard<std::mutex> lk(g_blas_mu);
        if (g_blas_ready.load(std::memory_order_relaxed))
            return;
        openblas_set_num_threads(1);
        if (blas_thread_shutdown_ != nullptr)
            blas_thread_shutdown_();
        g_blas_ready.store(true, std::memory_order_release);
    } catch (...) {
        /* std::mutex::lock failed (cannot happen in practice): OpenBLAS
         * keeps its defaults; nothing else depends on it for correctness. */
    }
}

void sgemm_nt(size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
              const float *b, size_t ldb, float beta, float *c, size_t ldc) noexcept {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)m, (blasint)n, (blasint)k, alpha,
                a, (blasint)lda, b, (blasint)ldb, beta, c, (blasint)ldc);
}

} // namespace pgvq
