-- The change log that keeps the in-memory vector index (src/store/sqlite/vectors.rs) in step
-- with `tools`, written by the database itself so every writer is covered: the server, and
-- `toolbox import` or `toolbox reindex` run beside it. Each entry names a tool whose vector
-- may have changed; the index reads the tool's current embedding (none: deleted).
CREATE TABLE tool_vector_changes (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    tool_id INTEGER NOT NULL
) STRICT;

CREATE TRIGGER tools_vector_inserted AFTER INSERT ON tools BEGIN
    INSERT INTO tool_vector_changes (tool_id) VALUES (new.id);
END;

CREATE TRIGGER tools_vector_updated AFTER UPDATE OF embedding ON tools BEGIN
    INSERT INTO tool_vector_changes (tool_id) VALUES (new.id);
END;

CREATE TRIGGER tools_vector_deleted AFTER DELETE ON tools BEGIN
    INSERT INTO tool_vector_changes (tool_id) VALUES (old.id);
END;

-- Keep the last 100,000 entries (checked every 1,000th): an index further behind reloads.
CREATE TRIGGER tool_vector_changes_pruned AFTER INSERT ON tool_vector_changes
WHEN new.seq % 1000 = 0 BEGIN
    DELETE FROM tool_vector_changes WHERE seq <= new.seq - 100000;
END;
