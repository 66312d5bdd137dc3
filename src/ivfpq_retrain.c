/*
 * ivfpq_retrain.c: online (re)training of an ivfpq index, from VACUUM
 * (ivfpq_vacuum.c, when IvfpqRetrainWanted says so) or pgvq_ivfpq_retrain().
 *
 * The caller holds a ShareUpdateExclusiveLock on the table, so no VACUUM,
 * ANALYZE or other retrain runs meanwhile and no entry leaves the index;
 * inserts, updates and scans go on.  The retrain builds a whole new structure
 * of a new generation beside the live one (ivfpq_reclaim.c):
 *
 *  1. copy:     every entry of the live lists (their TIDs), remembering per
 *               page how many entries were taken (entries are only appended)
 *  2. sample:   the rows behind them, fetched from the heap (the first member
 *               of each HOT chain that some snapshot may still see; entries of
 *               rows dead to everyone are left out, as VACUUM would remove
 *               them); the training sample is the build's (bottom-k by TID)
 *  3. training: coarse k-means and PQ codebooks, as in a build (same m, nbits)
 *  4. encoding: the rows fetched again and encoded in memory
 *  5. writing:  centroids, codebooks, lists and directory on new pages, each a
 *               full-image generic WAL record; nothing points at them yet
 *  6. catch-up: entries appended to the live lists since 1 are encoded and
 *               inserted into the new lists, twice without a lock, then a last
 *               time under an exclusive lock on the meta page, which inserts
 *               hold (shared) from checking their structure to their entry's
 *               WAL record: no insert is in flight, none is lost or copied
 *               twice (each page's taken count moves forward only)
 *  7. switch:   still under that lock, the meta page names the new structure
 *               in one generic WAL record (a new build id, so every backend's
 *               cache reloads), with the next full transaction id after which
 *               the old pages may be reclaimed (ivfpq_reclaim.c).
 *
 * A crash or an error before 7 leaves the old structure live and the new
 * pages unreferenced (a later sweep frees them); after 7 the new one is live.
 * A standby replays the same records.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/relscan.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "access/xlog.h"
#include "catalog/index.h"
#include "catalog/pg_am_d.h"
#include "commands/defrem.h"
#include "commands/vacuum.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/procarray.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "ivfpq_build.h"
#include "ivfpq_retrain.h"
#include "pg_compat.h"

int			ivfpq_retrain_min_rows = 10000;
double		ivfpq_retrain_imbalance = 3.0;
int			ivfpq_retrain_pause_lock = 0;

/* The index whose meta page this backend's retrain holds exclusively, if any */
static Oid	switchingIndex = InvalidOid;

/*
 * Whether this backend's retrain holds the index's meta page exclusively (its
 * last catch-up evaluates the indexed expression, which may read the index):
 * waiting for the meta page would then wait for ourselves, uninterruptibly,
 * and block every insert and scan of the index.  With raise, an error instead
 * of true.
 */
bool
IvfpqMetaLockedHere(Relation index, bool raise)
{
	if (switchingIndex != RelationGetRelid(index))
		return false;
	if (raise)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("ivfpq index \"%s\" cannot be read while its retrain switches structures",
						RelationGetRelationName(index)),
				 errdetail("The index expression reads or writes the index it defines."),
				 errhint("Use REINDEX INDEX CONCURRENTLY for this index.")));
	return true;
}

/* Test only: waits for advisory lock ivfpq.retrain_pause_lock + point, if set. */
static void
RetrainPause(int point)
{
	Datum		key;

	if (ivfpq_retrain_pause_lock == 0)
		return;
	key = Int64GetDatum((int64) ivfpq_retrain_pause_lock + point);
	DirectFunctionCall1(pg_advisory_lock_int8, key);
	DirectFunctionCall1(pg_advisory_unlock_int8, key);
}

/*
 * The indexed value of an index entry's row (the column, or the expression
 * of an expression index), from the first member of its HOT chain that is
 * not dead to every snapshot; false when there is none.  The value lives
 * until the next call.
 */
static bool
FetchRow(IvfpqRetrainState *rs, ItemPointer tid, Datum *value, bool *isnull)
{
	bool		callAgain = false;
	bool		allDead = false;
	ItemPointerData t = *tid;

	ResetPerTupleExprContext(rs->estate);
	ExecClearTuple(rs->slot);
	if (!table_index_fetch_tuple(rs->fetch, &t, &rs->snap, rs->slot, &callAgain, &allDead))
		return false;
	FormIndexDatum(rs->indexInfo, rs->slot, rs->estate, value, isnull);
	return true;
}

static void
AddTid(IvfpqRetrainState *rs, ItemPointer tid)
{
	if (rs->ntids == rs->tidCap)
	{
		rs->tidCap = Max(rs->tidCap * 2, 1024);
		rs->tids = rs->tids ? repalloc_huge(rs->tids, sizeof(ItemPointerData) * rs->tidCap) :
			MemoryContextAllocHuge(CurrentMemoryContext, sizeof(ItemPointerData) * rs->tidCap);
	}
	rs->tids[rs->ntids++] = *tid;
}

/*
 * 1 and 6: the TIDs of the entries appended to the live lists since the last
 * call, into rs->tids (sorted).  Per list page, rs->taken holds how many of
 * its entries earlier calls took.
 */
static void
CollectNew(IvfpqRetrainState *rs)
{
	Relation	index = rs->index;
	int			m = rs->old.m;
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);
	int			list;

	rs->ntids = 0;
	for (list = 0; list < rs->old.lists; list++)
	{
		BlockNumber blkno = rs->oldStarts[list];
		int			hops = 0;

		while (blkno != InvalidBlockNumber)
		{
			Buffer		buf;
			Page		page;
			IvfpqPageOpaque opaque;
			int			i;

			IvfpqCheckChainStep(index, list, blkno, &nblocks, &hops);
			if (blkno >= rs->ntaken)
			{
				BlockNumber n = Max(nblocks, blkno + 1) + 64;

				rs->taken = rs->taken ? repalloc(rs->taken, sizeof(uint16) * n) :
					palloc(sizeof(uint16) * n);
				MemSet(rs->taken + rs->ntaken, 0, sizeof(uint16) * (n - rs->ntaken));
				rs->ntaken = n;
			}
			buf = ReadBuffer(index, blkno);
			LockBuffer(buf, BUFFER_LOCK_SHARE);
			page = BufferGetPage(buf);
			IvfpqCheckPage(index, page, blkno, IVFPQ_PAGE_LIST, m);
			opaque = IvfpqPageGetOpaque(page);
			if (opaque->list != (uint32) list || opaque->count < rs->taken[blkno])
				ereport(ERROR,
						(errcode(ERRCODE_INDEX_CORRUPTED),
						 errmsg("index \"%s\" changed under a retrain at block %u",
								RelationGetRelationName(index), blkno)));
			for (i = rs->taken[blkno]; i < opaque->count; i++)
				AddTid(rs, IvfpqListTid(page, i));
			rs->taken[blkno] = opaque->count;
			blkno = opaque->nextblkno;
			UnlockReleaseBuffer(buf);
			CHECK_FOR_INTERRUPTS();
		}
	}
	if (rs->ntids > 1)
		qsort(rs->tids, rs->ntids, sizeof(ItemPointerData),
			  (int (*) (const void *, const void *)) ItemPointerCompare);
}

/*
 * 2: the training sample from the rows of rs->tids; keeps only the TIDs of
 * rows found (and indexable).
 */
static void
SampleRows(IvfpqRetrainState *rs, int64 cap)
{
	IvfpqBuildState *bs = &rs->bs;
	int64		i;
	int64		kept = 0;

	bs->sample = MemoryContextAllocHuge(CurrentMemoryContext, IvfpqSampleSize(cap, bs->dims));
	IvfpqSampleInit(bs->sample, cap, bs->dims);
	bs->sampleRow = palloc(sizeof(float) * bs->dims);
	bs->sampleTop = PG_UINT64_MAX;
	for (i = 0; i < rs->ntids; i++)
	{
		Datum		value;
		bool		isnull;
		int64		before = bs->rowsSeen;

		if ((i & 1023) == 0)
			PgvqVacuumDelayPoint();
		if (!FetchRow(rs, &rs->tids[i], &value, &isnull) || isnull)
			continue;
		IvfpqSampleCallback(rs->index, &rs->tids[i], &value, &isnull, true, bs);
		if (bs->rowsSeen > before)
			rs->tids[kept++] = rs->tids[i];
	}
	rs->ntids = kept;
	IvfpqSampleSorted(bs->sample, IvfpqSampleVecs(bs->sample));
	pfree(bs->sampleRow);
}

/* Encodes the rows of rs->tids in batches (into bs's entries). */
static void
EncodeTids(IvfpqRetrainState *rs, bool drain)
{
	IvfpqBuildState *bs = &rs->bs;
	int64		i;

	for (i = 0; i < rs->ntids; i++)
	{
		Datum		value;
		bool		isnull;

		/* no cost-based sleep while inserts wait for the meta page */
		if ((i & 1023) == 0 && !rs->metaLocked)
			PgvqVacuumDelayPoint();
		if (!FetchRow(rs, &rs->tids[i], &value, &isnull) || isnull)
			continue;
		IvfpqEncodeCallback(rs->index, &rs->tids[i], &value, &isnull, true, bs);
		if (drain && bs->nent > 0)
			IvfpqRetrainDrain(rs);
	}
	IvfpqFlushBatch(bs);
	if (drain)
		IvfpqRetrainDrain(rs);
}

/* 6: copies what inserts added to the live lists since the last call. */
static void
CatchUp(IvfpqRetrainState *rs)
{
	CollectNew(rs);
	EncodeTids(rs, true);
}

/* The sample size the build takes for lists lists, cut by memory. */
static int64
SampleCap(IvfpqRetrainState *rs, int lists, int64 *wanted)
{
	Size		mwm = rs->bs.memLimit;

	*wanted = IvfpqSampleWanted(lists);
	return Max(1, IvfpqSampleCap(lists, rs->bs.dims, mwm));
}

/* The memory the copy of n entries takes, checked before the work. */
static void
CheckCopyMemory(IvfpqRetrainState *rs, int64 n)
{
	Size		need = mul_size(Max(n, IVFPQ_ENCODE_BATCH),
								IvfpqEntryBytes(rs->old.m) + sizeof(ItemPointerData));

	if (need > rs->bs.memLimit)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("ivfpq retrain of \"%s\" needs %zu MB of memory, maintenance_work_mem is %zu MB",
						RelationGetRelationName(rs->index), need / (1024 * 1024) + 1,
						rs->bs.memLimit / (1024 * 1024)),
				 errhint("Increase maintenance_work_mem, or use REINDEX INDEX CONCURRENTLY.")));
}

/* 1 to 4: the live rows, the model and their entries in memory. */
static void
TrainAndEncode(IvfpqRetrainState *rs, int lists)
{
	IvfpqBuildState *bs = &rs->bs;
	int64		wanted;
	int64		cap;

	CollectNew(rs);
	CheckCopyMemory(rs, rs->ntids);
	cap = SampleCap(rs, lists > 0 ? lists : IvfpqDefaultLists((double) rs->ntids), &wanted);
	SampleRows(rs, cap);
	if (lists == 0)
		lists = IvfpqDefaultListsFitting((double) bs->rowsSeen, bs->sample->n, bs->dims,
										 bs->nbits, bs->memLimit);
	if (bs->rowsSeen < lists)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("ivfpq index \"%s\" holds " INT64_FORMAT " rows, too few to train %d lists",
						RelationGetRelationName(rs->index), bs->rowsSeen, lists)));
	bs->lists = lists;
	bs->rowsTotal = bs->rowsSeen;
	IvfpqCheckTrainingMemory(bs, wanted);
	IvfpqTrain(bs, IvfpqSampleVecs(bs->sample), bs->sample->n);
	pfree(bs->sample);
	bs->sample = NULL;

	IvfpqAllocBatch(bs);
	bs->entCap = Max(rs->ntids, IVFPQ_ENCODE_BATCH);
	bs->entLists = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * bs->entCap);
	bs->entTids = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(ItemPointerData) * bs->entCap);
	bs->entCodes = MemoryContextAllocHuge(CurrentMemoryContext,
										  (Size) IvfpqEntryCodeSize(bs->m) * bs->entCap);
	EncodeTids(rs, false);
}

/* The first generation, after the live one, that no page carries. */
static uint32
NewGeneration(const IvfpqMetaPageData *meta, const uint8 *gensInUse)
{
	uint32		g;

	for (g = 1; g < 65536; g++)
	{
		uint32		gen = (meta->generation + g) & 0xFFFF;

		if ((gensInUse[gen / 8] & (1 << (gen % 8))) == 0)
			return gen;
	}
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("ivfpq index has pages of every generation"),
			 errhint("VACUUM the table once running queries have ended, or REINDEX the index.")));
	return 0;
}

/*
 * 7 (and the start): writes meta into the exclusively locked meta page as a
 * full-image record, in the current on-disk version.
 */
static XLogRecPtr
WriteMeta(Relation index, Buffer buf, const IvfpqMetaPageData *meta)
{
	GenericXLogState *state = GenericXLogStart(index);
	Page		page = GenericXLogRegisterBuffer(state, buf, GENERIC_XLOG_FULL_IMAGE);

	IvfpqInitPage(page, IVFPQ_PAGE_META, 0);
	memcpy(PageGetContents(page), meta, sizeof(IvfpqMetaPageData));
	((IvfpqMetaPage) PageGetContents(page))->version = IVFPQ_VERSION;
	((PageHeader) page)->pd_lower = IVFPQ_PAGE_HEADER + sizeof(IvfpqMetaPageData);
	return GenericXLogFinish(state);
}

/* Reads the meta page under an exclusive lock: the retrain's starting point. */
static Buffer
LockMeta(IvfpqRetrainState *rs, IvfpqMetaPageData *meta)
{
	Buffer		buf = ReadBuffer(rs->index, IVFPQ_METAPAGE_BLKNO);

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	IvfpqCheckPage(rs->index, BufferGetPage(buf), IVFPQ_METAPAGE_BLKNO, IVFPQ_PAGE_META, 0);
	IvfpqCopyMeta(BufferGetPage(buf), meta);
	return buf;
}

/* Sweeps, picks the new generation and marks the meta page (other generations ahead). */
static void
Begin(IvfpqRetrainState *rs, BufferAccessStrategy strategy)
{
	uint8	   *gensInUse = palloc(8192);
	IvfpqCache *cache;
	Buffer		buf;
	XLogRecPtr	lsn = InvalidXLogRecPtr;

	IvfpqSweep(rs->index, strategy, gensInUse, true);
	buf = LockMeta(rs, &rs->old);
	rs->meta = rs->old;
	rs->meta.generation = NewGeneration(&rs->old, gensInUse);
	if ((rs->old.flags & IVFPQ_META_OTHER_GENS) == 0 || rs->old.version != IVFPQ_VERSION)
	{
		IvfpqMetaPageData marked = rs->old;

		marked.flags |= IVFPQ_META_OTHER_GENS;
		lsn = WriteMeta(rs->index, buf, &marked);
	}
	UnlockReleaseBuffer(buf);
	pfree(gensInUse);
	/*
	 * Durable before any new page: relation extension writes zero pages
	 * without WAL, and after a crash only this flag makes a sweep free them.
	 */
	if (!XLogRecPtrIsInvalid(lsn) && RelationNeedsWAL(rs->index))
		XLogFlush(lsn);

	cache = IvfpqGetCache(rs->index, CurrentMemoryContext);
	if (cache->buildId != rs->old.buildId)
		elog(ERROR, "ivfpq index \"%s\" changed at the start of a retrain",
			 RelationGetRelationName(rs->index));
	rs->oldStarts = palloc(sizeof(BlockNumber) * rs->old.lists);
	memcpy(rs->oldStarts, cache->startPages, sizeof(BlockNumber) * rs->old.lists);
}

/* 7: the last catch-up and the switch, under the meta page's exclusive lock. */
static void
Switch(IvfpqRetrainState *rs)
{
	IvfpqMetaPageData now;
	Buffer		buf = LockMeta(rs, &now);

	if (now.buildId != rs->old.buildId)
		elog(ERROR, "ivfpq index \"%s\" was switched under a retrain",
			 RelationGetRelationName(rs->index));
	rs->metaLocked = true;
	switchingIndex = RelationGetRelid(rs->index);
	PG_TRY();
	{
		CatchUp(rs);
	}
	PG_FINALLY();
	{
		switchingIndex = InvalidOid;
	}
	PG_END_TRY();
	rs->metaLocked = false;
	rs->meta.flags |= IVFPQ_META_OTHER_GENS;
	rs->meta.reclaimXid = U64FromFullTransactionId(ReadNextFullTransactionId());
	rs->meta.switchHorizon =
		U64FromFullTransactionId(IvfpqFullXid(GetOldestNonRemovableTransactionId(rs->bs.heap)));
	rs->meta.buildTuples = rs->copied;
	WriteMeta(rs->index, buf, &rs->meta);
	UnlockReleaseBuffer(buf);
}

/*
 * Retrains the index with lists lists (0: from the reloption, else from the
 * row count) under the caller's ShareUpdateExclusiveLock on heap; the
 * result in *res.
 */
void
IvfpqRetrain(Relation heap, Relation index, int lists, BufferAccessStrategy strategy,
			 IvfpqRetrainResult *res)
{
	IvfpqRetrainState rs;
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "ivfpq retrain",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);

	if (heap->rd_rel->relam != HEAP_TABLE_AM_OID)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("ivfpq retrains indexes of heap tables only"),
				 errhint("REINDEX the index instead.")));
	if (lists == 0 && index->rd_options)
		lists = ((IvfpqOptions *) index->rd_options)->lists;
	MemSet(&rs, 0, sizeof(rs));
	rs.heap = heap;
	rs.index = index;
	Begin(&rs, strategy);

	rs.bs.heap = heap;
	rs.bs.index = index;
	rs.bs.metric = rs.old.metric;
	rs.bs.colType = IvfpqGetColumnType(index);
	rs.bs.nthreads = IvfpqBuildThreads();
	rs.bs.dims = rs.old.dimensions;
	rs.bs.m = rs.old.m;
	rs.bs.nbits = rs.old.nbits;
	rs.bs.memLimit = (Size) maintenance_work_mem * 1024;
	rs.bs.tmpCtx = AllocSetContextCreate(cxt, "ivfpq retrain rows", ALLOCSET_DEFAULT_SIZES);
	InitNonVacuumableSnapshot(rs.snap, GlobalVisTestFor(heap));
	rs.fetch = table_index_fetch_begin(heap);
	rs.slot = table_slot_create(heap, NULL);
	rs.indexInfo = BuildIndexInfo(index);
	rs.estate = CreateExecutorState();
	GetPerTupleExprContext(rs.estate)->ecxt_scantuple = rs.slot;

	TrainAndEncode(&rs, lists);
	RetrainPause(1);
	IvfpqRetrainWrite(&rs);
	RetrainPause(2);
	CatchUp(&rs);
	CatchUp(&rs);
	Switch(&rs);

	res->oldLists = rs.old.lists;
	res->lists = rs.meta.lists;
	res->rows = rs.copied;
	FreeExecutorState(rs.estate);
	ExecDropSingleTupleTableSlot(rs.slot);
	table_index_fetch_end(rs.fetch);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	RetrainPause(3);
}
