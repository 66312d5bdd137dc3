/*
 * ivfpq_build.c: CREATE INDEX / REINDEX for ivfpq.
 *
 *  1. sampling:  a heap scan reservoir-samples the training rows (and counts rows)
 *  2. k-means:   coarse centroids (core, GEMM assignment, threads)
 *  3. PQ:        residuals of the sample to their nearest centroid; PQ codebooks
 *  4. encoding:  a second heap scan; batches of rows are assigned to a list and
 *                their residuals encoded by the core; (list, tid, code) kept in
 *                memory when they fit in maintenance_work_mem, otherwise fed to
 *                a tuplesort that spills to disk (with a NOTICE)
 *  5. loading:   counting sort by list (or the tuplesort's order); meta,
 *                centroid, codebook, directory and list pages written through
 *                the buffer manager, then WAL-logged with log_newpage_range
 *                when the index needs WAL.
 *
 * A build on no rows writes an untrained index: one list with a zero centroid
 * and zero codebooks.  Rows inserted later all go to that list and scans
 * re-rank every row exactly (see ivfpq_scan.c), until REINDEX trains it.
 */
#include "postgres.h"

#include <math.h>

#include "access/tableam.h"
#include "access/tupdesc.h"
#include "access/xloginsert.h"
#include "catalog/index.h"
#include "commands/progress.h"
#include "miscadmin.h"
#include "optimizer/plancat.h"
#include "optimizer/optimizer.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "executor/tuptable.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
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
#ifndef IVFPQ_PQ_NITER
#define IVFPQ_PQ_NITER 10
#endif

/* Where WriteIndex takes the entries from, in list order. */
typedef struct IvfpqEntrySource
{
	/* in memory: entry k of the list order is perm[k] of tids/codes */
	const int64 *perm;
	const ItemPointerData *tids;
	const uint8 *codes;
	/* or the sorted tuplesort, read in order */
	Tuplesortstate *sort;
	TupleTableSlot *slot;
} IvfpqEntrySource;

/* The default number of lists for n rows: n/1000 up to 1M rows, sqrt(n) beyond. */
static int
IvfpqDefaultLists(double n)
{
	double		lists = n <= 1000000 ? n / 1000 : sqrt(n);

	return (int) Max(1, Min(lists, IVFPQ_MAX_LISTS));
}

/*
 * The default m for d dimensions: the divisor of d nearest (in log scale) to
 * max(d / 16, min(16, d / 4)) code bytes, i.e. 16 dimensions a code byte for
 * large d (784 -> 49) and 16 bytes for middle d (128 -> 16), preferring the
 * larger sub-vector on ties, within the largest m that GetOptions accepts
 * (IVFPQ_MAX_M and IvfpqListCapacity(1)).  Sub-vectors of 8 to 16
 * dimensions keep the scan's table small and its code rows short; the
 * re-ranking makes up for the coarser PQ distances (mnist-784: the same
 * recall@10 with m 49 as with m 196 at rerank 100, 2.5x the QPS).
 */
static int
IvfpqDefaultM(int d)
{
	int			best = 1;
	double		bestScore = 1e30;
	double		target = Max(d / 16.0, Min(16.0, d / 4.0));
	int			maxM = Min(Min(d, IVFPQ_MAX_M), IvfpqListCapacity(1));
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

/* Writes nfloats floats as a chain of stream pages; returns the first block. */
static BlockNumber
WriteStream(Relation index, ForkNumber fork, uint16 kind, const float *data, Size nfloats)
{
	BlockNumber first = InvalidBlockNumber;
	Buffer		prev = InvalidBuffer;
	Size		done = 0;

	while (done < nfloats)
	{
		Buffer		buf = IvfpqNewBuffer(index, fork);
		Page		page = BufferGetPage(buf);
		int			n = (int) Min((Size) IVFPQ_FLOATS_PER_PAGE, nfloats - done);

		IvfpqInitPage(page, kind, 0);
		memcpy(PageGetContents(page), data + done, sizeof(float) * n);
		IvfpqPageGetOpaque(page)->count = n;
		((PageHeader) page)->pd_lower = IVFPQ_PAGE_HEADER + sizeof(float) * n;
		done += n;

		if (first == InvalidBlockNumber)
			first = BufferGetBlockNumber(buf);
		if (BufferIsValid(prev))
		{
			IvfpqPageGetOpaque(BufferGetPage(prev))->nextblkno = BufferGetBlockNumber(buf);
			MarkBufferDirty(prev);
			UnlockReleaseBuffer(prev);
		}
		prev = buf;
	}
	if (BufferIsValid(prev))
	{
		MarkBufferDirty(prev);
		UnlockReleaseBuffer(prev);
	}
	return first;
}

/*
 * Entry k (in list order, expected in list `list`) of src into slot i of a
 * list page: the code, the TID and the error code.
 */
static void
NextEntry(IvfpqEntrySource *src, int64 k, int list, int m, Page page, int i)
{
	const uint8 *entry;
	int			cs = IvfpqEntryCodeSize(m);

	if (src->sort == NULL)
	{
		int64		e = src->perm[k];

		entry = src->codes + (Size) e * cs;
		*IvfpqListTid(page, i) = src->tids[e];
	}
	else
	{
		TupleTableSlot *slot = src->slot;
		bool		isnull;
		bytea	   *c;

		if (!tuplesort_gettupleslot(src->sort, true, false, slot, NULL))
			elog(ERROR, "ivfpq build: the sorted entries ended early");
		if (DatumGetInt32(slot_getattr(slot, 1, &isnull)) != list)
			elog(ERROR, "ivfpq build: sorted entry %lld is not in list %d", (long long) k, list);
		IvfpqInt8ToTid(DatumGetInt64(slot_getattr(slot, 2, &isnull)), IvfpqListTid(page, i));
		c = DatumGetByteaPP(slot_getattr(slot, 3, &isnull));
		if (VARSIZE_ANY_EXHDR(c) != (Size) cs)
			elog(ERROR, "ivfpq build: sorted entry %lld has a code of the wrong size", (long long) k);
		entry = (const uint8 *) VARDATA_ANY(c);
	}
	memcpy(IvfpqListCodes(page) + (Size) i * m, entry, m);
	memcpy(IvfpqListErr(page, i), entry + m, sizeof(uint16));
}

/*
 * Writes a whole index into fork: meta, centroids, codebooks, directory and
 * the list chains.  Entries come from src in list order: list l has
 * offsets[l+1] - offsets[l] of them.  WAL: one log_newpage_range over every
 * page (always for the init fork).
 */
static void
WriteIndex(Relation index, ForkNumber fork, IvfpqMetaPageData *meta,
		   const float *centroids, const float *codebooks,
		   const int64 *offsets, IvfpqEntrySource *src)
{
	Buffer		metaBuf;
	Buffer	   *dirBufs;
	int			m = meta->m;
	int			cap = IvfpqListCapacity(m);
	int			list;
	Size		ncb = (Size) meta->m * (1 << meta->nbits) * (meta->dimensions / meta->m);
	BlockNumber nblocks;
	int			p;

	metaBuf = IvfpqNewBuffer(index, fork);
	Assert(BufferGetBlockNumber(metaBuf) == IVFPQ_METAPAGE_BLKNO);
	/* Kept pinned, unlocked: CHECK_FOR_INTERRUPTS below is a no-op under a buffer lock */
	LockBuffer(metaBuf, BUFFER_LOCK_UNLOCK);

	meta->centroidStart = WriteStream(index, fork, IVFPQ_PAGE_CENTROID, centroids,
									  (Size) meta->lists * meta->dimensions);
	meta->codebookStart = WriteStream(index, fork, IVFPQ_PAGE_CODEBOOK, codebooks, ncb);

	/* Directory pages: consecutive blocks, filled as the lists are written */
	meta->ndirPages = (meta->lists + IVFPQ_DIR_PER_PAGE - 1) / IVFPQ_DIR_PER_PAGE;
	dirBufs = palloc(sizeof(Buffer) * meta->ndirPages);
	for (p = 0; p < meta->ndirPages; p++)
	{
		dirBufs[p] = IvfpqNewBuffer(index, fork);
		if (p == 0)
			meta->directoryStart = BufferGetBlockNumber(dirBufs[0]);
		else if (BufferGetBlockNumber(dirBufs[p]) != meta->directoryStart + p)
			elog(ERROR, "ivfpq directory pages are not consecutive");
		IvfpqInitPage(BufferGetPage(dirBufs[p]), IVFPQ_PAGE_DIRECTORY, 0);
		/* Unlocked while the lists are written; nobody else sees this index yet */
		LockBuffer(dirBufs[p], BUFFER_LOCK_UNLOCK);
	}

	for (list = 0; list < meta->lists; list++)
	{
		int64		k = offsets[list];
		int64		end = offsets[list + 1];
		Buffer		buf = IvfpqNewBuffer(index, fork);
		Page		page = BufferGetPage(buf);
		BlockNumber start = BufferGetBlockNumber(buf);
		Page		dpage;
		IvfpqDirEntry entries;
		int			slot = list % IVFPQ_DIR_PER_PAGE;

		IvfpqInitPage(page, IVFPQ_PAGE_LIST, list);
		for (;;)
		{
			int			n = (int) Min((int64) cap, end - k);
			int			i;

			for (i = 0; i < n; i++)
				NextEntry(src, k + i, list, m, page, i);
			k += n;
			IvfpqPageGetOpaque(page)->count = n;
			((PageHeader) page)->pd_lower = IVFPQ_PAGE_HEADER + (Size) n * m;
			((PageHeader) page)->pd_upper = BLCKSZ - IVFPQ_SPECIAL_SIZE - (Size) n * IVFPQ_SLOT_SIZE;

			if (k >= end)
				break;

			{
				Buffer		next = IvfpqNewBuffer(index, fork);

				IvfpqPageGetOpaque(page)->nextblkno = BufferGetBlockNumber(next);
				MarkBufferDirty(buf);
				UnlockReleaseBuffer(buf);
				buf = next;

				/*
				 * Poll with no buffer lock held (a no-op under one): unlock
				 * the new page, keep its pin, re-lock it to fill it.  Nobody
				 * else sees this index during the build.
				 */
				LockBuffer(buf, BUFFER_LOCK_UNLOCK);
				CHECK_FOR_INTERRUPTS();
				LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
				page = BufferGetPage(buf);
				IvfpqInitPage(page, IVFPQ_PAGE_LIST, list);
			}
		}
		/* The last page is where inserts go */
		LockBuffer(dirBufs[list / IVFPQ_DIR_PER_PAGE], BUFFER_LOCK_EXCLUSIVE);
		dpage = BufferGetPage(dirBufs[list / IVFPQ_DIR_PER_PAGE]);
		entries = (IvfpqDirEntry) PageGetContents(dpage);
		entries[slot].startPage = start;
		entries[slot].insertPage = BufferGetBlockNumber(buf);
		IvfpqPageGetOpaque(dpage)->count = slot + 1;
		((PageHeader) dpage)->pd_lower = IVFPQ_PAGE_HEADER + (slot + 1) * sizeof(IvfpqDirEntryData);
		MarkBufferDirty(dirBufs[list / IVFPQ_DIR_PER_PAGE]);
		LockBuffer(dirBufs[list / IVFPQ_DIR_PER_PAGE], BUFFER_LOCK_UNLOCK);

		MarkBufferDirty(buf);
		UnlockReleaseBuffer(buf);

		if ((list & 63) == 0)
			pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, offsets[list + 1]);
		/* No buffer locked here: cheap, so once per list as well */
		CHECK_FOR_INTERRUPTS();
	}
	for (p = 0; p < meta->ndirPages; p++)
		ReleaseBuffer(dirBufs[p]);

	/* The meta page last: it names every chain */
	{
		Page		page = BufferGetPage(metaBuf);

		LockBuffer(metaBuf, BUFFER_LOCK_EXCLUSIVE);
		IvfpqInitPage(page, IVFPQ_PAGE_META, 0);
		memcpy(PageGetContents(page), meta, sizeof(IvfpqMetaPageData));
		((PageHeader) page)->pd_lower = IVFPQ_PAGE_HEADER + sizeof(IvfpqMetaPageData);
		MarkBufferDirty(metaBuf);
		UnlockReleaseBuffer(metaBuf);
	}

	nblocks = RelationGetNumberOfBlocksInFork(index, fork);
	if (fork == INIT_FORKNUM || RelationNeedsWAL(index))
		log_newpage_range(index, fork, 0, nblocks, true);
}

static uint64
IvfpqNewBuildId(void)
{
	uint64		id;

	if (!pg_strong_random(&id, sizeof(id)))
		id = ((uint64) MyProcPid << 32) ^ (uint64) GetCurrentTimestamp();
	return id;
}

/* Fills the meta fields common to every build. */
static void
InitMeta(IvfpqMetaPageData *meta, int dims, int lists, int m, int nbits, int metric, bool trained)
{
	MemSet(meta, 0, sizeof(*meta));
	meta->magicNumber = IVFPQ_MAGIC_NUMBER;
	meta->version = IVFPQ_VERSION;
	meta->buildId = IvfpqNewBuildId();
	meta->dimensions = dims;
	meta->lists = lists;
	meta->m = m;
	meta->nbits = nbits;
	meta->metric = metric;
	meta->trained = trained ? 1 : 0;
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
	if (*m > IvfpqListCapacity(1) || IvfpqListCapacity(*m) < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ivfpq option m is too large: %d", *m)));
}

/* An untrained index (no rows): one list, zero centroid, zero codebooks. */
static void
WriteUntrained(Relation index, ForkNumber fork, int dims, int m, int nbits, int metric)
{
	IvfpqMetaPageData meta;
	float	   *centroids = palloc0(sizeof(float) * dims);
	float	   *codebooks = palloc0_array(float, (Size) (1 << nbits) * dims);
	int64		offsets[2] = {0, 0};

	InitMeta(&meta, dims, 1, m, nbits, metric, false);
	WriteIndex(index, fork, &meta, centroids, codebooks, offsets, NULL);
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
static void
Train(IvfpqBuildState *bs, float *x, int64 n)
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
	params.nthreads = ivfpq_build_threads;
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
		int64	   *labels = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * Max(n, 1));
		int64		i;

		rc = pgvq_assign_l2(n, dims, x, bs->lists, bs->centroids, labels, NULL,
							ivfpq_build_threads, PgvqShouldStop, NULL, &st);
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

	bs->nthreads = ivfpq_build_threads;
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

/*
 * 5. the pages, from the entries in (list, heap TID) order: the sorted spill
 * (serial or parallel) or a counting sort of the entries in memory.
 */
static void
LoadEntries(IvfpqBuildState *bs)
{
	int64	   *offsets = palloc0(sizeof(int64) * (bs->lists + 1));
	int64		i;
	int			l;
	IvfpqMetaPageData meta;
	IvfpqEntrySource src;

	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, PROGRESS_IVFPQ_PHASE_LOAD);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_TOTAL, bs->nent);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, 0);
	memset(&src, 0, sizeof(src));
	if (bs->spill != NULL)
	{
		/* The tuplesort gives (list, tid) order; the counts give the offsets */
		for (l = 0; l < bs->lists; l++)
			offsets[l + 1] = offsets[l] + bs->listCounts[l];
		src.sort = bs->spill;
		src.slot = MakeSingleTupleTableSlot(bs->spillDesc, &TTSOpsMinimalTuple);
	}
	else
	{
		int64	   *fill = palloc(sizeof(int64) * bs->lists);
		int64	   *perm = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * Max(bs->nent, 1));

		for (i = 0; i < bs->nent; i++)
			offsets[bs->entLists[i] + 1]++;
		for (l = 0; l < bs->lists; l++)
			offsets[l + 1] += offsets[l];
		memcpy(fill, offsets, sizeof(int64) * bs->lists);
		for (i = 0; i < bs->nent; i++)
			perm[fill[bs->entLists[i]]++] = i;
		IvfpqSortListsByTid(perm, offsets, bs->lists, bs->entTids);
		src.perm = perm;
		src.tids = bs->entTids;
		src.codes = bs->entCodes;
	}

	InitMeta(&meta, bs->dims, bs->lists, bs->m, bs->nbits, bs->metric, true);
	meta.buildTuples = bs->nent;
	WriteIndex(bs->index, MAIN_FORKNUM, &meta, bs->centroids, bs->codebooks, offsets, &src);
	if (bs->spill != NULL)
	{
		ExecDropSingleTupleTableSlot(src.slot);
		ExecDropSingleTupleTableSlot(bs->spillSlot);
		tuplesort_end(bs->spill);
		bs->spill = NULL;
	}
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
	*sampleWanted = Max((int64) estLists * 50, 10000);
	*sampleWanted = Min(*sampleWanted, (int64) estLists * 256 + 10000);
	/* The sample and its residuals take twice sampleCap * dims floats */
	cap = Min(*sampleWanted, (int64) ((mwm / 2) / (2 * sizeof(float) * (Size) bs->dims)));
	if (cap < 1)
		IvfpqCheckMemory("training", mul_size(4 * sizeof(float), bs->dims), mwm / 2);
	bs->sample = MemoryContextAllocHuge(CurrentMemoryContext, IvfpqSampleSize(cap, bs->dims));
	IvfpqSampleInit(bs->sample, cap, bs->dims);
}

/* Checks the memory of training before the work (the entries spill instead). */
static void
CheckTrainingMemory(IvfpqBuildState *bs, int64 sampleWanted)
{
	Size		train = 0;
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

	train = add_size(train, mul_size(mul_size(n, dims), 2 * sizeof(float)));
	train = add_size(train, mul_size(mul_size(bs->lists, dims), 2 * sizeof(float)));
	train = add_size(train, mul_size(n, sizeof(int64) + sizeof(float)));
	train = add_size(train, mul_size(mul_size(1 << bs->nbits, dims), sizeof(float)));
	IvfpqCheckMemory("training", train, mwm);
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

	if (indexInfo->ii_IndexAttrNumbers[0] == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("ivfpq does not support expression indexes"),
				 errhint("Index a column; the scan re-ranks with the column's vectors.")));

	if (RelationGetNumberOfBlocks(index) != 0)
		elog(ERROR, "index \"%s\" already contains data", RelationGetRelationName(index));

	/* pgvq.build_device = gpu with no usable GPU fails before the heap scans */
	PgvqGpuCheckRequired();

	MemSet(&bs, 0, sizeof(bs));
	bs.heap = heap;
	bs.index = index;
	bs.metric = IvfpqGetMetric(index);
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
		WriteUntrained(index, MAIN_FORKNUM, bs.dims, bs.m, bs.nbits, bs.metric);
		ereport(NOTICE,
				(errmsg("ivfpq index created with no data"),
				 errdetail("Scans re-rank every row exactly until the index is trained."),
				 errhint("REINDEX after loading data to train the index.")));
		MemoryContextDelete(bs.tmpCtx);
		return result;
	}
	bs.lists = listsOpt > 0 ? listsOpt : IvfpqDefaultLists((double) bs.rowsSeen);
	bs.rowsTotal = bs.rowsSeen;
	CheckTrainingMemory(&bs, sampleWanted);

	/* Train and encode on the GPU?  The page writing below is the same. */
	bs.gpu = PgvqGpuForBuild((double) bs.rowsTotal * bs.dims);
	if (bs.gpu != NULL)
		bs.gpu->options_default(&bs.gpuOpts);

	/* 2, 3. training */
	Train(&bs, IvfpqSampleVecs(bs.sample), bs.sample->n);
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
	LoadEntries(&bs);
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
	WriteUntrained(index, INIT_FORKNUM, dims, m, nbits, IvfpqGetMetric(index));
}
