/*
 * ivfpq_retrain_auto.c: when VACUUM retrains an ivfpq index, the settings
 * that say so, and pgvq_ivfpq_retrain(regclass).
 *
 * VACUUM (and autovacuum) retrains an index whose reloption auto_retrain is
 * on (the default) when its table holds at least ivfpq.retrain_min_rows
 * rows and at least as many rows as the lists it would train, and
 *  - it is untrained (built on an empty table: one list, exact scans), or
 *  - its lists option is not set and the row count now asks for at least
 *    twice its lists (4 sqrt(n), as many as training fits in
 *    maintenance_work_mem), or
 *  - ivfpq.retrain_imbalance is not 0 and its lists' imbalance
 *    (sum(n_i^2) * lists / N^2, pgvq_ivfpq_list_stats) is above it and
 *    above 1.5 times the imbalance its last training left (data that no
 *    training balances, e.g. many equal vectors, is not retrained again and
 *    again).
 */
#include "postgres.h"

#include <float.h>
#include <limits.h>

#include "access/table.h"
#include "access/xlog.h"
#include "catalog/index.h"
#include "catalog/pg_class.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "commands/defrem.h"
#include "commands/vacuum.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "storage/bufmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/syscache.h"
#include "utils/rel.h"

#include "ivfpq_retrain.h"
#include "pg_compat.h"

void
IvfpqRetrainInit(void)
{
	DefineCustomIntVariable("ivfpq.retrain_min_rows",
							"Fewest rows a table holds before VACUUM retrains its ivfpq indexes",
							"VACUUM trains an untrained ivfpq index, or retrains an outgrown or "
							"unbalanced one, only once the table holds this many rows.",
							&ivfpq_retrain_min_rows, 10000, 1, INT_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("ivfpq.retrain_imbalance",
							 "List imbalance above which VACUUM retrains an ivfpq index",
							 "The imbalance is sum(n_i^2) * lists / N^2 (1 for equal lists). "
							 "0 turns the imbalance check off.",
							 &ivfpq_retrain_imbalance, 3.0, 0.0, DBL_MAX,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("ivfpq.retrain_pause_lock",
							"Test only: advisory locks a retrain waits for at its steps.",
							"When not 0, a retrain takes and releases the session advisory lock "
							"with this key plus 1 after training, plus 2 once the new structure "
							"is written and plus 3 after the switch.",
							&ivfpq_retrain_pause_lock, 0, 0, INT_MAX - 3,
							PGC_SUSET, GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							NULL, NULL, NULL);
}

/* sum(n_i^2) * lists / N^2 over the live lists (walks every chain). */
static double
ListImbalance(Relation index)
{
	MemoryContext tmp = AllocSetContextCreate(CurrentMemoryContext, "ivfpq imbalance",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(tmp);
	IvfpqCache *cache = IvfpqGetCache(index, tmp);
	double		total = 0;
	double		squares = 0;
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);
	int			list;

	for (list = 0; list < cache->meta.lists; list++)
	{
		BlockNumber blkno = cache->startPages[list];
		double		n = 0;
		int			hops = 0;

		while (blkno != InvalidBlockNumber)
		{
			Buffer		buf;
			Page		page;

			IvfpqCheckChainStep(index, list, blkno, &nblocks, &hops);
			buf = ReadBuffer(index, blkno);
			LockBuffer(buf, BUFFER_LOCK_SHARE);
			page = BufferGetPage(buf);
			IvfpqCheckPage(index, page, blkno, IVFPQ_PAGE_LIST, cache->meta.m);
			n += IvfpqPageGetOpaque(page)->count;
			blkno = IvfpqPageGetOpaque(page)->nextblkno;
			UnlockReleaseBuffer(buf);
			PgvqVacuumDelayPoint();
		}
		total += n;
		squares += n * n;
	}
	list = cache->meta.lists;
	MemoryContextSwitchTo(old);
	MemoryContextDelete(tmp);
	return total > 0 ? squares * list / (total * total) : 1.0;
}

/* check_functions_in_node: a function written in SQL or a procedural language */
static bool
RunsQueries(Oid func, void *context)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(func));
	bool		queries = true;		/* unknown: assume it may */

	if (HeapTupleIsValid(tup))
	{
		Oid			lang = ((Form_pg_proc) GETSTRUCT(tup))->prolang;

		queries = lang != INTERNALlanguageId && lang != ClanguageId;
		ReleaseSysCache(tup);
	}
	if (queries)
		*(Oid *) context = func;
	return queries;
}

static bool
CallsQueryFunction(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (check_functions_in_node(node, RunsQueries, context))
		return true;
	return expression_tree_walker(node, CallsQueryFunction, context);
}

/*
 * An index expression that calls a function written in SQL or a procedural
 * language may read or write the index itself, and the retrain's last
 * catch-up evaluates it under the exclusive meta lock: pgvq_ivfpq_retrain
 * then fails with 55006, which from VACUUM would fail the whole VACUUM.
 * VACUUM leaves such indexes alone (LOG); the function retrains them.
 */
static bool
ExpressionRunsQueries(Relation index)
{
	List	   *exprs = RelationGetIndexExpressions(index);
	Oid			func = InvalidOid;

	if (exprs == NIL || !CallsQueryFunction((Node *) exprs, &func))
		return false;
	ereport(LOG,
			(errmsg("ivfpq index \"%s\" is not retrained by VACUUM: its expression calls %s, written in SQL or a procedural language",
					RelationGetRelationName(index), format_procedure(func)),
			 errhint("SELECT pgvq_ivfpq_retrain('%s') retrains it.",
					 quote_qualified_identifier(get_namespace_name(RelationGetNamespace(index)),
												RelationGetRelationName(index)))));
	return true;
}

/* Whether VACUUM retrains the index, whose table holds about rows rows. */
bool
IvfpqRetrainWanted(Relation index, double rows)
{
	IvfpqOptions *opts = (IvfpqOptions *) index->rd_options;
	int			optLists = opts ? opts->lists : 0;
	int			target;
	IvfpqMetaPageData meta;
	Size		need;

	if ((opts && !opts->autoRetrain) || rows < ivfpq_retrain_min_rows || RecoveryInProgress())
		return false;
	IvfpqReadMeta(index, &meta);
	/* the lists a retrain would train: the default within maintenance_work_mem */
	target = optLists > 0 ? optLists :
		IvfpqDefaultListsFitting(rows, 0, meta.dimensions, meta.nbits,
								 (Size) maintenance_work_mem * 1024);
	if (rows < target)
		return false;
	if (meta.trained && !(optLists == 0 && target >= 2 * meta.lists))
	{
		double		imbalance;

		if (ivfpq_retrain_imbalance <= 0 || meta.lists < 2)
			return false;
		imbalance = ListImbalance(index);
		if (imbalance <= ivfpq_retrain_imbalance || imbalance <= 1.5 * meta.trainImbalance)
			return false;
	}

	if (ExpressionRunsQueries(index))
		return false;
	need = (Size) (rows * (IvfpqEntryBytes(meta.m) + sizeof(ItemPointerData)));
	if (need > (Size) maintenance_work_mem * 1024)
	{
		ereport(LOG,
				(errmsg("ivfpq index \"%s\" is not retrained: it needs about %zu MB, maintenance_work_mem is %d MB",
						RelationGetRelationName(index), need / (1024 * 1024) + 1,
						maintenance_work_mem / 1024),
				 errhint("Increase maintenance_work_mem, or REINDEX INDEX CONCURRENTLY.")));
		return false;
	}
	return true;
}

/*
 * pgvq_ivfpq_retrain(index regclass) -> (lists int, tuples bigint,
 * previous_lists int): retrains the index now, without blocking writes or
 * queries (the caller must own the table).
 */
PGDLLEXPORT PG_FUNCTION_INFO_V1(pgvq_ivfpq_retrain);
Datum
pgvq_ivfpq_retrain(PG_FUNCTION_ARGS)
{
	Oid			indexoid = PG_GETARG_OID(0);
	Oid			heapoid;
	Relation	heap;
	Relation	index;
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	IvfpqRetrainResult res;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot retrain an ivfpq index during recovery")));
	heapoid = IndexGetRelation(indexoid, true);
	if (!OidIsValid(heapoid) || get_rel_relkind(indexoid) != RELKIND_INDEX)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not an ivfpq index", get_rel_name(indexoid) ?
						get_rel_name(indexoid) : "?")));
	if (!PgvqRelationOwnerCheck(heapoid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_INDEX, get_rel_name(indexoid));

	/* The table first, as everywhere; no VACUUM or other retrain meanwhile */
	heap = table_open(heapoid, ShareUpdateExclusiveLock);
	index = index_open(indexoid, ShareUpdateExclusiveLock);
	if (index->rd_rel->relam != get_index_am_oid("ivfpq", false))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not an ivfpq index", RelationGetRelationName(index))));
	if (RELATION_IS_OTHER_TEMP(heap))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot retrain indexes of temporary tables of other sessions")));
	if (!index->rd_index->indisvalid)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("ivfpq index \"%s\" is not valid", RelationGetRelationName(index)),
				 errhint("REINDEX it.")));

	IvfpqRetrain(heap, index, 0, NULL, &res);

	index_close(index, NoLock);
	table_close(heap, NoLock);
	values[0] = Int32GetDatum(res.lists);
	values[1] = Int64GetDatum(res.rows);
	values[2] = Int32GetDatum(res.oldLists);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}
