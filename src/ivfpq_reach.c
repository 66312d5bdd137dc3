/*
 * ivfpq_reach.c: reaching the lists of an ivfpq scan (ivfpq_scan.c).
 *
 * The scan ranks the lists by their centroid's distance to the query
 * (StartScan); reaching the next ones reads their pages in chain order,
 * scans their PQ codes and adds each entry, with the lower bound of its
 * row's value, to the pool the re-rank takes from (ivfpq_rerank.c).  How far
 * the scan reaches is IvfpqReachTarget; IvfpqGrowReach reaches further.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "ivfpq_scan.h"

/* Entries an untrained index holds before its scans say so (and 10 a list) */
#define IVFPQ_UNTRAINED_NOTICE_ROWS 10000

/* Untrained indexes this backend has told the user about (TopMemoryContext) */
static List *untrainedNoted = NIL;

/*
 * Once per backend and index: a NOTICE when an untrained index holds n
 * entries, more than IVFPQ_UNTRAINED_NOTICE_ROWS and 10 per configured list.
 */
static void
NoteUntrained(Relation index, int64 n)
{
	IvfpqOptions *opts = (IvfpqOptions *) index->rd_options;
	int			lists = opts != NULL ? opts->lists : 0;
	Oid			indexOid = RelationGetRelid(index);
	MemoryContext old;

	/* remembered only once the user can see it (client_min_messages) */
	if (n <= IVFPQ_UNTRAINED_NOTICE_ROWS || n <= (int64) lists * 10 ||
		list_member_oid(untrainedNoted, indexOid) || !message_level_is_interesting(NOTICE))
		return;
	old = MemoryContextSwitchTo(TopMemoryContext);
	untrainedNoted = lappend_oid(untrainedNoted, indexOid);
	MemoryContextSwitchTo(old);
	ereport(NOTICE,
			(errmsg("ivfpq index \"%s\" is not trained and holds " INT64_FORMAT " rows",
					RelationGetRelationName(index), n),
			 errdetail("It was created on an empty table: every scan re-ranks every row exactly."),
			 errhint("SELECT pgvq_ivfpq_retrain('%s') trains its lists without blocking writes; "
					 "VACUUM of the table does too (reloption auto_retrain).",
					 quote_qualified_identifier(get_namespace_name(RelationGetNamespace(index)),
												RelationGetRelationName(index)))));
}

/* Reads a list page for the scan: share-locked, verified, in the right list. */
static Buffer
ReadListPage(Relation index, BlockNumber blkno, int list, int m, uint32 gen,
			 BlockNumber *nblocks, int *hops)
{
	Buffer		buf;
	Page		page;

	IvfpqCheckChainStep(index, list, blkno, nblocks, hops);
	buf = ReadBuffer(index, blkno);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	IvfpqCheckPageGeneration(index, page, blkno, gen);
	IvfpqCheckPage(index, page, blkno, IVFPQ_PAGE_LIST, m);
	if (IvfpqPageGetOpaque(page)->list != (uint32) list)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" contains a page of list %u in the chain of list %d at block %u",
						RelationGetRelationName(index), IvfpqPageGetOpaque(page)->list, list, blkno)));
	return buf;
}

/*
 * The ADC bias of one list (as the unit tests of the bounds do), from the
 * list ranking: -<q, c> under IP, |q - c|^2 = |c|^2 - 2<q, c> + |q|^2
 * otherwise (StartScan computed listScore with the same functions, so the
 * inner product is not computed again).  Monotone in listScore, the order of
 * listOrder: IvfpqReachNeeded searches it.
 */
static float
ListBias(IvfpqScanOpaque so, int list)
{
	if (so->nullQuery)
		return 0;
	if (so->metric == PGVQ_METRIC_IP)
		return so->listScore[list];
	return Max(0, so->listScore[list] + so->queryNorm);
}

/*
 * Scans the codes of the n entries gathered in the batch (pageCodes ..., all
 * of one list, whose ADC bias is bias) and adds them, with the lower bounds of
 * their rows' values, to the pool.
 */
static void
ScanBatch(IvfpqScanOpaque so, const pgvq_pq_bound_params *bp, float bias, int n)
{
	if (n == 0)
		return;
	/* lower bounds of the float sums: still bounds of the value */
	if (so->intReady)
		pgvq_pq_qscan_codes(so->m, so->intTable, &so->intScale, bias, n, so->pageCodes,
							so->pageDist);
	else
		pgvq_pq_scan_codes(so->m, so->cache->meta.nbits, so->table, bias, n, so->pageCodes,
						   so->pageDist);
	/* L2 and cosine: each entry's term T */
	if (so->metric != PGVQ_METRIC_IP)
		pgvq_fvec_madd(n, so->pageDist, 1.0f, so->pageTerm, so->pageDist);
	/* no order to wait for: every bound is the same */
	if (so->nullQuery)
		memset(so->pageLB, 0, sizeof(float) * n);
	else
	{
		for (int i = 0; i < n; i++)
		{
			float		off = so->pageDist[i] - bias;

			if (off < so->reachOffset)	/* a NaN never */
				so->reachOffset = off;
		}
		IvfpqBounds(so, bp, n, so->pageDist, so->pageErr, so->pageLB);
	}
	IvfpqStageAppend(so, n, so->pageDist, so->pageLB, so->pageErr, so->pageIds);
	so->scanEntries += n;
}

/* Adds the n entries of a list page to the batch, from its position at. */
static void
GatherPage(IvfpqScanOpaque so, Page page, int n, int at)
{
	int			i;

	memcpy(so->pageCodes + (Size) at * so->m, IvfpqListCodes(page), (Size) n * so->m);
	for (i = 0; i < n; i++)
	{
		so->pageIds[at + i] = IvfpqTidToId(IvfpqListTid(page, i));
		memcpy(&so->pageErr[at + i], IvfpqListErr(page, i), sizeof(uint16));
		if (so->metric != PGVQ_METRIC_IP)
			memcpy(&so->pageTerm[at + i], IvfpqListTerm(page, i), sizeof(float4));
	}
}

/*
 * Reaches further lists, up to listOrder[upto - 1]: scans their PQ codes and
 * adds every entry, with the lower bound of its row's value, to the pool of
 * entries waiting (after dropping those fetched already).  A list's pages are
 * gathered into batches of up to IvfpqScanBatch(m) entries, each scanned in
 * one call.  False when every list the scan may probe has been reached.
 */
static bool
ReachLists(IndexScanDesc scan, int upto)
{
	IvfpqScanOpaque so = (IvfpqScanOpaque) scan->opaque;
	IvfpqCache *cache = so->cache;
	Relation	index = scan->indexRelation;
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);
	int			batch = IvfpqScanBatch(so->m);
	int			pageCap = IvfpqListCapacity(so->m);
	int			idx;
	pgvq_pq_bound_params bp;

	upto = Min(upto, so->maxProbes);
	if (so->probeHi >= upto)
		return false;
	IvfpqPoolCompact(so);

	bp.metric = so->metric;
	bp.d = so->d;
	bp.qnorm = so->pqQueryNorm;
	bp.rmax = cache->rmax;
	for (idx = so->probeHi; idx < upto; idx++)
	{
		int			list = so->listOrder[idx];
		BlockNumber blkno = cache->startPages[list];
		float		bias = ListBias(so, list);
		int			hops = 0;
		int			have = 0;

		bp.cnorm = sqrtf(cache->centroidNorms[list]);
		bp.adc_margin = pgvq_pq_adc_margin(so->d, so->m, bp.qnorm, bp.cnorm, bp.rmax);
		while (blkno != InvalidBlockNumber)
		{
			Buffer		buf = ReadListPage(index, blkno, list, so->m,
										 so->cache->meta.generation, &nblocks, &hops);
			Page		page = BufferGetPage(buf);
			int			n = IvfpqPageGetOpaque(page)->count;

			if (n > 0)
				GatherPage(so, page, n, have);
			have += n;
			blkno = IvfpqPageGetOpaque(page)->nextblkno;
			UnlockReleaseBuffer(buf);
			/* with no page locked: scanned once another full page might not fit */
			if (have + pageCap > batch)
			{
				ScanBatch(so, &bp, bias, have);
				have = 0;
			}
			/* per page: one list can hold every row (untrained index) */
			CHECK_FOR_INTERRUPTS();
		}
		ScanBatch(so, &bp, bias, have);
	}
	so->probeLo = so->probeHi;
	so->probeHi = upto;
	so->reaches++;
	if (!cache->meta.trained && so->probeLo == 0)
		NoteUntrained(index, so->stN);
	return true;
}

/*
 * The reach.  The first ivfpq.probes lists serve the first IVFPQ_REACH_ROWS
 * rows returned, the LIMIT of an unfiltered query.  A WHERE clause that
 * rejects rows makes the executor ask for more, and the nearest rows that
 * pass it then lie further out: before it returns row r the scan has reached
 * probes * sqrt(r / IVFPQ_REACH_ROWS) lists, so that the rows returned are
 * the nearest of a part of the data that grows with them (measured on mnist:
 * a square root keeps recall@10 at 0.99 to 1.0 under filters keeping 10% and
 * 1%, where linear growth costs a third more heap fetches for the same
 * recall, and no growth gives 0.70 at 1%).  The reach grows at least twofold
 * each time, so a scan scans few times and compacts its pool few times.  A
 * row the prefilter removed counts once it would have been returned
 * (IvfpqCountRemoved), so the reach grows as it did without the prefilter.
 */
int
IvfpqReachTarget(IvfpqScanOpaque so)
{
	double		r = (double) (so->returned + so->removedReturned + 1) / IVFPQ_REACH_ROWS;

	if (so->nullQuery || r <= 1)
		return ivfpq_probes;
	return (int) Min(ceil(ivfpq_probes * sqrt(r)), (double) so->lists);
}

/*
 * The lists the scan reaches before it returns a row whose value is at least
 * next (in the operator's units; +inf when unknown): IvfpqReachTarget's, cut
 * to the lists that could still hold a row nearer than next.  A row of list l
 * has an ADC value of about ListBias(l) (the centroid's value) plus an offset
 * that depends on the row; the offsets of the lists reached, reachOffset the
 * least of them, stand for those of the lists not reached, so that a list
 * whose ListBias + reachOffset is above next is not reached for that row.
 * Lists are ranked by ListBias (listScore's order), so the cut is a prefix of
 * the ranking.
 *
 * Where the distances of the nearest rows crowd together (many dimensions,
 * little structure), the row a filter lets through as the tenth of a LIMIT 10
 * is hardly farther than the tenth unfiltered, and the lists past the first
 * ivfpq.probes lie beyond reach for it: on the rotated 100,000 x 768 set, a
 * filter keeping 10% of rows stays at the 30 lists of the default probes
 * instead of 60, with recall@10 1.000 either way.  Where the lists differ
 * (mnist's digits), the offsets of the lists reached spread widely, their
 * least is far below the typical one, and the square-root rule decides, as
 * before (recall@10 0.988-0.998 at 10% and 1% filters, independent or
 * correlated).  The least offset is that of one row of one list (the ADC
 * value is an estimate, a lower bound from the integer scan), which errs
 * towards reaching more.
 */
int
IvfpqReachNeeded(IvfpqScanOpaque so, double next)
{
	int			target = IvfpqReachTarget(so);
	double		limit;
	int			lo;
	int			hi;

	if (so->nullQuery || target <= so->probeHi || isinf(so->reachOffset) || isnan(next) ||
		isinf(next))
		return target;
	/* next in ADC units: 1 - cos = |q~ - x~|^2 / 2 for unit vectors */
	limit = (so->metric == PGVQ_METRIC_COSINE ? 2 * next : next) - so->reachOffset;
	if (isnan(limit))
		return target;
	/* the first list past probeHi whose centroid value is above limit */
	lo = so->probeHi;
	hi = Min(target, so->lists);
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (ListBias(so, so->listOrder[mid]) <= limit)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Grows the reach to at least target lists, and twofold; false at the end. */
bool
IvfpqGrowReach(IndexScanDesc scan, int target)
{
	IvfpqScanOpaque so = (IvfpqScanOpaque) scan->opaque;
	int			upto = Max(target, Max(ivfpq_probes, Min(so->lists, 2 * so->probeHi)));

	return ReachLists(scan, upto);
}
