/*
 * ivfpq_check.c: pgvq_index_check for the ivfpq access method (see check.h
 * and the page layout in ivfpq.h).
 *
 * One share buffer lock at a time, CHECK_FOR_INTERRUPTS between pages:
 *
 *  1. the meta page: page id, kind, magic, version, parameters in range and
 *     consistent (d % m, nbits, lists, the directory size), dimensions against
 *     the column's typmod, metric against the opclass, chain starts in range;
 *  2. every other block in physical order: new (all-zero) pages are allowed
 *     (an extension left unlinked by a crash or a running insert); every
 *     initialised page has a known kind and a header that agrees with its
 *     counts (pd_lower, pd_upper, the code size);
 *  3. the centroid and codebook streams: exactly lists * d and ksub * d finite
 *     floats, chains in range and ending where the data ends;
 *  4. the directory: ndirPages consecutive pages holding one entry per list;
 *  5. every list chain from its directory start page: only list pages of that
 *     list, links in range, no page reached twice (by any chain: acyclic and
 *     disjoint), codes < 2^nbits, heap TIDs valid (collected for
 *     heapallindexed), each entry's term T what its code and list give
 *     (within float rounding), and the directory's insertPage on the chain;
 *  6. every page of the live generation step 2 saw initialised was reached
 *     in steps 3-5.  List pages are initialised and linked in one WAL record
 *     and never unlinked, so this holds under concurrent inserts too (step 2
 *     runs before step 5).  Deleted pages and pages of other generations (a
 *     replaced structure waiting to be reclaimed, or one a retrain is
 *     writing or left behind) are only checked in step 2.  A retrain that
 *     switches during the check leaves the structure read in step 1 whole
 *     (its pages are reclaimed only after this check's snapshot is gone).
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "check.h"
#include "ivfpq.h"
#include "pgvq_core.h"

/* A meta page's contents, checked (share lock held by the caller). */
static void
IvfpqCheckMetaPage(Relation index, Page page, BlockNumber nblocks, IvfpqMetaPageData *out)
{
	PageHeader	ph = (PageHeader) page;
	IvfpqPageOpaque opaque;
	IvfpqMetaPage meta;
	int			typmod;
	int			metric;

	if (PageIsNew(page))
		PgvqCheckCorrupted(index, IVFPQ_METAPAGE_BLKNO, "The meta page is uninitialized.");
	if (ph->pd_special != BLCKSZ - IVFPQ_SPECIAL_SIZE)
		PgvqCheckCorrupted(index, IVFPQ_METAPAGE_BLKNO, "The special area is at %u, expected %u.",
						   ph->pd_special, (unsigned) (BLCKSZ - IVFPQ_SPECIAL_SIZE));
	opaque = IvfpqPageGetOpaque(page);
	if (opaque->page_id != IVFPQ_PAGE_ID)
		PgvqCheckCorrupted(index, IVFPQ_METAPAGE_BLKNO, "The page id is 0x%04X, expected 0x%04X.",
						   opaque->page_id, IVFPQ_PAGE_ID);
	if (opaque->flags != IVFPQ_PAGE_META)
		PgvqCheckCorrupted(index, IVFPQ_METAPAGE_BLKNO, "Block 0 is a %s page, not the meta page.",
						   IvfpqPageKindName(opaque->flags));
	meta = IvfpqPageGetMeta(page);
	if (meta->magicNumber != IVFPQ_MAGIC_NUMBER)
		PgvqCheckCorrupted(index, IVFPQ_METAPAGE_BLKNO, "The magic number is 0x%08X, expected 0x%08X.",
						   meta->magicNumber, IVFPQ_MAGIC_NUMBER);
	/* another format version is not damage: the refusal that asks for a REINDEX */
	if (meta->version != IVFPQ_VERSION)
		IvfpqCheckPage(index, page, IVFPQ_METAPAGE_BLKNO, IVFPQ_PAGE_META, 0);
	if (ph->pd_lower != IVFPQ_PAGE_HEADER + sizeof(IvfpqMetaPageData))
		PgvqCheckCorrupted(index, IVFPQ_METAPAGE_BLKNO, "pd_lower %u is not the meta data's end.",
						   ph->pd_lower);
	if (meta->dimensions < 1 || meta->dimensions > IVFPQ_MAX_DIM)
		PgvqCheckCorrupted(index, IVFPQ_METAPAGE_BLKNO, "The dimension count %d is out of range.",
						   meta->dimensions);
	typmod = TupleDescAttr(RelationGetDescr(index), 0)->atttypmod;
	if (typmod > 0 && meta->dimensions != typmod)
		PgvqCheckCorrupted(index, IVFPQ_METAPAGE_BLKNO,
						   "The dimension count %d differs from the column's %d.", meta->dimensions, typmod);
	if (meta->lists < IVFPQ_MIN_LISTS || meta->lists > IVFPQ_MAX_LISTS)
		PgvqCheckCorrupted(index, IVFPQ_METAPAGE_BLKNO, "The list count %d is out of range.", meta->lists);
	if (meta->m < 1 || meta->m > IVFPQ_MAX_M || meta->dimensions % meta->m != 0 ||
		IvfpqListCapacity(meta->m) < 1)
		PgvqCheckCorrupted(index, IVFPQ_METAPAGE_BLKNO,
						   "The code size m = %d does not fit %d dimensions.", meta->m, meta->dimensions);
	if (meta->nbits < IVFPQ_MIN_NBITS || meta->nbits > IVFPQ_MAX_NBITS)
		PgvqCheckCorrupted(index, IVFPQ_METAPAGE_BLKNO, "nbits %d is out of range.", meta->nbits);
	metric = IvfpqGetMetric(index);
	if (meta->metric != metric)
		PgvqCheckCorrupted(index, IVFPQ_METAPAGE_BLKNO,
						   "The metric %d differs from the operator class's %d.", meta->metric, metric);
	if (meta->trained != 0 && meta->trained != 1)
		PgvqCheckCorrupted(index, IVFPQ_METAPAGE_BLKNO, "The trained flag is %d.", meta->trained);
	if (!meta->trained && meta->lists != 1)
		PgvqCheckCorrupted(index, IVFPQ_METAPAGE_BLKNO, "An untrained index has %d lists, not 1.",
						   meta->lists);
	if (meta->ndirPages != (meta->lists + IVFPQ_DIR_PER_PAGE - 1) / IVFPQ_DIR_PER_PAGE)
		PgvqCheckCorrupted(index, IVFPQ_METAPAGE_BLKNO, "%d directory pages for %d lists.",
						   meta->ndirPages, meta->lists);
	if (meta->centroidStart == IVFPQ_METAPAGE_BLKNO || meta->centroidStart >= nblocks ||
		meta->codebookStart == IVFPQ_METAPAGE_BLKNO || meta->codebookStart >= nblocks ||
		meta->directoryStart == IVFPQ_METAPAGE_BLKNO || meta->directoryStart >= nblocks ||
		(BlockNumber) meta->ndirPages > nblocks - meta->directoryStart)
		PgvqCheckCorrupted(index, IVFPQ_METAPAGE_BLKNO,
						   "The chain starts (centroids %u, codebooks %u, directory %u + %d) are outside blocks 1..%u.",
						   meta->centroidStart, meta->codebookStart, meta->directoryStart,
						   meta->ndirPages, nblocks - 1);
	if (meta->buildTuples < 0)
		PgvqCheckCorrupted(index, IVFPQ_METAPAGE_BLKNO, "The build row count is negative.");
	IvfpqCopyMeta(page, out);
	if ((out->flags & ~IVFPQ_META_OTHER_GENS) != 0 || out->generation > PG_UINT16_MAX ||
		(out->reclaimXid != 0 && (out->flags & IVFPQ_META_OTHER_GENS) == 0))
		PgvqCheckCorrupted(index, IVFPQ_METAPAGE_BLKNO,
						   "The retrain state (generation %u, flags 0x%X) is invalid.",
						   out->generation, out->flags);
}

/*
 * The header of an initialised non-meta page, by its own kind; returns the
 * kind.  Follows the link's range (nblocks is refreshed when it looks past it).
 */
static uint16
IvfpqCheckPageHeader(Relation index, Page page, BlockNumber blkno, const IvfpqMetaPageData *meta,
					 BlockNumber *nblocks)
{
	PageHeader	ph = (PageHeader) page;
	IvfpqPageOpaque opaque = IvfpqPageGetOpaque(page);
	BlockNumber next;

	if (ph->pd_special != BLCKSZ - IVFPQ_SPECIAL_SIZE)
		PgvqCheckCorrupted(index, blkno, "The special area is at %u, expected %u.",
						   ph->pd_special, (unsigned) (BLCKSZ - IVFPQ_SPECIAL_SIZE));
	if (opaque->page_id != IVFPQ_PAGE_ID)
		PgvqCheckCorrupted(index, blkno, "The page id is 0x%04X, expected 0x%04X.",
						   opaque->page_id, IVFPQ_PAGE_ID);
	switch (opaque->flags)
	{
		case IVFPQ_PAGE_CENTROID:
		case IVFPQ_PAGE_CODEBOOK:
			if (opaque->count < 1 || opaque->count > IVFPQ_FLOATS_PER_PAGE ||
				ph->pd_lower != IVFPQ_PAGE_HEADER + opaque->count * sizeof(float))
				PgvqCheckCorrupted(index, blkno, "A %s page's float count %u does not match pd_lower %u.",
								   IvfpqPageKindName(opaque->flags), opaque->count, ph->pd_lower);
			break;
		case IVFPQ_PAGE_DIRECTORY:
			if (opaque->count > IVFPQ_DIR_PER_PAGE ||
				ph->pd_lower != IVFPQ_PAGE_HEADER + opaque->count * sizeof(IvfpqDirEntryData))
				PgvqCheckCorrupted(index, blkno, "The directory entry count %u does not match pd_lower %u.",
								   opaque->count, ph->pd_lower);
			if (opaque->nextblkno != InvalidBlockNumber)
				PgvqCheckCorrupted(index, blkno, "A directory page has a next-page link.");
			break;
		case IVFPQ_PAGE_LIST:
			if (opaque->count > IvfpqListCapacity(meta->m) ||
				ph->pd_lower != IVFPQ_PAGE_HEADER + (Size) opaque->count * meta->m ||
				ph->pd_upper != BLCKSZ - IVFPQ_SPECIAL_SIZE - (Size) opaque->count * IVFPQ_SLOT_SIZE)
				PgvqCheckCorrupted(index, blkno,
								   "The entry count %u does not match pd_lower %u / pd_upper %u for %d-byte codes.",
								   opaque->count, ph->pd_lower, ph->pd_upper, meta->m);
			/* a replaced structure (waiting to be reclaimed) had its own lists */
			if (opaque->gen == (uint16) meta->generation && opaque->list >= (uint32) meta->lists)
				PgvqCheckCorrupted(index, blkno, "The page belongs to list %u of %d.",
								   opaque->list, meta->lists);
			break;
		case IVFPQ_PAGE_META:
			PgvqCheckCorrupted(index, blkno, "A second meta page.");
			break;
		case IVFPQ_PAGE_DELETED:
			break;
		default:
			PgvqCheckCorrupted(index, blkno, "Unknown page kind %u.", opaque->flags);
	}
	next = opaque->nextblkno;
	if (next != InvalidBlockNumber)
	{
		if (next >= *nblocks)
			*nblocks = RelationGetNumberOfBlocks(index);
		if (next == blkno || next == IVFPQ_METAPAGE_BLKNO || next >= *nblocks)
			PgvqCheckCorrupted(index, blkno, "The next-page link %u is out of range (blocks 1..%u, not %u).",
							   next, *nblocks - 1, blkno);
	}
	return opaque->flags;
}

/* Marks a block reached by a chain; a second visit is a cycle or a shared page. */
static void
IvfpqCheckVisit(Relation index, PgvqBlockSet *seen, BlockNumber blkno, const char *what)
{
	if (blkno >= seen->nblocks)
	{
		PgvqBlockSet bigger;

		PgvqBlockSetInit(&bigger, Max(blkno + 1, RelationGetNumberOfBlocks(index)));
		memcpy(bigger.bits, seen->bits, seen->nblocks / 8 + 1);
		pfree(seen->bits);
		*seen = bigger;
	}
	if (!PgvqBlockSetAdd(seen, blkno))
		PgvqCheckCorrupted(index, blkno, "Block %u is reached twice (%s): a cycle or a page shared by two chains.",
						   blkno, what);
}

/* Reads a block with a share lock; the caller checks and releases it. */
static Buffer
IvfpqCheckRead(Relation index, BlockNumber blkno, const IvfpqMetaPageData *meta,
			   BlockNumber *nblocks, uint16 kind)
{
	Buffer		buf;
	Page		page;
	uint16		found;

	buf = ReadBuffer(index, blkno);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	if (PageIsNew(page))
		PgvqCheckCorrupted(index, blkno, "A %s chain reaches an uninitialized page.",
						   IvfpqPageKindName(kind));
	found = IvfpqCheckPageHeader(index, page, blkno, meta, nblocks);
	if (found != kind)
		PgvqCheckCorrupted(index, blkno, "Expected a %s page, found a %s page.",
						   IvfpqPageKindName(kind), IvfpqPageKindName(found));
	return buf;
}

/* A centroid or codebook stream of exactly nfloats finite floats. */
static void
IvfpqCheckStream(Relation index, const IvfpqMetaPageData *meta, BlockNumber start, uint16 kind,
				 Size nfloats, PgvqBlockSet *seen, BlockNumber *nblocks)
{
	BlockNumber blkno = start;
	Size		done = 0;

	while (blkno != InvalidBlockNumber)
	{
		Buffer		buf;
		Page		page;
		IvfpqPageOpaque opaque;
		const float *x;
		int			i;

		CHECK_FOR_INTERRUPTS();
		IvfpqCheckVisit(index, seen, blkno, IvfpqPageKindName(kind));
		buf = IvfpqCheckRead(index, blkno, meta, nblocks, kind);
		page = BufferGetPage(buf);
		opaque = IvfpqPageGetOpaque(page);
		if (done + opaque->count > nfloats)
			PgvqCheckCorrupted(index, blkno, "The %s stream holds more than the %zu floats expected.",
							   IvfpqPageKindName(kind), nfloats);
		x = (const float *) PageGetContents(page);
		for (i = 0; i < opaque->count; i++)
			if (!isfinite(x[i]))
				PgvqCheckCorrupted(index, blkno, "Float %d of the %s stream page is not finite.",
								   i, IvfpqPageKindName(kind));
		done += opaque->count;
		if (done == nfloats && opaque->nextblkno != InvalidBlockNumber)
			PgvqCheckCorrupted(index, blkno, "The %s stream goes on past its last float.",
							   IvfpqPageKindName(kind));
		blkno = opaque->nextblkno;
		UnlockReleaseBuffer(buf);
	}
	if (done != nfloats)
		PgvqCheckCorrupted(index, start, "The %s stream starting here holds %zu floats, expected %zu.",
						   IvfpqPageKindName(kind), done, nfloats);
}

/*
 * Every entry's stored term T against the one its code and list give
 * (pgvq_pq_check_terms: beyond the rounding tolerance is corruption, since
 * scans add T to their distances).  terms: room for a page's entries.
 */
static void
IvfpqCheckTerms(Relation index, const IvfpqCache *cache, int list, Page page,
				BlockNumber blkno, float *terms)
{
	const IvfpqMetaPageData *meta = &cache->meta;
	int			n = IvfpqPageGetOpaque(page)->count;
	size_t		bad;
	float		expected = 0;
	int			i;

	for (i = 0; i < n; i++)
		memcpy(&terms[i], IvfpqListTerm(page, i), sizeof(float4));
	bad = pgvq_pq_check_terms(n, meta->dimensions,
							  cache->centroids + (Size) list * meta->dimensions, meta->m,
							  meta->nbits, cache->codebooks, IvfpqListCodes(page), terms,
							  &expected);
	if (bad < (size_t) n)
		PgvqCheckCorrupted(index, blkno,
						   "Entry %d stores the distance term %.9g, its code gives %.9g.",
						   (int) bad, terms[bad], expected);
}

void
IvfpqIndexCheck(PgvqCheckState *state)
{
	Relation	index = state->index;
	IvfpqMetaPageData meta;
	BlockNumber nblocks;
	BlockNumber blkno;
	Buffer		buf;
	PgvqBlockSet initialised;
	PgvqBlockSet seen;
	IvfpqDirEntryData *dir;
	IvfpqCache *cache;
	float	   *terms;
	BufferAccessStrategy bas;
	int			ksub;
	int			list;
	int			p;

	state->has_fingerprint = false;
	if (RelationGetNumberOfBlocks(index) == 0)
		PgvqCheckCorrupted(index, IVFPQ_METAPAGE_BLKNO, "The index has no meta page.");

	/* 1: the meta page (only a retrain switches it to another structure) */
	IvfpqMetaLockedHere(index, true);
	buf = ReadBuffer(index, IVFPQ_METAPAGE_BLKNO);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	nblocks = RelationGetNumberOfBlocks(index);
	IvfpqCheckMetaPage(index, BufferGetPage(buf), nblocks, &meta);
	UnlockReleaseBuffer(buf);
	ksub = 1 << meta.nbits;

	/* 2: every block in physical order */
	bas = GetAccessStrategy(BAS_BULKREAD);
	PgvqBlockSetInit(&initialised, nblocks);
	for (blkno = IVFPQ_METAPAGE_BLKNO + 1; blkno < initialised.nblocks; blkno++)
	{
		Page		page;

		CHECK_FOR_INTERRUPTS();
		buf = ReadBufferExtended(index, MAIN_FORKNUM, blkno, RBM_NORMAL, bas);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		if (!PageIsNew(page) &&
			IvfpqCheckPageHeader(index, page, blkno, &meta, &nblocks) != IVFPQ_PAGE_DELETED &&
			IvfpqPageGetOpaque(page)->gen == (uint16) meta.generation)
			PgvqBlockSetAdd(&initialised, blkno);
		UnlockReleaseBuffer(buf);
	}
	FreeAccessStrategy(bas);

	/* 3: the streams */
	PgvqBlockSetInit(&seen, Max(nblocks, initialised.nblocks));
	PgvqBlockSetAdd(&seen, IVFPQ_METAPAGE_BLKNO);
	IvfpqCheckStream(index, &meta, meta.centroidStart, IVFPQ_PAGE_CENTROID,
					 (Size) meta.lists * meta.dimensions, &seen, &nblocks);
	IvfpqCheckStream(index, &meta, meta.codebookStart, IVFPQ_PAGE_CODEBOOK,
					 (Size) ksub * meta.dimensions, &seen, &nblocks);

	/* 4: the directory */
	dir = palloc(sizeof(IvfpqDirEntryData) * meta.lists);
	for (p = 0; p < meta.ndirPages; p++)
	{
		int			first = p * IVFPQ_DIR_PER_PAGE;
		int			n = Min(IVFPQ_DIR_PER_PAGE, meta.lists - first);
		IvfpqDirEntry entries;
		int			i;

		blkno = meta.directoryStart + p;
		CHECK_FOR_INTERRUPTS();
		IvfpqCheckVisit(index, &seen, blkno, "directory");
		buf = IvfpqCheckRead(index, blkno, &meta, &nblocks, IVFPQ_PAGE_DIRECTORY);
		if (IvfpqPageGetOpaque(BufferGetPage(buf))->count != n)
			PgvqCheckCorrupted(index, blkno, "The directory page holds %u entries, expected %d.",
							   IvfpqPageGetOpaque(BufferGetPage(buf))->count, n);
		entries = (IvfpqDirEntry) PageGetContents(BufferGetPage(buf));
		for (i = 0; i < n; i++)
		{
			if (entries[i].startPage == IVFPQ_METAPAGE_BLKNO || entries[i].startPage >= nblocks ||
				entries[i].insertPage == IVFPQ_METAPAGE_BLKNO || entries[i].insertPage >= nblocks)
				PgvqCheckCorrupted(index, blkno,
								   "List %d starts at block %u and inserts at block %u, outside blocks 1..%u.",
								   first + i, entries[i].startPage, entries[i].insertPage, nblocks - 1);
			dir[first + i] = entries[i];
		}
		UnlockReleaseBuffer(buf);
	}

	/* the verified centroids, codebooks and directory, for the entries' terms */
	cache = IvfpqLoadCache(index, &meta, CurrentMemoryContext);
	terms = palloc(sizeof(float) * IvfpqListCapacity(meta.m));

	/* 5: the lists */
	for (list = 0; list < meta.lists; list++)
	{
		bool		insert_on_chain = false;

		blkno = dir[list].startPage;
		while (blkno != InvalidBlockNumber)
		{
			Page		page;
			IvfpqPageOpaque opaque;
			const uint8 *codes;
			int			i;

			CHECK_FOR_INTERRUPTS();
			IvfpqCheckVisit(index, &seen, blkno, "list");
			buf = IvfpqCheckRead(index, blkno, &meta, &nblocks, IVFPQ_PAGE_LIST);
			page = BufferGetPage(buf);
			opaque = IvfpqPageGetOpaque(page);
			if (opaque->list != (uint32) list)
				PgvqCheckCorrupted(index, blkno, "A page of list %u is on the chain of list %d.",
								   opaque->list, list);
			codes = IvfpqListCodes(page);
			if (meta.nbits < 8)
			{
				for (i = 0; i < opaque->count * meta.m; i++)
					if (codes[i] >= ksub)
						PgvqCheckCorrupted(index, blkno,
										   "Entry %d has code %u for sub-quantizer %d, not below 2^%d.",
										   i / meta.m, codes[i], i % meta.m, meta.nbits);
			}
			for (i = 0; i < opaque->count; i++)
				PgvqCheckEntryTid(state, blkno, i, IvfpqListTid(page, i), 0);
			IvfpqCheckTerms(index, cache, list, page, blkno, terms);
			if (blkno == dir[list].insertPage)
				insert_on_chain = true;
			blkno = opaque->nextblkno;
			UnlockReleaseBuffer(buf);
		}
		if (!insert_on_chain)
			PgvqCheckCorrupted(index, meta.directoryStart + list / IVFPQ_DIR_PER_PAGE,
							   "The insert page %u of list %d is not on its chain.",
							   dir[list].insertPage, list);
		if (list == 0)
			PgvqCheckPause();
	}

	/* 6: nothing initialised is left out */
	for (blkno = IVFPQ_METAPAGE_BLKNO + 1; blkno < initialised.nblocks; blkno++)
		if (PgvqBlockSetHas(&initialised, blkno) && !PgvqBlockSetHas(&seen, blkno))
			PgvqCheckCorrupted(index, blkno,
							   "The page is on no chain of the index: scans never read it.");
	pfree(dir);
	pfree(terms);
	MemoryContextDelete(cache->cxt);
	pfree(initialised.bits);
	pfree(seen.bits);
	state->entry_param = meta.m;
}

/*
 * The heap TIDs of list page blkno (share-locked by the caller), after
 * verifying it: to recheck a duplicate.  Slot i lies one slot below slot i - 1.
 */
ItemPointer
IvfpqCheckPageTids(Relation index, Page page, BlockNumber blkno, int m, int *n,
				   ptrdiff_t *stride)
{
	IvfpqCheckPage(index, page, blkno, IVFPQ_PAGE_LIST, m);
	*n = IvfpqPageGetOpaque(page)->count;
	*stride = -(ptrdiff_t) IVFPQ_SLOT_SIZE;
	return IvfpqListTid(page, 0);
}

/* Cosine indexes leave out vectors that cannot be normalised. */
bool
IvfpqCheckIndexable(Relation index, Datum value)
{
	int			metric = IvfpqGetMetric(index);
	int			dims;

	if (metric != PGVQ_METRIC_COSINE)
		return true;
	/* detoasted once here, not by each reader below */
	value = PointerGetDatum(PG_DETOAST_DATUM(value));
	dims = IvfpqDatumDims(value);
	return IvfpqPrepareDatum(IvfpqGetColumnType(index), metric, value, dims,
							 palloc(sizeof(float) * Max(dims, 1)));
}
