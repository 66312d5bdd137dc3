/*
 * ivfpq.h: the ivfpq index access method (inverted lists of product-quantization
 * codes with exact re-ranking).  Every on-disk structure, constant and
 * prototype of src/ivfpq_*.c lives here.
 *
 * On-disk layout (all pages end in an IvfpqPageOpaqueData special area):
 *
 *   block 0                IvfpqMetaPageData
 *   centroid chain         (lists, d) float32 coarse centroids, as one byte
 *                          stream cut into pages (a centroid may span pages)
 *   codebook chain         (m, ksub, dsub) float32 PQ codebooks, same stream form
 *   directory chain        IvfpqDirEntryData[lists], IVFPQ_DIR_PER_PAGE a page
 *   list pages             one chain per list (see below)
 *
 * A list page packs fixed-size entries bloom-style, codes and slots apart so
 * scans read the codes of a page as one contiguous (count, m) uint8 array:
 *
 *   [PageHeader][code 0][code 1]...[code n-1]   <- pd_lower
 *                        ...free...
 *   pd_upper -> [slot n-1]...[slot 1][slot 0][special]
 *
 * A slot is 12 bytes: the heap TID (6), the entry's error code (uint16): e =
 * |x - x^| between the indexed vector and its reconstruction (centroid plus
 * decoded residual), rounded up to a log-scale code (pgvq_err_encode), and
 * (version 4) the entry's term T = |r^|^2 + 2 <c, r^> (float4, native byte
 * order, unaligned: read with memcpy) of its decoded residual r^ and list
 * centroid c, so that an L2 or cosine scan needs one table per query,
 * |q - x^|^2 = |q - c|^2 + T - 2 <q, r^> (pgvq_pq_entry_terms; inner-product
 * indexes store it too, and their scans ignore it).  Scans turn a code's ADC
 * value and e into a lower bound of the operator's value and re-rank in bound
 * order (ivfpq_scan.c).
 *
 * pd_lower = header + count * m and pd_upper = special - count * 12 are kept
 * exact, so generic WAL (which logs [0, pd_lower) and [pd_upper, BLCKSZ)) and
 * the full-page-image hole both see every byte that matters.
 *
 * Centroids, codebooks and the directory's start pages never change after a
 * build or a retrain; only a directory entry's insertPage, list pages and
 * their chain links change later.  A retrain (ivfpq_retrain.c) writes a whole
 * new structure (centroids, codebooks, directory, lists) of a new generation
 * beside the old one and switches the meta page to it in one WAL record; the
 * old generation's pages are reclaimed by a later VACUUM once no snapshot
 * older than the switch is left (ivfpq_reclaim.c).  Every page carries the
 * generation of the structure it belongs to (IvfpqPageOpaqueData.gen).
 *
 * Lock order (never take an earlier kind while holding a later one):
 *   meta page -> directory pages in block order -> list pages along a chain
 *   (a page before its successor).  Inserts and VACUUM release list pages
 *   before they update a directory entry, so at most one buffer lock of a
 *   later kind is held while none of an earlier kind is requested.
 *
 * Metrics: L2 and inner product index the raw vectors; cosine indexes the
 * normalised vectors (zero vectors are not indexed, like pgvector).  Coarse
 * lists are always trained and assigned by L2 (balanced lists); residuals
 * r = x - c are product-quantized.  Scans use one list-independent table for
 * q: L2 and cosine add the list's bias |q - c|^2 and each entry's T, inner
 * product the list's bias -<q, c>; inner product scans probe the lists with the largest <q, c> (the expected
 * inner product of a list's members).
 */
#ifndef IVFPQ_H
#define IVFPQ_H

#include "postgres.h"

#include "access/amapi.h"
#include "access/genam.h"
#include "access/generic_xlog.h"
#include "access/transam.h"
#include "lib/ilist.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "storage/bufmgr.h"
#include "storage/itemptr.h"
#include "utils/relcache.h"

#include "pgvq.h"
#include "vector.h"

/* ---- constants ---------------------------------------------------------- */

#define IVFPQ_MAGIC_NUMBER		0x49565051	/* "IVFQ" */
/* 2: error codes in the slots; 3: retraining; 4: a term T in the slots.  The
 * only version read: older list pages have no T (REINDEX them). */
#define IVFPQ_VERSION			4
#define IVFPQ_PAGE_ID			0xFF8A	/* last two bytes of every page */

#define IVFPQ_METAPAGE_BLKNO	0

/* Page kinds (IvfpqPageOpaqueData.flags) */
#define IVFPQ_PAGE_META			1
#define IVFPQ_PAGE_CENTROID		2
#define IVFPQ_PAGE_CODEBOOK		3
#define IVFPQ_PAGE_DIRECTORY	4
#define IVFPQ_PAGE_LIST			5
#define IVFPQ_PAGE_DELETED		6	/* reclaimed: in the free space map */

/* Options */
#define IVFPQ_MIN_LISTS			1
#define IVFPQ_MAX_LISTS			32768
#define IVFPQ_MIN_NBITS			4
#define IVFPQ_MAX_NBITS			8
#define IVFPQ_DEFAULT_NBITS		8
#define IVFPQ_MAX_M				4096
#define IVFPQ_MAX_DIM			16000

/* Support function: returns the opclass' metric (a pgvq_metric) */
#define IVFPQ_METRIC_PROC		1
#define IVFPQ_NPROCS			1

/* Build phases (pg_stat_progress_create_index.phase; 1 is "initializing") */
#define PROGRESS_IVFPQ_PHASE_SAMPLE		2
#define PROGRESS_IVFPQ_PHASE_KMEANS		3
#define PROGRESS_IVFPQ_PHASE_PQ			4
#define PROGRESS_IVFPQ_PHASE_ENCODE		5
#define PROGRESS_IVFPQ_PHASE_LOAD		6

/* Rows per batch handed to the core when encoding */
#define IVFPQ_ENCODE_BATCH		4096

/* ---- on-disk structs ------------------------------------------------------ */

/* Special area of every page; page_id is the last two bytes of the page. */
typedef struct IvfpqPageOpaqueData
{
	BlockNumber nextblkno;		/* next page of this chain, or Invalid */
	uint32		list;			/* list number (list pages), else 0 */
	uint16		count;			/* entries (list, directory) or bytes/4
								 * (stream pages: floats on the page) */
	uint16		flags;			/* IVFPQ_PAGE_* */
	uint16		gen;			/* the generation of the structure it belongs to */
	uint16		page_id;		/* IVFPQ_PAGE_ID */
} IvfpqPageOpaqueData;

typedef IvfpqPageOpaqueData *IvfpqPageOpaque;

#define IvfpqPageGetOpaque(page) ((IvfpqPageOpaque) PageGetSpecialPointer(page))

/* Block 0, right after the page header; pd_lower just past it. */
typedef struct IvfpqMetaPageData
{
	uint32		magicNumber;	/* IVFPQ_MAGIC_NUMBER */
	uint32		version;		/* IVFPQ_VERSION */
	uint64		buildId;		/* random per build: keys the backend cache */
	int32		dimensions;		/* d */
	int32		lists;			/* number of inverted lists */
	int32		m;				/* sub-quantizers; d % m == 0 */
	int32		nbits;			/* bits per sub-quantizer code (4..8) */
	int32		metric;			/* pgvq_metric: L2, IP or COSINE */
	int32		trained;		/* 0: built on no rows (exact fallback) */
	BlockNumber centroidStart;	/* first page of the centroid stream */
	BlockNumber codebookStart;	/* first page of the codebook stream */
	BlockNumber directoryStart; /* first directory page */
	int32		ndirPages;		/* directory pages (consecutive blocks) */
	int64		buildTuples;	/* rows indexed by the build (or retrain) */
	/* retraining fields (since version 3) */
	uint32		generation;		/* pages of the live structure carry it */
	uint32		flags;			/* IVFPQ_META_* */
	uint64		reclaimXid;		/* FullTransactionId of the last switch while
								 * pages of older generations wait to be
								 * reclaimed; 0 when none wait */
	float4		trainImbalance; /* the lists' imbalance right after training */
	uint32		unused;
	uint64		switchHorizon;	/* FullTransactionId: the primary's removal
								 * horizon at the last retrain's switch (rows
								 * dead before it were left out); 0: none */
} IvfpqMetaPageData;

/* IvfpqMetaPageData.flags: pages of other generations may exist (a sweep frees them) */
#define IVFPQ_META_OTHER_GENS	1

typedef IvfpqMetaPageData *IvfpqMetaPage;

#define IvfpqPageGetMeta(page)	((IvfpqMetaPage) PageGetContents(page))

/* Directory entry: where list i starts and where inserts go. */
typedef struct IvfpqDirEntryData
{
	BlockNumber startPage;		/* first page of the list (never changes) */
	BlockNumber insertPage;		/* a page of the chain to start inserts at */
} IvfpqDirEntryData;

typedef IvfpqDirEntryData *IvfpqDirEntry;

#define IVFPQ_PAGE_HEADER		MAXALIGN(SizeOfPageHeaderData)
#define IVFPQ_SPECIAL_SIZE		MAXALIGN(sizeof(IvfpqPageOpaqueData))
#define IVFPQ_PAGE_CAPACITY		(BLCKSZ - IVFPQ_PAGE_HEADER - IVFPQ_SPECIAL_SIZE)
#define IVFPQ_DIR_PER_PAGE		((int) (IVFPQ_PAGE_CAPACITY / sizeof(IvfpqDirEntryData)))
/* Floats per stream page (centroids, codebooks). */
#define IVFPQ_FLOATS_PER_PAGE	((int) (IVFPQ_PAGE_CAPACITY / sizeof(float)))
/* A list entry's slot: heap TID, error code, term T */
#define IVFPQ_SLOT_SIZE			12
StaticAssertDecl(sizeof(ItemPointerData) + sizeof(uint16) + sizeof(float4) <= IVFPQ_SLOT_SIZE,
				 "a TID, an error code and a term fit a slot");
/*
 * The largest m a build accepts (with IVFPQ_MAX_M): PAGE_CAPACITY / 9 = 905,
 * the bound of versions 2 and 3 (IvfpqListCapacity(1) with 8-byte slots),
 * kept as it was so that the wider slots of version 4 refuse no m they took.
 */
#define IVFPQ_MAX_CODE_M		((int) (IVFPQ_PAGE_CAPACITY / 9))
/* Entries per list page for m-byte codes. */
#define IvfpqListCapacity(m)	((int) Min(IVFPQ_PAGE_CAPACITY / ((m) + IVFPQ_SLOT_SIZE), PG_UINT16_MAX))
/* Bytes of an entry in a build's memory and spill files: code, error code, term */
#define IvfpqEntryCodeSize(m)	((m) + (int) sizeof(uint16) + (int) sizeof(float4))

/* Pointers into a list page */
#define IvfpqListCodes(page)	((uint8 *) (page) + IVFPQ_PAGE_HEADER)
/* Slot i sits just below the special area, growing downwards: TID, error code, T. */
#define IvfpqListSlot(page, i) \
	((char *) (page) + BLCKSZ - IVFPQ_SPECIAL_SIZE - ((i) + 1) * IVFPQ_SLOT_SIZE)
#define IvfpqListTid(page, i)	((ItemPointer) IvfpqListSlot(page, i))
#define IvfpqListErr(page, i)	((uint16 *) (IvfpqListSlot(page, i) + sizeof(ItemPointerData)))
/* the term's bytes (unaligned: memcpy a float4) */
#define IvfpqListTerm(page, i)	(IvfpqListSlot(page, i) + sizeof(ItemPointerData) + sizeof(uint16))

/* The indexed column's type (ivfpq_column.c: the only type-aware code) */
typedef enum IvfpqColumnType
{
	IVFPQ_COLUMN_VECTOR,
	IVFPQ_COLUMN_HALFVEC
} IvfpqColumnType;

/* ---- options ---------------------------------------------------------------- */

typedef struct IvfpqOptions
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	int			lists;			/* 0: from the row count */
	int			m;				/* 0: from the dimensions */
	int			nbits;
	bool		autoRetrain;	/* VACUUM retrains when needed */
} IvfpqOptions;

/* ---- backend-local cache of a built index's immutable parts ------------------ */

/*
 * One entry per index (and build): the parts of the index that never change
 * after its build, read once and shared by the scans, inserts and VACUUMs of
 * this backend.  The entries live in TopMemoryContext (context "ivfpq cache",
 * identifier: the index name) and are kept within ivfpq.cache_size together,
 * least recently used first out; an entry in use is never evicted (see
 * ivfpq_cache.c).
 */
typedef struct IvfpqCache
{
	Oid			indexOid;
	uint64		buildId;
	int			refcount;		/* users (scans, inserts, ...) holding it */
	bool		stale;			/* the index was rebuilt: freed when unused */
	MemoryContext cxt;
	Size		bytes;			/* memory of cxt and its children */
	dlist_node	lru;			/* in the backend's list, most recent first */

	IvfpqMetaPageData meta;
	IvfpqColumnType colType;	/* the indexed column's type */
	int			dsub;
	int			ksub;
	float	   *centroids;		/* (lists, d) */
	float	   *centroidNorms;	/* (lists) |c|^2 */
	float	   *codebooks;		/* (m, ksub, dsub) */
	float	   *codebooksT;		/* (m, dsub, ksub): the same, transposed */
	float		rmax;			/* >= |r^| of every code (error bounds) */
	BlockNumber *startPages;	/* (lists) */
} IvfpqCache;

/* ---- GUCs ---------------------------------------------------------------------- */

extern int	ivfpq_probes;
extern int	ivfpq_rerank;		/* 0: no cap on a stage's heap fetches */
extern int	ivfpq_max_probes;
extern int	ivfpq_max_scan_tuples;	/* -1: no limit on a scan's heap fetches */
extern bool ivfpq_exact_bounds;	/* worst-case bounds only (ivfpq_calibrate.c) */
extern int	ivfpq_build_threads;
extern int	ivfpq_code_scan;	/* IVFPQ_CODE_SCAN_* */
extern bool ivfpq_prefilter;

/* ivfpq.code_scan: the table a scan sums for 8-bit codes */
#define IVFPQ_CODE_SCAN_AUTO	0
#define IVFPQ_CODE_SCAN_FLOAT	1
#define IVFPQ_CODE_SCAN_INT8	2
#define IVFPQ_CODE_SCAN_INT16	3
extern int	ivfpq_cache_size;	/* kB, for every index together */
extern int	ivfpq_retrain_min_rows;
extern double ivfpq_retrain_imbalance;	/* 0: imbalance never retrains */
extern int	ivfpq_retrain_pause_lock;	/* test only */

/* ---- prototypes ------------------------------------------------------------------ */

/* ivfpq_handler.c */
extern void IvfpqInit(void);
extern IndexBuildResult *ivfpqbuild(Relation heap, Relation index, IndexInfo *indexInfo);
extern void ivfpqbuildempty(Relation index);
extern bool ivfpqinsert(Relation index, Datum *values, bool *isnull, ItemPointer heap_tid,
						Relation heap, IndexUniqueCheck checkUnique, bool indexUnchanged,
						IndexInfo *indexInfo);
extern IndexBulkDeleteResult *ivfpqbulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
											  IndexBulkDeleteCallback callback, void *callback_state);
extern IndexBulkDeleteResult *ivfpqvacuumcleanup(IndexVacuumInfo *info, IndexBulkDeleteResult *stats);
extern IndexScanDesc ivfpqbeginscan(Relation index, int nkeys, int norderbys);
extern void ivfpqrescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys);
extern bool ivfpqgettuple(IndexScanDesc scan, ScanDirection dir);
extern void ivfpqendscan(IndexScanDesc scan);

/* ivfpq_page.c */
extern const char *IvfpqPageKindName(uint16 kind);
extern void IvfpqInitPage(Page page, uint16 kind, uint32 list);
extern void IvfpqCheckPage(Relation index, Page page, BlockNumber blkno, uint16 kind, int m);
extern void IvfpqCheckPageGeneration(Relation index, Page page, BlockNumber blkno, uint32 gen);
extern void IvfpqSetPageGen(Page page, uint32 gen);
extern FullTransactionId IvfpqFullXid(TransactionId xid);
extern void IvfpqCopyMeta(Page page, IvfpqMetaPageData *meta);
extern void IvfpqReadMeta(Relation index, IvfpqMetaPageData *meta);
extern bool IvfpqTryReadMeta(Relation index, IvfpqMetaPageData *meta);
extern IvfpqCache *IvfpqLoadCache(Relation index, const IvfpqMetaPageData *meta,
								  MemoryContext parent);
extern int	IvfpqGetMetric(Relation index);
extern int	IvfpqDimensions(Relation index);
extern void IvfpqCheckChainStep(Relation index, int list, BlockNumber blkno,
								BlockNumber *nblocks, int *hops);
extern void IvfpqReadDirEntry(Relation index, const IvfpqMetaPageData *meta, int list,
							  IvfpqDirEntryData *entry);
extern void IvfpqSetInsertPage(Relation index, const IvfpqMetaPageData *meta, int list,
							   BlockNumber expectOld, BlockNumber newPage, bool force);

/* ivfpq_column.c */
extern IvfpqColumnType IvfpqGetColumnType(Relation index);
extern void IvfpqDatumFloats(IvfpqColumnType type, Datum value, int dims, float *out);
extern int	IvfpqDatumDims(Datum value);
extern bool IvfpqPrepareDatum(IvfpqColumnType type, int metric, Datum value, int dims,
							  float *out);
extern void IvfpqReadQuery(IvfpqColumnType type, Datum value, int d, float *qf, uint16 *qh);
extern double IvfpqExactKey(IvfpqColumnType type, int metric, const float *qf,
							const uint16 *qh, Datum value, int d);

/* ivfpq_insert.c */
extern void IvfpqInsertEntry(Relation index, const IvfpqMetaPageData *meta, int list,
							 const uint8 *code, ItemPointer tid);

/* ivfpq_prefilter.c */
extern void IvfpqPrefilterInit(void);

/* ivfpq_retrain_auto.c */
extern void IvfpqRetrainInit(void);

/* ivfpq_retrain.c */
extern bool IvfpqMetaLockedHere(Relation index, bool raise);

/* ivfpq_reclaim.c */
extern bool IvfpqPageIsFree(Page page);
extern Buffer IvfpqNewBuffer(Relation index, ForkNumber forkNum);
extern void IvfpqNewConsecutive(Relation index, int n, Buffer *bufs);
extern void IvfpqLogNewPage(Relation index, Buffer buf, Page content);
extern int	IvfpqSweep(Relation index, BufferAccessStrategy strategy, uint8 *gensInUse, bool all);

/* ivfpq_build.c */
extern int	IvfpqDefaultLists(double n);
extern int64 IvfpqSampleWanted(int lists);
extern int64 IvfpqSampleCap(int lists, int dims, Size mwm);
extern int	IvfpqDefaultListsFitting(double rows, int64 n, int dims, int nbits, Size mwm);
extern float4 IvfpqImbalance(const int64 *offsets, int lists);

/* ivfpq_encode.c */
extern void IvfpqPackEntries(int n, int d, const float *x, const float *centroids,
							 const int64 *labels, int m, int nbits, const float *codebooks,
							 const uint8 *codes, uint8 *entries, int nthreads);
extern void IvfpqEncodeEntries(int n, int d, const float *x, const float *centroids,
							   const int64 *labels, int m, int nbits, const float *codebooks,
							   uint8 *entries, int nthreads);
extern void IvfpqSetListEntry(Page page, int i, int m, const uint8 *entry, ItemPointer tid);
extern int	IvfpqNearestList(const IvfpqCache *cache, const float *x);
extern ItemPointerData IvfpqIdToTid(int64 id);
extern int64 IvfpqTidToId(ItemPointer tid);

/* ivfpq_cache.c */
extern IvfpqCache *IvfpqGetCache(Relation index, MemoryContext owner);
extern Size IvfpqCacheRoom(void);

/* ivfpq_scratch.c: free scan buffers, kept within ivfpq.cache_size too */
extern Size IvfpqScratchKept(void);
extern void IvfpqScratchTrim(Size keep);

#endif							/* IVFPQ_H */
