/*
 * cpp_only.h: guard for the C++ core (src/core).
 *
 * Every core .cpp includes this header after its other includes (and every
 * internal core header includes it too), so a Postgres header that slipped into
 * the include chain is caught at compile time.  The core must never include a
 * Postgres header: a Postgres ERROR is a longjmp that would skip C++
 * destructors.  No include guard on purpose: each inclusion re-checks.
 */
#if defined(POSTGRES_H) || defined(POSTGRES_FE_H) || defined(PG_CONFIG_H)
#error "src/core is C++-only and must not include Postgres headers"
#endif
