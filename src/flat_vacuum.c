/*
 * flat_vacuum.c: VACUUM for the flat access method.
 *
 * ambulkdelete walks the data page chain; on each page (exclusively locked,
 * one at a time) the dead entries are removed by compacting the remaining
 * vectors and TIDs towards the start (order kept, pd_lower fixed), one generic
 * WAL record per page.  Pages that now have room become free-space hints in
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
	int			dims;
	int			cap;
	bool	   *dead;

	FlatReadMeta(index, &meta);
	dims = meta.dims;
	cap = dims > 0 ? FlatPageCapacity(dims) : 0;
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
		int			j;
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
		FlatVerifyDataPage(index, page, blkno, dims);
		n = FlatPageGetOpaque(page)->count;
		next = FlatPageGetOpaque(page)->nextblkno;

		if (callback)
		{
			tids = FlatPageGetTids(page);
			for (i = 0; i < n; i++)
			{
				dead[i] = callback(&tids[i], callback_state);
				dead_any |= dead[i];
			}
		}

		if (dead_any)
		{
			GenericXLogState *state = GenericXLogStart(index);
			float	   *x;

			page = GenericXLogRegisterBuffer(state, buf, 0);
			tids = FlatPageGetTids(page);
			x = FlatPageGetVectors(page);
			for (i = 0, j = 0; i < n; i++)
			{
				if (dead[i])
				{
					stats->tuples_removed += 1;
					continue;
				}
				if (j != i)
				{
					memmove(x + (Size) j * dims, x + (Size) i * dims, sizeof(float) * dims);
					tids[j] = tids[i];
				}
				j++;
			}
			/* clear the freed TID slots: the TID array is in the logged range */
			if (j < n)
				memset(&tids[j], 0, sizeof(ItemPointerData) * (n - j));
			FlatPageSetCount(page, dims, j);
			GenericXLogFinish(state);
			n = j;
		}

		*ntuples += n;
		if (n < cap && *nfree < FLAT_MAX_FREE_HINTS)
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
