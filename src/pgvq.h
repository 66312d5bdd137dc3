/*
 * pgvq.h: shared declarations of the Postgres glue (the C files under src/).
 */
#ifndef PGVQ_H
#define PGVQ_H

#include "postgres.h"

#include "pg_compat.h"
#include "pgvq_core.h"

/*
 * Declares an SQL-callable C function.  The library is built with
 * -fvisibility=hidden; on PostgreSQL 15 PG_FUNCTION_INFO_V1 exports only the
 * info function, so the function itself is exported here.
 */
#define PGVQ_FUNCTION(name) \
	extern PGDLLEXPORT Datum name(PG_FUNCTION_ARGS); \
	PG_FUNCTION_INFO_V1(name)

/*
 * Declares a float8 function of two ctype arguments (detoasted with getarg),
 * a and b, of equal dimensions (checkdims raises otherwise): expr.
 */
#define PGVQ_DISTANCE_FUNCTION(name, ctype, getarg, checkdims, expr) \
PGVQ_FUNCTION(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	ctype	   *a = getarg(0); \
	ctype	   *b = getarg(1); \
\
	checkdims(a, b); \
	PG_RETURN_FLOAT8(expr); \
}

/*
 * Declares a type's btree support, prefix_lt ... prefix_gt and prefix_cmp: each
 * detoasts two ctype arguments with getarg, orders them with compare (< 0, 0,
 * > 0) and frees the detoasted copies.
 */
#define PGVQ_CMP_FUNCTION(name, ctype, getarg, compare, result) \
PGVQ_FUNCTION(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	ctype	   *a = getarg(0); \
	ctype	   *b = getarg(1); \
	int			c = compare(a, b); \
\
	PG_FREE_IF_COPY(a, 0); \
	PG_FREE_IF_COPY(b, 1); \
	return (result); \
}

#define PGVQ_BTREE_FUNCTIONS(prefix, ctype, getarg, compare) \
	PGVQ_CMP_FUNCTION(prefix##_lt, ctype, getarg, compare, BoolGetDatum(c < 0)) \
	PGVQ_CMP_FUNCTION(prefix##_le, ctype, getarg, compare, BoolGetDatum(c <= 0)) \
	PGVQ_CMP_FUNCTION(prefix##_eq, ctype, getarg, compare, BoolGetDatum(c == 0)) \
	PGVQ_CMP_FUNCTION(prefix##_ne, ctype, getarg, compare, BoolGetDatum(c != 0)) \
	PGVQ_CMP_FUNCTION(prefix##_ge, ctype, getarg, compare, BoolGetDatum(c >= 0)) \
	PGVQ_CMP_FUNCTION(prefix##_gt, ctype, getarg, compare, BoolGetDatum(c > 0)) \
	PGVQ_CMP_FUNCTION(prefix##_cmp, ctype, getarg, compare, Int32GetDatum(c))

/* The core's cancellation callback: reads the interrupt flags, calls nothing. */
extern int	PgvqShouldStop(void *arg);

/*
 * Turns a core status into a Postgres error (no C++ frame is on the stack when
 * the glue calls this).  PGVQ_CANCELLED runs CHECK_FOR_INTERRUPTS() first and
 * raises query_canceled if that returned.  PGVQ_OK returns.
 */
extern void PgvqCheckStatus(int rc, const pgvq_status *st, const char *what);

#include "storage/bufmgr.h"
#include "utils/rel.h"

struct IndexAmRoutine;
extern void PgvqSetOrderingAmFlags(struct IndexAmRoutine *amroutine);
struct PlannerInfo;
struct IndexPath;
extern void PgvqOrderByParallelSafety(struct PlannerInfo *root, struct IndexPath *path);
extern double PgvqRowsNeeded(struct PlannerInfo *root, struct IndexPath *path);
extern double PgvqStartupForRows(double needed, double rows, double costNeeded, double total,
								 double minStartup);

/*
 * distance_cost.c: the cost of reading one value of a table's column (range
 * table entry varno, column attno) whose values have raw size bytes: a TOAST
 * fetch when they are stored out of line, else 0.  Never raises.
 */
extern double PgvqColumnDetoastCost(struct PlannerInfo *root, int varno, AttrNumber attno,
									double bytes);

/* Each access method registers its GUCs and reloptions from _PG_init. */
extern void FlatInit(void);
extern void IvfpqInit(void);

#endif							/* PGVQ_H */
