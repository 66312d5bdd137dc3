/*
 * vector_ops.c: distances, arithmetic, comparison and aggregates of the
 * vector type, under pgvector's SQL names and with its results.
 *
 * Distances use the core's dispatched SIMD kernels (float accumulation, as
 * pgvector does); the final sqrt, cosine quotient and clamping are done in
 * double, as pgvector does, so both give the same values.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/float.h"
#include "utils/varbit.h"

#include "pgvq.h"
#include "vector.h"
#include "vector_util.h"

/* ---- distances -------------------------------------------------------------- */

/* A float8 function of two vectors of equal length. */
#define VECTOR_DISTANCE_FUNCTION(name, expr) \
	PGVQ_DISTANCE_FUNCTION(name, Vector, PG_GETARG_VECTOR_P, VectorCheckDims, expr)

/* 1 - cos(a, b); NaN when a norm is zero (or the parts overflow). */
static double
VectorCosineDistance(const Vector *a, const Vector *b)
{
	float		dot;
	float		norma;
	float		normb;

	pgvq_fvec_cosine_parts(a->x, b->x, a->dim, &dot, &norma, &normb);
	return VectorCosineFromParts(dot, norma, normb);
}

VECTOR_DISTANCE_FUNCTION(l2_distance,
						 sqrt((double) pgvq_fvec_l2sqr(a->x, b->x, a->dim)))
/* The squared L2 distance (index support: saves the sqrt). */
VECTOR_DISTANCE_FUNCTION(vector_l2_squared_distance,
						 (double) pgvq_fvec_l2sqr(a->x, b->x, a->dim))
VECTOR_DISTANCE_FUNCTION(inner_product,
						 (double) pgvq_fvec_inner_product(a->x, b->x, a->dim))
/* The <#> operator: smaller is more similar. */
VECTOR_DISTANCE_FUNCTION(vector_negative_inner_product,
						 (double) -pgvq_fvec_inner_product(a->x, b->x, a->dim))
VECTOR_DISTANCE_FUNCTION(cosine_distance, VectorCosineDistance(a, b))

/*
 * Angular distance of unit vectors, acos(<a,b>) / pi (index support for
 * spherical k-means: unlike 1 - cos it obeys the triangle inequality).
 */
VECTOR_DISTANCE_FUNCTION(vector_spherical_distance,
						 VectorSphericalFromDot((double) pgvq_fvec_inner_product(a->x, b->x, a->dim)))
VECTOR_DISTANCE_FUNCTION(l1_distance, (double) pgvq_fvec_l1(a->x, b->x, a->dim))

/* ---- single-vector functions -------------------------------------------------- */

VECTOR_FUNCTION(vector_dims);
Datum
vector_dims(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);

	PG_RETURN_INT32(a->dim);
}

/* Sum of squares in double: float would overflow for elements near 1e19. */
static double
VectorNormDouble(const Vector *a)
{
	return FloatsNormL2(a->x, a->dim);
}

VECTOR_FUNCTION(vector_norm);
Datum
vector_norm(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);

	PG_RETURN_FLOAT8(VectorNormDouble(a));
}

/* a / |a|; the zero vector stays zero. */
VECTOR_FUNCTION(l2_normalize);
Datum
l2_normalize(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	double		norm = VectorNormDouble(a);
	Vector	   *result = InitVector(a->dim);

	if (norm > 0.0)
	{
		for (int i = 0; i < a->dim; i++)
		{
			result->x[i] = (float) ((double) a->x[i] / norm);
			/* Denormal norms can blow a quotient past FLT_MAX. */
			if (isinf(result->x[i]))
				float_overflow_error();
		}
	}

	PG_RETURN_VECTOR_P(result);
}

/* One bit per element, set where the element is positive. */
VECTOR_FUNCTION(binary_quantize);
Datum
binary_quantize(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	int			len = VARBITTOTALLEN(a->dim);
	VarBit	   *result = (VarBit *) palloc0(len);
	bits8	   *bits = VARBITS(result);

	SET_VARSIZE(result, len);
	VARBITLEN(result) = a->dim;
	for (int i = 0; i < a->dim; i++)
	{
		if (a->x[i] > 0)
			bits[i / 8] |= (bits8) (0x80 >> (i % 8));
	}

	PG_RETURN_VARBIT_P(result);
}

/*
 * subvector(v, start, count): count elements from the 1-based start, clipped
 * to the vector like substring(); at least one element must remain.
 */
/*
 * The elements subvector(v, start, count) takes from a dim-element value of
 * type typname: *offset (0-based) and the count returned.  count elements
 * from the 1-based start, clipped to the value like substring(); at least one
 * element must remain.
 */
int
VectorSubvectorRange(int dim, int32 start, int32 count, const char *typname, int *offset)
{
	int64		first;
	int64		last;			/* one past the last element, 1-based */
	int			n;

	if (count < 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s must have at least 1 dimension", typname)));

	/* int64 arithmetic: start + count cannot overflow. */
	last = Min((int64) start + (int64) count, (int64) dim + 1);
	first = Max((int64) start, 1);
	if (start > dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s must have at least 1 dimension", typname)));

	n = (int) Max(last - first, 0);
	*offset = (int) (first - 1);
	return n;
}

VECTOR_FUNCTION(subvector);
Datum
subvector(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	int			offset;
	int			dim = VectorSubvectorRange(a->dim, PG_GETARG_INT32(1), PG_GETARG_INT32(2),
										   "vector", &offset);
	Vector	   *result;

	VectorCheckDim(dim);
	result = InitVector(dim);
	memcpy(result->x, a->x + offset, sizeof(float) * dim);

	PG_RETURN_VECTOR_P(result);
}

/* ---- element-wise arithmetic ------------------------------------------------- */

/* out = a op b element by element, in float; out may be a or b. */
void
FloatsArith(const float *a, const float *b, float *out, int n, FloatsArithOp op)
{
	for (int i = 0; i < n; i++)
	{
		switch (op)
		{
			case FLOATS_ADD:
				out[i] = a[i] + b[i];
				break;
			case FLOATS_SUB:
				out[i] = a[i] - b[i];
				break;
			case FLOATS_MUL:
				out[i] = a[i] * b[i];
				break;
		}
	}
}

/*
 * pgvector's checks of r = a op b, in element order: an infinite result
 * overflowed, and a product of non-zeros that is zero underflowed.
 */
void
FloatsArithCheck(const float *a, const float *b, const float *r, int n, FloatsArithOp op)
{
	for (int i = 0; i < n; i++)
	{
		if (isinf(r[i]))
			float_overflow_error();
		if (op == FLOATS_MUL && r[i] == 0.0f && a[i] != 0.0f && b[i] != 0.0f)
			float_underflow_error();
	}
}

static Vector *
VectorArith(Vector *a, Vector *b, FloatsArithOp op)
{
	Vector	   *result;

	VectorCheckDims(a, b);
	result = InitVector(a->dim);
	FloatsArith(a->x, b->x, result->x, a->dim, op);
	FloatsArithCheck(a->x, b->x, result->x, a->dim, op);
	return result;
}

PGVQ_ARITH_FUNCTION(vector_add, PG_GETARG_VECTOR_P, VectorArith, FLOATS_ADD)
PGVQ_ARITH_FUNCTION(vector_sub, PG_GETARG_VECTOR_P, VectorArith, FLOATS_SUB)
PGVQ_ARITH_FUNCTION(vector_mul, PG_GETARG_VECTOR_P, VectorArith, FLOATS_MUL)

VECTOR_FUNCTION(vector_concat);
Datum
vector_concat(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);
	int			dim = a->dim + b->dim;
	Vector	   *result;

	VectorCheckDim(dim);
	result = InitVector(dim);
	memcpy(result->x, a->x, sizeof(float) * a->dim);
	memcpy(result->x + a->dim, b->x, sizeof(float) * b->dim);

	PG_RETURN_VECTOR_P(result);
}

/* ---- comparison (btree) ----------------------------------------------------- */

/*
 * Element by element, then the shorter vector first: the order of Postgres
 * arrays.  Elements are never NaN, so this is a total order.
 */
static int
VectorCompare(const Vector *a, const Vector *b)
{
	int			n = Min(a->dim, b->dim);

	for (int i = 0; i < n; i++)
	{
		if (a->x[i] < b->x[i])
			return -1;
		if (a->x[i] > b->x[i])
			return 1;
	}
	if (a->dim != b->dim)
		return (a->dim < b->dim) ? -1 : 1;
	return 0;
}

PGVQ_BTREE_FUNCTIONS(vector, Vector, PG_GETARG_VECTOR_P, VectorCompare)

/* ---- avg aggregate ---------------------------------------------------------------- */

/*
 * The state is a float8[] {n, sum_1, ..., sum_dim}, as in pgvector (and
 * float8_accum); the initial state {0} has no sums yet.  The functions are
 * callable from SQL, so the array is checked before use.
 */
float8 *
VectorStateValues(ArrayType *state, const char *caller, int *dim)
{
	if (ARR_NDIM(state) != 1 || ARR_DIMS(state)[0] < 1 ||
		ARR_HASNULL(state) || ARR_ELEMTYPE(state) != FLOAT8OID)
		elog(ERROR, "%s: expected state array", caller);
	*dim = ARR_DIMS(state)[0] - 1;
	return (float8 *) ARR_DATA_PTR(state);
}

ArrayType *
VectorStateBuild(float8 n, const float8 *sums, int dim)
{
	Datum	   *d = (Datum *) palloc(sizeof(Datum) * ((Size) dim + 1));
	ArrayType  *result;

	d[0] = Float8GetDatum(n);
	for (int i = 0; i < dim; i++)
		d[i + 1] = Float8GetDatum(sums[i]);
	result = construct_array(d, dim + 1, FLOAT8OID, sizeof(float8),
							 FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
	pfree(d);
	return result;
}

/*
 * Adds x (dim floats, of the type caller accumulates) to an avg state and
 * returns the new state.  A state without sums ({n}) starts from x itself.
 */
ArrayType *
VectorStateAccum(ArrayType *state, const float *x, int xdim, const char *caller)
{
	int			dim;
	float8	   *values = VectorStateValues(state, caller, &dim);
	bool		fresh = (dim == 0);	/* no sums yet: start from x itself */
	float8	   *sums;

	if (fresh)
		dim = xdim;
	else
		VectorCheckExpectedDim(dim, xdim);

	sums = (float8 *) palloc(sizeof(float8) * dim);
	for (int i = 0; i < dim; i++)
	{
		float8		s = fresh ? (float8) x[i] : values[i + 1] + (float8) x[i];

		if (isinf(s))
			float_overflow_error();
		sums[i] = s;
	}

	return VectorStateBuild(values[0] + 1.0, sums, dim);
}

VECTOR_FUNCTION(vector_accum);
Datum
vector_accum(PG_FUNCTION_ARGS)
{
	ArrayType  *state = PG_GETARG_ARRAYTYPE_P(0);
	Vector	   *v = PG_GETARG_VECTOR_P(1);

	PG_RETURN_ARRAYTYPE_P(VectorStateAccum(state, v->x, v->dim, "vector_accum"));
}

VECTOR_FUNCTION(vector_combine);
Datum
vector_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *state1 = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *state2 = PG_GETARG_ARRAYTYPE_P(1);
	int			dim1;
	int			dim2;
	float8	   *values1 = VectorStateValues(state1, "vector_combine", &dim1);
	float8	   *values2 = VectorStateValues(state2, "vector_combine", &dim2);
	int			dim;
	float8	   *sums;

	/*
	 * A state without sums (no rows seen, e.g. a parallel worker whose share
	 * was empty) takes the other's sums.
	 */
	if (dim1 == 0 && dim2 == 0)
		PG_RETURN_ARRAYTYPE_P(VectorStateBuild(values1[0] + values2[0], NULL, 0));

	dim = (dim1 != 0) ? dim1 : dim2;
	VectorCheckDim(dim);
	if (dim1 != 0 && dim2 != 0)
		VectorCheckExpectedDim(dim1, dim2);

	sums = (float8 *) palloc(sizeof(float8) * dim);
	for (int i = 0; i < dim; i++)
	{
		float8		s;

		if (dim1 == 0)
			s = values2[i + 1];
		else if (dim2 == 0)
			s = values1[i + 1];
		else
			s = values1[i + 1] + values2[i + 1];
		if (isinf(s))
			float_overflow_error();
		sums[i] = s;
	}

	PG_RETURN_ARRAYTYPE_P(VectorStateBuild(values1[0] + values2[0], sums, dim));
}

/*
 * The means sums / n of an avg state, rounded to float, in a palloc'd array
 * of *dim; NULL for the state of no rows (whose average is NULL).  checkdim
 * (the result type's dimension check) sees the count first.
 */
float *
VectorStateMeans(ArrayType *state, const char *caller, void (*checkdim) (int), int *dim)
{
	float8	   *values = VectorStateValues(state, caller, dim);
	float8		n = values[0];
	float	   *means;

	if (n == 0.0)
		return NULL;

	checkdim(*dim);
	means = (float *) palloc(sizeof(float) * *dim);
	for (int i = 0; i < *dim; i++)
		means[i] = (float) (values[i + 1] / n);
	return means;
}

VECTOR_FUNCTION(vector_avg);
Datum
vector_avg(PG_FUNCTION_ARGS)
{
	int			dim;
	float	   *means = VectorStateMeans(PG_GETARG_ARRAYTYPE_P(0), "vector_avg",
										 VectorCheckDim, &dim);
	Vector	   *result;

	if (means == NULL)
		PG_RETURN_NULL();

	result = InitVector(dim);
	for (int i = 0; i < dim; i++)
	{
		result->x[i] = means[i];
		VectorCheckElement(result->x[i]);
	}
	pfree(means);

	PG_RETURN_VECTOR_P(result);
}
