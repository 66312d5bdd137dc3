/*
 * flat_scan.c: ordered scans of a flat index.
 *
 * A pass walks the data page chain and keeps, in a bounded top-k (pgvq_topk),
 * the `batch` smallest entries strictly after the last (distance, TID)
 * already returned; the kept entries are then returned in ascending
 * (distance, TID) order.  When the executor wants more (a WHERE clause
 * rejected rows), the next pass resumes after the last returned entry with
 * twice the batch, so every indexed row can be returned and the order is
 * exact throughout.  Rows whose distance is NaN (cosine with a zero vector)
 * come last, as in a sort.
 *
 * Each page (share-locked) of a float (vector) index is scanned in one of two
 * ways:
 *  - while the top-k is not full, the core computes the exact distances of
 *    the page's contiguous vectors in one call (pgvq_distances_1xn_f64);
 *  - once it is full, the first pass: the core computes from each entry's
 *    8-bit codes a lower bound of its distance (pgvq_sq_lower_bounds, float
 *    rounding included), and only the entries whose bound is not above the
 *    current k-th distance get their exact distance from the float copy.
 *    An entry whose bound is above it cannot enter the top-k (its distance is
 *    strictly greater), so the result is exactly that of computing every
 *    distance, while most float vectors are never read.
 * The distances pushed are always the exact float8 values the SQL operators
 * return (pgvq_distance_f64), so ORDER BY values and ties (by TID) do not
 * depend on the first pass.  Half, bit and sparse pages have no codes: the
 * distances of all their entries are computed (flat_kinds.c).
 *
 * Results are kept across page unlocks, so an MVCC snapshot is required.
 */
#include "postgres.h"

#include <math.h>

#include "access/relscan.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/float.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "flat.h"

/* Frees the core top-k with the scan context, on error as well. */
static void
FlatFreeTopk(void *arg)
{
	FlatScanOpaque so = (FlatScanOpaque) arg;

	if (so->topk != NULL)
	{
		pgvq_topk_free(so->topk);
		so->topk = NULL;
	}
}

IndexScanDesc
flatbeginscan(Relation index, int nkeys, int norderbys)
{
	IndexScanDesc scan;
	FlatScanOpaque so;
	MemoryContext ctx;

	scan = RelationGetIndexScan(index, nkeys, norderbys);

	ctx = AllocSetContextCreate(CurrentMemoryContext, "flat scan context",
								ALLOCSET_DEFAULT_SIZES);
	so = (FlatScanOpaque) MemoryContextAllocZero(ctx, sizeof(FlatScanOpaqueData));
	so->ctx = ctx;
	so->topk_cb.func = FlatFreeTopk;
	so->topk_cb.arg = so;
	MemoryContextRegisterResetCallback(ctx, &so->topk_cb);

	/* the ORDER BY values we report (exact; the executor need not recheck) */
	if (norderbys > 0)
	{
		scan->xs_orderbyvals = palloc0(sizeof(Datum) * norderbys);
		scan->xs_orderbynulls = palloc(sizeof(bool) * norderbys);
		memset(scan->xs_orderbynulls, true, sizeof(bool) * norderbys);
	}

	scan->opaque = so;
	return scan;
}

void
flatrescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys)
{
	FlatScanOpaque so = (FlatScanOpaque) scan->opaque;
	FlatMetaPageData meta;
	FlatValue	qv;
	MemoryContext oldCtx;
	MemoryContext tmpCtx;

	if (keys && scan->numberOfKeys > 0)
		memmove(scan->keyData, keys, scan->numberOfKeys * sizeof(ScanKeyData));
	if (orderbys && scan->numberOfOrderBys > 0)
		memmove(scan->orderByData, orderbys, scan->numberOfOrderBys * sizeof(ScanKeyData));

	so->started = false;
	so->exhausted = false;
	so->nullquery = false;
	so->res_n = 0;
	so->res_pos = 0;
	so->res_full = false;
	so->last_dist = -INFINITY;
	so->last_id = PG_INT64_MIN;
	so->batch = (size_t) flat_batch_size;

	if (scan->numberOfOrderBys == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a flat index can only be scanned with ORDER BY a distance operator")));

	if (scan->orderByData[0].sk_flags & SK_ISNULL)
	{
		/* a NULL query vector: no rows (as pgvector) */
		so->nullquery = true;
		so->started = true;
		return;
	}

	FlatReadMeta(scan->indexRelation, &meta);
	so->metric = FlatMetricFromStrategy(scan->orderByData[0].sk_strategy);
	so->kind = FlatIndexKind(scan->indexRelation);

	/* detoasted in a short-lived context, the copy kept in the scan's */
	tmpCtx = AllocSetContextCreate(so->ctx, "flat rescan query", ALLOCSET_SMALL_SIZES);
	oldCtx = MemoryContextSwitchTo(tmpCtx);
	FlatGetValue(so->kind, scan->orderByData[0].sk_argument, &qv);
	if (meta.dims != 0 && qv.dims != meta.dims)
		FlatDimsMismatch(so->kind, meta.dims, qv.dims);
	MemoryContextSwitchTo(so->ctx);
	if (so->qv.data != NULL)
		pfree((void *) so->qv.data);
	FlatCopyValue(so->kind, &qv, &so->qv);
	so->dims = qv.dims;
	so->query = (float *) so->qv.data;	/* used for the float kind only */
	MemoryContextSwitchTo(oldCtx);
	MemoryContextDelete(tmpCtx);

	so->started = true;
}

/* Makes sure the per-page and result buffers and the top-k fit. */
static void
FlatPrepareBuffers(FlatScanOpaque so)
{
	int			cap = FlatPageCapacity(so->kind, so->dims);
	pgvq_status st;

	if (so->page_alloc < cap)
	{
		if (so->page_dist)
			pfree(so->page_dist);
		if (so->page_lb)
			pfree(so->page_lb);
		if (so->page_id)
			pfree(so->page_id);
		so->page_dist = MemoryContextAlloc(so->ctx, sizeof(double) * cap);
		so->page_lb = MemoryContextAlloc(so->ctx, sizeof(double) * cap);
		so->page_id = MemoryContextAlloc(so->ctx, sizeof(int64) * cap);
		so->page_alloc = cap;
	}
	if (so->res_alloc < so->batch)
	{
		if (so->res_dist)
			pfree(so->res_dist);
		if (so->res_id)
			pfree(so->res_id);
		so->res_dist = MemoryContextAllocHuge(so->ctx, sizeof(double) * so->batch);
		so->res_id = MemoryContextAllocHuge(so->ctx, sizeof(int64) * so->batch);
		so->res_alloc = so->batch;
	}
	if (so->topk == NULL || pgvq_topk_capacity(so->topk) != so->batch)
	{
		int			rc;

		FlatFreeTopk(so);
		memset(&st, 0, sizeof(st));
		rc = pgvq_topk_new(so->batch, &so->topk, &st);
		PgvqCheckStatus(rc, &st, "flat index scan");
	}
	else
		pgvq_topk_reset(so->topk);
}

/* Asks the CPU to fetch the code area and the special area of a data page. */
static inline void
FlatPrefetchCodes(Page page, int dims)
{
	const char *end = (const char *) page + BLCKSZ;
	/* where a valid page has them: reads nothing from the page */
	const char *p = end - FLAT_SPECIAL_SIZE -
		(Size) FlatPageCapacity(FLAT_KIND_FLOAT, dims) * FlatCodeStride(FLAT_KIND_FLOAT, dims);

	for (; p < end; p += 64)
		__builtin_prefetch(p);
}

/*
 * Pushes the entries of a verified, share-locked data page into the top-k
 * (those strictly after the last returned one); the core orders NaN (cosine
 * with a zero vector) after every number.
 */
static void
FlatScanPage(FlatScanOpaque so, Relation index, BlockNumber blkno, Page page)
{
	int			n = FlatPageGetOpaque(page)->count;
	ItemPointer tids = FlatPageGetTids(page);
	const float *x = FlatPageGetVectors(page);
	int			i;

	if (n == 0)
		return;
	so->n_entries += n;
	if (so->kind != FLAT_KIND_FLOAT)
	{
		FlatPageDistances(so, index, blkno, page);
		pgvq_topk_push_many_after_f64(so->topk, (size_t) n, so->page_dist, so->page_id,
									  so->last_dist, so->last_id);
		so->n_exact += n;
		return;
	}
	if (!so->use_codes || pgvq_topk_size(so->topk) < so->batch)
	{
		/* float8 as the operators compute them: cosine is not rounded */
		pgvq_distances_1xn_f64(so->metric, so->query, (size_t) n, (size_t) so->dims, x,
							   so->page_dist);
		for (i = 0; i < n; i++)
			so->page_id[i] = FlatTidToId(&tids[i]);
		pgvq_topk_push_many_after_f64(so->topk, (size_t) n, so->page_dist, so->page_id,
									  so->last_dist, so->last_id);
		so->n_exact += n;
		return;
	}

	/* the first pass: exact distances only where the bound can still win */
	if (pgvq_sq_lower_bounds(&so->sqq, (size_t) n, FlatPageGetCodes(page, so->dims),
							 FlatCodeStride(FLAT_KIND_FLOAT, so->dims), so->page_lb) > 0)
		FlatCorrupted(index, blkno, "An entry's code header holds impossible values.");
	for (i = 0; i < n; i++)
	{
		double		dist;
		int64		id;

		/* never true for a NaN threshold: then every entry is computed */
		if (so->page_lb[i] > pgvq_topk_threshold(so->topk))
			continue;
		dist = pgvq_distance_f64(so->metric, so->query, x + (Size) i * so->dims, (size_t) so->dims);
		id = FlatTidToId(&tids[i]);
		pgvq_topk_push_many_after_f64(so->topk, 1, &dist, &id, so->last_dist, so->last_id);
		so->n_exact++;
	}
}

/*
 * One pass over the index: keeps the `batch` smallest entries strictly after
 * (last_dist, last_id).
 */
static void
FlatScanPass(IndexScanDesc scan)
{
	FlatScanOpaque so = (FlatScanOpaque) scan->opaque;
	Relation	index = scan->indexRelation;
	FlatMetaPageData meta;
	BlockNumber blkno;
	BlockNumber npages = 0;
	BlockNumber maxpages;
	Buffer		ahead = InvalidBuffer;	/* the next page, pinned early */

	/* one index scan for the statistics however many passes it takes */
	if (so->last_id == PG_INT64_MIN)
		PgvqCountIndexScan(scan);
	FlatReadMeta(index, &meta);
	FlatPrepareBuffers(so);

	if (meta.dims != 0 && meta.dims != so->dims)
		FlatDimsMismatch(so->kind, meta.dims, so->dims);

	/* codes exist for the index's own metric (the opclass has one operator) */
	so->use_codes = meta.dims > 0 && FlatCodeStride(so->kind, meta.dims) > 0 &&
		meta.metric == so->metric;
	if (so->use_codes)
		pgvq_sq_prepare(so->metric, (size_t) so->dims, so->query, &so->sqq);
	so->n_entries = 0;
	so->n_exact = 0;

	maxpages = RelationGetNumberOfBlocks(index);
	blkno = meta.first_blkno;
	while (blkno != InvalidBlockNumber)
	{
		Buffer		buf;
		Page		page;
		BlockNumber next;

		/* no buffer lock held here (a pin on the next page at most) */
		CHECK_FOR_INTERRUPTS();

		/* concurrent inserts may have extended the chain since maxpages was read */
		if (++npages > maxpages &&
			npages > (maxpages = RelationGetNumberOfBlocks(index)))
			ereport(ERROR,
					(errcode(ERRCODE_INDEX_CORRUPTED),
					 errmsg("flat index \"%s\" has a cycle in its page chain at block %u",
							RelationGetRelationName(index), blkno)));

		buf = BufferIsValid(ahead) ? ahead : ReadBuffer(index, blkno);
		ahead = InvalidBuffer;
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		FlatVerifyDataPage(index, page, blkno, so->kind, so->dims);
		next = FlatPageGetOpaque(page)->nextblkno;

		/*
		 * Pin the next page and start moving its codes into the CPU cache
		 * while this one is scanned: a page's codes are a short run of
		 * memory, so fetching them is latency bound.  A pin takes no lock.
		 */
		if (so->use_codes && next != InvalidBlockNumber && next < maxpages)
		{
			ahead = ReadBuffer(index, next);
			FlatPrefetchCodes(BufferGetPage(ahead), so->dims);
		}

		FlatScanPage(so, index, blkno, page);
		UnlockReleaseBuffer(buf);
		blkno = next;
	}

	elog(DEBUG1, "flat index \"%s\": a pass of batch %zu read %lld entries, %lld exact distances",
		 RelationGetRelationName(index), so->batch, (long long) so->n_entries,
		 (long long) so->n_exact);

	so->res_full = pgvq_topk_size(so->topk) >= so->batch;
	so->res_n = pgvq_topk_extract_sorted(so->topk, so->res_dist, so->res_id);
	so->res_pos = 0;

	/* the next pass, if any, keeps twice as many */
	if (so->batch < FLAT_MAX_BATCH_SIZE)
		so->batch = Min(so->batch * 2, (size_t) FLAT_MAX_BATCH_SIZE);
}

bool
flatgettuple(IndexScanDesc scan, ScanDirection dir)
{
	FlatScanOpaque so = (FlatScanOpaque) scan->opaque;

	if (!so->started)
		elog(ERROR, "flat index scan was not started by rescan");
	if (so->nullquery || so->exhausted)
		return false;

	if (!IsMVCCSnapshot(scan->xs_snapshot))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a flat index scan needs an MVCC snapshot")));

	if (so->res_pos >= so->res_n)
	{
		/* the previous pass kept fewer than its batch: nothing is left */
		if (so->res_n > 0 && !so->res_full)
		{
			so->exhausted = true;
			return false;
		}
		FlatScanPass(scan);
		if (so->res_n == 0)
		{
			so->exhausted = true;
			return false;
		}
	}

	so->last_dist = so->res_dist[so->res_pos];
	so->last_id = so->res_id[so->res_pos];
	so->res_pos++;

	FlatIdToTid(so->last_id, &scan->xs_heaptid);
	scan->xs_recheck = false;
	scan->xs_recheckorderby = false;
	if (scan->numberOfOrderBys > 0)
	{
		scan->xs_orderbyvals[0] = Float8GetDatum(FlatOrderValue(so->metric, so->last_dist));
		scan->xs_orderbynulls[0] = false;
	}
	return true;
}

void
flatendscan(IndexScanDesc scan)
{
	FlatScanOpaque so = (FlatScanOpaque) scan->opaque;

	/* frees the top-k through the reset callback */
	MemoryContextDelete(so->ctx);
	scan->opaque = NULL;
}
