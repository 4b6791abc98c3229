//! Paging through the catalogue and summarising it: the REST listings (a page, or the whole
//! list as a stream), MCP's `tools/list` and the meta-tools' descriptions.

use std::sync::Arc;

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::{self, BoxStream};

use super::{RegistryError, RegistryService};
use crate::domain::{ListQuery, Principal, Tool, ToolFacts, ToolScope, encode_cursor};
use crate::store::{SearchFilter, Store, StoreError, ToolSummary};

/// How many tools a streamed listing reads from the store at a time: what bounds its memory.
const STREAM_BATCH: i64 = 500;

/// A listing's answer.
pub enum Listing<T> {
    /// One page (`limit` given) and, unless it is the last, the cursor of the next.
    Page { items: Vec<T>, next: Option<String> },
    /// Every tool after the cursor, in batches read from the store as the stream is polled.
    /// The first batch is already read, so a store that is down fails the call, not the
    /// stream; a later failure ends the stream with an error.
    All(BoxStream<'static, Result<Vec<T>, RegistryError>>),
}

/// What a listing lists: whole tools (`GET /tools`) or their summaries (`list_tools`).
pub trait Listed: Send + Sized + 'static {
    /// The key the listing is ordered by and its cursor made from.
    fn name(&self) -> &str;

    /// Whether a caller with `scope` may see it.
    fn visible_to(&self, scope: &ToolScope) -> bool;

    /// A keyset page from the store.
    fn page<'a>(
        store: &'a dyn Store,
        filter: &'a SearchFilter,
        after: Option<&'a str>,
        limit: i64,
    ) -> BoxFuture<'a, Result<Vec<Self>, StoreError>>;
}

impl Listed for Tool {
    fn name(&self) -> &str {
        &self.name
    }

    fn visible_to(&self, scope: &ToolScope) -> bool {
        scope.permits_tool(self)
    }

    fn page<'a>(
        store: &'a dyn Store,
        filter: &'a SearchFilter,
        after: Option<&'a str>,
        limit: i64,
    ) -> BoxFuture<'a, Result<Vec<Self>, StoreError>> {
        store.list_tools_page(filter, after, limit)
    }
}

impl Listed for ToolSummary {
    fn name(&self) -> &str {
        &self.name
    }

    fn visible_to(&self, scope: &ToolScope) -> bool {
        let has_tag = |t: &str| self.tags.iter().any(|x| x == t);
        scope.permits(&ToolFacts {
            name: &self.name,
            category: &self.category,
            has_tag: &has_tag,
            server: self.server.as_deref(),
        })
    }

    fn page<'a>(
        store: &'a dyn Store,
        filter: &'a SearchFilter,
        after: Option<&'a str>,
        limit: i64,
    ) -> BoxFuture<'a, Result<Vec<Self>, StoreError>> {
        store.list_tool_summaries_page(filter, after, limit)
    }
}

impl RegistryService {
    /// Lists tools in name order: one page when `q.limit` is given, otherwise everything
    /// after `q.after`, streamed.
    #[tracing::instrument(skip_all, fields(list.limit = q.limit))]
    pub async fn list_tools<T: Listed>(
        &self,
        q: &ListQuery,
        who: &Principal,
    ) -> Result<Listing<T>, RegistryError> {
        let filter = SearchFilter {
            category: q.category.clone(),
            tags: q.tags.clone(),
        };
        let after = q.after.as_ref().map(|name| name.as_str());
        let Some(limit) = q.limit.map(|l| l as usize) else {
            let first = T::page(&*self.store, &filter, after, STREAM_BATCH).await?;
            let all = batches(self.store.clone(), filter, first);
            if who.tools.is_everything() {
                return Ok(Listing::All(all));
            }
            let scope = who.tools.clone();
            return Ok(Listing::All(Box::pin(all.map(move |batch| {
                batch.map(|b| b.into_iter().filter(|t| t.visible_to(&scope)).collect())
            }))));
        };
        // One more than asked: whether it comes says whether there is a next page.
        let mut items =
            visible_page::<T>(&*self.store, &filter, after, limit + 1, &who.tools).await?;
        let next = (items.len() > limit).then(|| {
            items.truncate(limit);
            encode_cursor(items[limit - 1].name())
        });
        Ok(Listing::Page { items, next })
    }

    /// Up to `limit` tools after `after` in name order.
    pub async fn list_page(
        &self,
        after: Option<&str>,
        limit: u32,
        who: &Principal,
    ) -> Result<Vec<Tool>, RegistryError> {
        if who.tools.is_everything() {
            return Ok(self.store.list_tools_after(after, i64::from(limit)).await?);
        }
        let all = SearchFilter::default();
        visible_page(&*self.store, &all, after, limit as usize, &who.tools).await
    }

    /// Each category with its number of tools, largest first.
    pub async fn categories(&self) -> Result<Vec<(String, i64)>, RegistryError> {
        Ok(self.store.category_counts().await?)
    }
}

/// Up to `want` tools after `after` that `scope` permits: pages are read until enough pass
/// or the catalogue ends, so a caller with a narrow set still gets full pages.
async fn visible_page<T: Listed>(
    store: &dyn Store,
    filter: &SearchFilter,
    after: Option<&str>,
    want: usize,
    scope: &ToolScope,
) -> Result<Vec<T>, RegistryError> {
    if scope.is_everything() {
        return Ok(T::page(store, filter, after, want as i64).await?);
    }
    let read = (want as i64).max(STREAM_BATCH);
    let mut out = Vec::with_capacity(want);
    let mut cursor = after.map(str::to_owned);
    loop {
        let page = T::page(store, filter, cursor.as_deref(), read).await?;
        let last = page.last().map(|t| t.name().to_owned());
        let ended = (page.len() as i64) < read;
        out.extend(page.into_iter().filter(|t| t.visible_to(scope)));
        if out.len() >= want || ended || last.is_none() {
            out.truncate(want);
            return Ok(out);
        }
        cursor = last;
    }
}

/// `first`, then the batches after it. Each batch is read while the one before is being
/// written (a prefetch: two batches at most in memory), so the client does not wait for the
/// database between chunks. Every batch is a keyset page of its own, so a tool added or
/// removed meanwhile is seen or not by its name's place, and no tool comes twice.
fn batches<T: Listed>(
    store: Arc<dyn Store>,
    filter: SearchFilter,
    first: Vec<T>,
) -> BoxStream<'static, Result<Vec<T>, RegistryError>> {
    Box::pin(stream::unfold(Some(Next::Ready(first)), move |state| {
        let (store, filter) = (store.clone(), filter.clone());
        async move {
            let batch = match state? {
                Next::Ready(batch) => batch,
                Next::Reading(read) => match read.result().await {
                    Ok(batch) => batch,
                    Err(e) => return Some((Err(RegistryError::from(e)), None)),
                },
            };
            let last = batch.last().map(|t| t.name().to_owned())?;
            let more = batch.len() as i64 == STREAM_BATCH;
            let next = more.then(|| Next::Reading(Prefetch::start(store, filter, last)));
            Some((Ok(batch), next))
        }
    }))
}

/// The batch to hand out next: read, or being read.
enum Next<T> {
    Ready(Vec<T>),
    Reading(Prefetch<T>),
}

/// A batch being read by a task of its own; dropping it (the client went away) stops the read.
struct Prefetch<T>(tokio::task::JoinHandle<Result<Vec<T>, StoreError>>);

impl<T: Listed> Prefetch<T> {
    fn start(store: Arc<dyn Store>, filter: SearchFilter, after: String) -> Self {
        Self(tokio::spawn(async move {
            T::page(&*store, &filter, Some(&after), STREAM_BATCH).await
        }))
    }

    async fn result(mut self) -> Result<Vec<T>, StoreError> {
        match (&mut self.0).await {
            Ok(read) => read,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Cancelled: only when the runtime shuts down under the response.
            Err(_) => Err(StoreError::Unavailable(sqlx::Error::PoolClosed)),
        }
    }
}

impl<T> Drop for Prefetch<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
