-- Search runs in the process's index (src/search_index/), fed by the change log of
-- migration 0008: the FTS5 table is no longer read, nor written.
DROP TABLE tools_fts;
