/*
 * blas.h: the core's use of OpenBLAS.
 *
 * We parallelise in our own threads (parallel.h) and call OpenBLAS from each of
 * them single-threaded, so OpenBLAS must never run its own pool during our
 * calls.  blas_init() sets OpenBLAS to one thread and, when the pthreads build
 * of OpenBLAS already started its pool at library load (it does, unless
 * OPENBLAS_NUM_THREADS=1 is in the environment), shuts that pool down: those
 * threads were created with the backend's signal mask unblocked, so a signal
 * sent to the backend could otherwise run a Postgres handler on one of them.
 */
#ifndef PGVQ_BLAS_H
#define PGVQ_BLAS_H

#include <cstddef>

#include "cpp_only.h"

namespace pgvq {

/* Idempotent, thread-safe, never throws. */
void blas_init() noexcept;

/*
 * Row-major C (m, n) = alpha * A (m, k) * B (n, k)^T + beta * C, with leading
 * dimensions lda, ldb, ldc (in floats).  Dimensions must fit in an int (checked
 * by the callers: blocks are small, d is checked at the API).
 */
void sgemm_nt(size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
              const float *b, size_t ldb, float beta, float *c, size_t ldc) noexcept;

} // namespace pgvq

#endif
