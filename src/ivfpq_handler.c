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

#include "ivfpq.h"

int			ivfpq_probes = 10;
int			ivfpq_rerank = 100;
int			ivfpq_max_probes = -1;
int			ivfpq_build_threads = 0;

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

	DefineCustomIntVariable("ivfpq.probes", "Number of lists probed by an ivfpq scan",
							"Larger values raise recall and cost.",
							&ivfpq_probes, 10, 1, IVFPQ_MAX_LISTS,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("ivfpq.rerank", "Candidates re-ranked with exact distances per batch",
							"The scan re-ranks this many PQ candidates from the heap, "
							"returns them in exact distance order, and takes the next batch "
							"when more rows are asked for.",
							&ivfpq_rerank, 100, 1, 1000000,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("ivfpq.max_probes", "Most lists an ivfpq scan visits when more rows are asked for",
							"-1 means all lists.  A scan starts with ivfpq.probes lists and "
							"probes further lists only while the executor keeps asking for rows.",
							&ivfpq_max_probes, -1, -1, IVFPQ_MAX_LISTS,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("ivfpq.build_threads", "Threads the core uses for k-means, PQ training and encoding",
							"0 means all hardware threads.",
							&ivfpq_build_threads, 0, 0, 1024,
							PGC_USERSET, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("ivfpq");
}

static bytea *
ivfpqoptions(Datum reloptions, bool validate)
{
	static const relopt_parse_elt tab[] = {
		{"lists", RELOPT_TYPE_INT, offsetof(IvfpqOptions, lists)},
		{"m", RELOPT_TYPE_INT, offsetof(IvfpqOptions, m)},
		{"nbits", RELOPT_TYPE_INT, offsetof(IvfpqOptions, nbits)},
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
 * Cost: the scan reads the centroids, probes/lists of the list pages and
 * re-ranks ivfpq.rerank rows from the heap before it returns its first row.
 * Without an ORDER BY the index is useless.
 */
static void
ivfpqcostestimate(PlannerInfo *root, IndexPath *path, double loop_count,
				  Cost *indexStartupCost, Cost *indexTotalCost,
				  Selectivity *indexSelectivity, double *indexCorrelation,
				  double *indexPages)
{
	GenericCosts costs;
	int			lists = 100;
	double		ratio;
	Relation	index;
	double		spc_random_page_cost;

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

	index = index_open(path->indexinfo->indexoid, NoLock);
	if (RelationGetNumberOfBlocks(index) > 0)
	{
		IvfpqMetaPageData meta;

		IvfpqReadMeta(index, &meta);
		lists = meta.lists;
	}
	index_close(index, NoLock);

	ratio = Min(1.0, (double) ivfpq_probes / lists);

	MemSet(&costs, 0, sizeof(costs));
	costs.numIndexTuples = path->indexinfo->tuples * ratio;
	genericcostestimate(root, path, loop_count, &costs);

	get_tablespace_page_costs(path->indexinfo->reltablespace, &spc_random_page_cost, NULL);

	/* The list pages are read sequentially */
	costs.indexTotalCost -= costs.numIndexPages * (spc_random_page_cost - 1.0) * ratio;
	/* Re-ranking: heap fetches of the candidate pool */
	costs.indexTotalCost += Min(ivfpq_rerank, path->indexinfo->rel->tuples) *
		(spc_random_page_cost * 0.25 + cpu_operator_cost * 10);
	if (costs.indexTotalCost < 0)
		costs.indexTotalCost = 0;

	/* Everything happens before the first row */
	*indexStartupCost = costs.indexTotalCost;
	*indexTotalCost = costs.indexTotalCost;
	*indexSelectivity = costs.indexSelectivity;
	*indexCorrelation = 0;
	*indexPages = costs.numIndexPages * ratio;
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
	AclResult	aclresult;
	BlockNumber nblocks;
	int			list;
	MemoryContext tmp;

	InitMaterializedSRF(fcinfo, 0);

	index = relation_open(indexoid, AccessShareLock);
	if (index->rd_rel->relkind != RELKIND_INDEX ||
		index->rd_rel->relam != get_index_am_oid("ivfpq", false))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not an ivfpq index", RelationGetRelationName(index))));
	aclresult = pg_class_aclcheck(index->rd_index->indrelid, GetUserId(), ACL_SELECT);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_TABLE, get_rel_name(index->rd_index->indrelid));

	tmp = AllocSetContextCreate(CurrentMemoryContext, "ivfpq lists", ALLOCSET_SMALL_SIZES);
	cache = IvfpqGetCache(index, tmp);
	nblocks = RelationGetNumberOfBlocks(index);

	for (list = 0; list < cache->meta.lists; list++)
	{
		BlockNumber blkno = cache->startPages[list];
		int64		tuples = 0;
		int32		pages = 0;
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		CHECK_FOR_INTERRUPTS();
		while (blkno != InvalidBlockNumber)
		{
			Buffer		buf;
			Page		page;

			/* concurrent inserts may have extended the index since nblocks was read */
			if (blkno >= nblocks)
				nblocks = RelationGetNumberOfBlocks(index);
			if (blkno >= nblocks || pages > (int32) nblocks)
				ereport(ERROR,
						(errcode(ERRCODE_INDEX_CORRUPTED),
						 errmsg("index \"%s\" has a broken chain for list %d at block %u",
								RelationGetRelationName(index), list, blkno)));
			buf = ReadBuffer(index, blkno);
			LockBuffer(buf, BUFFER_LOCK_SHARE);
			page = BufferGetPage(buf);
			IvfpqCheckPage(index, page, blkno, IVFPQ_PAGE_LIST, cache->meta.m);
			tuples += IvfpqPageGetOpaque(page)->count;
			pages++;
			blkno = IvfpqPageGetOpaque(page)->nextblkno;
			UnlockReleaseBuffer(buf);
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
