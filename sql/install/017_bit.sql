-- ---------------------------------------------------------------------------
-- Distances of PostgreSQL's bit type (pgvector 0.8 names).  Index operator
-- classes (bit_hamming_ops, bit_jaccard_ops) are not defined yet.
-- ---------------------------------------------------------------------------

-- The planner's cost of one distance call (distance_cost.c).
CREATE FUNCTION pgvq_bit_distance_support(internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION hamming_distance(bit, bit) RETURNS float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
	SUPPORT pgvq_bit_distance_support;

CREATE FUNCTION jaccard_distance(bit, bit) RETURNS float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
	SUPPORT pgvq_bit_distance_support;

CREATE OPERATOR <~> (
	LEFTARG = bit, RIGHTARG = bit, PROCEDURE = hamming_distance,
	COMMUTATOR = '<~>'
);

CREATE OPERATOR <%> (
	LEFTARG = bit, RIGHTARG = bit, PROCEDURE = jaccard_distance,
	COMMUTATOR = '<%>'
);
