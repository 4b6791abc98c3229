//! Where HTTP tools may send requests: the `TOOL_HTTP_ALLOWED_HOSTS` entries (a host, a
//! `*.domain` pattern, either with an optional port) and the addresses that are never called
//! unless their host is listed by name — everything the IANA special-purpose registries mark
//! as not globally reachable, including IPv6 forms that embed such an IPv4 address.

use std::error::Error as StdError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use ipnet::{Ipv4Net, Ipv6Net};

use crate::domain::AllowedHost;

/// Which destinations HTTP tools may reach (`TOOL_HTTP_ALLOWED_HOSTS`).
#[derive(Debug, Clone, Default)]
pub struct HostPolicy {
    /// Empty allows any host (with a public address).
    allowed: Vec<AllowedHost>,
}

/// A destination the policy refuses.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Forbidden(pub(super) String);

impl HostPolicy {
    pub fn new(allowed: Vec<AllowedHost>) -> Self {
        Self { allowed }
    }

    /// Whether `host` may be called on `port` at all (the port a URL names or its scheme's).
    pub fn host_allowed(&self, host: &str, port: Option<u16>) -> bool {
        let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
        self.allowed.is_empty() || self.allowed.iter().any(|a| a.allows(&host, port))
    }

    /// Whether `host` is listed by name or address (on some port), which also allows its
    /// non-public addresses. A `*.domain` pattern never does.
    fn explicitly_listed(&self, host: &str) -> bool {
        let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
        self.allowed.iter().any(|a| a.names_exactly(&host))
    }

    /// Checks a whole destination before connecting: the allow-list (host and port), and the
    /// address itself when the host is an IP literal (names are checked as they resolve).
    pub fn check_url(&self, url: &reqwest::Url) -> Result<(), Forbidden> {
        let host = url.host_str().unwrap_or_default();
        let port = url.port_or_known_default();
        if !self.host_allowed(host, port) {
            let port = port.map_or_else(String::new, |p| format!(" port {p}"));
            return Err(Forbidden(format!(
                "the host {host}{port} is not in TOOL_HTTP_ALLOWED_HOSTS"
            )));
        }
        match host.trim_matches(['[', ']']).parse::<IpAddr>() {
            Ok(ip) => self.check_addr(host, ip),
            Err(_) => Ok(()),
        }
    }

    /// Checks one address `host` resolved to.
    pub fn check_addr(&self, host: &str, ip: IpAddr) -> Result<(), Forbidden> {
        if is_public(ip) || self.explicitly_listed(host) {
            Ok(())
        } else {
            Err(Forbidden(format!(
                "{host} resolves to {ip}, a loopback, private, link-local or otherwise \
                 special-purpose address; list the host in TOOL_HTTP_ALLOWED_HOSTS to allow it"
            )))
        }
    }
}

impl HostPolicy {
    /// Resolves `host` and keeps the addresses the policy allows; an error when it allows
    /// none. The DNS resolver of every outbound client that follows the policy (HTTP tools,
    /// upstream MCP servers) calls this, so the address checked is the address connected to.
    pub async fn resolve(
        &self,
        host: &str,
    ) -> Result<Vec<SocketAddr>, Box<dyn StdError + Send + Sync>> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0)).await?.collect();
        let mut refused = None;
        let ok: Vec<SocketAddr> = addrs
            .into_iter()
            .filter(|a| match self.check_addr(host, a.ip()) {
                Ok(()) => true,
                Err(e) => {
                    refused = Some(e);
                    false
                }
            })
            .collect();
        match (ok.is_empty(), refused) {
            (true, Some(e)) => Err(Box::new(e)),
            _ => Ok(ok),
        }
    }
}

/// Redirects followed per request, within the first URL's origin.
pub const MAX_REDIRECTS: usize = 5;

/// Whether a redirect to `next` may be followed, `chain` being the URLs requested so far
/// (the configured one first). Only within that origin: reqwest strips `Authorization` on a
/// cross-origin redirect but forwards every other configured header, such as `X-Api-Key`.
pub fn check_redirect(
    policy: &HostPolicy,
    chain: &[reqwest::Url],
    next: &reqwest::Url,
) -> Result<(), Forbidden> {
    if chain.len() > MAX_REDIRECTS {
        return Err(Forbidden(format!("more than {MAX_REDIRECTS} redirects")));
    }
    if chain
        .first()
        .is_some_and(|first| first.origin() != next.origin())
    {
        return Err(Forbidden(format!(
            "the endpoint redirected to {}, another host or port; redirects are followed only \
             within the same origin (scheme, host and port)",
            next.origin().ascii_serialization()
        )));
    }
    policy.check_url(next)
}

const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), len)
}

const fn v6(first: u16, second: u16, third: u16, len: u8) -> Ipv6Net {
    Ipv6Net::new_assert(Ipv6Addr::new(first, second, third, 0, 0, 0, 0, 0), len)
}

/// IPv4 ranges that are not globally reachable (IANA IPv4 special-purpose registry, plus
/// multicast and the reserved 240/4, which covers broadcast).
const V4_NOT_PUBLIC: [Ipv4Net; 15] = [
    v4(0, 0, 0, 0, 8),       // "this network", including 0.0.0.0
    v4(10, 0, 0, 0, 8),      // private
    v4(100, 64, 0, 0, 10),   // carrier-grade NAT
    v4(127, 0, 0, 0, 8),     // loopback
    v4(169, 254, 0, 0, 16),  // link-local, cloud metadata
    v4(172, 16, 0, 0, 12),   // private
    v4(192, 0, 0, 0, 24),    // IETF protocol assignments
    v4(192, 0, 2, 0, 24),    // documentation (TEST-NET-1)
    v4(192, 88, 99, 0, 24),  // deprecated 6to4 relay anycast
    v4(192, 168, 0, 0, 16),  // private
    v4(198, 18, 0, 0, 15),   // benchmarking
    v4(198, 51, 100, 0, 24), // documentation (TEST-NET-2)
    v4(203, 0, 113, 0, 24),  // documentation (TEST-NET-3)
    v4(224, 0, 0, 0, 4),     // multicast
    v4(240, 0, 0, 0, 4),     // reserved, and broadcast 255.255.255.255
];

/// IPv6 ranges that are not globally reachable (IANA IPv6 special-purpose registry). The
/// forms that embed an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by that
/// address instead, before this table.
const V6_NOT_PUBLIC: [Ipv6Net; 12] = [
    v6(0, 0, 0, 96), // ::/96: unspecified, loopback, deprecated IPv4-compatible
    // ::ffff:0:0:0/96, IPv4-translated (SIIT)
    Ipv6Net::new_assert(Ipv6Addr::new(0, 0, 0, 0, 0xffff, 0, 0, 0), 96),
    v6(0x64, 0xff9b, 1, 48),  // local-use NAT64
    v6(0x100, 0, 0, 64),      // discard-only
    v6(0x2001, 0, 0, 23),     // IETF protocol assignments: Teredo, benchmarking, ORCHID, ...
    v6(0x2001, 0xdb8, 0, 32), // documentation
    v6(0x3fff, 0, 0, 20),     // documentation
    v6(0x5f00, 0, 0, 16),     // segment routing (SRv6) SIDs
    v6(0xfc00, 0, 0, 7),      // unique local
    v6(0xfe80, 0, 0, 10),     // link-local
    v6(0xfec0, 0, 0, 10),     // deprecated site-local
    v6(0xff00, 0, 0, 8),      // multicast
];

/// The IPv4 address an IPv6 address stands for, where the IPv6 form carries one that a
/// network would deliver to: mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64
/// `64:ff9b::a.b.c.d` and 6to4 `2002:aabb:ccdd::/48`.
fn embedded_ipv4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let o = ip.octets();
    let tail = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    let s = ip.segments();
    if let Some(mapped) = ip.to_ipv4_mapped() {
        Some(mapped)
    } else if (s[..6] == [0; 6] && s[6..] != [0, 0] && s[6..] != [0, 1])
        || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
    {
        Some(tail)
    } else if s[0] == 0x2002 {
        Some(Ipv4Addr::new(o[2], o[3], o[4], o[5]))
    } else {
        None
    }
}

/// Whether an address is on the public internet.
pub(super) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => !V4_NOT_PUBLIC.iter().any(|net| net.contains(&ip)),
        IpAddr::V6(ip) => match embedded_ipv4(ip) {
            Some(inner) => is_public(IpAddr::V4(inner)),
            None => !V6_NOT_PUBLIC.iter().any(|net| net.contains(&ip)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_purpose_addresses_are_not_public() {
        let table = [
            // IPv4
            ("93.184.216.34", true),
            ("8.8.8.8", true),
            ("0.0.0.0", false),
            ("0.1.2.3", false),
            ("10.1.2.3", false),
            ("100.64.0.1", false),
            ("100.127.255.255", false),
            ("100.128.0.1", true),
            ("127.0.0.1", false),
            ("169.254.169.254", false),
            ("172.16.0.1", false),
            ("172.32.0.1", true),
            ("192.0.0.8", false),
            ("192.0.2.1", false),
            ("192.88.99.1", false),
            ("192.168.0.1", false),
            ("198.18.0.1", false),
            ("198.19.255.255", false),
            ("198.20.0.1", true),
            ("198.51.100.7", false),
            ("203.0.113.9", false),
            ("224.0.0.1", false),
            ("239.255.255.250", false),
            ("240.0.0.1", false),
            ("255.255.255.255", false),
            // IPv6
            ("2606:4700::1111", true),
            ("::", false),
            ("::1", false),
            ("::ffff:192.168.0.1", false),
            ("::ffff:8.8.8.8", true),
            ("::127.0.0.1", false),
            ("::10.0.0.1", false),
            ("::8.8.8.8", true),
            ("::ffff:0:127.0.0.1", false),
            ("64:ff9b::127.0.0.1", false),
            ("64:ff9b::169.254.169.254", false),
            ("64:ff9b::8.8.8.8", true),
            ("64:ff9b:1::1", false),
            ("100::1", false),
            ("2001::1", false),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", false),
            ("2001:2::1", false),
            ("2001:db8::1", false),
            ("2002:7f00:1::", false),
            ("2002:c0a8:1::1", false),
            ("2002:0808:0808::1", true),
            ("3fff::1", false),
            ("5f00::1", false),
            ("fc00::1", false),
            ("fd12:3456::1", false),
            ("fe80::1", false),
            ("fec0::1", false),
            ("ff02::1", false),
        ];
        for (addr, public) in table {
            let ip: IpAddr = addr.parse().unwrap();
            assert_eq!(is_public(ip), public, "{addr}");
        }
    }

    #[test]
    fn non_public_addresses_need_the_host_listed_by_name() {
        let open = HostPolicy::default();
        assert!(open.check_addr("x", "127.0.0.1".parse().unwrap()).is_err());
        let listed = HostPolicy::new(vec![
            AllowedHost::parse("localhost:8080").unwrap(),
            AllowedHost::parse("*.corp.example").unwrap(),
        ]);
        assert!(
            listed
                .check_addr("localhost", "127.0.0.1".parse().unwrap())
                .is_ok()
        );
        assert!(
            listed
                .check_addr("a.corp.example", "10.0.0.1".parse().unwrap())
                .is_err()
        );
    }

    #[test]
    fn an_entry_without_a_port_allows_every_port_and_one_with_a_port_only_that_one() {
        let policy = HostPolicy::new(
            [
                "api.example.com",
                "localhost:8080",
                "[::1]:9000",
                "*.corp.example:443",
            ]
            .map(|e| AllowedHost::parse(e).unwrap())
            .to_vec(),
        );
        assert!(policy.host_allowed("api.example.com", Some(443)));
        assert!(policy.host_allowed("API.example.com", Some(8443)));
        assert!(policy.host_allowed("localhost", Some(8080)));
        assert!(!policy.host_allowed("localhost", Some(8081)));
        assert!(policy.host_allowed("[::1]", Some(9000)));
        assert!(!policy.host_allowed("[::1]", Some(80)));
        assert!(policy.host_allowed("a.corp.example", Some(443)));
        assert!(!policy.host_allowed("a.corp.example", Some(80)));
        assert!(!policy.host_allowed("corp.example", Some(443)));
        assert!(!policy.host_allowed("evilcorp.example", Some(443)));
        assert!(!policy.host_allowed("evil.example", Some(443)));
    }

    #[test]
    fn a_url_is_checked_against_its_scheme_default_port() {
        let policy = HostPolicy::new(vec![AllowedHost::parse("api.example.com:443").unwrap()]);
        let url = |u: &str| reqwest::Url::parse(u).unwrap();
        assert!(
            policy
                .check_url(&url("https://api.example.com/run"))
                .is_ok()
        );
        assert!(
            policy
                .check_url(&url("http://api.example.com/run"))
                .is_err()
        );
        assert!(
            HostPolicy::default()
                .check_url(&url("http://[::127.0.0.1]:8080/"))
                .is_err()
        );
    }
}
