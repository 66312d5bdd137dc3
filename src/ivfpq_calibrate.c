/*
 * ivfpq_calibrate.c: calibrated lower bounds for an ivfpq scan
 * (ivfpq.exact_bounds = off, the default).
 *
 * A row's bound takes the worst case of its code's error r against the query
 * (|q - x| >= |q - x^| - e, pq_bounds.cpp), as if r pointed straight at the
 * query.  In many dimensions it almost never does: the share of the worst
 * case that r's part along q - x takes (pgvq_pq_bound_share) measured at most
 * 0.22 on mnist (784 dimensions) and 0.011 on a clustered 768-dimension set,
 * over thousands of rows.  Where distances crowd together (embeddings, many
 * clusters at about the same distance) the worst case leaves every bound
 * below the distance of the rows the scan returns, and a filtered scan then
 * fetches almost every row of the lists it reaches to prove the order (49,000
 * fetches for 10 rows on that set, at a 10% filter).
 *
 * So each scan measures the share on the rows it re-ranks (the exact value
 * against the entry's ADC value and error; while it has fewer than
 * IVFPQ_CALIBRATE_ROWS, also on the rows the prefilter removes: a filter
 * keeping 10% would otherwise leave the worst case for the first 320
 * fetches), and once it has IVFPQ_CALIBRATE_ROWS of them it bounds the rows
 * still waiting with
 *   eps = max(IVFPQ_CALIBRATE_SAFETY x the largest share seen,
 *             their mean + IVFPQ_CALIBRATE_SPREAD standard deviations,
 *             IVFPQ_CALIBRATE_FLOOR / sqrt(d)), at most 1 (the worst case),
 * rounded up to a power of 2^(1/4), instead of 1: the bounds of the pool are
 * recomputed once, and those of lists reached later use it too.  A later row
 * with a larger share raises eps again (the steps keep the rises few: each
 * recomputes the pool's bounds and sorts it again: on 200 rotated-set
 * queries the pool was compacted 594 times with them, 969 without).  A
 * safety of 1.5 and a spread of 2 (3 and 4 before) halved the fetches of
 * filtered queries on the rotated set (10% kept: 420 a query down to 203,
 * correlated 545 to 334; mnist 323 to 185) and left every row returned in
 * order and recall@10 the same on rotated, mnist, sift and a 32-dimension
 * set (late rows 0-0.26 a query, as before).  The
 * floor is 4 standard deviations of the share of a random direction in d
 * dimensions: the first rows a scan re-ranks are those with
 * the largest errors, whose shares run low (on uniform random 128-dimension
 * rows the first 32 all had shares below 0 and a later one 0.107; at most
 * 0.152 over 907 rows, where the floor is 0.354).  Data of 22 dimensions or
 * fewer keeps the worst case (4/sqrt(d) rounds up to 1).  The spread term
 * keeps eps high where the shares measured spread widely (a low effective
 * dimension), and coarse codes (4-bit, or more than IVFPQ_CALIBRATE_MAX_DSUB
 * dimensions a byte) are not
 * calibrated: on low-rank rows beside noisy ones with m <= d/16 the first
 * rows measured all came from the noisy ones and a nearer low-rank row came
 * back late (review7's randomized check).
 *
 * A row whose share exceeds eps can be nearer than a row returned before it
 * was fetched: it comes back late, as a row of a list reached late can (the
 * DEBUG1 line counts both).  With ivfpq.exact_bounds = on the worst case is
 * kept: every row in exact order among the lists reached when it is
 * returned, as a proof.
 */
#include "postgres.h"

#include <math.h>

#include "ivfpq.h"
#include "ivfpq_scan.h"

bool		ivfpq_exact_bounds = false;

/* Rows re-ranked before the first calibrated bound */
#define IVFPQ_CALIBRATE_ROWS	32
#define IVFPQ_CALIBRATE_SAFETY	1.5
#define IVFPQ_CALIBRATE_FLOOR	4.0
/* Standard deviations of the shares measured above their mean */
#define IVFPQ_CALIBRATE_SPREAD	2.0
/* Codes of at most this many dimensions a byte (8-bit codes) are calibrated */
#define IVFPQ_CALIBRATE_MAX_DSUB	8
/* eps takes the values 2^(k / IVFPQ_CALIBRATE_STEPS) */
#ifndef IVFPQ_CALIBRATE_STEPS
#define IVFPQ_CALIBRATE_STEPS	4
#endif

/*
 * A scan starts: worst-case bounds until it has measured enough rows.  The
 * setting is read here, once (as ivfpq.rerank is): a cursor opened with exact
 * bounds keeps them when the setting changes between its fetches.
 */
void
IvfpqCalibrateReset(IvfpqScanOpaque so)
{
	so->calibrate = !ivfpq_exact_bounds && so->ksub == 256 &&
		so->d <= IVFPQ_CALIBRATE_MAX_DSUB * so->m;
	so->eps = 1.0;
	so->calRows = 0;
	so->calRemoved = 0;
	so->calMax = -INFINITY;
	so->calSum = 0;
	so->calSumSq = 0;
	so->recalibrate = false;
	so->late = 0;
	so->haveLast = false;
	so->maxCnorm = 0;
}

/* The eps the shares seen so far call for. */
static double
WantedEps(IvfpqScanOpaque so)
{
	double		n = (double) so->calRows;
	double		mean = so->calSum / n;
	double		spread = sqrt(Max(so->calSumSq / n - mean * mean, 0.0));
	double		eps = Max(IVFPQ_CALIBRATE_SAFETY * so->calMax,
						  IVFPQ_CALIBRATE_FLOOR / sqrt((double) so->d));

	eps = Max(eps, mean + IVFPQ_CALIBRATE_SPREAD * spread);
	if (isnan(eps) || eps >= 1.0)
		return 1.0;
	/*
	 * up to the next step of 2^(1/4) (19%): fewer rises, each a new pool
	 * order; never below eps (exp2 of the rounded log can land an ulp under)
	 */
	return Min(Max(exp2(ceil(log2(eps) * IVFPQ_CALIBRATE_STEPS) / IVFPQ_CALIBRATE_STEPS), eps),
			   1.0);
}

/*
 * Entry pos was re-ranked: key is its row's exact value.  Notes its share;
 * asks for new bounds when the scan has measured enough rows, or when the
 * share calls for a larger eps than the one in use.
 */
void
IvfpqCalibrateSample(IvfpqScanOpaque so, int64 pos, double key)
{
	double		t;

	if (!so->calibrate || so->nullQuery || so->nullKey || so->capped)
		return;
	t = pgvq_pq_bound_share(so->metric, so->pqQueryNorm, so->stADC[pos], so->stErr[pos], key);
	if (t == -INFINITY)
		return;
	so->calRows++;
	/* a NaN (none is expected) as no eps below 1 proven: never lost in the max */
	so->calMax = Max(so->calMax, isnan(t) ? INFINITY : t);
	so->calSum += t;
	so->calSumSq += t * t;
	if (so->calRows < IVFPQ_CALIBRATE_ROWS)
		return;
	if (so->calRows == IVFPQ_CALIBRATE_ROWS ? WantedEps(so) < so->eps : WantedEps(so) > so->eps)
		so->recalibrate = true;
}

/*
 * The scan still measures rows before its first calibrated bounds, the rows
 * the prefilter removes included: at most IVFPQ_CALIBRATE_ROWS of those (a
 * row whose share tells nothing, such as every row against a zero query
 * under inner product, does not count in calRows, and without the limit
 * every removed row would be read and measured).
 */
bool
IvfpqCalibrating(IvfpqScanOpaque so)
{
	return so->calibrate && !so->nullQuery && !so->nullKey && !so->capped &&
		so->calRows < IVFPQ_CALIBRATE_ROWS && so->calRemoved < IVFPQ_CALIBRATE_ROWS;
}

/*
 * The bounds of n entries of one list (bp filled in for the list), with the
 * scan's eps; notes the list's centroid norm for IvfpqCalibrateApply.
 */
void
IvfpqBounds(IvfpqScanOpaque so, const pgvq_pq_bound_params *bp, int n, const float *adc,
			const uint16 *errs, float *lb)
{
	so->maxCnorm = Max(so->maxCnorm, bp->cnorm);
	pgvq_pq_lower_bounds_eps(bp, so->eps, n, adc, errs, lb);
}

/*
 * Bounds the pool's waiting entries with the eps the shares call for: the
 * entries fetched already are dropped (IvfpqPoolCompact), the others get new
 * bounds, with the largest margin of the lists reached (a list's margin grows
 * with its centroid's norm), and both orders start again.
 */
void
IvfpqCalibrateApply(IvfpqScanOpaque so)
{
	pgvq_pq_bound_params bp;
	double		eps = WantedEps(so);

	so->recalibrate = false;
	if (eps == so->eps)
		return;
	so->eps = eps;
	IvfpqPoolCompact(so);
	bp.metric = so->metric;
	bp.d = so->d;
	bp.qnorm = so->pqQueryNorm;
	bp.rmax = so->cache->rmax;
	bp.cnorm = so->maxCnorm;
	bp.adc_margin = pgvq_pq_adc_margin(so->d, so->m, bp.qnorm, bp.cnorm, bp.rmax);
	pgvq_pq_lower_bounds_eps(&bp, eps, (size_t) so->stN, so->stADC, so->stErr, so->stLB);
}

/* Value a comes before value b: NaN after every number (as Postgres sorts). */
static inline bool
KeyBefore(double a, double b)
{
	if (isnan(a))
		return false;
	return isnan(b) || a < b;
}

/*
 * r is returned: counts it as late when its value comes before that of a row
 * returned already.  A row of a list reached after that row was returned can
 * be (the lists not reached are not bounded), and with calibrated bounds a row
 * whose share exceeded eps: both still come back, so that the scan returns
 * every row it reaches (a full ordered scan loses none).
 */
void
IvfpqNoteReturned(IvfpqScanOpaque so, const IvfpqResult *r)
{
	if (so->haveLast && KeyBefore(r->key, so->last.key))
		so->late++;
	else
	{
		so->last = *r;
		so->haveLast = true;
	}
}
