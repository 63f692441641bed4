-- The ingest's look-up of existing records (services/credit/writing._existing: id IN (...)) against the
-- same rows looked up by (subject_key, id), on a database built by benchmarks/credit_ingest.py --keep:
--   psql -h 127.0.0.1 -U postgres bench_credit -f benchmarks/credit_lookup.sql   (run twice: the second is warm)
\timing on
CREATE TEMP TABLE probe AS SELECT subject_key, id FROM credit_records TABLESAMPLE SYSTEM (0.5) REPEATABLE (3) LIMIT 2000;
SELECT count(*) FROM probe;
-- as _existing does: id IN (...)
EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, SUMMARY ON) SELECT c.id FROM credit_records c WHERE c.id = ANY (ARRAY(SELECT id FROM probe));
-- by (subject_key, id) pairs
EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, SUMMARY ON) SELECT c.id FROM unnest((SELECT array_agg(subject_key) FROM probe), (SELECT array_agg(id) FROM probe)) AS t(k, i) JOIN credit_records c ON c.subject_key = t.k AND c.id = t.i;
