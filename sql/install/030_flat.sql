-- ---------------------------------------------------------------------------
-- The flat index access method: exact nearest-neighbour search over vectors
-- stored densely in index pages.  One ordering operator per operator class;
-- its strategy number names the metric (1 L2, 2 inner product, 3 cosine, 4 L1,
-- 5 hamming, 6 jaccard).  The element kind follows the opclass input type.
-- ---------------------------------------------------------------------------

CREATE FUNCTION flathandler(internal) RETURNS index_am_handler
	AS 'MODULE_PATHNAME' LANGUAGE C;

CREATE ACCESS METHOD flat TYPE INDEX HANDLER flathandler;

COMMENT ON ACCESS METHOD flat IS 'flat: exact nearest-neighbour index over densely packed vectors';

CREATE OPERATOR CLASS vector_l2_ops
	DEFAULT FOR TYPE vector USING flat AS
	OPERATOR 1 <-> (vector, vector) FOR ORDER BY float_ops;

CREATE OPERATOR CLASS vector_ip_ops
	FOR TYPE vector USING flat AS
	OPERATOR 2 <#> (vector, vector) FOR ORDER BY float_ops;

CREATE OPERATOR CLASS vector_cosine_ops
	FOR TYPE vector USING flat AS
	OPERATOR 3 <=> (vector, vector) FOR ORDER BY float_ops;

CREATE OPERATOR CLASS vector_l1_ops
	FOR TYPE vector USING flat AS
	OPERATOR 4 <+> (vector, vector) FOR ORDER BY float_ops;

-- halfvec: entries stored as fp16 (FLAT_KIND_HALF)
CREATE OPERATOR CLASS halfvec_l2_ops
	FOR TYPE halfvec USING flat AS
	OPERATOR 1 <-> (halfvec, halfvec) FOR ORDER BY float_ops;

CREATE OPERATOR CLASS halfvec_ip_ops
	FOR TYPE halfvec USING flat AS
	OPERATOR 2 <#> (halfvec, halfvec) FOR ORDER BY float_ops;

CREATE OPERATOR CLASS halfvec_cosine_ops
	FOR TYPE halfvec USING flat AS
	OPERATOR 3 <=> (halfvec, halfvec) FOR ORDER BY float_ops;

CREATE OPERATOR CLASS halfvec_l1_ops
	FOR TYPE halfvec USING flat AS
	OPERATOR 4 <+> (halfvec, halfvec) FOR ORDER BY float_ops;

-- bit: the bit string's bytes (FLAT_KIND_BIT); strategy 5 hamming, 6 jaccard
CREATE OPERATOR CLASS bit_hamming_ops
	FOR TYPE bit USING flat AS
	OPERATOR 5 <~> (bit, bit) FOR ORDER BY float_ops;

CREATE OPERATOR CLASS bit_jaccard_ops
	FOR TYPE bit USING flat AS
	OPERATOR 6 <%> (bit, bit) FOR ORDER BY float_ops;

-- sparsevec: variable-length entries on slotted pages (FLAT_KIND_SPARSE)
CREATE OPERATOR CLASS sparsevec_l2_ops
	FOR TYPE sparsevec USING flat AS
	OPERATOR 1 <-> (sparsevec, sparsevec) FOR ORDER BY float_ops;

CREATE OPERATOR CLASS sparsevec_ip_ops
	FOR TYPE sparsevec USING flat AS
	OPERATOR 2 <#> (sparsevec, sparsevec) FOR ORDER BY float_ops;

CREATE OPERATOR CLASS sparsevec_cosine_ops
	FOR TYPE sparsevec USING flat AS
	OPERATOR 3 <=> (sparsevec, sparsevec) FOR ORDER BY float_ops;

CREATE OPERATOR CLASS sparsevec_l1_ops
	FOR TYPE sparsevec USING flat AS
	OPERATOR 4 <+> (sparsevec, sparsevec) FOR ORDER BY float_ops;
