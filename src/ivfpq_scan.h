/*
 * ivfpq_scan.h: the state of an ivfpq ORDER BY scan, shared by ivfpq_scan.c
 * (query, lists, the reach: the PQ codes and their lower bounds) and
 * ivfpq_rerank.c (heap fetches in lower-bound order, exact results).
 */
#ifndef IVFPQ_SCAN_H
#define IVFPQ_SCAN_H

#include "access/relscan.h"
#include "access/tableam.h"

#include "ivfpq.h"

/*
 * The rows the first ivfpq.probes lists serve (an unfiltered LIMIT); past
 * them the reach grows with the square root of the rows returned, as far as
 * the unreached lists could hold nearer rows (ivfpq_reach.c, IvfpqReachTarget
 * and IvfpqReachNeeded; the cost model in ivfpq_handler.c).
 */
#define IVFPQ_REACH_ROWS	40

/*
 * The large arrays a scan holds from the backend's free list
 * (ivfpq_scratch.c): block and size (a power of two).
 */
#define IVFPQ_SCRATCH_HELD	16
/*
 * Entries a scan gathers from the pages of one list before it scans their
 * codes: the integer code scan works on blocks of 64 rows, and a page holds
 * fewer at the default m (39 at 4 dimensions a byte of 768), so a list's pages
 * scanned one by one left a third of the lanes idle or more.
 */
#define IVFPQ_SCAN_BATCH		256
#define IvfpqScanBatch(m)		Max(IvfpqListCapacity(m), IVFPQ_SCAN_BATCH)

typedef struct IvfpqScratch
{
	int			n;
	void	   *ptr[IVFPQ_SCRATCH_HELD];
	Size		size[IVFPQ_SCRATCH_HELD];
} IvfpqScratch;

/* The scan's WHERE clause, evaluated on each fetched row (ivfpq_prefilter.c) */
typedef struct IvfpqPrefilter IvfpqPrefilter;

/* A re-ranked row: the operator's exact float8 value (squared for L2). */
typedef struct IvfpqResult
{
	double		key;
	int64		id;
} IvfpqResult;

/* A binary min-heap of rows on (key, id), NaN last */
typedef struct IvfpqResultHeap
{
	IvfpqResult *e;
	int			n;
	int			cap;
} IvfpqResultHeap;

/*
 * The entries of the pool in (key, position) order, a chunk at a time: the
 * core's top-k picks the next chunk after the last entry taken (chunks
 * double, so taking k entries costs about log k passes over the pool).
 */
typedef struct IvfpqOrder
{
	const float **keys;			/* the pool array it orders (stLB or stADC) */
	pgvq_topk  *sel;
	size_t		selCap;
	double	   *chunkKey;
	int64	   *chunkPos;		/* positions in the pool arrays */
	int			chunkN;
	int			next;
	int64		chunkCap;		/* entries chunkKey/chunkPos hold */
	bool		sorted;			/* the chunk is sortPos (a whole-pool sort):
								 * keys read from the pool */
	uint32	   *sortPos;		/* whole-pool sort: positions, and scratch */
	uint32	   *sortWork;
	int64		sortCap;
	uint64		gen;			/* counts the chunks made and the resets */
	bool		done;			/* every entry after the last chunk is taken */
	double		lastKey;		/* the last entry taken */
	int64		lastPos;
} IvfpqOrder;

/*
 * The window of the heap fetches to come (ivfpq_prefetch.c): the entries of
 * the current chunk of the fetch order from the next fetch up to
 * IVFPQ_PREFETCH_DEPTH ahead.
 */
#define IVFPQ_PREFETCH_DEPTH 8

typedef struct IvfpqPrefetch
{
	bool		on;				/* a heap table in shared buffers */
	bool		lookups;		/* PrefetchBuffer for blocks without a hint */
	const IvfpqOrder *ord;		/* the order the window follows */
	uint64		gen;			/* and its chunk (IvfpqOrder.gen) */
	int			ahead;			/* chunk entries before this one are looked up */
	/* by chunk entry mod depth: the buffer its block was found in, and
	 * whether the window holds a pin on it */
	Buffer		buf[IVFPQ_PREFETCH_DEPTH];
	bool		pinned[IVFPQ_PREFETCH_DEPTH];
	Buffer		cur;			/* the same for the entry fetched next */
	bool		curPinned;
} IvfpqPrefetch;

typedef struct IvfpqScanOpaqueData
{
	MemoryContext scanCtx;		/* lives from beginscan to endscan */
	MemoryContext tmpCtx;		/* per-row detoasting */
	IvfpqScratch scratch;		/* the large arrays below, given back at the
								 * end (scanCtx's reset callback) */
	IvfpqCache *cache;
	int			metric;
	int			d;
	int			m;
	int			ksub;
	int			lists;
	IvfpqColumnType colType;	/* the indexed column's type */
	AttrNumber	attno;			/* heap attribute of the indexed column, or 0
								 * for an expression (evaluated on the row) */

	/* query */
	bool		started;
	bool		nullQuery;		/* no order (NULL key, or a zero query under
								 * cosine): rows come back as fetched */
	bool		nullKey;		/* ORDER BY col <op> NULL: no distances */
	float	   *query;			/* as given (exact distances) */
	uint16	   *queryHalf;		/* halfvec: as given (exact distances), else NULL */
	float	   *pqQuery;		/* normalised under cosine */
	float		pqQueryNorm;	/* |pqQuery| */
	uint32	   *listOrder;		/* lists, nearest first */
	float	   *listScore;		/* (lists) coarse score */
	uint32	   *listWork;		/* (3 lists) the sort's scratch */
	float	   *table;			/* (m, ksub) the query's table for every list:
								 * -<q_j, cb_j_k>, times 2 for L2 and cosine */
	float		queryNorm;		/* |pqQuery|^2 */
	int			intBits;		/* 8 or 16: integer code scan (ivfpq.code_scan), else 0 */
	uint8	   *intTable;		/* pgvq_pq_qtable_bytes(m, intBits) */
	pgvq_pq_qscale intScale;
	bool		intReady;		/* intTable holds the current table (else: float scan) */
	/* a batch of one list's entries, from one page or more (IvfpqScanBatch) */
	uint8	   *pageCodes;		/* (batch) PQ codes, m bytes each */
	int64	   *pageIds;		/* (batch) heap TIDs as ids */
	float	   *pageDist;		/* (batch) ADC values, or their lower
								 * bounds from the integer scan */
	uint16	   *pageErr;		/* (batch) error codes */
	float	   *pageTerm;		/* (batch) entry terms T (L2, cosine) */
	float	   *pageLB;			/* (batch) lower bounds */

	/*
	 * reach: the lists probed so far are listOrder[0 .. probeHi), the latest
	 * reach added listOrder[probeLo .. probeHi)
	 */
	int			probeLo;
	int			probeHi;
	int			maxProbes;
	/*
	 * the least ADC value less its list's centroid value (ListBias) among the
	 * entries scanned, +inf before any: how much nearer than its centroid a
	 * row of a list may lie (IvfpqReachNeeded)
	 */
	float		reachOffset;
	int64		returned;		/* rows the scan has returned */
	int64		dropped;		/* rows the prefilter removed */

	/* ivfpq.prefilter: found at the first start, kept across rescans */
	IvfpqPrefilter *prefilter;	/* NULL: no filter safe to evaluate early */
	bool		prefilterSought;
	bool		prefilterOn;	/* this (re)scan applies it */

	/*
	 * The pool: the entries of the lists reached that are not fetched yet
	 * (and, until the next compaction, those fetched): ADC value, lower
	 * bound, heap TID
	 */
	float	   *stADC;
	float	   *stLB;
	int64	   *stIds;
	int64		stN;
	int64		stCap;
	/* the entries in bound order, and in ADC order when fetches are capped */
	IvfpqOrder byLB;
	IvfpqOrder byADC;
	bool		capped;			/* ivfpq.rerank > 0: fetch in ADC order */
	int64		fetched;		/* heap fetches since the results were last empty */
	int64		scanFetched;	/* heap fetches of the whole scan */
	int64		scanEntries;	/* entries scanned (PQ codes) by the whole scan */
	int			reaches;		/* times the reach grew */

	/* calibrated bounds (ivfpq_calibrate.c) */
	uint16	   *stErr;			/* the pool's error codes */
	bool		calibrate;		/* !ivfpq.exact_bounds when the scan started */
	double		eps;			/* share of the worst case the bounds take */
	int64		calRows;		/* rows measured */
	int64		calRemoved;		/* of the rows the prefilter removed, those
								 * measured (IvfpqCalibrating) */
	double		calMax;			/* their largest share */
	double		calSum;			/* the sum of their shares, and of squares */
	double		calSumSq;
	bool		recalibrate;	/* the pool's bounds wait for a new eps */
	float		maxCnorm;		/* largest centroid norm of the lists reached */
	int64		late;			/* rows returned after a nearer one */
	IvfpqResult last;			/* the farthest row returned */
	bool		haveLast;

	/* re-ranked rows not yet returned */
	IvfpqResultHeap res;

	/*
	 * Rows the prefilter removed, keyed by their PQ estimate of the value (no
	 * exact value is computed for them), until the scan would have returned
	 * them: then they count in the reach (IvfpqCountRemoved).
	 */
	IvfpqResultHeap removed;
	int64		removedReturned;	/* of them, counted as returned */

	/* heap access */
	IndexFetchTableData *fetch;
	TupleTableSlot *slot;
	IvfpqPrefetch pf;			/* the fetches to come */
	/* an expression index: the expression evaluated on each fetched row */
	IndexInfo  *indexInfo;
	EState	   *estate;
} IvfpqScanOpaqueData;

typedef IvfpqScanOpaqueData *IvfpqScanOpaque;

/* ivfpq_scratch.c */
extern void *IvfpqScratchAlloc(IvfpqScratch *s, MemoryContext fallback, Size size);
extern void IvfpqScratchFree(IvfpqScratch *s, void *ptr);
extern void IvfpqScratchFreeAll(IvfpqScratch *s);

/* ivfpq_calibrate.c */
extern void IvfpqCalibrateReset(IvfpqScanOpaque so);
extern bool IvfpqCalibrating(IvfpqScanOpaque so);
extern void IvfpqCalibrateSample(IvfpqScanOpaque so, int64 pos, double key);
extern void IvfpqBounds(IvfpqScanOpaque so, const pgvq_pq_bound_params *bp, int n,
						const float *adc, const uint16 *errs, float *lb);
extern void IvfpqCalibrateApply(IvfpqScanOpaque so);
extern void IvfpqNoteReturned(IvfpqScanOpaque so, const IvfpqResult *r);

/* ivfpq_reach.c */
extern int	IvfpqReachTarget(IvfpqScanOpaque so);
extern int	IvfpqReachNeeded(IvfpqScanOpaque so, double next);
extern bool IvfpqGrowReach(IndexScanDesc scan, int target);

/* ivfpq_rerank.c */
extern void IvfpqOrderFree(IvfpqOrder *ord);
extern void IvfpqStageReset(IvfpqScanOpaque so);
extern void IvfpqPoolCompact(IvfpqScanOpaque so);
extern void IvfpqStageAppend(IvfpqScanOpaque so, int n, const float *adc, const float *lb,
							 const uint16 *errs, const int64 *ids);
extern bool IvfpqWaitingBound(IvfpqScanOpaque so, double *lb);
extern bool IvfpqFetchNext(IndexScanDesc scan);
extern bool IvfpqPeekResult(IvfpqScanOpaque so, IvfpqResult *out);
extern bool IvfpqPopResult(IvfpqScanOpaque so, IvfpqResult *out);
extern bool IvfpqCountRemoved(IvfpqScanOpaque so, bool waiting, double lb);

/* ivfpq_prefilter.c */
extern void IvfpqPrefilterStart(IndexScanDesc scan);
extern bool IvfpqPrefilterRejects(IvfpqPrefilter *pf, TupleTableSlot *slot);

/* ivfpq_prefetch.c */
extern void IvfpqPrefetchBegin(IndexScanDesc scan);
extern void IvfpqPrefetchEnd(IndexScanDesc scan);
extern void IvfpqPrefetchStep(IndexScanDesc scan, const IvfpqOrder *ord);
extern void IvfpqPrefetchUse(IndexScanDesc scan, ItemPointer tid);

#endif							/* IVFPQ_SCAN_H */
