/*
 * flat_vacuum.c: VACUUM for the flat access method.
 *
 * ambulkdelete walks the data page chain; on each page (exclusively locked,
 * one at a time) the dead entries are removed by compacting the remaining
 * vectors, TIDs and codes towards the start (order kept, pd_lower fixed), or
 * on a sparse page with PageIndexMultiDelete, one generic WAL record per page.  Pages that now have room become free-space hints in
 * the meta page (updated last, after every data page lock was released), so
 * later inserts reuse the space.
 */
#include "postgres.h"

#include "access/generic_xlog.h"
#include "commands/vacuum.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/rel.h"

#include "flat.h"

/*
 * Removes the entries marked dead[i] from data page buf (exclusively locked,
 * verified, n entries) in one generic WAL record; returns the entries left.
 * A dense page is compacted towards its start, order kept, pd_lower fixed and
 * the freed TID and code slots zeroed (they are in the logged range).
 */
static int
FlatVacuumPage(Relation index, Buffer buf, BlockNumber blkno, int kind, int dims,
			   const bool *dead, int n)
{
	GenericXLogState *state = GenericXLogStart(index);
	Page		page = GenericXLogRegisterBuffer(state, buf, 0);
	ItemPointer tids;
	char	   *x;
	char	   *codes;
	Size		eb = FlatElemBytes(kind, dims);
	Size		stride = FlatCodeStride(kind, dims);
	int			i;
	int			j;

	if (kind == FLAT_KIND_SPARSE)
	{
		j = FlatSparseVacuumPage(index, page, blkno, dims, dead);
		GenericXLogFinish(state);
		return j;
	}
	tids = FlatPageGetTids(page);
	x = FlatPageGetElems(page);
	codes = stride > 0 ? FlatPageGetCodes(page, dims) : NULL;
	for (i = 0, j = 0; i < n; i++)
	{
		if (dead[i])
			continue;
		if (j != i)
		{
			memmove(x + (Size) j * eb, x + (Size) i * eb, eb);
			tids[j] = tids[i];
			if (stride > 0)
				memmove(codes + j * stride, codes + i * stride, stride);
		}
		j++;
	}
	if (j < n)
	{
		memset(&tids[j], 0, sizeof(ItemPointerData) * (n - j));
		if (stride > 0)
			memset(codes + j * stride, 0, stride * (n - j));
	}
	FlatPageSetCount(page, kind, dims, j);
	GenericXLogFinish(state);
	return j;
}

/*
 * Walks the chain.  With a callback, removes the entries it reports dead.
 * Collects pages with room into free[] (up to FLAT_MAX_FREE_HINTS).
 */
static void
FlatVacuumChain(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
				IndexBulkDeleteCallback callback, void *callback_state,
				BlockNumber *free, uint32 *nfree, int64 *ntuples, uint32 *npages)
{
	Relation	index = info->index;
	FlatMetaPageData meta;
	BufferAccessStrategy bas = info->strategy;
	BlockNumber blkno;
	BlockNumber maxpages = RelationGetNumberOfBlocks(index);
	int			kind = FlatIndexKind(index);
	int			dims;
	int			cap;
	bool	   *dead;

	FlatReadMeta(index, &meta);
	dims = meta.dims;
	cap = dims > 0 ? FlatPageCapacity(kind, dims) : 0;
	dead = palloc(sizeof(bool) * Max(cap, 1));
	*nfree = 0;
	*ntuples = 0;
	*npages = 0;

	blkno = meta.first_blkno;
	while (blkno != InvalidBlockNumber)
	{
		Buffer		buf;
		Page		page;
		int			n;
		int			i;
		ItemPointer tids;
		bool		dead_any = false;
		BlockNumber next;

		/* may CHECK_FOR_INTERRUPTS: no buffer lock held */
		PgvqVacuumDelayPoint();

		/* concurrent inserts may have extended the chain since maxpages was read */
		if (++(*npages) > maxpages &&
			*npages > (maxpages = RelationGetNumberOfBlocks(index)))
			ereport(ERROR,
					(errcode(ERRCODE_INDEX_CORRUPTED),
					 errmsg("flat index \"%s\" has a cycle in its page chain at block %u",
							RelationGetRelationName(index), blkno)));

		buf = ReadBufferExtended(index, MAIN_FORKNUM, blkno, RBM_NORMAL, bas);
		LockBuffer(buf, callback ? BUFFER_LOCK_EXCLUSIVE : BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		FlatVerifyDataPage(index, page, blkno, kind, dims);
		n = FlatPageGetOpaque(page)->count;
		next = FlatPageGetOpaque(page)->nextblkno;

		if (callback)
		{
			tids = kind == FLAT_KIND_SPARSE
				? FlatSparsePageTids(index, page, blkno, dims, &n)
				: FlatPageGetTids(page);
			for (i = 0; i < n; i++)
			{
				dead[i] = callback(&tids[i], callback_state);
				dead_any |= dead[i];
			}
			if (kind == FLAT_KIND_SPARSE)
				pfree(tids);
		}

		if (dead_any)
		{
			int			left = FlatVacuumPage(index, buf, blkno, kind, dims, dead, n);

			stats->tuples_removed += n - left;
			n = left;
		}

		*ntuples += n;
		/* a sparse page has room if a one-element entry fits */
		if (n < cap && *nfree < FLAT_MAX_FREE_HINTS &&
			(kind != FLAT_KIND_SPARSE ||
			 PageGetFreeSpace(BufferGetPage(buf)) >= MAXALIGN(FLAT_SPARSE_ENTRY_SIZE(1))))
			free[(*nfree)++] = blkno;

		blkno = next;
		UnlockReleaseBuffer(buf);
	}
	pfree(dead);
}

/* Rewrites the meta page's counts and free-space hints. */
static void
FlatUpdateMeta(Relation index, BlockNumber *free, uint32 nfree, int64 ntuples, uint32 npages)
{
	Buffer		metabuf;
	Page		page;
	FlatMetaPage meta;
	GenericXLogState *state;
	uint32		i;
	uint32		k;

	metabuf = ReadBuffer(index, FLAT_METAPAGE_BLKNO);
	LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
	FlatVerifyMetaPage(index, BufferGetPage(metabuf));

	state = GenericXLogStart(index);
	page = GenericXLogRegisterBuffer(state, metabuf, 0);
	meta = FlatPageGetMeta(page);
	meta->ntuples = ntuples;
	if (npages > meta->npages)
		meta->npages = npages;
	/* our pages with room first, then the hints set meanwhile by inserts */
	for (i = 0; i < meta->nfree && nfree < FLAT_MAX_FREE_HINTS; i++)
	{
		for (k = 0; k < nfree; k++)
			if (free[k] == meta->free_blkno[i])
				break;
		if (k == nfree)
			free[nfree++] = meta->free_blkno[i];
	}
	memcpy(meta->free_blkno, free, sizeof(BlockNumber) * nfree);
	meta->nfree = nfree;
	GenericXLogFinish(state);
	UnlockReleaseBuffer(metabuf);
}

IndexBulkDeleteResult *
flatbulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
			   IndexBulkDeleteCallback callback, void *callback_state)
{
	BlockNumber *free;
	uint32		nfree;
	int64		ntuples;
	uint32		npages;

	if (stats == NULL)
		stats = (IndexBulkDeleteResult *) palloc0(sizeof(IndexBulkDeleteResult));

	free = palloc(sizeof(BlockNumber) * FLAT_MAX_FREE_HINTS);
	FlatVacuumChain(info, stats, callback, callback_state, free, &nfree, &ntuples, &npages);
	FlatUpdateMeta(info->index, free, nfree, ntuples, npages);
	pfree(free);

	stats->num_index_tuples = (double) ntuples;
	return stats;
}

IndexBulkDeleteResult *
flatvacuumcleanup(IndexVacuumInfo *info, IndexBulkDeleteResult *stats)
{
	if (info->analyze_only)
		return stats;

	if (stats == NULL)
	{
		/* no bulkdelete ran: count the entries (read only) */
		BlockNumber *free = palloc(sizeof(BlockNumber) * FLAT_MAX_FREE_HINTS);
		uint32		nfree;
		int64		ntuples;
		uint32		npages;

		stats = (IndexBulkDeleteResult *) palloc0(sizeof(IndexBulkDeleteResult));
		FlatVacuumChain(info, stats, NULL, NULL, free, &nfree, &ntuples, &npages);
		stats->num_index_tuples = (double) ntuples;
		pfree(free);
	}

	stats->num_pages = RelationGetNumberOfBlocks(info->index);
	stats->estimated_count = false;
	return stats;
}
