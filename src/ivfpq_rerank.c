/*
 * ivfpq_rerank.c: re-ranking in lower-bound order.
 *
 * The pool's entries wait in (stADC, stLB, stIds): the PQ (ADC) value, a
 * lower bound of the operator's value for the row, and its heap TID
 * (ivfpq_scan.c).  Each entry taken is fetched from the heap with the scan's
 * snapshot and its exact value goes into a min-heap of results (a row the
 * prefilter drops goes into a second heap, by its PQ value, for the reach:
 * ivfpq_prefilter.c, IvfpqCountRemoved).  The first result is returned once
 * no entry still waiting has a smaller bound, so rows come back in exact
 * order within the probed lists.
 *
 * Fetch order: by bound when fetches are not capped (ivfpq.rerank = 0): the
 * fewest fetches that prove the order.  With a cap, by ADC value, the best
 * guess of the nearest rows first (as a fixed re-rank pool would); the bound
 * order then only tells which entry not yet fetched has the smallest bound
 * (entries already fetched, those before the ADC cursor, are skipped).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/index.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "ivfpq_scan.h"

#define IVFPQ_FIRST_CHUNK	32
#define IVFPQ_MAX_CHUNK		65536
/* Pools up to this many entries are sorted whole (16 bytes an entry) */
#define IVFPQ_SORT_MAX		262144

static void
OrderReset(IvfpqOrder *ord, const float **keys)
{
	ord->keys = keys;
	ord->selCap = IVFPQ_FIRST_CHUNK;
	ord->chunkN = 0;
	ord->sorted = false;
	ord->next = 0;
	ord->done = false;
	ord->lastKey = -INFINITY;
	ord->lastPos = PG_INT64_MIN;
	ord->gen++;
}

void
IvfpqOrderFree(IvfpqOrder *ord)
{
	if (ord->sel != NULL)
		pgvq_topk_free(ord->sel);
	ord->sel = NULL;
}

/* (key, pos) comes after the cursor (lastKey, lastPos): the TopK order, NaN last. */
static inline bool
AfterCursor(const IvfpqOrder *ord, double key, int64 pos)
{
	if (isnan(ord->lastKey))
		return isnan(key) && pos > ord->lastPos;
	if (isnan(key))
		return true;
	return key > ord->lastKey || (key == ord->lastKey && pos > ord->lastPos);
}

/* Makes room for n entries in the chunk arrays. */
static void
ChunkReserve(IvfpqScanOpaque so, IvfpqOrder *ord, int64 n)
{
	if (ord->chunkCap >= n)
		return;
	IvfpqScratchFree(&so->scratch, ord->chunkKey);
	IvfpqScratchFree(&so->scratch, ord->chunkPos);
	ord->chunkCap = 0;
	ord->chunkKey = IvfpqScratchAlloc(&so->scratch, so->scanCtx, sizeof(double) * n);
	ord->chunkPos = IvfpqScratchAlloc(&so->scratch, so->scanCtx, sizeof(int64) * n);
	ord->chunkCap = n;
}

/*
 * A pool of up to IVFPQ_SORT_MAX entries: every entry after the cursor as
 * one chunk, in order (one radix sort, where selecting chunk after chunk
 * with a heap passes over the whole pool at every refill).
 */
static bool
OrderSortWhole(IvfpqScanOpaque so, IvfpqOrder *ord)
{
	int64		n = so->stN;
	const float *keys = *ord->keys;
	int64		w = 0;

	if (ord->sortCap < n)
	{
		int64		cap = Max(n, 1024);

		IvfpqScratchFree(&so->scratch, ord->sortPos);
		IvfpqScratchFree(&so->scratch, ord->sortWork);
		ord->sortCap = 0;
		ord->sortPos = IvfpqScratchAlloc(&so->scratch, so->scanCtx, sizeof(uint32) * cap);
		ord->sortWork = IvfpqScratchAlloc(&so->scratch, so->scanCtx, sizeof(uint32) * 3 * cap);
		ord->sortCap = cap;
	}
	pgvq_argsort_f32((size_t) n, keys, ord->sortPos, ord->sortWork);
	/* the positions are the chunk; those not after the cursor dropped */
	if (ord->lastPos == PG_INT64_MIN && ord->lastKey == -INFINITY)
		w = n;					/* a fresh order: every entry is after it */
	else
		for (int64 i = 0; i < n; i++)
		{
			uint32		pos = ord->sortPos[i];

			if (AfterCursor(ord, keys[pos], pos))
				ord->sortPos[w++] = pos;
		}
	ord->sorted = true;
	ord->chunkN = (int) w;
	ord->next = 0;
	ord->gen++;
	ord->done = true;
	return w > 0;
}

/* The next chunk after (lastKey, lastPos); false when none is left. */
static bool
OrderRefill(IvfpqScanOpaque so, IvfpqOrder *ord)
{
	pgvq_status st;
	int			rc;

	if (ord->done)
		return false;
	if (so->stN <= IVFPQ_SORT_MAX)
		return OrderSortWhole(so, ord);
	if (ord->sel == NULL || pgvq_topk_capacity(ord->sel) != ord->selCap)
	{
		IvfpqOrderFree(ord);
		memset(&st, 0, sizeof(st));
		rc = pgvq_topk_new(ord->selCap, &ord->sel, &st);
		PgvqCheckStatus(rc, &st, "ivfpq scan");
	}
	else
		pgvq_topk_reset(ord->sel);
	ChunkReserve(so, ord, (int64) ord->selCap);
	/* positions 0..stN-1 are the ids the core orders ties by */
	for (int64 p = 0; p < so->stN; p += 1024)
	{
		int64		ids[1024];
		int			k = (int) Min(1024, so->stN - p);

		for (int i = 0; i < k; i++)
			ids[i] = p + i;
		pgvq_topk_push_many_after(ord->sel, k, *ord->keys + p, ids, ord->lastKey, ord->lastPos);
	}
	ord->chunkN = (int) pgvq_topk_extract_sorted(ord->sel, ord->chunkKey, ord->chunkPos);
	ord->sorted = false;
	ord->next = 0;
	ord->gen++;
	/* a chunk short of its size took the last entries */
	if ((size_t) ord->chunkN < ord->selCap)
		ord->done = true;
	if (ord->selCap < IVFPQ_MAX_CHUNK)
		ord->selCap *= 2;
	return ord->chunkN > 0;
}

/* The next entry's position, without taking it; false when none is left. */
static bool
OrderPeek(IvfpqScanOpaque so, IvfpqOrder *ord, int64 *pos)
{
	if (ord->next >= ord->chunkN && !OrderRefill(so, ord))
		return false;
	*pos = ord->sorted ? ord->sortPos[ord->next] : ord->chunkPos[ord->next];
	return true;
}

static void
OrderTake(IvfpqOrder *ord)
{
	if (ord->sorted)
	{
		ord->lastPos = ord->sortPos[ord->next];
		ord->lastKey = (*ord->keys)[ord->lastPos];
	}
	else
	{
		ord->lastKey = ord->chunkKey[ord->next];
		ord->lastPos = ord->chunkPos[ord->next];
	}
	ord->next++;
}

/* Forgets the pool's entries (a scan starts). */
void
IvfpqStageReset(IvfpqScanOpaque so)
{
	so->stN = 0;
	so->fetched = 0;
	so->capped = ivfpq_rerank > 0;
	IvfpqCalibrateReset(so);
	OrderReset(&so->byLB, (const float **) &so->stLB);
	OrderReset(&so->byADC, (const float **) &so->stADC);
}

/* A pool array of cap entries with the stN of old (NULL: none yet). */
static void *
PoolGrow(IvfpqScanOpaque so, void *old, Size width, int64 cap)
{
	void	   *grown = IvfpqScratchAlloc(&so->scratch, so->scanCtx, width * cap);

	if (old != NULL)
	{
		memcpy(grown, old, width * so->stN);
		IvfpqScratchFree(&so->scratch, old);
	}
	return grown;
}

void
IvfpqStageAppend(IvfpqScanOpaque so, int n, const float *adc, const float *lb,
				 const uint16 *errs, const int64 *ids)
{
	if (so->stN + n > so->stCap)
	{
		int64		cap = Max(so->stN + n, Max(so->stCap * 2, 1024));

		so->stADC = PoolGrow(so, so->stADC, sizeof(float), cap);
		so->stLB = PoolGrow(so, so->stLB, sizeof(float), cap);
		so->stErr = PoolGrow(so, so->stErr, sizeof(uint16), cap);
		so->stIds = PoolGrow(so, so->stIds, sizeof(int64), cap);
		so->stCap = cap;
	}
	memcpy(so->stADC + so->stN, adc, sizeof(float) * n);
	memcpy(so->stLB + so->stN, lb, sizeof(float) * n);
	memcpy(so->stErr + so->stN, errs, sizeof(uint16) * n);
	memcpy(so->stIds + so->stN, ids, sizeof(int64) * n);
	so->stN += n;
}

/* Entry pos was fetched already: it is at or before the ADC cursor. */
static inline bool
Fetched(IvfpqScanOpaque so, int64 pos)
{
	double		adc = so->stADC[pos];

	if (!so->capped)
		return false;
	return adc < so->byADC.lastKey || (adc == so->byADC.lastKey && pos <= so->byADC.lastPos);
}

/* Entry pos is at or before the bound-order cursor (fetched, or skipped as fetched). */
static inline bool
TakenByLB(IvfpqScanOpaque so, int64 pos)
{
	double		lb = so->stLB[pos];

	return lb < so->byLB.lastKey || (lb == so->byLB.lastKey && pos <= so->byLB.lastPos);
}

/*
 * Drops the entries fetched already and restarts both orders, before the
 * entries of further lists join the pool: the pool then orders the entries of
 * every list reached, and each entry is fetched at most once.  Costs one pass
 * over the pool; the reach grows geometrically, so a scan makes few.
 */
void
IvfpqPoolCompact(IvfpqScanOpaque so)
{
	int64		w = 0;

	for (int64 pos = 0; pos < so->stN; pos++)
	{
		if (TakenByLB(so, pos) || Fetched(so, pos))
			continue;
		so->stADC[w] = so->stADC[pos];
		so->stLB[w] = so->stLB[pos];
		so->stErr[w] = so->stErr[pos];
		so->stIds[w] = so->stIds[pos];
		w++;
	}
	so->stN = w;
	/* the chunks go on at the size they had: the pool is as deep as before */
	{
		size_t		capLB = so->byLB.selCap;
		size_t		capADC = so->byADC.selCap;

		OrderReset(&so->byLB, (const float **) &so->stLB);
		OrderReset(&so->byADC, (const float **) &so->stADC);
		so->byLB.selCap = capLB;
		so->byADC.selCap = capADC;
	}
}

/*
 * The smallest bound of the pool's entries not yet fetched; false when every
 * one has been.
 */
bool
IvfpqWaitingBound(IvfpqScanOpaque so, double *lb)
{
	int64		pos;

	while (OrderPeek(so, &so->byLB, &pos))
	{
		if (!Fetched(so, pos))
		{
			*lb = so->stLB[pos];
			return true;
		}
		OrderTake(&so->byLB);
	}
	return false;
}

/* (a.key, a.id) < (b.key, b.id), NaN after every number (as Postgres sorts). */
static inline bool
ResultLess(const IvfpqResult *a, const IvfpqResult *b)
{
	bool		nanA = isnan(a->key);
	bool		nanB = isnan(b->key);

	if (nanA != nanB)
		return nanB;
	if (!nanA && a->key != b->key)
		return a->key < b->key;
	return a->id < b->id;
}

static void
HeapPush(IvfpqScanOpaque so, IvfpqResultHeap *h, double key, int64 id)
{
	IvfpqResult e = {key, id};
	int			pos;

	if (h->n == h->cap)
	{
		int			cap = Max(64, h->cap * 2);

		h->e = h->e == NULL ?
			MemoryContextAllocHuge(so->scanCtx, sizeof(IvfpqResult) * cap) :
			repalloc_huge(h->e, sizeof(IvfpqResult) * cap);
		h->cap = cap;
	}
	pos = h->n++;
	while (pos > 0)
	{
		int			parent = (pos - 1) / 2;

		if (!ResultLess(&e, &h->e[parent]))
			break;
		h->e[pos] = h->e[parent];
		pos = parent;
	}
	h->e[pos] = e;
}

/* Removes and returns the first row; false when there is none. */
static bool
HeapPop(IvfpqResultHeap *h, IvfpqResult *out)
{
	IvfpqResult last;
	int			pos = 0;

	if (h->n == 0)
		return false;
	*out = h->e[0];
	last = h->e[--h->n];
	for (;;)
	{
		int			child = 2 * pos + 1;

		if (child >= h->n)
			break;
		if (child + 1 < h->n && ResultLess(&h->e[child + 1], &h->e[child]))
			child++;
		if (!ResultLess(&h->e[child], &last))
			break;
		h->e[pos] = h->e[child];
		pos = child;
	}
	if (h->n > 0)
		h->e[pos] = last;
	return true;
}

/* The first result, without removing it; false when there is none. */
bool
IvfpqPeekResult(IvfpqScanOpaque so, IvfpqResult *out)
{
	if (so->res.n == 0)
		return false;
	*out = so->res.e[0];
	return true;
}

/*
 * Removes and returns the first result; false when there is none.  A capped
 * scan starts its next pool once nothing it fetched waits, the rows the
 * prefilter removed included (they would have waited with the others).
 */
bool
IvfpqPopResult(IvfpqScanOpaque so, IvfpqResult *out)
{
	if (!HeapPop(&so->res, out))
		return false;
	if (so->res.n == 0 && so->removed.n == 0)
		so->fetched = 0;
	return true;
}

/*
 * The reach grows with the rows returned, and without the prefilter the rows
 * it removes would have been returned (and rejected by the executor): each
 * counts once the scan would have returned it, when it comes before the first
 * result and the same test as for a result lets it go (NextResult).  Its
 * exact value is not known: its PQ estimate stands for it (the ADC value in
 * the operator's units), so the reach grows about as it did without the
 * prefilter.  Counting them when fetched instead grew it far more (every
 * fetch that proves the order counted: on mnist, lists 245, a 10% filter
 * reached 80 lists instead of 20).  True when it counted any.
 */
bool
IvfpqCountRemoved(IvfpqScanOpaque so, bool waiting, double lb)
{
	IvfpqResult first;
	bool		haveFirst = IvfpqPeekResult(so, &first);
	bool		counted = false;

	while (so->removed.n > 0)
	{
		IvfpqResult *g = &so->removed.e[0];
		IvfpqResult out;

		if (haveFirst && !ResultLess(g, &first))
			break;
		if (waiting && !so->nullQuery && !(!isnan(g->key) && g->key <= lb) &&
			!(so->capped && so->fetched >= ivfpq_rerank))
			break;
		HeapPop(&so->removed, &out);
		so->removedReturned++;
		counted = true;
	}
	if (counted && so->res.n == 0 && so->removed.n == 0)
		so->fetched = 0;
	return counted;
}

/* Entry pos's PQ estimate of its row's value, in the operator's units. */
static double
EstimatedKey(IvfpqScanOpaque so, int64 pos)
{
	double		adc = so->stADC[pos];

	if (so->nullQuery)
		return 0;
	/* 1 - cos = |q~ - x~|^2 / 2 for unit vectors */
	return so->metric == PGVQ_METRIC_COSINE ? adc * 0.5 : adc;
}

/*
 * The indexed value of the row in so->slot: its column, or for an expression
 * index the expression evaluated on it (in the per-row context, reset by the
 * caller through tmpCtx and ResetExprContext).
 */
static Datum
IndexedValue(IndexScanDesc scan, bool *isnull)
{
	IvfpqScanOpaque so = (IvfpqScanOpaque) scan->opaque;
	Datum		values[INDEX_MAX_KEYS];
	bool		isnulls[INDEX_MAX_KEYS];
	ExprContext *econtext;

	if (so->attno != 0)
		return slot_getattr(so->slot, so->attno, isnull);

	if (so->estate == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(so->scanCtx);

		so->indexInfo = BuildIndexInfo(scan->indexRelation);
		so->estate = CreateExecutorState();
		MemoryContextSwitchTo(old);
	}
	econtext = GetPerTupleExprContext(so->estate);
	ResetExprContext(econtext);
	econtext->ecxt_scantuple = so->slot;
	FormIndexDatum(so->indexInfo, so->slot, so->estate, values, isnulls);
	*isnull = isnulls[0];
	return values[0];
}

/*
 * The exact value of the row in so->slot into *key; false when its indexed
 * value is NULL.
 */
static bool
ExactValue(IndexScanDesc scan, double *key)
{
	IvfpqScanOpaque so = (IvfpqScanOpaque) scan->opaque;
	bool		isnull;
	Datum		value = IndexedValue(scan, &isnull);
	MemoryContext old;

	if (isnull)
		return false;
	old = MemoryContextSwitchTo(so->tmpCtx);

	/*
	 * float8 as the operator computes it (for the column's type): cosine's
	 * quotient is not rounded to float4, so ties and near-ties order as a
	 * sequential scan orders them.
	 */
	*key = so->nullKey ? 0 :
		IvfpqExactKey(so->colType, so->metric, so->query, so->queryHalf, value, so->d);
	MemoryContextSwitchTo(old);
	MemoryContextReset(so->tmpCtx);
	return true;
}

/*
 * Fetches the row of entry pos; when the snapshot sees it and the prefilter
 * (ivfpq_prefilter.c) does not remove it, adds its exact value.
 */
static void
FetchRow(IndexScanDesc scan, int64 pos)
{
	IvfpqScanOpaque so = (IvfpqScanOpaque) scan->opaque;
	ItemPointerData tid = IvfpqIdToTid(so->stIds[pos]);
	bool		call_again = false;
	bool		all_dead = false;

	if (so->fetch == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(so->scanCtx);

		so->fetch = table_index_fetch_begin(scan->heapRelation);
		so->slot = table_slot_create(scan->heapRelation, NULL);
		MemoryContextSwitchTo(old);
	}

	/* no buffer lock is held here */
	CHECK_FOR_INTERRUPTS();
	so->fetched++;
	so->scanFetched++;
	IvfpqPrefetchUse(scan, &tid);
	if (!table_index_fetch_tuple(so->fetch, &tid, scan->xs_snapshot, so->slot,
								 &call_again, &all_dead))
		;						/* not visible */
	else if (so->prefilterOn && IvfpqPrefilterRejects(so->prefilter, so->slot))
	{
		double		key;

		so->dropped++;
		/*
		 * Its value measures the bounds as well as that of a row that passes
		 * (the error of a code does not depend on the filter): until the
		 * scan has measured enough, a filter that keeps few rows would keep
		 * the worst case for most of a LIMIT's fetches.
		 */
		if (IvfpqCalibrating(so))
		{
			so->calRemoved++;
			if (ExactValue(scan, &key))
				IvfpqCalibrateSample(so, pos, key);
		}
		HeapPush(so, &so->removed, EstimatedKey(so, pos), so->stIds[pos]);
	}
	else
	{
		double		key;

		if (ExactValue(scan, &key))
		{
			IvfpqCalibrateSample(so, pos, key);
			HeapPush(so, &so->res, key, so->stIds[pos]);
		}
	}
	ExecClearTuple(so->slot);
}

/*
 * Fetches the next entry of the pool (by bound, or by ADC value when
 * capped), after moving the prefetch window on (ivfpq_prefetch.c); false
 * when every entry has been fetched.
 */
bool
IvfpqFetchNext(IndexScanDesc scan)
{
	IvfpqScanOpaque so = (IvfpqScanOpaque) scan->opaque;
	IvfpqOrder *ord = so->capped ? &so->byADC : &so->byLB;
	int64		pos;

	if (!OrderPeek(so, ord, &pos))
		return false;
	IvfpqPrefetchStep(scan, ord);
	OrderTake(ord);
	FetchRow(scan, pos);
	return true;
}
