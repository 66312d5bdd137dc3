/*
 * ivfpq_build_parallel.c: an ivfpq build's heap scans in parallel workers.
 *
 * Under max_parallel_maintenance_workers (PgvqBuildWorkers in pg_compat.h:
 * amcanbuildparallel on 17 and later, plan_create_index_workers on 15), each
 * of the build's two heap scans runs in a ParallelContext of its own, the
 * leader taking part as one more participant (unless
 * parallel_leader_participation is off):
 *
 *  pass 1  every participant offers its rows to one training sample in
 *          shared memory (under an LWLock, taken only by rows whose priority
 *          beats the sample's largest) and counts its rows; the sample is the
 *          one a serial build takes (ivfpq_build.h), copied out in TID order
 *  pass 2  every participant assigns and encodes its rows in batches with
 *          the model the leader trained in between (shared memory), and feeds
 *          its part of a shared tuplesort by (list, tid); the leader merges
 *          the parts and writes the pages as a serial build does, so the
 *          pages are a serial build's
 *
 * Training runs in the leader alone, between the passes, with every thread
 * of the build (IvfpqBuildThreads).  In pass 2 each participant encodes with
 * those threads / participants (at least 1), so workers and threads
 * together do not oversubscribe the CPUs.  A build on the GPU keeps it: each
 * participant encodes through the GPU module.
 *
 * Rows encoded are counted across participants (an atomic counter) and the
 * leader reports them (pg_stat_progress_create_index.tuples_done), also while
 * it waits for the workers.  A cancel reaches the leader wherever it waits
 * (the condition variable sleeps check for interrupts); the workers are then
 * terminated, and they poll too (the heap scan per row, the core through
 * PgvqShouldStop).
 */
#include "postgres.h"

#include <unistd.h>

#include "access/parallel.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "commands/progress.h"
#include "miscadmin.h"
#include "optimizer/optimizer.h"
#include "pgstat.h"
#include "storage/condition_variable.h"
#include "storage/lwlock.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/backend_status.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "ivfpq_build.h"
#include "pg_compat.h"

#define PARALLEL_KEY_IVFPQ_SHARED	UINT64CONST(0xB000000000000001)
#define PARALLEL_KEY_TUPLESORT		UINT64CONST(0xB000000000000002)
#define PARALLEL_KEY_SAMPLE			UINT64CONST(0xB000000000000003)
#define PARALLEL_KEY_MODEL			UINT64CONST(0xB000000000000004)
#define PARALLEL_KEY_LIST_COUNTS	UINT64CONST(0xB000000000000005)
#define PARALLEL_KEY_QUERY_TEXT		UINT64CONST(0xB000000000000006)

/* The state every participant of one pass shares; the parallel scan follows it. */
typedef struct IvfpqShared
{
	/* immutable */
	Oid			heaprelid;
	Oid			indexrelid;
	bool		isconcurrent;
	int			pass;			/* 1: sample, 2: encode */
	int			nsorts;			/* participants planned (tuplesort, memory) */
	int			dims;
	int			metric;
	IvfpqColumnType colType;
	int			m;
	int			nbits;
	int			lists;
	int			nthreads;		/* the core's threads per participant */
	bool		useGpu;
	double		gpuWork;
	int			tranche;		/* of sampleLock */

	LWLock		sampleLock;
	ConditionVariable workersdonecv;
	pg_atomic_uint64 rowsDone;	/* pass 2: rows encoded so far */

	slock_t		mutex;			/* for the fields below */
	int			nparticipantsdone;
	int64		rowsSeen;		/* pass 1 */
	int64		nent;			/* pass 2 */
} IvfpqShared;

#define ParallelTableScanFromIvfpqShared(shared) \
	((ParallelTableScanDesc) ((char *) (shared) + BUFFERALIGN(sizeof(IvfpqShared))))

struct IvfpqParallelBuild
{
	ParallelContext *pcxt;
	IvfpqShared *shared;
	Sharedsort *sharedsort;
	IvfpqSample sample;			/* pass 1 */
	char	   *model;			/* pass 2: centroids, then codebooks */
	pg_atomic_uint64 *listCounts;	/* pass 2: (lists) */
	Snapshot	snapshot;
	int			nparticipants;	/* workers launched, and the leader */
};

/* Index builds running in the cluster now (pg_stat_progress_create_index), at least 1. */
static int
IndexBuildsRunning(void)
{
	int			n;
	int			builds = 0;
	int			i;

	/*
	 * A fresh snapshot: the one cached for this transaction may be from an
	 * earlier build or pg_stat_activity read in it (Citus builds several
	 * shard indexes in one transaction).
	 */
	pgstat_clear_backend_activity_snapshot();
	n = pgstat_fetch_stat_numbackends();

	for (i = 1; i <= n; i++)
	{
		LocalPgBackendStatus *local = PgvqLocalBackendStatus(i);

		if (local != NULL &&
			local->backendStatus.st_progress_command == PROGRESS_COMMAND_CREATE_INDEX)
			builds++;
	}
	return Max(builds, 1);
}

/*
 * The core's threads a build uses in all: ivfpq.build_threads when set, else
 * max_parallel_maintenance_workers + 1, no more than the CPUs shared among the
 * index builds running now (Citus builds many shard indexes at once, each in
 * its own backend), and at least 1.
 */
int
IvfpqBuildThreads(void)
{
	long		cpus;
	int			builds;
	int			threads;

	if (ivfpq_build_threads > 0)
	{
		ereport(DEBUG1,
				(errmsg_plural("ivfpq build uses %d thread", "ivfpq build uses %d threads",
							   ivfpq_build_threads, ivfpq_build_threads),
				 errdetail_log("ivfpq.build_threads is %d.", ivfpq_build_threads)));
		return ivfpq_build_threads;
	}
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	cpus = cpus > 0 ? Min(cpus, 1024) : 1;
	builds = IndexBuildsRunning();
	threads = (int) Max(1, Min(max_parallel_maintenance_workers + 1, cpus / builds));
	ereport(DEBUG1,
			(errmsg_plural("ivfpq build uses %d thread", "ivfpq build uses %d threads",
						   threads, threads),
			 errdetail_log("ivfpq.build_threads is 0: max_parallel_maintenance_workers + 1 = %d, "
						   "%ld CPUs, %d index build(s) running.",
						   max_parallel_maintenance_workers + 1, cpus, builds)));
	return threads;
}

static void
OpenRelations(IvfpqShared *shared, Relation *heap, Relation *index, LOCKMODE *heapLock,
			  LOCKMODE *indexLock)
{
	/* The lock modes index.c already holds for the build */
	*heapLock = shared->isconcurrent ? ShareUpdateExclusiveLock : ShareLock;
	*indexLock = shared->isconcurrent ? RowExclusiveLock : AccessExclusiveLock;
	*heap = table_open(shared->heaprelid, *heapLock);
	*index = index_open(shared->indexrelid, *indexLock);
}

/* The fields of a participant's build state that come from the shared state. */
static void
InitPartState(IvfpqBuildState *bs, IvfpqShared *shared, Relation heap, Relation index)
{
	memset(bs, 0, sizeof(*bs));
	bs->heap = heap;
	bs->index = index;
	bs->dims = shared->dims;
	bs->metric = shared->metric;
	bs->colType = shared->colType;
	bs->m = shared->m;
	bs->nbits = shared->nbits;
	bs->lists = shared->lists;
	bs->nthreads = shared->nthreads;
	bs->tmpCtx = AllocSetContextCreate(CurrentMemoryContext, "ivfpq build temporary context",
									   ALLOCSET_DEFAULT_SIZES);
}

/* This participant's share of the pass's heap scan. */
static void
ScanPart(IvfpqBuildState *bs, IvfpqShared *shared, IndexBuildCallback callback, bool progress)
{
	IndexInfo  *indexInfo = BuildIndexInfo(bs->index);
	TableScanDesc scan;

	indexInfo->ii_Concurrent = shared->isconcurrent;
	scan = table_beginscan_parallel(bs->heap, ParallelTableScanFromIvfpqShared(shared));
	table_index_build_scan(bs->heap, bs->index, indexInfo, true, progress, callback, bs, scan);
}

static void
SamplePart(IvfpqShared *shared, IvfpqSample sample, Relation heap, Relation index, bool leader)
{
	IvfpqBuildState bs;

	InitPartState(&bs, shared, heap, index);
	bs.sample = sample;
	bs.sampleRow = palloc(sizeof(float) * bs.dims);
	bs.sampleLock = &shared->sampleLock;
	bs.sampleTop = PG_UINT64_MAX;
	ScanPart(&bs, shared, IvfpqSampleCallback, leader);

	SpinLockAcquire(&shared->mutex);
	shared->rowsSeen += bs.rowsSeen;
	shared->nparticipantsdone++;
	SpinLockRelease(&shared->mutex);
	ConditionVariableSignal(&shared->workersdonecv);
	pfree(bs.sampleRow);
	MemoryContextDelete(bs.tmpCtx);
}

static void
EncodePart(IvfpqShared *shared, Sharedsort *sharedsort, char *model,
		   pg_atomic_uint64 *listCounts, Relation heap, Relation index, bool leader)
{
	IvfpqBuildState bs;
	SortCoordinate coordinate = palloc0(sizeof(SortCoordinateData));
	int			l;

	InitPartState(&bs, shared, heap, index);
	bs.centroids = (float *) model;
	bs.codebooks = bs.centroids + (Size) bs.lists * bs.dims;
	if (shared->useGpu)
	{
		/* NULL (the CPU) only under `auto`, when this process cannot use it */
		bs.gpu = PgvqGpuForBuild(shared->gpuWork);
		if (bs.gpu != NULL)
			bs.gpu->options_default(&bs.gpuOpts);
	}
	coordinate->isWorker = true;
	coordinate->nParticipants = -1;
	coordinate->sharedsort = sharedsort;
	IvfpqBeginSpillSort(&bs, Max(64, maintenance_work_mem / shared->nsorts), coordinate);
	IvfpqAllocBatch(&bs);
	bs.sharedDone = &shared->rowsDone;
	bs.reportProgress = leader;

	ScanPart(&bs, shared, IvfpqEncodeCallback, leader);
	IvfpqFlushBatch(&bs);
	tuplesort_performsort(bs.spill);

	for (l = 0; l < bs.lists; l++)
		if (bs.listCounts[l] != 0)
			pg_atomic_fetch_add_u64(&listCounts[l], bs.listCounts[l]);
	SpinLockAcquire(&shared->mutex);
	shared->nent += bs.nent;
	shared->nparticipantsdone++;
	SpinLockRelease(&shared->mutex);
	ConditionVariableSignal(&shared->workersdonecv);

	tuplesort_end(bs.spill);
	ExecDropSingleTupleTableSlot(bs.spillSlot);
	MemoryContextDelete(bs.tmpCtx);
}

/* Entry point of a parallel worker (both passes). */
void
IvfpqParallelBuildMain(dsm_segment *seg, shm_toc *toc)
{
	IvfpqShared *shared;
	Relation	heap;
	Relation	index;
	LOCKMODE	heapLock;
	LOCKMODE	indexLock;

	debug_query_string = shm_toc_lookup(toc, PARALLEL_KEY_QUERY_TEXT, true);
	pgstat_report_activity(STATE_RUNNING, debug_query_string);

	shared = shm_toc_lookup(toc, PARALLEL_KEY_IVFPQ_SHARED, false);
	LWLockRegisterTranche(shared->tranche, "pgvq_build_sample");
	OpenRelations(shared, &heap, &index, &heapLock, &indexLock);
	if (shared->pass == 1)
		SamplePart(shared, shm_toc_lookup(toc, PARALLEL_KEY_SAMPLE, false), heap, index, false);
	else
	{
		Sharedsort *sharedsort = shm_toc_lookup(toc, PARALLEL_KEY_TUPLESORT, false);

		tuplesort_attach_shared(sharedsort, seg);
		EncodePart(shared, sharedsort, shm_toc_lookup(toc, PARALLEL_KEY_MODEL, false),
				   shm_toc_lookup(toc, PARALLEL_KEY_LIST_COUNTS, false), heap, index, false);
	}
	index_close(index, indexLock);
	table_close(heap, heapLock);
}

/* One chunk of the DSM: its estimate (alloc false) or its allocation (true). */
static void *
Chunk(ParallelContext *pcxt, uint64 key, Size size, bool alloc)
{
	void	   *p;

	if (!alloc)
	{
		shm_toc_estimate_chunk(&pcxt->estimator, size);
		shm_toc_estimate_keys(&pcxt->estimator, 1);
		return NULL;
	}
	p = shm_toc_allocate(pcxt->toc, size);
	shm_toc_insert(pcxt->toc, key, p);
	return p;
}

/* The chunks of a pass's DSM; with alloc false, their estimates only. */
static void
Chunks(IvfpqParallelBuild *pb, IvfpqBuildState *bs, int pass, Size sharedSize, bool alloc)
{
	ParallelContext *pcxt = pb->pcxt;
	Size		qlen = debug_query_string ? strlen(debug_query_string) + 1 : 0;

	pb->shared = Chunk(pcxt, PARALLEL_KEY_IVFPQ_SHARED, sharedSize, alloc);
	if (pass == 1)
		pb->sample = Chunk(pcxt, PARALLEL_KEY_SAMPLE,
						   IvfpqSampleSize(bs->sample->cap, bs->dims), alloc);
	else
	{
		int			nsorts = pcxt->nworkers + 1;

		pb->sharedsort = Chunk(pcxt, PARALLEL_KEY_TUPLESORT, tuplesort_estimate_shared(nsorts), alloc);
		pb->model = Chunk(pcxt, PARALLEL_KEY_MODEL,
						  sizeof(float) * ((Size) bs->lists * bs->dims + ((Size) 1 << bs->nbits) * bs->dims),
						  alloc);
		pb->listCounts = Chunk(pcxt, PARALLEL_KEY_LIST_COUNTS, sizeof(pg_atomic_uint64) * bs->lists, alloc);
		if (alloc)
			tuplesort_initialize_shared(pb->sharedsort, nsorts, pcxt->seg);
	}
	if (qlen > 0)
	{
		char	   *q = Chunk(pcxt, PARALLEL_KEY_QUERY_TEXT, qlen, alloc);

		if (alloc)
			memcpy(q, debug_query_string, qlen);
	}
}

static void
InitShared(IvfpqParallelBuild *pb, IvfpqBuildState *bs, IndexInfo *indexInfo, int pass)
{
	static int	tranche = 0;
	IvfpqShared *shared = pb->shared;
	int			l;

	if (tranche == 0)
		tranche = LWLockNewTrancheId();
	LWLockRegisterTranche(tranche, "pgvq_build_sample");

	memset(shared, 0, sizeof(*shared));
	shared->heaprelid = RelationGetRelid(bs->heap);
	shared->indexrelid = RelationGetRelid(bs->index);
	shared->isconcurrent = indexInfo->ii_Concurrent;
	shared->pass = pass;
	shared->nsorts = pb->pcxt->nworkers + 1;
	shared->dims = bs->dims;
	shared->metric = bs->metric;
	shared->colType = bs->colType;
	shared->m = bs->m;
	shared->nbits = bs->nbits;
	shared->lists = bs->lists;
	shared->nthreads = Max(1, bs->nthreads / shared->nsorts);
	shared->useGpu = bs->gpu != NULL;
	shared->gpuWork = (double) bs->rowsTotal * bs->dims;
	shared->tranche = tranche;
	LWLockInitialize(&shared->sampleLock, tranche);
	ConditionVariableInit(&shared->workersdonecv);
	pg_atomic_init_u64(&shared->rowsDone, 0);
	SpinLockInit(&shared->mutex);
	table_parallelscan_initialize(bs->heap, ParallelTableScanFromIvfpqShared(shared), pb->snapshot);

	if (pass == 1)
		IvfpqSampleInit(pb->sample, bs->sample->cap, bs->dims);
	else
	{
		memcpy(pb->model, bs->centroids, sizeof(float) * bs->lists * bs->dims);
		memcpy(pb->model + sizeof(float) * bs->lists * bs->dims, bs->codebooks,
			   sizeof(float) * ((Size) 1 << bs->nbits) * bs->dims);
		for (l = 0; l < bs->lists; l++)
			pg_atomic_init_u64(&pb->listCounts[l], 0);
	}
}

/*
 * Sets up a pass's shared memory and launches its workers; NULL when no
 * worker could be launched (the caller does the pass serially).
 */
static IvfpqParallelBuild *
BeginPass(IvfpqBuildState *bs, IndexInfo *indexInfo, int nworkers, int pass)
{
	IvfpqParallelBuild *pb = palloc0(sizeof(IvfpqParallelBuild));
	Size		sharedSize;

	EnterParallelMode();
	pb->pcxt = CreateParallelContext("pgvq", "IvfpqParallelBuildMain", nworkers);
	pb->snapshot = indexInfo->ii_Concurrent ? RegisterSnapshot(GetTransactionSnapshot()) : SnapshotAny;
	sharedSize = add_size(BUFFERALIGN(sizeof(IvfpqShared)),
						  table_parallelscan_estimate(bs->heap, pb->snapshot));
	Chunks(pb, bs, pass, sharedSize, false);
	InitializeParallelDSM(pb->pcxt);
	if (pb->pcxt->seg == NULL)
	{
		/* no DSM: serially */
		IvfpqParallelEnd(pb);
		return NULL;
	}
	Chunks(pb, bs, pass, sharedSize, true);
	InitShared(pb, bs, indexInfo, pass);

	LaunchParallelWorkers(pb->pcxt);
	pb->nparticipants = pb->pcxt->nworkers_launched + (parallel_leader_participation ? 1 : 0);
	if (pb->pcxt->nworkers_launched == 0)
	{
		IvfpqParallelEnd(pb);
		return NULL;
	}
	ereport(DEBUG1, (errmsg("using %d parallel workers", pb->pcxt->nworkers_launched)));
	return pb;
}

/* Waits for every participant to finish its part, reporting rows encoded. */
static void
WaitForParts(IvfpqParallelBuild *pb, bool progress)
{
	IvfpqShared *shared = pb->shared;

	WaitForParallelWorkersToAttach(pb->pcxt);
	for (;;)
	{
		int			done;

		SpinLockAcquire(&shared->mutex);
		done = shared->nparticipantsdone;
		SpinLockRelease(&shared->mutex);
		if (progress)
			pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE,
										 (int64) pg_atomic_read_u64(&shared->rowsDone));
		if (done == pb->nparticipants)
			break;
		/* checks for interrupts, and for messages (errors) from the workers */
		ConditionVariableTimedSleep(&shared->workersdonecv, 250,
									WAIT_EVENT_PARALLEL_CREATE_INDEX_SCAN);
	}
	ConditionVariableCancelSleep();
}

/*
 * Pass 1 with nworkers workers: fills bs->sample (backend memory, capacity
 * set) with the training sample in TID order and sets bs->rowsSeen.  False
 * when no worker could be launched.
 */
bool
IvfpqParallelSample(IvfpqBuildState *bs, IndexInfo *indexInfo, int nworkers)
{
	IvfpqParallelBuild *pb = BeginPass(bs, indexInfo, nworkers, 1);

	if (pb == NULL)
		return false;
	if (parallel_leader_participation)
		SamplePart(pb->shared, pb->sample, bs->heap, bs->index, true);
	WaitForParts(pb, false);

	bs->rowsSeen = pb->shared->rowsSeen;
	bs->sample->n = pb->sample->n;
	IvfpqSampleSorted(pb->sample, IvfpqSampleVecs(bs->sample));
	IvfpqParallelEnd(pb);
	return true;
}

/*
 * Pass 2 with nworkers workers: on return bs->spill is the merged tuplesort
 * of every entry by (list, tid), bs->listCounts and bs->nent are set, and
 * the caller reads the sort before IvfpqParallelEnd.  NULL when no worker
 * could be launched.
 */
IvfpqParallelBuild *
IvfpqParallelEncode(IvfpqBuildState *bs, IndexInfo *indexInfo, int nworkers)
{
	IvfpqParallelBuild *pb = BeginPass(bs, indexInfo, nworkers, 2);
	SortCoordinate coordinate;
	int			l;

	if (pb == NULL)
		return NULL;
	if (parallel_leader_participation)
		EncodePart(pb->shared, pb->sharedsort, pb->model, pb->listCounts, bs->heap, bs->index, true);
	WaitForParts(pb, true);

	coordinate = palloc0(sizeof(SortCoordinateData));
	coordinate->isWorker = false;
	coordinate->nParticipants = pb->nparticipants;
	coordinate->sharedsort = pb->sharedsort;
	IvfpqBeginSpillSort(bs, maintenance_work_mem, coordinate);
	for (l = 0; l < bs->lists; l++)
		bs->listCounts[l] = (int64) pg_atomic_read_u64(&pb->listCounts[l]);
	bs->nent = pb->shared->nent;
	tuplesort_performsort(bs->spill);
	return pb;
}

/* Waits for the workers and frees the pass's context. */
void
IvfpqParallelEnd(IvfpqParallelBuild *pb)
{
	if (pb->pcxt->seg != NULL)
		WaitForParallelWorkersToFinish(pb->pcxt);
	if (IsMVCCSnapshot(pb->snapshot))
		UnregisterSnapshot(pb->snapshot);
	DestroyParallelContext(pb->pcxt);
	ExitParallelMode();
}
