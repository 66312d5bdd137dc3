/*
 * sparsevec.h: the sparsevec type, byte-compatible with pgvector 0.8's
 * SparseVector: dim, nnz, unused (0), then nnz 0-based int32 indices in
 * ascending order, then their nnz float4 values (never zero).  The same
 * binary form and detoasting rules apply.
 */
#ifndef PGVQ_SPARSEVEC_H
#define PGVQ_SPARSEVEC_H

#include "postgres.h"

#include <math.h>

#include "fmgr.h"

#include "pgvq.h"

#define SPARSEVEC_MAX_DIM PGVQ_SPARSEVEC_MAX_DIM
#define SPARSEVEC_MAX_NNZ PGVQ_SPARSEVEC_MAX_NNZ

typedef struct SparseVector
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	int32		dim;			/* number of dimensions */
	int32		nnz;			/* number of non-zero elements */
	int32		unused;			/* reserved, always zero */
	int32		indices[FLEXIBLE_ARRAY_MEMBER];
	/* float values[nnz] follow the indices */
} SparseVector;

#define DatumGetSparseVector(x)		((SparseVector *) PG_DETOAST_DATUM(x))
#define PG_GETARG_SPARSEVEC_P(x)	DatumGetSparseVector(PG_GETARG_DATUM(x))
#define PG_RETURN_SPARSEVEC_P(x)	PG_RETURN_POINTER(x)

static inline Size
SparsevecSize(int nnz)
{
	return offsetof(SparseVector, indices) + (sizeof(int32) + sizeof(float)) * (Size) nnz;
}

static inline float *
SparsevecValues(SparseVector *v)
{
	return (float *) ((char *) v + offsetof(SparseVector, indices) + sizeof(int32) * (Size) v->nnz);
}

extern SparseVector *InitSparseVector(int dim, int nnz);

/* ---- checks: pgvector's messages and SQLSTATEs ---------------------------------- */

static inline void
SparsevecCheckDims(const SparseVector *a, const SparseVector *b)
{
	if (a->dim != b->dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different sparsevec dimensions %d and %d", a->dim, b->dim)));
}

static inline void
SparsevecCheckDimLow(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("sparsevec must have at least 1 dimension")));
}

static inline void
SparsevecCheckDimHigh(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("sparsevec cannot have more than %d dimensions", SPARSEVEC_MAX_DIM)));
}

/* 1 <= dim <= SPARSEVEC_MAX_DIM */
static inline void
SparsevecCheckDim(int dim)
{
	if (dim < 1)
		SparsevecCheckDimLow();
	if (dim > SPARSEVEC_MAX_DIM)
		SparsevecCheckDimHigh();
}

/* 0 <= nnz <= min(SPARSEVEC_MAX_NNZ, dim) */
static inline void
SparsevecCheckNnz(int nnz, int dim)
{
	if (nnz < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("sparsevec cannot have negative number of elements")));
	if (nnz > SPARSEVEC_MAX_NNZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sparsevec cannot have more than %d non-zero elements", SPARSEVEC_MAX_NNZ)));
	if (nnz > dim)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sparsevec cannot have more elements than dimensions")));
}

static inline void
SparsevecCheckElement(float value)
{
	if (isnan(value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("NaN not allowed in sparsevec")));
	if (isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("infinite value not allowed in sparsevec")));
}

#endif							/* PGVQ_SPARSEVEC_H */
