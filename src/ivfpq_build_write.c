/*
 * ivfpq_build_write.c: the pages of an ivfpq build.  Meta, centroid,
 * codebook, directory and list pages are written through the buffer manager
 * from the entries in (list, heap TID) order, then WAL-logged with one
 * log_newpage_range when the index needs WAL (always for the init fork).
 */
#include "postgres.h"

#include "access/xloginsert.h"
#include "commands/progress.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "ivfpq_build.h"

/* Where WriteIndex takes the entries from, in list order. */
typedef struct IvfpqEntrySource
{
	/* in memory: entry k of the list order is perm[k] of tids/codes */
	const int64 *perm;
	const ItemPointerData *tids;
	const uint8 *codes;
	/* or the sorted tuplesort, read in order */
	Tuplesortstate *sort;
	TupleTableSlot *slot;
} IvfpqEntrySource;

/* Writes nfloats floats as a chain of stream pages; returns the first block. */
static BlockNumber
WriteStream(Relation index, ForkNumber fork, uint16 kind, const float *data, Size nfloats)
{
	BlockNumber first = InvalidBlockNumber;
	Buffer		prev = InvalidBuffer;
	Size		done = 0;

	while (done < nfloats)
	{
		Buffer		buf = IvfpqNewBuffer(index, fork);
		Page		page = BufferGetPage(buf);
		int			n = (int) Min((Size) IVFPQ_FLOATS_PER_PAGE, nfloats - done);

		IvfpqInitPage(page, kind, 0);
		memcpy(PageGetContents(page), data + done, sizeof(float) * n);
		IvfpqPageGetOpaque(page)->count = n;
		((PageHeader) page)->pd_lower = IVFPQ_PAGE_HEADER + sizeof(float) * n;
		done += n;

		if (first == InvalidBlockNumber)
			first = BufferGetBlockNumber(buf);
		if (BufferIsValid(prev))
		{
			IvfpqPageGetOpaque(BufferGetPage(prev))->nextblkno = BufferGetBlockNumber(buf);
			MarkBufferDirty(prev);
			UnlockReleaseBuffer(prev);
		}
		prev = buf;
	}
	if (BufferIsValid(prev))
	{
		MarkBufferDirty(prev);
		UnlockReleaseBuffer(prev);
	}
	return first;
}

/*
 * Entry k (in list order, expected in list `list`) of src into slot i of a
 * list page: the code, the TID, the error code and the term.
 */
static void
NextEntry(IvfpqEntrySource *src, int64 k, int list, int m, Page page, int i)
{
	const uint8 *entry;
	int			cs = IvfpqEntryCodeSize(m);
	ItemPointerData tid;

	if (src->sort == NULL)
	{
		int64		e = src->perm[k];

		entry = src->codes + (Size) e * cs;
		tid = src->tids[e];
	}
	else
	{
		TupleTableSlot *slot = src->slot;
		bool		isnull;
		bytea	   *c;

		if (!tuplesort_gettupleslot(src->sort, true, false, slot, NULL))
			elog(ERROR, "ivfpq build: the sorted entries ended early");
		if (DatumGetInt32(slot_getattr(slot, 1, &isnull)) != list)
			elog(ERROR, "ivfpq build: sorted entry %lld is not in list %d", (long long) k, list);
		IvfpqInt8ToTid(DatumGetInt64(slot_getattr(slot, 2, &isnull)), &tid);
		c = DatumGetByteaPP(slot_getattr(slot, 3, &isnull));
		if (VARSIZE_ANY_EXHDR(c) != (Size) cs)
			elog(ERROR, "ivfpq build: sorted entry %lld has a code of the wrong size", (long long) k);
		entry = (const uint8 *) VARDATA_ANY(c);
	}
	IvfpqSetListEntry(page, i, m, entry, &tid);
}

/*
 * Writes a whole index into fork: meta, centroids, codebooks, directory and
 * the list chains.  Entries come from src in list order: list l has
 * offsets[l+1] - offsets[l] of them.  WAL: one log_newpage_range over every
 * page (always for the init fork).
 */
static void
WriteIndex(Relation index, ForkNumber fork, IvfpqMetaPageData *meta,
		   const float *centroids, const float *codebooks,
		   const int64 *offsets, IvfpqEntrySource *src)
{
	Buffer		metaBuf;
	Buffer	   *dirBufs;
	int			m = meta->m;
	int			cap = IvfpqListCapacity(m);
	int			list;
	Size		ncb = (Size) meta->m * (1 << meta->nbits) * (meta->dimensions / meta->m);
	BlockNumber nblocks;
	int			p;

	metaBuf = IvfpqNewBuffer(index, fork);
	Assert(BufferGetBlockNumber(metaBuf) == IVFPQ_METAPAGE_BLKNO);
	/* Kept pinned, unlocked: CHECK_FOR_INTERRUPTS below is a no-op under a buffer lock */
	LockBuffer(metaBuf, BUFFER_LOCK_UNLOCK);

	meta->centroidStart = WriteStream(index, fork, IVFPQ_PAGE_CENTROID, centroids,
									  (Size) meta->lists * meta->dimensions);
	meta->codebookStart = WriteStream(index, fork, IVFPQ_PAGE_CODEBOOK, codebooks, ncb);

	/* Directory pages: consecutive blocks, filled as the lists are written */
	meta->ndirPages = (meta->lists + IVFPQ_DIR_PER_PAGE - 1) / IVFPQ_DIR_PER_PAGE;
	dirBufs = palloc(sizeof(Buffer) * meta->ndirPages);
	for (p = 0; p < meta->ndirPages; p++)
	{
		dirBufs[p] = IvfpqNewBuffer(index, fork);
		if (p == 0)
			meta->directoryStart = BufferGetBlockNumber(dirBufs[0]);
		else if (BufferGetBlockNumber(dirBufs[p]) != meta->directoryStart + p)
			elog(ERROR, "ivfpq directory pages are not consecutive");
		IvfpqInitPage(BufferGetPage(dirBufs[p]), IVFPQ_PAGE_DIRECTORY, 0);
		/* Unlocked while the lists are written; nobody else sees this index yet */
		LockBuffer(dirBufs[p], BUFFER_LOCK_UNLOCK);
	}

	for (list = 0; list < meta->lists; list++)
	{
		int64		k = offsets[list];
		int64		end = offsets[list + 1];
		Buffer		buf = IvfpqNewBuffer(index, fork);
		Page		page = BufferGetPage(buf);
		BlockNumber start = BufferGetBlockNumber(buf);
		Page		dpage;
		IvfpqDirEntry entries;
		int			slot = list % IVFPQ_DIR_PER_PAGE;

		IvfpqInitPage(page, IVFPQ_PAGE_LIST, list);
		for (;;)
		{
			int			n = (int) Min((int64) cap, end - k);
			int			i;

			for (i = 0; i < n; i++)
				NextEntry(src, k + i, list, m, page, i);
			k += n;
			IvfpqPageGetOpaque(page)->count = n;
			((PageHeader) page)->pd_lower = IVFPQ_PAGE_HEADER + (Size) n * m;
			((PageHeader) page)->pd_upper = BLCKSZ - IVFPQ_SPECIAL_SIZE - (Size) n * IVFPQ_SLOT_SIZE;

			if (k >= end)
				break;

			{
				Buffer		next = IvfpqNewBuffer(index, fork);

				IvfpqPageGetOpaque(page)->nextblkno = BufferGetBlockNumber(next);
				MarkBufferDirty(buf);
				UnlockReleaseBuffer(buf);
				buf = next;

				/*
				 * Poll with no buffer lock held (a no-op under one): unlock
				 * the new page, keep its pin, re-lock it to fill it.  Nobody
				 * else sees this index during the build.
				 */
				LockBuffer(buf, BUFFER_LOCK_UNLOCK);
				CHECK_FOR_INTERRUPTS();
				LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
				page = BufferGetPage(buf);
				IvfpqInitPage(page, IVFPQ_PAGE_LIST, list);
			}
		}
		/* The last page is where inserts go */
		LockBuffer(dirBufs[list / IVFPQ_DIR_PER_PAGE], BUFFER_LOCK_EXCLUSIVE);
		dpage = BufferGetPage(dirBufs[list / IVFPQ_DIR_PER_PAGE]);
		entries = (IvfpqDirEntry) PageGetContents(dpage);
		entries[slot].startPage = start;
		entries[slot].insertPage = BufferGetBlockNumber(buf);
		IvfpqPageGetOpaque(dpage)->count = slot + 1;
		((PageHeader) dpage)->pd_lower = IVFPQ_PAGE_HEADER + (slot + 1) * sizeof(IvfpqDirEntryData);
		MarkBufferDirty(dirBufs[list / IVFPQ_DIR_PER_PAGE]);
		LockBuffer(dirBufs[list / IVFPQ_DIR_PER_PAGE], BUFFER_LOCK_UNLOCK);

		MarkBufferDirty(buf);
		UnlockReleaseBuffer(buf);

		if ((list & 63) == 0)
			pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, offsets[list + 1]);
		/* No buffer locked here: cheap, so once per list as well */
		CHECK_FOR_INTERRUPTS();
	}
	for (p = 0; p < meta->ndirPages; p++)
		ReleaseBuffer(dirBufs[p]);

	/* The meta page last: it names every chain */
	{
		Page		page = BufferGetPage(metaBuf);

		LockBuffer(metaBuf, BUFFER_LOCK_EXCLUSIVE);
		IvfpqInitPage(page, IVFPQ_PAGE_META, 0);
		memcpy(PageGetContents(page), meta, sizeof(IvfpqMetaPageData));
		((PageHeader) page)->pd_lower = IVFPQ_PAGE_HEADER + sizeof(IvfpqMetaPageData);
		MarkBufferDirty(metaBuf);
		UnlockReleaseBuffer(metaBuf);
	}

	nblocks = RelationGetNumberOfBlocksInFork(index, fork);
	if (fork == INIT_FORKNUM || RelationNeedsWAL(index))
		log_newpage_range(index, fork, 0, nblocks, true);
}

uint64
IvfpqNewBuildId(void)
{
	uint64		id;

	if (!pg_strong_random(&id, sizeof(id)))
		id = ((uint64) MyProcPid << 32) ^ (uint64) GetCurrentTimestamp();
	return id;
}

/* Fills the meta fields common to every build. */
static void
InitMeta(IvfpqMetaPageData *meta, int dims, int lists, int m, int nbits, int metric, bool trained)
{
	MemSet(meta, 0, sizeof(*meta));
	meta->magicNumber = IVFPQ_MAGIC_NUMBER;
	meta->version = IVFPQ_VERSION;
	meta->buildId = IvfpqNewBuildId();
	meta->dimensions = dims;
	meta->lists = lists;
	meta->m = m;
	meta->nbits = nbits;
	meta->metric = metric;
	meta->trained = trained ? 1 : 0;
}

/* An untrained index (no rows): one list, zero centroid, zero codebooks. */
void
IvfpqWriteUntrained(Relation index, ForkNumber fork, int dims, int m, int nbits, int metric)
{
	IvfpqMetaPageData meta;
	float	   *centroids = palloc0(sizeof(float) * dims);
	float	   *codebooks = palloc0_array(float, (Size) (1 << nbits) * dims);
	int64		offsets[2] = {0, 0};

	InitMeta(&meta, dims, 1, m, nbits, metric, false);
	WriteIndex(index, fork, &meta, centroids, codebooks, offsets, NULL);
}

/*
 * The in-memory entries in (list, heap TID) order: entry k of that order is
 * perm[k]; list l has offsets[l] .. offsets[l+1] - 1 (offsets: lists + 1
 * zeros in).  Returns perm.
 */
int64 *
IvfpqOrderEntries(const IvfpqBuildState *bs, int64 *offsets)
{
	int64	   *fill = palloc(sizeof(int64) * bs->lists);
	int64	   *perm = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * Max(bs->nent, 1));
	int64		i;
	int			l;

	for (i = 0; i < bs->nent; i++)
		offsets[bs->entLists[i] + 1]++;
	for (l = 0; l < bs->lists; l++)
		offsets[l + 1] += offsets[l];
	memcpy(fill, offsets, sizeof(int64) * bs->lists);
	for (i = 0; i < bs->nent; i++)
		perm[fill[bs->entLists[i]]++] = i;
	IvfpqSortListsByTid(perm, offsets, bs->lists, bs->entTids);
	pfree(fill);
	return perm;
}

/*
 * 5. the pages, from the entries in (list, heap TID) order: the sorted spill
 * (serial or parallel) or a counting sort of the entries in memory.
 */
void
IvfpqLoadEntries(IvfpqBuildState *bs)
{
	int64	   *offsets = palloc0(sizeof(int64) * (bs->lists + 1));
	int			l;
	IvfpqMetaPageData meta;
	IvfpqEntrySource src;

	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, PROGRESS_IVFPQ_PHASE_LOAD);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_TOTAL, bs->nent);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, 0);
	memset(&src, 0, sizeof(src));
	if (bs->spill != NULL)
	{
		/* The tuplesort gives (list, tid) order; the counts give the offsets */
		for (l = 0; l < bs->lists; l++)
			offsets[l + 1] = offsets[l] + bs->listCounts[l];
		src.sort = bs->spill;
		src.slot = MakeSingleTupleTableSlot(bs->spillDesc, &TTSOpsMinimalTuple);
	}
	else
	{
		src.perm = IvfpqOrderEntries(bs, offsets);
		src.tids = bs->entTids;
		src.codes = bs->entCodes;
	}

	InitMeta(&meta, bs->dims, bs->lists, bs->m, bs->nbits, bs->metric, true);
	meta.buildTuples = bs->nent;
	meta.trainImbalance = IvfpqImbalance(offsets, bs->lists);
	WriteIndex(bs->index, MAIN_FORKNUM, &meta, bs->centroids, bs->codebooks, offsets, &src);
	if (bs->spill != NULL)
	{
		ExecDropSingleTupleTableSlot(src.slot);
		ExecDropSingleTupleTableSlot(bs->spillSlot);
		tuplesort_end(bs->spill);
		bs->spill = NULL;
	}
}

