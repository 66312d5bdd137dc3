/*
 * flat_sparse.c: the data pages of a sparse (sparsevec) flat index: ordinary
 * slotted pages, one FlatSparseEntryData item per entry (flat.h).  The page
 * header is verified on every read (FlatSparsePageProblem) and each item
 * before it is used (FlatSparseGetEntry): its bounds, its size against its
 * nnz, nnz against the limits.
 */
#include "postgres.h"

#include <math.h>

#include "storage/bufpage.h"
#include "utils/rel.h"

#include "flat.h"

/* What is wrong with a sparse data page's header, or NULL. */
const char *
FlatSparsePageProblem(Page page)
{
	PageHeader	ph = (PageHeader) page;
	int			count = FlatPageGetOpaque(page)->count;

	if (ph->pd_lower != SizeOfPageHeaderData + (Size) count * sizeof(ItemIdData))
		return "pd_lower does not match the entry count.";
	if (ph->pd_upper < ph->pd_lower || ph->pd_upper > ph->pd_special)
		return "pd_upper is outside the page's free space.";
	return NULL;
}

/* What is wrong with a sparse entry's contents, or NULL. */
const char *
FlatSparseEntryProblem(FlatSparseEntry e, int dims)
{
	const float *x = FlatSparseEntryValues(e);
	int			i;

	for (i = 0; i < e->nnz; i++)
	{
		if (e->indices[i] < 0 || e->indices[i] >= dims ||
			(i > 0 && e->indices[i] <= e->indices[i - 1]))
			return "An entry's indices are not ascending within the dimensions.";
		if (!isfinite(x[i]) || x[i] == 0.0f)
			return "An entry holds a zero or non-finite value.";
	}
	return NULL;
}

/*
 * Item off (1-based) of a verified sparse data page, its bounds and size
 * checked.
 */
FlatSparseEntry
FlatSparseGetEntry(Relation index, Page page, BlockNumber blkno, OffsetNumber off, int dims)
{
	PageHeader	ph = (PageHeader) page;
	ItemId		iid = PageGetItemId(page, off);
	FlatSparseEntry e;

	if (!ItemIdIsNormal(iid) || ItemIdGetOffset(iid) < ph->pd_upper ||
		ItemIdGetLength(iid) < FLAT_SPARSE_ENTRY_SIZE(0) ||
		ItemIdGetOffset(iid) + ItemIdGetLength(iid) > ph->pd_special ||
		ItemIdGetOffset(iid) != MAXALIGN(ItemIdGetOffset(iid)))
		FlatCorrupted(index, blkno, "An item pointer is out of bounds.");
	e = (FlatSparseEntry) PageGetItem(page, iid);
	if (e->nnz < 0 || e->nnz > FLAT_SPARSE_MAX_NNZ || e->nnz > dims ||
		ItemIdGetLength(iid) != FLAT_SPARSE_ENTRY_SIZE(e->nnz))
		FlatCorrupted(index, blkno, "An entry's size does not match its element count.");
	return e;
}

/* Whether a verified sparse page has room for v's entry. */
bool
FlatSparseHasRoom(Page page, const FlatValue *v)
{
	return FlatPageGetOpaque(page)->count < FLAT_SPARSE_MAX_ITEMS &&
		PageGetFreeSpace(page) >= MAXALIGN(FLAT_SPARSE_ENTRY_SIZE(v->nnz));
}

/* Adds v's entry to a sparse page that has room. */
void
FlatSparseAppend(Page page, const FlatValue *v, ItemPointer tid)
{
	Size		size = FLAT_SPARSE_ENTRY_SIZE(v->nnz);
	FlatSparseEntry e = (FlatSparseEntry) palloc0(size);

	e->tid = *tid;
	e->nnz = v->nnz;
	memcpy(e->indices, v->data, FlatValueSize(FLAT_KIND_SPARSE, v));
	if (PageAddItem(page, (Item) e, size, InvalidOffsetNumber, false, false) == InvalidOffsetNumber)
		elog(ERROR, "failed to add an entry to a flat index page");
	FlatPageGetOpaque(page)->count = PageGetMaxOffsetNumber(page);
	pfree(e);
}

/*
 * Removes the entries marked dead[i] (entry i is item i + 1) from a sparse
 * page (the generic WAL copy); returns the entries left.
 */
int
FlatSparseVacuumPage(Relation index, Page page, BlockNumber blkno, int dims, const bool *dead)
{
	int			n = FlatPageGetOpaque(page)->count;
	OffsetNumber *offs = palloc(sizeof(OffsetNumber) * Max(n, 1));
	int			ndead = 0;
	int			i;

	for (i = 0; i < n; i++)
		if (dead[i])
			offs[ndead++] = (OffsetNumber) (i + 1);
	if (ndead > 0)
		PageIndexMultiDelete(page, offs, ndead);
	pfree(offs);
	FlatPageGetOpaque(page)->count = PageGetMaxOffsetNumber(page);
	return FlatPageGetOpaque(page)->count;
}

/* The heap TIDs of a verified sparse page, in a palloc'd array. */
ItemPointer
FlatSparsePageTids(Relation index, Page page, BlockNumber blkno, int dims, int *n)
{
	int			count = FlatPageGetOpaque(page)->count;
	ItemPointer tids = palloc(sizeof(ItemPointerData) * Max(count, 1));
	int			i;

	for (i = 0; i < count; i++)
		tids[i] = FlatSparseGetEntry(index, page, blkno, (OffsetNumber) (i + 1), dims)->tid;
	*n = count;
	return tids;
}
