/*
 * flat_page.c: page initialisation, verification and entry helpers for the
 * flat access method.
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/pg_type.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "flat.h"

void
FlatInitMetaPage(Page page, int kind, int dims, int metric)
{
	FlatPageOpaque opaque;
	FlatMetaPage meta;

	PageInit(page, BLCKSZ, FLAT_SPECIAL_SIZE);
	opaque = FlatPageGetOpaque(page);
	opaque->nextblkno = InvalidBlockNumber;
	opaque->flags = FLAT_META;
	opaque->page_id = FLAT_PAGE_ID;

	meta = FlatPageGetMeta(page);
	memset(meta, 0, sizeof(FlatMetaPageData));
	meta->magic = FLAT_MAGIC_NUMBER;
	meta->version = FLAT_VERSION;
	meta->dims = dims;
	meta->metric = metric;
	meta->kind = (uint32) kind;
	meta->first_blkno = InvalidBlockNumber;
	meta->last_blkno = InvalidBlockNumber;
	((PageHeader) page)->pd_lower = ((char *) meta + sizeof(FlatMetaPageData)) - (char *) page;
}

void
FlatInitDataPage(Page page, int kind, int dims)
{
	FlatPageOpaque opaque;

	Assert(dims > 0);
	PageInit(page, BLCKSZ, FLAT_SPECIAL_SIZE);
	opaque = FlatPageGetOpaque(page);
	opaque->nextblkno = InvalidBlockNumber;
	opaque->flags = FLAT_DATA;
	opaque->count = 0;
	opaque->page_id = FLAT_PAGE_ID;
	if (kind == FLAT_KIND_SPARSE)
		return;					/* an empty slotted page */
	((PageHeader) page)->pd_lower = FLAT_DATA_OFFSET;
	((PageHeader) page)->pd_upper = FlatDenseUpper(kind, dims);
}

void
FlatCorrupted(Relation index, BlockNumber blkno, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INDEX_CORRUPTED),
			 errmsg("flat index \"%s\" contains a corrupted page at block %u",
					RelationGetRelationName(index), blkno),
			 errdetail("%s", detail),
			 errhint("Please REINDEX it.")));
}

static void
FlatVerifyCommon(Relation index, Page page, BlockNumber blkno, uint16 kind)
{
	PageHeader	ph = (PageHeader) page;

	if (PageIsNew(page))
		FlatCorrupted(index, blkno, "The page is uninitialized.");
	if (ph->pd_special != BLCKSZ - FLAT_SPECIAL_SIZE)
		FlatCorrupted(index, blkno, "The special area has the wrong size.");
	if (FlatPageGetOpaque(page)->page_id != FLAT_PAGE_ID)
		FlatCorrupted(index, blkno, "The page id is wrong.");
	if (FlatPageGetOpaque(page)->flags != kind)
		FlatCorrupted(index, blkno,
					  kind == FLAT_META ? "The page is not a meta page." : "The page is not a data page.");
}

void
FlatVerifyMetaPage(Relation index, Page page)
{
	FlatMetaPage meta;
	uint32		i;

	FlatVerifyCommon(index, page, FLAT_METAPAGE_BLKNO, FLAT_META);
	meta = FlatPageGetMeta(page);
	if (meta->magic != FLAT_MAGIC_NUMBER)
		FlatCorrupted(index, FLAT_METAPAGE_BLKNO, "The meta page has a bad magic number.");
	if (meta->version != FLAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("flat index \"%s\" has unsupported on-disk version %u",
						RelationGetRelationName(index), meta->version),
				 errdetail("This version of pgvq reads flat indexes of version %u only.",
						   FLAT_VERSION),
				 errhint("Rebuild it with REINDEX INDEX %s.",
						 quote_identifier(RelationGetRelationName(index)))));
	if (meta->kind != (uint32) FlatIndexKind(index))
		FlatCorrupted(index, FLAT_METAPAGE_BLKNO,
					  "The meta page's element kind does not match the operator class.");
	if (meta->dims < 0 || meta->dims > FlatMaxDims(meta->kind) || meta->nfree > FLAT_MAX_FREE_HINTS ||
		((PageHeader) page)->pd_lower < MAXALIGN(SizeOfPageHeaderData) + sizeof(FlatMetaPageData))
		FlatCorrupted(index, FLAT_METAPAGE_BLKNO, "The meta page has impossible values.");
	if ((meta->first_blkno == InvalidBlockNumber) != (meta->last_blkno == InvalidBlockNumber) ||
		meta->first_blkno == FLAT_METAPAGE_BLKNO || meta->last_blkno == FLAT_METAPAGE_BLKNO ||
		(meta->first_blkno != InvalidBlockNumber && meta->dims == 0))
		FlatCorrupted(index, FLAT_METAPAGE_BLKNO, "The meta page has a bad data page chain.");
	/* the insert slow path locks hinted pages under the meta lock: never block 0 */
	for (i = 0; i < meta->nfree; i++)
		if (meta->free_blkno[i] == FLAT_METAPAGE_BLKNO || meta->free_blkno[i] == InvalidBlockNumber)
			FlatCorrupted(index, FLAT_METAPAGE_BLKNO, "The meta page has a bad free-space hint.");
}

void
FlatVerifyDataPage(Relation index, Page page, BlockNumber blkno, int kind, int dims)
{
	PageHeader	ph = (PageHeader) page;
	FlatPageOpaque opaque;
	int			cap;

	FlatVerifyCommon(index, page, blkno, FLAT_DATA);
	if (dims <= 0 || dims > FlatMaxDims(kind))
		FlatCorrupted(index, blkno, "The index has no valid dimension count.");
	cap = FlatPageCapacity(kind, dims);
	opaque = FlatPageGetOpaque(page);
	if (opaque->count > cap)
		FlatCorrupted(index, blkno, "The entry count exceeds the page capacity.");
	if (kind == FLAT_KIND_SPARSE)
	{
		const char *problem = FlatSparsePageProblem(page);

		if (problem != NULL)
			FlatCorrupted(index, blkno, problem);
	}
	else
	{
		if (ph->pd_lower != FLAT_DATA_OFFSET + (Size) opaque->count * FlatElemBytes(kind, dims))
			FlatCorrupted(index, blkno, "pd_lower does not match the entry count.");
		if (ph->pd_upper != FlatDenseUpper(kind, dims))
			FlatCorrupted(index, blkno, "pd_upper does not match the page capacity.");
	}
	if (opaque->nextblkno == blkno || opaque->nextblkno == FLAT_METAPAGE_BLKNO)
		FlatCorrupted(index, blkno, "The page links to itself or to the meta page.");
	/* code headers and sparse items are checked where they are read */
}

/*
 * Copies the meta page's contents (verified) into *meta.
 */
void
FlatReadMeta(Relation index, FlatMetaPageData *meta)
{
	Buffer		buf;
	Page		page;

	buf = ReadBuffer(index, FLAT_METAPAGE_BLKNO);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	FlatVerifyMetaPage(index, page);
	memcpy(meta, FlatPageGetMeta(page), sizeof(FlatMetaPageData));
	UnlockReleaseBuffer(buf);
}

/* Whether a (verified) data page has room for v. */
bool
FlatPageHasRoom(Page page, int kind, int dims, const FlatValue *v)
{
	if (kind == FLAT_KIND_SPARSE)
		return FlatSparseHasRoom(page, v);
	return FlatPageGetOpaque(page)->count < FlatPageCapacity(kind, dims);
}

/*
 * Appends one entry to a (verified) data page that has room, with its codes
 * for the index's metric (float entries); keeps pd_lower exact.
 */
void
FlatPageAppend(Page page, int kind, int dims, int metric, const FlatValue *v, ItemPointer tid)
{
	FlatPageOpaque opaque = FlatPageGetOpaque(page);
	int			n = opaque->count;
	Size		eb = FlatElemBytes(kind, dims);

	if (kind == FLAT_KIND_SPARSE)
	{
		FlatSparseAppend(page, v, tid);
		return;
	}
	Assert(n < FlatPageCapacity(kind, dims));
	memcpy(FlatPageGetElems(page) + (Size) n * eb, v->data, eb);
	FlatPageGetTids(page)[n] = *tid;
	if (FlatCodeStride(kind, dims) > 0)
		pgvq_sq_encode(metric, (size_t) dims, (const float *) v->data,
					   FlatPageGetCodes(page, dims) + (Size) n * FlatCodeStride(kind, dims));
	FlatPageSetCount(page, kind, dims, n + 1);
}

/* The entry count of a dense page, pd_lower kept exact. */
void
FlatPageSetCount(Page page, int kind, int dims, int count)
{
	FlatPageGetOpaque(page)->count = (uint16) count;
	((PageHeader) page)->pd_lower = FLAT_DATA_OFFSET + (Size) count * FlatElemBytes(kind, dims);
}

int
FlatMetricFromStrategy(StrategyNumber strategy)
{
	switch (strategy)
	{
		case FLAT_L2_STRATEGY:
			return PGVQ_METRIC_L2;
		case FLAT_IP_STRATEGY:
			return PGVQ_METRIC_IP;
		case FLAT_COSINE_STRATEGY:
			return PGVQ_METRIC_COSINE;
		case FLAT_L1_STRATEGY:
			return PGVQ_METRIC_L1;
		case FLAT_HAMMING_STRATEGY:
			return FLAT_METRIC_HAMMING;
		case FLAT_JACCARD_STRATEGY:
			return FLAT_METRIC_JACCARD;
	}
	elog(ERROR, "unexpected flat strategy number %d", strategy);
	return -1;					/* keep compiler quiet */
}

/*
 * The metric of the index's opclass: the strategy number of its one ordering
 * operator.
 */
int
FlatGetMetric(Relation index)
{
	Oid			opfamily = index->rd_opfamily[0];
	Oid			opcintype = index->rd_opcintype[0];
	StrategyNumber s;

	for (s = 1; s <= FLAT_NSTRATEGIES; s++)
		if (OidIsValid(get_opfamily_member(opfamily, opcintype, opcintype, s)))
			return FlatMetricFromStrategy(s);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
			 errmsg("operator class of flat index \"%s\" has no ordering operator",
					RelationGetRelationName(index))));
	return -1;
}

/*
 * The dimension count the index column's type modifier fixes, or 0 (no
 * typmod, or bit varying, whose typmod is only a maximum length).
 */
int
FlatTypmodDims(Relation index)
{
	Form_pg_attribute att = TupleDescAttr(RelationGetDescr(index), 0);

	if (att->atttypmod <= 0 || att->atttypid == VARBITOID)
		return 0;
	return att->atttypmod;
}

/*
 * Reads a data page that the meta page names (a free-space hint or the last
 * page) for an insert: a block past the end of the index is corruption of
 * the meta page (XX002), not an I/O error.
 */
Buffer
FlatReadNamedPage(Relation index, BlockNumber blkno)
{
	if (blkno >= RelationGetNumberOfBlocks(index))
	{
		char		detail[128];

		snprintf(detail, sizeof(detail),
				 "The meta page names data page %u, past the end of the index.", blkno);
		FlatCorrupted(index, FLAT_METAPAGE_BLKNO, detail);
	}
	return ReadBuffer(index, blkno);
}
