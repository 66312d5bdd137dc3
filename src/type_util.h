/*
 * type_util.h: helpers shared by the vector types' glue (vector.c,
 * sparsevec.c): the type modifier and the array casts, with pgvector's
 * messages and SQLSTATEs.
 */
#ifndef PGVQ_TYPE_UTIL_H
#define PGVQ_TYPE_UTIL_H

#include "postgres.h"

#include "utils/array.h"

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

/* The elements of a checked array as float4 (n = PgvqArrayCheck's count). */
extern void PgvqArrayToFloats(ArrayType *array, float *out, int n);

#endif							/* PGVQ_TYPE_UTIL_H */
