//! The settings of OIDC bearer tokens: who issues them, for whom, and how their claims map to
//! a role and to tool sets.
//!
//! Reads `AUTH_OIDC_ISSUER` (unset: no tokens, API keys only), `AUTH_OIDC_AUDIENCE` (required
//! with an issuer), `AUTH_OIDC_ROLE_CLAIM` (`scope`: a space-separated string or an array),
//! `AUTH_OIDC_ROLE_PREFIX` (`toolbox:`, so `toolbox:call` grants `call`),
//! `AUTH_OIDC_GROUPS_CLAIM` (`groups`), `AUTH_OIDC_TOOL_SETS` (JSON: group → tool set; unset:
//! tokens see every tool), `AUTH_OIDC_JWKS_REFRESH_S` (300) and `AUTH_RESOURCE_URL` (the
//! public URL of `/mcp` named in the protected-resource metadata; unset: from the request's
//! `Host` and `X-Forwarded-Proto`).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::domain::{ToolSet, ToolSetSpec};

use super::{ConfigError, Env};

#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// The issuer URL, exactly as tokens carry it in `iss`.
    pub issuer: String,
    pub audience: String,
    pub role_claim: String,
    pub role_prefix: String,
    pub groups_claim: String,
    /// Group → tool set; `None`: a token sees every tool.
    pub tool_sets: Option<BTreeMap<String, ToolSet>>,
    /// How long a fetched key set is trusted before it is fetched again.
    pub jwks_refresh: Duration,
}

impl OidcConfig {
    pub(super) fn from_env(env: &Env<'_>) -> Result<Option<Self>, ConfigError> {
        let Some(issuer) = env.get("AUTH_OIDC_ISSUER").filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        let url = reqwest::Url::parse(&issuer)
            .map_err(|_| env.invalid("AUTH_OIDC_ISSUER", "is not a URL"))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(env.invalid("AUTH_OIDC_ISSUER", "must be an http(s) URL"));
        }
        let audience = env
            .get("AUTH_OIDC_AUDIENCE")
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                env.invalid(
                    "AUTH_OIDC_AUDIENCE",
                    "is required with AUTH_OIDC_ISSUER: tokens are accepted only for this audience",
                )
            })?;
        let tool_sets = match env.get("AUTH_OIDC_TOOL_SETS").filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => Some(parse_tool_sets(&raw).map_err(|reason| ConfigError {
                var: "AUTH_OIDC_TOOL_SETS",
                value: raw.clone(),
                reason,
            })?),
        };
        let refresh = env.parse_positive("AUTH_OIDC_JWKS_REFRESH_S", 300.0)?;
        Ok(Some(Self {
            issuer,
            audience,
            role_claim: env
                .get("AUTH_OIDC_ROLE_CLAIM")
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "scope".into()),
            role_prefix: env
                .get("AUTH_OIDC_ROLE_PREFIX")
                .unwrap_or_else(|| "toolbox:".into()),
            groups_claim: env
                .get("AUTH_OIDC_GROUPS_CLAIM")
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "groups".into()),
            tool_sets,
            jwks_refresh: Duration::from_secs_f64(refresh),
        }))
    }
}

fn parse_tool_sets(raw: &str) -> Result<BTreeMap<String, ToolSet>, String> {
    let specs: BTreeMap<String, ToolSetSpec> = serde_json::from_str(raw).map_err(|e| {
        format!("is not a JSON object of group → {{\"allow\": [...], \"deny\": [...]}}: {e}")
    })?;
    specs
        .into_iter()
        .map(|(group, spec)| {
            let set = ToolSet::parse(&spec, &format!("/{group}")).map_err(|errors| {
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.pointer, e.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            })?;
            Ok((group, set))
        })
        .collect()
}

/// The public URL of `/mcp`, when set (`AUTH_RESOURCE_URL`).
pub(super) fn resource_url(env: &Env<'_>) -> Result<Option<String>, ConfigError> {
    let Some(raw) = env.get("AUTH_RESOURCE_URL").filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    reqwest::Url::parse(&raw).map_err(|_| env.invalid("AUTH_RESOURCE_URL", "is not a URL"))?;
    Ok(Some(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_sets_parse_per_group_and_a_bad_rule_names_its_group() {
        let sets = parse_tool_sets(r#"{"weather": {"allow": ["weather_*"]}}"#).unwrap();
        assert!(sets.contains_key("weather"));
        let err = parse_tool_sets(r#"{"ops": {"allow": ["colour:red"]}}"#).unwrap_err();
        assert!(err.contains("/ops/allow/0"), "{err}");
    }
}
