/*
 * flat_insert.c: aminsert for the flat access method.
 *
 * Fast path: read the meta page (share lock, released), lock the first page
 * with a free-space hint (or the last page) exclusively, append, one generic
 * WAL record of that page.  Slow path when that page is full or the index has
 * no data page: meta page exclusively, then try each hinted page in turn
 * (dropping stale hints), then the last page, and else extend the chain with
 * a new page: one generic WAL record covering meta, last page and new page.
 */
#include "postgres.h"

#include "access/generic_xlog.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "flat.h"

/* Removes the first n hints. */
static void
FlatDropHints(FlatMetaPage meta, int n)
{
	Assert(n >= 0 && (uint32) n <= meta->nfree);
	if (n == 0)
		return;
	memmove(meta->free_blkno, meta->free_blkno + n, sizeof(BlockNumber) * (meta->nfree - n));
	meta->nfree -= n;
}

/* Appends into a verified, exclusively locked page; true if it had room. */
static bool
FlatTryAppend(Relation index, Buffer buf, Buffer metabuf, int nstale, int kind, int dims,
			  int metric, const FlatValue *v, ItemPointer tid)
{
	Page		page = BufferGetPage(buf);
	GenericXLogState *state;

	FlatVerifyDataPage(index, page, BufferGetBlockNumber(buf), kind, dims);
	if (!FlatPageHasRoom(page, kind, dims, v))
		return false;

	state = GenericXLogStart(index);
	if (BufferIsValid(metabuf) && nstale > 0)
	{
		Page		metapage = GenericXLogRegisterBuffer(state, metabuf, 0);

		FlatDropHints(FlatPageGetMeta(metapage), nstale);
	}
	page = GenericXLogRegisterBuffer(state, buf, 0);
	FlatPageAppend(page, kind, dims, metric, v, tid);
	GenericXLogFinish(state);
	return true;
}

static void
FlatInsertSlow(Relation index, int kind, const FlatValue *v, ItemPointer tid)
{
	Buffer		metabuf;
	Buffer		buf;
	Buffer		lastbuf = InvalidBuffer;
	Buffer		newbuf;
	Page		metapage;
	FlatMetaPage meta;
	int			dims;
	uint32		i;
	uint32		nfree;
	GenericXLogState *state;
	BlockNumber newblkno;
	Page		newpage;

	metabuf = ReadBuffer(index, FLAT_METAPAGE_BLKNO);
	LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
	metapage = BufferGetPage(metabuf);
	FlatVerifyMetaPage(index, metapage);
	meta = FlatPageGetMeta(metapage);
	FlatCheckValue(index, kind, meta->dims, v, false);
	dims = v->dims;

	/* hinted pages, in order; the full ones are dropped from the hints */
	nfree = meta->nfree;
	for (i = 0; i < nfree; i++)
	{
		buf = FlatReadNamedPage(index, meta->free_blkno[i]);
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		if (FlatTryAppend(index, buf, metabuf, i, kind, dims, meta->metric, v, tid))
		{
			UnlockReleaseBuffer(buf);
			UnlockReleaseBuffer(metabuf);
			return;
		}
		UnlockReleaseBuffer(buf);
	}

	/* the last page */
	if (meta->last_blkno != InvalidBlockNumber)
	{
		lastbuf = FlatReadNamedPage(index, meta->last_blkno);
		LockBuffer(lastbuf, BUFFER_LOCK_EXCLUSIVE);
		if (FlatTryAppend(index, lastbuf, metabuf, nfree, kind, dims, meta->metric, v, tid))
		{
			UnlockReleaseBuffer(lastbuf);
			UnlockReleaseBuffer(metabuf);
			return;
		}
	}

	/* extend the chain: meta -> last -> new, one record */
	newbuf = FlatNewBuffer(index, MAIN_FORKNUM);
	newblkno = BufferGetBlockNumber(newbuf);

	state = GenericXLogStart(index);
	metapage = GenericXLogRegisterBuffer(state, metabuf, 0);
	meta = FlatPageGetMeta(metapage);
	if (BufferIsValid(lastbuf))
	{
		Page		lastpage = GenericXLogRegisterBuffer(state, lastbuf, 0);

		FlatPageGetOpaque(lastpage)->nextblkno = newblkno;
	}
	else
		meta->first_blkno = newblkno;
	newpage = GenericXLogRegisterBuffer(state, newbuf, GENERIC_XLOG_FULL_IMAGE);
	FlatInitDataPage(newpage, kind, dims);
	FlatPageAppend(newpage, kind, dims, meta->metric, v, tid);

	meta->dims = dims;
	meta->last_blkno = newblkno;
	meta->npages++;
	meta->nfree = 0;
	if (FlatPageCapacity(kind, dims) > 1)
		meta->free_blkno[meta->nfree++] = newblkno;
	GenericXLogFinish(state);

	UnlockReleaseBuffer(newbuf);
	if (BufferIsValid(lastbuf))
		UnlockReleaseBuffer(lastbuf);
	UnlockReleaseBuffer(metabuf);
}

bool
flatinsert(Relation index, Datum *values, bool *isnull, ItemPointer heap_tid,
		   Relation heap, IndexUniqueCheck checkUnique, bool indexUnchanged,
		   IndexInfo *indexInfo)
{
	MemoryContext insertCtx;
	MemoryContext oldCtx;
	FlatValue	v;
	int			kind;
	FlatMetaPageData meta;
	bool		done = false;

	/* NULLs are not indexed */
	if (isnull[0])
		return false;

	insertCtx = AllocSetContextCreate(CurrentMemoryContext, "flat insert temporary context",
									  ALLOCSET_DEFAULT_SIZES);
	oldCtx = MemoryContextSwitchTo(insertCtx);

	kind = FlatIndexKind(index);
	FlatGetValue(kind, values[0], &v);
	FlatCheckDims(index, kind, v.dims);

	FlatReadMeta(index, &meta);
	FlatCheckValue(index, kind, meta.dims, &v, false);

	if (meta.dims != 0)
	{
		BlockNumber blkno = meta.nfree > 0 ? meta.free_blkno[0] : meta.last_blkno;

		if (blkno != InvalidBlockNumber)
		{
			Buffer		buf = FlatReadNamedPage(index, blkno);

			LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
			done = FlatTryAppend(index, buf, InvalidBuffer, 0, kind, meta.dims, meta.metric, &v,
								 heap_tid);
			UnlockReleaseBuffer(buf);
		}
	}
	if (!done)
		FlatInsertSlow(index, kind, &v, heap_tid);

	MemoryContextSwitchTo(oldCtx);
	MemoryContextDelete(insertCtx);
	return false;
}
