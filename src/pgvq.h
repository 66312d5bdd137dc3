/*
 * pgvq.h: shared declarations of the Postgres glue (the C files under src/).
 */
#ifndef PGVQ_H
#define PGVQ_H

#include "postgres.h"

#include "pgvq_core.h"

/* Version shims live here: add #if PG_VERSION_NUM blocks as 16-18 arrive. */
#if PG_VERSION_NUM < 150000
#error "pgvq needs PostgreSQL 15 or later"
#endif

/*
 * Declares an SQL-callable C function.  The library is built with
 * -fvisibility=hidden; on PostgreSQL 15 PG_FUNCTION_INFO_V1 exports only the
 * info function, so the function itself is exported here.
 */
#define PGVQ_FUNCTION(name) \
	extern PGDLLEXPORT Datum name(PG_FUNCTION_ARGS); \
	PG_FUNCTION_INFO_V1(name)

/* The core's cancellation callback: reads the interrupt flags, calls nothing. */
extern int	PgvqShouldStop(void *arg);

/*
 * Turns a core status into a Postgres error (no C++ frame is on the stack when
 * the glue calls this).  PGVQ_CANCELLED runs CHECK_FOR_INTERRUPTS() first and
 * raises query_canceled if that returned.  PGVQ_OK returns.
 */
extern void PgvqCheckStatus(int rc, const pgvq_status *st, const char *what);

struct IndexAmRoutine;
extern void PgvqSetOrderingAmFlags(struct IndexAmRoutine *amroutine);

/* Each access method registers its GUCs and reloptions from _PG_init. */
extern void FlatInit(void);
extern void IvfpqInit(void);

#endif							/* PGVQ_H */
