/*
 * ivfpq_handler.c: the ivfpq access method's handler, reloptions, GUCs, cost
 * estimate, opclass validation, build phase names, the opclass metric support
 * functions and the per-list statistics function.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/amvalidate.h"
#include "access/htup_details.h"
#include "access/reloptions.h"
#include "access/relation.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "catalog/pg_amop.h"
#include "catalog/pg_amproc.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/progress.h"
#include "commands/vacuum.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "optimizer/optimizer.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/regproc.h"
#include "utils/selfuncs.h"
#include "utils/spccache.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

#include "halfvec.h"
#include "ivfpq.h"
#include "ivfpq_scan.h"
#include "vector.h"

int			ivfpq_probes = 30;
int			ivfpq_rerank = 100;
int			ivfpq_max_probes = -1;
int			ivfpq_max_scan_tuples = -1;
int			ivfpq_build_threads = 0;
int			ivfpq_code_scan = IVFPQ_CODE_SCAN_AUTO;

static const struct config_enum_entry code_scan_options[] = {
	{"auto", IVFPQ_CODE_SCAN_AUTO, false},
	{"float", IVFPQ_CODE_SCAN_FLOAT, false},
	{"int8", IVFPQ_CODE_SCAN_INT8, false},
	{"int16", IVFPQ_CODE_SCAN_INT16, false},
	{NULL, 0, false}
};

static relopt_kind ivfpq_relopt_kind;

void
IvfpqInit(void)
{
	ivfpq_relopt_kind = add_reloption_kind();
	add_int_reloption(ivfpq_relopt_kind, "lists",
					  "Number of inverted lists (default: from the row count)",
					  0, IVFPQ_MIN_LISTS, IVFPQ_MAX_LISTS, AccessExclusiveLock);
	add_int_reloption(ivfpq_relopt_kind, "m",
					  "Number of PQ sub-quantizers, a divisor of the dimensions (default: from the dimensions)",
					  0, 1, IVFPQ_MAX_M, AccessExclusiveLock);
	add_int_reloption(ivfpq_relopt_kind, "nbits",
					  "Bits per sub-quantizer code",
					  IVFPQ_DEFAULT_NBITS, IVFPQ_MIN_NBITS, IVFPQ_MAX_NBITS, AccessExclusiveLock);
	add_bool_reloption(ivfpq_relopt_kind, "auto_retrain",
					   "VACUUM retrains the index when it is untrained, outgrown or unbalanced",
					   true, ShareUpdateExclusiveLock);
	IvfpqRetrainInit();
	IvfpqPrefilterInit();

	DefineCustomIntVariable("ivfpq.probes", "Number of lists probed by an ivfpq scan",
							"Larger values raise recall and cost.",
							&ivfpq_probes, 30, 1, IVFPQ_MAX_LISTS,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("ivfpq.rerank", "Most heap fetches a stage of an ivfpq scan makes while it waits for exact order",
							"0 (the default) means no limit: rows come back in exact distance "
							"order within the probed lists.  Past the limit the scan returns its "
							"best re-ranked row after each fetch without waiting for the bounds.",
							&ivfpq_rerank, 0, 0, INT_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("ivfpq.max_probes", "Most lists an ivfpq scan visits when more rows are asked for",
							"-1 means all lists.  A scan starts with ivfpq.probes lists and "
							"probes further lists only while the executor keeps asking for rows.",
							&ivfpq_max_probes, -1, -1, IVFPQ_MAX_LISTS,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("ivfpq.max_scan_tuples", "Most rows an ivfpq scan re-ranks from the heap, over all its stages",
							"-1 means no limit.  At the limit the scan returns the rows it has "
							"re-ranked, in exact order among themselves, and then ends.",
							&ivfpq_max_scan_tuples, -1, -1, INT_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("ivfpq.exact_bounds", "An ivfpq scan bounds the rows it has not re-ranked by the worst case of their codes' errors",
							 "off (the default): once a scan has re-ranked 32 rows it bounds the "
							 "others by three times the largest share of the worst case measured "
							 "on them, at least their mean plus 4 standard deviations and 4 / "
							 "sqrt(dimensions), for 8-bit codes of at most 8 dimensions a byte "
							 "(much tighter where distances "
							 "crowd together); "
							 "a row that beats its bound comes back late.  on: rows come back in "
							 "exact order among the lists reached, proven.",
							 &ivfpq_exact_bounds, false, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomEnumVariable("ivfpq.code_scan", "How an ivfpq scan sums the PQ tables of 8-bit codes: auto, float, int8 or int16",
							 "int8 and int16 quantize the query's table to integers (rounded down, "
							 "so the sums stay lower bounds) and look them up in registers with "
							 "AVX-512 VBMI; auto takes int16 there.  Without VBMI every choice "
							 "scans the float table.  With ivfpq.rerank = 0 (the default) rows come "
							 "back in the same exact order; with a cap the rows re-ranked follow "
							 "the quantized values.",
							 &ivfpq_code_scan, IVFPQ_CODE_SCAN_AUTO, code_scan_options,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("ivfpq.build_threads", "Threads the core uses for k-means, PQ training and encoding",
							"0 (the default) means max_parallel_maintenance_workers + 1, no more "
							"than the CPUs divided by the index builds running at the time.",
							&ivfpq_build_threads, 0, 0, 1024,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("ivfpq.cache_size", "Memory a backend keeps for ivfpq indexes between statements",
							"For every index together: centroids and codebooks, "
							"least recently used out first.  0 keeps nothing once a scan ends.",
							&ivfpq_cache_size, 64 * 1024, 0, MAX_KILOBYTES,
							PGC_USERSET, GUC_UNIT_KB, NULL, NULL, NULL);
	MarkGUCPrefixReserved("ivfpq");
}

static bytea *
ivfpqoptions(Datum reloptions, bool validate)
{
	static const relopt_parse_elt tab[] = {
		{"lists", RELOPT_TYPE_INT, offsetof(IvfpqOptions, lists)},
		{"m", RELOPT_TYPE_INT, offsetof(IvfpqOptions, m)},
		{"nbits", RELOPT_TYPE_INT, offsetof(IvfpqOptions, nbits)},
		{"auto_retrain", RELOPT_TYPE_BOOL, offsetof(IvfpqOptions, autoRetrain)},
	};

	return (bytea *) build_reloptions(reloptions, validate, ivfpq_relopt_kind,
									  sizeof(IvfpqOptions), tab, lengthof(tab));
}

static char *
ivfpqbuildphasename(int64 phasenum)
{
	switch (phasenum)
	{
		case PROGRESS_CREATEIDX_SUBPHASE_INITIALIZE:
			return "initializing";
		case PROGRESS_IVFPQ_PHASE_SAMPLE:
			return "sampling training rows";
		case PROGRESS_IVFPQ_PHASE_KMEANS:
			return "performing k-means";
		case PROGRESS_IVFPQ_PHASE_PQ:
			return "training product quantizer";
		case PROGRESS_IVFPQ_PHASE_ENCODE:
			return "encoding tuples";
		case PROGRESS_IVFPQ_PHASE_LOAD:
			return "loading tuples";
		default:
			return NULL;
	}
}

/*
 * Cost (see README, "Cost model").  The scan ranks the lists, reaches the
 * nearest ivfpq.probes lists (their code pages read in chain order, every
 * entry's ADC value and bound computed) and re-ranks rows from the heap in
 * bound order until the order is proven.  For c rows returned it reaches
 * probes * sqrt(c / IVFPQ_REACH_ROWS) lists (ivfpq_reach.c) and makes about
 * F * (c / 10)^0.57 heap fetches, F those the first 10 rows need: the rows
 * whose bound falls below the 10th distance, near the query whatever the
 * lists (mnist, 60,000 rows, m 196: 119 heap blocks with 60 lists, 122 fetches with 245).  F
 * grows with the dimensions a code byte stands for (looser bounds) and
 * slowly with the rows: F = 4.5 * (dims / m / 4)^1.9 * rows^0.3, from mnist
 * with m 196 (4 dimensions a byte) at 5,000 / 20,000 / 60,000 rows (55 / 78
 * / 122 fetches) and m 49 (16 a byte: 1,471 heap blocks at 60,000); an
 * entry's code costs m operator costs, one a table lookup
 * (mnist with m 196 and every list reached under a 1% filter: 60,000 entries'
 * codes take about 60% of the query by an estimate from the QPS of m 49, 196
 * and 392, and the sequential scan was faster);
 * the exponent 0.57 is the growth measured on mnist
 * between 10 and 1,100 rows returned.  With ivfpq.rerank = N the fetches
 * are about N + c.  The rows the scan returns before the query has what it
 * needs come from the WHERE clause's selectivity and the LIMIT
 * (PgvqRowsNeeded); the startup cost is set so that the planner's LIMIT
 * share of (total - startup) gives this estimate (PgvqStartupForRows).  The
 * total is every list the scan may probe and a fetch of every entry in them.
 * The executor's own heap fetch of the rows returned and the WHERE clause
 * are added by cost_index.  Without an ORDER BY the index is useless.  Never
 * raises (see below).
 */
typedef struct IvfpqCostInputs
{
	double		tuples;
	double		lists;
	double		probes;
	double		maxProbes;
	double		perList;		/* scanning one list's codes */
	double		rank;			/* ranking the lists */
	double		fetch;			/* one heap fetch and exact distance */
	double		fetch10;		/* heap fetches of the first 10 rows */
} IvfpqCostInputs;

/* The estimated cost of returning c rows. */
static double
IvfpqCostForRows(const IvfpqCostInputs *in, double c)
{
	double		reach = in->probes;
	double		fetches;

	c = Max(c, 1.0);
	if (c > IVFPQ_REACH_ROWS)
		reach = Min(in->maxProbes, Max(in->probes, in->probes * sqrt(c / IVFPQ_REACH_ROWS)));
	if (ivfpq_rerank > 0)
		fetches = ivfpq_rerank + c;
	else
		fetches = in->fetch10 * pow(c / 10.0, 0.57);
	fetches = Min(fetches, in->tuples * reach / in->lists);
	return in->rank + reach * in->perList + fetches * in->fetch;
}

static void
ivfpqcostestimate(PlannerInfo *root, IndexPath *path, double loop_count,
				  Cost *indexStartupCost, Cost *indexTotalCost,
				  Selectivity *indexSelectivity, double *indexCorrelation,
				  double *indexPages)
{
	GenericCosts costs;
	IndexOptInfo *info = path->indexinfo;
	IvfpqCostInputs in;
	double		m = 16;
	double		dims = 128;
	double		pages = Max((double) info->pages - 1, 1.0);
	double		spc_seq_page_cost;
	double		spc_random_page_cost;
	double		needed;
	double		valueBytes;
	Relation	index;

	if (path->indexorderbys == NIL)
	{
		*indexStartupCost = DBL_MAX;
		*indexTotalCost = DBL_MAX;
		*indexSelectivity = 0;
		*indexCorrelation = 0;
		*indexPages = 0;
		PgvqRejectIndexPath(path);
		return;
	}

	PgvqOrderByParallelSafety(root, path);

	/*
	 * Costing runs for every plan, even with enable_indexscan off: it must
	 * not raise.  A meta page that cannot be read or verified leaves default
	 * figures (the scan itself reports the corruption).
	 */
	in.lists = 100;
	index = index_open(info->indexoid, NoLock);
	{
		IvfpqMetaPageData meta;

		if (IvfpqTryReadMeta(index, &meta))
		{
			in.lists = Max(meta.lists, 1);
			m = Max(meta.m, 1);
			dims = meta.dimensions;
		}
	}
	valueBytes = IvfpqGetColumnType(index) == IVFPQ_COLUMN_HALFVEC ?
		HALFVEC_SIZE(dims) : VECTOR_SIZE(dims);
	index_close(index, NoLock);

	MemSet(&costs, 0, sizeof(costs));
	genericcostestimate(root, path, loop_count, &costs);
	get_tablespace_page_costs(info->reltablespace, &spc_random_page_cost, &spc_seq_page_cost);

	in.tuples = Max(info->tuples, 1.0);
	in.probes = Min((double) ivfpq_probes, in.lists);
	in.maxProbes = ivfpq_max_probes < 0 ? in.lists : Min(in.lists, Max(in.probes, (double) ivfpq_max_probes));
	/* one list: its code pages in chain order, an ADC value and a bound an entry */
	in.perList = (pages / in.lists) * spc_seq_page_cost +
		(in.tuples / in.lists) * (cpu_index_tuple_cost + cpu_operator_cost * (1.0 + m));
	/* ranking the lists: a distance to every centroid */
	in.rank = in.lists * cpu_operator_cost * (1.0 + dims / 64.0);

	/*
	 * A re-ranked row: the scan's own heap fetch (a random page, mostly
	 * cached, but a row it reads whole: measured at about three quarters of
	 * random_page_cost against a sequential scan's cost per page), the TOAST
	 * fetch of its vector when the column is stored out of line (the
	 * distance functions' own price, distance_cost.c) and its exact
	 * distance; the executor fetches the rows the scan returns once more,
	 * which cost_index adds.
	 */
	in.fetch = spc_random_page_cost * 0.75 + cpu_tuple_cost + cpu_operator_cost * (1.0 + dims / 16.0);
	if (info->nkeycolumns == 1 && info->indexkeys[0] > 0)
		in.fetch += PgvqColumnDetoastCost(root, (int) info->rel->relid, info->indexkeys[0], valueBytes);
	in.fetch10 = Min(in.tuples, 4.5 * pow(Max(dims / m, 1.0) / 4.0, 1.9) * pow(in.tuples, 0.3));

	needed = PgvqRowsNeeded(root, path);
	*indexTotalCost = IvfpqCostForRows(&in, in.tuples);
	*indexStartupCost = PgvqStartupForRows(needed, in.tuples, IvfpqCostForRows(&in, needed),
										   *indexTotalCost, IvfpqCostForRows(&in, 1.0));
	*indexSelectivity = costs.indexSelectivity;
	*indexCorrelation = 0;
	*indexPages = pages * in.maxProbes / in.lists;
}

/* Checks an opclass of the ivfpq access method (amvalidate). */
static bool
ivfpqvalidate(Oid opclassoid)
{
	bool		result = true;
	HeapTuple	classtup;
	Form_pg_opclass classform;
	Oid			opfamilyoid;
	Oid			opcintype;
	char	   *opclassname;
	CatCList   *proclist,
			   *oprlist;
	int			i;
	bool		hasMetric = false;
	bool		hasOrderBy = false;

	classtup = SearchSysCache1(CLAOID, ObjectIdGetDatum(opclassoid));
	if (!HeapTupleIsValid(classtup))
		elog(ERROR, "cache lookup failed for operator class %u", opclassoid);
	classform = (Form_pg_opclass) GETSTRUCT(classtup);
	opfamilyoid = classform->opcfamily;
	opcintype = classform->opcintype;
	opclassname = NameStr(classform->opcname);

	proclist = SearchSysCacheList1(AMPROCNUM, ObjectIdGetDatum(opfamilyoid));
	for (i = 0; i < proclist->n_members; i++)
	{
		HeapTuple	proctup = &proclist->members[i]->tuple;
		Form_pg_amproc procform = (Form_pg_amproc) GETSTRUCT(proctup);

		if (procform->amproclefttype != opcintype || procform->amprocrighttype != opcintype)
			continue;
		if (procform->amprocnum != IVFPQ_METRIC_PROC)
		{
			ereport(INFO,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("ivfpq operator class \"%s\" contains support function %d, which is not valid",
							opclassname, procform->amprocnum)));
			result = false;
			continue;
		}
		if (!check_amproc_signature(procform->amproc, INT4OID, true, 1, 1, INTERNALOID))
		{
			ereport(INFO,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("ivfpq operator class \"%s\" support function %d has the wrong signature",
							opclassname, procform->amprocnum)));
			result = false;
			continue;
		}
		hasMetric = true;
	}
	ReleaseSysCacheList(proclist);

	oprlist = SearchSysCacheList1(AMOPSTRATEGY, ObjectIdGetDatum(opfamilyoid));
	for (i = 0; i < oprlist->n_members; i++)
	{
		HeapTuple	oprtup = &oprlist->members[i]->tuple;
		Form_pg_amop oprform = (Form_pg_amop) GETSTRUCT(oprtup);

		if (oprform->amopstrategy != 1 || oprform->amoppurpose != AMOP_ORDER ||
			!check_amop_signature(oprform->amopopr, FLOAT8OID, oprform->amoplefttype,
								  oprform->amoprighttype))
		{
			ereport(INFO,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("ivfpq operator class \"%s\" contains operator %u, which must be an ORDER BY operator of strategy 1 returning double precision",
							opclassname, oprform->amopopr)));
			result = false;
			continue;
		}
		hasOrderBy = true;
	}
	ReleaseSysCacheList(oprlist);

	if (!hasMetric || !hasOrderBy)
	{
		ereport(INFO,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("ivfpq operator class \"%s\" needs support function 1 and an ORDER BY operator",
						opclassname)));
		result = false;
	}

	ReleaseSysCache(classtup);
	return result;
}

PGDLLEXPORT PG_FUNCTION_INFO_V1(ivfpqhandler);
Datum
ivfpqhandler(PG_FUNCTION_ARGS)
{
	IndexAmRoutine *amroutine = makeNode(IndexAmRoutine);

	amroutine->amstrategies = 0;
	amroutine->amsupport = IVFPQ_NPROCS;
	amroutine->amoptsprocnum = 0;
	PgvqSetOrderingAmFlags(amroutine);
	PgvqSetCanBuildParallel(amroutine);

	amroutine->ambuild = ivfpqbuild;
	amroutine->ambuildempty = ivfpqbuildempty;
	amroutine->aminsert = ivfpqinsert;
	amroutine->ambulkdelete = ivfpqbulkdelete;
	amroutine->amvacuumcleanup = ivfpqvacuumcleanup;
	amroutine->amcanreturn = NULL;
	amroutine->amcostestimate = ivfpqcostestimate;
	amroutine->amoptions = ivfpqoptions;
	amroutine->amproperty = NULL;
	amroutine->ambuildphasename = ivfpqbuildphasename;
	amroutine->amvalidate = ivfpqvalidate;
	amroutine->amadjustmembers = NULL;
	amroutine->ambeginscan = ivfpqbeginscan;
	amroutine->amrescan = ivfpqrescan;
	amroutine->amgettuple = ivfpqgettuple;
	amroutine->amgetbitmap = NULL;
	amroutine->amendscan = ivfpqendscan;
	amroutine->ammarkpos = NULL;
	amroutine->amrestrpos = NULL;
	amroutine->amestimateparallelscan = NULL;
	amroutine->aminitparallelscan = NULL;
	amroutine->amparallelrescan = NULL;

	PG_RETURN_POINTER(amroutine);
}

/* Opclass support function 1: the metric of the opclass. */
PGDLLEXPORT PG_FUNCTION_INFO_V1(pgvq_ivfpq_metric_l2);
Datum
pgvq_ivfpq_metric_l2(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(PGVQ_METRIC_L2);
}

PGDLLEXPORT PG_FUNCTION_INFO_V1(pgvq_ivfpq_metric_ip);
Datum
pgvq_ivfpq_metric_ip(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(PGVQ_METRIC_IP);
}

PGDLLEXPORT PG_FUNCTION_INFO_V1(pgvq_ivfpq_metric_cosine);
Datum
pgvq_ivfpq_metric_cosine(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(PGVQ_METRIC_COSINE);
}

/* Opens an ivfpq index (AccessShareLock) for a reader with SELECT on its table. */
static Relation
OpenIvfpqIndex(Oid indexoid)
{
	Relation	index = try_relation_open(indexoid, AccessShareLock);
	AclResult	aclresult;

	if (index == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", indexoid)));
	if (index->rd_rel->relkind == RELKIND_PARTITIONED_INDEX)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is a partitioned index", RelationGetRelationName(index)),
				 errhint("Call the function on the index of each partition.")));
	if (index->rd_rel->relkind != RELKIND_INDEX ||
		index->rd_rel->relam != get_index_am_oid("ivfpq", false))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not an ivfpq index", RelationGetRelationName(index))));
	aclresult = pg_class_aclcheck(index->rd_index->indrelid, GetUserId(), ACL_SELECT);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_TABLE, get_rel_name(index->rd_index->indrelid));
	return index;
}

/*
 * pgvq_ivfpq_trained(regclass) -> bool: false for an index built on no rows
 * (one list; scans re-rank every row), from its meta page.
 */
PGDLLEXPORT PG_FUNCTION_INFO_V1(pgvq_ivfpq_trained);
Datum
pgvq_ivfpq_trained(PG_FUNCTION_ARGS)
{
	Relation	index = OpenIvfpqIndex(PG_GETARG_OID(0));
	IvfpqMetaPageData meta;

	IvfpqReadMeta(index, &meta);
	relation_close(index, AccessShareLock);
	PG_RETURN_BOOL(meta.trained != 0);
}

/*
 * pgvq_ivfpq_lists_option(regclass) -> int: the index's lists option as the
 * build reads it, NULL when unset (the build chooses from the row count).
 */
PGDLLEXPORT PG_FUNCTION_INFO_V1(pgvq_ivfpq_lists_option);
Datum
pgvq_ivfpq_lists_option(PG_FUNCTION_ARGS)
{
	Relation	index = OpenIvfpqIndex(PG_GETARG_OID(0));
	IvfpqOptions *opts = (IvfpqOptions *) index->rd_options;
	int			lists = opts != NULL ? opts->lists : 0;

	relation_close(index, AccessShareLock);
	if (lists <= 0)
		PG_RETURN_NULL();
	PG_RETURN_INT32(lists);
}

/*
 * pgvq_ivfpq_lists(regclass) -> (list int, tuples bigint, pages int): walks
 * every list chain of an ivfpq index.
 */
PGDLLEXPORT PG_FUNCTION_INFO_V1(pgvq_ivfpq_lists);
Datum
pgvq_ivfpq_lists(PG_FUNCTION_ARGS)
{
	Oid			indexoid = PG_GETARG_OID(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Relation	index;
	IvfpqCache *cache;
	BlockNumber nblocks;
	int			list;
	MemoryContext tmp;

	InitMaterializedSRF(fcinfo, 0);

	index = OpenIvfpqIndex(indexoid);

	tmp = AllocSetContextCreate(CurrentMemoryContext, "ivfpq lists", ALLOCSET_SMALL_SIZES);
	cache = IvfpqGetCache(index, tmp);
	nblocks = RelationGetNumberOfBlocks(index);

	for (list = 0; list < cache->meta.lists; list++)
	{
		BlockNumber blkno = cache->startPages[list];
		int64		tuples = 0;
		int32		pages = 0;
		int			hops = 0;
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		CHECK_FOR_INTERRUPTS();
		while (blkno != InvalidBlockNumber)
		{
			Buffer		buf;
			Page		page;

			/* concurrent inserts may have extended the index since nblocks was read */
			IvfpqCheckChainStep(index, list, blkno, &nblocks, &hops);
			buf = ReadBuffer(index, blkno);
			LockBuffer(buf, BUFFER_LOCK_SHARE);
			page = BufferGetPage(buf);
			IvfpqCheckPage(index, page, blkno, IVFPQ_PAGE_LIST, cache->meta.m);
			tuples += IvfpqPageGetOpaque(page)->count;
			pages++;
			blkno = IvfpqPageGetOpaque(page)->nextblkno;
			UnlockReleaseBuffer(buf);
			CHECK_FOR_INTERRUPTS();
		}
		values[0] = Int32GetDatum(list);
		values[1] = Int64GetDatum(tuples);
		values[2] = Int32GetDatum(pages);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

	MemoryContextDelete(tmp);
	relation_close(index, AccessShareLock);
	return (Datum) 0;
}
