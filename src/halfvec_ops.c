/*
 * halfvec_ops.c: distances, arithmetic, comparison and aggregates of the
 * halfvec type, under pgvector's SQL names and with its results.
 *
 * Distances run on the core's dispatched fp16 kernels (F16C / AVX-512
 * conversion, float sums); the final sqrt, cosine quotient and clamping are
 * done in double as for vector.  Arithmetic is done in float and rounded to
 * half, as pgvector does on x86-64: a result past 65504 is an overflow error,
 * a product of non-zeros that rounds to zero an underflow error.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/float.h"
#include "utils/varbit.h"

#include "pgvq.h"
#include "halfvec.h"
#include "vector.h"
#include "vector_util.h"

/* ---- distances -------------------------------------------------------------- */

/* A float8 function of two halfvecs of equal length. */
#define HALFVEC_DISTANCE_FUNCTION(name, expr) \
	PGVQ_DISTANCE_FUNCTION(name, HalfVector, PG_GETARG_HALFVEC_P, HalfvecCheckDims, expr)

/* 1 - cos(a, b); NaN when a norm is zero. */
static double
HalfvecCosineDistance(const HalfVector *a, const HalfVector *b)
{
	float		dot;
	float		norma;
	float		normb;

	pgvq_hvec_cosine_parts(a->x, b->x, a->dim, &dot, &norma, &normb);
	return VectorCosineFromParts(dot, norma, normb);
}

HALFVEC_DISTANCE_FUNCTION(halfvec_l2_distance,
						  sqrt((double) pgvq_hvec_l2sqr(a->x, b->x, a->dim)))
/* The squared L2 distance (index support: saves the sqrt). */
HALFVEC_DISTANCE_FUNCTION(halfvec_l2_squared_distance,
						  (double) pgvq_hvec_l2sqr(a->x, b->x, a->dim))
HALFVEC_DISTANCE_FUNCTION(halfvec_inner_product,
						  (double) pgvq_hvec_inner_product(a->x, b->x, a->dim))
/* The <#> operator: smaller is more similar. */
HALFVEC_DISTANCE_FUNCTION(halfvec_negative_inner_product,
						  (double) -pgvq_hvec_inner_product(a->x, b->x, a->dim))
HALFVEC_DISTANCE_FUNCTION(halfvec_l1_distance,
						  (double) pgvq_hvec_l1(a->x, b->x, a->dim))
/* Angular distance of unit vectors (spherical k-means support). */
HALFVEC_DISTANCE_FUNCTION(halfvec_spherical_distance,
						  VectorSphericalFromDot((double) pgvq_hvec_inner_product(a->x, b->x, a->dim)))
HALFVEC_DISTANCE_FUNCTION(halfvec_cosine_distance, HalfvecCosineDistance(a, b))

/* ---- single-vector functions -------------------------------------------------- */

PGVQ_FUNCTION(halfvec_vector_dims);
Datum
halfvec_vector_dims(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);

	PG_RETURN_INT32(a->dim);
}

/* Euclidean norm, summed in double (pgvector's l2_norm). */
PGVQ_FUNCTION(halfvec_l2_norm);
Datum
halfvec_l2_norm(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	float	   *x = HalfvecToFloats(a);
	double		norm = FloatsNormL2(x, a->dim);

	pfree(x);
	PG_RETURN_FLOAT8(norm);
}

/* a / |a|, each element rounded to half; the zero vector stays zero. */
PGVQ_FUNCTION(halfvec_l2_normalize);
Datum
halfvec_l2_normalize(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	float	   *x = HalfvecToFloats(a);
	double		norm = FloatsNormL2(x, a->dim);
	HalfVector *result = InitHalfVector(a->dim);

	if (norm > 0.0)
	{
		for (int i = 0; i < a->dim; i++)
			x[i] = (float) ((double) x[i] / norm);
		(void) pgvq_float_to_half_n(x, (size_t) a->dim, result->x);
		for (int i = 0; i < a->dim; i++)
		{
			if (PGVQ_HALF_IS_INF(result->x[i]))
				float_overflow_error();
		}
	}
	pfree(x);

	PG_RETURN_HALFVEC_P(result);
}

/* One bit per element, set where the element is > 0 (sign clear, not zero). */
PGVQ_FUNCTION(halfvec_binary_quantize);
Datum
halfvec_binary_quantize(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	int			len = VARBITTOTALLEN(a->dim);
	VarBit	   *result = (VarBit *) palloc0(len);
	bits8	   *bits = VARBITS(result);

	SET_VARSIZE(result, len);
	VARBITLEN(result) = a->dim;
	for (int i = 0; i < a->dim; i++)
	{
		if ((a->x[i] & 0x8000) == 0 && !PGVQ_HALF_IS_ZERO(a->x[i]))
			bits[i / 8] |= (bits8) (0x80 >> (i % 8));
	}

	PG_RETURN_VARBIT_P(result);
}

PGVQ_FUNCTION(halfvec_subvector);
Datum
halfvec_subvector(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	int			offset;
	int			dim = VectorSubvectorRange(a->dim, PG_GETARG_INT32(1), PG_GETARG_INT32(2),
										   "halfvec", &offset);
	HalfVector *result;

	HalfvecCheckDim(dim);
	result = InitHalfVector(dim);
	memcpy(result->x, a->x + offset, sizeof(uint16) * dim);

	PG_RETURN_HALFVEC_P(result);
}

/* ---- element-wise arithmetic ------------------------------------------------- */

/*
 * a op b element by element in float, rounded to half, then pgvector's
 * checks (FloatsArithCheck) on the rounded results: the halves read back as
 * floats exactly, so a half that rounded to infinity overflowed and one that
 * rounded to zero underflowed.
 */
static HalfVector *
HalfvecArith(HalfVector *a, HalfVector *b, FloatsArithOp op)
{
	HalfVector *result;
	float	   *x;
	float	   *y;
	float	   *r;

	HalfvecCheckDims(a, b);
	x = HalfvecToFloats(a);
	y = HalfvecToFloats(b);
	r = (float *) palloc(sizeof(float) * Max(a->dim, 1));
	FloatsArith(x, y, r, a->dim, op);
	result = InitHalfVector(a->dim);
	(void) pgvq_float_to_half_n(r, (size_t) a->dim, result->x);
	pgvq_half_to_float_n(result->x, (size_t) a->dim, r);
	FloatsArithCheck(x, y, r, a->dim, op);
	pfree(x);
	pfree(y);
	pfree(r);
	return result;
}

PGVQ_ARITH_FUNCTION(halfvec_add, PG_GETARG_HALFVEC_P, HalfvecArith, FLOATS_ADD)
PGVQ_ARITH_FUNCTION(halfvec_sub, PG_GETARG_HALFVEC_P, HalfvecArith, FLOATS_SUB)
PGVQ_ARITH_FUNCTION(halfvec_mul, PG_GETARG_HALFVEC_P, HalfvecArith, FLOATS_MUL)

PGVQ_FUNCTION(halfvec_concat);
Datum
halfvec_concat(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);
	int			dim = a->dim + b->dim;
	HalfVector *result;

	HalfvecCheckDim(dim);
	result = InitHalfVector(dim);
	memcpy(result->x, a->x, sizeof(uint16) * a->dim);
	memcpy(result->x + a->dim, b->x, sizeof(uint16) * b->dim);

	PG_RETURN_HALFVEC_P(result);
}

/* ---- comparison (btree) ----------------------------------------------------- */

/*
 * A key that orders halves as their values: magnitude bits, negated for a
 * negative sign, so -0 and +0 are equal.  Elements are never NaN.
 */
static inline int32
HalfOrderKey(uint16 h)
{
	int32		mag = (int32) (h & 0x7FFF);

	return (h & 0x8000) ? -mag : mag;
}

/* Element by element, then the shorter first: the order of arrays. */
static int
HalfvecCompare(const HalfVector *a, const HalfVector *b)
{
	int			n = Min(a->dim, b->dim);

	for (int i = 0; i < n; i++)
	{
		int32		ka = HalfOrderKey(a->x[i]);
		int32		kb = HalfOrderKey(b->x[i]);

		if (ka != kb)
			return (ka < kb) ? -1 : 1;
	}
	if (a->dim != b->dim)
		return (a->dim < b->dim) ? -1 : 1;
	return 0;
}

PGVQ_BTREE_FUNCTIONS(halfvec, HalfVector, PG_GETARG_HALFVEC_P, HalfvecCompare)

/* ---- avg aggregate (state as vector's; combine is vector_combine) ------------ */

PGVQ_FUNCTION(halfvec_accum);
Datum
halfvec_accum(PG_FUNCTION_ARGS)
{
	ArrayType  *state = PG_GETARG_ARRAYTYPE_P(0);
	HalfVector *v = PG_GETARG_HALFVEC_P(1);
	float	   *x = HalfvecToFloats(v);
	ArrayType  *result = VectorStateAccum(state, x, v->dim, "halfvec_accum");

	pfree(x);
	PG_RETURN_ARRAYTYPE_P(result);
}

/*
 * sums / n rounded to float, then to half, each element checked in turn as
 * pgvector does: past 65504 is out of range, an infinite float (a mean past
 * float4) an infinite value.
 */
PGVQ_FUNCTION(halfvec_avg);
Datum
halfvec_avg(PG_FUNCTION_ARGS)
{
	int			dim;
	float	   *means = VectorStateMeans(PG_GETARG_ARRAYTYPE_P(0), "halfvec_avg",
										 HalfvecCheckDim, &dim);
	HalfVector *result;

	if (means == NULL)
		PG_RETURN_NULL();

	result = InitHalfVector(dim);
	for (int i = 0; i < dim; i++)
	{
		result->x[i] = pgvq_float_to_half(means[i]);
		if (PGVQ_HALF_IS_INF(result->x[i]) && !isinf(means[i]))
			HalfvecOutOfRange(means[i]);
		HalfvecCheckElement(result->x[i]);
	}
	pfree(means);

	PG_RETURN_HALFVEC_P(result);
}
