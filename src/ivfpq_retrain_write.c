/*
 * ivfpq_retrain_write.c: the pages of a retrain's new structure (see
 * ivfpq_retrain.c).  Every page is a new (or reclaimed) page stamped with the
 * new generation and written as one full-image generic WAL record, so a
 * standby has each of them before it replays the switch.  Nothing points at
 * them until the switch, and no sweep runs while the retrain holds its table
 * lock, so a page may be unlocked (to poll for interrupts) between the
 * allocation and the write; it is checked to be still free once locked again
 * (the free space map may hand the same page to an insert).
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "ivfpq_retrain.h"

/*
 * A locked new page: unlocked for an interrupt poll, locked again, and taken
 * only if still free.  GetFreeIndexPage finds a free page and marks it used
 * in two steps, so two backends may get the same page: an insert may have
 * taken it (linked it into a live list) while it was unlocked.
 */
static Buffer
NextPage(Relation index)
{
	for (;;)
	{
		Buffer		buf = IvfpqNewBuffer(index, MAIN_FORKNUM);

		LockBuffer(buf, BUFFER_LOCK_UNLOCK);
		CHECK_FOR_INTERRUPTS();
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		if (IvfpqPageIsFree(BufferGetPage(buf)))
			return buf;
		UnlockReleaseBuffer(buf);
	}
}

/* A chain of stream pages holding nfloats floats; returns its first block. */
static BlockNumber
WriteStream(Relation index, uint16 kind, uint32 gen, const float *data, Size nfloats, Page tmp)
{
	Buffer		buf = NextPage(index);
	BlockNumber first = BufferGetBlockNumber(buf);
	Size		done = 0;

	for (;;)
	{
		int			n = (int) Min((Size) IVFPQ_FLOATS_PER_PAGE, nfloats - done);
		Buffer		next = InvalidBuffer;

		IvfpqInitPage(tmp, kind, 0);
		IvfpqSetPageGen(tmp, gen);
		memcpy(PageGetContents(tmp), data + done, sizeof(float) * n);
		IvfpqPageGetOpaque(tmp)->count = n;
		((PageHeader) tmp)->pd_lower = IVFPQ_PAGE_HEADER + sizeof(float) * n;
		done += n;
		if (done < nfloats)
		{
			next = NextPage(index);
			IvfpqPageGetOpaque(tmp)->nextblkno = BufferGetBlockNumber(next);
		}
		IvfpqLogNewPage(index, buf, tmp);
		if (!BufferIsValid(next))
			break;
		buf = next;
	}
	return first;
}

/*
 * The chain of list `list` from entries perm[k] (k in [begin, end)) of the
 * entries in memory; its first and last blocks into *start and *last.
 */
static void
WriteList(IvfpqRetrainState *rs, int list, const int64 *perm, int64 begin, int64 end,
		  Page tmp, BlockNumber *start, BlockNumber *last)
{
	IvfpqBuildState *bs = &rs->bs;
	int			m = bs->m;
	int			cs = IvfpqEntryCodeSize(m);
	int			cap = IvfpqListCapacity(m);
	Buffer		buf = NextPage(rs->index);
	int64		k = begin;

	*start = BufferGetBlockNumber(buf);
	for (;;)
	{
		int			n = (int) Min((int64) cap, end - k);
		Buffer		next = InvalidBuffer;
		int			i;

		IvfpqInitPage(tmp, IVFPQ_PAGE_LIST, list);
		IvfpqSetPageGen(tmp, rs->meta.generation);
		for (i = 0; i < n; i++)
		{
			int64		e = perm[k + i];
			const uint8 *entry = bs->entCodes + (Size) e * cs;

			IvfpqSetListEntry(tmp, i, m, entry, &bs->entTids[e]);
		}
		k += n;
		IvfpqPageGetOpaque(tmp)->count = n;
		((PageHeader) tmp)->pd_lower = IVFPQ_PAGE_HEADER + (Size) n * m;
		((PageHeader) tmp)->pd_upper = BLCKSZ - IVFPQ_SPECIAL_SIZE - (Size) n * IVFPQ_SLOT_SIZE;
		if (k < end)
		{
			next = NextPage(rs->index);
			IvfpqPageGetOpaque(tmp)->nextblkno = BufferGetBlockNumber(next);
		}
		*last = BufferGetBlockNumber(buf);
		IvfpqLogNewPage(rs->index, buf, tmp);
		if (!BufferIsValid(next))
			break;
		buf = next;
	}
}

/* The directory of the new lists: consecutive new pages. */
static void
WriteDirectory(IvfpqRetrainState *rs, const BlockNumber *starts, const BlockNumber *lasts,
			   Page tmp)
{
	int			lists = rs->meta.lists;
	int			ndir = (lists + IVFPQ_DIR_PER_PAGE - 1) / IVFPQ_DIR_PER_PAGE;
	Buffer	   *bufs = palloc(sizeof(Buffer) * ndir);
	int			p;

	IvfpqNewConsecutive(rs->index, ndir, bufs);
	rs->meta.directoryStart = BufferGetBlockNumber(bufs[0]);
	rs->meta.ndirPages = ndir;
	for (p = 0; p < ndir; p++)
	{
		int			first = p * IVFPQ_DIR_PER_PAGE;
		int			n = Min(IVFPQ_DIR_PER_PAGE, lists - first);
		IvfpqDirEntry entries;
		int			i;

		IvfpqInitPage(tmp, IVFPQ_PAGE_DIRECTORY, 0);
		IvfpqSetPageGen(tmp, rs->meta.generation);
		entries = (IvfpqDirEntry) PageGetContents(tmp);
		for (i = 0; i < n; i++)
		{
			entries[i].startPage = starts[first + i];
			entries[i].insertPage = lasts[first + i];
		}
		IvfpqPageGetOpaque(tmp)->count = n;
		((PageHeader) tmp)->pd_lower = IVFPQ_PAGE_HEADER + n * sizeof(IvfpqDirEntryData);
		IvfpqLogNewPage(rs->index, bufs[p], tmp);
	}
	pfree(bufs);
}

/*
 * 5: centroids, codebooks, lists and directory of the new structure, from
 * the model and the entries in rs->bs; fills rs->meta except the switch's
 * fields.
 */
void
IvfpqRetrainWrite(IvfpqRetrainState *rs)
{
	IvfpqBuildState *bs = &rs->bs;
	int			lists = bs->lists;
	int64	   *offsets = palloc0(sizeof(int64) * (lists + 1));
	int64	   *perm = IvfpqOrderEntries(bs, offsets);
	BlockNumber *starts = palloc(sizeof(BlockNumber) * lists);
	BlockNumber *lasts = palloc(sizeof(BlockNumber) * lists);
	Page		tmp = palloc(BLCKSZ);
	Size		ncb = (Size) (1 << bs->nbits) * bs->dims;
	int			l;

	rs->meta.lists = lists;
	rs->meta.trained = 1;
	rs->meta.buildId = IvfpqNewBuildId();
	rs->meta.trainImbalance = IvfpqImbalance(offsets, lists);
	rs->meta.centroidStart = WriteStream(rs->index, IVFPQ_PAGE_CENTROID, rs->meta.generation,
										 bs->centroids, (Size) lists * bs->dims, tmp);
	rs->meta.codebookStart = WriteStream(rs->index, IVFPQ_PAGE_CODEBOOK, rs->meta.generation,
										 bs->codebooks, ncb, tmp);
	for (l = 0; l < lists; l++)
		WriteList(rs, l, perm, offsets[l], offsets[l + 1], tmp, &starts[l], &lasts[l]);
	WriteDirectory(rs, starts, lasts, tmp);
	rs->copied = bs->nent;
	bs->nent = 0;
	pfree(perm);
	pfree(offsets);
	pfree(starts);
	pfree(lasts);
	pfree(tmp);
}

/* 6: inserts the entries encoded so far into the new lists. */
void
IvfpqRetrainDrain(IvfpqRetrainState *rs)
{
	IvfpqBuildState *bs = &rs->bs;
	int			cs = IvfpqEntryCodeSize(bs->m);
	int64		i;

	for (i = 0; i < bs->nent; i++)
		IvfpqInsertEntry(rs->index, &rs->meta, bs->entLists[i], bs->entCodes + (Size) i * cs,
						 &bs->entTids[i]);
	rs->copied += bs->nent;
	bs->nent = 0;
}
