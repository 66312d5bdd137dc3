/*
 * fake_gpu.c: stand-in GPU modules for testing the extension's loader and
 * pgvq.build_device on machines without a GPU (test/gpu/loader.sh).
 *
 * It exports pgvq_gpu_get_api with the real ABI (gpu/pgvq_gpu.h) and runs the
 * work on the CPU core, so an index "built on the GPU" through the function
 * table must equal the CPU build.  Compiled once per behaviour:
 *   -DFAKE_OK            one device "fake", every call works
 *   -DFAKE_ABI           pgvq_gpu_get_api refuses the ABI version
 *   -DFAKE_NODEV         zero devices
 *   -DFAKE_FAIL_KMEANS   k-means returns PGVQ_INTERNAL
 *   -DFAKE_FAIL_ENCODE   the second encoding call returns PGVQ_OOM
 *   -DFAKE_HANG          k-means waits (up to 60 s) until should_stop says stop
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgvq_gpu.h"

static void
set_status(pgvq_status *st, int code, const char *msg)
{
	if (st)
	{
		st->code = code;
		snprintf(st->message, sizeof(st->message), "%s", msg);
	}
}

static const char *
fake_version(void)
{
	return "fake_gpu (test stand-in)";
}

static void
fake_options_default(pgvq_gpu_options *opts)
{
	memset(opts, 0, sizeof(*opts));
}

static int
fake_device_count(int *count, pgvq_status *st)
{
#ifdef FAKE_NODEV
	*count = 0;
	set_status(st, PGVQ_OK, "no usable CUDA device: fake module has none");
#else
	*count = 1;
	set_status(st, PGVQ_OK, "");
#endif
	return PGVQ_OK;
}

static int
fake_device_info(int device, char *name, size_t name_len, size_t *total, size_t *freeb,
				 pgvq_status *st)
{
	if (device != 0)
	{
		set_status(st, PGVQ_INVALID_ARGUMENT, "no such device");
		return PGVQ_INVALID_ARGUMENT;
	}
	if (name && name_len)
		snprintf(name, name_len, "fake");
	if (total)
		*total = (size_t) 1 << 30;
	if (freeb)
		*freeb = (size_t) 1 << 30;
	return PGVQ_OK;
}

static int
fake_kmeans_train(size_t n, size_t d, const float *x, size_t k, const pgvq_kmeans_params *params,
				  const pgvq_gpu_options *opts, float *centroids, double *objective,
				  pgvq_status *st)
{
	(void) opts;
#if defined(FAKE_FAIL_KMEANS)
	set_status(st, PGVQ_INTERNAL, "fake k-means failure");
	return PGVQ_INTERNAL;
#elif defined(FAKE_HANG)
	{
		struct timespec ts = {0, 10 * 1000 * 1000};
		int			i;

		for (i = 0; i < 6000; i++)
		{
			if (params->should_stop && params->should_stop(params->stop_arg))
			{
				set_status(st, PGVQ_CANCELLED, "cancelled");
				return PGVQ_CANCELLED;
			}
			nanosleep(&ts, NULL);
		}
		set_status(st, PGVQ_INTERNAL, "fake module waited 60 s for a cancel");
		return PGVQ_INTERNAL;
	}
#else
	return pgvq_kmeans_train(n, d, x, k, params, centroids, objective, st);
#endif
}

static int
fake_assign_l2(size_t n, size_t d, const float *x, size_t k, const float *centroids,
			   int64_t *labels, float *distances, const pgvq_gpu_options *opts,
			   pgvq_should_stop_fn should_stop, void *stop_arg, pgvq_status *st)
{
	(void) opts;
	return pgvq_assign_l2(n, d, x, k, centroids, labels, distances, 0, should_stop, stop_arg, st);
}

/* x - its nearest centroid, in a malloc'd copy (labels out if not NULL) */
static float *
residuals(size_t n, size_t d, const float *x, size_t nlist, const float *centroids,
		  int64_t *labels, pgvq_should_stop_fn should_stop, void *stop_arg, pgvq_status *st,
		  int *rc)
{
	float	   *r = malloc(sizeof(float) * n * d);
	int64_t    *l = labels ? labels : malloc(sizeof(int64_t) * (n ? n : 1));
	size_t		i,
				j;

	*rc = PGVQ_OOM;
	if (!r || !l)
	{
		set_status(st, PGVQ_OOM, "fake module: malloc failed");
		free(r);
		if (!labels)
			free(l);
		return NULL;
	}
	*rc = pgvq_assign_l2(n, d, x, nlist, centroids, l, NULL, 0, should_stop, stop_arg, st);
	if (*rc == PGVQ_OK)
		for (i = 0; i < n; i++)
			for (j = 0; j < d; j++)
				r[i * d + j] = x[i * d + j] - centroids[l[i] * d + j];
	if (!labels)
		free(l);
	if (*rc != PGVQ_OK)
	{
		free(r);
		return NULL;
	}
	return r;
}

static int
fake_pq_train(size_t n, size_t d, const float *x, size_t nlist, const float *centroids,
			  size_t m, int nbits, const pgvq_kmeans_params *params,
			  const pgvq_gpu_options *opts, float *codebooks, pgvq_status *st)
{
	float	   *r;
	int			rc;

	(void) opts;
	if (nlist == 0)
		return pgvq_pq_train(n, d, x, m, nbits, params, codebooks, st);
	r = residuals(n, d, x, nlist, centroids, NULL, params->should_stop, params->stop_arg, st, &rc);
	if (!r)
		return rc;
	rc = pgvq_pq_train(n, d, r, m, nbits, params, codebooks, st);
	free(r);
	return rc;
}

static int	encode_calls = 0;

static int
fake_ivfpq_encode(size_t n, size_t d, const float *x, size_t nlist, const float *centroids,
				  size_t m, int nbits, const float *codebooks, int64_t *labels, uint8_t *codes,
				  const pgvq_gpu_options *opts, pgvq_should_stop_fn should_stop, void *stop_arg,
				  pgvq_status *st)
{
	float	   *r;
	int			rc;

	(void) opts;
	encode_calls++;
#ifdef FAKE_FAIL_ENCODE
	if (encode_calls == 2)
	{
		/* garbage in the outputs: the CPU must redo this batch */
		memset(codes, 0xAB, n * m);
		if (labels)
			memset(labels, 0xFF, sizeof(int64_t) * n);
		set_status(st, PGVQ_OOM, "fake device out of memory");
		return PGVQ_OOM;
	}
#endif
	if (nlist == 0)
		return pgvq_pq_encode(n, d, x, m, nbits, codebooks, codes, 0, should_stop, stop_arg, st);
	r = residuals(n, d, x, nlist, centroids, labels, should_stop, stop_arg, st, &rc);
	if (!r)
		return rc;
	rc = pgvq_pq_encode(n, d, r, m, nbits, codebooks, codes, 0, should_stop, stop_arg, st);
	free(r);
	return rc;
}

__attribute__((visibility("default"))) const pgvq_gpu_api *
pgvq_gpu_get_api(int abi_version)
{
	static const pgvq_gpu_api api = {
		PGVQ_GPU_ABI_VERSION, sizeof(pgvq_gpu_api), fake_version, fake_options_default,
		fake_device_count, fake_device_info, fake_kmeans_train, fake_assign_l2,
		fake_pq_train, fake_ivfpq_encode
	};

	pgvq_init();				/* this copy of the core's SIMD dispatch */
#ifdef FAKE_ABI
	(void) abi_version;
	(void) api;
	return NULL;
#else
	return abi_version == PGVQ_GPU_ABI_VERSION ? &api : NULL;
#endif
}
