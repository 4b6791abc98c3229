-- Tools written by bulk import (POST /tools/bulk, `toolbox import`) before it wrote the
-- full-text column had no search_vector, so full-text search never found them. Backfilled
-- with 0002's approximation of the application's identifier splitting; the next edit of a
-- tool (or another import with upsert) writes the exact form.
UPDATE tools SET search_vector =
    setweight(to_tsvector('english', regexp_replace(name, '[_.-]+', ' ', 'g') || ' ' ||
                                     array_to_string(tags, ' ')), 'A') ||
    setweight(to_tsvector('english', description), 'B') ||
    setweight(to_tsvector('english', coalesce(long_description, '') || ' ' ||
                                     array_to_string(examples, ' ')), 'C')
WHERE search_vector IS NULL;
