/*
 * ivfpq_scratch.c: a scan's large arrays, kept in the backend for the next
 * scan.
 *
 * An ivfpq scan needs arrays of tens to hundreds of kB: the query's distance
 * tables (m x 2^nbits floats, and their integer copy), the pool of entries
 * (ADC values, bounds, TIDs), its sort and chunk arrays.  palloc hands
 * anything over 8 kB to malloc, and glibc gives such blocks fresh pages
 * (mmap, or heap it trimmed back on the last free), so every query paid a
 * page fault and a page clearing for every 4 kB it touched, and brk calls
 * (13% of a filtered query's CPU time on mnist, lists 245: 125 faults a
 * query).
 *
 * So a scan takes these arrays from here and gives them back when it ends,
 * or when its memory context goes away on an error (the scan context's reset
 * callback).  Blocks given back wait in a free list of this backend, up to
 * IVFPQ_SCRATCH_BUDGET bytes and within the room the index cache's entries
 * leave in ivfpq.cache_size (ivfpq_cache.c drops free blocks first when an
 * entry needs room); past either limit a block is freed.  So between statements the cache and the free blocks together
 * stay within ivfpq.cache_size, and with ivfpq.cache_size = 0 nothing is
 * kept.  A request takes the smallest free block that fits, else a new one;
 * sizes are rounded up to a power of two, so the blocks of one query fit the
 * next query's requests.  Blocks held by a running scan are its own: scans
 * running at once (a join, cursors) never share one.  The blocks live in the
 * context "ivfpq scan buffers" (pg_backend_memory_contexts), deleted when no
 * block is kept or held.
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "ivfpq.h"
#include "ivfpq_scan.h"

/* Bytes of free blocks a backend keeps at most */
#define IVFPQ_SCRATCH_BUDGET	((Size) 8 * 1024 * 1024)

/* The blocks: TopMemoryContext's child, created on first use */
static MemoryContext scratchCtx = NULL;

/* A free block starts with its link in the free list */
typedef struct FreeBlock
{
	struct FreeBlock *next;
	Size		size;
} FreeBlock;

/* The free list, its bytes, and the blocks running scans hold */
static FreeBlock *freeList = NULL;
static Size freeBytes = 0;
static int	nheld = 0;

/* size rounded up to a power of two (at least 1 kB) */
static Size
BlockSize(Size size)
{
	Size		s = 1024;

	while (s < size)
		s <<= 1;
	return s;
}

/* Deletes the context once it holds nothing. */
static void
DropIfEmpty(void)
{
	if (scratchCtx != NULL && freeList == NULL && nheld == 0)
	{
		MemoryContextDelete(scratchCtx);
		scratchCtx = NULL;
	}
}

/* Unlinks the free block after prev (NULL: the first); returns it. */
static FreeBlock *
TakeFree(FreeBlock *prev)
{
	FreeBlock  *b = prev != NULL ? prev->next : freeList;

	if (prev != NULL)
		prev->next = b->next;
	else
		freeList = b->next;
	freeBytes -= b->size;
	return b;
}

/* Keeps a block no scan holds any more, or frees it.  Never raises. */
static void
Keep(void *ptr, Size size)
{
	Size		limit = Min(IVFPQ_SCRATCH_BUDGET, IvfpqCacheRoom());

	nheld--;
	if (size <= limit && freeBytes <= limit - size)
	{
		FreeBlock  *b = (FreeBlock *) ptr;

		b->size = size;
		b->next = freeList;
		freeList = b;
		freeBytes += size;
		return;
	}
	pfree(ptr);
	DropIfEmpty();
}

/* Bytes of the free blocks kept. */
Size
IvfpqScratchKept(void)
{
	return freeBytes;
}

/* Frees free blocks, the largest first, until at most keep bytes are left. */
void
IvfpqScratchTrim(Size keep)
{
	while (freeBytes > keep)
	{
		FreeBlock  *big = freeList;
		FreeBlock  *bigPrev = NULL; /* its predecessor (NULL: the head) */

		for (FreeBlock *prev = freeList; prev->next != NULL; prev = prev->next)
			if (prev->next->size > big->size)
			{
				big = prev->next;
				bigPrev = prev;
			}
		pfree(TakeFree(bigPrev));
	}
	DropIfEmpty();
}

/*
 * A block of at least size bytes for the scan that owns s: a free one, or a
 * new one.  When s holds IVFPQ_SCRATCH_HELD blocks already, a plain
 * allocation in fallback (freed with it; IvfpqScratchFree knows it).
 */
void *
IvfpqScratchAlloc(IvfpqScratch *s, MemoryContext fallback, Size size)
{
	Size		want = BlockSize(size);
	FreeBlock  *bestPrev = NULL;
	FreeBlock  *best = NULL;
	void	   *ptr;

	if (s->n >= IVFPQ_SCRATCH_HELD || size > MaxAllocHugeSize / 2)
		return MemoryContextAllocHuge(fallback, size);
	for (FreeBlock *prev = NULL, *b = freeList; b != NULL; prev = b, b = b->next)
		if (b->size >= want && (best == NULL || b->size < best->size))
		{
			best = b;
			bestPrev = prev;
		}
	if (best != NULL)
	{
		want = best->size;
		ptr = TakeFree(bestPrev);
	}
	else
	{
		if (scratchCtx == NULL)
			scratchCtx = AllocSetContextCreate(TopMemoryContext, "ivfpq scan buffers",
											   ALLOCSET_SMALL_SIZES);
		ptr = MemoryContextAllocHuge(scratchCtx, want);
	}
	/* nothing raises between taking the block and recording it */
	nheld++;
	s->ptr[s->n] = ptr;
	s->size[s->n] = want;
	s->n++;
	return ptr;
}

/* Gives back a block from IvfpqScratchAlloc (NULL: nothing). */
void
IvfpqScratchFree(IvfpqScratch *s, void *ptr)
{
	if (ptr == NULL)
		return;
	for (int i = 0; i < s->n; i++)
	{
		if (s->ptr[i] == ptr)
		{
			Size		size = s->size[i];

			s->n--;
			s->ptr[i] = s->ptr[s->n];
			s->size[i] = s->size[s->n];
			Keep(ptr, size);
			return;
		}
	}
	pfree(ptr);					/* a fallback allocation */
}

/*
 * Gives back every block s holds.  Never raises: it runs in the scan
 * context's reset callback, also during error recovery.
 */
void
IvfpqScratchFreeAll(IvfpqScratch *s)
{
	/* the largest first: they are the dearest to allocate again */
	while (s->n > 0)
	{
		int			big = 0;

		for (int i = 1; i < s->n; i++)
			if (s->size[i] > s->size[big])
				big = i;
		IvfpqScratchFree(s, s->ptr[big]);
	}
}
