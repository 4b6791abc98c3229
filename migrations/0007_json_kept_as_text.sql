-- JSON columns become `json` (the text as written, syntax-checked) instead of `jsonb`.
-- jsonb stores numbers as `numeric` and prints them back in full: 1.7976931348623157e308
-- comes back as a 309-digit integer that the service's JSON parser refuses ("number out of
-- range"), so one such schema made every listing of tools fail. jsonb also refuses `\u0000`
-- in strings, which call arguments and tool results may legitimately hold. The service never
-- queries inside these columns, so nothing is lost by keeping the text.
--
-- The change-notification trigger names these columns (UPDATE OF ...), and a column used in
-- a trigger's definition cannot change type: the trigger is dropped and made again as 0005
-- made it.
DROP TRIGGER tools_changed_notify ON tools;

ALTER TABLE tools
    ALTER COLUMN input_schema  TYPE json USING input_schema::json,
    ALTER COLUMN output_schema TYPE json USING output_schema::json,
    ALTER COLUMN config        DROP DEFAULT,
    ALTER COLUMN config        TYPE json USING config::json,
    ALTER COLUMN config        SET DEFAULT '{}'::json;

ALTER TABLE tool_executions
    ALTER COLUMN input_data  TYPE json USING input_data::json,
    ALTER COLUMN output_data TYPE json USING output_data::json;

CREATE TRIGGER tools_changed_notify
AFTER INSERT OR DELETE OR TRUNCATE
    OR UPDATE OF name, description, long_description, category, tags, examples,
                 input_schema, output_schema, version, author, config
ON tools
FOR EACH STATEMENT EXECUTE FUNCTION toolbox_notify_tools_changed();
