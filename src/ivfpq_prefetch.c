/*
 * ivfpq_prefetch.c: overlapping the memory misses of the re-rank's heap
 * fetches (ivfpq_rerank.c).
 *
 * A heap fetch from shared buffers is a chain of dependent misses: the buffer
 * mapping table, the buffer header, the page header and line pointer, the
 * tuple, then the vector read for the exact distance.  The scan knows the
 * entries it fetches next (the chunk of its fetch order), so it works on a
 * window of IVFPQ_PREFETCH_DEPTH of them ahead of the fetch:
 *
 *  - DEPTH ahead, where the block is: this backend's hint of the buffer that
 *    held the block when it last found it (below), else a lookup of the
 *    buffer mapping table (PrefetchBuffer, which also asks the kernel to
 *    read a block not in shared buffers, as bitmap heap scans do: not with
 *    effective_io_concurrency 0; no pin: the block may leave shared buffers
 *    before it is fetched); then prefetch of the buffer header, the page
 *    header and the entry's line pointer;
 *  - DEPTH/2 ahead: a pin on that buffer if it still holds the block
 *    (ReadRecentBuffer checks the tag), the line pointer read under the pin
 *    without the content lock, as a hint only, and prefetch of the tuple
 *    (with the prefilter on, of its first and last lines only: a row it
 *    removes never has its vector read);
 *  - the fetch itself: the pin becomes the buffer heapam's fetch holds
 *    (IndexFetchHeapData.xs_cbuf, which heapam keeps when it holds the
 *    block: it checks the buffer's tag first), so the fetch looks nothing up
 *    again; the page is pruned as heapam would prune it.  heapam's fetch
 *    then reads the line pointer and the tuple under the share lock, as
 *    always: the hints decide only what is prefetched and pinned.
 *
 * Measured on mnist (README, ivfpq "Scan"): 23-48% more queries a second
 * with a filter keeping 10% of rows, 35-45% with a correlated one.  What is
 * left of a fetch's time there is mostly stalls on the prefetches themselves
 * at the first touch of each 4 kB page (buffer header, page, the row's second
 * half): likely TLB walks, as that server ran without huge pages.
 *
 * Pins taken for entries not fetched yet are released when the window moves
 * on (a new chunk, a growing reach), at a rescan and at the end of the scan;
 * an error releases them with the resource owner.  Only for heap tables in
 * shared buffers (another table AM, or a temporary table: plain fetches).
 *
 * The hints: direct-mapped by (table, block), kept by the backend from scan
 * to scan, so that the lookups of blocks found before cost nothing.  A stale
 * hint (the block was evicted) costs one wasted prefetch and then the plain
 * fetch; it never decides what is read.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/tableam.h"
#include "pgstat.h"
#include "storage/buf_internals.h"
#include "storage/bufmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/spccache.h"

#include "ivfpq_scan.h"

#define CACHE_LINE			64
/* Most hints a backend keeps (12 bytes each); fewer when shared buffers hold fewer blocks */
#define IVFPQ_HINTS_MAX		32768

typedef struct IvfpqHint
{
	Oid			rel;
	BlockNumber blk;
	Buffer		buf;			/* InvalidBuffer: none */
} IvfpqHint;

/* Where this backend last found heap blocks (TopMemoryContext) */
static IvfpqHint *hints = NULL;
static uint32 hintMask;

/* Consecutive blocks of a table take distinct slots. */
static inline IvfpqHint *
HintSlot(Oid rel, BlockNumber blk)
{
	return &hints[(blk ^ (rel * 0x9E3779B1u)) & hintMask];
}

static inline Buffer
HintGet(Oid rel, BlockNumber blk)
{
	IvfpqHint  *h = HintSlot(rel, blk);

	return (h->rel == rel && h->blk == blk) ? h->buf : InvalidBuffer;
}

static inline void
HintSet(Oid rel, BlockNumber blk, Buffer buf)
{
	IvfpqHint  *h = HintSlot(rel, blk);

	h->rel = rel;
	h->blk = blk;
	h->buf = buf;
}

/* The TID of chunk entry i (a whole-pool sort serves sortPos as the chunk) */
static inline ItemPointerData
EntryTid(IvfpqScanOpaque so, const IvfpqOrder *ord, int i)
{
	int64		pos = ord->sorted ? (int64) ord->sortPos[i] : ord->chunkPos[i];

	return IvfpqIdToTid(so->stIds[pos]);
}

/* Releases the pins of the window (and of the next fetch). */
static void
WindowRelease(IvfpqPrefetch *pf)
{
	for (int i = 0; i < IVFPQ_PREFETCH_DEPTH; i++)
	{
		if (pf->pinned[i])
			ReleaseBuffer(pf->buf[i]);
		pf->pinned[i] = false;
		pf->buf[i] = InvalidBuffer;
	}
	if (pf->curPinned)
		ReleaseBuffer(pf->cur);
	pf->curPinned = false;
	pf->cur = InvalidBuffer;
	pf->ord = NULL;
}

/* A scan starts (or starts again): an empty window. */
void
IvfpqPrefetchBegin(IndexScanDesc scan)
{
	IvfpqScanOpaque so = (IvfpqScanOpaque) scan->opaque;
	Relation	heap = scan->heapRelation;
	IvfpqPrefetch *pf = &so->pf;

	WindowRelease(pf);
	pf->on = heap != NULL && heap->rd_tableam == GetHeapamTableAmRoutine() &&
		!RelationUsesLocalBuffers(heap);
	if (!pf->on)
		return;
	/* PrefetchBuffer also asks the kernel to read blocks not in shared buffers */
	pf->lookups = get_tablespace_io_concurrency(heap->rd_rel->reltablespace) > 0;
	if (hints == NULL)
	{
		uint32		n = 1024;

		while (n < (uint32) Min(NBuffers, IVFPQ_HINTS_MAX))
			n *= 2;
		hints = MemoryContextAllocZero(TopMemoryContext, sizeof(IvfpqHint) * n);
		hintMask = n - 1;
	}
}

/* The scan ends: no pin is left. */
void
IvfpqPrefetchEnd(IndexScanDesc scan)
{
	WindowRelease(&((IvfpqScanOpaque) scan->opaque)->pf);
}

/*
 * Chunk entry i, DEPTH ahead: where its block is, and prefetch of its buffer
 * header, page header and line pointer.
 */
static void
LookUp(IndexScanDesc scan, const IvfpqOrder *ord, int i)
{
	IvfpqScanOpaque so = (IvfpqScanOpaque) scan->opaque;
	Relation	heap = scan->heapRelation;
	ItemPointerData tid = EntryTid(so, ord, i);
	BlockNumber blk = ItemPointerGetBlockNumber(&tid);
	Buffer		buf = HintGet(RelationGetRelid(heap), blk);
	char	   *page;

	if (!BufferIsValid(buf) && so->pf.lookups)
	{
		buf = PrefetchBuffer(heap, MAIN_FORKNUM, blk).recent_buffer;
		if (BufferIsValid(buf))
			HintSet(RelationGetRelid(heap), blk, buf);
	}
	Assert(!so->pf.pinned[i % IVFPQ_PREFETCH_DEPTH]);
	so->pf.buf[i % IVFPQ_PREFETCH_DEPTH] = buf;
	if (!BufferIsValid(buf))
		return;
	page = (char *) BufferGetBlock(buf);
	__builtin_prefetch(GetBufferDescriptor(buf - 1), 1);
	__builtin_prefetch(page);
	__builtin_prefetch(PageGetItemId((Page) page, ItemPointerGetOffsetNumber(&tid)));
}

/*
 * Chunk entry i, DEPTH/2 ahead: a pin on the buffer if it still holds the
 * block, and prefetch of the tuple its line pointer points to (read under the
 * pin without the content lock: only a hint of where to prefetch).
 */
static void
PinAndPrefetchTuple(IndexScanDesc scan, const IvfpqOrder *ord, int i)
{
	IvfpqScanOpaque so = (IvfpqScanOpaque) scan->opaque;
	Relation	heap = scan->heapRelation;
	int			slot = i % IVFPQ_PREFETCH_DEPTH;
	Buffer		buf = so->pf.buf[slot];
	ItemPointerData tid = EntryTid(so, ord, i);
	OffsetNumber off = ItemPointerGetOffsetNumber(&tid);
	char	   *page;
	ItemIdData	lp;
	uint32		start;
	uint32		len;

	if (!BufferIsValid(buf) || so->pf.pinned[slot])
		return;
	if (!PgvqReadRecentBuffer(heap, ItemPointerGetBlockNumber(&tid), buf))
	{
		/* evicted since: the fetch reads it as usual */
		HintSet(RelationGetRelid(heap), ItemPointerGetBlockNumber(&tid), InvalidBuffer);
		so->pf.buf[slot] = InvalidBuffer;
		return;
	}
	so->pf.pinned[slot] = true;
	pgstat_count_buffer_read(heap);
	pgstat_count_buffer_hit(heap);

	page = (char *) BufferGetPage(buf);
	if (off < FirstOffsetNumber || off > PageGetMaxOffsetNumber((Page) page))
		return;
	memcpy(&lp, PageGetItemId((Page) page, off), sizeof(lp));
	if (!ItemIdIsNormal(&lp))
		return;					/* a HOT redirect, or dead: the fetch sees */
	start = ItemIdGetOffset(&lp);
	len = ItemIdGetLength(&lp);
	if (start < SizeOfPageHeaderData || len == 0 || start + len > BLCKSZ)
		return;
	if (so->prefilterOn && len > 4 * CACHE_LINE)
	{
		/*
		 * The prefilter may remove the row before its vector is read: only
		 * the lines the filter's columns most likely sit in, before and after
		 * a long vector.  The vector of a row that passes is then read in
		 * order by the distance, which the hardware prefetcher follows.
		 */
		__builtin_prefetch(page + start);
		__builtin_prefetch(page + start + CACHE_LINE);
		__builtin_prefetch(page + start + len - 1 - CACHE_LINE);
		__builtin_prefetch(page + start + len - 1);
		return;
	}
	for (uint32 o = 0; o < len; o += CACHE_LINE)
		__builtin_prefetch(page + start + o);
	__builtin_prefetch(page + start + len - 1);
}

/*
 * Before chunk entry ord->next is fetched: moves the window on.  The entries
 * after it up to DEPTH ahead are looked up, the one DEPTH/2 ahead pinned and
 * its tuple prefetched, and the hint slot of the one 2 DEPTH ahead
 * prefetched.
 */
void
IvfpqPrefetchStep(IndexScanDesc scan, const IvfpqOrder *ord)
{
	IvfpqScanOpaque so = (IvfpqScanOpaque) scan->opaque;
	IvfpqPrefetch *pf = &so->pf;
	int			j = ord->next;
	int			slot = j % IVFPQ_PREFETCH_DEPTH;
	int			end = Min(ord->chunkN, j + IVFPQ_PREFETCH_DEPTH);

	if (!pf->on)
		return;
	/* a new chunk or order, or the fetch of the last was not used */
	if (pf->ord != ord || pf->gen != ord->gen || pf->ahead < j || pf->curPinned)
	{
		WindowRelease(pf);
		pf->ord = ord;
		pf->gen = ord->gen;
		pf->ahead = j;
	}
	if (j + 2 * IVFPQ_PREFETCH_DEPTH < ord->chunkN)
	{
		ItemPointerData tid = EntryTid(so, ord, j + 2 * IVFPQ_PREFETCH_DEPTH);

		__builtin_prefetch(HintSlot(RelationGetRelid(scan->heapRelation),
									ItemPointerGetBlockNumber(&tid)));
	}
	/* entry j leaves the window for the fetch */
	if (pf->ahead > j)
	{
		pf->cur = pf->buf[slot];
		pf->curPinned = pf->pinned[slot];
		pf->buf[slot] = InvalidBuffer;
		pf->pinned[slot] = false;
	}
	while (pf->ahead < end)
	{
		int			i = pf->ahead++;

		LookUp(scan, ord, i);
		if (i == j)
		{
			/* the window starts: entry j is fetched right away */
			pf->cur = pf->buf[slot];
			pf->buf[slot] = InvalidBuffer;
		}
	}
	if (j + IVFPQ_PREFETCH_DEPTH / 2 < end)
		PinAndPrefetchTuple(scan, ord, j + IVFPQ_PREFETCH_DEPTH / 2);
}

/*
 * Just before the heap fetch of tid (the entry IvfpqPrefetchStep was last
 * called for): hands the buffer pinned for it to heapam's fetch, which then
 * does not look the block up again, and prunes the page as heapam does when
 * it moves to a new block.  Records where the last fetch found its block.
 */
void
IvfpqPrefetchUse(IndexScanDesc scan, ItemPointer tid)
{
	IvfpqScanOpaque so = (IvfpqScanOpaque) scan->opaque;
	IvfpqPrefetch *pf = &so->pf;
	IndexFetchHeapData *h = (IndexFetchHeapData *) so->fetch;
	Relation	heap = scan->heapRelation;
	BlockNumber blk = ItemPointerGetBlockNumber(tid);
	Buffer		buf = pf->cur;
	bool		pinned = pf->curPinned;

	if (!pf->on)
		return;
	pf->cur = InvalidBuffer;
	pf->curPinned = false;
	Assert(!pinned || BufferGetBlockNumber(buf) == blk);
	if (BufferIsValid(h->xs_cbuf))
	{
		BlockNumber cur = BufferGetBlockNumber(h->xs_cbuf);

		HintSet(RelationGetRelid(heap), cur, h->xs_cbuf);
		if (cur == blk)
		{
			/* heapam keeps the buffer it holds */
			if (pinned)
				ReleaseBuffer(buf);
			return;
		}
	}
	if (!pinned)
	{
		/* the window had no time to pin it: pin it now if the hint holds */
		if (!BufferIsValid(buf) || !PgvqReadRecentBuffer(heap, blk, buf))
			return;
		pgstat_count_buffer_read(heap);
		pgstat_count_buffer_hit(heap);
	}
	if (BufferIsValid(h->xs_cbuf))
		ReleaseBuffer(h->xs_cbuf);
	h->xs_cbuf = buf;
	heap_page_prune_opt(heap, buf);
}
