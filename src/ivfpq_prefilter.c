/*
 * ivfpq_prefilter.c: the WHERE clause of an ivfpq index scan, evaluated by the
 * scan on each row it fetches, before the row's exact distance
 * (ivfpq.prefilter).
 *
 * An access method gets no pointer to its plan node.  An ExecutorStart hook
 * records every query being run (its EState and plan state tree) in a list,
 * newest first; the entry lives in the query's es_query_cxt and a reset
 * callback there unlinks it, so an error or an abort that frees the query's
 * memory also takes it out of the list (ExecutorEnd unlinks it earlier,
 * before the plan's nodes are shut down).  A scan's first start looks for the
 * IndexScanState whose iss_ScanDesc is the scan (the executor creates the
 * scan descriptor on the node's first fetch and sets iss_ScanDesc before it
 * asks for a row), in every query of the list (SPI and PL/pgSQL nest them),
 * and keeps what it finds for its whole life, rescans included: the node and
 * its EState outlive the scan.
 *
 * A filter is evaluated early only when doing so cannot do anything the
 * executor would not have done on that row: no volatile function, no SubPlan,
 * and no function that is not leakproof applied to a column
 * (contain_leaked_vars, the planner's test for quals pushed into security
 * barrier views); so evaluating it on a row the executor would never have
 * looked at has no side effect, raises no error that depends on the row and
 * leaks nothing (functions of constants and parameters alone may raise, the
 * same on every row, as they would on the executor's first).  A parameter an initplan computes is never computed by the
 * prefilter: while one of the filter's PARAM_EXEC values waits for its
 * initplan (execPlan set), rows go through unfiltered; the executor computes
 * it when it first evaluates the filter, and the prefilter starts then.  The
 * executor still applies the filter to every row returned, so the answers
 * never depend on the prefilter.
 *
 * The filter is the node's own compiled ExprState, evaluated in an
 * ExprContext of the node's EState (current PARAM_EXEC values: nested loop
 * parameters, correlation parameters of a SubPlan; the query's PARAM_EXTERN
 * parameters), reset per row.  No buffer lock is held and no C++ frame is on
 * the stack while it runs (it may raise; the scan's core handles are freed
 * with its memory context).
 */
#include "postgres.h"

#include "executor/executor.h"
#include "lib/ilist.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "ivfpq.h"
#include "ivfpq_scan.h"

bool		ivfpq_prefilter = true;

/* A query being run (ExecutorStart to ExecutorEnd), in its es_query_cxt */
typedef struct RunningQuery
{
	dlist_node	node;
	EState	   *estate;
	PlanState  *planstate;
	bool		linked;
	MemoryContextCallback cb;
} RunningQuery;

/* The queries being run in this backend, newest first */
static dlist_head runningQueries = DLIST_STATIC_INIT(runningQueries);

static ExecutorStart_hook_type prevExecutorStart = NULL;
static ExecutorEnd_hook_type prevExecutorEnd = NULL;

struct IvfpqPrefilter
{
	IndexScanState *node;
	ExprState  *qual;			/* the node's own */
	ExprContext *econtext;		/* of the node's EState; per-row memory */
	ParamExecData *execVals;	/* the EState's PARAM_EXEC values */
	int			nExecParams;	/* the filter's PARAM_EXEC ids */
	int		   *execParams;
};

static void
Unlink(RunningQuery *q)
{
	if (q->linked)
		dlist_delete(&q->node);
	q->linked = false;
}

static void
UnlinkCallback(void *arg)
{
	Unlink((RunningQuery *) arg);
}

static void
PrefilterExecutorStart(QueryDesc *queryDesc, int eflags)
{
	EState	   *estate;
	RunningQuery *q;

	if (prevExecutorStart)
		prevExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);

	estate = queryDesc->estate;
	if (estate == NULL || queryDesc->planstate == NULL || (eflags & EXEC_FLAG_EXPLAIN_ONLY))
		return;
	q = MemoryContextAllocZero(estate->es_query_cxt, sizeof(RunningQuery));
	q->estate = estate;
	q->planstate = queryDesc->planstate;
	q->cb.func = UnlinkCallback;
	q->cb.arg = q;
	MemoryContextRegisterResetCallback(estate->es_query_cxt, &q->cb);
	dlist_push_head(&runningQueries, &q->node);
	q->linked = true;
}

/* Out of the list before the plan's nodes are shut down. */
static void
PrefilterExecutorEnd(QueryDesc *queryDesc)
{
	dlist_mutable_iter it;

	dlist_foreach_modify(it, &runningQueries)
	{
		RunningQuery *q = dlist_container(RunningQuery, node, it.cur);

		if (q->estate == queryDesc->estate)
			Unlink(q);
	}
	if (prevExecutorEnd)
		prevExecutorEnd(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);
}

void
IvfpqPrefilterInit(void)
{
	DefineCustomBoolVariable("ivfpq.prefilter", "An ivfpq scan applies the query's WHERE clause to the rows it fetches, before their exact distance",
							 "Only filters without volatile functions, subqueries or functions that "
							 "are not leakproof applied to columns; the executor still applies the "
							 "filter to every row returned.",
							 &ivfpq_prefilter, true, PGC_USERSET, 0, NULL, NULL, NULL);
	prevExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = PrefilterExecutorStart;
	prevExecutorEnd = ExecutorEnd_hook;
	ExecutorEnd_hook = PrefilterExecutorEnd;
}

typedef struct FindContext
{
	IndexScanDesc scan;
	IndexScanState *found;
} FindContext;

static bool
FindScanNode(PlanState *ps, void *context)
{
	FindContext *cx = (FindContext *) context;

	if (ps == NULL)
		return false;
	if (IsA(ps, IndexScanState) && ((IndexScanState *) ps)->iss_ScanDesc == cx->scan &&
		((IndexScanState *) ps)->iss_RelationDesc == cx->scan->indexRelation)
	{
		cx->found = (IndexScanState *) ps;
		return true;
	}
	return planstate_tree_walker(ps, FindScanNode, context);
}

/* The index scan node running scan, or NULL. */
static IndexScanState *
FindNode(IndexScanDesc scan)
{
	FindContext cx = {scan, NULL};
	dlist_iter it;

	dlist_foreach(it, &runningQueries)
	{
		RunningQuery *q = dlist_container(RunningQuery, node, it.cur);
		ListCell   *lc;

		if (FindScanNode(q->planstate, &cx))
			return cx.found;
		foreach(lc, q->estate->es_subplanstates)
		{
			if (FindScanNode((PlanState *) lfirst(lc), &cx))
				return cx.found;
		}
	}
	return NULL;
}

static bool
CollectExecParams(Node *node, void *context)
{
	List	  **ids = (List **) context;

	if (node == NULL)
		return false;
	if (IsA(node, Param) && ((Param *) node)->paramkind == PARAM_EXEC)
		*ids = list_append_unique_int(*ids, ((Param *) node)->paramid);
	return expression_tree_walker(node, CollectExecParams, context);
}

static bool
NotLeakproof(Oid func, void *context)
{
	return !get_func_leakproof(func);
}

/*
 * A function that is not leakproof (of constants and parameters alone) that
 * only some rows evaluate: below an AND, OR or NOT, a CASE, a COALESCE or a
 * row comparison, which evaluate their arguments as the row decides.  It may
 * raise on a fetched row the executor never looks at (a LIMIT met by rows
 * that do not evaluate it).  The list of the node's quals itself is safe: the
 * executor evaluates every qual of each row it returns that passes the
 * earlier ones, and it returns none without passing them all.
 */
static bool
RaisesOnSomeRows(Node *node, void *context)
{
	bool		conditional = *(bool *) context;

	if (node == NULL)
		return false;
	if (conditional && check_functions_in_node(node, NotLeakproof, NULL))
		return true;
	conditional = conditional || IsA(node, BoolExpr) || IsA(node, CaseExpr) ||
		IsA(node, CoalesceExpr) || IsA(node, RowCompareExpr);
	return expression_tree_walker(node, RaisesOnSomeRows, &conditional);
}

/*
 * The filter is safe to evaluate on any row the scan fetches: nothing
 * volatile, no SubPlan, nothing that is not leakproof applied to a column or
 * evaluated by some rows only.
 */
static bool
SafeFilter(List *qual)
{
	bool		conditional = false;

	return qual != NIL &&
		!contain_volatile_functions((Node *) qual) &&
		!contain_subplans((Node *) qual) &&
		!contain_leaked_vars((Node *) qual) &&
		!RaisesOnSomeRows((Node *) qual, &conditional);
}

/*
 * The prefilter of scan (allocated in cxt, which the scan owns), or NULL when
 * the scan has no filter that can be evaluated early or is not run by an
 * index scan node of a query this backend is running.
 */
static IvfpqPrefilter *
Find(IndexScanDesc scan, MemoryContext cxt)
{
	IndexScanState *node = FindNode(scan);
	List	   *qual;
	List	   *params = NIL;
	IvfpqPrefilter *pf;
	ListCell   *lc;
	int			i = 0;

	if (node == NULL || node->ss.ps.qual == NULL)
		return NULL;
	qual = node->ss.ps.plan->qual;
	if (!SafeFilter(qual))
		return NULL;
	CollectExecParams((Node *) qual, &params);

	pf = MemoryContextAllocZero(cxt, sizeof(IvfpqPrefilter));
	pf->node = node;
	pf->qual = node->ss.ps.qual;
	pf->econtext = CreateExprContext(node->ss.ps.state);
	pf->execVals = node->ss.ps.state->es_param_exec_vals;
	pf->nExecParams = list_length(params);
	pf->execParams = MemoryContextAlloc(cxt, sizeof(int) * Max(1, pf->nExecParams));
	foreach(lc, params)
		pf->execParams[i++] = lfirst_int(lc);
	list_free(params);
	return pf;
}

/*
 * A (re)scan starts: whether it applies the prefilter (ivfpq.prefilter, read
 * at each start), which the first start with the setting on looks for; its
 * counts start again.
 */
void
IvfpqPrefilterStart(IndexScanDesc scan)
{
	IvfpqScanOpaque so = (IvfpqScanOpaque) scan->opaque;

	if (ivfpq_prefilter && !so->prefilterSought)
	{
		so->prefilter = Find(scan, so->scanCtx);
		so->prefilterSought = true;
	}
	so->prefilterOn = ivfpq_prefilter && so->prefilter != NULL;
	so->removed.n = 0;
	so->dropped = 0;
	so->removedReturned = 0;
}

/*
 * Whether the row in slot fails the filter: true when it does (the caller
 * drops it; counted in the node's "Rows Removed by Filter"), false when it
 * passes or was not evaluated (an initplan parameter not yet computed).
 */
bool
IvfpqPrefilterRejects(IvfpqPrefilter *pf, TupleTableSlot *slot)
{
	ExprContext *econtext = pf->econtext;
	bool		pass;

	/* an initplan computes it when first needed: not the prefilter */
	for (int i = 0; i < pf->nExecParams; i++)
	{
		if (pf->execVals[pf->execParams[i]].execPlan != NULL)
			return false;
	}
	econtext->ecxt_scantuple = slot;
	pass = ExecQual(pf->qual, econtext);
	ResetExprContext(econtext);
	if (pass)
		return false;
	InstrCountFiltered1(pf->node, 1);
	return true;
}
