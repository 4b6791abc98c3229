-- Core schema. The embedding column's dimension is not fixed here: it comes from
-- EMBEDDING_DIMENSION and is applied at startup (see store::schema), together with the
-- HNSW index that needs it.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE tools (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name             TEXT        NOT NULL UNIQUE,
    description      TEXT        NOT NULL,
    long_description TEXT,
    category         TEXT        NOT NULL DEFAULT 'general',
    tags             TEXT[]      NOT NULL DEFAULT '{}',
    examples         TEXT[]      NOT NULL DEFAULT '{}',
    input_schema     JSONB       NOT NULL,
    output_schema    JSONB,
    embedding        vector,
    -- Which model embedded the row and a hash of the text it embedded: `toolbox reindex`
    -- re-embeds only rows where either differs from the current configuration.
    embedding_model  TEXT,
    embedding_hash   TEXT,
    version          TEXT        NOT NULL DEFAULT '1.0.0',
    author           TEXT,
    config           JSONB       NOT NULL DEFAULT '{}'::jsonb,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX tools_category_idx ON tools (category);
CREATE INDEX tools_tags_idx ON tools USING gin (tags);

-- Executions keep the tool's name so the history survives the tool's deletion.
CREATE TABLE tool_executions (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tool_id     BIGINT REFERENCES tools (id) ON DELETE SET NULL,
    tool_name   TEXT        NOT NULL,
    input_data  JSONB       NOT NULL,
    output_data JSONB,
    error       TEXT,
    success     BOOLEAN     NOT NULL,
    duration_ms BIGINT      NOT NULL,
    executed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX tool_executions_tool_id_idx ON tool_executions (tool_id);
CREATE INDEX tool_executions_executed_at_idx ON tool_executions (executed_at);
CREATE INDEX tool_executions_tool_name_idx ON tool_executions (tool_name, executed_at DESC);
