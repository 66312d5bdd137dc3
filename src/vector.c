/*
 * vector.c: the vector type's input/output, type modifier and casts.
 *
 * The text form is "[1,2,3]" (parsed by the core's pgvq_parse_vector, printed
 * with the shortest decimal that reads back exactly); the binary form is
 * pgvector's: int16 dim, int16 unused (0), then dim float4 values, all in
 * network byte order.  Errors use pgvector's SQLSTATEs and messages.
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
#include "type_util.h"
#include "vector.h"
#include "vector_util.h"

/*
 * Euclidean norm summed in double: a float sum of squares overflows for
 * elements near 1e19 (and underflows near 1e-23), double never does here.
 */
double
FloatsNormL2(const float *x, int dim)
{
	double		sum = 0.0;

	for (int i = 0; i < dim; i++)
		sum += (double) x[i] * (double) x[i];
	return sqrt(sum);
}

Vector *
InitVector(int dim)
{
	Vector	   *result;
	Size		size;

	/* Callers check the range; this keeps a bad caller from overflowing. */
	Assert(dim >= 0 && dim <= VECTOR_MAX_DIM);
	if (dim < 0 || dim > VECTOR_MAX_DIM)
		elog(ERROR, "invalid vector dimension count %d", dim);

	size = VECTOR_SIZE(dim);
	result = (Vector *) palloc0(size);
	SET_VARSIZE(result, size);
	result->dim = (int16) dim;
	result->unused = 0;

	return result;
}

/* ---- text input / output ------------------------------------------------ */

static bool
VectorIsBlank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * Raises the error of a failed pgvq_parse_vector() on lit, worded for type
 * typname ("vector" or "halfvec", which share the text form), with
 * pgvector's SQLSTATEs and details.
 */
void
VectorTextError(const char *typname, const char *lit, int rc, int pos)
{
	switch (rc)
	{
		case PGVQ_PARSE_SYNTAX:
			{
				const char *p = lit;
				int			back = pos;

				while (VectorIsBlank(*p))
					p++;
				if (*p != '[')
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
							 errmsg("invalid input syntax for type %s: \"%s\"", typname, lit),
							 errdetail("Vector contents must start with \"[\".")));

				/*
				 * A "]" can only be consumed as the closing bracket, so an
				 * error right after one (blanks aside) is junk after it.
				 */
				while (back > 0 && VectorIsBlank(lit[back - 1]))
					back--;
				if (back > 0 && lit[back - 1] == ']')
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
							 errmsg("invalid input syntax for type %s: \"%s\"", typname, lit),
							 errdetail("Junk after closing right brace.")));

				ereport(ERROR,
						(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						 errmsg("invalid input syntax for type %s: \"%s\"", typname, lit)));
			}
			break;
		case PGVQ_PARSE_OUT_OF_RANGE:
			VectorOutOfRangeToken(typname, lit + pos);
			break;
		case PGVQ_PARSE_NAN:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("NaN not allowed in %s", typname)));
			break;
		case PGVQ_PARSE_INFINITE:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("infinite value not allowed in %s", typname)));
			break;
		case PGVQ_PARSE_EMPTY:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s must have at least 1 dimension", typname)));
			break;
		case PGVQ_PARSE_TOO_MANY:
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("%s cannot have more than %d dimensions", typname, VECTOR_MAX_DIM)));
			break;
	}
	elog(ERROR, "unexpected %s parser result %d", typname, rc);
}

/*
 * "<token>" is out of range for type <typname>: the element whose text starts
 * at start (blanks skipped), as far as strtof reads it.
 */
void
VectorOutOfRangeToken(const char *typname, const char *start)
{
	char	   *end;

	while (VectorIsBlank(*start))
		start++;
	(void) strtof(start, &end);
	if (end <= start)
		end = (char *) start + strlen(start);
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("\"%s\" is out of range for type %s",
					pnstrdup(start, end - start), typname)));
}

VECTOR_FUNCTION(vector_in);
Datum
vector_in(PG_FUNCTION_ARGS)
{
	char	   *lit = PG_GETARG_CSTRING(0);
	int32		typmod = PG_GETARG_INT32(2);
	int			cap;
	float	   *values;
	int			dim = 0;
	int			pos = 0;
	int			rc;
	Vector	   *result;

	cap = VectorTextCapacity(strlen(lit), VECTOR_MAX_DIM);
	values = (float *) palloc(sizeof(float) * cap);

	rc = pgvq_parse_vector(lit, values, cap, &dim, &pos);

	if (rc != PGVQ_PARSE_OK)
		VectorTextError("vector", lit, rc, pos);

	VectorCheckDim(dim);
	VectorCheckExpectedDim(typmod, dim);

	result = InitVector(dim);
	memcpy(result->x, values, sizeof(float) * dim);
	pfree(values);

	PG_RETURN_VECTOR_P(result);
}

/*
 * "[x1,x2,...]" with the shortest decimal of each float that reads back
 * exactly (palloc'd).
 */
char *
VectorFloatsOut(const float *x, int dim)
{
	char	   *buf;
	char	   *p;

	/*
	 * Each element takes at most FLOAT_SHORTEST_DECIMAL_LEN - 1 characters
	 * plus a separator; then "[", "]" and the terminator.
	 */
	buf = (char *) palloc(add_size(mul_size(FLOAT_SHORTEST_DECIMAL_LEN, Max(dim, 0)), 3));
	p = buf;
	*p++ = '[';
	for (int i = 0; i < dim; i++)
	{
		if (i > 0)
			*p++ = ',';
		p += float_to_shortest_decimal_bufn(x[i], p);
	}
	*p++ = ']';
	*p = '\0';
	return buf;
}

VECTOR_FUNCTION(vector_out);
Datum
vector_out(PG_FUNCTION_ARGS)
{
	Vector	   *v = PG_GETARG_VECTOR_P(0);
	char	   *buf = VectorFloatsOut(v->x, v->dim);

	PG_FREE_IF_COPY(v, 0);
	PG_RETURN_CSTRING(buf);
}

VECTOR_FUNCTION(vector_typmod_in);
Datum
vector_typmod_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(PgvqTypmodIn(PG_GETARG_ARRAYTYPE_P(0), "vector", VECTOR_MAX_DIM));
}

/* ---- binary input / output ---------------------------------------------- */

/*
 * Raises the error of a binary form that failed after its header (unused
 * field, length, elements), worded for type typname; the caller has checked
 * the header's dimensions.  Returns on PGVQ_BINARY_OK and _TRAILING.
 */
void
VectorBinaryCheck(const char *typname, int rc, int dim, int unused, size_t avail)
{
	switch (rc)
	{
		case PGVQ_BINARY_OK:
		case PGVQ_BINARY_TRAILING:
			return;
		case PGVQ_BINARY_BAD_UNUSED:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("expected unused to be 0, not %d", unused)));
			break;
		case PGVQ_BINARY_SHORT:
			/* Refuse a header that promises more values than the message holds. */
			ereport(ERROR,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 errmsg("insufficient data left in message"),
					 errdetail("The header says %d dimensions but only %d bytes follow.",
							   dim, (int) (avail - 4))));
			break;
		case PGVQ_BINARY_NAN:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("NaN not allowed in %s", typname)));
			break;
		case PGVQ_BINARY_INFINITE:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("infinite value not allowed in %s", typname)));
			break;
	}
	elog(ERROR, "unexpected %s binary parser result %d", typname, rc);
}

VECTOR_FUNCTION(vector_recv);
Datum
vector_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int32		typmod = PG_GETARG_INT32(2);
	const unsigned char *data = (const unsigned char *) buf->data + buf->cursor;
	size_t		avail = (size_t) (buf->len - buf->cursor);
	size_t		cap;
	float	   *values;
	int			dim = 0;
	int			rc;
	Vector	   *result;

	/*
	 * The core writes elements only once the header and the length are
	 * known good, so it needs room for what the message can hold.
	 */
	cap = VectorBinaryCapacity(avail, sizeof(float), VECTOR_MAX_DIM);
	values = (float *) palloc(sizeof(float) * Max(cap, 1));

	rc = pgvq_parse_vector_binary(data, avail, values, VECTOR_MAX_DIM, &dim);

	if (rc == PGVQ_BINARY_SHORT_HEADER)
		PgvqInsufficientData();

	/* pgvector's order: dimension range, type modifier, then the rest. */
	VectorCheckDim(dim);
	VectorCheckExpectedDim(typmod, dim);

	VectorBinaryCheck("vector", rc, dim, (int) (int16) ((data[2] << 8) | data[3]), avail);

	/*
	 * Consume exactly the vector; bytes after it (TRAILING) are left for the
	 * caller, which refuses them ("incorrect binary data format").
	 */
	buf->cursor += (int) PGVQ_BINARY_SIZE(dim);

	result = InitVector(dim);
	memcpy(result->x, values, sizeof(float) * dim);
	pfree(values);

	PG_RETURN_VECTOR_P(result);
}

VECTOR_FUNCTION(vector_send);
Datum
vector_send(PG_FUNCTION_ARGS)
{
	Vector	   *v = PG_GETARG_VECTOR_P(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint16(&buf, (uint16) v->dim);
	pq_sendint16(&buf, 0);
	for (int i = 0; i < v->dim; i++)
		pq_sendfloat4(&buf, v->x[i]);

	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---- casts ---------------------------------------------------------------- */

/* vector -> vector(n): enforces the type modifier. */
VECTOR_FUNCTION(vector);
Datum
vector(PG_FUNCTION_ARGS)
{
	Vector	   *v = PG_GETARG_VECTOR_P(0);
	int32		typmod = PG_GETARG_INT32(1);

	VectorCheckExpectedDim(typmod, v->dim);

	PG_RETURN_VECTOR_P(v);
}

/* integer[], real[], double precision[], numeric[] -> vector */
VECTOR_FUNCTION(array_to_vector);
Datum
array_to_vector(PG_FUNCTION_ARGS)
{
	ArrayType  *array = PG_GETARG_ARRAYTYPE_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	int			nelems = PgvqArrayCheck(array);
	Vector	   *result;

	VectorCheckDim(nelems);
	VectorCheckExpectedDim(typmod, nelems);

	result = InitVector(nelems);
	PgvqArrayToFloats(array, result->x, nelems);
	for (int i = 0; i < nelems; i++)
		VectorCheckElement(result->x[i]);

	PG_RETURN_VECTOR_P(result);
}

/* vector -> real[] */
VECTOR_FUNCTION(vector_to_float4);
Datum
vector_to_float4(PG_FUNCTION_ARGS)
{
	Vector	   *v = PG_GETARG_VECTOR_P(0);

	PG_RETURN_ARRAYTYPE_P(PgvqFloatsToArray(v->x, v->dim));
}
