-- Core schema for the embedded store (SQLite + sqlite-vec + FTS5); the PostgreSQL schema is
-- in the parent directory. Same tables and meaning; SQLite spellings:
--   arrays and JSON are JSON text, timestamps are fixed-width RFC 3339 text in UTC
--   (`YYYY-MM-DDTHH:MM:SS.ffffffZ`, written by the store, so text order is time order),
--   embeddings are sqlite-vec float32 blobs.
-- The embedding dimension is recorded in `store_meta` at startup (see store::sqlite::schema).

CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE tools (
    -- AUTOINCREMENT: ids are never reused, as with PostgreSQL's identity columns, so an
    -- execution's tool_id never points at a different tool.
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT    NOT NULL UNIQUE,
    description      TEXT    NOT NULL,
    long_description TEXT,
    category         TEXT    NOT NULL DEFAULT 'general',
    tags             TEXT    NOT NULL DEFAULT '[]',
    examples         TEXT    NOT NULL DEFAULT '[]',
    input_schema     TEXT    NOT NULL,
    output_schema    TEXT,
    embedding        BLOB,
    embedding_model  TEXT,
    embedding_hash   TEXT,
    version          TEXT    NOT NULL DEFAULT '1.0.0',
    author           TEXT,
    config           TEXT    NOT NULL DEFAULT '{}',
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL
) STRICT;

CREATE INDEX tools_category_idx ON tools (category);

-- One row per (tool, tag), kept by the store in the same transaction as the tool: the tag
-- filter ("carries all of these tags") becomes an indexed lookup instead of JSON parsing.
CREATE TABLE tool_tags (
    tool_id INTEGER NOT NULL REFERENCES tools (id) ON DELETE CASCADE,
    tag     TEXT    NOT NULL,
    PRIMARY KEY (tag, tool_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX tool_tags_tool_idx ON tool_tags (tool_id);

-- Full-text index, rowid = tools.id, kept by the store in the same transaction as the tool.
-- Columns mirror PostgreSQL's weights: A = name words and tags, B = description,
-- C = long description and examples.
CREATE VIRTUAL TABLE tools_fts USING fts5 (
    names, description, details,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- Executions keep the tool's name so the history survives the tool's deletion.
CREATE TABLE tool_executions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tool_id     INTEGER REFERENCES tools (id) ON DELETE SET NULL,
    tool_name   TEXT    NOT NULL,
    input_data  TEXT    NOT NULL,
    output_data TEXT,
    error       TEXT,
    success     INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    executed_at TEXT    NOT NULL
) STRICT;

CREATE INDEX tool_executions_tool_id_idx ON tool_executions (tool_id);
CREATE INDEX tool_executions_executed_at_idx ON tool_executions (executed_at);
CREATE INDEX tool_executions_tool_name_idx ON tool_executions (tool_name, executed_at DESC);
