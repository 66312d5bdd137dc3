/*
 * flat_build.c: CREATE INDEX for the flat access method.
 *
 * The heap is scanned once; entries are packed into a page image in local
 * memory, written to a new buffer when the page is full (MarkBufferDirty
 * only) and the whole index is WAL-logged with log_newpage_range at the end
 * when the relation needs WAL.  NULLs are not indexed.  The dimension count
 * comes from the column's typmod or else from the first value; the element
 * kind from the operator class's input type.
 */
#include "postgres.h"

#include "access/tableam.h"
#include "access/xloginsert.h"
#include "catalog/index.h"
#include "commands/progress.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "flat.h"

typedef struct FlatBuildState
{
	Relation	heap;
	Relation	index;
	int			kind;			/* FLAT_KIND_* */
	int			dims;			/* 0 until known */
	int			metric;
	double		indtuples;
	double		reltuples;
	MemoryContext tmpCtx;

	PGAlignedBlock cur;			/* the page being filled */
	Buffer		curbuf;			/* its buffer (pinned, unlocked), or Invalid */
	BlockNumber curblkno;
	BlockNumber first_blkno;
	uint32		npages;
} FlatBuildState;

/* Writes the current page image into its buffer (the chain link is set). */
static void
FlatFlushPage(FlatBuildState *bs)
{
	Page		page;

	if (!BufferIsValid(bs->curbuf))
		return;
	LockBuffer(bs->curbuf, BUFFER_LOCK_EXCLUSIVE);
	page = BufferGetPage(bs->curbuf);
	memcpy(page, bs->cur.data, BLCKSZ);
	MarkBufferDirty(bs->curbuf);
	UnlockReleaseBuffer(bs->curbuf);
	bs->curbuf = InvalidBuffer;
}

/* Starts a new data page, linking the current one to it. */
static void
FlatStartPage(FlatBuildState *bs)
{
	Buffer		buf;
	BlockNumber blkno;

	buf = FlatNewBuffer(bs->index, MAIN_FORKNUM);
	blkno = BufferGetBlockNumber(buf);
	LockBuffer(buf, BUFFER_LOCK_UNLOCK);	/* only this backend sees the index */

	if (BufferIsValid(bs->curbuf))
	{
		FlatPageGetOpaque(bs->cur.data)->nextblkno = blkno;
		FlatFlushPage(bs);
	}
	else
		bs->first_blkno = blkno;

	FlatInitDataPage(bs->cur.data, bs->kind, bs->dims);
	bs->curbuf = buf;
	bs->curblkno = blkno;
	bs->npages++;
}

static void
FlatBuildCallback(Relation index, ItemPointer tid, Datum *values,
				  bool *isnull, bool tupleIsAlive, void *state)
{
	FlatBuildState *bs = (FlatBuildState *) state;
	MemoryContext oldCtx;
	FlatValue	v;

	if (isnull[0])
		return;

	/* no buffer lock is held here (our page is local memory) */
	CHECK_FOR_INTERRUPTS();

	oldCtx = MemoryContextSwitchTo(bs->tmpCtx);
	FlatGetValue(bs->kind, values[0], &v);
	FlatCheckValue(index, bs->kind, bs->dims, &v, true);
	bs->dims = v.dims;

	if (!BufferIsValid(bs->curbuf) ||
		!FlatPageHasRoom(bs->cur.data, bs->kind, bs->dims, &v))
		FlatStartPage(bs);

	FlatPageAppend(bs->cur.data, bs->kind, bs->dims, bs->metric, &v, tid);
	bs->indtuples++;

	if (((int64) bs->indtuples & 255) == 0)
		pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, (int64) bs->indtuples);

	MemoryContextSwitchTo(oldCtx);
	MemoryContextReset(bs->tmpCtx);
}

/* Writes the meta page (block 0) image into its buffer. */
static void
FlatWriteMeta(FlatBuildState *bs, Buffer metabuf)
{
	Page		page;
	FlatMetaPage meta;

	LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
	page = BufferGetPage(metabuf);
	FlatInitMetaPage(page, bs->kind, bs->dims, bs->metric);
	meta = FlatPageGetMeta(page);
	meta->first_blkno = bs->first_blkno;
	meta->last_blkno = bs->first_blkno == InvalidBlockNumber ? InvalidBlockNumber : bs->curblkno;
	meta->npages = bs->npages;
	meta->ntuples = (int64) bs->indtuples;
	/* the last page usually has room */
	if (bs->first_blkno != InvalidBlockNumber &&
		FlatPageGetOpaque(bs->cur.data)->count < FlatPageCapacity(bs->kind, bs->dims))
	{
		meta->free_blkno[0] = bs->curblkno;
		meta->nfree = 1;
	}
	MarkBufferDirty(metabuf);
	LockBuffer(metabuf, BUFFER_LOCK_UNLOCK);
}

IndexBuildResult *
flatbuild(Relation heap, Relation index, IndexInfo *indexInfo)
{
	IndexBuildResult *result;
	FlatBuildState bs;
	Buffer		metabuf;
	int			typmod;

	if (RelationGetNumberOfBlocks(index) != 0)
		elog(ERROR, "index \"%s\" already contains data", RelationGetRelationName(index));

	MemSet(&bs, 0, sizeof(bs));
	bs.heap = heap;
	bs.index = index;
	bs.metric = FlatGetMetric(index);
	bs.kind = FlatIndexKind(index);
	bs.curbuf = InvalidBuffer;
	bs.first_blkno = InvalidBlockNumber;
	bs.curblkno = InvalidBlockNumber;
	bs.tmpCtx = AllocSetContextCreate(CurrentMemoryContext, "flat build temporary context",
									  ALLOCSET_DEFAULT_SIZES);

	typmod = FlatTypmodDims(index);
	if (typmod > 0)
		bs.dims = FlatCheckDims(index, bs.kind, typmod);

	/* block 0: the meta page, written once the build is done */
	metabuf = FlatNewBuffer(index, MAIN_FORKNUM);
	Assert(BufferGetBlockNumber(metabuf) == FLAT_METAPAGE_BLKNO);
	LockBuffer(metabuf, BUFFER_LOCK_UNLOCK);

	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, FLAT_PHASE_LOAD);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_TOTAL,
								 (int64) Max(heap->rd_rel->reltuples, 0));

	bs.reltuples = table_index_build_scan(heap, index, indexInfo, true, true,
										  FlatBuildCallback, (void *) &bs, NULL);

	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, (int64) bs.indtuples);

	/* the last page's image stays local until here */
	FlatFlushPage(&bs);			/* bs.cur keeps its image for FlatWriteMeta */
	FlatWriteMeta(&bs, metabuf);
	ReleaseBuffer(metabuf);

	if (RelationNeedsWAL(index))
		log_newpage_range(index, MAIN_FORKNUM, 0, RelationGetNumberOfBlocks(index), true);

	MemoryContextDelete(bs.tmpCtx);

	result = (IndexBuildResult *) palloc(sizeof(IndexBuildResult));
	result->heap_tuples = bs.reltuples;
	result->index_tuples = bs.indtuples;
	return result;
}

/*
 * The init fork of an unlogged index: a meta page, WAL-logged (generic WAL
 * would skip it for an unlogged relation; a crash would leave the init fork
 * empty and every later use of the index would fail).
 */
void
flatbuildempty(Relation index)
{
	Buffer		metabuf;
	int			kind = FlatIndexKind(index);
	int			typmod = FlatTypmodDims(index);
	int			dims = typmod > 0 ? FlatCheckDims(index, kind, typmod) : 0;
	int			metric = FlatGetMetric(index);

	metabuf = FlatNewBuffer(index, INIT_FORKNUM);
	Assert(BufferGetBlockNumber(metabuf) == FLAT_METAPAGE_BLKNO);
	START_CRIT_SECTION();
	FlatInitMetaPage(BufferGetPage(metabuf), kind, dims, metric);
	MarkBufferDirty(metabuf);
	log_newpage_buffer(metabuf, true);
	END_CRIT_SECTION();
	UnlockReleaseBuffer(metabuf);
}
