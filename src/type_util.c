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

int
PgvqArrayCheck(ArrayType *array)
{
	Oid			elemtype = ARR_ELEMTYPE(array);

	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("array must be 1-D")));

	if (ARR_HASNULL(array) && array_contains_nulls(array))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("array must not contain nulls")));

	if (elemtype != INT4OID && elemtype != FLOAT4OID &&
		elemtype != FLOAT8OID && elemtype != NUMERICOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("unsupported array type")));

	/* The count, before a possibly huge array is deconstructed. */
	return ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array));
}

void
PgvqArrayToFloats(ArrayType *array, float *out, int n)
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

	for (int i = 0; i < nelems; i++)
	{
		switch (elemtype)
		{
			case INT4OID:
				out[i] = (float) DatumGetInt32(elems[i]);
				break;
			case FLOAT4OID:
				out[i] = DatumGetFloat4(elems[i]);
				break;
			case FLOAT8OID:
				out[i] = (float) DatumGetFloat8(elems[i]);
				break;
			default:
				out[i] = DatumGetFloat4(DirectFunctionCall1(numeric_float4, elems[i]));
				break;
		}
	}
	pfree(elems);
}
