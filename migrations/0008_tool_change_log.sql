-- The change log that keeps every replica's in-process search index (src/registry/index.rs)
-- in step with `tools`: one row per tool written, numbered in commit order, written by the
-- database itself so every writer is covered (the server, `toolbox import` and
-- `toolbox reindex`). NOTIFY (migration 0005) only wakes readers up; a reader that was
-- disconnected catches up by sequence number, which a lost notification cannot break.
--
-- `tool_id` NULL means "everything may have changed" (TRUNCATE): readers rebuild.
CREATE TABLE tool_changes (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tool_id    BIGINT,
    changed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Sequence numbers are handed out in commit order: every statement that writes `tools` first
-- takes one transaction-scoped advisory lock (before it locks any row, so two writers cannot
-- deadlock on it), and holds it until its transaction ends. A reader that has seen change N
-- has therefore seen every change below N that will ever commit. Tool writes are rare and
-- short; a bulk import holds the lock for its one transaction.
CREATE FUNCTION toolbox_lock_tool_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7598893620011237686);
    RETURN NULL;
END
$$;

CREATE FUNCTION toolbox_log_tool_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO tool_changes (tool_id) SELECT id FROM old_rows;
    ELSIF TG_OP = 'TRUNCATE' THEN
        INSERT INTO tool_changes (tool_id) VALUES (NULL);
    ELSE
        INSERT INTO tool_changes (tool_id) SELECT id FROM new_rows;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER tools_changes_lock
BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON tools
FOR EACH STATEMENT EXECUTE FUNCTION toolbox_lock_tool_changes();

CREATE TRIGGER tools_changes_inserted AFTER INSERT ON tools
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION toolbox_log_tool_changes();

CREATE TRIGGER tools_changes_updated AFTER UPDATE ON tools
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION toolbox_log_tool_changes();

CREATE TRIGGER tools_changes_deleted AFTER DELETE ON tools
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION toolbox_log_tool_changes();

CREATE TRIGGER tools_changes_truncated AFTER TRUNCATE ON tools
FOR EACH STATEMENT EXECUTE FUNCTION toolbox_log_tool_changes();

-- The last entry pruned (src/store/postgres/index_feed.rs): a reader whose position is below
-- it has missed entries and reloads. One row.
CREATE TABLE tool_changes_horizon (upto BIGINT NOT NULL);
INSERT INTO tool_changes_horizon VALUES (0);
