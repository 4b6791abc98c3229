-- Managed API keys (issue 18), as in ../0011_api_keys.sql. JSON is TEXT; times are RFC 3339
-- text, as in `tools`.
CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    digest     TEXT NOT NULL UNIQUE,
    label      TEXT NOT NULL,
    role       TEXT NOT NULL,
    tools      TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
);
CREATE INDEX executions_tool_caller ON tool_executions (tool_name, caller, id DESC);
