/*
 * ivfpq_reclaim.c: pages of an ivfpq index that no structure uses any more.
 *
 * A retrain (ivfpq_retrain.c) leaves the pages of the structure it replaced
 * (and, after an error or a crash, the pages of a structure it never switched
 * to) in the relation.  Every page carries the generation of its structure;
 * the meta page names the live generation, and while pages of other
 * generations may exist it has IVFPQ_META_OTHER_GENS set and, once a switch
 * happened, reclaimXid: the next full transaction id at the switch.  Scans
 * that may still walk the old structure's chains read its meta page before
 * the switch, so their snapshots' xmin is at most reclaimXid; once
 * GlobalVisCheckRemovableFullXid says reclaimXid is removable (as nbtree does
 * for deleted pages), none is left.
 *
 * IvfpqSweep (VACUUM, and a retrain before it starts) then reads every block:
 * a page of another generation becomes an empty IVFPQ_PAGE_DELETED page
 * (one generic WAL record) and goes to the free space map, as do deleted
 * pages and all-zero pages left by a crash.  IvfpqNewBuffer takes pages from
 * the free space map before it extends the relation.
 */
#include "postgres.h"

#include "access/generic_xlog.h"
#include "access/transam.h"
#include "commands/vacuum.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/indexfsm.h"
#include "storage/lmgr.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "ivfpq.h"
#include "pg_compat.h"

static bool
IsDeletedPage(Page page)
{
	return !PageIsNew(page) && PageGetSpecialSize(page) == IVFPQ_SPECIAL_SIZE &&
		IvfpqPageGetOpaque(page)->page_id == IVFPQ_PAGE_ID &&
		IvfpqPageGetOpaque(page)->flags == IVFPQ_PAGE_DELETED;
}

/* Whether a locked page is free to take: all zeros or deleted. */
bool
IvfpqPageIsFree(Page page)
{
	return PageIsNew(page) || IsDeletedPage(page);
}

/*
 * A new page, exclusively locked: a free one from the free space map, or a
 * new block.  The caller initialises it (a full-image WAL record).  A page
 * the map names is used only when it is still free under its lock.
 */
Buffer
IvfpqNewBuffer(Relation index, ForkNumber forkNum)
{
	if (forkNum == MAIN_FORKNUM)
	{
		for (;;)
		{
			BlockNumber blkno = GetFreeIndexPage(index);
			Buffer		buf;

			if (blkno == InvalidBlockNumber)
				break;
			buf = ReadBuffer(index, blkno);
			if (ConditionalLockBuffer(buf))
			{
				Page		page = BufferGetPage(buf);

				if (IvfpqPageIsFree(page))
					return buf;
				LockBuffer(buf, BUFFER_LOCK_UNLOCK);
			}
			ReleaseBuffer(buf);
		}
	}
	return PgvqNewBuffer(index, forkNum);
}

/* n new consecutive blocks (a directory), each exclusively locked. */
void
IvfpqNewConsecutive(Relation index, int n, Buffer *bufs)
{
	bool		needLock = !RELATION_IS_LOCAL(index);
	int			i;

	if (needLock)
		LockRelationForExtension(index, ExclusiveLock);
	for (i = 0; i < n; i++)
	{
#if PG_VERSION_NUM >= 160000
		bufs[i] = ExtendBufferedRel(BMR_REL(index), MAIN_FORKNUM, NULL,
									EB_LOCK_FIRST | EB_SKIP_EXTENSION_LOCK);
#else
		bufs[i] = ReadBufferExtended(index, MAIN_FORKNUM, P_NEW, RBM_NORMAL, NULL);
		LockBuffer(bufs[i], BUFFER_LOCK_EXCLUSIVE);
#endif
		if (i > 0 && BufferGetBlockNumber(bufs[i]) != BufferGetBlockNumber(bufs[0]) + i)
			elog(ERROR, "ivfpq directory pages are not consecutive");
	}
	if (needLock)
		UnlockRelationForExtension(index, ExclusiveLock);
}

/* Writes content into the locked new page buf as a full-image record; releases buf. */
void
IvfpqLogNewPage(Relation index, Buffer buf, Page content)
{
	GenericXLogState *state = GenericXLogStart(index);
	Page		page = GenericXLogRegisterBuffer(state, buf, GENERIC_XLOG_FULL_IMAGE);

	memcpy(page, content, BLCKSZ);
	GenericXLogFinish(state);
	UnlockReleaseBuffer(buf);
}

/* Makes the locked page an empty deleted page (one WAL record). */
static void
DeletePage(Relation index, Buffer buf)
{
	GenericXLogState *state = GenericXLogStart(index);
	Page		page = GenericXLogRegisterBuffer(state, buf, GENERIC_XLOG_FULL_IMAGE);

	IvfpqInitPage(page, IVFPQ_PAGE_DELETED, 0);
	GenericXLogFinish(state);
}

/*
 * An all-zero page is free once no extension is under way: extenders lock
 * the new page before they let go of the extension lock, and initialise it
 * before they unlock it.
 */
static bool
AbandonedNewPage(Relation index, Buffer buf)
{
	bool		isNew;

	LockBuffer(buf, BUFFER_LOCK_UNLOCK);
	if (!RELATION_IS_LOCAL(index))
		LockRelationForExtension(index, ExclusiveLock);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	isNew = PageIsNew(BufferGetPage(buf));
	if (!RELATION_IS_LOCAL(index))
		UnlockRelationForExtension(index, ExclusiveLock);
	return isNew;
}

/* Updates the meta page's reclaim state after a sweep that kept nothing. */
static void
ClearReclaim(Relation index, uint32 generation)
{
	Buffer		buf = ReadBuffer(index, IVFPQ_METAPAGE_BLKNO);
	GenericXLogState *state;
	Page		page;
	IvfpqMetaPage meta;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	IvfpqCheckPage(index, BufferGetPage(buf), IVFPQ_METAPAGE_BLKNO, IVFPQ_PAGE_META, 0);
	meta = IvfpqPageGetMeta(BufferGetPage(buf));
	if (meta->version != IVFPQ_VERSION || meta->generation != generation ||
		(meta->flags & IVFPQ_META_OTHER_GENS) == 0)
	{
		UnlockReleaseBuffer(buf);
		return;
	}
	state = GenericXLogStart(index);
	page = GenericXLogRegisterBuffer(state, buf, 0);
	meta = IvfpqPageGetMeta(page);
	meta->flags &= ~IVFPQ_META_OTHER_GENS;
	meta->reclaimXid = 0;
	GenericXLogFinish(state);
	UnlockReleaseBuffer(buf);
}

/*
 * Reclaims the pages of other generations when no scan can read them any
 * more, and puts deleted and abandoned pages in the free space map.  Runs
 * under a ShareUpdateExclusiveLock on the table (VACUUM or a retrain), so no
 * retrain writes pages meanwhile.  Reads every block when the meta page says
 * other generations may exist, or always when all (a retrain: deleted pages
 * the free space map lost in a crash or a promotion are found again).
 * gensInUse (8192 bytes, a bit per generation) gets the generations of the
 * pages kept, when not NULL.  Returns the pages kept for running scans.
 */
int
IvfpqSweep(Relation index, BufferAccessStrategy strategy, uint8 *gensInUse, bool all)
{
	IvfpqMetaPageData meta;
	bool		removable;
	BlockNumber nblocks;
	BlockNumber blkno;
	int			kept = 0;
	int			freed = 0;

	IvfpqReadMeta(index, &meta);
	if (gensInUse)
	{
		MemSet(gensInUse, 0, 8192);
		gensInUse[(meta.generation & 0xFFFF) / 8] |= 1 << (meta.generation % 8);
	}
	if ((meta.flags & IVFPQ_META_OTHER_GENS) == 0 && !all)
		return 0;
	removable = meta.reclaimXid == 0 ||
		GlobalVisCheckRemovableFullXid(NULL, FullTransactionIdFromU64(meta.reclaimXid));

	nblocks = RelationGetNumberOfBlocks(index);
	for (blkno = IVFPQ_METAPAGE_BLKNO + 1; blkno < nblocks; blkno++)
	{
		Buffer		buf;
		Page		page;
		bool		isFree = false;

		PgvqVacuumDelayPoint();
		buf = ReadBufferExtended(index, MAIN_FORKNUM, blkno, RBM_NORMAL, strategy);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		if (PageIsNew(page))
			isFree = AbandonedNewPage(index, buf);
		else if (IsDeletedPage(page))
			isFree = true;
		else
		{
			uint16		gen;

			IvfpqCheckPage(index, page, blkno, IvfpqPageGetOpaque(page)->flags,
						   meta.m);
			gen = IvfpqPageGetOpaque(page)->gen;
			if (gen != (uint16) meta.generation && !removable)
			{
				kept++;
				if (gensInUse)
					gensInUse[gen / 8] |= 1 << (gen % 8);
			}
			else if (gen != (uint16) meta.generation)
			{
				/* Our table lock keeps other generations from changing */
				LockBuffer(buf, BUFFER_LOCK_UNLOCK);
				LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
				DeletePage(index, buf);
				isFree = true;
			}
		}
		UnlockReleaseBuffer(buf);
		if (isFree)
		{
			RecordFreeIndexPage(index, blkno);
			freed++;
		}
	}
	if (freed > 0)
		IndexFreeSpaceMapVacuum(index);
	if (kept == 0 && (meta.flags & IVFPQ_META_OTHER_GENS) != 0)
		ClearReclaim(index, meta.generation);
	return kept;
}
