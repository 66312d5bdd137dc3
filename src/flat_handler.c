/*
 * flat_handler.c: the flat access method's handler, settings, options, cost
 * estimate and build phase names.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/amapi.h"
#include "access/reloptions.h"
#include "commands/progress.h"
#include "commands/vacuum.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "utils/float.h"
#include "utils/guc.h"
#include "utils/rel.h"
#include "utils/selfuncs.h"
#include "utils/spccache.h"

#include "flat.h"

int			flat_batch_size = FLAT_DEFAULT_BATCH_SIZE;

static relopt_kind flat_relopt_kind;

void
FlatInit(void)
{
	/* flat has no storage parameters yet; the kind rejects unknown ones */
	flat_relopt_kind = add_reloption_kind();

	DefineCustomIntVariable("pgvq.flat_batch_size",
							"Rows a flat index scan collects per pass over the index.",
							"The first pass keeps this many nearest rows; when the query needs "
							"more (a WHERE clause rejected rows), each further pass doubles it.",
							&flat_batch_size,
							FLAT_DEFAULT_BATCH_SIZE, 1, FLAT_MAX_BATCH_SIZE,
							PGC_USERSET, 0, NULL, NULL, NULL);
}

bytea *
flatoptions(Datum reloptions, bool validate)
{
	/* no options: validates (rejects unknown names) and returns NULL */
	return (bytea *) build_reloptions(reloptions, validate, flat_relopt_kind,
									  sizeof(int32), NULL, 0);
}

char *
flatbuildphasename(int64 phasenum)
{
	switch (phasenum)
	{
		case PROGRESS_CREATEIDX_SUBPHASE_INITIALIZE:
			return "initializing";
		case FLAT_PHASE_LOAD:
			return "loading tuples";
		default:
			return NULL;
	}
}

/*
 * Cost of a flat index scan.  The first tuple costs a whole pass over the
 * index (every entry's distance, SIMD, no per-row function call, no sort), so
 * the startup cost is nearly the total.  Without an ordering operator the
 * index is useless: infinite cost (as pgvector does).
 *
 * The index's own pages are its I/O.  The exact distances come from them:
 * the scan re-ranks no heap row and fetches nothing from TOAST, whereas a
 * sequential scan of a table whose vectors are stored out of line pays a
 * TOAST fetch in every distance it computes (the distance functions' cost,
 * distance_cost.c), so the pages are not capped at the heap's.
 */
void
flatcostestimate(PlannerInfo *root, IndexPath *path, double loop_count,
				 Cost *indexStartupCost, Cost *indexTotalCost,
				 Selectivity *indexSelectivity, double *indexCorrelation,
				 double *indexPages)
{
	GenericCosts costs;
	IndexOptInfo *index = path->indexinfo;
	double		spc_seq_page_cost;
	double		pages;
	double		tuples;
	double		passes;
	double		batch;
	double		needed;
	double		neededPasses;
	Cost		startup;

	if (path->indexorderbys == NIL)
	{
		*indexStartupCost = get_float8_infinity();
		*indexTotalCost = get_float8_infinity();
		*indexSelectivity = 0;
		*indexCorrelation = 0;
		*indexPages = 0;
		PgvqRejectIndexPath(path);
		return;
	}

	PgvqOrderByParallelSafety(root, path);

	MemSet(&costs, 0, sizeof(costs));
	genericcostestimate(root, path, loop_count, &costs);

	get_tablespace_page_costs(index->reltablespace, NULL, &spc_seq_page_cost);

	tuples = Max(index->tuples, 1.0);
	pages = Max((double) index->pages - 1, 1.0);	/* without the meta page */

	/* one full pass: read every data page in chain order, one distance per entry */
	startup = pages * spc_seq_page_cost + tuples * cpu_operator_cost;

	/*
	 * The first pass keeps pgvq.flat_batch_size rows; each later pass (a
	 * WHERE clause rejected rows, or the LIMIT is larger) reads everything
	 * again and keeps twice as many.  Returning c rows takes 1 + log2(c /
	 * batch) passes, rounded up: every row is the total cost.  The rows
	 * needed come from the WHERE clause's selectivity and the LIMIT
	 * (PgvqRowsNeeded: k / s), doubled, since a LIMIT filled on average at
	 * one batch needs the next pass about half the time; the startup cost is
	 * set so that the planner's LIMIT share of (total - startup) gives the
	 * passes they take (PgvqStartupForRows).  Heap fetches are added by
	 * cost_index.
	 */
	batch = Max(flat_batch_size, 1);
	passes = 1.0 + Max(0.0, ceil(log2(tuples / batch)));
	needed = PgvqRowsNeeded(root, path);
	neededPasses = 1.0 + Max(0.0, ceil(log2(Min(tuples, 2.0 * needed) / batch)));
	*indexTotalCost = passes * startup + costs.numIndexTuples * cpu_index_tuple_cost;
	*indexStartupCost = PgvqStartupForRows(needed, tuples, neededPasses * startup,
										   *indexTotalCost, startup);
	*indexSelectivity = costs.indexSelectivity;
	*indexCorrelation = 0;
	*indexPages = pages;
}

PGVQ_FUNCTION(flathandler);
Datum
flathandler(PG_FUNCTION_ARGS)
{
	IndexAmRoutine *amroutine = makeNode(IndexAmRoutine);

	amroutine->amstrategies = FLAT_NSTRATEGIES;
	amroutine->amsupport = 0;
	amroutine->amoptsprocnum = 0;
	PgvqSetOrderingAmFlags(amroutine);

	amroutine->ambuild = flatbuild;
	amroutine->ambuildempty = flatbuildempty;
	amroutine->aminsert = flatinsert;
	amroutine->ambulkdelete = flatbulkdelete;
	amroutine->amvacuumcleanup = flatvacuumcleanup;
	amroutine->amcanreturn = NULL;
	amroutine->amcostestimate = flatcostestimate;
	amroutine->amoptions = flatoptions;
	amroutine->amproperty = NULL;
	amroutine->ambuildphasename = flatbuildphasename;
	amroutine->amvalidate = flatvalidate;
	amroutine->amadjustmembers = NULL;
	amroutine->ambeginscan = flatbeginscan;
	amroutine->amrescan = flatrescan;
	amroutine->amgettuple = flatgettuple;
	amroutine->amgetbitmap = NULL;
	amroutine->amendscan = flatendscan;
	amroutine->ammarkpos = NULL;
	amroutine->amrestrpos = NULL;
	amroutine->amestimateparallelscan = NULL;
	amroutine->aminitparallelscan = NULL;
	amroutine->amparallelrescan = NULL;

	PG_RETURN_POINTER(amroutine);
}
