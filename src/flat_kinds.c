/*
 * flat_kinds.c: what differs between the element kinds of a flat index
 * (flat.h): the kind of an index's operator class, the dimension limits, the
 * values of each type, and the distances of a page's entries to a query for
 * the kinds other than float (whose scan, with its codes, is flat_scan.c's).
 *
 * Distances are computed as the SQL operators compute them (halfvec_ops.c,
 * sparsevec_ops.c, bitvec.c), the indexed value as left argument, so an index
 * scan returns the values and order of a sequential scan.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/varbit.h"

#include "flat.h"
#include "halfvec.h"
#include "sparsevec.h"

static const char *const flat_kind_type[FLAT_NKINDS] = {"vector", "halfvec", "bit", "sparsevec"};

/* The kind of an operator class input type. */
static int
FlatKindOfType(Oid typid)
{
	HeapTuple	tup;
	const char *name;
	int			kind;

	if (typid == BITOID || typid == VARBITOID)
		return FLAT_KIND_BIT;
	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for type %u", typid);
	name = NameStr(((Form_pg_type) GETSTRUCT(tup))->typname);
	for (kind = 0; kind < FLAT_NKINDS; kind++)
		if (kind != FLAT_KIND_BIT && strcmp(name, flat_kind_type[kind]) == 0)
			break;
	ReleaseSysCache(tup);
	if (kind == FLAT_NKINDS)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("flat indexes do not support type %s", format_type_be(typid))));
	return kind;
}

/* The element kind of an index, from its operator class (cached). */
int
FlatIndexKind(Relation index)
{
	if (index->rd_amcache == NULL)
	{
		int			kind = FlatKindOfType(index->rd_opcintype[0]);
		int		   *cached = MemoryContextAlloc(index->rd_indexcxt, sizeof(int));

		*cached = kind;
		index->rd_amcache = cached;
	}
	return *(int *) index->rd_amcache;
}

/* The most dimensions (bits for bit) an entry of the kind can have. */
int
FlatMaxDims(int kind)
{
	switch (kind)
	{
		case FLAT_KIND_HALF:
			return FLAT_MAX_HALF_DIM;
		case FLAT_KIND_BIT:
			return FLAT_MAX_BIT_DIM;
		case FLAT_KIND_SPARSE:
			return SPARSEVEC_MAX_DIM;
		default:
			return FLAT_MAX_DIM;
	}
}

/*
 * Checks that a dimension count fits the page layout; returns it.
 */
int
FlatCheckDims(Relation index, int kind, int dims)
{
	const char *type = flat_kind_type[kind];

	if (dims > FlatMaxDims(kind))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s with %d dimensions is too large for a flat index", type, dims),
				 kind == FLAT_KIND_FLOAT
				 ? errdetail("A flat index stores vectors of at most %d dimensions (one page per vector).",
							 FLAT_MAX_DIM)
				 : errdetail("A flat index stores %s values of at most %d dimensions.",
							 type, FlatMaxDims(kind))));
	if (dims < 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s must have at least 1 dimension", type)));
	return dims;
}

/* The value of a datum of the kind's type (detoasted). */
void
FlatGetValue(int kind, Datum value, FlatValue *out)
{
	memset(out, 0, sizeof(FlatValue));
	switch (kind)
	{
		case FLAT_KIND_HALF:
			{
				HalfVector *h = DatumGetHalfVector(value);

				out->dims = h->dim;
				out->data = h->x;
				break;
			}
		case FLAT_KIND_BIT:
			{
				VarBit	   *b = DatumGetVarBitP(value);

				out->dims = VARBITLEN(b);
				out->data = VARBITS(b);
				break;
			}
		case FLAT_KIND_SPARSE:
			{
				SparseVector *s = DatumGetSparseVector(value);

				out->dims = s->dim;
				out->nnz = s->nnz;
				out->data = s->indices;
				break;
			}
		default:
			{
				Vector	   *v = DatumGetVector(value);

				out->dims = v->dim;
				out->data = v->x;
				break;
			}
	}
}

/* Bytes at v->data. */
Size
FlatValueSize(int kind, const FlatValue *v)
{
	if (kind == FLAT_KIND_SPARSE)
		return (sizeof(int32) + sizeof(float)) * (Size) v->nnz;
	return FlatElemBytes(kind, v->dims);
}

/* A copy of v in the current memory context. */
void
FlatCopyValue(int kind, const FlatValue *v, FlatValue *copy)
{
	Size		size = FlatValueSize(kind, v);
	void	   *data = palloc(Max(size, 1));

	memcpy(data, v->data, size);
	*copy = *v;
	copy->data = data;
}

/* The error of a query whose dimensions differ from the index's: the operator's. */
void
FlatDimsMismatch(int kind, int index_dims, int dims)
{
	if (kind == FLAT_KIND_BIT)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different bit lengths %u and %u", (uint32) index_dims, (uint32) dims)));
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("different %s dimensions %d and %d", flat_kind_type[kind], index_dims, dims)));
}

/*
 * Checks a value to index: its dimensions against the index's (index_dims, 0
 * if none yet; with a detail at build) and the limit, and a sparse value's
 * size.
 */
void
FlatCheckValue(Relation index, int kind, int index_dims, const FlatValue *v, bool build)
{
	if (index_dims != 0 && v->dims != index_dims)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected %d dimensions, not %d", index_dims, v->dims),
				 build ? errdetail("A flat index needs every indexed vector to have the same number of dimensions.") : 0));
	FlatCheckDims(index, kind, v->dims);
	if (kind == FLAT_KIND_SPARSE && v->nnz > FLAT_SPARSE_MAX_NNZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sparsevec with %d non-zero elements is too large for a flat index", v->nnz),
				 errdetail("A flat index stores sparsevec values of at most %d non-zero elements.",
						   FLAT_SPARSE_MAX_NNZ)));
}

/* The value of the ordering operator for a distance as the scan keeps it. */
double
FlatOrderValue(int metric, double d)
{
	if (metric == PGVQ_METRIC_L2)
		return sqrt(d);
	return d;
}

/* A bit entry's distance: hamming (a count) or jaccard. */
static inline double
FlatBitDistance(int metric, const unsigned char *x, const unsigned char *q, Size nbytes)
{
	if (metric == FLAT_METRIC_JACCARD)
		return pgvq_bit_jaccard(x, q, nbytes);
	return (double) pgvq_bit_hamming(x, q, nbytes);
}

/* A sparse entry's distance, as sparsevec_ops.c computes it (L2 squared). */
static double
FlatSparseDistance(int metric, const FlatSparseEntryData *e, const FlatValue *q)
{
	const int32 *qi = (const int32 *) q->data;
	const float *qx = (const float *) (qi + q->nnz);
	const float *ex = (const float *) (e->indices + e->nnz);

	switch (metric)
	{
		case PGVQ_METRIC_IP:
			return (double) -pgvq_svec_inner_product(e->indices, ex, e->nnz, qi, qx, q->nnz);
		case PGVQ_METRIC_COSINE:
			return pgvq_svec_cosine_distance(e->indices, ex, e->nnz, qi, qx, q->nnz);
		case PGVQ_METRIC_L1:
			return (double) pgvq_svec_l1(e->indices, ex, e->nnz, qi, qx, q->nnz);
		default:
			return (double) pgvq_svec_l2sqr(e->indices, ex, e->nnz, qi, qx, q->nnz);
	}
}

/*
 * The distances and ids of the entries of a verified, share-locked data page
 * of a half, bit or sparse index, into so->page_dist and so->page_id.
 */
void
FlatPageDistances(FlatScanOpaque so, Relation index, BlockNumber blkno, Page page)
{
	int			n = FlatPageGetOpaque(page)->count;
	int			i;

	if (so->kind == FLAT_KIND_SPARSE)
	{
		for (i = 0; i < n; i++)
		{
			FlatSparseEntry e = FlatSparseGetEntry(index, page, blkno,
												   (OffsetNumber) (i + 1), so->dims);

			so->page_dist[i] = FlatSparseDistance(so->metric, e, &so->qv);
			so->page_id[i] = FlatTidToId(&e->tid);
		}
		return;
	}

	if (so->kind == FLAT_KIND_HALF)
		pgvq_hvec_distances_1xn_f64(so->metric, (const uint16 *) so->qv.data, (size_t) n,
									(size_t) so->dims, (const uint16 *) FlatPageGetElems(page),
									so->page_dist);
	else
	{
		Size		eb = FlatElemBytes(FLAT_KIND_BIT, so->dims);
		const unsigned char *x = (const unsigned char *) FlatPageGetElems(page);

		for (i = 0; i < n; i++)
			so->page_dist[i] = FlatBitDistance(so->metric, x + (Size) i * eb,
											   (const unsigned char *) so->qv.data, eb);
	}
	for (i = 0; i < n; i++)
		so->page_id[i] = FlatTidToId(&FlatPageGetTids(page)[i]);
}
