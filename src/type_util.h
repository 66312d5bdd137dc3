/*
 * type_util.h: helpers shared by the vector types' glue (vector.c,
 * halfvec.c, sparsevec.c): the type modifier, the array casts and the binary
 * form's short-message error, with pgvector's messages and SQLSTATEs.
 */
#ifndef PGVQ_TYPE_UTIL_H
#define PGVQ_TYPE_UTIL_H

#include "postgres.h"

#include "utils/array.h"

#include "pg_compat.h"

/*
 * The typmod_in of a vector type: exactly one modifier in [1, maxdim];
 * typname names the type in the messages.
 */
extern int32 PgvqTypmodIn(ArrayType *ta, const char *typname, int32 maxdim);

/*
 * The element count of an array cast to a vector type, after pgvector's
 * checks: 1-D, no NULLs, element type integer, real, double precision or
 * numeric.
 */
extern int	PgvqArrayCheck(ArrayType *array);

/*
 * PgvqArrayCheck in two steps, for a type (halfvec) that checks the
 * dimensions between them: shape and NULLs (returning the count), then the
 * element type.
 */
extern int	PgvqArrayCheckShape(ArrayType *array);
extern void PgvqArrayCheckType(ArrayType *array);

/* The n elements of a checked array (palloc'd Datums). */
extern Datum *PgvqArrayElements(ArrayType *array, int n);

/* One element of a checked array as float4, by the array's element type. */
extern float PgvqArrayElementFloat(Oid elemtype, Datum d);

/* The elements of a checked array as float4 (n = PgvqArrayCheck's count). */
extern void PgvqArrayToFloats(ArrayType *array, float *out, int n);

/* n floats as a real[]. */
extern ArrayType *PgvqFloatsToArray(const float *x, int n);

/* What pq_getmsgint says on a short message. */
pg_noreturn extern void PgvqInsufficientData(void);

#endif							/* PGVQ_TYPE_UTIL_H */
