-- Managed API keys (issue 18): only the SHA-256 digest of a secret is kept. A revoked key
-- keeps its row (revoked_at set), so the history's `key:<id>` still names a label.
CREATE TABLE api_keys (
    id         TEXT        PRIMARY KEY,
    digest     TEXT        NOT NULL UNIQUE,
    label      TEXT        NOT NULL,
    role       TEXT        NOT NULL,
    tools      JSON,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
-- The history can be filtered by caller within one tool.
CREATE INDEX executions_tool_caller ON tool_executions (tool_name, caller, id DESC);
