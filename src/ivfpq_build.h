/*
 * ivfpq_build.h: what the files of an ivfpq build share (ivfpq_build.c: the
 * steps and the page writer; ivfpq_build_scan.c: the two heap scans' row
 * callbacks, the training sample and the encoded entries;
 * ivfpq_build_parallel.c: both scans in parallel workers).  Private to the
 * build; the on-disk format is in ivfpq.h.
 */
#ifndef IVFPQ_BUILD_H
#define IVFPQ_BUILD_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "executor/tuptable.h"
#include "nodes/execnodes.h"
#include "port/atomics.h"
#include "storage/dsm.h"
#include "storage/lwlock.h"
#include "storage/shm_toc.h"
#include "utils/relcache.h"
#include "utils/sortsupport.h"
#include "utils/tuplesort.h"

#include "gpu_loader.h"
#include "ivfpq.h"

/*
 * The training sample: the `cap` rows whose TIDs hash (IvfpqSamplePriority, a
 * bijection of the TID) lowest, a bottom-k sample.  It is a uniform random
 * sample without replacement that depends only on the set of rows, not on the
 * order in which they are seen, so a build with parallel workers trains on
 * exactly the sample of a serial build.  One chunk of IvfpqSampleSize bytes,
 * in backend memory or in a parallel build's shared memory (no pointers
 * inside): this header, then the arrays IvfpqSampleVecs (cap, dims),
 * IvfpqSamplePrio (cap), IvfpqSampleTids (cap) and IvfpqSampleHeap (cap: the
 * slots in use, a max-heap by priority).
 */
typedef struct IvfpqSampleData
{
	int64		cap;
	int64		n;				/* slots in use */
	int			dims;
} IvfpqSampleData;

typedef IvfpqSampleData *IvfpqSample;

#define IVFPQ_SAMPLE_HEADER		MAXALIGN(sizeof(IvfpqSampleData))
#define IvfpqSampleVecs(s)	((float *) ((char *) (s) + IVFPQ_SAMPLE_HEADER))
#define IvfpqSamplePrio(s)	((uint64 *) (IvfpqSampleVecs(s) + (Size) (s)->cap * (s)->dims))
#define IvfpqSampleTids(s)	((int64 *) (IvfpqSamplePrio(s) + (s)->cap))
#define IvfpqSampleHeap(s)	((int64 *) (IvfpqSampleTids(s) + (s)->cap))

typedef struct IvfpqBuildState
{
	Relation	heap;
	Relation	index;
	int			dims;
	int			metric;
	IvfpqColumnType colType;	/* the indexed column's type */
	int			m;
	int			nbits;
	int			lists;
	Size		memLimit;
	MemoryContext tmpCtx;
	int			nthreads;		/* the core's threads for encoding */

	/* the GPU module when this build runs on a GPU (pgvq.build_device), else NULL */
	const pgvq_gpu_api *gpu;
	pgvq_gpu_options gpuOpts;

	/* pass 1: the training sample */
	IvfpqSample sample;
	float	   *sampleRow;		/* (dims): a row being prepared */
	int64		rowsSeen;		/* indexable rows seen by pass 1 */
	LWLock	   *sampleLock;		/* a sample shared by parallel workers, else NULL */
	uint64		sampleTop;		/* the shared sample's largest priority when last seen */

	/* trained model */
	float	   *centroids;		/* (lists, dims) */
	float	   *codebooks;		/* (m, ksub, dsub) */

	/* pass 2: batches */
	float	   *batch;			/* (batchCap, dims) */
	ItemPointerData *batchTids;
	int64	   *batchLabels;
	uint8	   *batchCodes;		/* (batchCap, m): the GPU's codes */
	uint8	   *batchEntries;	/* (batchCap, IvfpqEntryCodeSize(m)) */
	int			batchN;
	int			batchCap;

	/* pass 2: all entries, in heap order (in memory) */
	int32	   *entLists;
	ItemPointerData *entTids;
	uint8	   *entCodes;		/* (entCap, IvfpqEntryCodeSize(m)): code, error code */
	int64		nent;
	int64		entCap;
	int64		rowsDone;		/* rows encoded by this process */
	int64		rowsTotal;
	/* a parallel build: rows encoded by every participant; report: the leader */
	pg_atomic_uint64 *sharedDone;
	bool		reportProgress;

	/*
	 * pass 2, when the entries do not fit in maintenance_work_mem or are
	 * encoded by parallel workers: a tuplesort of (list int4, tid int8, code
	 * bytea) by (list, tid), and the entries per list
	 */
	Tuplesortstate *spill;
	TupleDesc	spillDesc;
	TupleTableSlot *spillSlot;
	bytea	   *spillCode;
	int64	   *listCounts;
} IvfpqBuildState;

/* ivfpq_build_scan.c */
extern Size IvfpqSampleSize(int64 cap, int dims);
extern void IvfpqSampleInit(IvfpqSample s, int64 cap, int dims);
extern void IvfpqSampleCallback(Relation index, ItemPointer tid, Datum *values, bool *isnull,
								bool tupleIsAlive, void *state);
extern void IvfpqSampleSorted(IvfpqSample s, float *out);
extern Size IvfpqEntryBytes(int m);
extern void IvfpqBeginSpillSort(IvfpqBuildState *bs, int workMem, SortCoordinate coordinate);
extern void IvfpqStartSpill(IvfpqBuildState *bs, Size need);
extern void IvfpqAllocBatch(IvfpqBuildState *bs);
extern void IvfpqFlushBatch(IvfpqBuildState *bs);
extern void IvfpqEncodeCallback(Relation index, ItemPointer tid, Datum *values, bool *isnull,
								bool tupleIsAlive, void *state);
extern void IvfpqInt8ToTid(int64 v, ItemPointer tid);
extern void IvfpqSortListsByTid(int64 *perm, const int64 *offsets, int lists,
								const ItemPointerData *tids);

/* ivfpq_build.c */
extern void IvfpqTrain(IvfpqBuildState *bs, float *x, int64 n);
extern void IvfpqCheckTrainingMemory(IvfpqBuildState *bs, int64 sampleWanted);

/* ivfpq_build_write.c */
extern uint64 IvfpqNewBuildId(void);
extern int64 *IvfpqOrderEntries(const IvfpqBuildState *bs, int64 *offsets);
extern void IvfpqWriteUntrained(Relation index, ForkNumber fork, int dims, int m, int nbits,
								int metric);
extern void IvfpqLoadEntries(IvfpqBuildState *bs);

/* ivfpq_build_parallel.c */

/* A parallel build under way: its workers and shared memory (the leader's view). */
typedef struct IvfpqParallelBuild IvfpqParallelBuild;

extern int	IvfpqBuildThreads(void);
extern bool IvfpqParallelSample(IvfpqBuildState *bs, IndexInfo *indexInfo, int nworkers);
extern IvfpqParallelBuild *IvfpqParallelEncode(IvfpqBuildState *bs, IndexInfo *indexInfo,
											   int nworkers);
extern void IvfpqParallelEnd(IvfpqParallelBuild *pb);
extern PGDLLEXPORT void IvfpqParallelBuildMain(dsm_segment *seg, shm_toc *toc);

#endif							/* IVFPQ_BUILD_H */
