-- Upstream MCP servers (issue 17): where their tools come from. Their tools are ordinary rows
-- of `tools` (named `{namespace}__{tool}`, `config.upstream` naming the server), so search,
-- listing and the change log treat them like any other. Header values are secrets: kept here,
-- never returned by the API.
CREATE TABLE upstream_servers (
    name               TEXT        PRIMARY KEY,
    url                TEXT        NOT NULL,
    headers            JSON        NOT NULL DEFAULT '{}',
    namespace          TEXT        NOT NULL UNIQUE,
    include            JSON        NOT NULL DEFAULT '[]',
    exclude            JSON        NOT NULL DEFAULT '[]',
    category           TEXT,
    refresh_interval_s BIGINT      NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
