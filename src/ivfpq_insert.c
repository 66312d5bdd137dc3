/*
 * ivfpq_insert.c: inserts after the build.  A row goes to its nearest list
 * (by L2 to the centroids, on the normalised vector under cosine), its
 * residual is PQ-encoded, and the entry is appended to the first page with
 * room, starting at the list's insertPage and walking the chain.
 *
 * WAL: the entry goes in with one generic record (1 page, or 2 when a new
 * page is linked at the end of the chain: the old last page's link and the
 * new page as a full image).  Moving the directory's insertPage forward is a
 * second record; if it is lost, inserts just walk the chain from the older
 * page, so a partial replay is harmless.
 *
 * An insert holds a share lock on the meta page from the moment it has
 * checked that its cached structure is the live one until its entry is in:
 * a retrain's switch (ivfpq_retrain.c) takes the meta page exclusively, so
 * every insert lands wholly in the old structure before the switch (where
 * the retrain copies it from) or wholly in the new one after it.
 */
#include "postgres.h"

#include "access/generic_xlog.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "ivfpq.h"

/* entry: the code, its error code and term (IvfpqEntryCodeSize(m) bytes) */
static void
AppendEntry(Page page, int m, const uint8 *entry, ItemPointer tid)
{
	IvfpqPageOpaque opaque = IvfpqPageGetOpaque(page);
	int			i = opaque->count;

	IvfpqSetListEntry(page, i, m, entry, tid);
	opaque->count = i + 1;
	((PageHeader) page)->pd_lower = IVFPQ_PAGE_HEADER + (Size) (i + 1) * m;
	((PageHeader) page)->pd_upper = BLCKSZ - IVFPQ_SPECIAL_SIZE - (Size) (i + 1) * IVFPQ_SLOT_SIZE;
}

void
IvfpqInsertEntry(Relation index, const IvfpqMetaPageData *meta, int list, const uint8 *code,
				 ItemPointer tid)
{
	IvfpqDirEntryData entry;
	BlockNumber blkno;
	int			m = meta->m;
	int			cap = IvfpqListCapacity(m);
	int			hops = 0;
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);

	IvfpqReadDirEntry(index, meta, list, &entry);
	blkno = entry.insertPage;

	for (;;)
	{
		Buffer		buf;
		Page		page;
		IvfpqPageOpaque opaque;
		GenericXLogState *state;

		IvfpqCheckChainStep(index, list, blkno, &nblocks, &hops);

		buf = ReadBuffer(index, blkno);
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		IvfpqCheckPage(index, BufferGetPage(buf), blkno, IVFPQ_PAGE_LIST, m);
		opaque = IvfpqPageGetOpaque(BufferGetPage(buf));
		if (opaque->list != (uint32) list)
			ereport(ERROR,
					(errcode(ERRCODE_INDEX_CORRUPTED),
					 errmsg("index \"%s\" contains a page of list %u in the chain of list %d at block %u",
							RelationGetRelationName(index), opaque->list, list, blkno)));

		if (opaque->count < cap)
		{
			state = GenericXLogStart(index);
			page = GenericXLogRegisterBuffer(state, buf, 0);
			AppendEntry(page, m, code, tid);
			GenericXLogFinish(state);
			UnlockReleaseBuffer(buf);
			break;
		}

		if (opaque->nextblkno != InvalidBlockNumber)
		{
			blkno = opaque->nextblkno;
			UnlockReleaseBuffer(buf);
			continue;
		}

		/* The last page is full: link a new one */
		{
			Buffer		newbuf = IvfpqNewBuffer(index, MAIN_FORKNUM);
			Page		newpage;

			state = GenericXLogStart(index);
			page = GenericXLogRegisterBuffer(state, buf, 0);
			newpage = GenericXLogRegisterBuffer(state, newbuf, GENERIC_XLOG_FULL_IMAGE);
			IvfpqInitPage(newpage, IVFPQ_PAGE_LIST, list);
			IvfpqSetPageGen(newpage, meta->generation);
			AppendEntry(newpage, m, code, tid);
			IvfpqPageGetOpaque(page)->nextblkno = BufferGetBlockNumber(newbuf);
			GenericXLogFinish(state);
			blkno = BufferGetBlockNumber(newbuf);
			UnlockReleaseBuffer(newbuf);
			UnlockReleaseBuffer(buf);
		}
		break;
	}

	/* Later inserts start at the page that took this one */
	if (blkno != entry.insertPage)
		IvfpqSetInsertPage(index, meta, list, entry.insertPage, blkno, false);
}

bool
ivfpqinsert(Relation index, Datum *values, bool *isnull, ItemPointer heap_tid,
			Relation heap, IndexUniqueCheck checkUnique, bool indexUnchanged,
			IndexInfo *indexInfo)
{
	MemoryContext insertCtx;
	MemoryContext old;
	IvfpqCache *cache;
	float	   *x;
	uint8	   *code;
	Buffer		metaBuf;
	int			d;
	int			list;

	if (isnull[0])
		return false;

	insertCtx = AllocSetContextCreate(CurrentMemoryContext, "ivfpq insert temporary context",
									  ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(insertCtx);

	cache = IvfpqGetCache(index, insertCtx);
	metaBuf = ReadBuffer(index, IVFPQ_METAPAGE_BLKNO);
	for (;;)
	{
		IvfpqMetaPageData meta;

		/* The structure the entry goes to must stay live until it is in */
		LockBuffer(metaBuf, BUFFER_LOCK_SHARE);
		IvfpqCheckPage(index, BufferGetPage(metaBuf), IVFPQ_METAPAGE_BLKNO, IVFPQ_PAGE_META, 0);
		IvfpqCopyMeta(BufferGetPage(metaBuf), &meta);
		if (meta.buildId == cache->buildId)
			break;
		/* A retrain switched since the cache was read: read the new one */
		LockBuffer(metaBuf, BUFFER_LOCK_UNLOCK);
		MemoryContextReset(insertCtx);
		cache = IvfpqGetCache(index, insertCtx);
	}
	d = cache->meta.dimensions;
	x = palloc(sizeof(float) * d);
	if (IvfpqPrepareDatum(cache->colType, cache->meta.metric, values[0], d, x))
	{
		int64		label;

		list = IvfpqNearestList(cache, x);
		label = list;
		code = palloc(IvfpqEntryCodeSize(cache->meta.m));
		IvfpqEncodeEntries(1, d, x, cache->centroids, &label, cache->meta.m, cache->meta.nbits,
						   cache->codebooks, code, 1);
		IvfpqInsertEntry(index, &cache->meta, list, code, heap_tid);
	}
	UnlockReleaseBuffer(metaBuf);

	MemoryContextSwitchTo(old);
	MemoryContextDelete(insertCtx);
	return false;
}
