-- HNSW recall@10 against exact search. Query vectors (qid TAB vector) come on stdin; :ef is
-- hnsw.ef_search. A result counts as correct when its distance is within the exact 10th
-- nearest distance (robust to ties). Prints one JSON object.
\set ON_ERROR_STOP on
CREATE TEMP TABLE q (qid int, v vector);
\copy q FROM pstdin
SET jit = off;  -- the disabled-plan costs below would otherwise trigger JIT compilation
SET hnsw.ef_search = :ef;
SET hnsw.iterative_scan = relaxed_order;
-- Force the HNSW index even where the planner would scan a small table.
SET enable_seqscan = off;
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
CREATE TEMP TABLE ann AS
  SELECT q.qid, r.id, r.d FROM q CROSS JOIN LATERAL (
    SELECT id, embedding <=> q.v AS d FROM tools WHERE embedding IS NOT NULL
    ORDER BY embedding <=> q.v LIMIT 10) r;
SELECT extract(epoch FROM clock_timestamp()) AS t1 \gset
RESET enable_seqscan;
SET enable_indexscan = off;
CREATE TEMP TABLE exact AS
  SELECT q.qid, r.id, r.d FROM q CROSS JOIN LATERAL (
    SELECT id, embedding <=> q.v AS d FROM tools WHERE embedding IS NOT NULL
    ORDER BY embedding <=> q.v LIMIT 10) r;
SELECT extract(epoch FROM clock_timestamp()) AS t2 \gset
RESET enable_indexscan;
SELECT json_build_object(
  'recall_at_10', round((SELECT avg(hits) FROM (
      SELECT q.qid, (SELECT count(*) FROM ann a WHERE a.qid = q.qid
                     AND a.d <= (SELECT max(d) FROM exact e WHERE e.qid = q.qid) + 1e-6)::float8
                    / GREATEST((SELECT count(*) FROM exact e WHERE e.qid = q.qid), 1) AS hits
      FROM q) s)::numeric, 4),
  'queries', (SELECT count(*) FROM q),
  'ann_ms_per_query', round(((:t1 - :t0) * 1000 / (SELECT count(*) FROM q))::numeric, 3),
  'exact_ms_per_query', round(((:t2 - :t1) * 1000 / (SELECT count(*) FROM q))::numeric, 3));
