/*
 * type_util.c: the type modifier and the array casts of the vector types.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"

#include "type_util.h"

int32
PgvqTypmodIn(ArrayType *ta, const char *typname, int32 maxdim)
{
	int32	   *tl;
	int			n;

	tl = ArrayGetIntegerTypmods(ta, &n);

	if (n != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid type modifier")));
	if (tl[0] < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimensions for type %s must be at least 1", typname)));
	if (tl[0] > maxdim)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimensions for type %s cannot exceed %d", typname, maxdim)));

	return tl[0];
}

/* 1-D, no NULLs. */
static void
ArrayCheckShape(ArrayType *array)
{
	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("array must be 1-D")));

	if (ARR_HASNULL(array) && array_contains_nulls(array))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("array must not contain nulls")));
}

void
PgvqArrayCheckType(ArrayType *array)
{
	Oid			elemtype = ARR_ELEMTYPE(array);

	if (elemtype != INT4OID && elemtype != FLOAT4OID &&
		elemtype != FLOAT8OID && elemtype != NUMERICOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("unsupported array type")));
}

int
PgvqArrayCheck(ArrayType *array)
{
	ArrayCheckShape(array);
	PgvqArrayCheckType(array);

	/* The count, before a possibly huge array is deconstructed. */
	return ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array));
}

int
PgvqArrayCheckShape(ArrayType *array)
{
	ArrayCheckShape(array);
	return ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array));
}

Datum *
PgvqArrayElements(ArrayType *array, int n)
{
	Oid			elemtype = ARR_ELEMTYPE(array);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	int			nelems;

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(array, elemtype, typlen, typbyval, typalign, &elems, NULL, &nelems);
	if (nelems != n)
		elog(ERROR, "array has %d elements, expected %d", nelems, n);
	return elems;
}

float
PgvqArrayElementFloat(Oid elemtype, Datum d)
{
	switch (elemtype)
	{
		case INT4OID:
			return (float) DatumGetInt32(d);
		case FLOAT4OID:
			return DatumGetFloat4(d);
		case FLOAT8OID:
			return (float) DatumGetFloat8(d);
		default:
			return DatumGetFloat4(DirectFunctionCall1(numeric_float4, d));
	}
}

void
PgvqArrayToFloats(ArrayType *array, float *out, int n)
{
	Datum	   *elems = PgvqArrayElements(array, n);

	for (int i = 0; i < n; i++)
		out[i] = PgvqArrayElementFloat(ARR_ELEMTYPE(array), elems[i]);
	pfree(elems);
}

ArrayType *
PgvqFloatsToArray(const float *x, int n)
{
	Datum	   *datums = (Datum *) palloc(sizeof(Datum) * Max(n, 1));
	ArrayType  *result;

	for (int i = 0; i < n; i++)
		datums[i] = Float4GetDatum(x[i]);

	result = construct_array(datums, n, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT);
	pfree(datums);
	return result;
}

void
PgvqInsufficientData(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROTOCOL_VIOLATION),
			 errmsg("insufficient data left in message")));
}
