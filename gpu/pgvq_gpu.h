/*
 * pgvq_gpu.h: the C API of the optional CUDA/cuBLAS build-offload library
 * (libpgvq_gpu.so, built from gpu/ when CMake has -DPGVQ_WITH_CUDA=ON).
 *
 * Plain C, no CUDA type appears here.  The extension never links this
 * library: it dlopen()s it when a build wants the GPU, dlsym()s the single
 * symbol PGVQ_GPU_GET_API_SYMBOL and calls through the returned table, so
 * pgvq.so loads on machines without CUDA.  Tests and the benchmark may link
 * it directly and call the pgvq_gpu_* functions.
 *
 * Conventions are those of pgvq_core.h: every function that can fail returns
 * a pgvq_status_code (PGVQ_OK on success) and, when st is not NULL, a message
 * in st.  No C++ exception leaves the library; every CUDA or cuBLAS error
 * becomes PGVQ_OOM (device or host memory exhausted) or PGVQ_INTERNAL with
 * the CUDA/cuBLAS error text; bad arguments give PGVQ_INVALID_ARGUMENT
 * (checked before the device is touched).  Long work polls should_stop
 * between batches and returns PGVQ_CANCELLED.
 *
 * Results come back in exactly the core's CPU layouts (row-major float32):
 *  - coarse centroids (nlist, d); PQ codebooks (m, ksub, dsub), ksub = 1 << nbits,
 *    dsub = d / m; list labels int64 (n); PQ codes (n, m) uint8.
 * Distances are squared L2 throughout (ivfpq trains and assigns its lists by L2;
 * the glue normalises vectors first where the metric needs it).
 *
 * Device memory comes from plain cudaMalloc (never managed memory), sized
 * from cudaMemGetInfo's free memory (or options.max_memory).  Data that do not
 * fit are streamed from host memory in batches.  Results are deterministic for
 * a given seed, input, device model and library build (no floating-point
 * atomics; sums run in a fixed order).
 */
#ifndef PGVQ_GPU_H
#define PGVQ_GPU_H

#include <stddef.h>
#include <stdint.h>

#include "pgvq_core.h"

#ifdef __cplusplus
extern "C"
{
#endif

#define PGVQ_GPU_EXPORT __attribute__((visibility("default")))

/* Bumped whenever pgvq_gpu_api or pgvq_gpu_options change. */
#define PGVQ_GPU_ABI_VERSION 1

/* The one symbol the extension looks up with dlsym(). */
#define PGVQ_GPU_GET_API_SYMBOL "pgvq_gpu_get_api"

/* Library file name, installed beside pgvq.so (pg_config --pkglibdir). */
#define PGVQ_GPU_LIBRARY_NAME "libpgvq_gpu.so"

typedef struct pgvq_gpu_options
{
	int			device;			/* CUDA device ordinal (default 0) */
	size_t		max_memory;		/* most device bytes to use; 0 = most of the free memory */
	size_t		batch_rows;		/* most rows per batch; 0 = sized from memory */
	size_t		seed_sample;	/* most rows k-means++ seeding looks at; 0 = default
								 * (see pgvq_gpu_kmeans_train) */
} pgvq_gpu_options;

/* Fills the defaults above.  Never fails. */
PGVQ_GPU_EXPORT void pgvq_gpu_options_default(pgvq_gpu_options *opts);

/* "pgvq_gpu <version> (CUDA runtime <x.y>, built for <arches>)".  Never fails. */
PGVQ_GPU_EXPORT const char *pgvq_gpu_version(void);

/*
 * Number of usable CUDA devices.  A machine without a device or a driver is
 * not an error: *count = 0, PGVQ_OK, and st->message (if st) says why.
 */
PGVQ_GPU_EXPORT int pgvq_gpu_device_count(int *count, pgvq_status *st);

/* Name (NUL-terminated, truncated to name_len) and memory of one device;
 * any out pointer may be NULL. */
PGVQ_GPU_EXPORT int pgvq_gpu_device_info(int device, char *name, size_t name_len,
										 size_t *total_bytes, size_t *free_bytes,
										 pgvq_status *st);

/*
 * Same semantics as pgvq_kmeans_train: k-means++-seeded Lloyd k-means by
 * squared L2.  x (n, d) in host memory; centroids out (k, d) in host memory;
 * objective (may be NULL) = sum of squared distances of the last assignment
 * pass (the one that produced the returned centroids' members).
 * params: niter, seed, spherical, should_stop/stop_arg are honoured,
 * nthreads is ignored.  opts may be NULL (defaults).
 * Seeding runs k-means++ on the device over a seeded random sample of
 * min(n, opts.seed_sample or 256 * k) rows; assignment is cuBLAS SGEMM
 * (|x|^2 + |c|^2 - 2 x.c) plus an arg-min kernel; the update is a
 * deterministic segmented reduction on the device; empty clusters are
 * repaired by splitting a large one.  k >= n: the rows themselves, then
 * jittered copies, fill the centroids (no iteration).
 */
PGVQ_GPU_EXPORT int pgvq_gpu_kmeans_train(size_t n, size_t d, const float *x, size_t k,
										  const pgvq_kmeans_params *params,
										  const pgvq_gpu_options *opts,
										  float *centroids, double *objective,
										  pgvq_status *st);

/* Nearest centroid by squared L2 for each row of x (n, d): labels (n),
 * distances (n, may be NULL).  Same contract as pgvq_assign_l2. */
PGVQ_GPU_EXPORT int pgvq_gpu_assign_l2(size_t n, size_t d, const float *x, size_t k,
									   const float *centroids, int64_t *labels,
									   float *distances, const pgvq_gpu_options *opts,
									   pgvq_should_stop_fn should_stop, void *stop_arg,
									   pgvq_status *st);

/*
 * Trains m PQ codebooks of 2^nbits centroids, one k-means per sub-space, all
 * sub-spaces batched together on the device.  With nlist > 0 and centroids
 * (nlist, d) given, each row is first assigned to its nearest centroid and
 * the codebooks are trained on the residuals x - centroid (what an ivfpq
 * build wants); with nlist = 0 and centroids = NULL they are trained on x
 * itself (same as pgvq_pq_train).  d % m == 0, 1 <= nbits <= 8.
 * codebooks out: (m, ksub, dsub).
 */
PGVQ_GPU_EXPORT int pgvq_gpu_pq_train(size_t n, size_t d, const float *x,
									  size_t nlist, const float *centroids,
									  size_t m, int nbits,
									  const pgvq_kmeans_params *params,
									  const pgvq_gpu_options *opts,
									  float *codebooks, pgvq_status *st);

/*
 * Encodes every row of x (n, d): labels[i] = nearest of the nlist centroids
 * (n, int64), codes row i = PQ code (m bytes) of x[i] - centroids[labels[i]].
 * With nlist = 0 and centroids = NULL there is no coarse step: codes are the
 * PQ codes of x itself and labels may be NULL (same as pgvq_pq_encode).
 * codes out: (n, m) uint8.
 */
PGVQ_GPU_EXPORT int pgvq_gpu_ivfpq_encode(size_t n, size_t d, const float *x,
										  size_t nlist, const float *centroids,
										  size_t m, int nbits, const float *codebooks,
										  int64_t *labels, uint8_t *codes,
										  const pgvq_gpu_options *opts,
										  pgvq_should_stop_fn should_stop, void *stop_arg,
										  pgvq_status *st);

/* The same functions as one table, for dlopen()/dlsym() users. */
typedef struct pgvq_gpu_api
{
	int			abi_version;	/* PGVQ_GPU_ABI_VERSION of the library */
	size_t		struct_size;	/* sizeof(pgvq_gpu_api) of the library */
	const char *(*version) (void);
	void		(*options_default) (pgvq_gpu_options *opts);
	int			(*device_count) (int *count, pgvq_status *st);
	int			(*device_info) (int device, char *name, size_t name_len,
								size_t *total_bytes, size_t *free_bytes, pgvq_status *st);
	int			(*kmeans_train) (size_t n, size_t d, const float *x, size_t k,
								 const pgvq_kmeans_params *params,
								 const pgvq_gpu_options *opts, float *centroids,
								 double *objective, pgvq_status *st);
	int			(*assign_l2) (size_t n, size_t d, const float *x, size_t k,
							  const float *centroids, int64_t *labels, float *distances,
							  const pgvq_gpu_options *opts, pgvq_should_stop_fn should_stop,
							  void *stop_arg, pgvq_status *st);
	int			(*pq_train) (size_t n, size_t d, const float *x, size_t nlist,
							 const float *centroids, size_t m, int nbits,
							 const pgvq_kmeans_params *params, const pgvq_gpu_options *opts,
							 float *codebooks, pgvq_status *st);
	int			(*ivfpq_encode) (size_t n, size_t d, const float *x, size_t nlist,
								 const float *centroids, size_t m, int nbits,
								 const float *codebooks, int64_t *labels, uint8_t *codes,
								 const pgvq_gpu_options *opts, pgvq_should_stop_fn should_stop,
								 void *stop_arg, pgvq_status *st);
} pgvq_gpu_api;

/* Returns the table, or NULL when abi_version is not PGVQ_GPU_ABI_VERSION
 * (a library from another pgvq release).  Never fails otherwise. */
typedef const pgvq_gpu_api *(*pgvq_gpu_get_api_fn) (int abi_version);
PGVQ_GPU_EXPORT const pgvq_gpu_api *pgvq_gpu_get_api(int abi_version);

#ifdef __cplusplus
}
#endif

#endif							/* PGVQ_GPU_H */
