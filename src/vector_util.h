/*
 * vector_util.h: the vector type's argument checks, shared by vector.c and
 * vector_ops.c.  Messages and SQLSTATEs are pgvector's, so applications that
 * match on them keep working.
 */
#ifndef PGVQ_VECTOR_UTIL_H
#define PGVQ_VECTOR_UTIL_H

#include "postgres.h"

#include <math.h>

#include "fmgr.h"

#include "pgvq.h"
#include "vector.h"

/* Declares an SQL-callable function (see PGVQ_FUNCTION in pgvq.h). */
#define VECTOR_FUNCTION(name) PGVQ_FUNCTION(name)

/* Both operands of a binary vector function must have the same length. */
static inline void
VectorCheckDims(const Vector *a, const Vector *b)
{
	if (a->dim != b->dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different vector dimensions %d and %d", a->dim, b->dim)));
}

/* A value for a vector(typmod) column must have typmod dimensions. */
static inline void
VectorCheckExpectedDim(int32 typmod, int dim)
{
	if (typmod != -1 && typmod != dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected %d dimensions, not %d", typmod, dim)));
}

/* 1 <= dim <= VECTOR_MAX_DIM */
static inline void
VectorCheckDim(int dim)
{
	if (dim < 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("vector must have at least 1 dimension")));
	if (dim > VECTOR_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("vector cannot have more than %d dimensions", VECTOR_MAX_DIM)));
}

/* Elements are finite. */
static inline void
VectorCheckElement(float value)
{
	if (isnan(value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("NaN not allowed in vector")));
	if (isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("infinite value not allowed in vector")));
}

#endif							/* PGVQ_VECTOR_UTIL_H */
