-- ---------------------------------------------------------------------------
-- pgvq_index_check: the structure check of a flat or ivfpq index (the amcheck
-- of pgvq).  Walks every page; with heapallindexed, also checks that every
-- live row of the table with a non-NULL indexed value has its entry in the
-- index.  Raises index_corrupted (XX002) naming the block on any problem.
-- Needs ownership of the table.
-- ---------------------------------------------------------------------------

CREATE FUNCTION pgvq_index_check(index regclass, heapallindexed boolean DEFAULT false)
	RETURNS void
	AS 'MODULE_PATHNAME', 'pgvq_index_check'
	LANGUAGE C STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION pgvq_index_check(regclass, boolean) IS
	'verifies the structure of a flat or ivfpq index; with heapallindexed, that every table row is indexed';
