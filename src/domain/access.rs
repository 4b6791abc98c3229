//! Who may do what: roles, the tool sets that narrow what a caller sees, and the caller as
//! the registry receives it ([`Principal`]).
//!
//! A tool set is written as rules, each a string: `weather_*` (a tool name, `*` any run of
//! characters), `category:finance`, `tag:public`, `server:git` (the upstream server a tool
//! came from). A tool is in the set when an `allow` rule matches it (or `allow` is empty) and
//! no `deny` rule does.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{FieldError, Tool, glob_match, upstream_of};

/// What a caller may do. Each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// List, find and read tools and their history: no side effects.
    Read,
    /// Also call tools.
    Call,
    /// Everything: register, change and delete tools, servers and keys.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Call => "call",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "read" => Some(Role::Read),
            "call" => Some(Role::Call),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// Longest rule accepted, and most rules in one list: a tool set is checked for every tool a
/// search considers, so it stays small.
const MAX_RULE_LEN: usize = 200;
const MAX_RULES: usize = 100;

/// One rule of a tool set.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Rule {
    Name(String),
    Category(String),
    Tag(String),
    Server(String),
}

impl Rule {
    fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() || raw.len() > MAX_RULE_LEN {
            return Err(format!("a rule has 1 to {MAX_RULE_LEN} characters"));
        }
        let rule = match raw.split_once(':') {
            Some(("category", v)) => Rule::Category(v.to_owned()),
            Some(("tag", v)) => Rule::Tag(v.to_owned()),
            Some(("server", v)) => Rule::Server(v.to_owned()),
            Some(("name", v)) => Rule::Name(v.to_owned()),
            Some((kind, _)) => {
                return Err(format!(
                    "unknown rule kind `{kind}`: use a name pattern, `name:`, `category:`, `tag:` or `server:`"
                ));
            }
            None => Rule::Name(raw.to_owned()),
        };
        Ok(rule)
    }

    fn matches(&self, t: &ToolFacts<'_>) -> bool {
        match self {
            Rule::Name(p) => glob_match(p, t.name),
            Rule::Category(c) => c == t.category,
            Rule::Tag(tag) => (t.has_tag)(tag),
            Rule::Server(s) => t.server == Some(s.as_str()),
        }
    }

    fn text(&self) -> String {
        match self {
            Rule::Name(p) => p.clone(),
            Rule::Category(c) => format!("category:{c}"),
            Rule::Tag(t) => format!("tag:{t}"),
            Rule::Server(s) => format!("server:{s}"),
        }
    }
}

/// What a tool set looks at of a tool (its tags through a test, so the search index can
/// answer from its interned labels).
#[derive(Clone, Copy)]
pub struct ToolFacts<'a> {
    pub name: &'a str,
    pub category: &'a str,
    pub has_tag: &'a dyn Fn(&str) -> bool,
    pub server: Option<&'a str>,
}

impl ToolScope {
    /// Whether `tool` is in the scope.
    pub fn permits_tool(&self, tool: &Tool) -> bool {
        if self.is_everything() {
            return true;
        }
        let has_tag = |t: &str| tool.tags.iter().any(|x| x == t);
        self.permits(&ToolFacts {
            name: &tool.name,
            category: &tool.category,
            has_tag: &has_tag,
            server: upstream_of(&tool.config).map(|(server, _)| server),
        })
    }
}

/// An allow/deny set of tools.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ToolSet {
    allow: Vec<Rule>,
    deny: Vec<Rule>,
}

/// A tool set as clients write it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolSetSpec {
    /// Rules a tool must match one of (empty: every tool).
    #[serde(default)]
    pub allow: Vec<String>,
    /// Rules that take a tool out again.
    #[serde(default)]
    pub deny: Vec<String>,
}

impl ToolSet {
    /// Parses a written tool set; errors point below `at` (e.g. `/tools`).
    pub fn parse(spec: &ToolSetSpec, at: &str) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut list = |rules: &[String], key: &str| -> Vec<Rule> {
            if rules.len() > MAX_RULES {
                errors.push(FieldError::new(
                    format!("{at}/{key}"),
                    "maxItems",
                    format!("at most {MAX_RULES} rules"),
                ));
            }
            rules
                .iter()
                .enumerate()
                .filter_map(|(i, r)| {
                    Rule::parse(r)
                        .map_err(|m| {
                            errors.push(FieldError::new(format!("{at}/{key}/{i}"), "rule", m))
                        })
                        .ok()
                })
                .collect()
        };
        let allow = list(&spec.allow, "allow");
        let deny = list(&spec.deny, "deny");
        if errors.is_empty() {
            Ok(Self { allow, deny })
        } else {
            Err(errors)
        }
    }

    /// Parses the JSON form (`{"allow": [...], "deny": [...]}`).
    pub fn from_json(v: &Value, at: &str) -> Result<Self, Vec<FieldError>> {
        let spec: ToolSetSpec = serde_json::from_value(v.clone()).map_err(|e| {
            vec![FieldError::new(
                at,
                "type",
                format!("a tool set is {{\"allow\": [rules], \"deny\": [rules]}}: {e}"),
            )]
        })?;
        Self::parse(&spec, at)
    }

    /// Whether the set holds every tool.
    pub fn is_everything(&self) -> bool {
        self.allow.is_empty() && self.deny.is_empty()
    }

    pub fn permits(&self, t: &ToolFacts<'_>) -> bool {
        (self.allow.is_empty() || self.allow.iter().any(|r| r.matches(t)))
            && !self.deny.iter().any(|r| r.matches(t))
    }

    /// The written form.
    pub fn spec(&self) -> ToolSetSpec {
        ToolSetSpec {
            allow: self.allow.iter().map(Rule::text).collect(),
            deny: self.deny.iter().map(Rule::text).collect(),
        }
    }
}

/// The tools a caller may see: every tool, or those any of its sets permits (a token in
/// several groups gets the union of the groups' sets).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ToolScope(Option<Arc<[ToolSet]>>);

impl ToolScope {
    /// Every tool.
    pub fn everything() -> Self {
        Self(None)
    }

    /// The union of `sets` (none: no tool at all).
    pub fn any_of(sets: Vec<ToolSet>) -> Self {
        if sets.iter().any(ToolSet::is_everything) {
            return Self(None);
        }
        Self(Some(sets.into()))
    }

    pub fn one(set: ToolSet) -> Self {
        Self::any_of(vec![set])
    }

    /// Whether nothing is filtered out.
    pub fn is_everything(&self) -> bool {
        self.0.is_none()
    }

    pub fn permits(&self, t: &ToolFacts<'_>) -> bool {
        match &self.0 {
            None => true,
            Some(sets) => sets.iter().any(|s| s.permits(t)),
        }
    }

    /// The sets, for showing (`None`: every tool).
    pub fn sets(&self) -> Option<&[ToolSet]> {
        self.0.as_deref()
    }
}

/// The caller of a use case: who (for the history), what it may do, which tools it sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// `key:<id>` or `oidc:<subject>`; `None` for an open registry's anonymous caller.
    pub id: Option<String>,
    pub role: Role,
    pub tools: ToolScope,
}

impl Principal {
    /// The caller of a registry without keys, and of commands run by the operator: may do
    /// everything.
    pub fn operator() -> Self {
        Self {
            id: None,
            role: Role::Admin,
            tools: ToolScope::everything(),
        }
    }

    /// Whether the caller's role includes `role`.
    pub fn may(&self, role: Role) -> bool {
        self.role >= role
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn facts<'a>(name: &'a str, category: &'a str, tags: &'a [String]) -> ToolFacts<'a> {
        let has_tag: &'a dyn Fn(&str) -> bool =
            Box::leak(Box::new(move |t: &str| tags.iter().any(|x| x == t)));
        ToolFacts {
            name,
            category,
            has_tag,
            server: None,
        }
    }

    #[test]
    fn allow_rules_admit_and_deny_rules_take_out() {
        let set = ToolSet::from_json(
            &json!({"allow": ["weather_*", "category:finance", "tag:public"], "deny": ["*_delete"]}),
            "/tools",
        )
        .unwrap();
        let none: Vec<String> = vec![];
        let public = vec!["public".to_owned()];
        assert!(set.permits(&facts("weather_now", "x", &none)));
        assert!(set.permits(&facts("fx", "finance", &none)));
        assert!(set.permits(&facts("other", "x", &public)));
        assert!(!set.permits(&facts("weather_delete", "x", &none)));
        assert!(!set.permits(&facts("other", "x", &none)));
    }

    #[test]
    fn server_rules_match_a_tool_s_upstream() {
        let set = ToolSet::from_json(&json!({"allow": ["server:git"]}), "/tools").unwrap();
        let none: Vec<String> = vec![];
        let mut f = facts("git__log", "x", &none);
        assert!(!set.permits(&f));
        f.server = Some("git");
        assert!(set.permits(&f));
    }

    #[test]
    fn a_bad_rule_is_reported_where_it_is() {
        let err =
            ToolSet::from_json(&json!({"allow": ["ok", "colour:red"]}), "/tools").unwrap_err();
        assert_eq!(err[0].pointer, "/tools/allow/1");
        let err = ToolSet::from_json(&json!({"allow": "x"}), "/tools").unwrap_err();
        assert_eq!(err[0].pointer, "/tools");
    }

    #[test]
    fn a_scope_is_the_union_of_its_sets_and_an_empty_one_holds_nothing() {
        let a = ToolSet::from_json(&json!({"allow": ["a*"]}), "").unwrap();
        let b = ToolSet::from_json(&json!({"allow": ["b*"]}), "").unwrap();
        let none: Vec<String> = vec![];
        let scope = ToolScope::any_of(vec![a, b]);
        assert!(scope.permits(&facts("apple", "", &none)));
        assert!(scope.permits(&facts("banana", "", &none)));
        assert!(!scope.permits(&facts("cherry", "", &none)));
        assert!(!ToolScope::any_of(vec![]).permits(&facts("apple", "", &none)));
        assert!(ToolScope::any_of(vec![ToolSet::default()]).is_everything());
    }

    #[test]
    fn roles_include_the_ones_before() {
        assert!(Role::Admin > Role::Call && Role::Call > Role::Read);
        assert_eq!(Role::parse("call"), Some(Role::Call));
        assert_eq!(Role::parse("root"), None);
    }
}
