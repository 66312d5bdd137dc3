/*
 * halfvec.c: the halfvec type's input/output, type modifier and casts
 * (pgvector 0.8's halfvec: IEEE binary16 elements, 1 to 16000 dimensions).
 *
 * The text form is vector's, "[1,2,3]": the core's vector parser reads the
 * floats, then each is rounded to the nearest half (ties to even), and a
 * finite value that rounds past 65504 is an error, as in pgvector.  Output is
 * the shortest decimal of the element's float value (pgvector prints the same).
 * The binary form is pgvector's: uint16 dim, uint16 unused (0), then dim
 * halves, all in network byte order.  Errors use pgvector's SQLSTATEs and
 * messages.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"

#include "pgvq.h"
#include "halfvec.h"
#include "vector.h"
#include "type_util.h"
#include "vector_util.h"

HalfVector *
InitHalfVector(int dim)
{
	HalfVector *result;
	Size		size;

	/* Callers check the range; this keeps a bad caller from overflowing. */
	Assert(dim >= 0 && dim <= HALFVEC_MAX_DIM);
	if (dim < 0 || dim > HALFVEC_MAX_DIM)
		elog(ERROR, "invalid halfvec dimension count %d", dim);

	size = HALFVEC_SIZE(dim);
	result = (HalfVector *) palloc0(size);
	SET_VARSIZE(result, size);
	result->dim = (int16) dim;
	result->unused = 0;

	return result;
}

float *
HalfvecToFloats(const HalfVector *v)
{
	float	   *out = (float *) palloc(sizeof(float) * Max(v->dim, 1));

	pgvq_half_to_float_n(v->x, (size_t) v->dim, out);
	return out;
}

void
HalfvecOutOfRange(float value)
{
	char		buf[FLOAT_SHORTEST_DECIMAL_LEN];

	float_to_shortest_decimal_buf(value, buf);
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("\"%s\" is out of range for type halfvec", buf)));
}

void
HalfvecFromFloats(const float *in, int dim, uint16 *out)
{
	size_t		bad = pgvq_float_to_half_n(in, (size_t) dim, out);

	if (bad < (size_t) dim)
		HalfvecOutOfRange(in[bad]);
}

void
HalfvecCheckDims(const HalfVector *a, const HalfVector *b)
{
	if (a->dim != b->dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different halfvec dimensions %d and %d", a->dim, b->dim)));
}

void
HalfvecCheckDim(int dim)
{
	if (dim < 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("halfvec must have at least 1 dimension")));
	if (dim > HALFVEC_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("halfvec cannot have more than %d dimensions", HALFVEC_MAX_DIM)));
}

void
HalfvecCheckElement(uint16 h)
{
	if (PGVQ_HALF_IS_NAN(h))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("NaN not allowed in halfvec")));
	if (PGVQ_HALF_IS_INF(h))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("infinite value not allowed in halfvec")));
}

/* ---- text input / output ------------------------------------------------ */

PGVQ_FUNCTION(halfvec_in);
Datum
halfvec_in(PG_FUNCTION_ARGS)
{
	char	   *lit = PG_GETARG_CSTRING(0);
	int32		typmod = PG_GETARG_INT32(2);
	int			cap;
	float	   *values;
	uint16	   *halves;
	int			dim = 0;
	int			pos = 0;
	int			rc;
	size_t		bad;
	HalfVector *result;

	cap = VectorTextCapacity(strlen(lit), HALFVEC_MAX_DIM);
	values = (float *) palloc(sizeof(float) * cap);
	halves = (uint16 *) palloc(sizeof(uint16) * cap);

	rc = pgvq_parse_vector(lit, values, cap, &dim, &pos);

	/*
	 * pgvector checks each element for a half overflow as soon as it reads
	 * it, so one among those read before the parser stopped comes first.
	 * Its text is found by parsing again with room for just the elements
	 * before it: the parser then stops at its start.
	 */
	bad = pgvq_float_to_half_n(values, (size_t) dim, halves);
	if (bad < (size_t) dim)
	{
		(void) pgvq_parse_vector(lit, values, (int) bad, &dim, &pos);
		VectorOutOfRangeToken("halfvec", lit + pos);
	}
	if (rc != PGVQ_PARSE_OK)
		VectorTextError("halfvec", lit, rc, pos);

	HalfvecCheckDim(dim);
	VectorCheckExpectedDim(typmod, dim);

	result = InitHalfVector(dim);
	memcpy(result->x, halves, sizeof(uint16) * dim);
	pfree(values);
	pfree(halves);

	PG_RETURN_HALFVEC_P(result);
}

PGVQ_FUNCTION(halfvec_out);
Datum
halfvec_out(PG_FUNCTION_ARGS)
{
	HalfVector *v = PG_GETARG_HALFVEC_P(0);
	float	   *values = HalfvecToFloats(v);
	char	   *buf = VectorFloatsOut(values, v->dim);

	pfree(values);
	PG_FREE_IF_COPY(v, 0);
	PG_RETURN_CSTRING(buf);
}

PGVQ_FUNCTION(halfvec_typmod_in);
Datum
halfvec_typmod_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(PgvqTypmodIn(PG_GETARG_ARRAYTYPE_P(0), "halfvec", HALFVEC_MAX_DIM));
}

/* ---- binary input / output ---------------------------------------------- */

PGVQ_FUNCTION(halfvec_recv);
Datum
halfvec_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int32		typmod = PG_GETARG_INT32(2);
	const unsigned char *data = (const unsigned char *) buf->data + buf->cursor;
	size_t		avail = (size_t) (buf->len - buf->cursor);
	size_t		cap;
	uint16	   *values;
	int			dim = 0;
	int			unused = 0;
	int			rc;
	HalfVector *result;

	/* Room for what the message can hold (see pgvq_parse_halfvec_binary). */
	cap = VectorBinaryCapacity(avail, sizeof(uint16), HALFVEC_MAX_DIM);
	values = (uint16 *) palloc(sizeof(uint16) * Max(cap, 1));

	rc = pgvq_parse_halfvec_binary(data, avail, values, HALFVEC_MAX_DIM, &dim, &unused);

	if (rc == PGVQ_BINARY_SHORT_HEADER)
		PgvqInsufficientData();

	/* pgvector's order: dimension range, type modifier, then the rest. */
	HalfvecCheckDim(dim);
	VectorCheckExpectedDim(typmod, dim);

	VectorBinaryCheck("halfvec", rc, dim, unused, avail);

	/* Consume exactly the halfvec; the caller refuses any bytes left over. */
	buf->cursor += (int) PGVQ_HALF_BINARY_SIZE(dim);

	result = InitHalfVector(dim);
	memcpy(result->x, values, sizeof(uint16) * dim);
	pfree(values);

	PG_RETURN_HALFVEC_P(result);
}

PGVQ_FUNCTION(halfvec_send);
Datum
halfvec_send(PG_FUNCTION_ARGS)
{
	HalfVector *v = PG_GETARG_HALFVEC_P(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint16(&buf, (uint16) v->dim);
	pq_sendint16(&buf, (uint16) v->unused);
	for (int i = 0; i < v->dim; i++)
		pq_sendint16(&buf, v->x[i]);

	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---- casts ---------------------------------------------------------------- */

/* halfvec -> halfvec(n): enforces the type modifier. */
PGVQ_FUNCTION(halfvec);
Datum
halfvec(PG_FUNCTION_ARGS)
{
	HalfVector *v = PG_GETARG_HALFVEC_P(0);
	int32		typmod = PG_GETARG_INT32(1);

	VectorCheckExpectedDim(typmod, v->dim);

	PG_RETURN_HALFVEC_P(v);
}

/*
 * integer[], real[], double precision[], numeric[] -> halfvec.  pgvector's
 * order: shape, NULLs, dimensions, element type, then each element converted
 * and checked for overflow in turn, then each checked for NaN and infinity.
 */
PGVQ_FUNCTION(array_to_halfvec);
Datum
array_to_halfvec(PG_FUNCTION_ARGS)
{
	ArrayType  *array = PG_GETARG_ARRAYTYPE_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	int			nelems = PgvqArrayCheckShape(array);
	Datum	   *elems;
	HalfVector *result;

	HalfvecCheckDim(nelems);
	VectorCheckExpectedDim(typmod, nelems);
	PgvqArrayCheckType(array);

	elems = PgvqArrayElements(array, nelems);
	result = InitHalfVector(nelems);
	for (int i = 0; i < nelems; i++)
	{
		float		f = PgvqArrayElementFloat(ARR_ELEMTYPE(array), elems[i]);

		result->x[i] = pgvq_float_to_half(f);
		if (PGVQ_HALF_IS_INF(result->x[i]) && !isinf(f))
			HalfvecOutOfRange(f);
	}
	pfree(elems);

	for (int i = 0; i < nelems; i++)
		HalfvecCheckElement(result->x[i]);

	PG_RETURN_HALFVEC_P(result);
}

/* halfvec -> real[] */
PGVQ_FUNCTION(halfvec_to_float4);
Datum
halfvec_to_float4(PG_FUNCTION_ARGS)
{
	HalfVector *v = PG_GETARG_HALFVEC_P(0);
	float	   *values = HalfvecToFloats(v);
	ArrayType  *result = PgvqFloatsToArray(values, v->dim);

	pfree(values);
	PG_RETURN_ARRAYTYPE_P(result);
}

/* vector -> halfvec: each element rounded; one past 65504 is an error. */
PGVQ_FUNCTION(vector_to_halfvec);
Datum
vector_to_halfvec(PG_FUNCTION_ARGS)
{
	Vector	   *v = PG_GETARG_VECTOR_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	HalfVector *result;

	HalfvecCheckDim(v->dim);
	VectorCheckExpectedDim(typmod, v->dim);

	result = InitHalfVector(v->dim);
	HalfvecFromFloats(v->x, v->dim, result->x);

	PG_RETURN_HALFVEC_P(result);
}

/* halfvec -> vector: exact. */
PGVQ_FUNCTION(halfvec_to_vector);
Datum
halfvec_to_vector(PG_FUNCTION_ARGS)
{
	HalfVector *v = PG_GETARG_HALFVEC_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	Vector	   *result;

	VectorCheckDim(v->dim);
	VectorCheckExpectedDim(typmod, v->dim);

	result = InitVector(v->dim);
	pgvq_half_to_float_n(v->x, (size_t) v->dim, result->x);

	PG_RETURN_VECTOR_P(result);
}
