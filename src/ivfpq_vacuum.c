/*
 * ivfpq_vacuum.c: VACUUM for ivfpq.  Each list chain is walked; on every page
 * the dead TIDs are removed and the surviving entries compacted in place (one
 * generic WAL record per page, so each page change is whole).  Pages are
 * never unlinked; a list's insertPage is moved back to its first page with
 * room, so later inserts reuse the space (a second record; if it is lost,
 * inserts only miss that space until the next VACUUM).
 *
 * Scans keep no pins across pages and need an MVCC snapshot: a TID that
 * VACUUM frees and the heap reuses belongs to a row inserted after the scan's
 * snapshot, which the scan's heap fetch does not see.
 *
 * The cleanup pass reclaims the pages of structures a retrain replaced
 * (ivfpq_reclaim.c) and retrains the index when it is untrained, outgrown or
 * unbalanced (ivfpq_retrain_auto.c).
 */
#include "postgres.h"

#include "access/generic_xlog.h"
#include "commands/vacuum.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "access/table.h"
#include "postmaster/autovacuum.h"

#include "ivfpq_retrain.h"

IndexBulkDeleteResult *
ivfpqbulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
				IndexBulkDeleteCallback callback, void *callback_state)
{
	Relation	index = info->index;
	MemoryContext vacCtx;
	MemoryContext old;
	IvfpqCache *cache;
	int			m;
	int			cap;
	int			list;
	bool	   *dead;
	BlockNumber nblocks;
	double		ntuples = 0;

	if (stats == NULL)
		stats = (IndexBulkDeleteResult *) palloc0(sizeof(IndexBulkDeleteResult));

	vacCtx = AllocSetContextCreate(CurrentMemoryContext, "ivfpq vacuum context",
								   ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(vacCtx);
	cache = IvfpqGetCache(index, vacCtx);
	m = cache->meta.m;
	cap = IvfpqListCapacity(m);
	dead = palloc(sizeof(bool) * cap);
	nblocks = RelationGetNumberOfBlocks(index);

	for (list = 0; list < cache->meta.lists; list++)
	{
		BlockNumber blkno = cache->startPages[list];
		BlockNumber firstFree = InvalidBlockNumber;
		int			hops = 0;

		while (blkno != InvalidBlockNumber)
		{
			Buffer		buf;
			Page		page;
			IvfpqPageOpaque opaque;
			int			n;
			int			ndead = 0;
			int			i;
			BlockNumber next;

			PgvqVacuumDelayPoint();

			IvfpqCheckChainStep(index, list, blkno, &nblocks, &hops);

			buf = ReadBufferExtended(index, MAIN_FORKNUM, blkno, RBM_NORMAL, info->strategy);
			LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
			page = BufferGetPage(buf);
			IvfpqCheckPage(index, page, blkno, IVFPQ_PAGE_LIST, m);
			opaque = IvfpqPageGetOpaque(page);
			n = opaque->count;
			next = opaque->nextblkno;

			for (i = 0; i < n; i++)
			{
				dead[i] = callback(IvfpqListTid(page, i), callback_state);
				if (dead[i])
					ndead++;
			}

			if (ndead > 0)
			{
				GenericXLogState *state = GenericXLogStart(index);
				Page		wpage = GenericXLogRegisterBuffer(state, buf, 0);
				uint8	   *codes = IvfpqListCodes(wpage);
				int			k = 0;

				for (i = 0; i < n; i++)
				{
					if (dead[i])
						continue;
					if (k != i)
					{
						memmove(codes + (Size) k * m, codes + (Size) i * m, m);
						memcpy(IvfpqListSlot(wpage, k), IvfpqListSlot(wpage, i), IVFPQ_SLOT_SIZE);
					}
					k++;
				}
				IvfpqPageGetOpaque(wpage)->count = k;
				((PageHeader) wpage)->pd_lower = IVFPQ_PAGE_HEADER + (Size) k * m;
				((PageHeader) wpage)->pd_upper = BLCKSZ - IVFPQ_SPECIAL_SIZE - (Size) k * IVFPQ_SLOT_SIZE;
				GenericXLogFinish(state);
				stats->tuples_removed += ndead;
				n = k;
			}
			ntuples += n;

			if (n < cap && firstFree == InvalidBlockNumber)
				firstFree = blkno;

			UnlockReleaseBuffer(buf);
			blkno = next;
		}

		if (firstFree != InvalidBlockNumber)
			IvfpqSetInsertPage(index, &cache->meta, list, InvalidBlockNumber, firstFree, true);
	}

	/*
	 * VACUUM hands the same stats to every index pass: removed tuples add up
	 * across passes, but the surviving count is this pass's, not a sum.
	 */
	stats->num_index_tuples = ntuples;
	stats->estimated_count = false;
	stats->num_pages = RelationGetNumberOfBlocks(index);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(vacCtx);
	return stats;
}

IndexBulkDeleteResult *
ivfpqvacuumcleanup(IndexVacuumInfo *info, IndexBulkDeleteResult *stats)
{
	Relation	index = info->index;
	double		rows;

	if (info->analyze_only)
		return stats;

	/* Pages of replaced structures no scan can read any more go to the FSM */
	IvfpqSweep(index, info->strategy, NULL, false);

	rows = stats ? stats->num_index_tuples : info->num_heap_tuples;
	if (IvfpqRetrainWanted(index, rows))
	{
		/* VACUUM holds a ShareUpdateExclusiveLock on the table */
		Relation	heap = table_open(index->rd_index->indrelid, NoLock);
		IvfpqRetrainResult res;

		IvfpqRetrain(heap, index, 0, info->strategy, &res);
		table_close(heap, NoLock);
		ereport(PgvqIsAutoVacuumWorker() ? LOG : DEBUG1,
				(errmsg("ivfpq index \"%s\" retrained: %d lists (was %d), " INT64_FORMAT " rows",
						RelationGetRelationName(index), res.lists, res.oldLists, res.rows)));
		if (stats == NULL)
			stats = (IndexBulkDeleteResult *) palloc0(sizeof(IndexBulkDeleteResult));
		stats->num_index_tuples = res.rows;
		stats->estimated_count = false;
	}

	if (stats == NULL)
	{
		/* No bulkdelete pass: report the heap's count as an estimate */
		stats = (IndexBulkDeleteResult *) palloc0(sizeof(IndexBulkDeleteResult));
		stats->num_index_tuples = info->num_heap_tuples;
		stats->estimated_count = info->estimated_count;
	}
	stats->num_pages = RelationGetNumberOfBlocks(index);
	return stats;
}
