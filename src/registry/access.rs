//! Enforcing who may see and call what, in one place below REST and MCP: every use case that
//! shows or runs a tool asks here. A tool outside the caller's set is answered as if it did
//! not exist, so nothing about it leaks.

use std::sync::Arc;

use super::{RegistryError, RegistryService};
use crate::domain::{Principal, Role, Tool, ToolScope};
use crate::search_index::{AllowedIds, SearchIndex};

/// How many (tool set, index generation) → permitted ids are kept: a few per distinct
/// tool set in use, each the size of the set it permits.
const ALLOWED_CACHE: u64 = 64;

/// The permitted ids of recently seen tool sets, per index generation.
pub(super) struct Permitted {
    cache: moka::sync::Cache<(ToolScope, u64), Arc<AllowedIds>>,
}

impl Permitted {
    pub(super) fn new() -> Self {
        Self {
            cache: moka::sync::Cache::new(ALLOWED_CACHE),
        }
    }

    /// The ids `scope` permits in `index`; `None` when it permits everything.
    pub(super) fn ids(&self, index: &SearchIndex, scope: &ToolScope) -> Option<Arc<AllowedIds>> {
        if scope.is_everything() {
            return None;
        }
        let key = (scope.clone(), index.generation());
        Some(self.cache.get_with(key, || Arc::new(index.allowed(scope))))
    }
}

impl RegistryService {
    /// Refuses a caller whose role does not include `role`.
    pub fn require(&self, who: &Principal, role: Role) -> Result<(), RegistryError> {
        if who.may(role) {
            Ok(())
        } else {
            Err(RegistryError::Forbidden {
                needed: role,
                has: who.role,
            })
        }
    }

    /// `tool` if `who` may see it, otherwise not found.
    pub(super) fn visible(&self, who: &Principal, tool: Tool) -> Result<Tool, RegistryError> {
        if who.tools.permits_tool(&tool) {
            Ok(tool)
        } else {
            Err(RegistryError::NotFound(tool.name))
        }
    }

    /// A tool by name, as `who` may see it: a tool outside its set is not found.
    pub async fn get_for(&self, name: &str, who: &Principal) -> Result<Tool, RegistryError> {
        let tool = self.get(name).await?;
        self.visible(who, tool)
    }
}
