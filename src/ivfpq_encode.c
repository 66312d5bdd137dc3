/*
 * ivfpq_encode.c: list entries from vectors, for the build and for inserts.
 *
 * An entry is the PQ code of the residual x - c (c: the centroid of its list)
 * and the code of its error e = |x - x^|, x^ = c + decoded residual, taken
 * from x and c themselves (not from the float residual, which would round
 * tiny errors down), and its term T = |r^|^2 + 2 <c, r^> (r^ the decoded
 * residual; pgvq_pq_entry_terms, in double from c and the codebooks).  In
 * memory and in a build's spill files an entry's code is
 * IvfpqEntryCodeSize(m) bytes: the m code bytes, the uint16 error code and
 * the float4 term, in native byte order; list pages keep the error code and
 * the term in the slot beside the TID (ivfpq.h).
 */
#include "postgres.h"

#include "miscadmin.h"

#include "ivfpq.h"
#include "pgvq_core.h"

/*
 * entries (n, IvfpqEntryCodeSize(m)) from the rows x (n, d, prepared: see
 * IvfpqPrepareVector), their lists and their PQ codes (n, m).
 */
void
IvfpqPackEntries(int n, int d, const float *x, const float *centroids, const int64 *labels,
				 int m, int nbits, const float *codebooks, const uint8 *codes, uint8 *entries,
				 int nthreads)
{
	uint16	   *errs = palloc(sizeof(uint16) * Max(n, 1));
	float	   *terms = palloc(sizeof(float) * Max(n, 1));
	pgvq_status st;
	int			rc;
	int			cs = IvfpqEntryCodeSize(m);

	memset(&st, 0, sizeof(st));
	rc = pgvq_pq_error_codes(n, d, x, centroids, labels, m, nbits, codebooks, codes, errs,
							 nthreads, PgvqShouldStop, NULL, &st);
	PgvqCheckStatus(rc, &st, "ivfpq error codes");
	pgvq_pq_entry_terms(n, d, centroids, labels, m, nbits, codebooks, codes, terms);
	for (int i = 0; i < n; i++)
	{
		uint8	   *e = entries + (Size) i * cs;

		memcpy(e, codes + (Size) i * m, m);
		memcpy(e + m, &errs[i], sizeof(uint16));
		memcpy(e + m + sizeof(uint16), &terms[i], sizeof(float4));
	}
	pfree(errs);
	pfree(terms);
}

/*
 * Writes an entry (IvfpqEntryCodeSize(m) bytes: code, error code, term) and
 * its heap TID into slot i of a list page; the caller sets the counts.
 */
void
IvfpqSetListEntry(Page page, int i, int m, const uint8 *entry, ItemPointer tid)
{
	memcpy(IvfpqListCodes(page) + (Size) i * m, entry, m);
	*IvfpqListTid(page, i) = *tid;
	memcpy(IvfpqListErr(page, i), entry + m, sizeof(uint16));
	memcpy(IvfpqListTerm(page, i), entry + m + sizeof(uint16), sizeof(float4));
}

/*
 * Encodes the rows x (n, d, prepared) whose lists are labels: residuals,
 * PQ codes and error codes into entries (n, IvfpqEntryCodeSize(m)).
 */
void
IvfpqEncodeEntries(int n, int d, const float *x, const float *centroids, const int64 *labels,
				   int m, int nbits, const float *codebooks, uint8 *entries, int nthreads)
{
	float	   *res = palloc_extended(sizeof(float) * (Size) Max(n, 1) * d, MCXT_ALLOC_HUGE);
	uint8	   *codes = palloc_extended((Size) Max(n, 1) * m, MCXT_ALLOC_HUGE);
	pgvq_status st;
	int			rc;

	for (int i = 0; i < n; i++)
	{
		const float *xi = x + (Size) i * d;
		const float *c = centroids + (Size) labels[i] * d;
		float	   *ri = res + (Size) i * d;

		for (int j = 0; j < d; j++)
			ri[j] = xi[j] - c[j];
	}
	memset(&st, 0, sizeof(st));
	rc = pgvq_pq_encode(n, d, res, m, nbits, codebooks, codes, nthreads, PgvqShouldStop, NULL, &st);
	PgvqCheckStatus(rc, &st, "ivfpq encoding");
	pfree(res);
	IvfpqPackEntries(n, d, x, centroids, labels, m, nbits, codebooks, codes, entries, nthreads);
	pfree(codes);
}
