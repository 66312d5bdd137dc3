/*
 * flat.h: the flat index access method (exact nearest-neighbour search over
 * vectors stored densely in index pages).
 *
 * On-disk layout
 * --------------
 * Block 0 is the meta page (FlatMetaPageData right after the page header,
 * pd_lower just past it).  Every other page in use is a data page; data pages
 * form one singly linked chain (first_blkno -> ... -> last_blkno through the
 * special area's nextblkno).  Pages are never unlinked: VACUUM compacts them
 * in place and records pages with room in the meta page's free-space hints.
 *
 * The meta page's `kind` says what the entries hold, chosen from the operator
 * class's input type at build: FLAT_KIND_FLOAT (vector: float4, the field was
 * always 0 before the other kinds existed, so vector indexes read unchanged),
 * FLAT_KIND_HALF (halfvec: fp16 bit patterns), FLAT_KIND_BIT (bit: the bit
 * string's bytes, `dims` being its length in bits) and FLAT_KIND_SPARSE.
 *
 * A dense data page (every kind but sparse) holding `count` entries of a
 * `dims`-dimensional index, with capacity `cap` = FlatPageCapacity(kind,
 * dims), element bytes `eb` = FlatElemBytes(kind, dims) per entry and stride
 * = FlatCodeStride(kind, dims):
 *
 *   [PageHeader][vectors: count x eb bytes ........][hole][tids: cap][codes: cap x stride][special]
 *   ^0          ^FLAT_DATA_OFFSET                  ^pd_lower   ^pd_upper                 ^pd_special
 *
 *   - vectors: (count, dims) row-major, contiguous, so the SIMD kernels run
 *     over the page memory directly (pgvq_distances_1xn,
 *     pgvq_hvec_distances_1xn_f64, pgvq_bit_hamming).
 *   - tids[i] is the heap TID of vector i; the TID array has a fixed place
 *     (pd_upper = pd_special - cap * (sizeof(ItemPointerData) + stride)).
 *   - codes[i] is the compressed copy of vector i (pgvq_sq_header: range,
 *     error bound and norm, then dims 8-bit codes; PGVQ_SQ_STRIDE(dims)
 *     bytes), read by the scan's first pass: exact distances only for rows
 *     whose lower bound can still beat the current k-th (flat_scan.c).  An
 *     index of more than FLAT_MAX_SQ_DIM dimensions has no codes (stride 0;
 *     a page holds one such vector either way).  Only float entries have
 *     codes.
 *   - pd_lower = FLAT_DATA_OFFSET + count * eb exactly: generic WAL
 *     logs only [0, pd_lower) and [pd_upper, BLCKSZ) (tids and codes).
 *   - no IndexTuple headers, no line pointers.
 *
 * A sparse data page is an ordinary slotted page: line pointers from
 * pd_lower, one FlatSparseEntryData per item (heap TID, nnz, nnz indices,
 * nnz values) from pd_upper, added with PageAddItem and removed with
 * PageIndexMultiDelete; `count` mirrors the number of line pointers.
 *
 * Every page ends in FlatPageOpaqueData {nextblkno, flags, count, unused,
 * page_id}, page_id being the last two bytes of the page.  Every page read is
 * verified (page id, kind, special size, count, pd_lower/pd_upper); a bad page
 * raises ERRCODE_INDEX_CORRUPTED naming the block.
 *
 * Locking order (to avoid deadlocks): meta page -> data pages, data pages in
 * chain order; at most one data page is locked at a time except when the
 * chain is extended (meta -> last page -> new page).  Scans lock one data
 * page at a time (share) and never the meta page together with a data page.
 * VACUUM locks one data page at a time, then the meta page after releasing it.
 * The fast insert path locks a single data page and, if that page is full,
 * unlocks it before taking the meta lock.
 *
 * WAL: every change is generic-WAL-logged, at most 3 pages per record (meta,
 * last page, new page), each logical change in one record.  The build writes
 * pages with MarkBufferDirty and logs them with log_newpage_range at the end.
 */
#ifndef PGVQ_FLAT_H
#define PGVQ_FLAT_H

#include "postgres.h"

#include "access/amapi.h"
#include "access/generic_xlog.h"
#include "access/genam.h"
#include "access/reloptions.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "storage/bufmgr.h"
#include "storage/itemptr.h"
#include "utils/relcache.h"

#include "pgvq.h"
#include "vector.h"

#define FLAT_MAGIC_NUMBER		0x464C4154	/* "FLAT" */
#define FLAT_VERSION			2	/* 2: per-entry 8-bit codes (pgvq 0.1.0) */
#define FLAT_PAGE_ID			0xFF8A
#define FLAT_METAPAGE_BLKNO		0

/* page kinds (FlatPageOpaqueData.flags) */
#define FLAT_META				(1 << 0)
#define FLAT_DATA				(1 << 1)

/* strategies: one ordering operator per opclass, its number gives the metric */
#define FLAT_L2_STRATEGY		1	/* <->  PGVQ_METRIC_L2 */
#define FLAT_IP_STRATEGY		2	/* <#>  PGVQ_METRIC_IP */
#define FLAT_COSINE_STRATEGY	3	/* <=>  PGVQ_METRIC_COSINE */
#define FLAT_L1_STRATEGY		4	/* <+>  PGVQ_METRIC_L1 */
#define FLAT_HAMMING_STRATEGY	5	/* <~>  FLAT_METRIC_HAMMING (bit) */
#define FLAT_JACCARD_STRATEGY	6	/* <%>  FLAT_METRIC_JACCARD (bit) */
#define FLAT_NSTRATEGIES		6

/* the bit metrics, after the core's pgvq_metric values */
#define FLAT_METRIC_HAMMING		4
#define FLAT_METRIC_JACCARD		5

/* element kinds (FlatMetaPageData.kind) */
#define FLAT_KIND_FLOAT			0	/* vector */
#define FLAT_KIND_HALF			1	/* halfvec */
#define FLAT_KIND_BIT			2	/* bit */
#define FLAT_KIND_SPARSE		3	/* sparsevec */
#define FLAT_NKINDS				4

/* progress phases (1 is PROGRESS_CREATEIDX_SUBPHASE_INITIALIZE) */
#define FLAT_PHASE_LOAD			2

/* free-space hints kept in the meta page */
#define FLAT_MAX_FREE_HINTS		128

/* GUC default */
#define FLAT_DEFAULT_BATCH_SIZE 100
#define FLAT_MAX_BATCH_SIZE		(1 << 24)

typedef struct FlatPageOpaqueData
{
	BlockNumber nextblkno;		/* next data page, InvalidBlockNumber at the end */
	uint16		flags;			/* FLAT_META or FLAT_DATA */
	uint16		count;			/* entries on a data page, 0 on the meta page */
	uint16		unused1;
	uint16		unused2;
	uint16		unused3;
	uint16		page_id;		/* FLAT_PAGE_ID; the last two bytes of the page */
} FlatPageOpaqueData;

typedef FlatPageOpaqueData *FlatPageOpaque;

StaticAssertDecl(sizeof(FlatPageOpaqueData) == MAXALIGN(sizeof(FlatPageOpaqueData)),
				 "page_id must be the last two bytes of the page");

typedef struct FlatMetaPageData
{
	uint32		magic;			/* FLAT_MAGIC_NUMBER */
	uint32		version;		/* FLAT_VERSION */
	int32		dims;			/* 0 until the first vector is indexed */
	int32		metric;			/* pgvq_metric of the opclass (informational) */
	BlockNumber first_blkno;	/* first data page, Invalid if none */
	BlockNumber last_blkno;		/* last data page (where the chain grows) */
	uint32		npages;			/* data pages in the chain */
	uint32		kind;			/* FLAT_KIND_*: 0 (float) for vector */
	int64		ntuples;		/* entries (exact after build/vacuum, then
								 * maintained on chain growth only: approximate) */
	uint32		nfree;			/* used entries of free_blkno */
	BlockNumber free_blkno[FLAT_MAX_FREE_HINTS];	/* data pages with room */
} FlatMetaPageData;

typedef FlatMetaPageData *FlatMetaPage;

#define FLAT_DATA_OFFSET		MAXALIGN(SizeOfPageHeaderData)
#define FLAT_SPECIAL_SIZE		MAXALIGN(sizeof(FlatPageOpaqueData))
#define FLAT_PAGE_AVAIL			(BLCKSZ - FLAT_DATA_OFFSET - FLAT_SPECIAL_SIZE)
#define FLAT_ENTRY_SIZE(dims)	((Size) (dims) * sizeof(float) + sizeof(ItemPointerData))
/* the largest dimension count that fits one entry in a page, per kind */
#define FLAT_MAX_DIM			((int) ((FLAT_PAGE_AVAIL - sizeof(ItemPointerData)) / sizeof(float)))
#define FLAT_MAX_HALF_DIM		((int) ((FLAT_PAGE_AVAIL - sizeof(ItemPointerData)) / sizeof(uint16)))
#define FLAT_MAX_BIT_DIM		((int) ((FLAT_PAGE_AVAIL - sizeof(ItemPointerData)) * 8))
/*
 * Entries carry codes from 16 dimensions (below, 16 + d code bytes save little
 * or nothing over 4 d float bytes) up to the largest count whose entry still
 * fits a page with them (1626 with 8 kB pages).
 */
#define FLAT_MIN_SQ_DIM			16
#define FLAT_HAS_CODES(dims)	((dims) >= FLAT_MIN_SQ_DIM && \
								 FLAT_ENTRY_SIZE(dims) + PGVQ_SQ_STRIDE(dims) <= FLAT_PAGE_AVAIL)

/* One entry of a sparse data page (an item; nnz float values follow). */
typedef struct FlatSparseEntryData
{
	ItemPointerData tid;		/* heap TID */
	uint16		unused;			/* 0 */
	int32		nnz;			/* non-zero elements */
	int32		indices[FLEXIBLE_ARRAY_MEMBER]; /* 0-based, ascending */
} FlatSparseEntryData;

typedef FlatSparseEntryData *FlatSparseEntry;

#define FLAT_SPARSE_ENTRY_SIZE(nnz) \
	(offsetof(FlatSparseEntryData, indices) + (sizeof(int32) + sizeof(float)) * (Size) (nnz))
#define FlatSparseEntryValues(e) ((float *) ((e)->indices + (e)->nnz))
/* the most non-zero elements whose entry fits an empty page (1016 with 8 kB) */
#define FLAT_SPARSE_MAX_NNZ \
	((int) ((((FLAT_PAGE_AVAIL - sizeof(ItemIdData)) & ~((Size) (MAXIMUM_ALIGNOF - 1))) - \
			 offsetof(FlatSparseEntryData, indices)) / (sizeof(int32) + sizeof(float))))
/* the most entries a sparse page can hold (all with nnz 0) */
#define FLAT_SPARSE_MAX_ITEMS \
	((int) (FLAT_PAGE_AVAIL / (sizeof(ItemIdData) + MAXALIGN(FLAT_SPARSE_ENTRY_SIZE(0)))))

#define FlatPageGetOpaque(page) ((FlatPageOpaque) PageGetSpecialPointer(page))
#define FlatPageGetMeta(page)	((FlatMetaPage) PageGetContents(page))
#define FlatPageGetVectors(page) ((float *) ((char *) (page) + FLAT_DATA_OFFSET))
#define FlatPageGetElems(page)	((char *) (page) + FLAT_DATA_OFFSET)
#define FlatPageGetTids(page)	((ItemPointer) ((char *) (page) + ((PageHeader) (page))->pd_upper))

/* Bytes of one dense entry's elements (0 for sparse). */
static inline Size
FlatElemBytes(int kind, int dims)
{
	switch (kind)
	{
		case FLAT_KIND_HALF:
			return (Size) dims * sizeof(uint16);
		case FLAT_KIND_BIT:
			return ((Size) dims + 7) / 8;
		case FLAT_KIND_SPARSE:
			return 0;
		default:
			return (Size) dims * sizeof(float);
	}
}

/* Bytes of one entry's codes on a page, 0 if the index has none. */
static inline Size
FlatCodeStride(int kind, int dims)
{
	return kind == FLAT_KIND_FLOAT && FLAT_HAS_CODES(dims) ? PGVQ_SQ_STRIDE(dims) : 0;
}

/* Entries per dense page (dims > 0); the most items for a sparse one. */
static inline int
FlatPageCapacity(int kind, int dims)
{
	if (kind == FLAT_KIND_SPARSE)
		return FLAT_SPARSE_MAX_ITEMS;
	return (int) (FLAT_PAGE_AVAIL / (FlatElemBytes(kind, dims) + sizeof(ItemPointerData) +
									 FlatCodeStride(kind, dims)));
}

/* The codes of entry 0 (the page's pd_special is verified). */
static inline char *
FlatPageGetCodes(Page page, int dims)
{
	return (char *) page + ((PageHeader) page)->pd_special -
		(Size) FlatPageCapacity(FLAT_KIND_FLOAT, dims) * FlatCodeStride(FLAT_KIND_FLOAT, dims);
}

/* pd_upper of a dense data page */
static inline Size
FlatDenseUpper(int kind, int dims)
{
	return BLCKSZ - FLAT_SPECIAL_SIZE - (Size) FlatPageCapacity(kind, dims) *
		(sizeof(ItemPointerData) + FlatCodeStride(kind, dims));
}

/*
 * One value to index or to query with, of any kind, pointing into a
 * detoasted datum.
 */
typedef struct FlatValue
{
	int			dims;			/* dimensions (bits for bit) */
	int			nnz;			/* sparse: non-zero elements */
	const void *data;			/* float4[dims], uint16[dims], bytes, or sparse
								 * int32 indices[nnz] followed by float values[nnz] */
} FlatValue;

/* heap TID <-> the int64 id the core sorts by (TID order) */
static inline int64
FlatTidToId(ItemPointer tid)
{
	return ((int64) ItemPointerGetBlockNumberNoCheck(tid) << 16) |
		(int64) ItemPointerGetOffsetNumberNoCheck(tid);
}

static inline void
FlatIdToTid(int64 id, ItemPointer tid)
{
	ItemPointerSet(tid, (BlockNumber) (id >> 16), (OffsetNumber) (id & 0xFFFF));
}

/* A new buffer at the end of a fork, exclusively locked (pgvq.h). */
#define FlatNewBuffer(index, forknum) PgvqNewBuffer((index), (forknum))

/* scan state */
typedef struct FlatScanOpaqueData
{
	MemoryContext ctx;			/* lives from beginscan to endscan */
	int			dims;
	int			metric;
	int			kind;			/* FLAT_KIND_* of the index */
	FlatValue	qv;				/* the query (data in ctx) */
	bool		started;		/* a query vector was set by rescan */
	bool		exhausted;		/* every indexed row was returned */
	bool		nullquery;		/* NULL query vector: no rows */
	float	   *query;			/* dims floats (float kind) */
	size_t		batch;			/* top-k capacity of the next pass */
	pgvq_topk  *topk;			/* freed by the context's reset callback */
	MemoryContextCallback topk_cb;
	/* results of the current pass, ascending */
	double	   *res_dist;
	int64	   *res_id;
	size_t		res_n;
	size_t		res_pos;
	size_t		res_alloc;
	bool		res_full;		/* the pass filled the heap: more may follow */
	/* the last returned (distance, id) */
	double		last_dist;
	int64		last_id;
	/* the first pass (codes): used when the index has codes of our metric */
	bool		use_codes;
	pgvq_sq_query sqq;
	int64		n_entries;		/* entries seen by the current pass */
	int64		n_exact;		/* exact distances it computed */
	/* per-page scratch */
	double	   *page_dist;
	double	   *page_lb;
	int64	   *page_id;
	int			page_alloc;
} FlatScanOpaqueData;

typedef FlatScanOpaqueData *FlatScanOpaque;

extern int	flat_batch_size;

/* flat_handler.c */
extern bytea *flatoptions(Datum reloptions, bool validate);
extern void flatcostestimate(PlannerInfo *root, IndexPath *path, double loop_count,
							 Cost *indexStartupCost, Cost *indexTotalCost,
							 Selectivity *indexSelectivity, double *indexCorrelation,
							 double *indexPages);
extern char *flatbuildphasename(int64 phasenum);

/* flat_validate.c */
extern bool flatvalidate(Oid opclassoid);

/* flat_build.c */
extern IndexBuildResult *flatbuild(Relation heap, Relation index, IndexInfo *indexInfo);
extern void flatbuildempty(Relation index);

/* flat_insert.c */
extern bool flatinsert(Relation index, Datum *values, bool *isnull, ItemPointer heap_tid,
					   Relation heap, IndexUniqueCheck checkUnique, bool indexUnchanged,
					   IndexInfo *indexInfo);

/* flat_scan.c */
extern IndexScanDesc flatbeginscan(Relation index, int nkeys, int norderbys);
extern void flatrescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys);
extern bool flatgettuple(IndexScanDesc scan, ScanDirection dir);
extern void flatendscan(IndexScanDesc scan);

/* flat_vacuum.c */
extern IndexBulkDeleteResult *flatbulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
											 IndexBulkDeleteCallback callback, void *callback_state);
extern IndexBulkDeleteResult *flatvacuumcleanup(IndexVacuumInfo *info, IndexBulkDeleteResult *stats);

/* flat_page.c */
extern void FlatInitMetaPage(Page page, int kind, int dims, int metric);
extern void FlatInitDataPage(Page page, int kind, int dims);
extern void FlatVerifyMetaPage(Relation index, Page page);
pg_noreturn extern void FlatCorrupted(Relation index, BlockNumber blkno, const char *detail);
extern Buffer FlatReadNamedPage(Relation index, BlockNumber blkno);
extern void FlatVerifyDataPage(Relation index, Page page, BlockNumber blkno, int kind, int dims);
extern void FlatReadMeta(Relation index, FlatMetaPageData *meta);
extern bool FlatPageHasRoom(Page page, int kind, int dims, const FlatValue *v);
extern void FlatPageAppend(Page page, int kind, int dims, int metric, const FlatValue *v,
						   ItemPointer tid);
extern void FlatPageSetCount(Page page, int kind, int dims, int count);
extern int	FlatGetMetric(Relation index);
extern int	FlatMetricFromStrategy(StrategyNumber strategy);
extern int	FlatTypmodDims(Relation index);

/* flat_kinds.c */
extern int	FlatIndexKind(Relation index);
extern int	FlatMaxDims(int kind);
extern int	FlatCheckDims(Relation index, int kind, int dims);
extern void FlatGetValue(int kind, Datum value, FlatValue *out);
extern void FlatCheckValue(Relation index, int kind, int index_dims, const FlatValue *v,
						   bool build);
pg_noreturn extern void FlatDimsMismatch(int kind, int index_dims, int dims);
extern Size FlatValueSize(int kind, const FlatValue *v);
extern void FlatCopyValue(int kind, const FlatValue *v, FlatValue *copy);
extern void FlatPageDistances(FlatScanOpaque so, Relation index, BlockNumber blkno, Page page);
extern double FlatOrderValue(int metric, double d);

/* flat_sparse.c */
extern const char *FlatSparsePageProblem(Page page);
extern FlatSparseEntry FlatSparseGetEntry(Relation index, Page page, BlockNumber blkno,
										  OffsetNumber off, int dims);
extern const char *FlatSparseEntryProblem(FlatSparseEntry e, int dims);
extern bool FlatSparseHasRoom(Page page, const FlatValue *v);
extern void FlatSparseAppend(Page page, const FlatValue *v, ItemPointer tid);
extern int	FlatSparseVacuumPage(Relation index, Page page, BlockNumber blkno, int dims,
								 const bool *dead);
extern ItemPointer FlatSparsePageTids(Relation index, Page page, BlockNumber blkno, int dims, int *n);

#endif							/* PGVQ_FLAT_H */
