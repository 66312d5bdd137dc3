/*
 * halfvec.h: the on-disk and in-memory form of the halfvec type.
 * Byte-compatible with pgvector's HalfVector (IEEE binary16 elements kept as
 * their bit patterns), so the same binary send/receive form and the same
 * detoasting rules apply.
 */
#ifndef PGVQ_HALFVEC_H
#define PGVQ_HALFVEC_H

#include "postgres.h"
#include "fmgr.h"

#include "pg_compat.h"

#include "pgvq_core_half.h"

#define HALFVEC_MAX_DIM 16000

typedef struct HalfVector
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	int16		dim;			/* number of dimensions */
	int16		unused;			/* reserved for future use, always zero */
	uint16		x[FLEXIBLE_ARRAY_MEMBER];	/* binary16 bit patterns */
} HalfVector;

#define HALFVEC_SIZE(_dim)		(offsetof(HalfVector, x) + sizeof(uint16) * (_dim))
#define DatumGetHalfVector(x)	((HalfVector *) PG_DETOAST_DATUM(x))
#define PG_GETARG_HALFVEC_P(x)	DatumGetHalfVector(PG_GETARG_DATUM(x))
#define PG_RETURN_HALFVEC_P(x)	PG_RETURN_POINTER(x)

extern HalfVector *InitHalfVector(int dim);

/* The elements as floats (exact), in a palloc'd array. */
extern float *HalfvecToFloats(const HalfVector *v);

/*
 * Converts dim floats into out, with pgvector's Float4ToHalf check: a finite
 * float that rounds past 65504 raises "... is out of range for type halfvec".
 * Infinite and NaN inputs pass through (the caller's element check rejects
 * them).
 */
extern void HalfvecFromFloats(const float *in, int dim, uint16 *out);

/* The error HalfvecFromFloats raises for value. */
pg_noreturn extern void HalfvecOutOfRange(float value);

/* pgvector's argument checks and messages. */
extern void HalfvecCheckDims(const HalfVector *a, const HalfVector *b);
extern void HalfvecCheckDim(int dim);
extern void HalfvecCheckElement(uint16 h);

#endif							/* PGVQ_HALFVEC_H */
