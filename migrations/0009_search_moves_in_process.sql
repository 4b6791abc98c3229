-- Search runs in each replica's in-process index (src/search_index/: BM25 and an exact
-- vector scan), fed by the change log of migration 0008. The database's own search
-- structures are no longer read: the HNSW graph (which lost true neighbours for queries
-- unlike the bulk of the catalogue, and made a 100,000-tool import take minutes) and the
-- full-text document with its GIN index. The embeddings stay: this table is their record.
DROP INDEX IF EXISTS tools_embedding_hnsw_idx;
DROP INDEX IF EXISTS tools_search_vector_idx;
ALTER TABLE tools DROP COLUMN IF EXISTS search_vector;
