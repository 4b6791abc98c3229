//! Rate limiting per API key, or per client address for anonymous callers (a whole IPv6 /64
//! counts as one client), with a bounded key map.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::HeaderMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;

/// Above this many tracked clients the map is pruned of idle ones; if still above, reset.
const MAX_TRACKED: usize = 100_000;

/// A keyed token bucket: `per_second` sustained, `burst` at once.
pub struct Limiter {
    quota: Quota,
    buckets: RwLock<DefaultKeyedRateLimiter<String>>,
    checks: AtomicU64,
}

impl Limiter {
    pub fn new(per_second: u32, burst: u32) -> Self {
        let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(rate);
        let quota = Quota::per_second(rate).allow_burst(burst);
        Self {
            quota,
            buckets: RwLock::new(RateLimiter::keyed(quota)),
            checks: AtomicU64::new(0),
        }
    }

    /// `Err(seconds)` when `key` must wait before its next request.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % 1024 == 1023 {
            self.prune();
        }
        let buckets = self.buckets.read().unwrap_or_else(|e| e.into_inner());
        buckets.check_key(&key.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }

    fn prune(&self) {
        let buckets = self.buckets.read().unwrap_or_else(|e| e.into_inner());
        if buckets.len() <= MAX_TRACKED / 10 {
            return;
        }
        buckets.retain_recent();
        buckets.shrink_to_fit();
        if buckets.len() > MAX_TRACKED {
            drop(buckets);
            tracing::warn!("rate limiter tracks too many clients: starting afresh");
            *self.buckets.write().unwrap_or_else(|e| e.into_inner()) =
                RateLimiter::keyed(self.quota);
        }
    }
}

/// The client's address: the peer, or — when the peer is a trusted proxy — the right-most
/// `X-Forwarded-For` entry that is not itself a trusted proxy.
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !is_trusted(ip))
            .unwrap_or(peer),
    )
}

/// The rate-limit bucket of an anonymous client.
pub fn client_bucket(ip: Option<IpAddr>) -> String {
    match ip {
        Some(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(IpAddr::V6(v6)) => format!("ip:{}", v6.to_ipv4_mapped().expect("checked")),
        Some(ip) => format!("ip:{ip}"),
        None => "ip:unknown".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted = vec!["10.0.0.0/8".parse().unwrap()];
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "1.2.3.4, 10.0.0.2".parse().unwrap());
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let stranger: IpAddr = "5.6.7.8".parse().unwrap();
        assert_eq!(
            client_ip(Some(proxy), &h, &trusted),
            Some("1.2.3.4".parse().unwrap())
        );
        assert_eq!(client_ip(Some(stranger), &h, &trusted), Some(stranger));
    }

    #[test]
    fn the_burst_is_allowed_then_a_wait_is_required() {
        let limiter = Limiter::new(1, 3);
        for _ in 0..3 {
            assert!(limiter.check("k").is_ok());
        }
        assert_eq!(limiter.check("k"), Err(1));
        assert!(limiter.check("other").is_ok());
    }
}
