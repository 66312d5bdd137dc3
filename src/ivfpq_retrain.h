/*
 * ivfpq_retrain.h: what the files of an ivfpq retrain share
 * (ivfpq_retrain.c: the steps; ivfpq_retrain_write.c: the new structure's
 * pages; ivfpq_retrain_auto.c: when VACUUM retrains, and the SQL function).
 */
#ifndef IVFPQ_RETRAIN_H
#define IVFPQ_RETRAIN_H

#include "postgres.h"

#include "access/relscan.h"
#include "executor/tuptable.h"
#include "nodes/execnodes.h"
#include "utils/snapshot.h"

#include "ivfpq_build.h"

typedef struct IvfpqRetrainState
{
	Relation	heap;
	Relation	index;
	IndexInfo  *indexInfo;		/* the indexed column or expression */
	EState	   *estate;			/* evaluates an expression index's expression */
	IvfpqMetaPageData old;		/* the live structure */
	IvfpqMetaPageData meta;		/* the new one */
	BlockNumber *oldStarts;		/* (old.lists) the live lists' first pages */
	uint16	   *taken;			/* per block: entries of a live list page copied */
	BlockNumber ntaken;
	ItemPointerData *tids;		/* entries to copy, sorted */
	int64		ntids;
	int64		tidCap;
	IndexFetchTableData *fetch;
	TupleTableSlot *slot;
	SnapshotData snap;			/* SnapshotNonVacuumable */
	IvfpqBuildState bs;			/* the model and the entries in memory */
	int64		copied;			/* entries in the new structure */
	bool		metaLocked;		/* the last catch-up: inserts wait meanwhile */
} IvfpqRetrainState;

typedef struct IvfpqRetrainResult
{
	int			oldLists;
	int			lists;
	int64		rows;
} IvfpqRetrainResult;

/* ivfpq_retrain.c */
extern void IvfpqRetrain(Relation heap, Relation index, int lists, BufferAccessStrategy strategy,
						 IvfpqRetrainResult *res);

/* ivfpq_retrain_write.c */
extern void IvfpqRetrainWrite(IvfpqRetrainState *rs);
extern void IvfpqRetrainDrain(IvfpqRetrainState *rs);

/* ivfpq_retrain_auto.c */
extern bool IvfpqRetrainWanted(Relation index, double rows);

#endif							/* IVFPQ_RETRAIN_H */
