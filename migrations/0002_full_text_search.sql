-- Full-text side of hybrid search: a weighted tsvector per tool, written by the application
-- (store::tools) from identifier-split text so `get_weather`, `SEOTool` and `pdf-to-text`
-- match word queries. Weights: A = name words and tags, B = description,
-- C = long description and examples.
ALTER TABLE tools ADD COLUMN search_vector tsvector;

-- Rows written before this migration: an approximation of the application's splitting
-- (underscores, hyphens and dots become spaces); `PUT /tools/{name}` rewrites the exact form.
UPDATE tools SET search_vector =
    setweight(to_tsvector('english', regexp_replace(name, '[_.-]+', ' ', 'g') || ' ' ||
                                     array_to_string(tags, ' ')), 'A') ||
    setweight(to_tsvector('english', description), 'B') ||
    setweight(to_tsvector('english', coalesce(long_description, '') || ' ' ||
                                     array_to_string(examples, ' ')), 'C');

CREATE INDEX tools_search_vector_idx ON tools USING gin (search_vector);
