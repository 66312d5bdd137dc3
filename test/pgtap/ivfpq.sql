-- pgTAP: the ivfpq access method's catalogue contract and the SQLSTATE of each
-- of its error paths.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgvq;

SELECT plan(53);

-- ---- catalogue -------------------------------------------------------------------
SELECT ok(EXISTS (SELECT FROM pg_am WHERE amname = 'ivfpq' AND amtype = 'i'), 'access method ivfpq exists');
SELECT has_function('ivfpqhandler', ARRAY['internal'], 'ivfpqhandler(internal) exists');
SELECT has_opclass('vector_l2_ops');
SELECT has_opclass('vector_ip_ops');
SELECT has_opclass('vector_cosine_ops');
SELECT has_opclass('halfvec_l2_ops');
SELECT has_opclass('halfvec_ip_ops');
SELECT has_opclass('halfvec_cosine_ops');
SELECT is((SELECT string_agg(c.opcname || ':' || c.opcintype::regtype || ':' || c.opcdefault || ':'
			|| p.amproc::regproc, ' ' ORDER BY c.opcname)
		FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
		JOIN pg_amproc p ON p.amprocfamily = c.opcfamily AND p.amprocnum = 1
		WHERE a.amname = 'ivfpq' AND c.opcname LIKE 'halfvec%'),
	'halfvec_cosine_ops:halfvec:false:pgvq_ivfpq_metric_cosine halfvec_ip_ops:halfvec:false:pgvq_ivfpq_metric_ip halfvec_l2_ops:halfvec:false:pgvq_ivfpq_metric_l2',
	'the halfvec ivfpq opclasses: not default, support function 1 names the metric');
SELECT is((SELECT opcdefault FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
		WHERE a.amname = 'ivfpq' AND c.opcname = 'vector_l2_ops'), true,
	'vector_l2_ops is the default ivfpq opclass');
SELECT is((SELECT string_agg(c.opcname || ':' || o.amopopr::regoperator::text, ' ' ORDER BY c.opcname)
		FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
		JOIN pg_amop o ON o.amopfamily = c.opcfamily
		WHERE a.amname = 'ivfpq' AND o.amoppurpose = 'o'),
	'halfvec_cosine_ops:<=>(halfvec,halfvec) halfvec_ip_ops:<#>(halfvec,halfvec) halfvec_l2_ops:<->(halfvec,halfvec) '
	'vector_cosine_ops:<=>(vector,vector) vector_ip_ops:<#>(vector,vector) vector_l2_ops:<->(vector,vector)',
	'each ivfpq opclass orders by its pgvector operator');
SELECT ok(bool_and(amvalidate(c.oid)), 'every ivfpq opclass validates')
	FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod WHERE a.amname = 'ivfpq';
SELECT has_function('pgvq_ivfpq_lists', ARRAY['regclass'], 'pgvq_ivfpq_lists(regclass) exists');
SELECT has_function('pgvq_ivfpq_list_stats', ARRAY['regclass'], 'pgvq_ivfpq_list_stats(regclass) exists');
SELECT is((SELECT proargnames FROM pg_proc WHERE proname = 'pgvq_ivfpq_list_stats'),
	'{index,lists,tuples,pages,empty_lists,min_tuples,max_tuples,avg_tuples,imbalance,trained,configured_lists}'::text[],
	'pgvq_ivfpq_list_stats keeps its columns and adds trained and configured_lists at the end');
SELECT has_function('pgvq_ivfpq_trained', ARRAY['regclass'], 'pgvq_ivfpq_trained(regclass) exists');
SELECT function_returns('pgvq_ivfpq_trained', ARRAY['regclass'], 'boolean', 'pgvq_ivfpq_trained returns boolean');
SELECT function_returns('pgvq_ivfpq_lists_option', ARRAY['regclass'], 'integer', 'pgvq_ivfpq_lists_option returns integer');
SELECT has_function('pgvq_ivfpq_retrain', ARRAY['regclass'], 'pgvq_ivfpq_retrain(regclass) exists');
SELECT is((SELECT proargnames FROM pg_proc WHERE proname = 'pgvq_ivfpq_retrain'),
	'{index,lists,tuples,previous_lists}'::text[], 'pgvq_ivfpq_retrain returns lists, tuples, previous_lists');
SELECT is((SELECT setting FROM pg_settings WHERE name = 'ivfpq.retrain_min_rows'), '10000',
	'ivfpq.retrain_min_rows defaults to 10000');
SELECT is((SELECT setting FROM pg_settings WHERE name = 'ivfpq.retrain_imbalance'), '3',
	'ivfpq.retrain_imbalance defaults to 3');
SELECT is((SELECT setting FROM pg_settings WHERE name = 'ivfpq.build_threads'), '0',
	'ivfpq.build_threads defaults to 0 (max_parallel_maintenance_workers + 1, shared among running builds)');
SELECT is((SELECT setting FROM pg_settings WHERE name = 'ivfpq.probes'), '30', 'ivfpq.probes defaults to 30');
SELECT is((SELECT setting FROM pg_settings WHERE name = 'ivfpq.rerank'), '0', 'ivfpq.rerank defaults to 0 (no cap: exact within the probed lists)');
SELECT is((SELECT setting FROM pg_settings WHERE name = 'ivfpq.max_probes'), '-1', 'ivfpq.max_probes defaults to all lists');

-- ---- errors ------------------------------------------------------------------------
CREATE TABLE ivfpq_tap (id int, v vector(4), w vector);
INSERT INTO ivfpq_tap VALUES (1, '[1,2,3,4]', '[1]');

SELECT throws_ok('CREATE INDEX ON ivfpq_tap USING ivfpq (v) WITH (lists = 0)', '22023', NULL, 'lists = 0');
SELECT throws_ok('CREATE INDEX ON ivfpq_tap USING ivfpq (v) WITH (lists = 32769)', '22023', NULL, 'lists too large');
SELECT throws_ok('CREATE INDEX ON ivfpq_tap USING ivfpq (v) WITH (m = 3)', '22023',
	'ivfpq option m must divide the number of dimensions', 'm must divide the dimensions');
SELECT throws_ok('CREATE INDEX ON ivfpq_tap USING ivfpq (v) WITH (m = 0)', '22023', NULL, 'm = 0');
SELECT throws_ok('CREATE INDEX ON ivfpq_tap USING ivfpq (v) WITH (nbits = 3)', '22023', NULL, 'nbits below 4');
SELECT throws_ok('CREATE INDEX ON ivfpq_tap USING ivfpq (v) WITH (nbits = 9)', '22023', NULL, 'nbits above 8');
SELECT throws_ok('CREATE INDEX ON ivfpq_tap USING ivfpq (v) WITH (foo = 1)', '22023', NULL, 'unknown option');
SELECT throws_ok('CREATE INDEX ON ivfpq_tap USING ivfpq (w)', '22023', 'column does not have dimensions',
	'a column without dimensions');
SELECT throws_ok('CREATE INDEX ON ivfpq_tap USING ivfpq ((v + v))', '22023', 'column does not have dimensions',
	'an expression index without dimensions');
SELECT lives_ok('CREATE INDEX ivfpq_tap_half ON ivfpq_tap USING ivfpq ((v::halfvec(4)) halfvec_l2_ops)',
	'an expression index on halfvec(4) (pgvector''s half-precision recipe)');
SELECT throws_ok($$SELECT id FROM ivfpq_tap ORDER BY v::halfvec(4) <-> '[1,2,3]' LIMIT 1$$,
	'22000', 'different halfvec dimensions 4 and 3', 'a halfvec query of other dimensions');
SELECT throws_ok('CREATE INDEX ON ivfpq_tap USING ivfpq (v, v)', '0A000', NULL, 'multicolumn index');
SELECT throws_ok('SET ivfpq.probes = 0', '22023', NULL, 'ivfpq.probes = 0');
SELECT throws_ok('SET ivfpq.rerank = -1', '22023', NULL, 'ivfpq.rerank = -1');
SELECT is((SELECT setting FROM pg_settings WHERE name = 'ivfpq.max_scan_tuples'), '-1', 'ivfpq.max_scan_tuples defaults to no limit');
SELECT throws_ok('SET ivfpq.max_scan_tuples = -2', '22023', NULL, 'ivfpq.max_scan_tuples = -2');

CREATE INDEX ivfpq_tap_idx ON ivfpq_tap USING ivfpq (v) WITH (lists = 1);
SET LOCAL enable_seqscan = off;
SELECT throws_ok($$SELECT id FROM ivfpq_tap ORDER BY v <-> '[1,2,3]' LIMIT 1$$, '22000',
	'different vector dimensions 4 and 3', 'a query vector of the wrong dimensions');
SELECT throws_ok($$SELECT * FROM pgvq_ivfpq_lists('ivfpq_tap')$$, '42809', NULL, 'lists() of a table');
SELECT is((SELECT tuples FROM pgvq_ivfpq_list_stats('ivfpq_tap_idx')), 1::bigint, 'list stats count the row');
SELECT is((SELECT (trained, configured_lists)::text FROM pgvq_ivfpq_list_stats('ivfpq_tap_idx')), '(t,1)',
	'list stats show a trained index and its lists option');
SELECT throws_ok($$SELECT pgvq_ivfpq_trained('ivfpq_tap')$$, '42809', NULL, 'trained() of a table');
SELECT throws_ok($$SELECT pgvq_ivfpq_lists_option('ivfpq_tap')$$, '42809', NULL, 'lists_option() of a table');
SELECT throws_ok($$SELECT pgvq_ivfpq_retrain('ivfpq_tap')$$, '42809', NULL, 'retrain() of a table');
SELECT is((SELECT (lists, tuples, previous_lists)::text FROM pgvq_ivfpq_retrain('ivfpq_tap_idx')), '(1,1,1)',
	'retrain() of a one-row, one-list index');
SELECT throws_ok('CREATE INDEX ON ivfpq_tap USING ivfpq (v) WITH (auto_retrain = maybe)', '22023', NULL,
	'auto_retrain takes a boolean');
SELECT lives_ok('CREATE INDEX ivfpq_tap_noauto ON ivfpq_tap USING ivfpq (v) WITH (auto_retrain = off)',
	'auto_retrain = off');
SELECT lives_ok($$SELECT id FROM ivfpq_tap ORDER BY v <-> '[1,2,3,4]' LIMIT 1$$, 'a right query works');

SELECT * FROM finish();
ROLLBACK;
