/*
 * pgvq.c: module magic, _PG_init and the glue's helpers for core calls.
 */
#include "postgres.h"

#include "access/amapi.h"
#include "commands/vacuum.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/pathnodes.h"
#include "optimizer/clauses.h"
#include "storage/lmgr.h"
#include "utils/guc.h"

#include "pgvq.h"
#include "check.h"
#include "gpu_loader.h"

PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);

void
_PG_init(void)
{
	pgvq_init();

	/* Each access method adds its own Init call here. */
	FlatInit();
	IvfpqInit();
	PgvqCheckInit();
	PgvqGpuInit();

	MarkGUCPrefixReserved("pgvq");
}

int
PgvqShouldStop(void *arg)
{
	(void) arg;
	return (QueryCancelPending || ProcDiePending) ? 1 : 0;
}

void
PgvqCheckStatus(int rc, const pgvq_status *st, const char *what)
{
	const char *msg = (st != NULL && st->message[0] != '\0') ? st->message : "unknown error";

	switch (rc)
	{
		case PGVQ_OK:
			return;
		case PGVQ_CANCELLED:
			CHECK_FOR_INTERRUPTS();
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("canceling statement due to user request")));
			break;
		case PGVQ_OOM:
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory during %s", what),
					 errdetail("%s", msg)));
			break;
		case PGVQ_INVALID_ARGUMENT:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: %s", what, msg)));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("internal error during %s: %s", what, msg)));
			break;
	}
}

/*
 * The capability flags both access methods share: single-column indexes that
 * return rows in distance order for ORDER BY <op>, forwards only, without
 * bitmap, parallel or index-only scans, and without the features behind the
 * fields later versions added (pg_compat.h).
 */
void
PgvqSetOrderingAmFlags(IndexAmRoutine *amroutine)
{
	amroutine->amcanorder = false;
	amroutine->amcanorderbyop = true;
	amroutine->amcanbackward = false;
	amroutine->amcanunique = false;
	amroutine->amcanmulticol = false;
	amroutine->amoptionalkey = true;
	amroutine->amsearcharray = false;
	amroutine->amsearchnulls = false;
	amroutine->amstorage = false;
	amroutine->amclusterable = false;
	amroutine->ampredlocks = false;
	amroutine->amcanparallel = false;
	amroutine->amcaninclude = false;
	amroutine->amusemaintenanceworkmem = false;
	amroutine->amparallelvacuumoptions = VACUUM_OPTION_PARALLEL_BULKDEL;
	amroutine->amkeytype = InvalidOid;
	PgvqSetNewerAmFields(amroutine);
}

/*
 * For amcostestimate: an index path whose ORDER BY arguments are not
 * parallel-safe is not parallel-safe.  PostgreSQL (15.20, 17.12 and 18.6
 * checked) marks an index path parallel-safe from its relation alone and
 * checks the quals, never the ORDER BY arguments.  A correlated subquery's
 * "ORDER BY v <-> q.v" over partitions then gets index scans under Gather +
 * Parallel Append; Gather passes no correlation PARAM_EXEC to the workers, so
 * there q.v is a zeroed, not-null Datum and ExecIndexEvalRuntimeKeys
 * dereferences NULL (GiST and pgvector crash the same way).  is_parallel_safe
 * counts initplan parameters as safe, as the planner does for quals, so
 * constant and initplan arguments keep their parallel plans.  amcanparallel is
 * false, so no partial path (which must be parallel-safe) ever comes here.
 */
void
PgvqOrderByParallelSafety(PlannerInfo *root, IndexPath *path)
{
	if (path->path.parallel_safe &&
		!is_parallel_safe(root, (Node *) path->indexorderbys))
		path->path.parallel_safe = false;
}

/*
 * For amcostestimate of the ordering indexes: how many rows the index scan
 * must return before the query has what it needs.  The path returns the
 * table's rows in distance order and the executor applies the other quals (a
 * share s of the rows pass: the planner's own estimate, rel->rows /
 * rel->tuples, from clauselist_selectivity on the restrictions), so a
 * LIMIT k takes about k / s of them; without a LIMIT (or in a join, where
 * the LIMIT does not bound one relation's rows) the first row that passes,
 * 1 / s.  At most every row.
 */
double
PgvqRowsNeeded(PlannerInfo *root, IndexPath *path)
{
	RelOptInfo *rel = path->indexinfo->rel;
	double		tuples = Max(rel->tuples, 1.0);
	double		s = Min(1.0, Max(rel->rows, 1.0) / tuples);
	double		k = 1.0;

	if (root->limit_tuples > 0 && bms_membership(root->all_baserels) == BMS_SINGLETON)
		k = root->limit_tuples;
	return Min(tuples, k / s);
}

/*
 * The planner charges a LIMIT startup + (total - startup) x its share of the
 * path's rows: linear in the rows taken.  An ordering index's cost is not
 * (a scan's reach and heap fetches grow slower than the rows it returns, a
 * flat scan's passes in steps), so the startup cost is set so that the
 * planner's interpolation at the rows needed (out of rows) gives costNeeded,
 * the AM's own estimate for them; never below minStartup (the first row's
 * cost), nor above total.
 */
double
PgvqStartupForRows(double needed, double rows, double costNeeded, double total,
				   double minStartup)
{
	double		f = rows > 0 ? Min(1.0, needed / rows) : 1.0;
	double		startup;

	if (f >= 1.0)
		return Min(total, Max(minStartup, costNeeded));
	startup = (costNeeded - total * f) / (1.0 - f);
	return Min(total, Max(minStartup, startup));
}

#ifndef PgvqNewBuffer			/* pg_compat.h: a function before 16 */
Buffer
PgvqNewBuffer(Relation index, ForkNumber forknum)
{
	Buffer		buf;
	bool		needLock = !RELATION_IS_LOCAL(index);

	if (needLock)
		LockRelationForExtension(index, ExclusiveLock);
	buf = ReadBufferExtended(index, forknum, P_NEW, RBM_NORMAL, NULL);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	if (needLock)
		UnlockRelationForExtension(index, ExclusiveLock);
	return buf;
}
#endif
