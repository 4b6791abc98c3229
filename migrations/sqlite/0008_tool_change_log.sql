-- The change log that keeps the in-process search index (src/registry/index.rs) in step with
-- `tools`, written by the database itself so every writer is covered: the server, and
-- `toolbox import` or `toolbox reindex` run beside it. One row per tool written; SQLite has
-- one writer at a time, so sequence numbers are in commit order. It replaces the vector-only
-- log of migration 0006: the index also holds each tool's text and labels.
CREATE TABLE tool_changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    tool_id    INTEGER NOT NULL,
    changed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE TRIGGER tools_changes_inserted AFTER INSERT ON tools BEGIN
    INSERT INTO tool_changes (tool_id) VALUES (new.id);
END;

CREATE TRIGGER tools_changes_updated AFTER UPDATE ON tools BEGIN
    INSERT INTO tool_changes (tool_id) VALUES (new.id);
END;

CREATE TRIGGER tools_changes_deleted AFTER DELETE ON tools BEGIN
    INSERT INTO tool_changes (tool_id) VALUES (old.id);
END;

DROP TRIGGER tools_vector_inserted;
DROP TRIGGER tools_vector_updated;
DROP TRIGGER tools_vector_deleted;
DROP TRIGGER tool_vector_changes_pruned;
DROP TABLE tool_vector_changes;
