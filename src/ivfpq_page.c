/*
 * ivfpq_page.c: page helpers of the ivfpq access method: page init and
 * verification on read, relation extension, the meta page, the directory,
 * reading a built index's immutable parts (meta, centroids, codebooks, list
 * start pages) for the backend-local cache (ivfpq_cache.c).
 */
#include "postgres.h"

#include <math.h>

#include "access/transam.h"
#include "access/generic_xlog.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "ivfpq.h"

const char *
IvfpqPageKindName(uint16 kind)
{
	switch (kind)
	{
		case IVFPQ_PAGE_META:
			return "meta";
		case IVFPQ_PAGE_CENTROID:
			return "centroid";
		case IVFPQ_PAGE_CODEBOOK:
			return "codebook";
		case IVFPQ_PAGE_DIRECTORY:
			return "directory";
		case IVFPQ_PAGE_LIST:
			return "list";
		case IVFPQ_PAGE_DELETED:
			return "deleted";
	}
	return "unknown";
}

void
IvfpqInitPage(Page page, uint16 kind, uint32 list)
{
	IvfpqPageOpaque opaque;

	PageInit(page, BLCKSZ, IVFPQ_SPECIAL_SIZE);
	opaque = IvfpqPageGetOpaque(page);
	opaque->nextblkno = InvalidBlockNumber;
	opaque->list = list;
	opaque->count = 0;
	opaque->flags = kind;
	opaque->gen = 0;
	opaque->page_id = IVFPQ_PAGE_ID;
	/* Contents start at a MAXALIGNed offset (same as PageGetContents) */
	((PageHeader) page)->pd_lower = IVFPQ_PAGE_HEADER;
}

/* Stamps a page with the generation of the structure it belongs to. */
void
IvfpqSetPageGen(Page page, uint32 gen)
{
	IvfpqPageGetOpaque(page)->gen = (uint16) gen;
}

/* The meta page's size on disk for an on-disk version (0: not one read). */
static Size
IvfpqMetaSize(uint32 version)
{
	if (version == IVFPQ_VERSION)
		return sizeof(IvfpqMetaPageData);
	return 0;
}

/* Copies a verified meta page into *meta. */
void
IvfpqCopyMeta(Page page, IvfpqMetaPageData *meta)
{
	MemSet(meta, 0, sizeof(*meta));
	memcpy(meta, IvfpqPageGetMeta(page), IvfpqMetaSize(IvfpqPageGetMeta(page)->version));
}

static void
IvfpqCorrupt(Relation index, BlockNumber blkno, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INDEX_CORRUPTED),
			 errmsg("index \"%s\" contains a corrupted page at block %u",
					RelationGetRelationName(index), blkno),
			 errdetail("%s", detail),
			 errhint("Please REINDEX it.")));
}

/*
 * What is wrong with a page read from disk, or NULL: the special area, the
 * page kind and the counts against pd_lower/pd_upper.  m is the code size
 * (list pages only).  Never raises; detail (len bytes) holds a formatted
 * message when one is needed.
 */
static const char *
IvfpqPageProblem(Page page, uint16 kind, int m, char *detail, size_t len)
{
	PageHeader	ph = (PageHeader) page;
	IvfpqPageOpaque opaque;

	if (PageIsNew(page))
		return "The page is empty (all zeros).";
	if (PageGetSpecialSize(page) != IVFPQ_SPECIAL_SIZE)
		return "The special area has the wrong size.";
	opaque = IvfpqPageGetOpaque(page);
	if (opaque->page_id != IVFPQ_PAGE_ID)
		return "The page id is not ivfpq's.";
	if (opaque->flags != kind)
	{
		snprintf(detail, len, "Expected a %s page, found kind %u.",
				 IvfpqPageKindName(kind), opaque->flags);
		return detail;
	}

	switch (kind)
	{
		case IVFPQ_PAGE_META:
			{
				IvfpqMetaPage meta = IvfpqPageGetMeta(page);

				if (meta->magicNumber != IVFPQ_MAGIC_NUMBER)
					return "Bad magic number in the meta page.";
				if (IvfpqMetaSize(meta->version) == 0)
				{
					snprintf(detail, len, "Unsupported on-disk version %u.", meta->version);
					return detail;
				}
				if (meta->dimensions < 1 || meta->dimensions > IVFPQ_MAX_DIM ||
					meta->lists < IVFPQ_MIN_LISTS || meta->lists > IVFPQ_MAX_LISTS ||
					meta->m < 1 || meta->m > IVFPQ_MAX_M || meta->dimensions % meta->m != 0 ||
					meta->nbits < IVFPQ_MIN_NBITS || meta->nbits > IVFPQ_MAX_NBITS ||
					(meta->metric != PGVQ_METRIC_L2 && meta->metric != PGVQ_METRIC_IP &&
					 meta->metric != PGVQ_METRIC_COSINE) ||
					meta->ndirPages < 1 ||
					meta->ndirPages != (meta->lists + IVFPQ_DIR_PER_PAGE - 1) / IVFPQ_DIR_PER_PAGE)
					return "The meta page holds out-of-range parameters.";
				if (ph->pd_lower != IVFPQ_PAGE_HEADER + IvfpqMetaSize(meta->version))
					return "pd_lower does not match the meta page size.";
				break;
			}
		case IVFPQ_PAGE_CENTROID:
		case IVFPQ_PAGE_CODEBOOK:
			if (opaque->count > IVFPQ_FLOATS_PER_PAGE ||
				ph->pd_lower != IVFPQ_PAGE_HEADER + opaque->count * sizeof(float))
				return "The float count does not match pd_lower.";
			break;
		case IVFPQ_PAGE_DIRECTORY:
			if (opaque->count > IVFPQ_DIR_PER_PAGE ||
				ph->pd_lower != IVFPQ_PAGE_HEADER + opaque->count * sizeof(IvfpqDirEntryData))
				return "The directory entry count does not match pd_lower.";
			break;
		case IVFPQ_PAGE_LIST:
			if (m < 1 || opaque->count > IvfpqListCapacity(m) ||
				ph->pd_lower != IVFPQ_PAGE_HEADER + (Size) opaque->count * m ||
				ph->pd_upper != BLCKSZ - IVFPQ_SPECIAL_SIZE - (Size) opaque->count * IVFPQ_SLOT_SIZE)
			{
				snprintf(detail, len,
						 "The entry count %u does not match pd_lower %u / pd_upper %u for %d-byte codes.",
						 opaque->count, ph->pd_lower, ph->pd_upper, m);
				return detail;
			}
			break;
	}
	return NULL;
}

/* IvfpqPageProblem, raised as index corruption (XX002). */
void
IvfpqCheckPage(Relation index, Page page, BlockNumber blkno, uint16 kind, int m)
{
	char		detail[160];
	const char *problem = IvfpqPageProblem(page, kind, m, detail, sizeof(detail));

	if (problem == NULL)
		return;
	/* an index of another format version is not damaged: it wants a REINDEX */
	if (kind == IVFPQ_PAGE_META && !PageIsNew(page) &&
		PageGetSpecialSize(page) == IVFPQ_SPECIAL_SIZE &&
		IvfpqPageGetOpaque(page)->page_id == IVFPQ_PAGE_ID &&
		IvfpqPageGetMeta(page)->magicNumber == IVFPQ_MAGIC_NUMBER &&
		IvfpqMetaSize(IvfpqPageGetMeta(page)->version) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("ivfpq index \"%s\" has on-disk format version %u, this pgvq reads version %u",
						RelationGetRelationName(index), IvfpqPageGetMeta(page)->version,
						IVFPQ_VERSION),
				 errhint("REINDEX the index (version 4 stores a distance term with every entry).")));
	IvfpqCorrupt(index, blkno, problem);
}


/* Reads and verifies the meta page into *meta. */
void
IvfpqReadMeta(Relation index, IvfpqMetaPageData *meta)
{
	Buffer		buf;
	Page		page;

	if (RelationGetNumberOfBlocks(index) == 0)
		IvfpqCorrupt(index, IVFPQ_METAPAGE_BLKNO, "The index has no meta page.");
	IvfpqMetaLockedHere(index, true);
	buf = ReadBuffer(index, IVFPQ_METAPAGE_BLKNO);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	IvfpqCheckPage(index, page, IVFPQ_METAPAGE_BLKNO, IVFPQ_PAGE_META, 0);
	IvfpqCopyMeta(page, meta);
	UnlockReleaseBuffer(buf);
}

/*
 * The meta page for the planner: false, raising nothing, when it cannot be
 * read or fails verification (the scan reports that).  RBM_ZERO_ON_ERROR
 * makes a page whose header Postgres rejects read as zeros (with Postgres'
 * WARNING) instead of raising; the zeros then fail verification here and in
 * every reader after.
 */
bool
IvfpqTryReadMeta(Relation index, IvfpqMetaPageData *meta)
{
	Buffer		buf;
	Page		page;
	char		detail[160];
	bool		ok;

	if (RelationGetNumberOfBlocks(index) == 0 || IvfpqMetaLockedHere(index, false))
		return false;
	buf = ReadBufferExtended(index, MAIN_FORKNUM, IVFPQ_METAPAGE_BLKNO, RBM_ZERO_ON_ERROR, NULL);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	ok = IvfpqPageProblem(page, IVFPQ_PAGE_META, 0, detail, sizeof(detail)) == NULL;
	if (ok)
		IvfpqCopyMeta(page, meta);
	UnlockReleaseBuffer(buf);
	return ok;
}

/*
 * A page (list, centroid, codebook or directory) of another generation than
 * the structure a scan or a cache load started on, or one already reclaimed:
 * a retrain switched structures and a VACUUM reclaimed the old pages while
 * this query still read them.  On a primary the
 * reclaim waits for every snapshot from before the switch, so only a standby
 * query (without hot_standby_feedback) sees it; it is refused rather than
 * read, so rows are never missed silently.
 */
void
IvfpqCheckPageGeneration(Relation index, Page page, BlockNumber blkno, uint32 gen)
{
	IvfpqPageOpaque opaque;

	if (PageIsNew(page) || PageGetSpecialSize(page) != IVFPQ_SPECIAL_SIZE)
		return;					/* IvfpqCheckPage reports it */
	opaque = IvfpqPageGetOpaque(page);
	if (opaque->page_id != IVFPQ_PAGE_ID ||
		(opaque->flags != IVFPQ_PAGE_DELETED && opaque->gen == (uint16) gen))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg("ivfpq index \"%s\" was retrained and block %u reclaimed while this query read it",
					RelationGetRelationName(index), blkno),
			 errhint("Run the query again. On a standby, hot_standby_feedback = on keeps the old "
					 "pages until such queries end.")));
}

/* Reads a chain of stream pages holding nfloats floats into out. */
static void
IvfpqReadStream(Relation index, BlockNumber blkno, uint16 kind, uint32 gen, Size nfloats,
				float *out)
{
	Size		done = 0;
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);

	while (done < nfloats)
	{
		Buffer		buf;
		Page		page;
		IvfpqPageOpaque opaque;

		if (blkno == InvalidBlockNumber || blkno >= nblocks)
			IvfpqCorrupt(index, blkno, "A centroid or codebook chain ends too early.");
		buf = ReadBuffer(index, blkno);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		IvfpqCheckPageGeneration(index, page, blkno, gen);
		IvfpqCheckPage(index, page, blkno, kind, 0);
		opaque = IvfpqPageGetOpaque(page);
		if (opaque->count == 0 || done + opaque->count > nfloats)
			IvfpqCorrupt(index, blkno, "A centroid or codebook page holds the wrong number of floats.");
		memcpy(out + done, PageGetContents(page), opaque->count * sizeof(float));
		done += opaque->count;
		blkno = opaque->nextblkno;
		UnlockReleaseBuffer(buf);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * Reads the immutable parts of a built index (see IvfpqCache) into a new
 * context "ivfpq cache" under parent, so that an error or a cancel partway
 * frees what was read with parent; the caller moves the context elsewhere
 * once it has the complete entry.  Polls for interrupts with no buffer locked.
 */
IvfpqCache *
IvfpqLoadCache(Relation index, const IvfpqMetaPageData *meta, MemoryContext parent)
{
	MemoryContext cxt;
	MemoryContext old;
	IvfpqCache *c;
	Size		ncent = (Size) meta->lists * meta->dimensions;
	Size		ncb;
	int			i;
	IvfpqColumnType colType = IvfpqGetColumnType(index);	/* may raise: first */

	cxt = AllocSetContextCreate(parent, "ivfpq cache", ALLOCSET_DEFAULT_SIZES);
	MemoryContextCopyAndSetIdentifier(cxt, RelationGetRelationName(index));
	old = MemoryContextSwitchTo(cxt);
	c = palloc0(sizeof(IvfpqCache));
	c->cxt = cxt;
	c->indexOid = RelationGetRelid(index);
	c->buildId = meta->buildId;
	c->meta = *meta;
	c->colType = colType;
	c->dsub = meta->dimensions / meta->m;
	c->ksub = 1 << meta->nbits;
	ncb = (Size) meta->m * c->ksub * c->dsub;

	c->centroids = MemoryContextAllocHuge(cxt, ncent * sizeof(float));
	IvfpqReadStream(index, meta->centroidStart, IVFPQ_PAGE_CENTROID, meta->generation, ncent,
					c->centroids);
	c->centroidNorms = palloc(sizeof(float) * meta->lists);
	for (i = 0; i < meta->lists; i++)
	{
		c->centroidNorms[i] = pgvq_fvec_norm_l2sqr(c->centroids + (Size) i * meta->dimensions,
												   meta->dimensions);
		CHECK_FOR_INTERRUPTS();
	}
	c->codebooks = MemoryContextAllocHuge(cxt, ncb * sizeof(float));
	IvfpqReadStream(index, meta->codebookStart, IVFPQ_PAGE_CODEBOOK, meta->generation, ncb,
					c->codebooks);
	c->codebooksT = MemoryContextAllocHuge(cxt, ncb * sizeof(float));
	pgvq_pq_transpose_codebooks(meta->dimensions, meta->m, meta->nbits, c->codebooks,
								c->codebooksT);
	c->rmax = pgvq_pq_max_reconstruction_norm(meta->dimensions, meta->m, meta->nbits, c->codebooks);

	c->startPages = palloc(sizeof(BlockNumber) * meta->lists);
	{
		BlockNumber nblocks = RelationGetNumberOfBlocks(index);
		int			p;

		for (p = 0; p < meta->ndirPages; p++)
		{
			BlockNumber blkno = meta->directoryStart + p;
			Buffer		buf;
			Page		page;
			IvfpqDirEntry entries;
			int			first = p * IVFPQ_DIR_PER_PAGE;
			int			n = Min(IVFPQ_DIR_PER_PAGE, meta->lists - first);

			if (blkno >= nblocks)
				IvfpqCorrupt(index, blkno, "The list directory lies past the end of the index.");
			buf = ReadBuffer(index, blkno);
			LockBuffer(buf, BUFFER_LOCK_SHARE);
			page = BufferGetPage(buf);
			IvfpqCheckPageGeneration(index, page, blkno, meta->generation);
			IvfpqCheckPage(index, page, blkno, IVFPQ_PAGE_DIRECTORY, 0);
			if (IvfpqPageGetOpaque(page)->count != n)
				IvfpqCorrupt(index, blkno, "A directory page holds the wrong number of entries.");
			entries = (IvfpqDirEntry) PageGetContents(page);
			for (i = 0; i < n; i++)
			{
				if (entries[i].startPage >= nblocks)
					IvfpqCorrupt(index, blkno, "A list starts past the end of the index.");
				c->startPages[first + i] = entries[i].startPage;
			}
			UnlockReleaseBuffer(buf);
			CHECK_FOR_INTERRUPTS();
		}
	}
	MemoryContextSwitchTo(old);
	return c;
}

/* The metric of the index's opclass (support function 1). */
int
IvfpqGetMetric(Relation index)
{
	FmgrInfo   *proc = index_getprocinfo(index, 1, IVFPQ_METRIC_PROC);
	int			metric = DatumGetInt32(FunctionCall1(proc, PointerGetDatum(NULL)));

	if (metric != PGVQ_METRIC_L2 && metric != PGVQ_METRIC_IP && metric != PGVQ_METRIC_COSINE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("ivfpq operator class support function returned an unknown metric %d", metric)));
	return metric;
}

/* The indexed column's dimensions, from its type modifier. */
int
IvfpqDimensions(Relation index)
{
	int			dims = TupleDescAttr(index->rd_att, 0)->atttypmod;

	if (dims < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("column does not have dimensions")));
	if (dims > IVFPQ_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("column cannot have more than %d dimensions for ivfpq index", IVFPQ_MAX_DIM)));
	return dims;
}

/* The list whose centroid is nearest (L2) to x. */
int
IvfpqNearestList(const IvfpqCache *cache, const float *x)
{
	int			d = cache->meta.dimensions;
	int			best = 0;
	float		bestDist = INFINITY;
	int			i;

	for (i = 0; i < cache->meta.lists; i++)
	{
		float		dist = pgvq_fvec_l2sqr(x, cache->centroids + (Size) i * d, d);

		if (dist < bestDist)
		{
			bestDist = dist;
			best = i;
		}
	}
	return best;
}

/*
 * Raises index corruption unless blkno is a block a chain of list `list` may
 * go on to after *hops steps; re-reads the index size into *nblocks when
 * blkno lies past it (inserts extend the index).
 */
void
IvfpqCheckChainStep(Relation index, int list, BlockNumber blkno, BlockNumber *nblocks, int *hops)
{
	if (blkno != InvalidBlockNumber && blkno >= *nblocks)
		*nblocks = RelationGetNumberOfBlocks(index);
	if (blkno == InvalidBlockNumber || blkno >= *nblocks || (*hops)++ > (int) *nblocks)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" has a broken chain for list %d at block %u",
						RelationGetRelationName(index), list, blkno)));
}

/* Reads (share lock) the directory entry of one list. */
void
IvfpqReadDirEntry(Relation index, const IvfpqMetaPageData *meta, int list, IvfpqDirEntryData *entry)
{
	BlockNumber blkno = meta->directoryStart + list / IVFPQ_DIR_PER_PAGE;
	int			slot = list % IVFPQ_DIR_PER_PAGE;
	Buffer		buf;
	Page		page;

	buf = ReadBuffer(index, blkno);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	IvfpqCheckPage(index, page, blkno, IVFPQ_PAGE_DIRECTORY, 0);
	if (slot >= IvfpqPageGetOpaque(page)->count)
		IvfpqCorrupt(index, blkno, "A directory page lacks an entry.");
	*entry = ((IvfpqDirEntry) PageGetContents(page))[slot];
	UnlockReleaseBuffer(buf);
}

/*
 * Points a list's insertPage at newPage: always when force, else only while
 * it still points at expectOld (VACUUM may have moved it back meanwhile, and
 * an older page of the chain is as good a start).  One generic WAL record.
 */
void
IvfpqSetInsertPage(Relation index, const IvfpqMetaPageData *meta, int list,
				   BlockNumber expectOld, BlockNumber newPage, bool force)
{
	BlockNumber blkno = meta->directoryStart + list / IVFPQ_DIR_PER_PAGE;
	int			slot = list % IVFPQ_DIR_PER_PAGE;
	Buffer		buf;
	Page		page;
	GenericXLogState *state;
	IvfpqDirEntry entries;

	buf = ReadBuffer(index, blkno);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	IvfpqCheckPage(index, BufferGetPage(buf), blkno, IVFPQ_PAGE_DIRECTORY, 0);
	if (slot >= IvfpqPageGetOpaque(BufferGetPage(buf))->count)
		IvfpqCorrupt(index, blkno, "A directory page lacks an entry.");
	entries = (IvfpqDirEntry) PageGetContents(BufferGetPage(buf));
	if (entries[slot].insertPage == newPage ||
		(!force && entries[slot].insertPage != expectOld))
	{
		UnlockReleaseBuffer(buf);
		return;
	}
	state = GenericXLogStart(index);
	page = GenericXLogRegisterBuffer(state, buf, 0);
	((IvfpqDirEntry) PageGetContents(page))[slot].insertPage = newPage;
	GenericXLogFinish(state);
	UnlockReleaseBuffer(buf);
}

ItemPointerData
IvfpqIdToTid(int64 id)
{
	ItemPointerData tid;

	ItemPointerSet(&tid, (BlockNumber) (id >> 16), (OffsetNumber) (id & 0xFFFF));
	return tid;
}

int64
IvfpqTidToId(ItemPointer tid)
{
	return ((int64) ItemPointerGetBlockNumberNoCheck(tid) << 16) |
		ItemPointerGetOffsetNumberNoCheck(tid);
}

/*
 * xid as a FullTransactionId, for a recent xid (not after the next one): in
 * the next full transaction id's epoch, or the one before when it is
 * numerically above the next one's low 32 bits.
 */
FullTransactionId
IvfpqFullXid(TransactionId xid)
{
	FullTransactionId next = ReadNextFullTransactionId();
	uint32		epoch = EpochFromFullTransactionId(next);

	if (!TransactionIdIsNormal(xid))
		return FullTransactionIdFromEpochAndXid(0, FirstNormalTransactionId);
	if (xid > XidFromFullTransactionId(next) && epoch > 0)
		epoch--;
	return FullTransactionIdFromEpochAndXid(epoch, xid);
}
