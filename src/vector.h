/*
 * vector.h: the on-disk and in-memory form of the vector type.
 * Byte-compatible with pgvector's Vector, so the same binary send/receive form
 * and the same detoasting rules apply.
 */
#ifndef PGVQ_VECTOR_H
#define PGVQ_VECTOR_H

#include "postgres.h"
#include "fmgr.h"

#define VECTOR_MAX_DIM 16000

typedef struct Vector
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	int16		dim;			/* number of dimensions */
	int16		unused;			/* reserved for future use, always zero */
	float		x[FLEXIBLE_ARRAY_MEMBER];
} Vector;

#define VECTOR_SIZE(_dim)		(offsetof(Vector, x) + sizeof(float) * (_dim))
#define DatumGetVector(x)		((Vector *) PG_DETOAST_DATUM(x))
#define PG_GETARG_VECTOR_P(x)	DatumGetVector(PG_GETARG_DATUM(x))
#define PG_RETURN_VECTOR_P(x)	PG_RETURN_POINTER(x)

extern Vector *InitVector(int dim);
extern double FloatsNormL2(const float *x, int dim);

#endif							/* PGVQ_VECTOR_H */
