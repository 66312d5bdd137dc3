/*
 * pgvq_core.h: the C API of the pgvq core (src/core, C++17).
 *
 * This header is plain C and includes no Postgres header.  The Postgres glue
 * (the .c files in src/) includes it after postgres.h; the core's C++ files include it to
 * implement it.  Rules of the boundary:
 *
 *  - Functions that may fail return an int status code (PGVQ_OK on success) and,
 *    when the caller passes a pgvq_status, a message in it.  No C++ exception
 *    ever leaves a function declared here.
 *  - Functions documented "never fails" do no allocation and cannot throw.
 *  - The core never calls Postgres.  Long work polls should_stop(stop_arg)
 *    (which must only read flags) and returns PGVQ_CANCELLED; the glue then
 *    calls CHECK_FOR_INTERRUPTS().
 *  - Outputs go into caller-allocated buffers where sizes are known in advance;
 *    opaque handles are freed with their _free function.
 *
 * Array layouts (row-major, float32 unless stated):
 *  - vectors x:           (n, d)
 *  - coarse centroids:    (nlist, d)
 *  - PQ codebooks:        (m, ksub, dsub), ksub = 1 << nbits, dsub = d / m
 *  - PQ codes:            (n, m) uint8, one byte per sub-quantizer (nbits <= 8)
 *  - PQ distance table:   (m, ksub)
 *  - ids:                 int64 (the glue packs a heap TID into one)
 */
#ifndef PGVQ_CORE_H
#define PGVQ_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C"
{
#endif

/* Exported from the static library into the extension, hidden from others. */
#define PGVQ_API __attribute__((visibility("default")))

/* ---- status ---------------------------------------------------------------- */

typedef enum pgvq_status_code
{
	PGVQ_OK = 0,
	PGVQ_CANCELLED = 1,			/* should_stop() said so; call CHECK_FOR_INTERRUPTS */
	PGVQ_OOM = 2,				/* std::bad_alloc -> ERRCODE_OUT_OF_MEMORY */
	PGVQ_INVALID_ARGUMENT = 3,	/* -> ERRCODE_INVALID_PARAMETER_VALUE */
	PGVQ_INTERNAL = 4			/* anything else -> ERRCODE_INTERNAL_ERROR */
} pgvq_status_code;

typedef struct pgvq_status
{
	int			code;
	char		message[256];
} pgvq_status;

/* Returns non-zero when the work must stop.  Must only read flags. */
typedef int (*pgvq_should_stop_fn) (void *arg);

/* ---- CPU dispatch and distance kernels ---------------------------------------- */

typedef enum pgvq_metric
{
	PGVQ_METRIC_L2 = 0,			/* squared L2 inside the core; sqrt in the glue */
	PGVQ_METRIC_IP = 1,			/* negative inner product */
	PGVQ_METRIC_COSINE = 2,		/* 1 - cosine similarity */
	PGVQ_METRIC_L1 = 3
} pgvq_metric;

/* Chooses the SIMD level once (AVX-512, AVX2+FMA or scalar); idempotent, never fails. */
PGVQ_API void pgvq_init(void);
/* "avx512", "avx2" or "scalar". */
PGVQ_API const char *pgvq_simd_level(void);
/* Forces a level (for tests/benchmarks): 0 scalar, 1 avx2, 2 avx512.  Returns
 * the level actually set (never higher than the CPU supports). */
PGVQ_API int pgvq_set_simd_level(int level);

/* Dispatched kernels; never fail.  Float accumulation. */
PGVQ_API float pgvq_fvec_l2sqr(const float *a, const float *b, size_t d);
PGVQ_API float pgvq_fvec_inner_product(const float *a, const float *b, size_t d);
PGVQ_API float pgvq_fvec_l1(const float *a, const float *b, size_t d);
PGVQ_API float pgvq_fvec_norm_l2sqr(const float *a, size_t d);
/* dot, |a|^2 and |b|^2 in one pass (for cosine). */
PGVQ_API void pgvq_fvec_cosine_parts(const float *a, const float *b, size_t d,
									 float *dot, float *norma, float *normb);

/* The distance the index orders by, for one metric: L2 -> squared L2,
 * IP -> -<a,b>, COSINE -> 1 - cos (NaN if a norm is 0), L1 -> L1. Never fails. */
PGVQ_API float pgvq_distance(int metric, const float *a, const float *b, size_t d);

/* distances[i] = pgvq_distance(metric, q, x + i*d, d) for i < n.  Never fails. */
PGVQ_API void pgvq_distances_1xn(int metric, const float *q, size_t n, size_t d,
								 const float *x, float *distances);

/* The same distances in float8, as the SQL operators compute them: L2 ->
 * squared L2 (float sum), IP and L1 -> their float sums, COSINE -> 1 - cos
 * from float parts in double (not rounded to float4).  Ordering by these
 * equals ordering by the operators' results.  Never fail. */
PGVQ_API double pgvq_distance_f64(int metric, const float *a, const float *b, size_t d);
PGVQ_API void pgvq_distances_1xn_f64(int metric, const float *q, size_t n, size_t d,
									 const float *x, double *distances);

/* ---- top-k ---------------------------------------------------------------------- */

/* A bounded max-heap keeping the k smallest (distance, id) pairs; ties broken
 * by the smaller id, so results are deterministic. */
typedef struct pgvq_topk pgvq_topk;

PGVQ_API int pgvq_topk_new(size_t k, pgvq_topk **out, pgvq_status *st);
PGVQ_API void pgvq_topk_free(pgvq_topk *h);
PGVQ_API void pgvq_topk_reset(pgvq_topk *h);	/* empty it, same k; never fails */
PGVQ_API size_t pgvq_topk_size(const pgvq_topk *h);
PGVQ_API size_t pgvq_topk_capacity(const pgvq_topk *h);
/* The current k-th (worst kept) distance, +inf while not full.  Never fails.
 * NaN when the worst kept distance is NaN (NaN sorts after every number): prune
 * a candidate only when "distance > threshold" holds, which is never true then. */
PGVQ_API double pgvq_topk_threshold(const pgvq_topk *h);
/* Never fails (storage reserved at _new).  Distances are kept in double, so
 * float inputs are exact and float8 ones (cosine) keep their full order. */
PGVQ_API void pgvq_topk_push(pgvq_topk *h, double distance, int64_t id);
/* Pushes n candidates whose (distance, id) is strictly greater than
 * (after_distance, after_id) in (distance, id) order; pass -INFINITY and
 * INT64_MIN to accept all.  Used to resume an exact scan past what was
 * already returned.  Never fails. */
PGVQ_API void pgvq_topk_push_many_after(pgvq_topk *h, size_t n, const float *distances,
										const int64_t *ids, double after_distance,
										int64_t after_id);
/* The same for float8 distances (pgvq_distances_1xn_f64). */
PGVQ_API void pgvq_topk_push_many_after_f64(pgvq_topk *h, size_t n, const double *distances,
											const int64_t *ids, double after_distance,
											int64_t after_id);
/* Moves the contents out in ascending (distance, id) order and empties the
 * heap.  Buffers must hold pgvq_topk_size() entries.  Returns the count. */
PGVQ_API size_t pgvq_topk_extract_sorted(pgvq_topk *h, double *distances, int64_t *ids);

/* ---- k-means ------------------------------------------------------------------ */

typedef struct pgvq_kmeans_params
{
	int			niter;			/* Lloyd iterations (default 20) */
	uint64_t	seed;			/* RNG seed (default 1234) */
	int			nthreads;		/* worker threads, 0 = hardware concurrency */
	int			spherical;		/* renormalise centroids after each update */
	pgvq_should_stop_fn should_stop;	/* may be NULL */
	void	   *stop_arg;
} pgvq_kmeans_params;

PGVQ_API void pgvq_kmeans_params_default(pgvq_kmeans_params *p);

/* k-means++-seeded Lloyd k-means with GEMM (OpenBLAS) assignment and
 * empty-cluster repair.  x: (n, d); centroids out: (k, d).  k > n is allowed
 * (duplicates/jitter fill the rest).  Optional objective out (sum of squared
 * distances after the last assignment). */
PGVQ_API int pgvq_kmeans_train(size_t n, size_t d, const float *x, size_t k,
							   const pgvq_kmeans_params *params, float *centroids,
							   double *objective, pgvq_status *st);

/* Nearest centroid by squared L2 for each row (GEMM based).  labels (n),
 * distances (n, may be NULL).  Ties go to the smaller centroid index. */
PGVQ_API int pgvq_assign_l2(size_t n, size_t d, const float *x, size_t k,
							const float *centroids, int64_t *labels, float *distances,
							int nthreads, pgvq_should_stop_fn should_stop, void *stop_arg,
							pgvq_status *st);

/* ---- product quantizer ------------------------------------------------------------ */

/* Trains m codebooks of 2^nbits centroids on x (n, d); d % m == 0, 1 <= nbits <= 8.
 * codebooks out: (m, ksub, dsub). */
PGVQ_API int pgvq_pq_train(size_t n, size_t d, const float *x, size_t m, int nbits,
						   const pgvq_kmeans_params *params, float *codebooks,
						   pgvq_status *st);

/* codes out: (n, m). */
PGVQ_API int pgvq_pq_encode(size_t n, size_t d, const float *x, size_t m, int nbits,
							const float *codebooks, uint8_t *codes, int nthreads,
							pgvq_should_stop_fn should_stop, void *stop_arg,
							pgvq_status *st);

/* x out: (n, d).  Never fails. */
PGVQ_API void pgvq_pq_decode(size_t n, size_t d, const uint8_t *codes, size_t m, int nbits,
							 const float *codebooks, float *x);

/* table out: (m, ksub).  metric L2: table[j][c] = |q_j - cb_j_c|^2;
 * metric IP: table[j][c] = -<q_j, cb_j_c>.  Never fails. */
PGVQ_API void pgvq_pq_distance_table(int metric, size_t d, const float *q, size_t m, int nbits,
									 const float *codebooks, float *table);

/* distances[i] = bias + sum_j table[j][codes[i*m + j]] for i < n.  SIMD.  Never fails.
 * Each code byte is masked to its low nbits, so a corrupt code cannot read
 * outside the table; the sum runs in the order bias, j = 0, 1, ..., m-1. */
PGVQ_API void pgvq_pq_scan_codes(size_t m, int nbits, const float *table, float bias,
								 size_t n, const uint8_t *codes, float *distances);

/* Codebooks (m, ksub, dsub) -> transposed (m, dsub, ksub), for
 * pgvq_pq_ip_table_t.  Never fails. */
PGVQ_API void pgvq_pq_transpose_codebooks(size_t d, size_t m, int nbits, const float *codebooks,
										  float *transposed);

/* table[j][k] = scale * <q_j, cb_j_k> from transposed codebooks (m, dsub,
 * ksub): contiguous SIMD over k, fast for small dsub.  Summed as
 * (q_j0 scale) cb_j0k + (q_j1 scale) cb_j1k + ..., each product rounded to
 * float (no FMA): the same bits at every SIMD level.  Never fails. */
PGVQ_API void pgvq_pq_ip_table_t(size_t d, const float *q, size_t m, int nbits,
								 const float *transposed, float scale, float *table);

/* c[i] = a[i] + bf * b[i] for i < n (Faiss fvec_madd), the product rounded
 * before the add (the same bits at every level); c may be a or b.  Never fails. */
PGVQ_API void pgvq_fvec_madd(size_t n, const float *a, float bf, const float *b, float *c);

/* ---- error bounds of IVF-PQ codes (pq_bounds.cpp) ------------------------------------ */

/* A quantization error e >= 0 as a 16-bit code on a log scale (2^(1/256) steps):
 * pgvq_err_decode(pgvq_err_encode(e)) >= e, at most 0.28% above it.  0 <=> e == 0;
 * 65535 = unbounded (e not finite, too large, negative or NaN).  Never fail. */
PGVQ_API uint16_t pgvq_err_encode(double e);
PGVQ_API float pgvq_err_decode(uint16_t code);

/* out[i] = pgvq_err_encode(||r_i - r^_i||) with r^_i the decoded codes[i*m ..]
 * and r_i = x_i - centroids[labels[i]] (x_i itself when centroids and labels
 * are NULL: a zero centroid), summed in double and rounded up.  Pass the rows
 * as indexed, not residuals rounded to float: those would understate tiny
 * errors. */
PGVQ_API int pgvq_pq_error_codes(size_t n, size_t d, const float *x, const float *centroids,
								 const int64_t *labels, size_t m, int nbits,
								 const float *codebooks, const uint8_t *codes, uint16_t *out,
								 int nthreads, pgvq_should_stop_fn should_stop, void *stop_arg,
								 pgvq_status *st);

/* R >= |r^| for every code: sqrt(sum_j max_k |cb_j_k|^2), rounded up.  Never fails. */
PGVQ_API float pgvq_pq_max_reconstruction_norm(size_t d, size_t m, int nbits,
											   const float *codebooks);

/* The absolute slack of an ADC value over one list (float rounding of the
 * tables, the bias and the code sum): a list with centroid norm cnorm, query
 * norm qnorm, R from pgvq_pq_max_reconstruction_norm.  Never fails. */
PGVQ_API float pgvq_pq_adc_margin(size_t d, size_t m, float qnorm, float cnorm, float rmax);

typedef struct pgvq_pq_bound_params
{
	int			metric;			/* PGVQ_METRIC_L2, _IP or _COSINE */
	int			d;				/* dimensions */
	float		adc_margin;		/* pgvq_pq_adc_margin of the list */
	float		qnorm;			/* |q| (IP: the query as given) */
	float		cnorm;			/* |c| of the list's centroid (IP) */
	float		rmax;			/* R (IP) */
} pgvq_pq_bound_params;

/* lb[i] <= the SQL operator's value for the row behind adc[i] and errs[i] (a
 * 16-bit error code): squared L2 (L2), -<q,x> (IP), 1 - cos (COSINE, on
 * normalised vectors).  Never above the operator's float8 result, float
 * rounding included.  Never fails. */
PGVQ_API void pgvq_pq_lower_bounds(const pgvq_pq_bound_params *p, size_t n, const float *adc,
								   const uint16_t *errs, float *lb);

/* ---- text form of a vector ---------------------------------------------------------- */

typedef enum pgvq_parse_result
{
	PGVQ_PARSE_OK = 0,
	PGVQ_PARSE_SYNTAX = 1,		/* malformed: "invalid input syntax for type vector" */
	PGVQ_PARSE_OUT_OF_RANGE = 2,	/* an element overflows float4 */
	PGVQ_PARSE_NAN = 3,			/* NaN element */
	PGVQ_PARSE_INFINITE = 4,	/* infinite element */
	PGVQ_PARSE_EMPTY = 5,		/* [] */
	PGVQ_PARSE_TOO_MANY = 6		/* more than maxdim elements */
} pgvq_parse_result;

/* Parses the text form "[1, 2.5, -3e4]" (blanks allowed around elements and
 * brackets).  Writes at most maxdim floats into out; *dim receives the count
 * parsed so far; *err_pos the byte offset of the offending element.  Never
 * allocates, never throws. */
PGVQ_API int pgvq_parse_vector(const char *str, float *out, int maxdim, int *dim,
							   int *err_pos);

/* ---- binary form of a vector ------------------------------------------------------ */

typedef enum pgvq_binary_result
{
	PGVQ_BINARY_OK = 0,
	PGVQ_BINARY_SHORT_HEADER = 1,	/* fewer than the 4 header bytes */
	PGVQ_BINARY_BAD_DIM = 2,	/* header dim < 1 or > maxdim */
	PGVQ_BINARY_BAD_UNUSED = 3,	/* the unused header field is not 0 */
	PGVQ_BINARY_SHORT = 4,		/* fewer than 4 * dim bytes after the header */
	PGVQ_BINARY_NAN = 5,		/* NaN element */
	PGVQ_BINARY_INFINITE = 6,	/* infinite element */
	PGVQ_BINARY_TRAILING = 7	/* a valid vector followed by more bytes */
} pgvq_binary_result;

/* Bytes of the binary form of a dim-element vector. */
#define PGVQ_BINARY_SIZE(dim) (4 + 4 * (size_t) (dim))

/* Parses pgvector's binary form: int16 dim, int16 unused (must be 0), then dim
 * float4 values, all in network byte order, from buf[0, len).  Checks, in
 * this order (the order of vector_recv's errors): header present, 1 <= dim <=
 * maxdim, unused == 0, 4 * dim bytes present, each element finite (in element
 * order), no bytes left over.  *dim receives the header's dim as soon as the
 * header is read (0 on SHORT_HEADER).  Elements are written only once the
 * header and the length were found good, so out needs room for
 * min(maxdim, (len - 4) / 4) floats.  On PGVQ_BINARY_TRAILING the vector is
 * complete in out (PGVQ_BINARY_SIZE(*dim) bytes used) and len is longer: the
 * caller decides (vector_recv leaves the rest for its caller to refuse).
 * Never allocates, never throws. */
PGVQ_API int pgvq_parse_vector_binary(const unsigned char *buf, size_t len, float *out,
									  int maxdim, int *dim);

#ifdef __cplusplus
}
#endif

#endif							/* PGVQ_CORE_H */
