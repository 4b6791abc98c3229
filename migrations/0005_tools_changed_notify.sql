-- Every change to the catalogue of tools notifies `toolbox_tools_changed`, inside the writing
-- transaction, so every replica's MCP endpoint can tell its clients that the tool list
-- changed (notifications/tools/list_changed). One notification per statement: a bulk import
-- in one transaction sends one (PostgreSQL folds identical notifications of a transaction).
-- Updates that touch only the embedding (re-indexing) change nothing a client sees, so they
-- do not notify.
CREATE FUNCTION toolbox_notify_tools_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('toolbox_tools_changed', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER tools_changed_notify
AFTER INSERT OR DELETE OR TRUNCATE
    OR UPDATE OF name, description, long_description, category, tags, examples,
                 input_schema, output_schema, version, author, config
ON tools
FOR EACH STATEMENT EXECUTE FUNCTION toolbox_notify_tools_changed();
