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

/* The positions 0..n-1 in ascending (keys[pos], pos) order, the TopK order
 * (NaN after every number, -0 equal to +0); n < 2^32.  work holds 3n
 * entries.  A stable radix sort: no allocation, never fails. */
PGVQ_API void pgvq_argsort_f32(size_t n, const float *keys, uint32_t *pos, uint32_t *work);

/* ---- flat: 8-bit scalar-quantized first pass (flat_sq.cpp) ------------------------ */

/*
 * One compressed entry of a row x (d floats): this header, then d code bytes
 * (zero-padded to a multiple of 4), PGVQ_SQ_STRIDE(d) bytes in all.  Row x is
 * approximated by y_j = lo + step * code_j; err bounds the distance from x to
 * y in the metric's norm (L1 for PGVQ_METRIC_L1, L2 otherwise), including the
 * float rounding of y however a kernel computes it (err = +inf: no bound);
 * norm >= |x|_2 (rounded up; 0 only for the zero vector).
 */
typedef struct pgvq_sq_header
{
	float		lo;
	float		step;
	float		err;
	float		norm;
} pgvq_sq_header;

#define PGVQ_SQ_STRIDE(d) (sizeof(pgvq_sq_header) + ((((size_t) (d)) + 3) & ~(size_t) 3))

/* Encodes x (d floats, finite) into entry (PGVQ_SQ_STRIDE(d) bytes).  Never fails. */
PGVQ_API void pgvq_sq_encode(int metric, size_t d, const float *x, void *entry);

/* What pgvq_sq_check_entry found wrong, 0 if nothing. */
typedef enum pgvq_sq_check_result
{
	PGVQ_SQ_OK = 0,
	PGVQ_SQ_BAD_HEADER = 1,		/* lo/step not finite, step/err/norm negative or NaN */
	PGVQ_SQ_ERR_TOO_SMALL = 2,	/* err is below the distance of x to its codes */
	PGVQ_SQ_BAD_NORM = 3		/* norm is not |x| rounded up (or 0 for a non-zero x) */
} pgvq_sq_check_result;

/* Checks that entry's header and codes give valid bounds for row x.  Never fails. */
PGVQ_API int pgvq_sq_check_entry(int metric, size_t d, const float *x, const void *entry);

/* Non-zero when a header holds values no encoding produces (cheap: the scan's
 * verification of every page read).  Never fails. */
PGVQ_API int pgvq_sq_header_insane(const pgvq_sq_header *h);

/* A query prepared for pgvq_sq_lower_bounds. */
typedef struct pgvq_sq_query
{
	int			metric;
	size_t		d;
	const float *q;				/* d floats, owned by the caller */
	double		qnorm;			/* |q|_2, rounded up */
	double		gamma;			/* relative slack of a d-term float sum */
} pgvq_sq_query;

PGVQ_API void pgvq_sq_prepare(int metric, size_t d, const float *q, pgvq_sq_query *out);

/* lb[i] <= the value the index orders by (pgvq_distance_f64: squared L2, -<q,x>,
 * 1 - cos, L1) of the row behind entry i of entries (n, stride bytes each),
 * float rounding of the operator and of this computation included: -inf when
 * nothing is known, +inf for a zero row under cosine (its value is NaN, which
 * sorts after every number).  SIMD.  Never fails.  Returns the number of
 * entries whose header is insane (pgvq_sq_header_insane; their bound is
 * -inf), so that the caller can report corruption without a second pass. */
PGVQ_API size_t pgvq_sq_lower_bounds(const pgvq_sq_query *q, size_t n, const void *entries,
									 size_t stride, double *lb);

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

/* The same k centroids' job in two levels of k-means, for many centroids:
 * round(sqrt(k)) groups trained on every row, then each group's rows train its
 * share of the k centroids, in proportion to its rows (at least 1, at most its
 * rows).  Cost per iteration n * (sqrt(k) + k / sqrt(k)) * d instead of
 * n * k * d.  Flat k-means (pgvq_kmeans_train) where k >= n or k < 2 sqrt(k).
 * Deterministic in (x, k, params). */
PGVQ_API int pgvq_kmeans_train_two_level(size_t n, size_t d, const float *x, size_t k,
										 const pgvq_kmeans_params *params, float *centroids,
										 pgvq_status *st);

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

/* ---- integer PQ code scan (pq_qscan.cpp, pq_qscan_vbmi.cpp) ------------------------- */

/*
 * A (m, 256) float table quantized to bits = 8 or 16 bit integers with one
 * step for every column and a minimum per column, so that for any codes
 *   lower_sum + step * sum_j q[j][code_j] <= sum_j table[j][code_j]
 * in real arithmetic, at most 1.02 m step below it.  Filled by
 * pgvq_pq_qtable_build, read by pgvq_pq_qscan_codes.
 */
typedef struct pgvq_pq_qscale {
	int			bits;			/* 8 or 16 */
	double		step;			/* > 0 */
	double		lower_sum;		/* sum of the column minima */
	double		magnitude;		/* sum of |minimum| + |maximum| over the columns */
} pgvq_pq_qscale;

/* Bytes of a quantized table: m * 256 * bits / 8. */
PGVQ_API size_t pgvq_pq_qtable_bytes(size_t m, int bits);

/* 1 when pgvq_pq_qscan_codes runs in registers here (AVX-512 VBMI at the SIMD
 * level in force), 0 when it would take its scalar reference path (slower
 * than pgvq_pq_scan_codes: callers then keep the float scan). */
PGVQ_API int pgvq_pq_qscan_fast(void);

/*
 * table (m columns of 256) quantized into qt (pgvq_pq_qtable_bytes) and
 * scale.  Returns 1 when qt and scale are usable, 0 when the table is not
 * finite, its range cannot be quantized (a step below FLT_MIN scale or over
 * float range), m > 65536 or no memory: the caller then scans table with
 * pgvq_pq_scan_codes.  Never fails.
 */
PGVQ_API int pgvq_pq_qtable_build(size_t m, int bits, const float *table, uint8_t *qt,
								  pgvq_pq_qscale *scale);

/*
 * out[i] <= bias + sum_j table[j][codes[i*m + j]] (real arithmetic over the
 * float table qt was built from), at most 1.02 m step + a relative 2^-50 below
 * it, for i < n.  Codes are 8-bit (ksub 256).  Never fails.
 */
PGVQ_API void pgvq_pq_qscan_codes(size_t m, const uint8_t *qt, const pgvq_pq_qscale *scale,
								  float bias, size_t n, const uint8_t *codes, float *out);

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

/* out[i] = T_i = |r^_i|^2 + 2 <c_i, r^_i>, r^_i the decoded codes[i*m ..] and
 * c_i = centroids[labels[i]] (labels NULL: centroids is the one centroid of
 * every row; centroids NULL: zero), summed in double and rounded to the
 * nearest float: the per-entry term of an L2 ADC value, |q - c - r^|^2 =
 * |q - c|^2 + T - 2 <q, r^> (see pq_bounds.cpp).  Never fails. */
PGVQ_API void pgvq_pq_entry_terms(size_t n, size_t d, const float *centroids,
								  const int64_t *labels, size_t m, int nbits,
								  const float *codebooks, const uint8_t *codes, float *out);

/* The first i < n whose stored terms[i] differs from T_i (rows of the list
 * with centroid `centroid`) by more than the rounding tolerance, with T_i in
 * *expected; n when every one agrees.  Never fails. */
PGVQ_API size_t pgvq_pq_check_terms(size_t n, size_t d, const float *centroid, size_t m,
									int nbits, const float *codebooks, const uint8_t *codes,
									const float *terms, float *expected);

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

/*
 * Calibrated bounds (pq_bounds.cpp).  The bounds above take the worst case of
 * the code's error r (|r| <= e) against the query: L2 |q - x| >= |q - x^| - e,
 * IP -<q, x> >= -<q, x^> - |q| e.  Measured, the part of r along the query is
 * a small share eps of that worst case; with eps in (0, 1]:
 *   L2, cosine:  |q - x| >= sqrt(max(0, a - (1 - eps^2) e^2)) - eps e,
 *                a = |q - x^|^2 (the ADC value), for every row whose
 *                share (pgvq_pq_bound_share) is at most eps
 *   IP:          -<q, x> >= -<q, x^> - eps |q| e
 * eps = 1 gives pgvq_pq_lower_bounds' bits.  Never fails.
 */
PGVQ_API void pgvq_pq_lower_bounds_eps(const pgvq_pq_bound_params *p, double eps, size_t n,
									   const float *adc, const uint16_t *errs, float *lb);

/*
 * The smallest eps for which the calibrated bound of an entry (ADC value adc,
 * error code err) is not above its row's exact operator value key (squared
 * L2, -<q,x> for IP, 1 - cos for COSINE), list margins aside: L2 and cosine
 * (a - e^2 - d^2) / (2 d e) with d^2 the squared distance, IP
 * (adc - key) / (|q| e).  -inf when the entry's bound does not depend on eps
 * (e = 0, or not finite; IP: |q| 0 or not finite) or holds at every eps (an
 * infinite value: the operator's float sum overflowed); +inf when no eps in
 * (0, 1) would do.  Never NaN, never fails.
 */
PGVQ_API double pgvq_pq_bound_share(int metric, float qnorm, float adc, uint16_t err, double key);

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

/* ==== sparsevec and bit (issue 13): sparse_parse.cpp, sparse_distances.cpp, popcount.cpp ==== */

/* ---- sparsevec: text and binary forms ------------------------------------------------ */

#define PGVQ_SPARSEVEC_MAX_DIM 1000000000
#define PGVQ_SPARSEVEC_MAX_NNZ 16000

typedef enum pgvq_sparse_result
{
	PGVQ_SPARSE_OK = 0,
	/* text form only */
	PGVQ_SPARSE_SYNTAX = 1,		/* malformed, no detail */
	PGVQ_SPARSE_SYNTAX_START = 2,	/* does not start with "{" */
	PGVQ_SPARSE_SYNTAX_END = 3,	/* no "/" after "}" ("Unexpected end of input.") */
	PGVQ_SPARSE_SYNTAX_JUNK = 4,	/* more than blanks after the dimensions */
	PGVQ_SPARSE_OUT_OF_RANGE = 5,	/* an element over- or underflows float4 */
	PGVQ_SPARSE_NAN = 6,		/* NaN element (binary too) */
	PGVQ_SPARSE_INFINITE = 7,	/* infinite element (binary too) */
	PGVQ_SPARSE_BUFFER = 8,		/* more elements than cap (a caller bug) */
	/* both forms */
	PGVQ_SPARSE_DIM_LOW = 9,	/* dimensions < 1 */
	PGVQ_SPARSE_DIM_HIGH = 10,	/* dimensions > PGVQ_SPARSEVEC_MAX_DIM */
	PGVQ_SPARSE_INDEX_BOUNDS = 11,	/* an index outside [0, dim) */
	PGVQ_SPARSE_INDEX_ORDER = 12,	/* indices not ascending (binary only) */
	PGVQ_SPARSE_INDEX_DUP = 13,	/* the same index twice */
	/* binary form only */
	PGVQ_SPARSE_SHORT_HEADER = 14,	/* fewer than the 12 header bytes */
	PGVQ_SPARSE_NNZ_NEGATIVE = 15,	/* header nnz < 0 */
	PGVQ_SPARSE_NNZ_MANY = 16,	/* header nnz > PGVQ_SPARSEVEC_MAX_NNZ */
	PGVQ_SPARSE_NNZ_OVER_DIM = 17,	/* header nnz > dim */
	PGVQ_SPARSE_UNUSED = 18,	/* the unused header field is not 0 */
	PGVQ_SPARSE_SHORT = 19,		/* the body ends before the nnz indices and values */
	PGVQ_SPARSE_ZERO = 20,		/* a zero value */
	PGVQ_SPARSE_TRAILING = 21	/* a valid vector followed by more bytes */
} pgvq_sparse_result;

typedef struct pgvq_sparse_info
{
	int32_t		dim;			/* dimensions as read (text: clamped to int32) */
	int32_t		nnz;			/* elements written (binary: the header's count) */
	int32_t		unused;			/* binary: the header's unused field */
	int32_t		err_pos;		/* text: byte offset of the offending token, else -1 */
	int32_t		err_len;		/* text: its length (OUT_OF_RANGE) */
} pgvq_sparse_info;

/* Bytes of the binary form of a vector with nnz elements. */
#define PGVQ_SPARSE_BINARY_SIZE(nnz) (12 + 8 * (size_t) (nnz))

/* 1 + the number of commas in str: no text form holds more elements, and
 * sparsevec_in refuses the text when this exceeds PGVQ_SPARSEVEC_MAX_NNZ
 * (pgvector counts the same way, before any syntax check).  Never fails. */
PGVQ_API size_t pgvq_sparsevec_text_capacity(const char *str);

/* Parses pgvector's text form "{1:1.5, 3:-2}/5": 1-based indices in any
 * order, float4 values in strtof() syntax, blanks around every token.  Zero
 * values are dropped (and their indices never checked), the rest sorted by
 * index and written 0-based into indices/values (at most cap of them).
 * Checks in sparsevec_in's order: syntax and elements left to right, then
 * the dimension range, then (the caller checks its type modifier here) the
 * indices in ascending order: bounds, duplicates.  info->dim is valid from
 * DIM_LOW on.  Never allocates, never throws. */
PGVQ_API int pgvq_parse_sparsevec(const char *str, int32_t *indices, float *values, size_t cap,
								  pgvq_sparse_info *info);

/* Parses pgvector's binary form: int32 dim, int32 nnz, int32 unused, nnz
 * int32 0-based indices, nnz float4 values, all big-endian, from buf[0, len).
 * Checks in sparsevec_recv's order: 12 header bytes (SHORT_HEADER), dim
 * range, nnz range; then (the caller checks its type modifier) unused == 0;
 * then index by index: present (SHORT), in bounds, ascending, no duplicate;
 * then value by value: present, not NaN, finite, not zero; then TRAILING.
 * Output is written only once all checks passed (OK or TRAILING), into at
 * most cap entries (BUFFER if nnz > cap).  Never allocates, never throws. */
PGVQ_API int pgvq_parse_sparsevec_binary(const unsigned char *buf, size_t len, int32_t *indices,
										 float *values, size_t cap, pgvq_sparse_info *info);

/* ---- sparsevec: kernels (sorted 0-based indices, merge order) --------------------------- */

/* Float sums taken in ascending index order, the order of pgvector's merge
 * loops, so the same inputs give the same float.  Never fail. */
PGVQ_API float pgvq_svec_l2sqr(const int32_t *ai, const float *ax, size_t an,
							   const int32_t *bi, const float *bx, size_t bn);
PGVQ_API float pgvq_svec_inner_product(const int32_t *ai, const float *ax, size_t an,
									   const int32_t *bi, const float *bx, size_t bn);
PGVQ_API float pgvq_svec_l1(const int32_t *ai, const float *ax, size_t an,
							const int32_t *bi, const float *bx, size_t bn);
/* sum x_i^2 in float (the cosine's norms) and sqrt(sum x_i^2) in double. */
PGVQ_API float pgvq_svec_norm_l2sqr(const float *x, size_t n);
PGVQ_API double pgvq_svec_norm_l2(const float *x, size_t n);
/* 1 - cos from a float dot product and float norms, in double, clamped to
 * [0, 2]; NaN when a norm is zero or a part overflows. */
PGVQ_API double pgvq_svec_cosine_distance(const int32_t *ai, const float *ax, size_t an,
										  const int32_t *bi, const float *bx, size_t bn);
/* -1, 0, 1: the dense forms compared element by element (the first min(dim)
 * elements), then the smaller dimension first: the order of Postgres arrays
 * and of pgvector's sparsevec_cmp. */
PGVQ_API int pgvq_svec_compare(int32_t adim, const int32_t *ai, const float *ax, size_t an,
							   int32_t bdim, const int32_t *bi, const float *bx, size_t bn);

/* ---- bit: popcount kernels with run-time dispatch ---------------------------------------- */

/* Levels: 0 "scalar" (the compiler's portable popcount), 1 "popcnt" (the
 * POPCNT instruction), 2 "avx512vpopcntdq" (AVX-512F + VPOPCNTDQ, with the
 * OS saving ZMM state).  The best supported level is chosen on first use. */
PGVQ_API const char *pgvq_popcount_level(void);
/* Forces a level (tests, benchmarks), clamped to what the CPU supports;
 * returns the level set. */
PGVQ_API int pgvq_set_popcount_level(int level);

/* Number of differing bits of a[0, nbytes) and b[0, nbytes).  Never fails. */
PGVQ_API uint64_t pgvq_bit_hamming(const unsigned char *a, const unsigned char *b, size_t nbytes);
/* 1 - |a & b| / |a | b| in double; 1 when a & b is empty.  Never fails. */
PGVQ_API double pgvq_bit_jaccard(const unsigned char *a, const unsigned char *b, size_t nbytes);

#ifdef __cplusplus
}
#endif

#endif							/* PGVQ_CORE_H */
