/*
 * pg_compat.h: every difference between the PostgreSQL versions pgvq builds
 * against (15, 17 and 18; 16 is not built here), keyed on PG_VERSION_NUM.  The
 * rest of the glue calls the names defined here and has no version #if of
 * its own.  Behaviour and the on-disk format are the same on every version.
 */
#ifndef PGVQ_PG_COMPAT_H
#define PGVQ_PG_COMPAT_H

#include "postgres.h"

#include "storage/bufmgr.h"
#include "utils/relcache.h"

#if PG_VERSION_NUM < 150000
#error "pgvq needs PostgreSQL 15 or later"
#endif

/* 16 moved VARSIZE and friends out of postgres.h into varatt.h. */
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

/*
 * A function that does not return.  18 replaced the trailing
 * pg_attribute_noreturn() with a leading pg_noreturn; the leading form is
 * valid for GCC and Clang on every version.
 */
#if PG_VERSION_NUM < 180000
#define pg_noreturn pg_attribute_noreturn()
#endif

/* vacuum_delay_point() (commands/vacuum.h) takes is_analyze from 18 on. */
#if PG_VERSION_NUM >= 180000
#define PgvqVacuumDelayPoint() vacuum_delay_point(false)
#else
#define PgvqVacuumDelayPoint() vacuum_delay_point()
#endif

/* Is the user the owner of the relation? (utils/acl.h; 16 generalised it) */
#if PG_VERSION_NUM >= 160000
#define PgvqRelationOwnerCheck(relid, roleid) \
	object_ownercheck(RelationRelationId, (relid), (roleid))
#else
#define PgvqRelationOwnerCheck(relid, roleid) pg_class_ownercheck((relid), (roleid))
#endif

/*
 * Counts one index scan in pg_stat (idx_scan) and, from 18 on, one index
 * search for EXPLAIN ANALYZE's "Index Searches" (scan->instrument is set
 * only when someone is counting).
 */
#if PG_VERSION_NUM >= 180000
#define PgvqCountIndexScan(scan) \
	do { \
		pgstat_count_index_scan((scan)->indexRelation); \
		if ((scan)->instrument) \
			(scan)->instrument->nsearches++; \
	} while (0)
#else
#define PgvqCountIndexScan(scan) pgstat_count_index_scan((scan)->indexRelation)
#endif

/*
 * Keeps the planner from choosing an index path the access method cannot run
 * (no ORDER BY distance operator; its cost is already infinite).  From 18 on
 * the planner compares the number of disabled nodes before costs, so with
 * enable_seqscan off the disabled sequential scan (1) would lose to it: 2
 * puts it behind every other scan of the relation, as 15's costs did.
 */
#if PG_VERSION_NUM >= 180000
#define PgvqRejectIndexPath(path) ((path)->path.disabled_nodes = 2)
#else
#define PgvqRejectIndexPath(path) ((void) 0)
#endif

/*
 * Extends a fork of an index by one page and returns it exclusively locked
 * (the caller initialises it).  15: extension lock around P_NEW (pgvq.c);
 * 16 on: ExtendBufferedRel.
 */
#if PG_VERSION_NUM >= 160000
#define PgvqNewBuffer(index, forknum) \
	ExtendBufferedRel(BMR_REL(index), (forknum), NULL, EB_LOCK_FIRST)
#else
extern Buffer PgvqNewBuffer(Relation index, ForkNumber forknum);
#endif

/*
 * Sets the IndexAmRoutine fields later versions added, the same for both
 * access methods (access/amapi.h must be included where this is used):
 * no summarizing, parallel build (16, 17), hashing, equality or btree-like
 * ordering semantics of the opfamilies (18), and none of the optional
 * callbacks 17 and 18 added.
 */
#if PG_VERSION_NUM >= 160000
#define PGVQ_SET_AM_FIELDS_16(am) ((am)->amsummarizing = false)
#else
#define PGVQ_SET_AM_FIELDS_16(am) ((void) 0)
#endif
#if PG_VERSION_NUM >= 170000
#define PGVQ_SET_AM_FIELDS_17(am) \
	((am)->amcanbuildparallel = false, (am)->aminsertcleanup = NULL)
/* ivfpq's build scans run in parallel workers (ivfpq_build_parallel.c) */
#define PgvqSetCanBuildParallel(am) ((am)->amcanbuildparallel = true)
#else
#define PGVQ_SET_AM_FIELDS_17(am) ((void) 0)
#define PgvqSetCanBuildParallel(am) ((void) 0)
#endif

/* Whether this backend is an autovacuum worker (renamed in 17). */
#if PG_VERSION_NUM >= 170000
#define PgvqIsAutoVacuumWorker() AmAutoVacuumWorkerProcess()
#else
#define PgvqIsAutoVacuumWorker() IsAutoVacuumWorkerProcess()
#endif

/* The i-th (1-based) entry of this backend's snapshot of the backend statuses. */
#if PG_VERSION_NUM >= 160000
#define PgvqLocalBackendStatus(i) pgstat_get_local_beentry_by_index(i)
#else
#define PgvqLocalBackendStatus(i) pgstat_fetch_stat_local_beentry(i)
#endif

/*
 * The parallel workers an index build asks for (max_parallel_maintenance_workers,
 * the table's size and parallel_workers, ...).  From 17 on index_build plans
 * them for an access method with amcanbuildparallel (ii_ParallelWorkers); 15
 * plans them only for btree, so the access method asks the planner itself, as
 * index_build would (optimizer/plancat.h).
 */
#if PG_VERSION_NUM >= 170000
#define PgvqBuildWorkers(heap, index, indexInfo) ((indexInfo)->ii_ParallelWorkers)
#else
#define PgvqBuildWorkers(heap, index, indexInfo) \
	(IsNormalProcessingMode() ? \
	 plan_create_index_workers(RelationGetRelid(heap), RelationGetRelid(index)) : 0)
#endif
#if PG_VERSION_NUM >= 180000
#define PGVQ_SET_AM_FIELDS_18(am) \
	((am)->amcanhash = false, (am)->amconsistentequality = false, \
	 (am)->amconsistentordering = false, (am)->amgettreeheight = NULL, \
	 (am)->amtranslatestrategy = NULL, (am)->amtranslatecmptype = NULL)
#else
#define PGVQ_SET_AM_FIELDS_18(am) ((void) 0)
#endif
#define PgvqSetNewerAmFields(am) \
	(PGVQ_SET_AM_FIELDS_16(am), PGVQ_SET_AM_FIELDS_17(am), PGVQ_SET_AM_FIELDS_18(am))

/* Pins a main-fork block of rel where it was found before (16 renamed rd_node). */
#if PG_VERSION_NUM >= 160000
#define PgvqReadRecentBuffer(rel, blkno, buf) \
	ReadRecentBuffer((rel)->rd_locator, MAIN_FORKNUM, (blkno), (buf))
#else
#define PgvqReadRecentBuffer(rel, blkno, buf) \
	ReadRecentBuffer((rel)->rd_node, MAIN_FORKNUM, (blkno), (buf))
#endif

#endif							/* PGVQ_PG_COMPAT_H */
