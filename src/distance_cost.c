/*
 * distance_cost.c: what a distance costs the planner.
 *
 * The distance functions behind <->, <#>, <=>, <+> (and <~>, <%> for bit)
 * carry a planner support function (pg_proc.prosupport) that answers
 * SupportRequestCost with the cost of one call, in place of the procost of 1
 * (one cpu_operator_cost) they would otherwise get:
 *
 *   - the arithmetic: cpu_operator_cost x (1 + n / r), n the elements the
 *     call goes over (the dimensions of vector and halfvec, the bits of bit,
 *     the non-zero entries of both sparsevec arguments) and r the elements one
 *     operator cost stands for (16 floats or halves, as ivfpq's cost estimate
 *     prices an exact distance; 512 bits; 4 sparse entries, whose merge
 *     branches on every entry).  n comes from an argument's typmod (a column
 *     vector(784)) or a constant's length; for sparsevec, whose typmod bounds
 *     the indices and not the entries, from a constant only (the other
 *     argument is taken to hold as many).  Unknown: DISTANCE_DEFAULT_ELEMS.
 *
 *   - reading the value: a column argument (a Var of a table, or of a
 *     subquery that passes a table's column through) whose values are stored
 *     out of line costs a TOAST fetch each call, priced as PostgreSQL prices
 *     an index scan of the toast table that fetches the value's chunks: a
 *     btree descent, per chunk an index tuple, a heap tuple and a qual, and
 *     the toast pages the chunks fill (EXTERN_TUPLES_PER_PAGE to a page) at
 *     random_page_cost (PgvqColumnDetoastCost; README, ivfpq's "Cost model",
 *     says how it compares with measured scans).
 *
 * The support function only answers SupportRequestCost (NULL for any other
 * request, and when the call's node is not an OpExpr or FuncExpr of two
 * arguments), never raises and reads nothing but the relation and
 * tablespace caches.
 */
#include "postgres.h"

#include <math.h>

#include "access/heaptoast.h"
#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "nodes/nodeFuncs.h"
#include "nodes/pathnodes.h"
#include "nodes/supportnodes.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/spccache.h"
#include "utils/varbit.h"

#include "halfvec.h"
#include "pgvq.h"
#include "sparsevec.h"
#include "vector.h"

/* Elements assumed when neither argument tells (a parameter, a column without typmod) */
#define DISTANCE_DEFAULT_ELEMS	128

typedef struct DistanceKind
{
	double		header;			/* bytes of a value before its elements */
	double		elemBytes;		/* bytes an element takes */
	double		perOperator;	/* elements one cpu_operator_cost stands for */
	bool		typmodIsElems;	/* the typmod is the element count */
	bool		sumArgs;		/* the call goes over both arguments' elements */
} DistanceKind;

enum
{
	KIND_VECTOR,
	KIND_HALFVEC,
	KIND_SPARSEVEC,
	KIND_BIT
};

static const DistanceKind distance_kinds[] = {
	[KIND_VECTOR] = {offsetof(Vector, x), sizeof(float), 16, true, false},
	[KIND_HALFVEC] = {offsetof(HalfVector, x), sizeof(uint16), 16, true, false},
	[KIND_SPARSEVEC] = {offsetof(SparseVector, indices), sizeof(int32) + sizeof(float), 4, false, true},
	[KIND_BIT] = {VARHDRSZ + VARBITHDRSZ, 1.0 / BITS_PER_BYTE, 512, true, false},
};

/*
 * Whether a value of the given raw size in column attno of rel is stored out
 * of line (or compressed): the heap toasts a row longer than
 * TOAST_TUPLE_THRESHOLD, first the extended and external columns, until it
 * fits the table's toast_tuple_target; main columns only past
 * TOAST_TUPLE_TARGET_MAIN.  The row is the value, the tuple header and the
 * other columns of fixed width.
 */
static bool
StoredOutOfLine(Relation rel, AttrNumber attno, double bytes)
{
	TupleDesc	desc = RelationGetDescr(rel);
	Form_pg_attribute att;
	double		row = MAXALIGN(SizeofHeapTupleHeader) + bytes;
	double		limit;
	int			i;

	if (attno < 1 || attno > desc->natts)
		return false;
	att = TupleDescAttr(desc, attno - 1);
	if (att->attisdropped || att->attlen != -1)
		return false;
	if (rel->rd_rel->relkind == RELKIND_RELATION || rel->rd_rel->relkind == RELKIND_MATVIEW)
	{
		if (!OidIsValid(rel->rd_rel->reltoastrelid))
			return false;
		limit = Max(TOAST_TUPLE_THRESHOLD, RelationGetToastTupleTarget(rel, TOAST_TUPLE_TARGET));
	}
	else if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
		limit = TOAST_TUPLE_THRESHOLD;	/* its partitions' storage, as a rule */
	else
		return false;			/* a foreign table, a view: not stored here */

	switch (att->attstorage)
	{
		case TYPSTORAGE_EXTERNAL:
		case TYPSTORAGE_EXTENDED:
			break;
		case TYPSTORAGE_MAIN:
			limit = TOAST_TUPLE_TARGET_MAIN;
			break;
		default:
			return false;
	}
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute other = TupleDescAttr(desc, i);

		if (i != attno - 1 && !other->attisdropped && other->attlen > 0)
			row += other->attlen;
	}
	return row > limit;
}

/*
 * The cost of fetching a value of bytes bytes from the toast table of a
 * table of tuples rows in tablespace spc, priced like an index scan of the
 * toast table: a descent of its index, an index tuple, a heap tuple and a
 * qual (chunk_id =) a chunk, and the pages the chunks fill at
 * random_page_cost.
 */
static double
ToastFetchCost(Oid spc, double bytes, double tuples)
{
	double		chunks = ceil(bytes / TOAST_MAX_CHUNK_SIZE);
	double		pages = chunks / EXTERN_TUPLES_PER_PAGE;
	double		toastTuples = Max(tuples, 1.0) * chunks;
	double		spc_random_page_cost;

	get_tablespace_page_costs(spc, &spc_random_page_cost, NULL);
	return pages * spc_random_page_cost +
		chunks * (cpu_index_tuple_cost + cpu_tuple_cost + cpu_operator_cost) +
		ceil(log2(Max(toastTuples, 2.0))) * cpu_operator_cost;
}

/*
 * The TOAST fetch of a value of bytes bytes from column attno of range table
 * entry rte (relinfo its RelOptInfo, or NULL), 0 when the column's values
 * stay inline.  A column of a subquery the planner kept apart is followed to
 * the table column it passes through, up to DETOAST_MAX_DEPTH levels.
 */
#define DETOAST_MAX_DEPTH 8

static double
RteDetoastCost(RangeTblEntry *rte, RelOptInfo *relinfo, AttrNumber attno, double bytes, int depth)
{
	Relation	rel;
	double		cost = 0;

	if (rte == NULL || attno < 1)
		return 0;
	if (rte->rtekind == RTE_SUBQUERY && rte->subquery != NULL && depth < DETOAST_MAX_DEPTH)
	{
		TargetEntry *tle = get_tle_by_resno(rte->subquery->targetList, attno);
		Node	   *e = tle != NULL && !tle->resjunk ? (Node *) tle->expr : NULL;

		while (e != NULL && IsA(e, RelabelType))
			e = (Node *) ((RelabelType *) e)->arg;
		if (e == NULL || !IsA(e, Var) || ((Var *) e)->varlevelsup != 0 ||
			(int) ((Var *) e)->varno < 1 ||
			(int) ((Var *) e)->varno > list_length(rte->subquery->rtable))
			return 0;
		return RteDetoastCost(rt_fetch(((Var *) e)->varno, rte->subquery->rtable), NULL,
							  ((Var *) e)->varattno, bytes, depth + 1);
	}
	if (rte->rtekind != RTE_RELATION || !OidIsValid(rte->relid))
		return 0;

	rel = RelationIdGetRelation(rte->relid);
	if (!RelationIsValid(rel))
		return 0;
	if (StoredOutOfLine(rel, attno, bytes))
	{
		double		tuples = relinfo != NULL && relinfo->tuples > 0 ?
			relinfo->tuples : (double) rel->rd_rel->reltuples;

		cost = ToastFetchCost(rel->rd_rel->reltablespace, bytes, tuples);
	}
	RelationClose(rel);
	return cost;
}

/*
 * The cost of reading one value of bytes bytes (its raw size) from column
 * attno of range table entry varno: a TOAST fetch when the column's values
 * are stored out of line, else 0 (also for anything that is not a table's
 * column).  Never raises: the relation is in the cache, the planner holds its
 * lock.
 */
double
PgvqColumnDetoastCost(PlannerInfo *root, int varno, AttrNumber attno, double bytes)
{
	RangeTblEntry *rte = NULL;
	RelOptInfo *relinfo = NULL;

	if (root == NULL || varno < 1 || !(bytes > 0))
		return 0;
	if (root->simple_rte_array != NULL)
	{
		if (varno >= root->simple_rel_array_size)
			return 0;
		rte = root->simple_rte_array[varno];
		if (root->simple_rel_array != NULL)
			relinfo = root->simple_rel_array[varno];
	}
	else if (root->parse != NULL && varno <= list_length(root->parse->rtable))
		rte = rt_fetch(varno, root->parse->rtable);
	return RteDetoastCost(rte, relinfo, attno, bytes, 0);
}

/* The elements of a constant's value from its length, or -1. */
static double
ConstElems(const DistanceKind *kind, Const *c)
{
	Pointer		p;
	double		len;

	if (c->constisnull || c->constlen != -1)
		return -1;
	p = DatumGetPointer(c->constvalue);
	if (VARATT_IS_EXTERNAL(p) || VARATT_IS_COMPRESSED(p))
		return -1;
	len = VARSIZE_ANY_EXHDR(p) + VARHDRSZ;
	if (len < kind->header)
		return -1;
	return floor((len - kind->header) / kind->elemBytes);
}

typedef struct DistanceArg
{
	Node	   *expr;			/* the argument, relabelling stripped */
	double		elems;			/* its elements, or -1 */
} DistanceArg;

/* The per-call cost of a distance of kind k with arguments args (two). */
static double
DistanceCallCost(PlannerInfo *root, const DistanceKind *kind, List *args)
{
	DistanceArg a[2];
	double		known = -1;
	double		work;
	double		cost;
	int			i;

	for (i = 0; i < 2; i++)
	{
		Node	   *e = (Node *) list_nth(args, i);
		int32		typmod;

		while (e != NULL && IsA(e, RelabelType))
			e = (Node *) ((RelabelType *) e)->arg;
		a[i].expr = e;
		a[i].elems = -1;
		if (e != NULL && IsA(e, Const))
			a[i].elems = ConstElems(kind, (Const *) e);
		else if (e != NULL && kind->typmodIsElems && (typmod = exprTypmod(e)) > 0)
			a[i].elems = typmod;
		known = Max(known, a[i].elems);
	}
	/* equal dimensions, or (sparsevec) as many entries as the other one */
	for (i = 0; i < 2; i++)
		if (a[i].elems < 0)
			a[i].elems = known;

	if (known < 0)
		work = DISTANCE_DEFAULT_ELEMS;
	else if (kind->sumArgs)
		work = a[0].elems + a[1].elems;
	else
		work = known;
	cost = cpu_operator_cost * (1.0 + work / kind->perOperator);

	for (i = 0; i < 2; i++)
	{
		Var		   *var = (Var *) a[i].expr;
		PlannerInfo *vroot = root;
		Index		up;

		if (a[i].elems < 0 || var == NULL || !IsA(var, Var))
			continue;
		for (up = 0; up < var->varlevelsup && vroot != NULL; up++)
			vroot = vroot->parent_root;
		cost += PgvqColumnDetoastCost(vroot, (int) var->varno, var->varattno,
									  kind->header + a[i].elems * kind->elemBytes);
	}
	return cost;
}

/* Answers SupportRequestCost for a distance of kind k; NULL otherwise. */
static Node *
DistanceSupport(Node *rawreq, int k)
{
	SupportRequestCost *req;
	List	   *args;

	if (rawreq == NULL || !IsA(rawreq, SupportRequestCost))
		return NULL;
	req = (SupportRequestCost *) rawreq;
	if (req->node != NULL && IsA(req->node, OpExpr))
		args = ((OpExpr *) req->node)->args;
	else if (req->node != NULL && IsA(req->node, FuncExpr))
		args = ((FuncExpr *) req->node)->args;
	else
		return NULL;
	if (list_length(args) != 2)
		return NULL;

	req->startup = 0;
	req->per_tuple = DistanceCallCost(req->root, &distance_kinds[k], args);
	return (Node *) req;
}

/* The SQL-callable support function of a distance of kind k. */
#define DISTANCE_SUPPORT_FUNCTION(name, k) \
PGVQ_FUNCTION(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_POINTER(DistanceSupport((Node *) PG_GETARG_POINTER(0), k)); \
}

DISTANCE_SUPPORT_FUNCTION(pgvq_vector_distance_support, KIND_VECTOR)
DISTANCE_SUPPORT_FUNCTION(pgvq_halfvec_distance_support, KIND_HALFVEC)
DISTANCE_SUPPORT_FUNCTION(pgvq_sparsevec_distance_support, KIND_SPARSEVEC)
DISTANCE_SUPPORT_FUNCTION(pgvq_bit_distance_support, KIND_BIT)
