-- pgvq.build_device: where ivfpq builds train and encode.  No GPU is needed:
-- the output is the same whether or not the GPU module is installed (no
-- machine running these tests has a CUDA device the build may use under gpu).
CREATE TABLE bd (id int, v vector(4));
INSERT INTO bd SELECT i, ARRAY[i % 10, (i * 7) % 13, (i * 3) % 5, i % 2]::real[]::vector
	FROM generate_series(1, 300) i;
-- the defaults (pgvq.so is loaded now)
SHOW pgvq.build_device;
SHOW pgvq.gpu_min_build_size;
SHOW pgvq.gpu_library;
SET enable_seqscan = off;
SET ivfpq.probes = 2;
SET ivfpq.rerank = 1000;

-- cpu: builds, never looks for a GPU
SET pgvq.build_device = cpu;
CREATE INDEX bd_idx ON bd USING ivfpq (v vector_l2_ops) WITH (lists = 2, m = 2);
SELECT id FROM bd ORDER BY v <-> '[3,3,3,1]' LIMIT 5;
DROP INDEX bd_idx;

-- gpu: fails before the heap scan with a clear error when no GPU is usable
-- (no module, no device, or another ABI); only the stable parts are shown
SET pgvq.build_device = gpu;
DO $$
BEGIN
	CREATE INDEX bd_idx ON bd USING ivfpq (v vector_l2_ops) WITH (lists = 2, m = 2);
	RAISE NOTICE 'built on a GPU';
EXCEPTION WHEN OTHERS THEN
	RAISE NOTICE 'SQLSTATE %: %', SQLSTATE, SQLERRM;
END $$;
SELECT count(*) FROM pg_class WHERE relname = 'bd_idx';

-- a file that is no GPU module (pgvq.so itself): the reason names the symbol
SET pgvq.gpu_library = '$libdir/pgvq';
DO $$
DECLARE
	detail text;
BEGIN
	CREATE INDEX bd_idx ON bd USING ivfpq (v vector_l2_ops) WITH (lists = 2, m = 2);
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RAISE NOTICE 'SQLSTATE %: % (%)', SQLSTATE, SQLERRM,
		regexp_replace(detail, '"[^"]*/', '".../');
END $$;
-- a module that is not installed
SET pgvq.gpu_library = '$libdir/pgvq_no_such_module';
DO $$
DECLARE
	detail text;
BEGIN
	CREATE INDEX bd_idx ON bd USING ivfpq (v vector_l2_ops) WITH (lists = 2, m = 2);
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RAISE NOTICE 'SQLSTATE %: % (%)', SQLSTATE, SQLERRM,
		regexp_replace(detail, '"[^"]*/', '".../');
END $$;
RESET pgvq.gpu_library;

-- every build needs the GPU under gpu, even one on no rows
CREATE TABLE bd_empty (v vector(4));
DO $$
BEGIN
	CREATE INDEX ON bd_empty USING ivfpq (v vector_l2_ops);
EXCEPTION WHEN OTHERS THEN
	RAISE NOTICE 'SQLSTATE %: %', SQLSTATE, SQLERRM;
END $$;
SET pgvq.build_device = cpu;
CREATE INDEX ON bd_empty USING ivfpq (v vector_l2_ops);
DROP TABLE bd_empty;

-- auto: small builds stay on the CPU; with the threshold at 0 the GPU module
-- is tried, and a missing module or device is not worth a message
SET pgvq.build_device = auto;
CREATE INDEX bd_idx ON bd USING ivfpq (v vector_l2_ops) WITH (lists = 2, m = 2);
SELECT id FROM bd ORDER BY v <-> '[3,3,3,1]' LIMIT 5;
DROP INDEX bd_idx;
SET pgvq.gpu_min_build_size = 0;
CREATE INDEX bd_idx ON bd USING ivfpq (v vector_l2_ops) WITH (lists = 2, m = 2);
SELECT id FROM bd ORDER BY v <-> '[3,3,3,1]' LIMIT 5;
DROP INDEX bd_idx;
RESET pgvq.gpu_min_build_size;

-- invalid settings
SET pgvq.build_device = tpu;
SET pgvq.build_device = '';
SET pgvq.gpu_min_build_size = -1;
SHOW pgvq.build_device;

RESET pgvq.build_device;
RESET enable_seqscan;
RESET ivfpq.probes;
RESET ivfpq.rerank;
DROP TABLE bd;
