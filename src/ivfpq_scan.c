/*
 * ivfpq_scan.c: ORDER BY scans of an ivfpq index.
 *
 * A scan ranks the lists by their centroid's distance to the query and
 * reaches them nearest first: the first ivfpq.probes lists before its first
 * row, more as the executor takes rows (below), up to ivfpq.max_probes lists
 * (all by default).  Reaching a list scans its PQ codes (one share lock per
 * page, a list's pages' codes gathered into batches the core scans as one
 * contiguous array: ivfpq_reach.c) and
 * turns each entry's ADC value and error code into a lower bound of the
 * operator's value for its row (pgvq_pq_lower_bounds: never above the float8
 * the operator computes, float rounding included); the entry joins one pool
 * with those of every list reached before.  Entries are re-ranked in bound
 * order (ivfpq_rerank.c: heap fetch with the scan's snapshot, exact value),
 * and a row is returned once its exact value is not above the smallest bound
 * still waiting in the pool (xs_recheckorderby = false: the values are
 * exact).  So every row returned is the nearest not yet returned among the
 * lists reached when it is returned, however many the executor asks for, and
 * the number of heap fetches adapts to the query: probes = lists is an exact
 * search.
 *
 * The reach grows with the rows returned: before row r, probes * sqrt(r /
 * IVFPQ_REACH_ROWS) lists (IvfpqReachTarget, ivfpq_reach.c), at least twofold each time, and
 * twofold when every row of the lists reached has been returned.  A WHERE
 * clause that rejects most rows makes the executor take many, and the rows
 * that pass are then the nearest of a growing part of the data instead of
 * those of the nearest lists.  The growth stops short at the lists whose
 * centroid lies too far for a row nearer than the next one to return, by the
 * offsets of the rows scanned so far (IvfpqReachNeeded).  Each list is scanned once; a growing reach
 * drops the entries fetched already from the pool, so no row is fetched
 * twice.  A list reached late can still hold a row nearer than rows already
 * returned: the lists not reached are not bounded.
 *
 * ivfpq.rerank (0 = no limit) caps the heap fetches made while rows wait:
 * past it the scan returns its best re-ranked row without waiting for the
 * bounds.
 *
 * An untrained index (built on no rows) has one list, a zero centroid and
 * zero codebooks: its bounds are ||q| - |x||, still exact.  Every scan then
 * re-ranks every row, so once such an index holds more than
 * IVFPQ_UNTRAINED_NOTICE_ROWS entries and more than 10 per configured list
 * (the lists option), its first scan in a backend says so (NoteUntrained,
 * ivfpq_reach.c).
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/xlog.h"
#include "access/relscan.h"
#include "access/tableam.h"
#include "catalog/index.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "ivfpq_scan.h"



/*
 * Frees the core's selection heaps and gives back the scan's large arrays
 * with the scan context, on error as well.
 */
static void
ReleaseScanMemory(void *arg)
{
	IvfpqScanOpaque so = (IvfpqScanOpaque) arg;

	IvfpqOrderFree(&so->byLB);
	IvfpqOrderFree(&so->byADC);
	IvfpqScratchFreeAll(&so->scratch);
}

/*
 * The integer code scan's table width (ivfpq.code_scan), 0 for the float
 * scan: 8-bit codes only, and only where the integer kernel runs in
 * registers (AVX-512 VBMI; elsewhere only its scalar reference runs, slower
 * than the float scan).
 * auto takes int16: on mnist (m 196, AMD EPYC Zen 4) it was as fast as int8
 * or faster, int8's looser bounds costing 12-20% more heap fetches (README).
 */
static int
IntScanBits(int ksub)
{
	if (ksub != 256 || ivfpq_code_scan == IVFPQ_CODE_SCAN_FLOAT || !pgvq_pq_qscan_fast())
		return 0;
	return ivfpq_code_scan == IVFPQ_CODE_SCAN_INT8 ? 8 : 16;
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

	/*
	 * The core's top-k heaps are freed, and the large arrays given back, with
	 * the scan context, on error too: registered before any is taken
	 */
	cb = palloc(sizeof(MemoryContextCallback));
	cb->func = ReleaseScanMemory;
	cb->arg = so;
	MemoryContextRegisterResetCallback(so->scanCtx, cb);

	cache = so->cache = IvfpqGetCache(index, so->scanCtx);
	so->metric = cache->meta.metric;
	so->d = cache->meta.dimensions;
	so->m = cache->meta.m;
	so->ksub = cache->ksub;
	so->lists = cache->meta.lists;
	so->colType = cache->colType;
	so->attno = index->rd_index->indkey.values[0];

	so->query = palloc(sizeof(float) * so->d);
	if (so->colType == IVFPQ_COLUMN_HALFVEC)
		so->queryHalf = palloc(sizeof(uint16) * so->d);
	so->pqQuery = palloc(sizeof(float) * so->d);
	so->listOrder = palloc(sizeof(uint32) * so->lists);
	so->listWork = palloc(sizeof(uint32) * 3 * (Size) so->lists);
	so->listScore = palloc(sizeof(float) * so->lists);
	so->table = IvfpqScratchAlloc(&so->scratch, so->scanCtx,
								  sizeof(float) * (Size) so->m * so->ksub);
	so->intBits = IntScanBits(so->ksub);
	if (so->intBits > 0)
		so->intTable = IvfpqScratchAlloc(&so->scratch, so->scanCtx,
										 pgvq_pq_qtable_bytes(so->m, so->intBits));
	so->pageCodes = palloc(mul_size(IvfpqScanBatch(so->m), so->m));
	so->pageIds = palloc(sizeof(int64) * IvfpqScanBatch(so->m));
	so->pageDist = palloc(sizeof(float) * IvfpqScanBatch(so->m));
	so->pageErr = palloc(sizeof(uint16) * IvfpqScanBatch(so->m));
	so->pageTerm = palloc(sizeof(float) * IvfpqScanBatch(so->m));
	so->pageLB = palloc(sizeof(float) * IvfpqScanBatch(so->m));
	MemoryContextSwitchTo(old);

	/* Exact distances are reported in the operator's units */
	scan->xs_orderbyvals = palloc0(sizeof(Datum) * Max(norderbys, 1));
	scan->xs_orderbynulls = palloc(sizeof(bool) * Max(norderbys, 1));
	memset(scan->xs_orderbynulls, true, sizeof(bool) * Max(norderbys, 1));
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
	so->res.n = 0;
}

/*
 * A retrain leaves out rows dead to every snapshot of the primary (deleted by
 * transactions before its removal horizon).  A standby query whose snapshot
 * is older than that horizon may still see such rows, and generic WAL raises
 * no recovery conflict to cancel it: it is refused rather than answered
 * without them.  Snapshots taken after the switch was replayed are newer.
 */
static void
CheckStandbySnapshot(Relation index, Snapshot snapshot, FullTransactionId horizon)
{
	if (!FullTransactionIdPrecedes(IvfpqFullXid(snapshot->xmin), horizon))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg("ivfpq index \"%s\" was retrained after this query's snapshot was taken",
					RelationGetRelationName(index)),
			 errdetail("The retrain left out rows the primary no longer keeps; this snapshot may still see them."),
			 errhint("Run the query again in a new transaction.")));
}

/* Reads the query and the settings, ranks the lists; the first lists are reached on demand. */
static void
StartScan(IndexScanDesc scan)
{
	IvfpqScanOpaque so = (IvfpqScanOpaque) scan->opaque;
	IvfpqCache *cache = so->cache;
	int			d = so->d;
	int			l;

	if (scan->xs_snapshot == NULL || !IsMVCCSnapshot(scan->xs_snapshot))
		elog(ERROR, "non-MVCC snapshots are not supported with ivfpq");
	if (cache->meta.switchHorizon != 0 && RecoveryInProgress())
		CheckStandbySnapshot(scan->indexRelation, scan->xs_snapshot,
							 FullTransactionIdFromU64(cache->meta.switchHorizon));
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

		IvfpqReadQuery(so->colType, scan->orderByData[0].sk_argument, d, so->query,
					   so->queryHalf);
		MemoryContextSwitchTo(old);
		MemoryContextReset(so->tmpCtx);
	}
	memcpy(so->pqQuery, so->query, sizeof(float) * d);
	if (so->metric == PGVQ_METRIC_COSINE && !so->nullQuery)
	{
		double		norm = FloatsNormL2(so->query, d);
		int			i;

		/*
		 * A zero query has no cosine distance to anything: the lists and PQ
		 * codes give no order, but the re-rank still computes the operator's
		 * exact distances (NaN for a zero query), so each batch is ordered as
		 * a sequential scan orders it.  The norm is taken in double, so a
		 * query with huge elements is normalised like an indexed row.
		 */
		if (!(norm > 0))
		{
			so->nullQuery = true;
			memset(so->pqQuery, 0, sizeof(float) * d);
		}
		else
			for (i = 0; i < d; i++)
				so->pqQuery[i] = (float) ((double) so->query[i] / norm);
	}

	/* Rank the lists */
	for (l = 0; l < so->lists; l++)
	{
		const float *c = cache->centroids + (Size) l * d;

		if (so->nullQuery)
			so->listScore[l] = 0;
		else if (so->metric == PGVQ_METRIC_IP)
			so->listScore[l] = -pgvq_fvec_inner_product(so->pqQuery, c, d);
		else
			so->listScore[l] = cache->centroidNorms[l] - 2 * pgvq_fvec_inner_product(so->pqQuery, c, d);
	}
	/* by score, ties (and NaN, last) in list order: a radix sort */
	pgvq_argsort_f32(so->lists, so->listScore, so->listOrder, so->listWork);

	/*
	 * One table for every list: -<q_j, cb_j_k> (inner product), or
	 * -2 <q_j, cb_j_k> (L2, cosine: each entry adds its term T and the list
	 * its bias |q - c|^2, see ListBias in ivfpq_reach.c); the scale is applied to q, exactly.
	 * For the integer code scan it is also rounded down to integers (a
	 * non-finite or degenerate table keeps the float scan, and so does a
	 * query without order: its ADC values order the fetches of rows that tie,
	 * as a sequential scan would return them).
	 */
	pgvq_pq_ip_table_t(d, so->pqQuery, so->m, cache->meta.nbits, cache->codebooksT,
					   so->metric == PGVQ_METRIC_IP ? -1.0f : -2.0f, so->table);
	so->intReady = false;
	if (so->intBits > 0 && !so->nullQuery)
		so->intReady = pgvq_pq_qtable_build(so->m, so->intBits, so->table, so->intTable,
											&so->intScale) != 0;
	if (so->metric != PGVQ_METRIC_IP)
		so->queryNorm = pgvq_fvec_norm_l2sqr(so->pqQuery, d);
	so->pqQueryNorm = (float) FloatsNormL2(so->pqQuery, d);

	PgvqCountIndexScan(scan);

	so->maxProbes = (ivfpq_max_probes < 0 || so->nullQuery) ? so->lists :
		Min(so->lists, Max(ivfpq_probes, ivfpq_max_probes));
	so->probeLo = 0;
	so->probeHi = 0;
	so->reachOffset = INFINITY;
	so->res.n = 0;
	so->returned = 0;
	IvfpqPrefilterStart(scan);	/* and its counts */
	so->scanFetched = 0;
	so->scanEntries = 0;
	so->reaches = 0;
	IvfpqStageReset(so);		/* nothing reached yet: the first lists on demand */
	IvfpqPrefetchBegin(scan);
	so->started = true;
}


/*
 * The next row to return, in exact order within the lists reached: the first
 * re-ranked row once no entry still waiting can be nearer; else re-rank the
 * entry with the smallest bound; else reach further lists.
 */
static bool
NextResult(IndexScanDesc scan, IvfpqResult *out)
{
	IvfpqScanOpaque so = (IvfpqScanOpaque) scan->opaque;

	for (;;)
	{
		double		lb = 0;
		double		next;
		bool		waiting;
		bool		haveFirst;
		IvfpqResult first;
		int			target;

		/* the shares measured call for other bounds (ivfpq_calibrate.c) */
		if (so->recalibrate)
			IvfpqCalibrateApply(so);
		/* ivfpq.max_scan_tuples: what is re-ranked comes back, then the end */
		if (ivfpq_max_scan_tuples >= 0 && so->scanFetched >= ivfpq_max_scan_tuples)
		{
			if (!IvfpqPopResult(so, out))
				return false;
			IvfpqNoteReturned(so, out);
			return true;
		}
		waiting = IvfpqWaitingBound(so, &lb);
		/* rows the prefilter removed that would have been returned by now */
		IvfpqCountRemoved(so, waiting, lb);
		haveFirst = IvfpqPeekResult(so, &first);
		/*
		 * the next row's value is at least the smaller of these; a capped
		 * scan returns its first row after ivfpq.rerank fetches whatever
		 * still waits, and its bounds (the worst case) lie far below the rows
		 * it returns: the first row stands for the next
		 */
		next = INFINITY;
		if (haveFirst && !isnan(first.key))
			next = first.key;
		if (waiting && !(haveFirst && so->capped))
			next = Min(next, lb);
		target = IvfpqReachNeeded(so, next);
		if (so->probeHi < Min(target, so->maxProbes))
		{
			IvfpqGrowReach(scan, target);
			continue;
		}

		if (haveFirst &&
			(!waiting || so->nullQuery ||
			 (!isnan(first.key) && first.key <= lb) ||
			 (so->capped && so->fetched >= ivfpq_rerank)))
		{
			IvfpqPopResult(so, out);
			IvfpqNoteReturned(so, out);
			return true;
		}
		if (waiting)
		{
			if (!IvfpqFetchNext(scan))
				elog(ERROR, "ivfpq scan: an entry waits but none is left to fetch");
		}
		else if (!IvfpqGrowReach(scan, so->probeHi + 1))
			return false;
	}
}

bool
ivfpqgettuple(IndexScanDesc scan, ScanDirection dir)
{
	IvfpqScanOpaque so = (IvfpqScanOpaque) scan->opaque;
	IvfpqResult r;

	if (!so->started)
		StartScan(scan);
	if (!NextResult(scan, &r))
		return false;
	so->returned++;

	scan->xs_heaptid = IvfpqIdToTid(r.id);
	scan->xs_recheck = false;
	scan->xs_recheckorderby = false;
	if (so->nullKey)
	{
		scan->xs_orderbyvals[0] = (Datum) 0;
		scan->xs_orderbynulls[0] = true;
	}
	else
	{
		double		dist = r.key;

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

	if (so->started)
		elog(DEBUG1, "ivfpq scan: " INT64_FORMAT " rows returned, %d lists reached in %d steps, "
			 INT64_FORMAT " entries scanned, " INT64_FORMAT " heap fetches, "
			 INT64_FORMAT " rows removed by the prefilter, bounds at %.3g of the worst case, "
			 INT64_FORMAT " rows returned late",
			 so->returned, so->probeHi, so->reaches, so->scanEntries, so->scanFetched,
			 so->dropped, so->eps, so->late);
	IvfpqPrefetchEnd(scan);
	if (so->slot != NULL)
		ExecDropSingleTupleTableSlot(so->slot);
	if (so->fetch != NULL)
		table_index_fetch_end(so->fetch);
	if (so->estate != NULL)
		FreeExecutorState(so->estate);
	MemoryContextDelete(so->scanCtx);
	pfree(so);
	scan->opaque = NULL;
}
