//! Paging through the catalogue and summarising it: what MCP's `tools/list` and the
//! meta-tools' descriptions need.

use super::{RegistryError, RegistryService};
use crate::domain::Tool;

impl RegistryService {
    /// Up to `limit` tools after `after` in name order.
    pub async fn list_page(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Tool>, RegistryError> {
        Ok(self.store.list_tools_after(after, i64::from(limit)).await?)
    }

    /// Each category with its number of tools, largest first.
    pub async fn categories(&self) -> Result<Vec<(String, i64)>, RegistryError> {
        Ok(self.store.category_counts().await?)
    }
}
