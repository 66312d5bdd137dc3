/*
 * sparsevec_ops.c: distances, norms and comparison of the sparsevec type,
 * under pgvector's SQL names and with its results.  The merge kernels are
 * the core's (float sums in ascending index order, as pgvector's loops);
 * square roots, the cosine quotient and clamping are done here in double.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "utils/float.h"

#include "pgvq.h"
#include "sparsevec.h"

/* A float8 function of two sparsevecs of equal dimensions. */
#define SPARSEVEC_DISTANCE_FUNCTION(name, expr) \
	PGVQ_DISTANCE_FUNCTION(name, SparseVector, PG_GETARG_SPARSEVEC_P, SparsevecCheckDims, expr)

#define SPARSEVEC_KERNEL_ARGS(a, b) \
	(a)->indices, SparsevecValues(a), (size_t) (a)->nnz, \
	(b)->indices, SparsevecValues(b), (size_t) (b)->nnz

/* ---- distances -------------------------------------------------------------- */

SPARSEVEC_DISTANCE_FUNCTION(sparsevec_l2_distance,
							sqrt((double) pgvq_svec_l2sqr(SPARSEVEC_KERNEL_ARGS(a, b))))
/* The squared L2 distance (index support: saves the sqrt). */
SPARSEVEC_DISTANCE_FUNCTION(sparsevec_l2_squared_distance,
							(double) pgvq_svec_l2sqr(SPARSEVEC_KERNEL_ARGS(a, b)))
SPARSEVEC_DISTANCE_FUNCTION(sparsevec_inner_product,
							(double) pgvq_svec_inner_product(SPARSEVEC_KERNEL_ARGS(a, b)))
/* The <#> operator: smaller is more similar. */
SPARSEVEC_DISTANCE_FUNCTION(sparsevec_negative_inner_product,
							(double) -pgvq_svec_inner_product(SPARSEVEC_KERNEL_ARGS(a, b)))
/* 1 - cos(a, b); NaN when a norm is zero or a float part overflows. */
SPARSEVEC_DISTANCE_FUNCTION(sparsevec_cosine_distance,
							pgvq_svec_cosine_distance(SPARSEVEC_KERNEL_ARGS(a, b)))
SPARSEVEC_DISTANCE_FUNCTION(sparsevec_l1_distance,
							(double) pgvq_svec_l1(SPARSEVEC_KERNEL_ARGS(a, b)))

/* ---- single-vector functions -------------------------------------------------- */

/* Sum of squares in double: float would overflow for elements near 1e19. */
PGVQ_FUNCTION(sparsevec_l2_norm);
Datum
sparsevec_l2_norm(PG_FUNCTION_ARGS)
{
	SparseVector *a = PG_GETARG_SPARSEVEC_P(0);

	PG_RETURN_FLOAT8(pgvq_svec_norm_l2(SparsevecValues(a), (size_t) a->nnz));
}

/*
 * a / |a|; the zero vector stays zero.  Quotients that underflow to zero are
 * dropped (a sparsevec stores no zeros), one that overflows is an error.
 */
PGVQ_FUNCTION(sparsevec_l2_normalize);
Datum
sparsevec_l2_normalize(PG_FUNCTION_ARGS)
{
	SparseVector *a = PG_GETARG_SPARSEVEC_P(0);
	float	   *ax = SparsevecValues(a);
	double		norm = pgvq_svec_norm_l2(ax, (size_t) a->nnz);
	float	   *q;
	int			nnz = 0;
	SparseVector *result;
	float	   *rx;
	int			j = 0;

	if (!(norm > 0.0))
		PG_RETURN_SPARSEVEC_P(InitSparseVector(a->dim, 0));

	q = (float *) palloc(sizeof(float) * Max(a->nnz, 1));
	for (int i = 0; i < a->nnz; i++)
	{
		q[i] = (float) ((double) ax[i] / norm);
		if (isinf(q[i]))
			float_overflow_error();
		nnz += (q[i] != 0.0f);
	}

	result = InitSparseVector(a->dim, nnz);
	rx = SparsevecValues(result);
	for (int i = 0; i < a->nnz; i++)
	{
		if (q[i] == 0.0f)
			continue;
		result->indices[j] = a->indices[i];
		rx[j] = q[i];
		j++;
	}
	pfree(q);

	PG_RETURN_SPARSEVEC_P(result);
}

/* ---- comparison (btree) ----------------------------------------------------- */

/* The order of the dense forms as Postgres arrays: elements, then length. */
static int
SparsevecCompare(SparseVector *a, SparseVector *b)
{
	return pgvq_svec_compare(a->dim, a->indices, SparsevecValues(a), (size_t) a->nnz,
							 b->dim, b->indices, SparsevecValues(b), (size_t) b->nnz);
}

PGVQ_BTREE_FUNCTIONS(sparsevec, SparseVector, PG_GETARG_SPARSEVEC_P, SparsevecCompare)
