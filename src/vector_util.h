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
#include "utils/array.h"

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

/*
 * 1 - cos(a, b) from float parts, as pgvector computes it: one sqrt of the
 * product (not a product of two sqrts), in double, the similarity clamped to
 * [-1, 1] (rounding can push it past); NaN when a norm is zero.
 */
static inline double
VectorCosineFromParts(float dot, float norma, float normb)
{
	double		similarity = (double) dot / sqrt((double) norma * (double) normb);

	if (similarity > 1.0)
		similarity = 1.0;
	else if (similarity < -1.0)
		similarity = -1.0;
	return 1.0 - similarity;
}

/* acos(<a,b>) / pi of unit vectors, the dot clamped to [-1, 1]. */
static inline double
VectorSphericalFromDot(double dot)
{
	if (dot > 1.0)
		dot = 1.0;
	else if (dot < -1.0)
		dot = -1.0;
	return acos(dot) / M_PI;
}

/*
 * Element slots for parsing a text form of len characters: n elements need
 * at least 2n + 1 characters ("[" and n - 1 commas, "]"), so len / 2 + 1
 * slots can never run out before the dimension limit maxdim does.
 */
static inline int
VectorTextCapacity(size_t len, int maxdim)
{
	return (len / 2 + 1 < (size_t) maxdim) ? (int) (len / 2 + 1) : maxdim;
}

/*
 * Elements of elemsize bytes a binary message of avail bytes can hold after
 * its 4-byte header, at most maxdim.
 */
static inline size_t
VectorBinaryCapacity(size_t avail, size_t elemsize, int maxdim)
{
	return (avail >= 4) ? Min((avail - 4) / elemsize, (size_t) maxdim) : 0;
}

/*
 * Shared with halfvec, whose text form and aggregate state are vector's
 * (vector.c, vector_ops.c).
 */
pg_noreturn extern void VectorTextError(const char *typname, const char *lit, int rc, int pos);
pg_noreturn extern void VectorOutOfRangeToken(const char *typname, const char *start);
extern char *VectorFloatsOut(const float *x, int dim);
extern void VectorBinaryCheck(const char *typname, int rc, int dim, int unused, size_t avail);

/* The avg state, a float8[] {n, sum_1, ..., sum_dim}, checked before use. */
extern float8 *VectorStateValues(ArrayType *state, const char *caller, int *dim);
extern ArrayType *VectorStateBuild(float8 n, const float8 *sums, int dim);
extern ArrayType *VectorStateAccum(ArrayType *state, const float *x, int xdim, const char *caller);
extern float *VectorStateMeans(ArrayType *state, const char *caller, void (*checkdim) (int), int *dim);

/* Element-wise arithmetic of float arrays (vector_ops.c), used by halfvec too. */
typedef enum FloatsArithOp
{
	FLOATS_ADD,
	FLOATS_SUB,
	FLOATS_MUL
} FloatsArithOp;

extern void FloatsArith(const float *a, const float *b, float *out, int n, FloatsArithOp op);
extern void FloatsArithCheck(const float *a, const float *b, const float *r, int n, FloatsArithOp op);

/* Declares name(a, b), returning arith(a, b, op) for two getarg arguments. */
#define PGVQ_ARITH_FUNCTION(name, getarg, arith, op) \
PGVQ_FUNCTION(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_POINTER(arith(getarg(0), getarg(1), op)); \
}

/* The part of a dim-element value subvector() takes (vector_ops.c). */
extern int	VectorSubvectorRange(int dim, int32 start, int32 count, const char *typname, int *offset);

#endif							/* PGVQ_VECTOR_UTIL_H */
