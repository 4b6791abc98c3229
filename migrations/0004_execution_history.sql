-- Execution history (issue 5): the outcome class of each call, who asked and under which
-- request, and an index for newest-first cursor pagination per tool.
ALTER TABLE tool_executions
    ADD COLUMN error_kind TEXT,
    ADD COLUMN request_id TEXT,
    ADD COLUMN caller     TEXT;

-- Rows written before this migration: failures are classed as tool errors.
UPDATE tool_executions SET error_kind = 'tool_error' WHERE NOT success AND error_kind IS NULL;

CREATE INDEX tool_executions_tool_name_id_idx ON tool_executions (tool_name, id DESC);
