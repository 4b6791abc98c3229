-- Upstream MCP servers (issue 17), as in ../0010_upstream_servers.sql. JSON columns are TEXT;
-- times are RFC 3339 text, as in `tools`.
CREATE TABLE upstream_servers (
    name               TEXT    PRIMARY KEY,
    url                TEXT    NOT NULL,
    headers            TEXT    NOT NULL DEFAULT '{}',
    namespace          TEXT    NOT NULL UNIQUE,
    include            TEXT    NOT NULL DEFAULT '[]',
    exclude            TEXT    NOT NULL DEFAULT '[]',
    category           TEXT,
    refresh_interval_s INTEGER NOT NULL,
    created_at         TEXT    NOT NULL,
    updated_at         TEXT    NOT NULL
);
