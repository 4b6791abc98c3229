//! One entry of `TOOL_HTTP_ALLOWED_HOSTS`, parsed: a host, an IP address or a `*.domain`
//! pattern, each with an optional port. Read by `config`, enforced by `executor`'s host policy.

use std::net::{IpAddr, Ipv6Addr};

/// One `TOOL_HTTP_ALLOWED_HOSTS` entry: `host`, `*.domain`, `1.2.3.4`, `::1` or `[::1]`, each
/// optionally followed by `:port`. Without a port every port of the host is allowed (as before
/// ports could be named); with one, only that port (the URL's, or its scheme's default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    host: HostPattern,
    port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    /// A host name or IP address, normalized as a URL's host is.
    Exact(String),
    /// `*.domain`: any name ending in `.domain`, never the domain itself.
    Subdomains(String),
}

impl AllowedHost {
    /// Parses an entry; the error says what is wrong with it.
    pub fn parse(entry: &str) -> Result<Self, String> {
        let entry = entry.trim().to_ascii_lowercase();
        // A bare IPv6 address has colons of its own: it can only name a port in brackets.
        if let Ok(ip) = entry.parse::<IpAddr>() {
            return Ok(Self {
                host: HostPattern::Exact(ip.to_string()),
                port: None,
            });
        }
        let (host, port) = if let Some(rest) = entry.strip_prefix('[') {
            let (inside, after) = rest
                .split_once(']')
                .ok_or("an IPv6 address opened with [ must close with ]")?;
            let ip: Ipv6Addr = inside
                .parse()
                .map_err(|_| format!("{inside:?} in brackets is not an IPv6 address"))?;
            (ip.to_string(), port_after(after)?)
        } else {
            match entry.rsplit_once(':') {
                Some((host, port)) => (host.to_owned(), port_after(&format!(":{port}"))?),
                None => (entry.clone(), None),
            }
        };
        let pattern = match host.strip_prefix("*.") {
            Some(domain) => HostPattern::Subdomains(host_name(domain)?),
            None if host.parse::<Ipv6Addr>().is_ok() => HostPattern::Exact(host),
            None => HostPattern::Exact(host_name(&host)?),
        };
        Ok(Self {
            host: pattern,
            port,
        })
    }

    /// Whether this entry allows `host` (a URL's host, lower case, without brackets) on `port`.
    pub fn allows(&self, host: &str, port: Option<u16>) -> bool {
        let port_ok = self.port.is_none() || self.port == port;
        port_ok
            && match &self.host {
                HostPattern::Exact(h) => h == host,
                HostPattern::Subdomains(d) => host
                    .strip_suffix(d.as_str())
                    .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
            }
    }
}

impl AllowedHost {
    /// Whether this entry names `host` itself (any port), not through a `*.domain` pattern.
    pub fn names_exactly(&self, host: &str) -> bool {
        matches!(&self.host, HostPattern::Exact(h) if h == host)
    }
}

impl std::fmt::Display for AllowedHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let host = match &self.host {
            HostPattern::Exact(h) if h.contains(':') => format!("[{h}]"),
            HostPattern::Exact(h) => h.clone(),
            HostPattern::Subdomains(d) => format!("*.{d}"),
        };
        match self.port {
            Some(p) => write!(f, "{host}:{p}"),
            None => f.write_str(&host),
        }
    }
}

/// `""` (no port) or `":1234"`.
fn port_after(rest: &str) -> Result<Option<u16>, String> {
    if rest.is_empty() {
        return Ok(None);
    }
    match rest.strip_prefix(':').map(str::parse::<u16>) {
        Some(Ok(port)) if port > 0 => Ok(Some(port)),
        _ => Err(format!(
            "{rest:?} after the host is not a port (\":\" and 1 to 65535)"
        )),
    }
}

/// A host name as a URL would spell it (lower case, IDNA), or why it is not one.
fn host_name(raw: &str) -> Result<String, String> {
    let valid = !raw.is_empty() && !raw.contains(['/', ':', '@', '?', '#', '[', ']', '*']);
    valid
        .then(|| reqwest::Url::parse(&format!("http://{raw}/")).ok())
        .flatten()
        .and_then(|u| u.host_str().map(str::to_owned))
        .ok_or_else(|| format!("{raw:?} is not a host name or IP address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_parse_to_their_normal_form() {
        for (entry, shown) in [
            ("API.Example.com", "api.example.com"),
            ("api.example.com:8443", "api.example.com:8443"),
            ("*.corp.example", "*.corp.example"),
            ("*.corp.example:443", "*.corp.example:443"),
            ("10.0.0.5", "10.0.0.5"),
            ("10.0.0.5:8080", "10.0.0.5:8080"),
            ("::1", "[::1]"),
            ("[0:0::1]", "[::1]"),
            ("[::1]:8080", "[::1]:8080"),
        ] {
            assert_eq!(AllowedHost::parse(entry).unwrap().to_string(), shown);
        }
    }

    #[test]
    fn malformed_entries_are_refused_with_a_reason() {
        for entry in [
            "http://x/",
            "x:0",
            "x:65536",
            "x:",
            "x:http",
            "[::1",
            "[::1]x",
            "[nothost]:80",
            "a b",
            "*.",
            "user@x",
        ] {
            assert!(AllowedHost::parse(entry).is_err(), "{entry} was accepted");
        }
    }
}
