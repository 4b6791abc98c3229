//! `Accept` on `/mcp`, read as HTTP defines it before rmcp's literal check.
//!
//! The MCP transport asks clients to list both `application/json` and `text/event-stream`,
//! and rmcp compares the listed types literally, so `Accept: */*` (curl's default, and many
//! HTTP libraries') is refused with 406 although RFC 9110 §12.5.1 says it accepts both. Here
//! media ranges are matched as HTTP matches them (the most specific range decides; `q=0`
//! excludes) and, when both types are acceptable, the header is rewritten to the literal list
//! rmcp expects. A request that rules either out, or sends no `Accept` at all (the transport
//! requires one), is left for rmcp to refuse.

use axum::http::{HeaderMap, HeaderValue, header};

/// What rmcp wants to read.
pub const BOTH: &str = "application/json, text/event-stream";

/// Rewrites `Accept` to [`BOTH`] when the ranges it lists admit both media types.
pub fn normalise(headers: &mut HeaderMap) {
    let ranges = ranges(headers);
    if admits(&ranges, "application", "json") && admits(&ranges, "text", "event-stream") {
        headers.insert(header::ACCEPT, HeaderValue::from_static(BOTH));
    }
}

/// One media range of an `Accept` header: type, subtype (either may be `*`), and whether its
/// weight is above zero.
struct Range {
    kind: String,
    subtype: String,
    wanted: bool,
}

fn ranges(headers: &HeaderMap) -> Vec<Range> {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|entry| {
            let mut parts = entry.split(';');
            let (kind, subtype) = parts.next()?.trim().split_once('/')?;
            let wanted = parts
                .filter_map(|p| p.split_once('='))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("q"))
                .is_none_or(|(_, q)| q.trim().parse::<f32>().map_or(true, |q| q > 0.0));
            Some(Range {
                kind: kind.trim().to_ascii_lowercase(),
                subtype: subtype.trim().to_ascii_lowercase(),
                wanted,
            })
        })
        .collect()
}

/// Whether `kind/subtype` is acceptable: the most specific matching range decides.
fn admits(ranges: &[Range], kind: &str, subtype: &str) -> bool {
    ranges
        .iter()
        .filter_map(|r| {
            let specificity = match (r.kind.as_str(), r.subtype.as_str()) {
                (k, s) if k == kind && s == subtype => 2,
                (k, "*") if k == kind => 1,
                ("*", "*") => 0,
                _ => return None,
            };
            Some((specificity, r.wanted))
        })
        .max_by_key(|(specificity, _)| *specificity)
        .is_some_and(|(_, wanted)| wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalised(accept: Option<&str>) -> Option<String> {
        let mut headers = HeaderMap::new();
        if let Some(a) = accept {
            headers.insert(header::ACCEPT, HeaderValue::from_str(a).unwrap());
        }
        normalise(&mut headers);
        headers
            .get(header::ACCEPT)
            .map(|v| v.to_str().unwrap().to_owned())
    }

    #[test]
    fn wildcards_that_cover_both_types_become_the_literal_list() {
        for accept in [
            "*/*",
            "application/*, text/*",
            "text/event-stream, application/*;q=0.5",
        ] {
            assert_eq!(normalised(Some(accept)).as_deref(), Some(BOTH), "{accept}");
        }
    }

    #[test]
    fn a_range_excluded_by_a_zero_weight_is_left_for_rmcp_to_refuse() {
        for accept in [
            "*/*, text/event-stream;q=0",
            "application/json",
            "text/*;q=0, */*",
        ] {
            assert_eq!(
                normalised(Some(accept)).as_deref(),
                Some(accept),
                "{accept}"
            );
        }
        assert_eq!(normalised(None), None);
    }
}
