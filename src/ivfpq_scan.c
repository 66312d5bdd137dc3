/*
 * ivfpq_scan.c: ORDER BY scans of an ivfpq index.
 *
 * A scan ranks the lists by their centroid's distance to the query and works
 * in stages: the first stage covers the nearest ivfpq.probes lists, each
 * later one the next ivfpq.probes lists, up to ivfpq.max_probes lists (all by
 * default).  Within a stage the scan takes batches: it scans the PQ codes of
 * the stage's lists (one share lock per page, the page's codes scanned as one
 * contiguous array by the core), keeps the ivfpq.rerank best PQ candidates
 * that come after the previous batch's last one in (PQ distance, TID) order,
 * fetches each candidate's vector from the heap with the scan's snapshot,
 * computes its exact distance, and returns the visible rows of the batch in
 * exact distance order (xs_recheckorderby = false: the distances are exact).
 * The executor asks for more rows only when a WHERE clause rejected rows or
 * the LIMIT is large; then the next batch (and then the next stage) follows.
 * Each batch is exactly ordered; the order across batches is approximate.
 *
 * An untrained index (built on no rows) re-ranks every entry in one batch, so
 * its results are exact.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/relscan.h"
#include "access/tableam.h"
#include "catalog/index.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "ivfpq.h"

typedef struct IvfpqCandidate
{
	float		distance;
	int64		id;
} IvfpqCandidate;

typedef struct IvfpqScanOpaqueData
{
	MemoryContext scanCtx;		/* lives from beginscan to endscan */
	MemoryContext tmpCtx;		/* per-candidate detoasting */
	IvfpqCache *cache;
	int			metric;
	int			d;
	int			m;
	int			ksub;
	int			lists;
	bool		trained;
	AttrNumber	attno;			/* heap attribute of the indexed column */

	/* query */
	bool		started;
	bool		nullQuery;		/* no PQ ranking (NULL key, or a cosine query
								 * without a usable norm): any order */
	bool		nullKey;		/* ORDER BY col <op> NULL: no distances */
	bool		emptyQuery;		/* a zero query under cosine: no rows */
	float	   *query;			/* as given (exact distances) */
	float	   *pqQuery;		/* normalised under cosine */
	float	   *residual;		/* (d) work area */
	int		   *listOrder;		/* lists, nearest first */
	float	   *listScore;		/* (lists) coarse score */
	float	   *table;			/* (m, ksub) distance table */
	float	   *qTable;			/* (m, ksub) -2 <q_j, cb_j_k> (L2 with list terms) */
	float		queryNorm;		/* |pqQuery|^2 */

	/* stages and batches */
	int			probeLo;
	int			probeHi;
	int			maxProbes;
	bool		stageDrained;
	float		afterDist;
	int64		afterId;
	pgvq_topk  *pool;
	size_t		poolCap;
	float	   *pageDist;		/* (page capacity) */
	int64	   *pageIds;
	float	   *candDist;		/* (poolCap) */
	int64	   *candIds;
	IvfpqCandidate *results;	/* (poolCap) */
	int			nresults;
	int			resultPos;

	/* heap access */
	IndexFetchTableData *fetch;
	TupleTableSlot *slot;
} IvfpqScanOpaqueData;

typedef IvfpqScanOpaqueData *IvfpqScanOpaque;

static void
FreePool(void *arg)
{
	IvfpqScanOpaque so = (IvfpqScanOpaque) arg;

	if (so->pool != NULL)
		pgvq_topk_free(so->pool);
	so->pool = NULL;
}

static void
EnsurePool(IvfpqScanOpaque so, size_t cap)
{
	pgvq_status st;
	int			rc;

	if (so->pool != NULL && so->poolCap == cap)
		return;
	if (so->pool != NULL)
		pgvq_topk_free(so->pool);
	so->pool = NULL;
	memset(&st, 0, sizeof(st));
	rc = pgvq_topk_new(cap, &so->pool, &st);
	PgvqCheckStatus(rc, &st, "ivfpq scan");
	so->poolCap = cap;
	if (so->candDist)
	{
		pfree(so->candDist);
		pfree(so->candIds);
		pfree(so->results);
	}
	so->candDist = MemoryContextAllocHuge(so->scanCtx, sizeof(float) * cap);
	so->candIds = MemoryContextAllocHuge(so->scanCtx, sizeof(int64) * cap);
	so->results = MemoryContextAllocHuge(so->scanCtx, sizeof(IvfpqCandidate) * cap);
}

IndexScanDesc
ivfpqbeginscan(Relation index, int nkeys, int norderbys)
{
	IndexScanDesc scan = RelationGetIndexScan(index, nkeys, norderbys);
	IvfpqScanOpaque so;
	MemoryContext old;
	IvfpqCache *cache;
	MemoryContextCallback *cb;

	so = palloc0(sizeof(IvfpqScanOpaqueData));
	so->scanCtx = AllocSetContextCreate(CurrentMemoryContext, "ivfpq scan context",
										ALLOCSET_DEFAULT_SIZES);
	so->tmpCtx = AllocSetContextCreate(so->scanCtx, "ivfpq scan temporary context",
									   ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(so->scanCtx);

	cache = so->cache = IvfpqGetCache(index, so->scanCtx);
	so->metric = cache->meta.metric;
	so->d = cache->meta.dimensions;
	so->m = cache->meta.m;
	so->ksub = cache->ksub;
	so->lists = cache->meta.lists;
	so->trained = cache->meta.trained != 0;
	so->attno = index->rd_index->indkey.values[0];

	so->query = palloc(sizeof(float) * so->d);
	so->pqQuery = palloc(sizeof(float) * so->d);
	so->residual = palloc(sizeof(float) * so->d);
	so->listOrder = palloc(sizeof(int) * so->lists);
	so->listScore = palloc(sizeof(float) * so->lists);
	so->table = MemoryContextAllocHuge(so->scanCtx, sizeof(float) * (Size) so->m * so->ksub);
	so->qTable = MemoryContextAllocHuge(so->scanCtx, sizeof(float) * (Size) so->m * so->ksub);
	so->pageDist = palloc(sizeof(float) * IvfpqListCapacity(so->m));
	so->pageIds = palloc(sizeof(int64) * IvfpqListCapacity(so->m));
	MemoryContextSwitchTo(old);

	/* Exact distances are reported in the operator's units */
	scan->xs_orderbyvals = palloc0(sizeof(Datum) * Max(norderbys, 1));
	scan->xs_orderbynulls = palloc(sizeof(bool) * Max(norderbys, 1));
	memset(scan->xs_orderbynulls, true, sizeof(bool) * Max(norderbys, 1));
	old = MemoryContextSwitchTo(so->scanCtx);

	/* The core's top-k heap is freed with the scan context, on error too */
	cb = palloc(sizeof(MemoryContextCallback));
	cb->func = FreePool;
	cb->arg = so;
	MemoryContextRegisterResetCallback(so->scanCtx, cb);

	MemoryContextSwitchTo(old);
	scan->opaque = so;
	return scan;
}

void
ivfpqrescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys)
{
	IvfpqScanOpaque so = (IvfpqScanOpaque) scan->opaque;

	if (orderbys && scan->numberOfOrderBys > 0)
		memmove(scan->orderByData, orderbys, scan->numberOfOrderBys * sizeof(ScanKeyData));
	so->started = false;
	so->nresults = 0;
	so->resultPos = 0;
}

static int
CompareListScore(const void *a, const void *b, void *arg)
{
	const float *score = (const float *) arg;
	float		sa = score[*(const int *) a];
	float		sb = score[*(const int *) b];

	if (sa < sb)
		return -1;
	if (sa > sb)
		return 1;
	return *(const int *) a - *(const int *) b;
}

/*
 * (distance, TID) order.  A NaN distance (cosine of a zero vector, or of
 * vectors whose products overflow float4) sorts after every number, as
 * Postgres' float comparisons and a sequential scan's sort do; plain < and >
 * would leave NaN rows wherever qsort happened to put them.
 */
static int
CompareCandidates(const void *a, const void *b)
{
	const IvfpqCandidate *ca = a;
	const IvfpqCandidate *cb = b;
	bool		nanA = isnan(ca->distance);
	bool		nanB = isnan(cb->distance);

	if (nanA != nanB)
		return nanA ? 1 : -1;
	if (ca->distance < cb->distance)
		return -1;
	if (ca->distance > cb->distance)
		return 1;
	if (ca->id < cb->id)
		return -1;
	return ca->id > cb->id;
}

static int
CompareIds(const void *a, const void *b)
{
	int64		ia = ((const IvfpqCandidate *) a)->id;
	int64		ib = ((const IvfpqCandidate *) b)->id;

	return (ia > ib) - (ia < ib);
}


/*
 * Builds the cache's per-list table terms once per backend (see ivfpq.h).
 * All or nothing: the terms are built in a context under the caller's and
 * moved under the cache's only when complete, so an error partway (out of
 * memory) leaves the cache as it was and frees what was allocated.
 */
static void
BuildListTerms(IvfpqCache *cache)
{
	Size		per = (Size) cache->meta.m * cache->ksub;
	Size		bytes = mul_size(mul_size(per, cache->meta.lists), sizeof(float));
	MemoryContext cxt;
	float	   *cbNorms;
	float	   *terms;
	int			l;
	Size		i;

	if (bytes > IVFPQ_MAX_TERMS_BYTES)
	{
		cache->listTermsTried = true;
		return;
	}
	cxt = AllocSetContextCreate(CurrentMemoryContext, "ivfpq list terms", ALLOCSET_DEFAULT_SIZES);
	terms = MemoryContextAllocHuge(cxt, bytes);
	cbNorms = palloc(sizeof(float) * per);
	for (i = 0; i < per; i++)
		cbNorms[i] = pgvq_fvec_norm_l2sqr(cache->codebooks + i * cache->dsub, cache->dsub);
	for (l = 0; l < cache->meta.lists; l++)
	{
		float	   *t = terms + (Size) l * per;

		/* 2 <c_l_j, cb_j_k> + |cb_j_k|^2 */
		pgvq_pq_ip_table_t(cache->meta.dimensions,
						   cache->centroids + (Size) l * cache->meta.dimensions,
						   cache->meta.m, cache->meta.nbits, cache->codebooksT, 2.0f, t);
		pgvq_fvec_madd(per, cbNorms, 1.0f, t, t);
	}
	pfree(cbNorms);
	/* Publish: nothing below can fail */
	MemoryContextSetParent(cxt, cache->cxt);
	cache->listTerms = terms;
	cache->listTermsTried = true;
}

/* Reads the query and the settings, ranks the lists, starts the first stage. */
static void
StartScan(IndexScanDesc scan)
{
	IvfpqScanOpaque so = (IvfpqScanOpaque) scan->opaque;
	IvfpqCache *cache = so->cache;
	int			d = so->d;
	int			l;

	if (scan->xs_snapshot == NULL || !IsMVCCSnapshot(scan->xs_snapshot))
		elog(ERROR, "non-MVCC snapshots are not supported with ivfpq");
	if (scan->numberOfOrderBys != 1)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("ivfpq scans need an ORDER BY distance")));

	so->nullQuery = (scan->orderByData[0].sk_flags & SK_ISNULL) != 0;
	so->nullKey = so->nullQuery;
	if (so->nullQuery)
		memset(so->query, 0, sizeof(float) * d);
	else
	{
		MemoryContext old = MemoryContextSwitchTo(so->tmpCtx);
		Vector	   *vec = DatumGetVector(scan->orderByData[0].sk_argument);

		IvfpqCheckDims(d, vec->dim);
		memcpy(so->query, vec->x, sizeof(float) * d);
		MemoryContextSwitchTo(old);
		MemoryContextReset(so->tmpCtx);
	}
	memcpy(so->pqQuery, so->query, sizeof(float) * d);
	if (so->metric == PGVQ_METRIC_COSINE && !so->nullQuery)
	{
		float		norm = sqrtf(pgvq_fvec_norm_l2sqr(so->query, d));
		int			i;

		/*
		 * A zero query has no cosine distance to anything, and one whose norm
		 * overflows float4 cannot be normalised: the lists and PQ codes give
		 * no order, but the re-rank still computes the operator's exact
		 * distances (NaN for a zero query), so each batch is ordered as a
		 * sequential scan orders it.
		 */
		if (!(norm > 0) || isinf(norm))
		{
			so->nullQuery = true;
			memset(so->pqQuery, 0, sizeof(float) * d);
		}
		else
			for (i = 0; i < d; i++)
				so->pqQuery[i] /= norm;
	}

	/* Rank the lists */
	for (l = 0; l < so->lists; l++)
	{
		const float *c = cache->centroids + (Size) l * d;

		so->listOrder[l] = l;
		if (so->nullQuery)
			so->listScore[l] = 0;
		else if (so->metric == PGVQ_METRIC_IP)
			so->listScore[l] = -pgvq_fvec_inner_product(so->pqQuery, c, d);
		else
			so->listScore[l] = cache->centroidNorms[l] - 2 * pgvq_fvec_inner_product(so->pqQuery, c, d);
	}
	if (so->lists > 1)
		qsort_arg(so->listOrder, so->lists, sizeof(int), CompareListScore, so->listScore);

	/* Inner product: one table for every list, -<q_j, cb_j_k> */
	if (so->metric == PGVQ_METRIC_IP)
		pgvq_pq_ip_table_t(d, so->pqQuery, so->m, cache->meta.nbits, cache->codebooksT, -1.0f,
						   so->table);
	else
	{
		if (!cache->listTermsTried)
			BuildListTerms(cache);
		/* qTable = -<q_j, cb_j_k>; a list's table is terms + 2 qTable */
		if (cache->listTerms != NULL)
			pgvq_pq_ip_table_t(d, so->pqQuery, so->m, cache->meta.nbits, cache->codebooksT,
							   -1.0f, so->qTable);
		so->queryNorm = pgvq_fvec_norm_l2sqr(so->pqQuery, d);
	}

	so->maxProbes = (ivfpq_max_probes < 0 || so->nullQuery) ? so->lists :
		Min(so->lists, Max(ivfpq_probes, ivfpq_max_probes));
	so->probeLo = 0;
	so->probeHi = Min(ivfpq_probes, so->maxProbes);
	so->stageDrained = false;
	so->afterDist = -INFINITY;
	so->afterId = PG_INT64_MIN;
	so->nresults = 0;
	so->resultPos = 0;
	so->started = true;
}

/* Reads a list page for the scan: share-locked, verified, in the right list. */
static Buffer
ReadListPage(Relation index, BlockNumber blkno, int list, int m, BlockNumber *nblocks, int *hops)
{
	Buffer		buf;
	Page		page;

	if (blkno >= *nblocks)
		*nblocks = RelationGetNumberOfBlocks(index);
	if (blkno >= *nblocks || (*hops)++ > (int) *nblocks)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" has a broken chain for list %d at block %u",
						RelationGetRelationName(index), list, blkno)));
	buf = ReadBuffer(index, blkno);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	IvfpqCheckPage(index, page, blkno, IVFPQ_PAGE_LIST, m);
	if (IvfpqPageGetOpaque(page)->list != (uint32) list)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" contains a page of list %u in the chain of list %d at block %u",
						RelationGetRelationName(index), IvfpqPageGetOpaque(page)->list, list, blkno)));
	return buf;
}

/*
 * Scans the PQ codes of the current stage's lists; returns the number of
 * candidates (at most the pool's size) after (afterDist, afterId), sorted,
 * in candDist/candIds.
 */
static int
ScanStage(IndexScanDesc scan)
{
	IvfpqScanOpaque so = (IvfpqScanOpaque) scan->opaque;
	IvfpqCache *cache = so->cache;
	Relation	index = scan->indexRelation;
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);
	int			nbits = cache->meta.nbits;
	int			d = so->d;
	int			idx;
	size_t		cap = (size_t) ivfpq_rerank;

	if (!so->trained)
	{
		/* Untrained: every entry of the stage is a candidate (exact results) */
		size_t		total = 0;

		for (idx = so->probeLo; idx < so->probeHi; idx++)
		{
			int			list = so->listOrder[idx];
			BlockNumber blkno = cache->startPages[list];
			int			hops = 0;

			while (blkno != InvalidBlockNumber)
			{
				Buffer		buf = ReadListPage(index, blkno, list, so->m, &nblocks, &hops);
				Page		page = BufferGetPage(buf);

				total += IvfpqPageGetOpaque(page)->count;
				blkno = IvfpqPageGetOpaque(page)->nextblkno;
				UnlockReleaseBuffer(buf);
				CHECK_FOR_INTERRUPTS();
			}
		}
		/* Entries inserted meanwhile are found by the next batch */
		cap = Max(cap, total);
	}
	EnsurePool(so, cap);
	pgvq_topk_reset(so->pool);

	for (idx = so->probeLo; idx < so->probeHi; idx++)
	{
		int			list = so->listOrder[idx];
		const float *c = cache->centroids + (Size) list * d;
		BlockNumber blkno = cache->startPages[list];
		float		bias = 0;
		int			hops = 0;

		if (so->metric == PGVQ_METRIC_IP)
			bias = -pgvq_fvec_inner_product(so->pqQuery, c, d);
		else if (cache->listTerms != NULL)
		{
			Size		per = (Size) so->m * so->ksub;

			pgvq_fvec_madd(per, cache->listTerms + per * list, 2.0f, so->qTable, so->table);
			/* |q - c|^2 from the list ranking (|c|^2 - 2<q,c>) */
			bias = so->nullQuery ? 0 : Max(0, so->listScore[list] + so->queryNorm);
		}
		else
		{
			int			i;

			for (i = 0; i < d; i++)
				so->residual[i] = so->pqQuery[i] - c[i];
			pgvq_pq_distance_table(PGVQ_METRIC_L2, d, so->residual, so->m, nbits,
								   cache->codebooks, so->table);
		}

		while (blkno != InvalidBlockNumber)
		{
			Buffer		buf = ReadListPage(index, blkno, list, so->m, &nblocks, &hops);
			Page		page = BufferGetPage(buf);
			int			n = IvfpqPageGetOpaque(page)->count;

			if (n > 0)
			{
				int			i;

				pgvq_pq_scan_codes(so->m, nbits, so->table, bias, n, IvfpqListCodes(page),
								   so->pageDist);
				for (i = 0; i < n; i++)
					so->pageIds[i] = IvfpqTidToId(IvfpqListTid(page, i));
				pgvq_topk_push_many_after(so->pool, n, so->pageDist, so->pageIds,
										  so->afterDist, so->afterId);
			}
			blkno = IvfpqPageGetOpaque(page)->nextblkno;
			UnlockReleaseBuffer(buf);
			/* per page: one list can hold every row (untrained index) */
			CHECK_FOR_INTERRUPTS();
		}
	}

	return (int) pgvq_topk_extract_sorted(so->pool, so->candDist, so->candIds);
}

/* Exact distances of n candidates from the heap; visible rows into results. */
static void
Rerank(IndexScanDesc scan, int n)
{
	IvfpqScanOpaque so = (IvfpqScanOpaque) scan->opaque;
	int			i;
	int			k = 0;
	int			d = so->d;

	if (so->fetch == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(so->scanCtx);

		so->fetch = table_index_fetch_begin(scan->heapRelation);
		so->slot = table_slot_create(scan->heapRelation, NULL);
		MemoryContextSwitchTo(old);
	}

	/* Fetch in TID order */
	for (i = 0; i < n; i++)
	{
		so->results[i].distance = so->candDist[i];
		so->results[i].id = so->candIds[i];
	}
	qsort(so->results, n, sizeof(IvfpqCandidate), CompareIds);

	for (i = 0; i < n; i++)
	{
		ItemPointerData tid = IvfpqIdToTid(so->results[i].id);
		bool		call_again = false;
		bool		all_dead = false;
		bool		found;

		/* no buffer lock is held here; a batch can be every row (untrained) */
		CHECK_FOR_INTERRUPTS();
		found = table_index_fetch_tuple(so->fetch, &tid, scan->xs_snapshot, so->slot,
										&call_again, &all_dead);
		if (found)
		{
			bool		isnull;
			Datum		value = slot_getattr(so->slot, so->attno, &isnull);

			if (!isnull)
			{
				MemoryContext old = MemoryContextSwitchTo(so->tmpCtx);
				Vector	   *vec = DatumGetVector(value);
				float		dist;

				IvfpqCheckDims(d, vec->dim);
				if (so->nullKey)
					dist = 0;
				else if (so->metric == PGVQ_METRIC_L2)
					dist = pgvq_fvec_l2sqr(so->query, vec->x, d);
				else
					dist = pgvq_distance(so->metric, so->query, vec->x, d);
				MemoryContextSwitchTo(old);
				MemoryContextReset(so->tmpCtx);

				so->results[k].distance = dist;
				so->results[k].id = so->results[i].id;
				k++;
			}
		}
		ExecClearTuple(so->slot);
	}
	if (k > 1)
		qsort(so->results, k, sizeof(IvfpqCandidate), CompareCandidates);
	so->nresults = k;
	so->resultPos = 0;
}

/* Fills the next batch of results; false when the scan is done. */
static bool
NextBatch(IndexScanDesc scan)
{
	IvfpqScanOpaque so = (IvfpqScanOpaque) scan->opaque;

	for (;;)
	{
		int			n;

		if (so->stageDrained)
		{
			if (so->probeHi >= so->maxProbes)
				return false;
			so->probeLo = so->probeHi;
			so->probeHi = Min(so->probeLo + ivfpq_probes, so->maxProbes);
			so->stageDrained = false;
			so->afterDist = -INFINITY;
			so->afterId = PG_INT64_MIN;
		}

		n = ScanStage(scan);
		if ((size_t) n < so->poolCap)
			so->stageDrained = true;
		else
		{
			so->afterDist = so->candDist[n - 1];
			so->afterId = so->candIds[n - 1];
		}
		if (n == 0)
			continue;

		Rerank(scan, n);
		if (so->nresults > 0)
			return true;
	}
}

bool
ivfpqgettuple(IndexScanDesc scan, ScanDirection dir)
{
	IvfpqScanOpaque so = (IvfpqScanOpaque) scan->opaque;
	IvfpqCandidate *c;

	if (!so->started)
	{
		StartScan(scan);
		PgvqCountIndexScan(scan);
	}

	while (so->resultPos >= so->nresults)
	{
		if (!NextBatch(scan))
			return false;
	}

	c = &so->results[so->resultPos++];
	scan->xs_heaptid = IvfpqIdToTid(c->id);
	scan->xs_recheck = false;
	scan->xs_recheckorderby = false;
	if (so->nullKey)
	{
		scan->xs_orderbyvals[0] = (Datum) 0;
		scan->xs_orderbynulls[0] = true;
	}
	else
	{
		double		dist = c->distance;

		if (so->metric == PGVQ_METRIC_L2)
			dist = sqrt(dist);
		scan->xs_orderbyvals[0] = Float8GetDatum(dist);
		scan->xs_orderbynulls[0] = false;
	}
	return true;
}

void
ivfpqendscan(IndexScanDesc scan)
{
	IvfpqScanOpaque so = (IvfpqScanOpaque) scan->opaque;

	if (so->slot != NULL)
		ExecDropSingleTupleTableSlot(so->slot);
	if (so->fetch != NULL)
		table_index_fetch_end(so->fetch);
	MemoryContextDelete(so->scanCtx);
	pfree(so);
	scan->opaque = NULL;
}
