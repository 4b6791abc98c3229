//! Candidate retrieval for search on the embedded store: the nearest tools by embedding
//! (sqlite-vec) and the best full-text matches (FTS5), fused in `registry` as on PostgreSQL.

use super::tools::{Row, TOOL_COLUMNS, filter_sql, match_expression, tags_param};
use super::{SqliteStore, vector_blob};
use crate::domain::Tool;
use crate::store::{Candidate, CandidateQuery, StoreError, decode_each};
use sqlx::AssertSqlSafe;

#[derive(sqlx::FromRow)]
struct CandidateRow {
    #[sqlx(flatten)]
    tool: Row,
    similarity: f64,
    text_score: f64,
}

/// `bm25` column weights: name words and tags (A), description (B), long description and
/// examples (C), in the proportions PostgreSQL's `ts_rank` weights use.
const BM25_WEIGHTS: &str = "1.0, 0.5, 0.2";

impl SqliteStore {
    /// Fetches the union of the `pool` nearest tools by cosine distance and the `pool` best
    /// full-text matches (any query word, ranked by BM25), both restricted to `filter`.
    ///
    /// The vector side is exact (the in-memory index scores every tool passing the filter), so
    /// a filtered search never misses tools that match; the text side uses the FTS5 index.
    pub async fn search_candidates(
        &self,
        q: &CandidateQuery<'_>,
    ) -> Result<Vec<Candidate>, StoreError> {
        let expr = match_expression(q.text).filter(|_| q.full_text);
        let filter = filter_sql(q.filter);
        let nearest = if q.vector {
            self.nearest_ids(q.embedding.as_slice(), q.filter, q.pool, None)
                .await?
        } else {
            vec![]
        };
        // bm25() is only defined in the query that MATCHes the FTS table, hence the inner
        // select; it is negative (lower is better), so it is negated into a score.
        let matching = if expr.is_some() && q.filter.is_empty() {
            // Unfiltered: rank the full-text index alone, without a `tools` lookup per match.
            format!(
                "SELECT rowid AS id, -bm25(tools_fts, {BM25_WEIGHTS}) AS rank \
                 FROM tools_fts WHERE tools_fts MATCH ?5 ORDER BY rank DESC, id LIMIT ?4"
            )
        } else if expr.is_some() {
            format!(
                "SELECT f.id, f.rank FROM ( \
                   SELECT rowid AS id, -bm25(tools_fts, {BM25_WEIGHTS}) AS rank \
                   FROM tools_fts WHERE tools_fts MATCH ?5 \
                 ) f JOIN tools t ON t.id = f.id WHERE {filter} \
                 ORDER BY f.rank DESC, f.id LIMIT ?4"
            )
        } else {
            "SELECT NULL AS id, NULL AS rank WHERE 0".to_owned()
        };
        let sql = format!(
            "WITH matching AS MATERIALIZED ({matching}) \
             SELECT {TOOL_COLUMNS}, \
               coalesce(1.0 - vec_distance_cosine(t.embedding, ?1), -1.0) AS similarity, \
               coalesce(m.rank, 0.0) AS text_score \
             FROM (SELECT value AS id FROM json_each(?6) UNION SELECT id FROM matching) c \
             JOIN tools t ON t.id = c.id \
             LEFT JOIN matching m ON m.id = c.id"
        );
        let rows = sqlx::query(AssertSqlSafe(sql.as_str()))
            .bind(vector_blob(q.embedding.as_slice()))
            .bind(&q.filter.category)
            .bind(tags_param(q.filter))
            .bind(q.pool)
            .bind(expr)
            .bind(serde_json::Value::from(nearest).to_string())
            .fetch_all(&self.reader)
            .await?;
        Ok(decode_each::<_, CandidateRow>(rows, "tools")
            .into_iter()
            .map(|r| Candidate {
                tool: Tool::from(r.tool),
                similarity: r.similarity as f32,
                text_score: r.text_score as f32,
            })
            .collect())
    }
}
