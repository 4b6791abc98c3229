-- The floor for find_tool: the query store::search sends, with the same parameters (no
-- filter: -D values of '-' become NULL through NULLIF, as the service binds NULLs), limit 10,
-- threshold 0 (all bound as parameters, as sqlx does, so the planner sees what it sees for the
-- service), and :q the embedding of the same query text. Keep in step with
-- src/store/tools.rs.
WITH nearest AS MATERIALIZED (
  SELECT id, embedding <=> :q AS distance FROM tools
  WHERE embedding IS NOT NULL
    AND (NULLIF(:cat, '-')::text IS NULL OR category = NULLIF(:cat, '-'))
    AND (NULLIF(:tags, '-')::text[] IS NULL OR tags @> NULLIF(:tags, '-')::text[])
    AND (NULLIF(:exclude, '-')::bigint IS NULL OR id <> NULLIF(:exclude, '-')::bigint)
  ORDER BY embedding <=> :q LIMIT :lim
)
SELECT t.id, t.name, t.description, t.long_description, t.category, t.tags, t.examples,
       t.input_schema, t.output_schema, t.version, t.author, t.config, t.created_at, t.updated_at,
       (1 - n.distance)::float8 AS similarity
FROM nearest n JOIN tools t ON t.id = n.id
WHERE 1 - n.distance >= :thr
ORDER BY n.distance, t.name;
