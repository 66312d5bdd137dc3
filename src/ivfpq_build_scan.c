/*
 * ivfpq_build_scan.c: the row callbacks of an ivfpq build's two heap scans,
 * shared by a serial build and the participants of a parallel one.
 *
 *  pass 1: the training sample (a bottom-k sample by TID hash; see
 *          IvfpqSampleData in ivfpq_build.h) and the count of indexable rows
 *  pass 2: batches of rows assigned to a list and encoded by the core (or the
 *          GPU); the entries are kept in memory, or go to a tuplesort by
 *          (list, tid) when they do not fit in maintenance_work_mem and in
 *          every participant of a parallel build
 */
#include "postgres.h"

#include "catalog/pg_operator_d.h"
#include "catalog/pg_type_d.h"
#include "commands/progress.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/lwlock.h"
#include "utils/memutils.h"

#include "ivfpq_build.h"

/* Rows per GPU encoding call (each call sets up a stream and copies the model) */
#define IVFPQ_GPU_ENCODE_BATCH	65536

static int64
TidToInt8(ItemPointer tid)
{
	return ((int64) ItemPointerGetBlockNumber(tid) << 16) | ItemPointerGetOffsetNumber(tid);
}

void
IvfpqInt8ToTid(int64 v, ItemPointer tid)
{
	ItemPointerSet(tid, (BlockNumber) (v >> 16), (OffsetNumber) (v & 0xffff));
}

/*
 * A row's sampling priority: splitmix64's finalizer of its TID, a bijection
 * of 64-bit integers, so no two rows tie.
 */
static uint64
SamplePriority(ItemPointer tid)
{
	uint64		z = (uint64) TidToInt8(tid) + UINT64CONST(0x9E3779B97F4A7C15);

	z = (z ^ (z >> 30)) * UINT64CONST(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

Size
IvfpqSampleSize(int64 cap, int dims)
{
	Size		per = add_size(mul_size(dims, sizeof(float)), sizeof(uint64) + 2 * sizeof(int64));

	return add_size(IVFPQ_SAMPLE_HEADER, mul_size(Max(cap, 1), per));
}

void
IvfpqSampleInit(IvfpqSample s, int64 cap, int dims)
{
	s->cap = cap;
	s->n = 0;
	s->dims = dims;
}

/*
 * Offers the row x (prepared) of priority prio to the sample; returns the
 * priority a row must beat from now on (PG_UINT64_MAX while not full).
 */
static uint64
SampleOffer(IvfpqSample s, uint64 prio, int64 tid, const float *x)
{
	uint64	   *pr = IvfpqSamplePrio(s);
	int64	   *heap = IvfpqSampleHeap(s);
	int64		slot;
	int64		i;

	if (s->n < s->cap)
	{
		/* a new slot at the bottom of the heap, sifted up */
		slot = s->n++;
		for (i = slot; i > 0 && pr[heap[(i - 1) / 2]] < prio; i = (i - 1) / 2)
			heap[i] = heap[(i - 1) / 2];
		heap[i] = slot;
	}
	else if (prio < pr[heap[0]])
	{
		/* the row replaces the top's, sifted down */
		slot = heap[0];
		for (i = 0;;)
		{
			int64		c = 2 * i + 1;

			if (c >= s->n)
				break;
			if (c + 1 < s->n && pr[heap[c + 1]] > pr[heap[c]])
				c++;
			if (pr[heap[c]] <= prio)
				break;
			heap[i] = heap[c];
			i = c;
		}
		heap[i] = slot;
	}
	else
		return pr[heap[0]];

	pr[slot] = prio;
	IvfpqSampleTids(s)[slot] = tid;
	memcpy(IvfpqSampleVecs(s) + (Size) slot * s->dims, x, sizeof(float) * s->dims);
	return s->n < s->cap ? PG_UINT64_MAX : pr[heap[0]];
}

void
IvfpqSampleCallback(Relation index, ItemPointer tid, Datum *values, bool *isnull,
					bool tupleIsAlive, void *state)
{
	IvfpqBuildState *bs = (IvfpqBuildState *) state;
	MemoryContext old;
	uint64		prio;

	if (isnull[0])
		return;

	old = MemoryContextSwitchTo(bs->tmpCtx);
	prio = SamplePriority(tid);
	if (prio < bs->sampleTop || bs->sampleTop == PG_UINT64_MAX)
	{
		/* a zero vector under cosine is not indexed, nor counted */
		if (IvfpqPrepareDatum(bs->colType, bs->metric, values[0], bs->dims, bs->sampleRow))
		{
			if (bs->sampleLock)
				LWLockAcquire(bs->sampleLock, LW_EXCLUSIVE);
			bs->sampleTop = SampleOffer(bs->sample, prio, TidToInt8(tid), bs->sampleRow);
			if (bs->sampleLock)
				LWLockRelease(bs->sampleLock);
			bs->rowsSeen++;
		}
	}
	else if (bs->metric == PGVQ_METRIC_COSINE)
	{
		if (IvfpqPrepareDatum(bs->colType, bs->metric, values[0], bs->dims, bs->sampleRow))
			bs->rowsSeen++;
	}
	else
		bs->rowsSeen++;			/* not detoasted: it is not sampled */

	MemoryContextSwitchTo(old);
	MemoryContextReset(bs->tmpCtx);
}

static int
CompareSlotTids(const void *a, const void *b, void *arg)
{
	const int64 *tids = (const int64 *) arg;
	int64		ta = tids[*(const int64 *) a];
	int64		tb = tids[*(const int64 *) b];

	return ta < tb ? -1 : ta > tb ? 1 : 0;
}

/*
 * The sample's rows in TID order into out (n, dims): the same for every
 * order the rows were offered in.  out may be IvfpqSampleVecs(s) itself.
 */
void
IvfpqSampleSorted(IvfpqSample s, float *out)
{
	int			d = s->dims;
	float	   *vecs = IvfpqSampleVecs(s);
	int64	   *order = palloc_extended(sizeof(int64) * Max(s->n, 1), MCXT_ALLOC_HUGE);
	int64		i;

	for (i = 0; i < s->n; i++)
		order[i] = i;
	qsort_arg(order, s->n, sizeof(int64), CompareSlotTids, IvfpqSampleTids(s));

	if (out != vecs)
	{
		for (i = 0; i < s->n; i++)
			memcpy(out + (Size) i * d, vecs + (Size) order[i] * d, sizeof(float) * d);
	}
	else
	{
		/* in place, cycle by cycle: row i takes row order[i] */
		bool	   *done = palloc_extended(Max(s->n, 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		float	   *tmp = palloc(sizeof(float) * d);

		for (i = 0; i < s->n; i++)
		{
			int64		j = i;

			if (done[i])
				continue;
			memcpy(tmp, vecs + (Size) i * d, sizeof(float) * d);
			for (;;)
			{
				int64		k = order[j];

				done[j] = true;
				if (k == i)
				{
					memcpy(vecs + (Size) j * d, tmp, sizeof(float) * d);
					break;
				}
				memcpy(vecs + (Size) j * d, vecs + (Size) k * d, sizeof(float) * d);
				j = k;
			}
		}
		pfree(done);
		pfree(tmp);
	}
	pfree(order);
}

/* Bytes an in-memory entry takes: list, tid, code, and its place in the sort. */
Size
IvfpqEntryBytes(int m)
{
	return sizeof(int32) + sizeof(ItemPointerData) + IvfpqEntryCodeSize(m) + sizeof(int64);
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
 * The tuplesort of (list, tid, code) by (list, tid): a serial build's spill,
 * or one participant's part (coordinate) of a parallel build's sort.
 */
void
IvfpqBeginSpillSort(IvfpqBuildState *bs, int workMem, SortCoordinate coordinate)
{
	AttrNumber	attNums[2] = {1, 2};
	Oid			sortOps[2] = {Int4LessOperator, Int8LessOperator};
	Oid			collations[2] = {InvalidOid, InvalidOid};
	bool		nullsFirst[2] = {false, false};

	bs->spillDesc = CreateTemplateTupleDesc(3);
	TupleDescInitEntry(bs->spillDesc, 1, "list", INT4OID, -1, 0);
	TupleDescInitEntry(bs->spillDesc, 2, "tid", INT8OID, -1, 0);
	TupleDescInitEntry(bs->spillDesc, 3, "code", BYTEAOID, -1, 0);
	bs->spill = tuplesort_begin_heap(bs->spillDesc, 2, attNums, sortOps, collations, nullsFirst,
									 workMem, coordinate, TUPLESORT_NONE);
	bs->spillSlot = MakeSingleTupleTableSlot(bs->spillDesc, &TTSOpsVirtual);
	bs->spillCode = palloc(VARHDRSZ + IvfpqEntryCodeSize(bs->m));
	SET_VARSIZE(bs->spillCode, VARHDRSZ + IvfpqEntryCodeSize(bs->m));
	bs->listCounts = palloc0(sizeof(int64) * bs->lists);
}

/*
 * From here on the entries go to a tuplesort that spills to disk; the ones
 * kept in memory so far move there first.  need: what memory would have
 * taken, for the NOTICE.
 */
void
IvfpqStartSpill(IvfpqBuildState *bs, Size need)
{
	int64		i;

	ereport(NOTICE,
			(errmsg("ivfpq index build does not fit in maintenance_work_mem"),
			 errdetail("The encoded rows need about %zu MB, maintenance_work_mem is %zu MB; "
					   "they are sorted on disk instead.",
					   need / (1024 * 1024) + 1, bs->memLimit / (1024 * 1024)),
			 errhint("Increase maintenance_work_mem to speed up builds.")));

	IvfpqBeginSpillSort(bs, maintenance_work_mem, NULL);
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

/* The batch buffers of pass 2, sized for the device. */
void
IvfpqAllocBatch(IvfpqBuildState *bs)
{
	Size		rowBytes = (Size) bs->dims * sizeof(float);

	if (bs->gpu != NULL)
		bs->batchCap = (int) Max(64, Min(IVFPQ_GPU_ENCODE_BATCH, (64 * 1024 * 1024) / rowBytes));
	else
		bs->batchCap = (int) Max(64, Min(IVFPQ_ENCODE_BATCH, (16 * 1024 * 1024) / rowBytes));
	bs->batch = palloc(rowBytes * bs->batchCap);
	bs->batchTids = palloc(sizeof(ItemPointerData) * bs->batchCap);
	bs->batchLabels = palloc(sizeof(int64) * bs->batchCap);
	bs->batchCodes = palloc((Size) bs->batchCap * bs->m);
	bs->batchEntries = palloc((Size) bs->batchCap * IvfpqEntryCodeSize(bs->m));
}

/* Makes room for n more entries in memory, or starts spilling. */
static void
GrowEntries(IvfpqBuildState *bs, int n)
{
	int64		newCap = Max(bs->entCap * 2, bs->nent + n);
	Size		need = mul_size(newCap, IvfpqEntryBytes(bs->m));

	if (need > bs->memLimit)
		IvfpqStartSpill(bs, need);
	else
	{
		bs->entLists = repalloc_huge(bs->entLists, sizeof(int32) * newCap);
		bs->entTids = repalloc_huge(bs->entTids, sizeof(ItemPointerData) * newCap);
		bs->entCodes = repalloc_huge(bs->entCodes, (Size) IvfpqEntryCodeSize(bs->m) * newCap);
		bs->entCap = newCap;
	}
}

/* Assigns and encodes the current batch; appends it to the entries. */
void
IvfpqFlushBatch(IvfpqBuildState *bs)
{
	pgvq_status st;
	int			rc;
	int			n = bs->batchN;
	int			i;
	int			d = bs->dims;
	int			cs = IvfpqEntryCodeSize(bs->m);
	uint64		done;

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
							bs->nthreads, PgvqShouldStop, NULL, &st);
		PgvqCheckStatus(rc, &st, "ivfpq list assignment");
		IvfpqEncodeEntries(n, d, bs->batch, bs->centroids, bs->batchLabels, bs->m, bs->nbits,
						   bs->codebooks, bs->batchEntries, bs->nthreads);
	}
	else
		IvfpqPackEntries(n, d, bs->batch, bs->centroids, bs->batchLabels, bs->m, bs->nbits,
						 bs->codebooks, bs->batchCodes, bs->batchEntries, bs->nthreads);

	if (bs->spill == NULL && bs->nent + n > bs->entCap)
		GrowEntries(bs, n);
	if (bs->spill != NULL)
	{
		for (i = 0; i < n; i++)
			SpillEntry(bs, (int32) bs->batchLabels[i], &bs->batchTids[i],
					   bs->batchEntries + (Size) i * cs);
	}
	else
	{
		for (i = 0; i < n; i++)
		{
			bs->entLists[bs->nent + i] = (int32) bs->batchLabels[i];
			bs->entTids[bs->nent + i] = bs->batchTids[i];
		}
		memcpy(bs->entCodes + (Size) bs->nent * cs, bs->batchEntries, (Size) n * cs);
	}
	bs->nent += n;
	bs->batchN = 0;

	bs->rowsDone += n;
	done = bs->sharedDone ? pg_atomic_add_fetch_u64(bs->sharedDone, n) : (uint64) bs->rowsDone;
	if (bs->reportProgress)
		pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, (int64) done);
}

void
IvfpqEncodeCallback(Relation index, ItemPointer tid, Datum *values, bool *isnull,
					bool tupleIsAlive, void *state)
{
	IvfpqBuildState *bs = (IvfpqBuildState *) state;
	MemoryContext old;
	bool		ok;

	if (isnull[0])
		return;

	old = MemoryContextSwitchTo(bs->tmpCtx);
	ok = IvfpqPrepareDatum(bs->colType, bs->metric, values[0], bs->dims,
						   bs->batch + (Size) bs->batchN * bs->dims);
	MemoryContextSwitchTo(old);
	MemoryContextReset(bs->tmpCtx);
	if (!ok)
		return;
	bs->batchTids[bs->batchN++] = *tid;
	if (bs->batchN == bs->batchCap)
		IvfpqFlushBatch(bs);
}

/*
 * Orders the entries of each list (perm[offsets[l]] .. perm[offsets[l+1]-1])
 * by heap TID, the order of the spill's tuplesort and of a parallel build.  A
 * serial heap scan gives them nearly in TID order already (a HOT chain's
 * root can come after a later line pointer of its page): insertion sort.
 */
void
IvfpqSortListsByTid(int64 *perm, const int64 *offsets, int lists, const ItemPointerData *tids)
{
	int			l;

	for (l = 0; l < lists; l++)
	{
		int64		i;

		for (i = offsets[l] + 1; i < offsets[l + 1]; i++)
		{
			int64		e = perm[i];
			int64		j = i;

			while (j > offsets[l] && ItemPointerCompare((ItemPointer) &tids[perm[j - 1]],
														(ItemPointer) &tids[e]) > 0)
			{
				perm[j] = perm[j - 1];
				j--;
			}
			perm[j] = e;
		}
	}
}
