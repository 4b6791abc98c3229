-- Execution history (issue 5), as in ../0004_execution_history.sql: the outcome class of each
-- call, who asked and under which request, and an index for newest-first cursor pagination.
ALTER TABLE tool_executions ADD COLUMN error_kind TEXT;
ALTER TABLE tool_executions ADD COLUMN request_id TEXT;
ALTER TABLE tool_executions ADD COLUMN caller TEXT;

UPDATE tool_executions SET error_kind = 'tool_error' WHERE NOT success AND error_kind IS NULL;

CREATE INDEX tool_executions_tool_name_id_idx ON tool_executions (tool_name, id DESC);
