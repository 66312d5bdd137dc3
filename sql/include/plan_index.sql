-- pg_temp.plan(q): the index a plan reads (the first in EXPLAIN's order), or
-- 'seq scan' (shared by the regress files that check plan choices)
CREATE FUNCTION pg_temp.plan(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	line text;
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		IF line ~ 'Index Scan (using|on) \w+' THEN
			RETURN substring(line from 'Index Scan (?:using|on) (\w+)');
		END IF;
	END LOOP;
	RETURN 'seq scan';
END
$$;
