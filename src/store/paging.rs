//! Keyset pages by tool name, filled past rows that cannot be decoded: shared by both backends.

use std::future::Future;

use super::{StoreError, decode_each};

/// Reads up to `limit` rows after `after` with `fetch(after, want)` (a query ordered by
/// `name` with `LIMIT want`) and decodes each on its own. A row `decode_each` leaves out must
/// not shorten the page, since a short page reads as the last one: the scan goes on past such
/// rows until the page is full or the table ends.
pub(crate) async fn fill_page<R, T, F, Fut>(
    after: Option<&str>,
    limit: i64,
    what: &'static str,
    mut fetch: F,
) -> Result<Vec<T>, StoreError>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    T: for<'r> sqlx::FromRow<'r, R>,
    F: FnMut(Option<String>, i64) -> Fut,
    Fut: Future<Output = Result<Vec<R>, sqlx::Error>>,
{
    let mut items = Vec::new();
    let mut after = after.map(str::to_owned);
    loop {
        let want = limit - items.len() as i64;
        let rows = fetch(after.take(), want).await?;
        let fetched = rows.len() as i64;
        let last: Option<String> = rows.last().map(|r| r.try_get("name")).transpose()?;
        items.extend(decode_each::<R, T>(rows, what));
        match last {
            Some(name) if fetched == want && (items.len() as i64) < limit => after = Some(name),
            _ => return Ok(items),
        }
    }
}
