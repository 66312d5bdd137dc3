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
#include "catalog/pg_operator_d.h"
#include "catalog/pg_type_d.h"
#include "commands/progress.h"
#include "common/pg_prng.h"
#include "miscadmin.h"
#include "optimizer/plancat.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "executor/tuptable.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/rel.h"
#include "utils/tuplesort.h"

#include "gpu_loader.h"
#include "ivfpq.h"

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

/* Rows per GPU encoding call (each call sets up a stream and copies the model) */
#define IVFPQ_GPU_ENCODE_BATCH	65536

typedef struct IvfpqBuildState
{
	Relation	heap;
	Relation	index;
	int			dims;
	int			metric;
	int			m;
	int			nbits;
	int			lists;
	Size		memLimit;
	MemoryContext tmpCtx;

	/* the GPU module when this build runs on a GPU (pgvq.build_device), else NULL */
	const pgvq_gpu_api *gpu;
	pgvq_gpu_options gpuOpts;

	/* pass 1: reservoir sample */
	float	   *sample;			/* (sampleCap, dims) */
	int64		sampleCap;
	int64		sampleN;
	int64		rowsSeen;		/* indexable rows seen by pass 1 */
	pg_prng_state prng;

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
	int64		rowsDone;
	int64		rowsTotal;

	/*
	 * pass 2, when the entries do not fit in maintenance_work_mem: a
	 * tuplesort of (list int4, tid int8, code bytea) by (list, tid), and the
	 * entries per list
	 */
	Tuplesortstate *spill;
	TupleDesc	spillDesc;
	TupleTableSlot *spillSlot;
	bytea	   *spillCode;
	int64	   *listCounts;
} IvfpqBuildState;

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

static void
SampleCallback(Relation index, ItemPointer tid, Datum *values, bool *isnull,
			   bool tupleIsAlive, void *state)
{
	IvfpqBuildState *bs = (IvfpqBuildState *) state;
	MemoryContext old;
	Vector	   *vec;
	float	   *dest;
	int64		slot;

	if (isnull[0])
		return;

	old = MemoryContextSwitchTo(bs->tmpCtx);
	vec = DatumGetVector(values[0]);

	if (bs->sampleN < bs->sampleCap)
		slot = bs->sampleN;
	else
	{
		slot = (int64) pg_prng_uint64_range(&bs->prng, 0, (uint64) bs->rowsSeen);
		if (slot >= bs->sampleCap)
			slot = -1;
	}
	if (slot >= 0)
	{
		dest = bs->sample + (Size) slot * bs->dims;
		if (IvfpqPrepareVector(bs->metric, vec, bs->dims, dest))
		{
			if (slot == bs->sampleN)
				bs->sampleN++;
			bs->rowsSeen++;
		}
		else if (slot < bs->sampleN)
		{
			/* a zero vector under cosine overwrote a sample: put the last one there */
			bs->sampleN--;
			if (slot != bs->sampleN)
				memcpy(dest, bs->sample + (Size) bs->sampleN * bs->dims, sizeof(float) * bs->dims);
		}
	}
	else
	{
		double		norm = 1;

		if (bs->metric == PGVQ_METRIC_COSINE)
		{
			IvfpqCheckDims(bs->dims, vec->dim);
			norm = FloatsNormL2(vec->x, bs->dims);
		}
		if (norm > 0)
			bs->rowsSeen++;
	}

	MemoryContextSwitchTo(old);
	MemoryContextReset(bs->tmpCtx);
}

/* Bytes an in-memory entry takes: list, tid, code, and its place in the sort. */
static Size
IvfpqEntryBytes(int m)
{
	return sizeof(int32) + sizeof(ItemPointerData) + IvfpqEntryCodeSize(m) + sizeof(int64);
}

static int64
TidToInt8(ItemPointer tid)
{
	return ((int64) ItemPointerGetBlockNumber(tid) << 16) | ItemPointerGetOffsetNumber(tid);
}

static void
Int8ToTid(int64 v, ItemPointer tid)
{
	ItemPointerSet(tid, (BlockNumber) (v >> 16), (OffsetNumber) (v & 0xffff));
}

static void
SpillEntry(IvfpqBuildState *bs, int32 list, ItemPointer tid, const uint8 *code)
{
	TupleTableSlot *slot = bs->spillSlot;

	ExecClearTuple(slot);
	memcpy(VARDATA(bs->spillCode), code, IvfpqEntryCodeSize(bs->m));
	slot->tts_values[0] = Int32GetDatum(list);
	slot->tts_values[1] = Int64GetDatum(TidToInt8(tid));
	slot->tts_values[2] = PointerGetDatum(bs->spillCode);
	slot->tts_isnull[0] = slot->tts_isnull[1] = slot->tts_isnull[2] = false;
	ExecStoreVirtualTuple(slot);
	/* copies the tuple */
	tuplesort_puttupleslot(bs->spill, slot);
	bs->listCounts[list]++;
}

/*
 * From here on the entries go to a tuplesort that spills to disk; the ones
 * kept in memory so far move there first.  need: what memory would have
 * taken, for the NOTICE.
 */
static void
StartSpill(IvfpqBuildState *bs, Size need)
{
	AttrNumber	attNums[2] = {1, 2};
	Oid			sortOps[2] = {Int4LessOperator, Int8LessOperator};
	Oid			collations[2] = {InvalidOid, InvalidOid};
	bool		nullsFirst[2] = {false, false};
	int64		i;

	ereport(NOTICE,
			(errmsg("ivfpq index build does not fit in maintenance_work_mem"),
			 errdetail("The encoded rows need about %zu MB, maintenance_work_mem is %zu MB; "
					   "they are sorted on disk instead.",
					   need / (1024 * 1024) + 1, bs->memLimit / (1024 * 1024)),
			 errhint("Increase maintenance_work_mem to speed up builds.")));

	bs->spillDesc = CreateTemplateTupleDesc(3);
	TupleDescInitEntry(bs->spillDesc, 1, "list", INT4OID, -1, 0);
	TupleDescInitEntry(bs->spillDesc, 2, "tid", INT8OID, -1, 0);
	TupleDescInitEntry(bs->spillDesc, 3, "code", BYTEAOID, -1, 0);
	bs->spill = tuplesort_begin_heap(bs->spillDesc, 2, attNums, sortOps, collations, nullsFirst,
									 maintenance_work_mem, NULL, TUPLESORT_NONE);
	bs->spillSlot = MakeSingleTupleTableSlot(bs->spillDesc, &TTSOpsVirtual);
	bs->spillCode = palloc(VARHDRSZ + IvfpqEntryCodeSize(bs->m));
	SET_VARSIZE(bs->spillCode, VARHDRSZ + IvfpqEntryCodeSize(bs->m));
	bs->listCounts = palloc0(sizeof(int64) * bs->lists);

	for (i = 0; i < bs->nent; i++)
	{
		SpillEntry(bs, bs->entLists[i], &bs->entTids[i],
				   bs->entCodes + (Size) i * IvfpqEntryCodeSize(bs->m));
		if ((i & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	if (bs->entLists)
	{
		pfree(bs->entLists);
		pfree(bs->entTids);
		pfree(bs->entCodes);
	}
	bs->entLists = NULL;
	bs->entTids = NULL;
	bs->entCodes = NULL;
	bs->entCap = 0;
}

/* Assigns and encodes the current batch; appends it to the entries. */
static void
FlushBatch(IvfpqBuildState *bs)
{
	pgvq_status st;
	int			rc;
	int			n = bs->batchN;
	int			i;
	int			d = bs->dims;

	if (n == 0)
		return;

	memset(&st, 0, sizeof(st));
	/* The GPU does assignment and encoding in one call; a failure falls back here */
	if (bs->gpu != NULL &&
		!PgvqGpuCheckStatus(bs->gpu->ivfpq_encode(n, d, bs->batch, bs->lists, bs->centroids,
												  bs->m, bs->nbits, bs->codebooks,
												  bs->batchLabels, bs->batchCodes,
												  &bs->gpuOpts, PgvqShouldStop, NULL, &st),
							&st, "ivfpq encoding"))
		bs->gpu = NULL;
	if (bs->gpu == NULL)
	{
		rc = pgvq_assign_l2(n, d, bs->batch, bs->lists, bs->centroids, bs->batchLabels, NULL,
							ivfpq_build_threads, PgvqShouldStop, NULL, &st);
		PgvqCheckStatus(rc, &st, "ivfpq list assignment");
		IvfpqEncodeEntries(n, d, bs->batch, bs->centroids, bs->batchLabels, bs->m, bs->nbits,
						   bs->codebooks, bs->batchEntries, ivfpq_build_threads);
	}
	else
		IvfpqPackEntries(n, d, bs->batch, bs->centroids, bs->batchLabels, bs->m, bs->nbits,
						 bs->codebooks, bs->batchCodes, bs->batchEntries, ivfpq_build_threads);

	if (bs->spill == NULL && bs->nent + n > bs->entCap)
	{
		int64		newCap = Max(bs->entCap * 2, bs->nent + n);
		Size		need = mul_size(newCap, IvfpqEntryBytes(bs->m));

		if (need > bs->memLimit)
			StartSpill(bs, need);
		else
		{
			bs->entLists = repalloc_huge(bs->entLists, sizeof(int32) * newCap);
			bs->entTids = repalloc_huge(bs->entTids, sizeof(ItemPointerData) * newCap);
			bs->entCodes = repalloc_huge(bs->entCodes, (Size) IvfpqEntryCodeSize(bs->m) * newCap);
			bs->entCap = newCap;
		}
	}
	if (bs->spill != NULL)
	{
		for (i = 0; i < n; i++)
			SpillEntry(bs, (int32) bs->batchLabels[i], &bs->batchTids[i],
					   bs->batchEntries + (Size) i * IvfpqEntryCodeSize(bs->m));
	}
	else
	{
		for (i = 0; i < n; i++)
		{
			bs->entLists[bs->nent + i] = (int32) bs->batchLabels[i];
			bs->entTids[bs->nent + i] = bs->batchTids[i];
		}
		memcpy(bs->entCodes + (Size) bs->nent * IvfpqEntryCodeSize(bs->m), bs->batchEntries,
			   (Size) n * IvfpqEntryCodeSize(bs->m));
	}
	bs->nent += n;
	bs->batchN = 0;

	bs->rowsDone += n;
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, bs->rowsDone);
}

static void
EncodeCallback(Relation index, ItemPointer tid, Datum *values, bool *isnull,
			   bool tupleIsAlive, void *state)
{
	IvfpqBuildState *bs = (IvfpqBuildState *) state;
	MemoryContext old;
	bool		ok;

	if (isnull[0])
		return;

	old = MemoryContextSwitchTo(bs->tmpCtx);
	ok = IvfpqPrepareVector(bs->metric, DatumGetVector(values[0]), bs->dims,
							bs->batch + (Size) bs->batchN * bs->dims);
	MemoryContextSwitchTo(old);
	MemoryContextReset(bs->tmpCtx);
	if (!ok)
		return;
	bs->batchTids[bs->batchN++] = *tid;
	if (bs->batchN == bs->batchCap)
		FlushBatch(bs);
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
		Int8ToTid(DatumGetInt64(slot_getattr(slot, 2, &isnull)), IvfpqListTid(page, i));
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

IndexBuildResult *
ivfpqbuild(Relation heap, Relation index, IndexInfo *indexInfo)
{
	IndexBuildResult *result;
	IvfpqBuildState bs;
	int			dims;
	int			listsOpt;
	Size		mwm = (Size) maintenance_work_mem * 1024;
	BlockNumber relpages;
	double		reltuples;
	double		allvisfrac;
	int			estLists;
	int64		sampleWanted;
	pgvq_kmeans_params params;
	pgvq_status st;
	int			rc;
	int			ksub;

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
	dims = bs.dims = IvfpqDimensions(index);
	GetOptions(index, dims, &listsOpt, &bs.m, &bs.nbits);
	ksub = 1 << bs.nbits;
	bs.memLimit = mwm;
	bs.tmpCtx = AllocSetContextCreate(CurrentMemoryContext, "ivfpq build temporary context",
									  ALLOCSET_DEFAULT_SIZES);

	/* Training sample size from the estimated row count */
	estimate_rel_size(heap, NULL, &relpages, &reltuples, &allvisfrac);
	estLists = listsOpt > 0 ? listsOpt : IvfpqDefaultLists(reltuples);
	sampleWanted = Max((int64) estLists * 50, 10000);
	sampleWanted = Min(sampleWanted, (int64) estLists * 256 + 10000);
	/* The sample and its residuals take twice sampleCap * dims floats */
	bs.sampleCap = Min(sampleWanted, (int64) ((mwm / 2) / (2 * sizeof(float) * (Size) dims)));
	if (bs.sampleCap < 1)
		IvfpqCheckMemory("training", mul_size(4 * sizeof(float), dims), mwm / 2);
	bs.sample = MemoryContextAllocHuge(CurrentMemoryContext,
									   mul_size(mul_size(bs.sampleCap, dims), sizeof(float)));
	pg_prng_seed(&bs.prng, 0x49565051);

	/* 1. sampling */
	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, PROGRESS_IVFPQ_PHASE_SAMPLE);
	table_index_build_scan(heap, index, indexInfo, false, true, SampleCallback, &bs, NULL);

	if (bs.rowsSeen == 0)
	{
		pfree(bs.sample);
		WriteUntrained(index, MAIN_FORKNUM, dims, bs.m, bs.nbits, bs.metric);
		ereport(NOTICE,
				(errmsg("ivfpq index created with no data"),
				 errdetail("Scans re-rank every row exactly until the index is trained."),
				 errhint("REINDEX after loading data to train the index.")));
		result = palloc0(sizeof(IndexBuildResult));
		MemoryContextDelete(bs.tmpCtx);
		return result;
	}

	bs.lists = listsOpt > 0 ? listsOpt : IvfpqDefaultLists((double) bs.rowsSeen);
	bs.rowsTotal = bs.rowsSeen;

	/* A sample cut by maintenance_work_mem trains the lists on fewer rows */
	if (bs.sampleCap < sampleWanted && bs.rowsSeen > bs.sampleCap)
		ereport(NOTICE,
				(errmsg("ivfpq training sample cut to " INT64_FORMAT " rows by maintenance_work_mem",
						bs.sampleCap),
				 errdetail("Training the %d lists on " INT64_FORMAT " rows needs maintenance_work_mem "
						   "of about %zu MB; it is %zu MB.",
						   bs.lists, Min(sampleWanted, bs.rowsSeen),
						   (Size) Min(sampleWanted, bs.rowsSeen) * dims * 2 * sizeof(float) * 2 / (1024 * 1024) + 1,
						   mwm / (1024 * 1024)),
				 errhint("Increase maintenance_work_mem for better balanced lists.")));

	/* Train and encode on the GPU?  The page writing below is the same. */
	bs.gpu = PgvqGpuForBuild((double) bs.rowsTotal * dims);
	if (bs.gpu != NULL)
		bs.gpu->options_default(&bs.gpuOpts);

	/*
	 * Memory of training, checked before the work (the encoded entries spill
	 * to disk when they do not fit; see StartSpill)
	 */
	{
		Size		train = 0;

		train = add_size(train, mul_size(mul_size(bs.sampleN, dims), 2 * sizeof(float)));
		train = add_size(train, mul_size(mul_size(bs.lists, dims), 2 * sizeof(float)));
		train = add_size(train, mul_size(bs.sampleN, sizeof(int64) + sizeof(float)));
		train = add_size(train, mul_size(mul_size(ksub, dims), sizeof(float)));
		IvfpqCheckMemory("training", train, mwm);
	}

	bs.centroids = MemoryContextAllocHuge(CurrentMemoryContext,
										  mul_size(mul_size(bs.lists, dims), sizeof(float)));
	bs.codebooks = MemoryContextAllocHuge(CurrentMemoryContext,
										  mul_size(mul_size(ksub, dims), sizeof(float)));

	pgvq_kmeans_params_default(&params);
	params.nthreads = ivfpq_build_threads;
	params.niter = IVFPQ_KMEANS_NITER;
	params.should_stop = PgvqShouldStop;
	params.stop_arg = NULL;

	/* 2. coarse k-means */
	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, PROGRESS_IVFPQ_PHASE_KMEANS);
	memset(&st, 0, sizeof(st));
	if (bs.gpu != NULL &&
		!PgvqGpuCheckStatus(bs.gpu->kmeans_train(bs.sampleN, dims, bs.sample, bs.lists, &params,
												 &bs.gpuOpts, bs.centroids, NULL, &st),
							&st, "ivfpq k-means"))
		bs.gpu = NULL;
	if (bs.gpu == NULL)
	{
		rc = pgvq_kmeans_train(bs.sampleN, dims, bs.sample, bs.lists, &params, bs.centroids, NULL, &st);
		PgvqCheckStatus(rc, &st, "ivfpq k-means");
	}

	/* 3. PQ codebooks on the residuals of the sample */
	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, PROGRESS_IVFPQ_PHASE_PQ);
	/* Sub-quantizers converge fast; their cost is n * ksub * d per iteration */
	params.niter = IVFPQ_PQ_NITER;
	/* The GPU computes the residuals itself */
	if (bs.gpu != NULL &&
		!PgvqGpuCheckStatus(bs.gpu->pq_train(bs.sampleN, dims, bs.sample, bs.lists, bs.centroids,
											 bs.m, bs.nbits, &params, &bs.gpuOpts,
											 bs.codebooks, &st),
							&st, "ivfpq product quantizer training"))
		bs.gpu = NULL;
	if (bs.gpu == NULL)
	{
		int64	   *labels = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * bs.sampleN);
		int64		i;

		rc = pgvq_assign_l2(bs.sampleN, dims, bs.sample, bs.lists, bs.centroids, labels, NULL,
							ivfpq_build_threads, PgvqShouldStop, NULL, &st);
		PgvqCheckStatus(rc, &st, "ivfpq list assignment");
		for (i = 0; i < bs.sampleN; i++)
		{
			float	   *x = bs.sample + (Size) i * dims;
			const float *c = bs.centroids + (Size) labels[i] * dims;
			int			j;

			for (j = 0; j < dims; j++)
				x[j] -= c[j];
		}
		pfree(labels);
		CHECK_FOR_INTERRUPTS();
		rc = pgvq_pq_train(bs.sampleN, dims, bs.sample, bs.m, bs.nbits, &params, bs.codebooks, &st);
		PgvqCheckStatus(rc, &st, "ivfpq product quantizer training");
	}
	pfree(bs.sample);
	bs.sample = NULL;

	/* 4. encode every row */
	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, PROGRESS_IVFPQ_PHASE_ENCODE);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_TOTAL, bs.rowsTotal);
	if (bs.gpu != NULL)
		bs.batchCap = (int) Max(64, Min(IVFPQ_GPU_ENCODE_BATCH, (64 * 1024 * 1024) / ((Size) dims * sizeof(float))));
	else
		bs.batchCap = (int) Max(64, Min(IVFPQ_ENCODE_BATCH, (16 * 1024 * 1024) / ((Size) dims * sizeof(float))));
	bs.batch = palloc(sizeof(float) * (Size) bs.batchCap * dims);
	bs.batchTids = palloc(sizeof(ItemPointerData) * bs.batchCap);
	bs.batchLabels = palloc(sizeof(int64) * bs.batchCap);
	bs.batchCodes = palloc((Size) bs.batchCap * bs.m);
	bs.batchEntries = palloc((Size) bs.batchCap * IvfpqEntryCodeSize(bs.m));
	{
		Size		need = mul_size(Max(bs.rowsTotal, 1024), IvfpqEntryBytes(bs.m));

		if (need > bs.memLimit)
			StartSpill(&bs, need);
		else
		{
			bs.entCap = Max(bs.rowsTotal, 1024);
			bs.entLists = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * bs.entCap);
			bs.entTids = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(ItemPointerData) * bs.entCap);
			bs.entCodes = MemoryContextAllocHuge(CurrentMemoryContext,
												 (Size) IvfpqEntryCodeSize(bs.m) * bs.entCap);
		}
	}
	table_index_build_scan(heap, index, indexInfo, false, true, EncodeCallback, &bs, NULL);
	FlushBatch(&bs);

	/* 5. counting sort by list, then write the pages */
	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, PROGRESS_IVFPQ_PHASE_LOAD);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_TOTAL, bs.nent);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, 0);
	{
		int64	   *offsets = palloc0(sizeof(int64) * (bs.lists + 1));
		int64		i;
		int			l;
		IvfpqMetaPageData meta;
		IvfpqEntrySource src;

		memset(&src, 0, sizeof(src));
		if (bs.spill != NULL)
		{
			/* The tuplesort gives (list, tid) order; the counts give the offsets */
			for (l = 0; l < bs.lists; l++)
				offsets[l + 1] = offsets[l] + bs.listCounts[l];
			tuplesort_performsort(bs.spill);
			src.sort = bs.spill;
			src.slot = MakeSingleTupleTableSlot(bs.spillDesc, &TTSOpsMinimalTuple);
		}
		else
		{
			int64	   *fill = palloc(sizeof(int64) * bs.lists);
			int64	   *perm = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * Max(bs.nent, 1));

			for (i = 0; i < bs.nent; i++)
				offsets[bs.entLists[i] + 1]++;
			for (l = 0; l < bs.lists; l++)
				offsets[l + 1] += offsets[l];
			memcpy(fill, offsets, sizeof(int64) * bs.lists);
			for (i = 0; i < bs.nent; i++)
				perm[fill[bs.entLists[i]]++] = i;
			src.perm = perm;
			src.tids = bs.entTids;
			src.codes = bs.entCodes;
		}

		InitMeta(&meta, dims, bs.lists, bs.m, bs.nbits, bs.metric, true);
		meta.buildTuples = bs.nent;
		WriteIndex(index, MAIN_FORKNUM, &meta, bs.centroids, bs.codebooks, offsets, &src);
		if (bs.spill != NULL)
		{
			ExecDropSingleTupleTableSlot(src.slot);
			ExecDropSingleTupleTableSlot(bs.spillSlot);
			tuplesort_end(bs.spill);
		}
	}

	result = palloc0(sizeof(IndexBuildResult));
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
