/*
 * sparsevec.c: the sparsevec type's input/output, type modifier and casts.
 *
 * The text form is pgvector's "{1:1.5,3:2}/5" (1-based indices; parsed by
 * the core's pgvq_parse_sparsevec), the binary form pgvector's: int32 dim,
 * int32 nnz, int32 unused (0), nnz 0-based int32 indices, nnz float4 values,
 * all in network byte order.  Errors use pgvector's SQLSTATEs and messages,
 * raised in pgvector's order.
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

#include "halfvec.h"
#include "pgvq.h"
#include "sparsevec.h"
#include "type_util.h"
#include "vector.h"
#include "vector_util.h"

SparseVector *
InitSparseVector(int dim, int nnz)
{
	SparseVector *result;
	Size		size;

	if (nnz < 0 || nnz > SPARSEVEC_MAX_NNZ)
		elog(ERROR, "invalid sparsevec element count %d", nnz);

	size = SparsevecSize(nnz);
	result = (SparseVector *) palloc0(size);
	SET_VARSIZE(result, size);
	result->dim = dim;
	result->nnz = nnz;
	result->unused = 0;

	return result;
}

/* A sparsevec of a parser's output arrays, which it frees. */
static SparseVector *
SparsevecFromArrays(int dim, int nnz, int32 *indices, float *values)
{
	SparseVector *result = InitSparseVector(dim, nnz);

	memcpy(result->indices, indices, sizeof(int32) * nnz);
	memcpy(SparsevecValues(result), values, sizeof(float) * nnz);
	pfree(indices);
	pfree(values);
	return result;
}

/* The index errors the parsers report once the dimensions are known good. */
static void
SparsevecIndexError(int rc)
{
	switch (rc)
	{
		case PGVQ_SPARSE_INDEX_BOUNDS:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("sparsevec index out of bounds")));
			break;
		case PGVQ_SPARSE_INDEX_ORDER:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("sparsevec indices must be in ascending order")));
			break;
		case PGVQ_SPARSE_INDEX_DUP:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("sparsevec indices must not contain duplicates")));
			break;
		default:
			break;
	}
}

/* ---- text input / output ------------------------------------------------ */

/* The errors found before the dimensions are checked against the typmod. */
static void
SparsevecTextError(int rc, const char *lit, const pgvq_sparse_info *info)
{
	switch (rc)
	{
		case PGVQ_SPARSE_SYNTAX:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type sparsevec: \"%s\"", lit)));
			break;
		case PGVQ_SPARSE_SYNTAX_START:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type sparsevec: \"%s\"", lit),
					 errdetail("Vector contents must start with \"{\".")));
			break;
		case PGVQ_SPARSE_SYNTAX_END:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type sparsevec: \"%s\"", lit),
					 errdetail("Unexpected end of input.")));
			break;
		case PGVQ_SPARSE_SYNTAX_JUNK:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type sparsevec: \"%s\"", lit),
					 errdetail("Junk after closing.")));
			break;
		case PGVQ_SPARSE_OUT_OF_RANGE:
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("\"%s\" is out of range for type sparsevec",
							pnstrdup(lit + info->err_pos, info->err_len))));
			break;
		case PGVQ_SPARSE_NAN:
			SparsevecCheckElement(NAN);
			break;
		case PGVQ_SPARSE_INFINITE:
			SparsevecCheckElement(INFINITY);
			break;
		case PGVQ_SPARSE_BUFFER:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("ran out of buffer: \"%s\"", lit)));
			break;
		case PGVQ_SPARSE_DIM_LOW:
			SparsevecCheckDimLow();
			break;
		case PGVQ_SPARSE_DIM_HIGH:
			SparsevecCheckDimHigh();
			break;
		case PGVQ_SPARSE_OK:
		case PGVQ_SPARSE_INDEX_BOUNDS:
		case PGVQ_SPARSE_INDEX_DUP:
			break;
		default:
			elog(ERROR, "unexpected sparsevec parser result %d", rc);
	}
}

PGVQ_FUNCTION(sparsevec_in);
Datum
sparsevec_in(PG_FUNCTION_ARGS)
{
	char	   *lit = PG_GETARG_CSTRING(0);
	int32		typmod = PG_GETARG_INT32(2);
	size_t		cap = pgvq_sparsevec_text_capacity(lit);
	int32	   *indices;
	float	   *values;
	pgvq_sparse_info info;
	int			rc;

	/* pgvector counts the commas first: no text with more is looked at. */
	if (cap > SPARSEVEC_MAX_NNZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sparsevec cannot have more than %d non-zero elements", SPARSEVEC_MAX_NNZ)));

	indices = (int32 *) palloc(sizeof(int32) * cap);
	values = (float *) palloc(sizeof(float) * cap);
	rc = pgvq_parse_sparsevec(lit, indices, values, cap, &info);

	SparsevecTextError(rc, lit, &info);
	VectorCheckExpectedDim(typmod, info.dim);
	SparsevecIndexError(rc);

	PG_RETURN_SPARSEVEC_P(SparsevecFromArrays(info.dim, info.nnz, indices, values));
}

PGVQ_FUNCTION(sparsevec_out);
Datum
sparsevec_out(PG_FUNCTION_ARGS)
{
	SparseVector *v = PG_GETARG_SPARSEVEC_P(0);
	float	   *values = SparsevecValues(v);
	char	   *buf;
	char	   *p;

	/*
	 * Per element: an index (at most 11 characters with a sign), ":", the
	 * value (under FLOAT_SHORTEST_DECIMAL_LEN) and ","; then "{}/", the
	 * dimensions and the terminator.
	 */
	buf = (char *) palloc(add_size(mul_size(13 + FLOAT_SHORTEST_DECIMAL_LEN, Max(v->nnz, 0)), 16));
	p = buf;
	*p++ = '{';
	for (int i = 0; i < v->nnz; i++)
	{
		if (i > 0)
			*p++ = ',';
		p += pg_ltoa(v->indices[i] + 1, p);
		*p++ = ':';
		p += float_to_shortest_decimal_bufn(values[i], p);
	}
	*p++ = '}';
	*p++ = '/';
	p += pg_ltoa(v->dim, p);
	*p = '\0';

	PG_FREE_IF_COPY(v, 0);
	PG_RETURN_CSTRING(buf);
}

PGVQ_FUNCTION(sparsevec_typmod_in);
Datum
sparsevec_typmod_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(PgvqTypmodIn(PG_GETARG_ARRAYTYPE_P(0), "sparsevec", SPARSEVEC_MAX_DIM));
}

/* ---- binary input / output ---------------------------------------------- */

PGVQ_FUNCTION(sparsevec_recv);
Datum
sparsevec_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int32		typmod = PG_GETARG_INT32(2);
	const unsigned char *data = (const unsigned char *) buf->data + buf->cursor;
	size_t		avail = (size_t) (buf->len - buf->cursor);
	size_t		cap;
	int32	   *indices;
	float	   *values;
	pgvq_sparse_info info;
	int			rc;

	/* The core writes only a vector it found complete and valid. */
	cap = (avail >= 12) ? Min((avail - 12) / 8, (size_t) SPARSEVEC_MAX_NNZ) : 0;
	indices = (int32 *) palloc(sizeof(int32) * Max(cap, 1));
	values = (float *) palloc(sizeof(float) * Max(cap, 1));
	rc = pgvq_parse_sparsevec_binary(data, avail, indices, values, cap, &info);

	/* pgvector's order: header, dimensions, element count, type modifier. */
	if (rc == PGVQ_SPARSE_SHORT_HEADER)
		PgvqInsufficientData();
	SparsevecCheckDim(info.dim);
	SparsevecCheckNnz(info.nnz, info.dim);
	VectorCheckExpectedDim(typmod, info.dim);

	switch (rc)
	{
		case PGVQ_SPARSE_OK:
		case PGVQ_SPARSE_TRAILING:
			break;
		case PGVQ_SPARSE_UNUSED:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("expected unused to be 0, not %d", info.unused)));
			break;
		case PGVQ_SPARSE_SHORT:
			PgvqInsufficientData();
			break;
		case PGVQ_SPARSE_INDEX_BOUNDS:
		case PGVQ_SPARSE_INDEX_ORDER:
		case PGVQ_SPARSE_INDEX_DUP:
			SparsevecIndexError(rc);
			break;
		case PGVQ_SPARSE_NAN:
			SparsevecCheckElement(NAN);
			break;
		case PGVQ_SPARSE_INFINITE:
			SparsevecCheckElement(INFINITY);
			break;
		case PGVQ_SPARSE_ZERO:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("binary representation of sparsevec cannot contain zero values")));
			break;
		default:
			elog(ERROR, "unexpected sparsevec binary parser result %d", rc);
	}

	/* Consume exactly the vector; the caller refuses bytes after it. */
	buf->cursor += (int) PGVQ_SPARSE_BINARY_SIZE(info.nnz);

	PG_RETURN_SPARSEVEC_P(SparsevecFromArrays(info.dim, info.nnz, indices, values));
}

PGVQ_FUNCTION(sparsevec_send);
Datum
sparsevec_send(PG_FUNCTION_ARGS)
{
	SparseVector *v = PG_GETARG_SPARSEVEC_P(0);
	float	   *values = SparsevecValues(v);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, (uint32) v->dim);
	pq_sendint32(&buf, (uint32) v->nnz);
	pq_sendint32(&buf, (uint32) v->unused);
	for (int i = 0; i < v->nnz; i++)
		pq_sendint32(&buf, (uint32) v->indices[i]);
	for (int i = 0; i < v->nnz; i++)
		pq_sendfloat4(&buf, values[i]);

	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---- casts ---------------------------------------------------------------- */

/* sparsevec -> sparsevec(n): enforces the type modifier. */
PGVQ_FUNCTION(sparsevec);
Datum
sparsevec(PG_FUNCTION_ARGS)
{
	SparseVector *v = PG_GETARG_SPARSEVEC_P(0);
	int32		typmod = PG_GETARG_INT32(1);

	VectorCheckExpectedDim(typmod, v->dim);

	PG_RETURN_SPARSEVEC_P(v);
}

/* The non-zero elements of x[0, n) as a sparsevec (checks as pgvector). */
static SparseVector *
SparsevecFromDense(const float *x, int n)
{
	SparseVector *result;
	float	   *values;
	int			nnz = 0;
	int			j = 0;

	for (int i = 0; i < n; i++)
		nnz += (x[i] != 0.0f);
	SparsevecCheckNnz(nnz, n);

	result = InitSparseVector(n, nnz);
	values = SparsevecValues(result);
	for (int i = 0; i < n; i++)
	{
		if (x[i] != 0.0f)
		{
			result->indices[j] = i;
			values[j] = x[i];
			j++;
		}
	}
	return result;
}

PGVQ_FUNCTION(vector_to_sparsevec);
Datum
vector_to_sparsevec(PG_FUNCTION_ARGS)
{
	Vector	   *v = PG_GETARG_VECTOR_P(0);
	int32		typmod = PG_GETARG_INT32(1);

	SparsevecCheckDim(v->dim);
	VectorCheckExpectedDim(typmod, v->dim);

	PG_RETURN_SPARSEVEC_P(SparsevecFromDense(v->x, v->dim));
}

/*
 * The dense form of sv in out (sv->dim floats, zeroed by the caller).  A
 * stored sparsevec is valid; its indices are not trusted with a write anyway.
 */
static void
SparsevecToDense(SparseVector *sv, float *out)
{
	float	   *values = SparsevecValues(sv);

	for (int i = 0; i < sv->nnz; i++)
	{
		int32		index = sv->indices[i];

		if (index < 0 || index >= sv->dim)
			elog(ERROR, "sparsevec index %d out of bounds", index);
		out[index] = values[i];
	}
}

/* The dense form of sv as sv->dim palloc'd floats (HalfvecToFloats' mirror). */
static float *
SparsevecToFloats(SparseVector *sv)
{
	float	   *x = (float *) palloc0(sizeof(float) * sv->dim);

	SparsevecToDense(sv, x);
	return x;
}

PGVQ_FUNCTION(sparsevec_to_vector);
Datum
sparsevec_to_vector(PG_FUNCTION_ARGS)
{
	SparseVector *sv = PG_GETARG_SPARSEVEC_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	Vector	   *result;

	VectorCheckDim(sv->dim);
	VectorCheckExpectedDim(typmod, sv->dim);

	result = InitVector(sv->dim);
	SparsevecToDense(sv, result->x);
	PG_RETURN_VECTOR_P(result);
}

/* halfvec -> sparsevec: exact (the non-zero halves as floats). */
PGVQ_FUNCTION(halfvec_to_sparsevec);
Datum
halfvec_to_sparsevec(PG_FUNCTION_ARGS)
{
	HalfVector *v = PG_GETARG_HALFVEC_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	float	   *x;
	SparseVector *result;

	SparsevecCheckDim(v->dim);
	VectorCheckExpectedDim(typmod, v->dim);

	x = HalfvecToFloats(v);
	result = SparsevecFromDense(x, v->dim);
	pfree(x);
	PG_RETURN_SPARSEVEC_P(result);
}

/*
 * sparsevec -> halfvec: each value rounded to the nearest half; the first
 * value (in index order) past the halves' range is an error (pgvector's
 * "... is out of range for type halfvec").
 */
PGVQ_FUNCTION(sparsevec_to_halfvec);
Datum
sparsevec_to_halfvec(PG_FUNCTION_ARGS)
{
	SparseVector *sv = PG_GETARG_SPARSEVEC_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	HalfVector *result;
	float	   *x;

	HalfvecCheckDim(sv->dim);
	VectorCheckExpectedDim(typmod, sv->dim);

	x = SparsevecToFloats(sv);
	result = InitHalfVector(sv->dim);
	HalfvecFromFloats(x, sv->dim, result->x);
	pfree(x);
	PG_RETURN_HALFVEC_P(result);
}

/* integer[], real[], double precision[], numeric[] -> sparsevec */
PGVQ_FUNCTION(array_to_sparsevec);
Datum
array_to_sparsevec(PG_FUNCTION_ARGS)
{
	ArrayType  *array = PG_GETARG_ARRAYTYPE_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	int			nelems = PgvqArrayCheck(array);
	float	   *x;
	SparseVector *result;
	float	   *values;

	SparsevecCheckDim(nelems);
	VectorCheckExpectedDim(typmod, nelems);

	x = (float *) palloc(sizeof(float) * nelems);
	PgvqArrayToFloats(array, x, nelems);

	/* NaN and infinities count as non-zero, and are refused after the count. */
	result = SparsevecFromDense(x, nelems);
	pfree(x);
	values = SparsevecValues(result);
	for (int i = 0; i < result->nnz; i++)
		SparsevecCheckElement(values[i]);

	PG_RETURN_SPARSEVEC_P(result);
}
