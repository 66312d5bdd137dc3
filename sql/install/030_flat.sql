-- ---------------------------------------------------------------------------
-- The flat index access method: exact nearest-neighbour search over vectors
-- stored densely in index pages.  One ordering operator per operator class;
-- its strategy number names the metric (1 L2, 2 inner product, 3 cosine, 4 L1).
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
