/*
 * ivfpq_column.c: the indexed column's type (vector or halfvec), in one
 * place.  Everything else in ivfpq works on floats: a halfvec's elements are
 * converted exactly (every binary16 value is a float), so training, encoding,
 * inserts, the lists' ranking and the PQ bounds are the same code for both.
 * Only the exact value a re-rank computes depends on the type: it is the
 * operator's own (the halfvec kernels' float sums for halfvec), so an index
 * scan with every list probed returns what a sequential scan returns.
 *
 * The type is the operator class's input type (an expression index such as
 * ((embedding::halfvec(3)) halfvec_l2_ops) has a halfvec column too).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "halfvec.h"
#include "ivfpq.h"
#include "vector_util.h"

extern PGDLLEXPORT Datum vector_in(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum halfvec_in(PG_FUNCTION_ARGS);

/*
 * The type is recognised by its input function being this library's
 * vector_in or halfvec_in, not by its name: the extension is relocatable
 * and its types may be renamed, and another schema may hold a type of the
 * same name.
 */
IvfpqColumnType
IvfpqGetColumnType(Relation index)
{
	Oid			typid = index->rd_opcintype[0];
	HeapTuple	tup;
	Oid			typinput;
	FmgrInfo	flinfo;

	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for type %u", typid);
	typinput = ((Form_pg_type) GETSTRUCT(tup))->typinput;
	ReleaseSysCache(tup);
	fmgr_info(typinput, &flinfo);
	if (flinfo.fn_addr == vector_in)
		return IVFPQ_COLUMN_VECTOR;
	if (flinfo.fn_addr == halfvec_in)
		return IVFPQ_COLUMN_HALFVEC;
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("type %s is not supported by the ivfpq access method",
					format_type_be(typid))));
	pg_unreachable();
}

/* The operators' dimension check: "different halfvec dimensions 4 and 3". */
static void
CheckDims(IvfpqColumnType type, int expected, int actual)
{
	if (expected != actual)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different %s dimensions %d and %d",
						type == IVFPQ_COLUMN_HALFVEC ? "halfvec" : "vector", expected, actual)));
}

/* Vector and HalfVector share their header: the dimension count is at the same place. */
StaticAssertDecl(offsetof(Vector, dim) == offsetof(HalfVector, dim),
				 "vector and halfvec headers agree");

/*
 * The elements of value (detoasted in the current memory context) as dims
 * floats in out, after checking its dimensions.
 */
void
IvfpqDatumFloats(IvfpqColumnType type, Datum value, int dims, float *out)
{
	if (type == IVFPQ_COLUMN_HALFVEC)
	{
		HalfVector *h = DatumGetHalfVector(value);

		CheckDims(type, dims, h->dim);
		pgvq_half_to_float_n(h->x, (size_t) dims, out);
	}
	else
	{
		Vector	   *v = DatumGetVector(value);

		CheckDims(type, dims, v->dim);
		memcpy(out, v->x, sizeof(float) * dims);
	}
}

/* The dimension count of value (detoasted in the current memory context). */
int
IvfpqDatumDims(Datum value)
{
	return DatumGetVector(value)->dim;
}

/*
 * value's elements as floats in out (dims of them), normalised for cosine.
 * Returns false when the value cannot be indexed (a zero vector under
 * cosine).  The norm is summed and applied in double, so vectors whose float
 * sum of squares would overflow (elements near 1e20) or underflow are indexed
 * too.
 */
bool
IvfpqPrepareDatum(IvfpqColumnType type, int metric, Datum value, int dims, float *out)
{
	IvfpqDatumFloats(type, value, dims, out);
	if (metric == PGVQ_METRIC_COSINE)
	{
		double		norm = FloatsNormL2(out, dims);
		int			i;

		if (!(norm > 0))
			return false;
		for (i = 0; i < dims; i++)
			out[i] = (float) ((double) out[i] / norm);
	}
	return true;
}

/*
 * Reads an ORDER BY argument of d dimensions: its elements as floats into qf
 * and, for halfvec, its binary16 elements into qh (d of them).
 */
void
IvfpqReadQuery(IvfpqColumnType type, Datum value, int d, float *qf, uint16 *qh)
{
	if (type == IVFPQ_COLUMN_HALFVEC)
	{
		HalfVector *h = DatumGetHalfVector(value);

		CheckDims(type, d, h->dim);
		memcpy(qh, h->x, sizeof(uint16) * d);
		pgvq_half_to_float_n(qh, (size_t) d, qf);
	}
	else
		IvfpqDatumFloats(type, value, d, qf);
}

/*
 * The value the index orders by, computed as the operator computes it:
 * squared L2 (the operator's sqrt comes later), -<q, x>, or 1 - cos in
 * float8.  q is the query as floats (vector) or as halves (halfvec, qh).
 */
double
IvfpqExactKey(IvfpqColumnType type, int metric, const float *qf, const uint16 *qh,
			  Datum value, int d)
{
	HalfVector *h;
	float		dot;
	float		norma;
	float		normb;

	if (type == IVFPQ_COLUMN_VECTOR)
	{
		Vector	   *v = DatumGetVector(value);

		CheckDims(type, d, v->dim);
		return pgvq_distance_f64(metric, qf, v->x, d);
	}

	/* halfvec: the kernels and formulas of halfvec_ops.c */
	h = DatumGetHalfVector(value);
	CheckDims(type, d, h->dim);
	switch (metric)
	{
		case PGVQ_METRIC_L2:
			return (double) pgvq_hvec_l2sqr(qh, h->x, d);
		case PGVQ_METRIC_IP:
			return (double) -pgvq_hvec_inner_product(qh, h->x, d);
		default:
			pgvq_hvec_cosine_parts(qh, h->x, d, &dot, &norma, &normb);
			return VectorCosineFromParts(dot, norma, normb);
	}
}
