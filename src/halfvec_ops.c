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

/* Declares a float8 function of two halfvecs of equal length. */
#define HALFVEC_DISTANCE_FUNCTION(name, expr) \
PGVQ_FUNCTION(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	HalfVector *a = PG_GETARG_HALFVEC_P(0); \
	HalfVector *b = PG_GETARG_HALFVEC_P(1); \
\
	HalfvecCheckDims(a, b); \
	PG_RETURN_FLOAT8(expr); \
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

/* 1 - cos(a, b); NaN when a norm is zero. */
PGVQ_FUNCTION(halfvec_cosine_distance);
Datum
halfvec_cosine_distance(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);
	float		dot;
	float		norma;
	float		normb;

	HalfvecCheckDims(a, b);
	pgvq_hvec_cosine_parts(a->x, b->x, a->dim, &dot, &norma, &normb);
	PG_RETURN_FLOAT8(VectorCosineFromParts(dot, norma, normb));
}

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

typedef enum HalfvecArithOp
{
	HALFVEC_ADD,
	HALFVEC_SUB,
	HALFVEC_MUL
} HalfvecArithOp;

/*
 * a op b element by element in float, rounded to half, then pgvector's
 * checks in element order: an infinite result overflowed, and a product of
 * non-zeros that rounded to zero underflowed.
 */
static HalfVector *
HalfvecArith(HalfVector *a, HalfVector *b, HalfvecArithOp op)
{
	HalfVector *result;
	float	   *x;
	float	   *y;

	HalfvecCheckDims(a, b);
	x = HalfvecToFloats(a);
	y = HalfvecToFloats(b);
	for (int i = 0; i < a->dim; i++)
	{
		switch (op)
		{
			case HALFVEC_ADD:
				x[i] = x[i] + y[i];
				break;
			case HALFVEC_SUB:
				x[i] = x[i] - y[i];
				break;
			case HALFVEC_MUL:
				x[i] = x[i] * y[i];
				break;
		}
	}
	result = InitHalfVector(a->dim);
	(void) pgvq_float_to_half_n(x, (size_t) a->dim, result->x);
	for (int i = 0; i < a->dim; i++)
	{
		if (PGVQ_HALF_IS_INF(result->x[i]))
			float_overflow_error();
		if (op == HALFVEC_MUL && PGVQ_HALF_IS_ZERO(result->x[i]) &&
			!PGVQ_HALF_IS_ZERO(a->x[i]) && !PGVQ_HALF_IS_ZERO(b->x[i]))
			float_underflow_error();
	}
	pfree(x);
	pfree(y);
	return result;
}

PGVQ_FUNCTION(halfvec_add);
Datum
halfvec_add(PG_FUNCTION_ARGS)
{
	PG_RETURN_HALFVEC_P(HalfvecArith(PG_GETARG_HALFVEC_P(0), PG_GETARG_HALFVEC_P(1), HALFVEC_ADD));
}

PGVQ_FUNCTION(halfvec_sub);
Datum
halfvec_sub(PG_FUNCTION_ARGS)
{
	PG_RETURN_HALFVEC_P(HalfvecArith(PG_GETARG_HALFVEC_P(0), PG_GETARG_HALFVEC_P(1), HALFVEC_SUB));
}

PGVQ_FUNCTION(halfvec_mul);
Datum
halfvec_mul(PG_FUNCTION_ARGS)
{
	PG_RETURN_HALFVEC_P(HalfvecArith(PG_GETARG_HALFVEC_P(0), PG_GETARG_HALFVEC_P(1), HALFVEC_MUL));
}

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

#define HALFVEC_CMP_FUNCTION(name, type, test) \
PGVQ_FUNCTION(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	HalfVector *a = PG_GETARG_HALFVEC_P(0); \
	HalfVector *b = PG_GETARG_HALFVEC_P(1); \
	int			c = HalfvecCompare(a, b); \
\
	PG_FREE_IF_COPY(a, 0); \
	PG_FREE_IF_COPY(b, 1); \
	return type(test); \
}

HALFVEC_CMP_FUNCTION(halfvec_lt, BoolGetDatum, c < 0)
HALFVEC_CMP_FUNCTION(halfvec_le, BoolGetDatum, c <= 0)
HALFVEC_CMP_FUNCTION(halfvec_eq, BoolGetDatum, c == 0)
HALFVEC_CMP_FUNCTION(halfvec_ne, BoolGetDatum, c != 0)
HALFVEC_CMP_FUNCTION(halfvec_ge, BoolGetDatum, c >= 0)
HALFVEC_CMP_FUNCTION(halfvec_gt, BoolGetDatum, c > 0)
HALFVEC_CMP_FUNCTION(halfvec_cmp, Int32GetDatum, c)

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
	ArrayType  *state = PG_GETARG_ARRAYTYPE_P(0);
	int			dim;
	float8	   *values = VectorStateValues(state, "halfvec_avg", &dim);
	float8		n = values[0];
	HalfVector *result;

	/* The average of no rows is NULL. */
	if (n == 0.0)
		PG_RETURN_NULL();

	HalfvecCheckDim(dim);
	result = InitHalfVector(dim);
	for (int i = 0; i < dim; i++)
	{
		float		f = (float) (values[i + 1] / n);

		result->x[i] = pgvq_float_to_half(f);
		if (PGVQ_HALF_IS_INF(result->x[i]) && !isinf(f))
			HalfvecOutOfRange(f);
		HalfvecCheckElement(result->x[i]);
	}

	PG_RETURN_HALFVEC_P(result);
}
