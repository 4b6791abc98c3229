-- The floor for GET /tools/{name}: the query store::get_tool sends.
SELECT id, name, description, long_description, category, tags, examples, input_schema,
       output_schema, version, author, config, created_at, updated_at
FROM tools WHERE name = :name;
