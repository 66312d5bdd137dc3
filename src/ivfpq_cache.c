/*
 * ivfpq_cache.c: the backend-local cache of built ivfpq indexes' immutable
 * parts (IvfpqCache, see ivfpq.h), under one budget for the whole backend.
 *
 * ivfpq.cache_size (kB) bounds the memory of all entries together.  The
 * entries are kept in least-recently-used order.  An entry in use (held by a
 * running scan, insert, VACUUM or pgvq_ivfpq_lists call: refcount > 0) is
 * never freed; whenever a user lets go of one, unused entries are freed, least
 * recently used first, until the cache is within the budget again.
 *
 * An entry is the meta page, centroids, codebooks twice and the list start
 * pages: every user needs it, so it is read even when the budget is spent;
 * it then stays only while in use (e.g. until the scan ends).  (Before
 * on-disk version 4, L2 scans also cached per-list table terms here; each
 * entry now stores its own term, and scans share one table: ivfpq.h.)
 * So between statements a backend holds at most ivfpq.cache_size; while a
 * statement runs, at most that plus the base parts of the indexes it has in
 * use at once that did not fit.
 *
 * The free scan buffers of ivfpq_scratch.c count against the same budget:
 * they are kept only in the room the entries leave, and dropped first when
 * an entry needs that room.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "ivfpq.h"

/* ivfpq.cache_size, in kB */
int			ivfpq_cache_size = 64 * 1024;

/* Every entry, most recently used first, and the memory they hold */
static dlist_head ivfpqCacheList = DLIST_STATIC_INIT(ivfpqCacheList);
static Size ivfpqCacheBytes = 0;

/* Whether need more bytes fit beside the cache's current ones. */
static bool
CacheFits(Size used, Size need)
{
	Size		budget = (Size) ivfpq_cache_size * 1024;

	return need <= budget && used <= budget - need;
}

static void
FreeEntry(IvfpqCache *c)
{
	Assert(c->refcount == 0);
	dlist_delete(&c->lru);
	ivfpqCacheBytes -= c->bytes;
	MemoryContextDelete(c->cxt);
}

/*
 * Frees unused entries, least recently used first, until need more bytes fit
 * the budget (or no unused entry is left).  Never fails: it runs in reset
 * callbacks, also during error recovery.
 */
static void
EvictFor(Size need)
{
	dlist_node *node;
	Size		budget = (Size) ivfpq_cache_size * 1024;

	/* the free scan buffers go first: the cheapest to make again */
	IvfpqScratchTrim(budget > ivfpqCacheBytes + need ? budget - ivfpqCacheBytes - need : 0);
	if (dlist_is_empty(&ivfpqCacheList))
		return;
	node = dlist_tail_node(&ivfpqCacheList);
	while (node != NULL && !CacheFits(ivfpqCacheBytes + IvfpqScratchKept(), need))
	{
		dlist_node *prev = dlist_has_prev(&ivfpqCacheList, node) ?
			dlist_prev_node(&ivfpqCacheList, node) : NULL;
		IvfpqCache *c = dlist_container(IvfpqCache, lru, node);

		if (c->refcount == 0)
			FreeEntry(c);
		node = prev;
	}
}

/* Bytes of ivfpq.cache_size the entries leave (for free scan buffers). */
Size
IvfpqCacheRoom(void)
{
	Size		budget = (Size) ivfpq_cache_size * 1024;

	return budget > ivfpqCacheBytes ? budget - ivfpqCacheBytes : 0;
}

/* Reset callback of a user's context: lets go of the entry. */
static void
IvfpqReleaseCache(void *arg)
{
	IvfpqCache *c = (IvfpqCache *) arg;

	Assert(c->refcount > 0);
	c->refcount--;
	if (c->refcount == 0 && c->stale)
		FreeEntry(c);
	EvictFor(0);
}

/*
 * Returns the cached immutable parts of the index, reading them when the
 * cache has none for this build.  The entry stays in use until owner is reset
 * or deleted.  The meta page is read (and verified) on every call: a new
 * build id (REINDEX, TRUNCATE) makes the old entry stale.
 */
IvfpqCache *
IvfpqGetCache(Relation index, MemoryContext owner)
{
	IvfpqMetaPageData meta;
	IvfpqCache *found = NULL;
	dlist_mutable_iter iter;
	MemoryContextCallback *cb;

	IvfpqReadMeta(index, &meta);

	dlist_foreach_modify(iter, &ivfpqCacheList)
	{
		IvfpqCache *c = dlist_container(IvfpqCache, lru, iter.cur);

		if (c->indexOid != RelationGetRelid(index) || c->stale)
			continue;
		if (c->buildId == meta.buildId)
			found = c;
		else
		{
			c->stale = true;
			if (c->refcount == 0)
				FreeEntry(c);
		}
	}

	/* The release callback first: an OOM here must not leak a reference */
	cb = MemoryContextAlloc(owner, sizeof(MemoryContextCallback));
	if (found == NULL)
	{
		/* Read under owner (freed with it on error); kept once complete */
		found = IvfpqLoadCache(index, &meta, owner);
		MemoryContextSetParent(found->cxt, TopMemoryContext);
		found->bytes = MemoryContextMemAllocated(found->cxt, true);
		ivfpqCacheBytes += found->bytes;
		dlist_push_head(&ivfpqCacheList, &found->lru);
	}
	else
		dlist_move_head(&ivfpqCacheList, &found->lru);

	cb->func = IvfpqReleaseCache;
	cb->arg = found;
	MemoryContextRegisterResetCallback(owner, cb);
	found->refcount++;

	/* Make room for it (ivfpq.cache_size may also have been lowered) */
	EvictFor(0);
	return found;
}
