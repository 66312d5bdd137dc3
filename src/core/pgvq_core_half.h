/*
 * pgvq_core_half.h: the C API of the core's half-precision (IEEE 754 binary16)
 * support, for the halfvec type.  Same boundary rules as pgvq_core.h (which
 * it includes): plain C, no Postgres header, nothing here throws, allocates
 * or calls back.
 *
 * A half is carried as its uint16_t bit pattern.  Conversions are IEEE's:
 * half -> float is exact; float -> half rounds to nearest, ties to even
 * (what F16C's vcvtps2ph and pgvector's Float4ToHalfUnchecked do), values
 * from 65520 up become infinity, values up to 2^-25 become zero, and between
 * them are the subnormals.  NaN stays NaN (quiet, sign and top payload bits
 * kept).
 *
 * The distance kernels are dispatched on the SIMD level pgvq_init() chose
 * (pgvq_set_simd_level switches them too).  Every level gives the same bits
 * as the scalar one: each sums in 32 float lanes (lane j takes elements j,
 * j + 32, j + 64, ...; the last block is padded with zeros), with the product
 * rounded before the add (no fused multiply-add), then folds lane j + 16 into
 * j, lane j + 8 into j, and adds lanes 0..7 in order.  Up to 8 dimensions this
 * is the plain sequential float sum pgvector computes.
 */
#ifndef PGVQ_CORE_HALF_H
#define PGVQ_CORE_HALF_H

#include <stddef.h>
#include <stdint.h>

#include "pgvq_core.h"

#ifdef __cplusplus
extern "C"
{
#endif

/* The largest finite half, and the bit patterns the glue tests for. */
#define PGVQ_HALF_MAX 65504.0f
#define PGVQ_HALF_IS_NAN(h) ((((h) & 0x7C00) == 0x7C00) && (((h) & 0x03FF) != 0))
#define PGVQ_HALF_IS_INF(h) (((h) & 0x7FFF) == 0x7C00)
#define PGVQ_HALF_IS_ZERO(h) (((h) & 0x7FFF) == 0)

/* One value; never fail.  The same bits as every SIMD level. */
PGVQ_API float pgvq_half_to_float(uint16_t h);
PGVQ_API uint16_t pgvq_float_to_half(float f);

/* out[i] = pgvq_half_to_float(in[i]) for i < n.  Never fails. */
PGVQ_API void pgvq_half_to_float_n(const uint16_t *in, size_t n, float *out);

/* out[i] = pgvq_float_to_half(in[i]) for i < n.  Returns the index of the
 * first element that overflowed (a finite float that became an infinite
 * half), or n if none did.  Every element is converted either way.  Never
 * fails. */
PGVQ_API size_t pgvq_float_to_half_n(const float *in, size_t n, uint16_t *out);

/* Distance kernels over halves, float sums in the order described above.
 * Never fail. */
PGVQ_API float pgvq_hvec_l2sqr(const uint16_t *a, const uint16_t *b, size_t d);
PGVQ_API float pgvq_hvec_inner_product(const uint16_t *a, const uint16_t *b, size_t d);
PGVQ_API float pgvq_hvec_l1(const uint16_t *a, const uint16_t *b, size_t d);
/* dot, |a|^2 and |b|^2 in one pass (for cosine). */
PGVQ_API void pgvq_hvec_cosine_parts(const uint16_t *a, const uint16_t *b, size_t d,
									 float *dot, float *norma, float *normb);

/* One query against n rows x (n, d) row-major, in float8 as the halfvec
 * operators compute them with the row as left argument: out[i] is L2 ->
 * (double) pgvq_hvec_l2sqr(x_i, q) (squared), IP -> -(double)
 * pgvq_hvec_inner_product(x_i, q), COSINE -> 1 - cos from
 * pgvq_hvec_cosine_parts(x_i, q) in double, clamped (NaN for a zero norm),
 * L1 -> (double) pgvq_hvec_l1(x_i, q).  The kernels of the current level,
 * looked up once.  Never fails. */
PGVQ_API void pgvq_hvec_distances_1xn_f64(int metric, const uint16_t *q, size_t n, size_t d,
										  const uint16_t *x, double *out);

/* ---- binary form of a halfvec ------------------------------------------------------ */

/* Bytes of the binary form of a dim-element halfvec. */
#define PGVQ_HALF_BINARY_SIZE(dim) (4 + 2 * (size_t) (dim))

/* Parses pgvector's halfvec_send form: uint16 dim, uint16 unused (must be 0),
 * then dim halves, all in network byte order, from buf[0, len).  The header
 * fields are unsigned, as pgvector reads them (0xFFFF is 65535 dimensions).
 * Results are pgvq_binary_result codes, checked in this order: header
 * present (else SHORT_HEADER), 1 <= dim <= maxdim (BAD_DIM), unused == 0
 * (BAD_UNUSED), 2 * dim bytes present (SHORT), each element neither NaN nor
 * infinite, in element order (NAN, INFINITE), no bytes left over (TRAILING:
 * the halfvec is complete in out).  *dim and *unused receive the header
 * fields once read (0 before).  Elements are written only once the header
 * and the length were found good, so out needs room for
 * min(maxdim, (len - 4) / 2) halves.  Never allocates, never throws. */
PGVQ_API int pgvq_parse_halfvec_binary(const unsigned char *buf, size_t len, uint16_t *out,
									   int maxdim, int *dim, int *unused);

#ifdef __cplusplus
}
#endif

#endif							/* PGVQ_CORE_HALF_H */
