-- pg_temp.plan_of(q): the EXPLAIN (COSTS OFF) of query q as one text, a line
-- each, for matches() on the plan.  Read with \ir by the pgTAP files.
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	line text;
	plan text := '';
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		plan := plan || line || E'\n';
	END LOOP;
	RETURN plan;
END $$;
