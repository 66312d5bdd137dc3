/*
 * check.h: pgvq_index_check, the structure and heap-consistency check of the
 * pgvq index access methods (the amcheck of pgvq).
 *
 * check.c opens the relations, dispatches on the index's access method and,
 * with heapallindexed, compares the TIDs the access method collected against
 * a heap scan under one MVCC snapshot registered before the index walk (so
 * every row that snapshot sees had its index entry inserted before the walk
 * began, and VACUUM cannot remove it while the snapshot holds back xmin).
 *
 * A heap TID collected twice is not proof of corruption by itself: the walk
 * holds AccessShareLock only, so between reading two pages VACUUM can remove
 * a dead row's entry (after it was collected) and free its TID, and an
 * INSERT can reuse the TID with an entry on a page read later.  A duplicate
 * is reported only once it is proven (check.c, PgvqCheckDuplicates).
 *
 * The per-AM functions (flat_check.c, ivfpq_check.c) read every page with one
 * share buffer lock at a time, call CHECK_FOR_INTERRUPTS between pages with
 * no lock held, and raise ERRCODE_INDEX_CORRUPTED naming the block through
 * PgvqCheckCorrupted.
 */
#ifndef PGVQ_CHECK_H
#define PGVQ_CHECK_H

#include "postgres.h"

#include "pg_compat.h"

#include "storage/block.h"
#include "storage/bufpage.h"
#include "storage/itemptr.h"
#include "utils/relcache.h"

/* One index entry, as collected for heapallindexed. */
typedef struct PgvqCheckEntry
{
	int64		id;				/* heap TID as (block << 16) | offset */
	BlockNumber blkno;			/* index block holding the entry */
	uint32		fingerprint;	/* hash of the stored value, if the AM has one */
} PgvqCheckEntry;

typedef struct PgvqCheckState
{
	Relation	heap;
	Relation	index;
	BlockNumber heap_nblocks;	/* heap size when the check began (it can
								 * only grow while we hold AccessShareLock) */
	bool		heapallindexed; /* collect entries[] */
	bool		has_fingerprint;	/* the AM fills fingerprint */
	int			entry_param;	/* what page_tids needs to verify an entry
								 * page (flat: dims, ivfpq: m), set by the
								 * AM's walk */
	PgvqCheckEntry *entries;
	Size		nentries;
	Size		maxentries;
} PgvqCheckState;

/* Raises ERRCODE_INDEX_CORRUPTED naming the index and the block. */
pg_noreturn extern void PgvqCheckCorrupted(Relation index, BlockNumber blkno, const char *fmt,...)
			pg_attribute_printf(3, 4);

/*
 * Checks that entry `entry` of index block blkno holds a heap TID that can
 * point at a heap tuple, and records it when heapallindexed is on.
 */
extern void PgvqCheckEntryTid(PgvqCheckState *state, BlockNumber blkno, int entry,
							  ItemPointer tid, uint32 fingerprint);

/* A visited-block set, to find cycles and pages reached twice. */
typedef struct PgvqBlockSet
{
	BlockNumber nblocks;
	uint8	   *bits;
} PgvqBlockSet;

extern void PgvqBlockSetInit(PgvqBlockSet *set, BlockNumber nblocks);
/* Marks blkno (< nblocks); returns false if it was already marked. */
extern bool PgvqBlockSetAdd(PgvqBlockSet *set, BlockNumber blkno);
extern bool PgvqBlockSetHas(const PgvqBlockSet *set, BlockNumber blkno);

/*
 * pgvq.check_pause_lock (test-only, superuser): when not 0, the walk takes and
 * releases the session advisory lock with that key once, after its first
 * list (ivfpq) or data page (flat), so a test holding the lock can change the
 * index and the table at that point of the walk.
 */
extern int	pgvq_check_pause_lock;
extern void PgvqCheckInit(void);
extern void PgvqCheckPauseSlow(void);

static inline void
PgvqCheckPause(void)
{
	if (unlikely(pgvq_check_pause_lock != 0))
		PgvqCheckPauseSlow();
}

/* flat_check.c */
extern void FlatIndexCheck(PgvqCheckState *state);
extern uint32 FlatCheckFingerprint(Relation index, Datum value);
extern ItemPointer FlatCheckPageTids(Relation index, Page page, BlockNumber blkno, int dims, int *n,
									 ptrdiff_t *stride);

/* ivfpq_check.c */
extern void IvfpqIndexCheck(PgvqCheckState *state);
extern bool IvfpqCheckIndexable(Relation index, Datum value);
extern ItemPointer IvfpqCheckPageTids(Relation index, Page page, BlockNumber blkno, int m, int *n,
									  ptrdiff_t *stride);

#endif							/* PGVQ_CHECK_H */
