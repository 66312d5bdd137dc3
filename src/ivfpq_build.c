/*
 * ivfpq_build.c: CREATE INDEX / REINDEX for ivfpq.
 *
 *  1. sampling:  a heap scan takes the training sample (the rows whose TIDs
 *                hash lowest; see ivfpq_build.h) and counts rows
 *  2. k-means:   coarse centroids (core, GEMM assignment, threads)
 *  3. PQ:        residuals of the sample to their nearest centroid; PQ codebooks
 *  4. encoding:  a second heap scan; batches of rows are assigned to a list and
 *                their residuals encoded by the core; (list, tid, code) kept in
 *                memory when they fit in maintenance_work_mem, otherwise fed to
 *                a tuplesort that spills to disk (with a NOTICE)
 *  5. loading:   the entries in (list, heap TID) order; meta, centroid,
 *                codebook, directory and list pages written through the
 *                buffer manager, then WAL-logged with log_newpage_range when
 *                the index needs WAL (ivfpq_build_write.c).
 *
 * The row callbacks of the two scans are in ivfpq_build_scan.c.  With
 * parallel workers (max_parallel_maintenance_workers) both scans run in
 * workers and the leader (ivfpq_build_parallel.c); training stays in the
 * leader, and the index is the one a serial build writes.
 *
 * A build on no rows writes an untrained index: one list with a zero centroid
 * and zero codebooks.  Rows inserted later all go to that list and scans
 * re-rank every row exactly (see ivfpq_scan.c), until REINDEX trains it; a
 * scan says so once such an index holds many rows.
 */
#include "postgres.h"

#include <math.h>

#include "access/tableam.h"
#include "catalog/index.h"
#include "commands/progress.h"
#include "miscadmin.h"
#include "optimizer/plancat.h"
#include "optimizer/optimizer.h"
#include "pgstat.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/tuplesort.h"

#include "ivfpq_build.h"
#include "pg_compat.h"

/*
 * Coarse k-means iterations: the lists only need to be balanced and
 * near-Voronoi (the re-ranking is exact); 10 Lloyd iterations after k-means++
 * give the same mnist recall as 20 at half the cost.
 */
#ifndef IVFPQ_KMEANS_NITER
#define IVFPQ_KMEANS_NITER 10
#endif
/*
 * Lists from which the CPU trains them in two levels of k-means
 * (pgvq_kmeans_train_two_level): the build samples 50 rows a list, so flat
 * k-means costs 50 * lists^2 * dims an iteration; below this it is cheap.
 */
#ifndef IVFPQ_TWO_LEVEL_MIN_LISTS
#define IVFPQ_TWO_LEVEL_MIN_LISTS 256
#endif
/* Most rows the product quantizer trains on: 128 a code (mnist: codes 1.7%
 * coarser than from 49,000) */
#ifndef IVFPQ_PQ_MAX_SAMPLE
#define IVFPQ_PQ_MAX_SAMPLE 32768
#endif
#ifndef IVFPQ_PQ_NITER
#define IVFPQ_PQ_NITER 10
#endif

/*
 * The default number of lists for n rows: 4 sqrt(n) (979 at 60,000 rows,
 * 4,000 at 1M).  Lists of about sqrt(n) / 4 rows keep the codes a scan reads
 * few; with ivfpq.probes 30 they give the recall of sqrt(n) lists at probes 10
 * or more in less time on mnist and far less on the rotated set (README "lists").
 * n/1000 (before 0.2) and sqrt(n) (0.2) made lists whose codes dominated a scan.
 * At most n (4 sqrt(n) exceeds n below 16 rows): never more lists than rows,
 * which pgvq_ivfpq_retrain refuses to train.
 */
int
IvfpqDefaultLists(double n)
{
	double		lists = Min(4.0 * sqrt(Max(n, 0)), n);

	return (int) Max(1, Min(lists, IVFPQ_MAX_LISTS));
}

/*
 * The training rows a build wants for lists lists, before memory cuts them:
 * 50 a list for the first IVFPQ_TWO_LEVEL_MIN_LISTS lists and 25 for each one
 * beyond (there two-level k-means trains each group's lists on that group's
 * rows, 25 or more a list), at least 10,000.
 */
int64
IvfpqSampleWanted(int lists)
{
	int64		first = Min(lists, IVFPQ_TWO_LEVEL_MIN_LISTS);

	return Max(10000, first * 50 + ((int64) lists - first) * 25);
}

/*
 * The training rows for lists lists within mwm (the sample and its residuals
 * take twice cap * dims floats within half of it); below 1 when not one fits.
 */
int64
IvfpqSampleCap(int lists, int dims, Size mwm)
{
	return Min(IvfpqSampleWanted(lists), (int64) ((mwm / 2) / (2 * sizeof(float) * (Size) dims)));
}

/* The memory training lists lists on n rows takes (IvfpqCheckTrainingMemory) */
static Size
TrainingBytes(int64 n, int lists, int dims, int nbits)
{
	Size		train = 0;

	train = add_size(train, mul_size(mul_size(n, dims), 2 * sizeof(float)));
	train = add_size(train, mul_size(mul_size(lists, dims), 2 * sizeof(float)));
	train = add_size(train, mul_size(n, sizeof(int64) + sizeof(float)));
	train = add_size(train, mul_size(mul_size(1 << nbits, dims), sizeof(float)));
	return train;
}

/*
 * The lists trained without a lists option: the default for rows rows, cut
 * to those whose training on n sample rows fits mwm.  Only a sample that
 * maintenance_work_mem cut leaves too little for them (the sample takes 25
 * rows a list or more), and the default must not fail a build that fewer
 * lists let through; n 0: the sample a build would take.
 */
int
IvfpqDefaultListsFitting(double rows, int64 n, int dims, int nbits, Size mwm)
{
	int			lists = IvfpqDefaultLists(rows);
	Size		fixed;
	Size		perList;

	if (n <= 0)
		n = (int64) Min(Max(rows, 1.0), (double) Max(IvfpqSampleCap(lists, dims, mwm), 1));
	fixed = TrainingBytes(n, 0, dims, nbits);
	perList = TrainingBytes(n, 1, dims, nbits) - fixed;
	if (fixed >= mwm)
		return lists;			/* IvfpqCheckTrainingMemory says why it fails */
	return (int) Max(1, Min((Size) lists, (mwm - fixed) / perList));
}

/*
 * The imbalance sum(n_i^2) * lists / N^2 of lists whose entries lie at
 * offsets[l] .. offsets[l+1] - 1 (1: equal lists).
 */
float4
IvfpqImbalance(const int64 *offsets, int lists)
{
	double		total = (double) offsets[lists];
	double		squares = 0;
	int			l;

	for (l = 0; l < lists; l++)
	{
		double		n = (double) (offsets[l + 1] - offsets[l]);

		squares += n * n;
	}
	return total > 0 ? (float4) (squares * lists / (total * total)) : 1.0f;
}

/*
 * The default m for d dimensions: the divisor of d nearest (in log scale) to
 * d / 4 code bytes, i.e. sub-vectors of 4 dimensions, preferring the larger
 * sub-vector on ties, within the largest m that GetOptions accepts
 * (IVFPQ_MAX_M and IVFPQ_MAX_CODE_M).  Scans re-rank exactly from the
 * heap every row whose error-bounded distance can still beat the LIMIT's
 * last one, so their cost is the heap fetches, and finer codes (smaller
 * errors) fetch fewer rows: at the same probes (the same recall) mnist-784
 * ran 2.0x the QPS unfiltered and 3.6x under a 10% filter with m 196 than
 * with m 49 (16-dimension sub-vectors, the default before), sift-128 1.9x and
 * 1.3x with m 32 than with m 16; 2-dimension sub-vectors were slower on mnist
 * (the code scan takes over).  With ivfpq.rerank = 100 coarser codes are
 * faster: set m then.
 */
static int
IvfpqDefaultM(int d)
{
	int			best = 1;
	double		bestScore = 1e30;
	double		target = d / 4.0;
	int			maxM = Min(Min(d, IVFPQ_MAX_M), IVFPQ_MAX_CODE_M);
	int			m;

	for (m = 1; m <= maxM; m++)
	{
		double		score;

		if (d % m != 0)
			continue;
		score = fabs(log2((double) m) - log2(target));
		if (score < bestScore - 1e-9)
		{
			bestScore = score;
			best = m;
		}
	}
	return best;
}

static void
IvfpqCheckMemory(const char *what, Size need, Size limit)
{
	if (need > limit)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("ivfpq %s needs %zu MB of memory, maintenance_work_mem is %zu MB",
						what, need / (1024 * 1024) + 1, limit / (1024 * 1024)),
				 errhint("Increase maintenance_work_mem or use fewer lists.")));
}

/* Reads and checks the options against the dimensions. */
static void
GetOptions(Relation index, int dims, int *lists, int *m, int *nbits)
{
	IvfpqOptions *opts = (IvfpqOptions *) index->rd_options;

	*lists = opts ? opts->lists : 0;
	*m = opts ? opts->m : 0;
	*nbits = opts ? opts->nbits : IVFPQ_DEFAULT_NBITS;

	if (*m == 0)
		*m = IvfpqDefaultM(dims);
	else if (dims % *m != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ivfpq option m must divide the number of dimensions"),
				 errdetail("m is %d and the column has %d dimensions.", *m, dims)));
	if (*m > IVFPQ_MAX_CODE_M || IvfpqListCapacity(*m) < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ivfpq option m is too large: %d", *m)));
}

/*
 * 1. sampling: the training sample into bs->sample (its capacity set) in TID
 * order, and bs->rowsSeen; with nworkers parallel workers when they launch.
 */
static void
SampleRows(IvfpqBuildState *bs, IndexInfo *indexInfo, int nworkers)
{
	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, PROGRESS_IVFPQ_PHASE_SAMPLE);
	if (nworkers > 0 && IvfpqParallelSample(bs, indexInfo, nworkers))
		return;
	bs->sampleRow = palloc(sizeof(float) * bs->dims);
	bs->sampleTop = PG_UINT64_MAX;
	table_index_build_scan(bs->heap, bs->index, indexInfo, false, true, IvfpqSampleCallback, bs, NULL);
	IvfpqSampleSorted(bs->sample, IvfpqSampleVecs(bs->sample));
	pfree(bs->sampleRow);
}

/*
 * 2 and 3: coarse k-means and the PQ codebooks on the n training rows x (n,
 * dims), which become their residuals.  On the GPU when bs->gpu is set, which
 * is cleared when the GPU fails under `auto`.
 */
void
IvfpqTrain(IvfpqBuildState *bs, float *x, int64 n)
{
	int			dims = bs->dims;
	int			ksub = 1 << bs->nbits;
	pgvq_kmeans_params params;
	pgvq_status st;
	int			rc;

	bs->centroids = MemoryContextAllocHuge(CurrentMemoryContext,
										   mul_size(mul_size(bs->lists, dims), sizeof(float)));
	bs->codebooks = MemoryContextAllocHuge(CurrentMemoryContext,
										   mul_size(mul_size(ksub, dims), sizeof(float)));

	pgvq_kmeans_params_default(&params);
	params.nthreads = bs->nthreads;
	params.niter = IVFPQ_KMEANS_NITER;
	params.should_stop = PgvqShouldStop;
	params.stop_arg = NULL;

	/* 2. coarse k-means */
	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, PROGRESS_IVFPQ_PHASE_KMEANS);
	memset(&st, 0, sizeof(st));
	if (bs->gpu != NULL &&
		!PgvqGpuCheckStatus(bs->gpu->kmeans_train(n, dims, x, bs->lists, &params,
												  &bs->gpuOpts, bs->centroids, NULL, &st),
							&st, "ivfpq k-means"))
		bs->gpu = NULL;
	if (bs->gpu == NULL)
	{
		/* many lists: two levels (the cost of flat k-means grows as lists^2) */
		if (bs->lists >= IVFPQ_TWO_LEVEL_MIN_LISTS)
			rc = pgvq_kmeans_train_two_level(n, dims, x, bs->lists, &params, bs->centroids, &st);
		else
			rc = pgvq_kmeans_train(n, dims, x, bs->lists, &params, bs->centroids, NULL, &st);
		PgvqCheckStatus(rc, &st, "ivfpq k-means");
	}

	/* 3. PQ codebooks on the residuals of the sample */
	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, PROGRESS_IVFPQ_PHASE_PQ);
	/* Sub-quantizers converge fast; their cost is n * ksub * d per iteration */
	params.niter = IVFPQ_PQ_NITER;
	/* The GPU computes the residuals itself */
	if (bs->gpu != NULL &&
		!PgvqGpuCheckStatus(bs->gpu->pq_train(n, dims, x, bs->lists, bs->centroids,
											  bs->m, bs->nbits, &params, &bs->gpuOpts,
											  bs->codebooks, &st),
							&st, "ivfpq product quantizer training"))
		bs->gpu = NULL;
	if (bs->gpu == NULL)
	{
		int64	   *labels;
		int64		i;

		/* at most IVFPQ_PQ_MAX_SAMPLE rows, evenly spaced, train the codebooks */
		if (n > IVFPQ_PQ_MAX_SAMPLE)
		{
			for (i = 1; i < IVFPQ_PQ_MAX_SAMPLE; i++)
				memmove(x + (Size) i * dims, x + (Size) (i * n / IVFPQ_PQ_MAX_SAMPLE) * dims,
						sizeof(float) * dims);
			n = IVFPQ_PQ_MAX_SAMPLE;
		}
		labels = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * Max(n, 1));

		rc = pgvq_assign_l2(n, dims, x, bs->lists, bs->centroids, labels, NULL,
							bs->nthreads, PgvqShouldStop, NULL, &st);
		PgvqCheckStatus(rc, &st, "ivfpq list assignment");
		for (i = 0; i < n; i++)
		{
			float	   *xi = x + (Size) i * dims;
			const float *c = bs->centroids + (Size) labels[i] * dims;
			int			j;

			for (j = 0; j < dims; j++)
				xi[j] -= c[j];
		}
		pfree(labels);
		CHECK_FOR_INTERRUPTS();
		rc = pgvq_pq_train(n, dims, x, bs->m, bs->nbits, &params, bs->codebooks, &st);
		PgvqCheckStatus(rc, &st, "ivfpq product quantizer training");
	}
}

/* 4. serially: every row encoded into memory, or into the spill when too many. */
static void
EncodeRows(IvfpqBuildState *bs, IndexInfo *indexInfo)
{
	Size		need = mul_size(Max(bs->rowsTotal, 1024), IvfpqEntryBytes(bs->m));

	bs->reportProgress = true;
	IvfpqAllocBatch(bs);
	if (need > bs->memLimit)
		IvfpqStartSpill(bs, need);
	else
	{
		bs->entCap = Max(bs->rowsTotal, 1024);
		bs->entLists = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * bs->entCap);
		bs->entTids = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(ItemPointerData) * bs->entCap);
		bs->entCodes = MemoryContextAllocHuge(CurrentMemoryContext,
											  (Size) IvfpqEntryCodeSize(bs->m) * bs->entCap);
	}
	table_index_build_scan(bs->heap, bs->index, indexInfo, false, true, IvfpqEncodeCallback, bs, NULL);
	IvfpqFlushBatch(bs);
	if (bs->spill != NULL)
		tuplesort_performsort(bs->spill);
}

/* The training sample's capacity, allocated in bs->sample; sampleWanted: uncut. */
static void
AllocSample(IvfpqBuildState *bs, int listsOpt, int64 *sampleWanted)
{
	BlockNumber relpages;
	double		reltuples;
	double		allvisfrac;
	int			estLists;
	int64		cap;
	Size		mwm = bs->memLimit;

	/* Training sample size from the estimated row count */
	estimate_rel_size(bs->heap, NULL, &relpages, &reltuples, &allvisfrac);
	estLists = listsOpt > 0 ? listsOpt : IvfpqDefaultLists(reltuples);
	*sampleWanted = IvfpqSampleWanted(estLists);
	cap = IvfpqSampleCap(estLists, bs->dims, mwm);
	if (cap < 1)
		IvfpqCheckMemory("training", mul_size(4 * sizeof(float), bs->dims), mwm / 2);
	bs->sample = MemoryContextAllocHuge(CurrentMemoryContext, IvfpqSampleSize(cap, bs->dims));
	IvfpqSampleInit(bs->sample, cap, bs->dims);
}

/* Checks the memory of training before the work (the entries spill instead). */
void
IvfpqCheckTrainingMemory(IvfpqBuildState *bs, int64 sampleWanted)
{
	int64		n = bs->sample->n;
	int			dims = bs->dims;
	Size		mwm = bs->memLimit;

	/* A sample cut by maintenance_work_mem trains the lists on fewer rows */
	if (bs->sample->cap < sampleWanted && bs->rowsSeen > bs->sample->cap)
		ereport(NOTICE,
				(errmsg("ivfpq training sample cut to " INT64_FORMAT " rows by maintenance_work_mem",
						bs->sample->cap),
				 errdetail("Training the %d lists on " INT64_FORMAT " rows needs maintenance_work_mem "
						   "of about %zu MB; it is %zu MB.",
						   bs->lists, Min(sampleWanted, bs->rowsSeen),
						   (Size) Min(sampleWanted, bs->rowsSeen) * dims * 2 * sizeof(float) * 2 / (1024 * 1024) + 1,
						   mwm / (1024 * 1024)),
				 errhint("Increase maintenance_work_mem for better balanced lists.")));

	IvfpqCheckMemory("training", TrainingBytes(n, bs->lists, dims, bs->nbits), mwm);
}

IndexBuildResult *
ivfpqbuild(Relation heap, Relation index, IndexInfo *indexInfo)
{
	IndexBuildResult *result = palloc0(sizeof(IndexBuildResult));
	IvfpqBuildState bs;
	int			listsOpt;
	int64		sampleWanted;
	int			nworkers;
	IvfpqParallelBuild *pb = NULL;

	if (RelationGetNumberOfBlocks(index) != 0)
		elog(ERROR, "index \"%s\" already contains data", RelationGetRelationName(index));

	/* pgvq.build_device = gpu with no usable GPU fails before the heap scans */
	PgvqGpuCheckRequired();

	MemSet(&bs, 0, sizeof(bs));
	bs.heap = heap;
	bs.index = index;
	bs.metric = IvfpqGetMetric(index);
	bs.colType = IvfpqGetColumnType(index);
	bs.dims = IvfpqDimensions(index);
	GetOptions(index, bs.dims, &listsOpt, &bs.m, &bs.nbits);
	bs.memLimit = (Size) maintenance_work_mem * 1024;
	bs.tmpCtx = AllocSetContextCreate(CurrentMemoryContext, "ivfpq build temporary context",
									  ALLOCSET_DEFAULT_SIZES);
	nworkers = PgvqBuildWorkers(heap, index, indexInfo);

	/* 1. sampling */
	AllocSample(&bs, listsOpt, &sampleWanted);
	SampleRows(&bs, indexInfo, nworkers);
	if (bs.rowsSeen == 0)
	{
		IvfpqWriteUntrained(index, MAIN_FORKNUM, bs.dims, bs.m, bs.nbits, bs.metric);

		/*
		 * Only DEBUG1: an index made before its rows is the usual case
		 * (migrations, Citus' shells and shards); scans say so once the
		 * untrained index holds many rows (ivfpq_reach.c).
		 */
		ereport(DEBUG1,
				(errmsg("ivfpq index \"%s\" created with no data", RelationGetRelationName(index)),
				 errdetail("Scans re-rank every row exactly until the index is trained.")));
		MemoryContextDelete(bs.tmpCtx);
		return result;
	}
	bs.lists = listsOpt > 0 ? listsOpt :
		IvfpqDefaultListsFitting((double) bs.rowsSeen, bs.sample->n, bs.dims, bs.nbits, bs.memLimit);
	bs.rowsTotal = bs.rowsSeen;
	bs.nthreads = IvfpqBuildThreads();
	IvfpqCheckTrainingMemory(&bs, sampleWanted);

	/* Train and encode on the GPU?  The page writing below is the same. */
	bs.gpu = PgvqGpuForBuild((double) bs.rowsTotal * bs.dims);
	if (bs.gpu != NULL)
		bs.gpu->options_default(&bs.gpuOpts);

	/* 2, 3. training */
	IvfpqTrain(&bs, IvfpqSampleVecs(bs.sample), bs.sample->n);
	pfree(bs.sample);
	bs.sample = NULL;

	/* 4. encode every row */
	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, PROGRESS_IVFPQ_PHASE_ENCODE);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_TOTAL, bs.rowsTotal);
	if (nworkers > 0)
		pb = IvfpqParallelEncode(&bs, indexInfo, nworkers);
	if (pb == NULL)
		EncodeRows(&bs, indexInfo);

	/* 5. write the pages */
	IvfpqLoadEntries(&bs);
	if (pb != NULL)
		IvfpqParallelEnd(pb);

	result->heap_tuples = bs.rowsTotal;
	result->index_tuples = bs.nent;
	MemoryContextDelete(bs.tmpCtx);
	return result;
}

/* The init fork of an unlogged table's index: an untrained index, WAL-logged. */
void
ivfpqbuildempty(Relation index)
{
	int			dims = IvfpqDimensions(index);
	int			lists;
	int			m;
	int			nbits;

	GetOptions(index, dims, &lists, &m, &nbits);
	IvfpqWriteUntrained(index, INIT_FORKNUM, dims, m, nbits, IvfpqGetMetric(index));
}
