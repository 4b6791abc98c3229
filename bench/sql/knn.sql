-- The floor for find_tool: the candidate query store::search sends (src/store/search.rs,
-- fetch_candidates; keep in step with it), with the same parameters bound as sqlx binds them:
-- :q the embedding of the same query text, :cat/:tags the filter ('-' becomes NULL through
-- NULLIF, as the service binds NULL), :pool the candidate pool (50 for hybrid search, else the
-- limit), :words the query's words, :vec/:fts which sides run (hybrid: both). The fusion of
-- the two candidate lists happens in the service, not here.
WITH q AS (
  SELECT replace(plainto_tsquery('english', :words)::text, ' & ', ' | ')::tsquery AS tsq
),
nearest AS MATERIALIZED (
  SELECT id FROM tools
  WHERE :vec::boolean AND embedding IS NOT NULL
    AND (NULLIF(:cat, '-')::text IS NULL OR category = NULLIF(:cat, '-'))
    AND (NULLIF(:tags, '-')::text[] IS NULL OR tags @> NULLIF(:tags, '-')::text[])
  ORDER BY embedding <=> :q LIMIT :pool
),
matching AS MATERIALIZED (
  SELECT t.id, ts_rank('{0.05, 0.2, 0.5, 1.0}', t.search_vector, q.tsq, 1) AS rank
  FROM tools t, q
  WHERE :fts::boolean AND t.search_vector @@ q.tsq
    AND (NULLIF(:cat, '-')::text IS NULL OR t.category = NULLIF(:cat, '-'))
    AND (NULLIF(:tags, '-')::text[] IS NULL OR t.tags @> NULLIF(:tags, '-')::text[])
  ORDER BY rank DESC, t.id LIMIT :pool
)
SELECT t.id, t.name, t.description, t.long_description, t.category, t.tags, t.examples,
       t.input_schema, t.output_schema, t.version, t.author, t.config, t.created_at, t.updated_at,
       coalesce(1 - (t.embedding <=> :q), -1)::float8 AS similarity,
       coalesce(m.rank, 0)::float8 AS text_score,
       (n.id IS NOT NULL) AS from_vector
FROM (SELECT id FROM nearest UNION SELECT id FROM matching) c
JOIN tools t ON t.id = c.id
LEFT JOIN nearest n ON n.id = c.id
LEFT JOIN matching m ON m.id = c.id;
