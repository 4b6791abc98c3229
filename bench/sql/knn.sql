-- The floor for find_tool: the query store::search sends (no filter, limit 10, threshold 0),
-- with :q the embedding of the same query text. Keep in step with src/store/tools.rs.
WITH nearest AS MATERIALIZED (
  SELECT id, embedding <=> :q AS distance FROM tools
  WHERE embedding IS NOT NULL
    AND (NULL::text IS NULL OR category = NULL::text) AND (NULL::text[] IS NULL OR tags @> NULL::text[])
    AND (NULL::bigint IS NULL OR id <> NULL::bigint)
  ORDER BY embedding <=> :q LIMIT 10
)
SELECT t.id, t.name, t.description, t.long_description, t.category, t.tags, t.examples,
       t.input_schema, t.output_schema, t.version, t.author, t.config, t.created_at, t.updated_at,
       (1 - n.distance)::float8 AS similarity
FROM nearest n JOIN tools t ON t.id = n.id
WHERE 1 - n.distance >= 0.0
ORDER BY n.distance, t.name;
