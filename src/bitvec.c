/*
 * bitvec.c: distances of PostgreSQL's own bit type, under pgvector's names:
 * hamming_distance (<~>) and jaccard_distance (<%>).  The counting is the
 * core's popcount kernels (scalar, POPCNT or AVX-512 VPOPCNTDQ, chosen at run
 * time).  Postgres keeps the pad bits of the last byte zero, so whole bytes
 * are counted.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/varbit.h"

#include "pgvq.h"

static void
BitCheckDims(VarBit *a, VarBit *b)
{
	if (VARBITLEN(a) != VARBITLEN(b))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different bit lengths %u and %u", VARBITLEN(a), VARBITLEN(b))));
}

PGVQ_DISTANCE_FUNCTION(hamming_distance, VarBit, PG_GETARG_VARBIT_P, BitCheckDims,
					   (double) pgvq_bit_hamming(VARBITS(a), VARBITS(b), VARBITBYTES(a)))

/* 1 - |a & b| / |a | b|; 1 when no bit is set in both (empty strings too). */
PGVQ_DISTANCE_FUNCTION(jaccard_distance, VarBit, PG_GETARG_VARBIT_P, BitCheckDims,
					   pgvq_bit_jaccard(VARBITS(a), VARBITS(b), VARBITBYTES(a)))
