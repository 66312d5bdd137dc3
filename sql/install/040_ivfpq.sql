-- ---------------------------------------------------------------------------
-- The ivfpq index access method: inverted lists of product-quantization codes
-- with exact re-ranking from the heap.  Support function 1 of each operator
-- class names the metric the index is trained and scanned for.
-- ---------------------------------------------------------------------------

CREATE FUNCTION ivfpqhandler(internal) RETURNS index_am_handler
	AS 'MODULE_PATHNAME' LANGUAGE C;

CREATE ACCESS METHOD ivfpq TYPE INDEX HANDLER ivfpqhandler;

COMMENT ON ACCESS METHOD ivfpq IS 'ivfpq: IVF lists of product-quantization codes with exact re-ranking';

CREATE FUNCTION pgvq_ivfpq_metric_l2(internal) RETURNS int4
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION pgvq_ivfpq_metric_ip(internal) RETURNS int4
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION pgvq_ivfpq_metric_cosine(internal) RETURNS int4
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR CLASS vector_l2_ops
	DEFAULT FOR TYPE vector USING ivfpq AS
	OPERATOR 1 <-> (vector, vector) FOR ORDER BY float_ops,
	FUNCTION 1 pgvq_ivfpq_metric_l2(internal);

CREATE OPERATOR CLASS vector_ip_ops
	FOR TYPE vector USING ivfpq AS
	OPERATOR 1 <#> (vector, vector) FOR ORDER BY float_ops,
	FUNCTION 1 pgvq_ivfpq_metric_ip(internal);

CREATE OPERATOR CLASS vector_cosine_ops
	FOR TYPE vector USING ivfpq AS
	OPERATOR 1 <=> (vector, vector) FOR ORDER BY float_ops,
	FUNCTION 1 pgvq_ivfpq_metric_cosine(internal);

-- halfvec: trained, encoded and scanned on the exact float conversions of the
-- halves; the re-rank computes the halfvec operators' own values.
CREATE OPERATOR CLASS halfvec_l2_ops
	FOR TYPE halfvec USING ivfpq AS
	OPERATOR 1 <-> (halfvec, halfvec) FOR ORDER BY float_ops,
	FUNCTION 1 pgvq_ivfpq_metric_l2(internal);

CREATE OPERATOR CLASS halfvec_ip_ops
	FOR TYPE halfvec USING ivfpq AS
	OPERATOR 1 <#> (halfvec, halfvec) FOR ORDER BY float_ops,
	FUNCTION 1 pgvq_ivfpq_metric_ip(internal);

CREATE OPERATOR CLASS halfvec_cosine_ops
	FOR TYPE halfvec USING ivfpq AS
	OPERATOR 1 <=> (halfvec, halfvec) FOR ORDER BY float_ops,
	FUNCTION 1 pgvq_ivfpq_metric_cosine(internal);

-- Per-list sizes of an ivfpq index (walks every list chain).
CREATE FUNCTION pgvq_ivfpq_lists(index regclass,
	OUT list int, OUT tuples bigint, OUT pages int)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME' LANGUAGE C STRICT VOLATILE;

-- Whether an ivfpq index is trained: false for one built on no rows (one list,
-- every scan re-ranks every row until REINDEX trains it).
CREATE FUNCTION pgvq_ivfpq_trained(index regclass) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C STRICT VOLATILE;

-- The index's lists option as the build reads it (NULL: from the row count).
CREATE FUNCTION pgvq_ivfpq_lists_option(index regclass) RETURNS int
	AS 'MODULE_PATHNAME' LANGUAGE C STRICT VOLATILE;

-- Summary of the list sizes.  imbalance is sum(n_i^2) * lists / N^2: 1.0 when
-- every list holds the same number of rows, larger when inserts skewed them
-- (REINDEX retrains the lists).  trained: see pgvq_ivfpq_trained;
-- configured_lists: the index's lists option (NULL: chosen from the row count
-- at build time).
CREATE FUNCTION pgvq_ivfpq_list_stats(index regclass,
	OUT lists int, OUT tuples bigint, OUT pages bigint, OUT empty_lists int,
	OUT min_tuples bigint, OUT max_tuples bigint, OUT avg_tuples float8,
	OUT imbalance float8, OUT trained boolean, OUT configured_lists int)
	RETURNS record
	LANGUAGE sql STRICT VOLATILE AS $$
	SELECT count(*)::int, sum(l.tuples)::bigint, sum(l.pages)::bigint,
		(count(*) FILTER (WHERE l.tuples = 0))::int,
		min(l.tuples), max(l.tuples), avg(l.tuples)::float8,
		CASE WHEN sum(l.tuples) > 0
			THEN sum(l.tuples::float8 * l.tuples) * count(*) / (sum(l.tuples)::float8 ^ 2)
		END,
		pgvq_ivfpq_trained($1), pgvq_ivfpq_lists_option($1)
	FROM pgvq_ivfpq_lists($1) l
$$;

-- Retrains an ivfpq index now (new centroids, codebooks and lists, built beside
-- the live ones and switched to in one WAL record) without blocking writes or
-- queries; VACUUM does the same by itself when the index needs it (see the
-- README).  Returns the new list count, the rows indexed and the old list count.
CREATE FUNCTION pgvq_ivfpq_retrain(index regclass,
	OUT lists int, OUT tuples bigint, OUT previous_lists int)
	RETURNS record
	AS 'MODULE_PATHNAME' LANGUAGE C STRICT VOLATILE;
