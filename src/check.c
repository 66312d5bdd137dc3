/*
 * check.c: pgvq_index_check(index regclass, heapallindexed boolean), the
 * amcheck of the pgvq access methods.
 *
 * Opens the table and the index with AccessShareLock (table first, the order
 * DML and VACUUM use), dispatches on the index's access method (identified by
 * its handler's build function, not by name), lets the AM walk its pages and
 * verify their structure, and with heapallindexed checks that every row the
 * MVCC snapshot sees, with a non-NULL indexable value, has its TID in the
 * index (and, for AMs that store the value, that the stored value matches).
 * See check.h.
 *
 * A heap TID collected twice is reported only when proven, without holding
 * back VACUUM during the walk:
 *  - if the heap scan finds a row visible to the snapshot at that TID, both
 *    entries are that row's: it was inserted, with its entries, before the
 *    walk began, and kept its TID throughout (VACUUM cannot free it while the
 *    snapshot is registered; the previous holder's entries were gone before
 *    it was inserted);
 *  - otherwise the entries may be a dead row's, collected before a concurrent
 *    VACUUM removed it, and a newer row's that reused the TID.  The pages
 *    named by the entries are read again under ShareUpdateExclusiveLock on
 *    the table (it excludes VACUUM, the only thing that frees a TID an index
 *    points to, but not INSERT/UPDATE/DELETE), taken only when such a
 *    duplicate exists: if the TID is still on both, one row has two entries.
 *    A hot standby cannot take that lock, and reports only the first kind.
 */
#include "postgres.h"

#include <stdarg.h>

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "access/xlog.h"
#include "catalog/index.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "check.h"
#include "flat.h"
#include "ivfpq.h"

/* An access method pgvq_index_check knows. */
typedef struct PgvqCheckMethod
{
	const char *name;
	ambuild_function build;		/* identifies the AM (rd_indam->ambuild) */
	void		(*check) (PgvqCheckState *state);
	/* the fingerprint of a heap value, as the AM computes it for entries */
	uint32		(*fingerprint) (Relation index, Datum value);
	/* false for non-NULL values the AM does not index (NULL: all are) */
	bool		(*indexable) (Relation index, Datum value);
	/*
	 * an entry page's heap TIDs, once verified (entry_param: see check.h):
	 * *n of them, the first returned, each *stride bytes from the one before
	 */
	ItemPointer (*page_tids) (Relation index, Page page, BlockNumber blkno, int entry_param,
							  int *n, ptrdiff_t *stride);
} PgvqCheckMethod;

static const PgvqCheckMethod check_methods[] = {
	{"flat", flatbuild, FlatIndexCheck, FlatCheckFingerprint, NULL, FlatCheckPageTids},
	{"ivfpq", ivfpqbuild, IvfpqIndexCheck, NULL, IvfpqCheckIndexable, IvfpqCheckPageTids},
};

int			pgvq_check_pause_lock = 0;

void
PgvqCheckInit(void)
{
	DefineCustomIntVariable("pgvq.check_pause_lock",
							"Test only: advisory lock pgvq_index_check takes and releases mid-walk.",
							"When not 0, pgvq_index_check takes and releases the session advisory "
							"lock with this key once, after walking the first list (ivfpq) or data "
							"page (flat), so a test holding that lock can change the index there.",
							&pgvq_check_pause_lock,
							0, 0, INT_MAX,
							PGC_SUSET, GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							NULL, NULL, NULL);
}

void
PgvqCheckPauseSlow(void)
{
	Datum		key = Int64GetDatum((int64) pgvq_check_pause_lock);

	DirectFunctionCall1(pg_advisory_lock_int8, key);
	DirectFunctionCall1(pg_advisory_unlock_int8, key);
}

void
PgvqCheckCorrupted(Relation index, BlockNumber blkno, const char *fmt,...)
{
	char		detail[512];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	ereport(ERROR,
			(errcode(ERRCODE_INDEX_CORRUPTED),
			 errmsg("index \"%s\" is corrupted at block %u",
					RelationGetRelationName(index), blkno),
			 errdetail_internal("%s", detail),
			 errhint("Please REINDEX it.")));
	pg_unreachable();
}

static inline int64
PgvqCheckTidToId(ItemPointer tid)
{
	return ((int64) ItemPointerGetBlockNumberNoCheck(tid) << 16) |
		(int64) ItemPointerGetOffsetNumberNoCheck(tid);
}

void
PgvqCheckEntryTid(PgvqCheckState *state, BlockNumber blkno, int entry, ItemPointer tid,
				  uint32 fingerprint)
{
	BlockNumber hblk = ItemPointerGetBlockNumberNoCheck(tid);
	OffsetNumber hoff = ItemPointerGetOffsetNumberNoCheck(tid);

	if (hblk == InvalidBlockNumber || hoff < FirstOffsetNumber || hoff > MaxHeapTuplesPerPage)
		PgvqCheckCorrupted(state->index, blkno, "Entry %d has an invalid heap TID (%u,%u).",
						   entry, hblk, hoff);
	/* the table can only grow meanwhile: look again before complaining */
	if (hblk >= state->heap_nblocks)
		state->heap_nblocks = RelationGetNumberOfBlocks(state->heap);
	if (hblk >= state->heap_nblocks)
		PgvqCheckCorrupted(state->index, blkno,
						   "Entry %d points at heap TID (%u,%u), past the end of table \"%s\" (%u blocks).",
						   entry, hblk, hoff, RelationGetRelationName(state->heap),
						   state->heap_nblocks);
	if (!state->heapallindexed)
		return;
	if (state->nentries == state->maxentries)
	{
		Size		newmax = Max(state->maxentries * 2, 1024);

		if (state->entries == NULL)
			state->entries = MemoryContextAllocHuge(CurrentMemoryContext,
													newmax * sizeof(PgvqCheckEntry));
		else
			state->entries = repalloc_huge(state->entries, newmax * sizeof(PgvqCheckEntry));
		state->maxentries = newmax;
	}
	state->entries[state->nentries].id = PgvqCheckTidToId(tid);
	state->entries[state->nentries].blkno = blkno;
	state->entries[state->nentries].fingerprint = fingerprint;
	state->nentries++;
}

void
PgvqBlockSetInit(PgvqBlockSet *set, BlockNumber nblocks)
{
	set->nblocks = nblocks;
	set->bits = MemoryContextAllocExtended(CurrentMemoryContext, (Size) nblocks / 8 + 1,
										   MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

bool
PgvqBlockSetAdd(PgvqBlockSet *set, BlockNumber blkno)
{
	uint8		bit = (uint8) (1 << (blkno % 8));

	Assert(blkno < set->nblocks);
	if (set->bits[blkno / 8] & bit)
		return false;
	set->bits[blkno / 8] |= bit;
	return true;
}

bool
PgvqBlockSetHas(const PgvqBlockSet *set, BlockNumber blkno)
{
	return blkno < set->nblocks && (set->bits[blkno / 8] & (1 << (blkno % 8))) != 0;
}

/* by heap TID: bsearch's key order */
static int
PgvqCheckEntryCmp(const void *a, const void *b)
{
	int64		x = ((const PgvqCheckEntry *) a)->id;
	int64		y = ((const PgvqCheckEntry *) b)->id;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* by heap TID, then index block: the sort order */
static int
PgvqCheckEntrySortCmp(const void *a, const void *b)
{
	int			c = PgvqCheckEntryCmp(a, b);
	BlockNumber x = ((const PgvqCheckEntry *) a)->blkno;
	BlockNumber y = ((const PgvqCheckEntry *) b)->blkno;

	return c != 0 ? c : (x < y ? -1 : (x > y ? 1 : 0));
}

pg_noreturn static void PgvqCheckReportDuplicate(PgvqCheckState *state, int64 id,
												 BlockNumber b1, BlockNumber b2);

static void
PgvqCheckReportDuplicate(PgvqCheckState *state, int64 id, BlockNumber b1, BlockNumber b2)
{
	BlockNumber hblk = (BlockNumber) (id >> 16);
	OffsetNumber hoff = (OffsetNumber) (id & 0xFFFF);

	if (b1 == b2)
		PgvqCheckCorrupted(state->index, b1, "Heap TID (%u,%u) is indexed twice in block %u.",
						   hblk, hoff, b1);
	PgvqCheckCorrupted(state->index, Max(b1, b2), "Heap TID (%u,%u) is indexed twice (blocks %u and %u).",
					   hblk, hoff, Min(b1, b2), Max(b1, b2));
}

/* How many entries of entry page blkno hold heap TID tid now. */
static int
PgvqCheckCountTid(PgvqCheckState *state, const PgvqCheckMethod *method, BlockNumber blkno,
				  ItemPointer tid)
{
	Buffer		buf = ReadBuffer(state->index, blkno);
	ItemPointer tids;
	ptrdiff_t	stride;
	int			n;
	int			i;
	int			found = 0;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	tids = method->page_tids(state->index, BufferGetPage(buf), blkno, state->entry_param, &n,
							 &stride);
	for (i = 0; i < n; i++)
		if (ItemPointerEquals((ItemPointer) ((char *) tids + i * stride), tid))
			found++;
	UnlockReleaseBuffer(buf);
	return found;
}

/*
 * A heap TID collected n > 1 times (group[0..n-1], sorted by block): its
 * entries are counted again on the pages they were read from, with VACUUM
 * locked out by the caller; reported if the TID is still there twice.
 */
static void
PgvqCheckRecountDuplicate(PgvqCheckState *state, const PgvqCheckMethod *method,
						  const PgvqCheckEntry *group, Size n)
{
	ItemPointerData tid;
	BlockNumber first = InvalidBlockNumber;
	int			total = 0;
	Size		i;

	ItemPointerSet(&tid, (BlockNumber) (group[0].id >> 16), (OffsetNumber) (group[0].id & 0xFFFF));
	for (i = 0; i < n; i++)
	{
		int			found;

		if (i > 0 && group[i].blkno == group[i - 1].blkno)
			continue;
		found = PgvqCheckCountTid(state, method, group[i].blkno, &tid);
		if (found == 0)
			continue;
		if (found > 1)
			PgvqCheckReportDuplicate(state, group[0].id, group[i].blkno, group[i].blkno);
		if (total > 0)
			PgvqCheckReportDuplicate(state, group[0].id, first, group[i].blkno);
		first = group[i].blkno;
		total += found;
	}
}

/*
 * The heap TIDs collected more than once that the heap scan did not prove
 * (no row visible to the snapshot there): see the top of the file.
 */
static void
PgvqCheckDuplicates(PgvqCheckState *state, const PgvqCheckMethod *method)
{
	bool		locked = false;
	Size		ndup = 0;
	Size		i = 0;

	while (i < state->nentries)
	{
		Size		j = i + 1;

		while (j < state->nentries && state->entries[j].id == state->entries[i].id)
			j++;
		if (j - i > 1)
		{
			ndup++;
			if (!RecoveryInProgress())
			{
				if (!locked)
				{
					LockRelation(state->heap, ShareUpdateExclusiveLock);
					locked = true;
				}
				CHECK_FOR_INTERRUPTS();
				PgvqCheckRecountDuplicate(state, method, &state->entries[i], j - i);
			}
		}
		else if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		i = j;
	}
	if (locked)
		UnlockRelation(state->heap, ShareUpdateExclusiveLock);
	if (ndup > 0 && RecoveryInProgress())
		ereport(DEBUG1,
				(errmsg_internal("pgvq_index_check: %zu heap TIDs collected twice, of no row the snapshot sees, not rechecked (a standby cannot lock out VACUUM)",
								 ndup)));
	else if (ndup > 0)
		ereport(DEBUG1,
				(errmsg_internal("pgvq_index_check: %zu heap TIDs collected twice are not indexed twice (VACUUM freed them and inserts reused them during the walk)",
								 ndup)));
}

/* heapallindexed: state of the heap scan */
typedef struct PgvqHeapCheck
{
	PgvqCheckState *state;
	const PgvqCheckMethod *method;
	MemoryContext tmpctx;
	int64		rows;
} PgvqHeapCheck;

static void
PgvqHeapCheckCallback(Relation index, ItemPointer tid, Datum *values, bool *isnull,
					  bool tupleIsAlive, void *arg)
{
	PgvqHeapCheck *hc = (PgvqHeapCheck *) arg;
	PgvqCheckState *state = hc->state;
	PgvqCheckEntry key;
	PgvqCheckEntry *found;
	MemoryContext oldctx;

	if (isnull[0])
		return;
	oldctx = MemoryContextSwitchTo(hc->tmpctx);
	if (hc->method->indexable != NULL && !hc->method->indexable(index, values[0]))
	{
		MemoryContextSwitchTo(oldctx);
		MemoryContextReset(hc->tmpctx);
		return;
	}
	hc->rows++;
	key.id = PgvqCheckTidToId(tid);
	found = bsearch(&key, state->entries, state->nentries, sizeof(PgvqCheckEntry),
					PgvqCheckEntryCmp);
	if (found == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("heap tuple (%u,%u) of table \"%s\" has no entry in index \"%s\"",
						ItemPointerGetBlockNumber(tid), ItemPointerGetOffsetNumber(tid),
						RelationGetRelationName(state->heap), RelationGetRelationName(index)),
				 errhint("Please REINDEX it.")));
	/* a row the snapshot sees has all its entries since before the walk */
	if (found > state->entries && found[-1].id == key.id)
		PgvqCheckReportDuplicate(state, key.id, found[-1].blkno, found->blkno);
	if (found + 1 < state->entries + state->nentries && found[1].id == key.id)
		PgvqCheckReportDuplicate(state, key.id, found->blkno, found[1].blkno);
	if (state->has_fingerprint && hc->method->fingerprint != NULL &&
		hc->method->fingerprint(index, values[0]) != found->fingerprint)
		PgvqCheckCorrupted(index, found->blkno,
						   "The entry for heap tuple (%u,%u) holds a value that differs from the table row's.",
						   ItemPointerGetBlockNumber(tid), ItemPointerGetOffsetNumber(tid));
	MemoryContextSwitchTo(oldctx);
	MemoryContextReset(hc->tmpctx);
}

/*
 * Sorts the collected entries, scans the heap under the snapshot, then
 * rechecks the heap TIDs collected twice (see the top of the file).
 */
static void
PgvqCheckHeapAllIndexed(PgvqCheckState *state, const PgvqCheckMethod *method, Snapshot snapshot)
{
	PgvqHeapCheck hc;
	IndexInfo  *indexInfo;
	TableScanDesc scan;

	if (state->nentries > 1)
		qsort(state->entries, state->nentries, sizeof(PgvqCheckEntry), PgvqCheckEntrySortCmp);

	hc.state = state;
	hc.method = method;
	hc.rows = 0;
	hc.tmpctx = AllocSetContextCreate(CurrentMemoryContext, "pgvq_index_check heap row",
									  ALLOCSET_DEFAULT_SIZES);

	/*
	 * An MVCC scan (ii_Concurrent) under our snapshot: rows it sees were
	 * committed before the index walk began.  HOT chains are reported under
	 * their root TIDs, which is what the index holds.
	 */
	indexInfo = BuildIndexInfo(state->index);
	indexInfo->ii_Concurrent = true;
	indexInfo->ii_Unique = false;
	indexInfo->ii_ExclusionOps = NULL;
	indexInfo->ii_ExclusionProcs = NULL;
	indexInfo->ii_ExclusionStrats = NULL;
	scan = table_beginscan_strat(state->heap, snapshot, 0, NULL, true, true);
	table_index_build_scan(state->heap, state->index, indexInfo, true, false,
						   PgvqHeapCheckCallback, &hc, scan);
	MemoryContextDelete(hc.tmpctx);
	ereport(DEBUG1,
			(errmsg_internal("pgvq_index_check: %lld index entries, %lld indexable heap rows",
							 (long long) state->nentries, (long long) hc.rows)));
	PgvqCheckDuplicates(state, method);
}

PGVQ_FUNCTION(pgvq_index_check);

Datum
pgvq_index_check(PG_FUNCTION_ARGS)
{
	Oid			indexoid = PG_GETARG_OID(0);
	bool		heapallindexed = PG_GETARG_BOOL(1);
	Oid			heapoid;
	Relation	heap = NULL;
	Relation	index;
	const PgvqCheckMethod *method = NULL;
	PgvqCheckState state;
	Snapshot	snapshot = NULL;
	int			i;

	/* lock the table before the index, as DML and VACUUM do */
	heapoid = IndexGetRelation(indexoid, true);
	if (OidIsValid(heapoid))
		heap = table_open(heapoid, AccessShareLock);
	index = try_relation_open(indexoid, AccessShareLock);
	if (index == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", indexoid)));
	if (index->rd_rel->relkind != RELKIND_INDEX &&
		index->rd_rel->relkind != RELKIND_PARTITIONED_INDEX)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not an index", RelationGetRelationName(index))));
	if (heap == NULL || heapoid != IndexGetRelation(indexoid, false))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("could not open the table of index \"%s\"",
						RelationGetRelationName(index))));
	if (index->rd_rel->relkind == RELKIND_PARTITIONED_INDEX)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("cannot check partitioned index \"%s\"", RelationGetRelationName(index)),
				 errdetail("Check the index of each partition.")));

	for (i = 0; i < lengthof(check_methods); i++)
		if (index->rd_indam != NULL && index->rd_indam->ambuild == check_methods[i].build)
			method = &check_methods[i];
	if (method == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("index \"%s\" is not a pgvq index", RelationGetRelationName(index)),
				 errdetail("Its access method is \"%s\"; pgvq_index_check checks flat and ivfpq indexes.",
						   get_am_name(index->rd_rel->relam))));

	if (!PgvqRelationOwnerCheck(heapoid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_INDEX, RelationGetRelationName(index));
	if (RELATION_IS_OTHER_TEMP(index))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot access temporary tables of other sessions")));
	if (!index->rd_index->indisvalid)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot check index \"%s\"", RelationGetRelationName(index)),
				 errdetail("The index is not valid.")));

	memset(&state, 0, sizeof(state));
	state.heap = heap;
	state.index = index;
	state.heapallindexed = heapallindexed;

	if (heapallindexed)
	{
		/*
		 * Before the walk: every row this snapshot sees has its entry in the
		 * index already, and VACUUM keeps the entries of rows it can see.
		 */
		snapshot = RegisterSnapshot(GetTransactionSnapshot());

		/* an index built over broken HOT chains is not usable by old snapshots */
		if (index->rd_index->indcheckxmin &&
			!TransactionIdPrecedes(HeapTupleHeaderGetXmin(index->rd_indextuple->t_data),
								   snapshot->xmin))
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("index \"%s\" cannot be verified using the transaction snapshot",
							RelationGetRelationName(index))));
	}
	state.heap_nblocks = RelationGetNumberOfBlocks(heap);

	method->check(&state);

	if (heapallindexed)
	{
		PgvqCheckHeapAllIndexed(&state, method, snapshot);
		UnregisterSnapshot(snapshot);
	}
	if (state.entries)
		pfree(state.entries);

	relation_close(index, AccessShareLock);
	table_close(heap, AccessShareLock);
	PG_RETURN_VOID();
}
