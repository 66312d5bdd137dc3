/*
 * flat_scan.c: ordered scans of a flat index.
 *
 * A pass walks the data page chain; for each page (share-locked) the core
 * computes the distances of the page's contiguous vectors to the query in one
 * call (pgvq_distances_1xn) and pushes them with their TIDs into a bounded
 * top-k (pgvq_topk) that only accepts entries strictly after the last
 * (distance, TID) already returned.  The kept entries are then returned in
 * ascending (distance, TID) order.  When the executor wants more (a WHERE
 * clause rejected rows), the next pass resumes after the last returned entry
 * with twice the batch, so every indexed row can be returned and the order is
 * exact throughout.  Rows whose distance is NaN (cosine with a zero vector)
 * come last, as in a sort.
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
	Vector	   *q;
	MemoryContext oldCtx;

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

	oldCtx = MemoryContextSwitchTo(so->ctx);
	q = FlatGetVector(scan->orderByData[0].sk_argument);
	if (meta.dims != 0 && q->dim != meta.dims)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different vector dimensions %d and %d", meta.dims, q->dim)));
	if (so->query != NULL)
		pfree(so->query);
	so->dims = q->dim;
	so->query = palloc(sizeof(float) * q->dim);
	memcpy(so->query, q->x, sizeof(float) * q->dim);
	if ((Pointer) q != DatumGetPointer(scan->orderByData[0].sk_argument))
		pfree(q);
	MemoryContextSwitchTo(oldCtx);

	so->started = true;
}

/* Makes sure the per-page and result buffers and the top-k fit. */
static void
FlatPrepareBuffers(FlatScanOpaque so)
{
	int			cap = FlatPageCapacity(so->dims);
	pgvq_status st;

	if (so->page_alloc < cap)
	{
		if (so->page_dist)
			pfree(so->page_dist);
		if (so->page_id)
			pfree(so->page_id);
		so->page_dist = MemoryContextAlloc(so->ctx, sizeof(double) * cap);
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

	/* one index scan for the statistics however many passes it takes */
	if (so->last_id == PG_INT64_MIN)
		PgvqCountIndexScan(scan);
	FlatReadMeta(index, &meta);
	FlatPrepareBuffers(so);

	if (meta.dims != 0 && meta.dims != so->dims)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different vector dimensions %d and %d", meta.dims, so->dims)));

	maxpages = RelationGetNumberOfBlocks(index);
	blkno = meta.first_blkno;
	while (blkno != InvalidBlockNumber)
	{
		Buffer		buf;
		Page		page;
		int			n;
		int			i;
		ItemPointer tids;

		/* no buffer lock held here */
		CHECK_FOR_INTERRUPTS();

		/* concurrent inserts may have extended the chain since maxpages was read */
		if (++npages > maxpages &&
			npages > (maxpages = RelationGetNumberOfBlocks(index)))
			ereport(ERROR,
					(errcode(ERRCODE_INDEX_CORRUPTED),
					 errmsg("flat index \"%s\" has a cycle in its page chain at block %u",
							RelationGetRelationName(index), blkno)));

		buf = ReadBuffer(index, blkno);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		FlatVerifyDataPage(index, page, blkno, so->dims);

		n = FlatPageGetOpaque(page)->count;
		if (n > 0)
		{
			tids = FlatPageGetTids(page);
			/* float8 as the operators compute them: cosine is not rounded */
			pgvq_distances_1xn_f64(so->metric, so->query, (size_t) n, (size_t) so->dims,
								   FlatPageGetVectors(page), so->page_dist);
			for (i = 0; i < n; i++)
				so->page_id[i] = FlatTidToId(&tids[i]);
		}
		blkno = FlatPageGetOpaque(page)->nextblkno;
		UnlockReleaseBuffer(buf);

		/* the core orders NaN (cosine with a zero vector) after every number */
		if (n > 0)
			pgvq_topk_push_many_after_f64(so->topk, (size_t) n, so->page_dist, so->page_id,
										  so->last_dist, so->last_id);
	}

	so->res_full = pgvq_topk_size(so->topk) >= so->batch;
	so->res_n = pgvq_topk_extract_sorted(so->topk, so->res_dist, so->res_id);
	so->res_pos = 0;

	/* the next pass, if any, keeps twice as many */
	if (so->batch < FLAT_MAX_BATCH_SIZE)
		so->batch = Min(so->batch * 2, (size_t) FLAT_MAX_BATCH_SIZE);
}

/* The value of the ordering operator for a core distance. */
static double
FlatOrderValue(int metric, double d)
{
	if (metric == PGVQ_METRIC_L2)
		return sqrt(d);
	return d;
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
