/*
 * flat_check.c: pgvq_index_check for the flat access method (see check.h and
 * the page layout in flat.h).
 *
 * Three steps, each holding one share buffer lock at a time:
 *
 *  1. the meta page: page id, kind, magic, version, dimension count (against
 *     the column's typmod), metric (against the opclass), chain ends and
 *     free-space hints in range;
 *  2. every other block in physical order: new (all-zero) pages are allowed
 *     (a relation extension that a crash or a running insert left unlinked);
 *     every initialised page must be a data page whose count, pd_lower and
 *     pd_upper agree with the dimension count (a sparse page: whose line
 *     pointers and items are in bounds), whose link is in range, whose
 *     values are valid for their kind (finite floats and halves, zero pad
 *     bits of a bit string, ascending indices and finite non-zero values of
 *     a sparse entry), whose codes bound them (pgvq_sq_check_entry: the
 *     first pass never prunes a row it must return) and whose heap TIDs are
 *     valid (collected here for heapallindexed; VACUUM only moves entries
 *     within a page);
 *  3. the chain from the meta page's first block: every link in range, no
 *     page twice (acyclic), only data pages, the meta page's last block and
 *     free-space hints on it, at least npages long, and every data page seen
 *     in step 2 on it.  Pages are linked in the same WAL record that
 *     initialises them and never unlinked, so a page step 2 saw initialised
 *     is on the chain step 3 walks afterwards even under concurrent inserts.
 */
#include "postgres.h"

#include <math.h>

#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/rel.h"

#include "check.h"
#include "flat.h"
#include "pgvq_core_half.h"

/* The meta page's contents, checked; the caller holds a share lock. */
static void
FlatCheckMetaPage(Relation index, Page page, BlockNumber nblocks, FlatMetaPageData *out)
{
	PageHeader	ph = (PageHeader) page;
	FlatPageOpaque opaque;
	FlatMetaPage meta;
	int			typmod;
	uint32		i;

	if (PageIsNew(page))
		PgvqCheckCorrupted(index, FLAT_METAPAGE_BLKNO, "The meta page is uninitialized.");
	if (ph->pd_special != BLCKSZ - FLAT_SPECIAL_SIZE)
		PgvqCheckCorrupted(index, FLAT_METAPAGE_BLKNO,
						   "The special area is at %u, expected %u.",
						   ph->pd_special, (unsigned) (BLCKSZ - FLAT_SPECIAL_SIZE));
	opaque = FlatPageGetOpaque(page);
	if (opaque->page_id != FLAT_PAGE_ID)
		PgvqCheckCorrupted(index, FLAT_METAPAGE_BLKNO, "The page id is 0x%04X, expected 0x%04X.",
						   opaque->page_id, FLAT_PAGE_ID);
	if (opaque->flags != FLAT_META)
		PgvqCheckCorrupted(index, FLAT_METAPAGE_BLKNO, "Block 0 is not a meta page (flags 0x%X).",
						   opaque->flags);
	meta = FlatPageGetMeta(page);
	if (meta->magic != FLAT_MAGIC_NUMBER)
		PgvqCheckCorrupted(index, FLAT_METAPAGE_BLKNO, "The magic number is 0x%08X, expected 0x%08X.",
						   meta->magic, FLAT_MAGIC_NUMBER);
	if (meta->version != FLAT_VERSION)
		PgvqCheckCorrupted(index, FLAT_METAPAGE_BLKNO, "The on-disk version is %u, expected %u.",
						   meta->version, FLAT_VERSION);
	if (ph->pd_lower < FLAT_DATA_OFFSET + sizeof(FlatMetaPageData) || ph->pd_lower > ph->pd_upper)
		PgvqCheckCorrupted(index, FLAT_METAPAGE_BLKNO, "pd_lower %u does not cover the meta data.",
						   ph->pd_lower);
	if (meta->kind != (uint32) FlatIndexKind(index))
		PgvqCheckCorrupted(index, FLAT_METAPAGE_BLKNO,
						   "The element kind %u differs from the operator class's %d.",
						   meta->kind, FlatIndexKind(index));
	if (meta->dims < 0 || meta->dims > FlatMaxDims(meta->kind))
		PgvqCheckCorrupted(index, FLAT_METAPAGE_BLKNO, "The dimension count %d is out of range.",
						   meta->dims);
	typmod = FlatTypmodDims(index);
	if (typmod > 0 && meta->dims != 0 && meta->dims != typmod)
		PgvqCheckCorrupted(index, FLAT_METAPAGE_BLKNO,
						   "The dimension count %d differs from the column's %d.", meta->dims, typmod);
	if (meta->metric != FlatGetMetric(index))
		PgvqCheckCorrupted(index, FLAT_METAPAGE_BLKNO,
						   "The metric %d differs from the operator class's %d.",
						   meta->metric, FlatGetMetric(index));
	if ((meta->first_blkno == InvalidBlockNumber) != (meta->last_blkno == InvalidBlockNumber))
		PgvqCheckCorrupted(index, FLAT_METAPAGE_BLKNO,
						   "Only one end of the data page chain is set (first %u, last %u).",
						   meta->first_blkno, meta->last_blkno);
	if (meta->first_blkno != InvalidBlockNumber)
	{
		if (meta->first_blkno == FLAT_METAPAGE_BLKNO || meta->first_blkno >= nblocks ||
			meta->last_blkno == FLAT_METAPAGE_BLKNO || meta->last_blkno >= nblocks)
			PgvqCheckCorrupted(index, FLAT_METAPAGE_BLKNO,
							   "The chain ends (first %u, last %u) are outside blocks 1..%u.",
							   meta->first_blkno, meta->last_blkno, nblocks - 1);
		if (meta->dims == 0)
			PgvqCheckCorrupted(index, FLAT_METAPAGE_BLKNO,
							   "The index has data pages but no dimension count.");
	}
	if (meta->npages > nblocks - 1)
		PgvqCheckCorrupted(index, FLAT_METAPAGE_BLKNO,
						   "npages %u exceeds the %u blocks after the meta page.",
						   meta->npages, nblocks - 1);
	if (meta->nfree > FLAT_MAX_FREE_HINTS)
		PgvqCheckCorrupted(index, FLAT_METAPAGE_BLKNO, "%u free-space hints, at most %d allowed.",
						   meta->nfree, FLAT_MAX_FREE_HINTS);
	for (i = 0; i < meta->nfree; i++)
		if (meta->free_blkno[i] == FLAT_METAPAGE_BLKNO || meta->free_blkno[i] >= nblocks)
			PgvqCheckCorrupted(index, FLAT_METAPAGE_BLKNO,
							   "Free-space hint %u names block %u, outside blocks 1..%u.",
							   i, meta->free_blkno[i], nblocks - 1);
	memcpy(out, meta, sizeof(FlatMetaPageData));
}

/*
 * Reads and checks the meta page; returns the index size read under its lock
 * (the chain is extended only under the meta page's exclusive lock, so the
 * two agree).
 */
static BlockNumber
FlatCheckReadMeta(Relation index, FlatMetaPageData *meta)
{
	Buffer		buf = ReadBuffer(index, FLAT_METAPAGE_BLKNO);
	BlockNumber nblocks;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	nblocks = RelationGetNumberOfBlocks(index);
	FlatCheckMetaPage(index, BufferGetPage(buf), nblocks, meta);
	UnlockReleaseBuffer(buf);
	return nblocks;
}

/* The header and special area of an initialised non-meta page. */
static void
FlatCheckDataPageHeader(Relation index, Page page, BlockNumber blkno, int kind, int dims,
						BlockNumber *nblocks)
{
	PageHeader	ph = (PageHeader) page;
	FlatPageOpaque opaque = FlatPageGetOpaque(page);
	int			cap;
	BlockNumber next;

	if (ph->pd_special != BLCKSZ - FLAT_SPECIAL_SIZE)
		PgvqCheckCorrupted(index, blkno, "The special area is at %u, expected %u.",
						   ph->pd_special, (unsigned) (BLCKSZ - FLAT_SPECIAL_SIZE));
	if (opaque->page_id != FLAT_PAGE_ID)
		PgvqCheckCorrupted(index, blkno, "The page id is 0x%04X, expected 0x%04X.",
						   opaque->page_id, FLAT_PAGE_ID);
	if (opaque->flags != FLAT_DATA)
		PgvqCheckCorrupted(index, blkno, "The page is not a data page (flags 0x%X).", opaque->flags);
	if (dims <= 0)
		PgvqCheckCorrupted(index, blkno, "A data page exists but the index has no dimension count.");
	cap = FlatPageCapacity(kind, dims);
	if (opaque->count > cap)
		PgvqCheckCorrupted(index, blkno, "The page holds %u entries, more than its capacity %d.",
						   opaque->count, cap);
	if (kind == FLAT_KIND_SPARSE)
	{
		const char *problem = FlatSparsePageProblem(page);

		if (problem != NULL)
			PgvqCheckCorrupted(index, blkno, "%s", problem);
	}
	else if (ph->pd_lower != FLAT_DATA_OFFSET + (Size) opaque->count * FlatElemBytes(kind, dims))
		PgvqCheckCorrupted(index, blkno,
						   "pd_lower %u does not match %u entries of %d dimensions (expected %zu).",
						   ph->pd_lower, opaque->count, dims,
						   FLAT_DATA_OFFSET + (Size) opaque->count * FlatElemBytes(kind, dims));
	else if (ph->pd_upper != FlatDenseUpper(kind, dims))
		PgvqCheckCorrupted(index, blkno, "pd_upper %u does not match the capacity %d (expected %zu).",
						   ph->pd_upper, cap, FlatDenseUpper(kind, dims));
	next = opaque->nextblkno;
	if (next != InvalidBlockNumber)
	{
		/* the index may have grown since we looked */
		if (next >= *nblocks)
			*nblocks = RelationGetNumberOfBlocks(index);
		if (next == blkno || next == FLAT_METAPAGE_BLKNO || next >= *nblocks)
			PgvqCheckCorrupted(index, blkno, "The next-page link %u is out of range (blocks 1..%u, not %u).",
							   next, *nblocks - 1, blkno);
	}
}

/*
 * The codes of entry i (vector xi) give valid lower bounds: a sane header, an
 * error bound at least the distance from xi to its codes, the norm of xi.
 */
static void
FlatCheckCodes(Relation index, BlockNumber blkno, uint32 i, int metric, int dims,
			   const float *xi, const char *entry)
{
	switch (pgvq_sq_check_entry(metric, (size_t) dims, xi, entry))
	{
		case PGVQ_SQ_OK:
			return;
		case PGVQ_SQ_BAD_HEADER:
			PgvqCheckCorrupted(index, blkno, "Entry %u has a code header with impossible values.", i);
			break;
		case PGVQ_SQ_ERR_TOO_SMALL:
			PgvqCheckCorrupted(index, blkno,
							   "Entry %u's codes differ from its vector by more than their error bound.", i);
			break;
		default:
			PgvqCheckCorrupted(index, blkno, "Entry %u's code header does not hold its vector's norm.", i);
			break;
	}
}

uint32
FlatCheckFingerprint(Relation index, Datum value)
{
	int			kind = FlatIndexKind(index);
	FlatValue	v;

	FlatGetValue(kind, value, &v);
	return hash_bytes((const unsigned char *) v.data, (int) FlatValueSize(kind, &v));
}

/* Entry i's elements are valid for a dense kind; returns its fingerprint. */
static uint32
FlatCheckDenseEntry(PgvqCheckState *state, BlockNumber blkno, uint32 i, const FlatMetaPageData *meta,
					Page page)
{
	Relation	index = state->index;
	Size		eb = FlatElemBytes(meta->kind, meta->dims);
	const char *xi = FlatPageGetElems(page) + (Size) i * eb;
	int			d;

	if (meta->kind == FLAT_KIND_FLOAT)
	{
		for (d = 0; d < meta->dims; d++)
			if (!isfinite(((const float *) xi)[d]))
				PgvqCheckCorrupted(index, blkno, "Entry %u holds a non-finite value at dimension %d.",
								   i, d + 1);
		if (FLAT_HAS_CODES(meta->dims))
			FlatCheckCodes(index, blkno, i, meta->metric, meta->dims, (const float *) xi,
						   FlatPageGetCodes(page, meta->dims) +
						   (Size) i * FlatCodeStride(FLAT_KIND_FLOAT, meta->dims));
	}
	else if (meta->kind == FLAT_KIND_HALF)
	{
		for (d = 0; d < meta->dims; d++)
		{
			uint16		h;

			memcpy(&h, xi + (Size) d * sizeof(uint16), sizeof(uint16));
			if (PGVQ_HALF_IS_NAN(h) || PGVQ_HALF_IS_INF(h))
				PgvqCheckCorrupted(index, blkno, "Entry %u holds a non-finite value at dimension %d.",
								   i, d + 1);
		}
	}
	else if (meta->dims % 8 != 0 &&
			 (((const unsigned char *) xi)[eb - 1] & (0xFF >> (meta->dims % 8))) != 0)
		PgvqCheckCorrupted(index, blkno, "Entry %u has pad bits set after its %d bits.",
						   i, meta->dims);
	return state->heapallindexed ? hash_bytes((const unsigned char *) xi, (int) eb) : 0;
}

/* The entries of a data page (share-locked, header checked): step 2. */
static void
FlatCheckEntries(PgvqCheckState *state, BlockNumber blkno, const FlatMetaPageData *meta, Page page)
{
	int			n = FlatPageGetOpaque(page)->count;
	uint32		i;

	for (i = 0; i < (uint32) n; i++)
	{
		ItemPointer tid;
		uint32		fp;

		if (meta->kind == FLAT_KIND_SPARSE)
		{
			FlatSparseEntry e = FlatSparseGetEntry(state->index, page, blkno,
												   (OffsetNumber) (i + 1), meta->dims);
			const char *problem = FlatSparseEntryProblem(e, meta->dims);

			if (problem != NULL)
				PgvqCheckCorrupted(state->index, blkno, "Entry %u: %s", i, problem);
			tid = &e->tid;
			fp = state->heapallindexed
				? hash_bytes((const unsigned char *) e->indices,
							 (int) ((sizeof(int32) + sizeof(float)) * (Size) e->nnz))
				: 0;
		}
		else
		{
			fp = FlatCheckDenseEntry(state, blkno, i, meta, page);
			tid = &FlatPageGetTids(page)[i];
		}
		PgvqCheckEntryTid(state, blkno, (int) i, tid, fp);
	}
}

void
FlatIndexCheck(PgvqCheckState *state)
{
	Relation	index = state->index;
	BlockNumber nblocks;
	BlockNumber blkno;
	FlatMetaPageData meta;
	PgvqBlockSet datapages;
	PgvqBlockSet onchain;
	BufferAccessStrategy bas = GetAccessStrategy(BAS_BULKREAD);
	BlockNumber lastseen = InvalidBlockNumber;
	uint32		chainlen = 0;
	uint32		i;

	state->has_fingerprint = true;
	nblocks = RelationGetNumberOfBlocks(index);
	if (nblocks == 0)
		PgvqCheckCorrupted(index, FLAT_METAPAGE_BLKNO, "The index has no meta page.");

	/* 1: the meta page */
	nblocks = FlatCheckReadMeta(index, &meta);

	/* 2: every block in physical order */
	PgvqBlockSetInit(&datapages, nblocks);
	for (blkno = FLAT_METAPAGE_BLKNO + 1; blkno < nblocks; blkno++)
	{
		Buffer		buf;
		Page		page;

		CHECK_FOR_INTERRUPTS();
		buf = ReadBufferExtended(index, MAIN_FORKNUM, blkno, RBM_NORMAL, bas);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		if (PageIsNew(page))
		{
			UnlockReleaseBuffer(buf);
			continue;
		}
		if (meta.dims == 0)
		{
			/* the first insert may have set it since step 1 */
			UnlockReleaseBuffer(buf);
			(void) FlatCheckReadMeta(index, &meta);
			buf = ReadBufferExtended(index, MAIN_FORKNUM, blkno, RBM_NORMAL, bas);
			LockBuffer(buf, BUFFER_LOCK_SHARE);
			page = BufferGetPage(buf);
		}
		FlatCheckDataPageHeader(index, page, blkno, meta.kind, meta.dims, &nblocks);
		PgvqBlockSetAdd(&datapages, blkno);
		FlatCheckEntries(state, blkno, &meta, page);
		UnlockReleaseBuffer(buf);
		if (blkno == FLAT_METAPAGE_BLKNO + 1)
			PgvqCheckPause();
	}
	FreeAccessStrategy(bas);

	/* 3: the chain, from the current meta page */
	nblocks = FlatCheckReadMeta(index, &meta);
	PgvqBlockSetInit(&onchain, nblocks);
	blkno = meta.first_blkno;
	while (blkno != InvalidBlockNumber)
	{
		Buffer		buf;
		Page		page;
		BlockNumber next;

		CHECK_FOR_INTERRUPTS();
		if (blkno >= onchain.nblocks)
		{
			/* grew since: the chain may only reach pages added meanwhile */
			PgvqBlockSet bigger;

			PgvqBlockSetInit(&bigger, RelationGetNumberOfBlocks(index));
			memcpy(bigger.bits, onchain.bits, onchain.nblocks / 8 + 1);
			pfree(onchain.bits);
			onchain = bigger;
		}
		if (!PgvqBlockSetAdd(&onchain, blkno))
			PgvqCheckCorrupted(index, blkno, "The data page chain reaches block %u twice (a cycle).",
							   blkno);
		buf = ReadBuffer(index, blkno);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		if (PageIsNew(page))
			PgvqCheckCorrupted(index, blkno, "The data page chain links to an uninitialized page.");
		FlatCheckDataPageHeader(index, page, blkno, meta.kind, meta.dims, &nblocks);
		next = FlatPageGetOpaque(page)->nextblkno;
		UnlockReleaseBuffer(buf);
		chainlen++;
		lastseen = blkno;
		blkno = next;
	}
	if (meta.first_blkno != InvalidBlockNumber)
	{
		if (!PgvqBlockSetHas(&onchain, meta.last_blkno))
			PgvqCheckCorrupted(index, FLAT_METAPAGE_BLKNO,
							   "The last data page %u is not on the chain (it ends at block %u).",
							   meta.last_blkno, lastseen);
		if (chainlen < meta.npages)
			PgvqCheckCorrupted(index, FLAT_METAPAGE_BLKNO,
							   "The chain has %u pages, the meta page counts %u.", chainlen, meta.npages);
	}
	for (i = 0; i < meta.nfree; i++)
		if (!PgvqBlockSetHas(&onchain, meta.free_blkno[i]))
			PgvqCheckCorrupted(index, FLAT_METAPAGE_BLKNO,
							   "Free-space hint %u names block %u, which is not on the data page chain.",
							   i, meta.free_blkno[i]);
	for (blkno = FLAT_METAPAGE_BLKNO + 1; blkno < datapages.nblocks; blkno++)
		if (PgvqBlockSetHas(&datapages, blkno) && !PgvqBlockSetHas(&onchain, blkno))
			PgvqCheckCorrupted(index, blkno,
							   "The data page is not on the chain: scans never read its entries.");
	pfree(datapages.bits);
	pfree(onchain.bits);
	state->entry_param = meta.dims;
}

/*
 * The heap TIDs of data page blkno (share-locked by the caller), after
 * verifying it: to recheck a duplicate.
 */
ItemPointer
FlatCheckPageTids(Relation index, Page page, BlockNumber blkno, int dims, int *n,
				  ptrdiff_t *stride)
{
	int			kind = FlatIndexKind(index);

	FlatVerifyDataPage(index, page, blkno, kind, dims);
	*stride = sizeof(ItemPointerData);
	if (kind == FLAT_KIND_SPARSE)
		return FlatSparsePageTids(index, page, blkno, dims, n);
	*n = FlatPageGetOpaque(page)->count;
	return FlatPageGetTids(page);
}
