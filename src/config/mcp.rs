//! The MCP endpoint at `/mcp`.
//!
//! Reads `MCP_TOOL_EXPOSURE` (`all` or `search`), `MCP_PAGE_SIZE` (100, 1..=1000),
//! `MCP_MAX_BODY_BYTES` (1 MiB, at least 1024), `MCP_ALLOWED_ORIGINS` (comma-separated origins;
//! empty refuses requests carrying `Origin`) and `MCP_ALLOWED_HOSTS` (comma-separated; unset:
//! `localhost`, `127.0.0.1`, `::1`; `*`: any host).

use super::{ConfigError, Env};

/// The MCP endpoint at `/mcp`.
#[derive(Debug, Clone)]
pub struct McpConfig {
    /// What `tools/list` shows: every tool, or only the search meta-tools.
    pub exposure: ToolExposure,
    /// Tools per `tools/list` page.
    pub page_size: u32,
    /// Browser origins allowed to call `/mcp` (empty: requests carrying `Origin` are refused).
    pub allowed_origins: Vec<String>,
    /// `Host` values accepted (empty: any host).
    pub allowed_hosts: Vec<String>,
    /// Largest JSON-RPC request body accepted, in bytes.
    pub max_body_bytes: usize,
}

/// `MCP_TOOL_EXPOSURE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolExposure {
    /// Every registered tool, plus `find_tool`.
    All,
    /// Only `find_tool` and `call_tool`, for registries too large for a model's context.
    Search,
}

impl McpConfig {
    pub(super) fn from_env(env: &Env<'_>) -> Result<Self, ConfigError> {
        let exposure = match env.get("MCP_TOOL_EXPOSURE").as_deref() {
            None | Some("") | Some("all") => ToolExposure::All,
            Some("search") => ToolExposure::Search,
            Some(_) => return Err(env.invalid("MCP_TOOL_EXPOSURE", "must be `all` or `search`")),
        };
        let page_size: u32 = env.parse("MCP_PAGE_SIZE", 100)?;
        if !(1..=1_000).contains(&page_size) {
            return Err(env.invalid("MCP_PAGE_SIZE", "must be between 1 and 1000"));
        }
        let max_body_bytes: usize = env.parse("MCP_MAX_BODY_BYTES", 1024 * 1024)?;
        if max_body_bytes < 1024 {
            return Err(env.invalid("MCP_MAX_BODY_BYTES", "must be at least 1024"));
        }
        let allowed_origins = env.list("MCP_ALLOWED_ORIGINS");
        if let Some(bad) = allowed_origins
            .iter()
            .find(|o| *o != "null" && !o.starts_with("http://") && !o.starts_with("https://"))
        {
            return Err(env.invalid(
                "MCP_ALLOWED_ORIGINS",
                &format!(
                    "{bad:?} is not an origin: write scheme://host[:port], e.g. https://app.example.com"
                ),
            ));
        }
        let allowed_hosts = match env.get("MCP_ALLOWED_HOSTS").as_deref() {
            None | Some("") => vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
            Some("*") => vec![],
            Some(_) => env.list("MCP_ALLOWED_HOSTS"),
        };
        Ok(Self {
            exposure,
            page_size,
            allowed_origins,
            allowed_hosts,
            max_body_bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::config;
    use super::ToolExposure;

    #[test]
    fn mcp_settings_are_parsed_and_checked() {
        let c = config(&[
            ("MCP_TOOL_EXPOSURE", "search"),
            ("MCP_ALLOWED_HOSTS", "toolbox.example.com, toolbox"),
        ])
        .unwrap();
        assert_eq!(c.mcp.exposure, ToolExposure::Search);
        assert_eq!(c.mcp.allowed_hosts, ["toolbox.example.com", "toolbox"]);
        assert_eq!(
            config(&[("MCP_TOOL_EXPOSURE", "some")]).unwrap_err().var,
            "MCP_TOOL_EXPOSURE"
        );
        assert_eq!(
            config(&[("MCP_PAGE_SIZE", "0")]).unwrap_err().var,
            "MCP_PAGE_SIZE"
        );
        let err = config(&[("MCP_ALLOWED_ORIGINS", "example.com")]).unwrap_err();
        assert_eq!(err.var, "MCP_ALLOWED_ORIGINS");
        assert!(
            config(&[("MCP_ALLOWED_HOSTS", "*")])
                .unwrap()
                .mcp
                .allowed_hosts
                .is_empty()
        );
    }
}
