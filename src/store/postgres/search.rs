//! Candidate retrieval for search: the nearest tools by embedding and the best full-text
//! matches, each side's pool fetched in one query. Fusion happens in `registry`.

use pgvector::Vector;
use sqlx::AssertSqlSafe;

use super::PgStore;
use super::tools::{TOOL_COLUMNS, ToolRow};
use crate::domain::Tool;
use crate::store::{Candidate, CandidateQuery, StoreError, decode_each};

#[derive(sqlx::FromRow)]
struct CandidateRow {
    #[sqlx(flatten)]
    tool: ToolRow,
    similarity: f64,
    text_score: f64,
    from_vector: bool,
}

/// Field weights for `ts_rank`, in the order D, C, B, A: name words and tags (A) weigh most,
/// then the description (B), then long description and examples (C).
const RANK_WEIGHTS: &str = "'{0.05, 0.2, 0.5, 1.0}'";

impl PgStore {
    /// Fetches the union of the `pool` nearest tools by cosine distance and the `pool` best
    /// full-text matches (any query word, ranked by `ts_rank`), both restricted to `filter`.
    ///
    /// The vector side uses the HNSW index with iterative scans; when a filter leaves it short
    /// of `pool` rows (a selective filter on a large table can exhaust
    /// `hnsw.max_scan_tuples`), it is re-run as an exact scan of the filtered rows (B-tree on
    /// `category`, GIN on `tags`), so a filtered search never misses tools that match. The text
    /// side uses the GIN index on `search_vector`.
    pub async fn search_candidates(
        &self,
        q: &CandidateQuery<'_>,
    ) -> Result<Vec<Candidate>, StoreError> {
        let rows = self.fetch_candidates(q, false).await?;
        let from_vector = rows.iter().filter(|r| r.from_vector).count() as i64;
        let filtered = !q.filter.is_empty();
        let rows = if q.vector && filtered && from_vector < q.pool {
            self.fetch_candidates(q, true).await?
        } else {
            rows
        };
        Ok(rows
            .into_iter()
            .map(|r| Candidate {
                tool: Tool::from(r.tool),
                similarity: r.similarity as f32,
                text_score: r.text_score as f32,
            })
            .collect())
    }

    async fn fetch_candidates(
        &self,
        q: &CandidateQuery<'_>,
        exact: bool,
    ) -> Result<Vec<CandidateRow>, StoreError> {
        // `+ 0` hides the expression from the HNSW index, forcing an exact, filtered scan.
        let order = if exact {
            "(embedding <=> $1) + 0"
        } else {
            "embedding <=> $1"
        };
        let cols = TOOL_COLUMNS
            .split(", ")
            .map(|c| format!("t.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        // Any query word matches (OR), as BM25 does; ts_rank then prefers tools with more and
        // heavier matches. Normalisation 1 divides by 1 + log(document length).
        let sql = format!(
            "WITH q AS ( \
               SELECT replace(plainto_tsquery('english', $5)::text, ' & ', ' | ')::tsquery AS tsq \
             ), \
             nearest AS MATERIALIZED ( \
               SELECT id FROM tools \
               WHERE $6 AND embedding IS NOT NULL \
                 AND ($2::text IS NULL OR category = $2) AND ($3::text[] IS NULL OR tags @> $3) \
               ORDER BY {order} LIMIT $4 \
             ), \
             matching AS MATERIALIZED ( \
               SELECT t.id, ts_rank({RANK_WEIGHTS}, t.search_vector, q.tsq, 1) AS rank \
               FROM tools t, q \
               WHERE $7 AND t.search_vector @@ q.tsq \
                 AND ($2::text IS NULL OR t.category = $2) AND ($3::text[] IS NULL OR t.tags @> $3) \
               ORDER BY rank DESC, t.id LIMIT $4 \
             ) \
             SELECT {cols}, \
               coalesce(1 - (t.embedding <=> $1), -1)::float8 AS similarity, \
               coalesce(m.rank, 0)::float8 AS text_score, \
               (n.id IS NOT NULL) AS from_vector \
             FROM (SELECT id FROM nearest UNION SELECT id FROM matching) c \
             JOIN tools t ON t.id = c.id \
             LEFT JOIN nearest n ON n.id = c.id \
             LEFT JOIN matching m ON m.id = c.id"
        );
        let rows = sqlx::query(AssertSqlSafe(sql.as_str()))
            .bind(Vector::from(q.embedding.as_slice().to_vec()))
            .bind(&q.filter.category)
            .bind(&q.filter.tags)
            .bind(q.pool)
            .bind(q.text)
            .bind(q.vector)
            .bind(q.full_text)
            .fetch_all(&self.pool)
            .await?;
        Ok(decode_each(rows, "tools"))
    }
}
