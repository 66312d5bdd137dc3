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
 */
#include "postgres.h"

#include <stdarg.h>

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "catalog/index.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
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
} PgvqCheckMethod;

static const PgvqCheckMethod check_methods[] = {
	{"flat", flatbuild, FlatIndexCheck, FlatCheckFingerprint, NULL},
	{"ivfpq", ivfpqbuild, IvfpqIndexCheck, NULL, IvfpqCheckIndexable},
};

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

static int
PgvqCheckEntryCmp(const void *a, const void *b)
{
	int64		x = ((const PgvqCheckEntry *) a)->id;
	int64		y = ((const PgvqCheckEntry *) b)->id;

	return x < y ? -1 : (x > y ? 1 : 0);
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
	if (state->has_fingerprint && hc->method->fingerprint != NULL &&
		hc->method->fingerprint(index, values[0]) != found->fingerprint)
		PgvqCheckCorrupted(index, found->blkno,
						   "The entry for heap tuple (%u,%u) holds a value that differs from the table row's.",
						   ItemPointerGetBlockNumber(tid), ItemPointerGetOffsetNumber(tid));
	MemoryContextSwitchTo(oldctx);
	MemoryContextReset(hc->tmpctx);
}

/*
 * Sorts the collected entries, reports a heap TID indexed twice, then scans
 * the heap under the snapshot.
 */
static void
PgvqCheckHeapAllIndexed(PgvqCheckState *state, const PgvqCheckMethod *method, Snapshot snapshot)
{
	PgvqHeapCheck hc;
	IndexInfo  *indexInfo;
	TableScanDesc scan;
	Size		i;

	if (state->nentries > 1)
		qsort(state->entries, state->nentries, sizeof(PgvqCheckEntry), PgvqCheckEntryCmp);
	for (i = 1; i < state->nentries; i++)
	{
		if (state->entries[i].id == state->entries[i - 1].id)
		{
			ItemPointerData tid;

			ItemPointerSet(&tid, (BlockNumber) (state->entries[i].id >> 16),
						   (OffsetNumber) (state->entries[i].id & 0xFFFF));
			PgvqCheckCorrupted(state->index, Max(state->entries[i].blkno, state->entries[i - 1].blkno),
							   "Heap TID (%u,%u) is indexed twice (blocks %u and %u).",
							   ItemPointerGetBlockNumber(&tid), ItemPointerGetOffsetNumber(&tid),
							   Min(state->entries[i].blkno, state->entries[i - 1].blkno),
							   Max(state->entries[i].blkno, state->entries[i - 1].blkno));
		}
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}

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
