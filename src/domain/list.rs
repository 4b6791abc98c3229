//! `ListQuery`: a catalogue listing (`GET /tools`, `POST /mcp/list_tools`), parsed once for
//! both, and the cursor a page hands to the next (MCP's `tools/list` issues the same cursors).

use super::{FieldError, ToolName, check_filter};

/// The largest page a listing returns; without `limit` the whole list is streamed instead.
pub const MAX_LIST_LIMIT: u32 = 1_000;

/// A listing request as it arrives, before validation.
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
    pub limit: Option<i64>,
    /// A cursor a previous page announced.
    pub cursor: Option<String>,
}

/// A listing request, validated. Tools come in name order.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    /// Only tools in this category.
    pub category: Option<String>,
    /// Only tools carrying all of these tags.
    pub tags: Option<Vec<String>>,
    /// The page size, 1..=[`MAX_LIST_LIMIT`]; `None` is everything after `after`.
    pub limit: Option<u32>,
    /// Only tools whose name sorts after this one: where the previous page ended.
    pub after: Option<ToolName>,
}

impl ListQuery {
    /// Validates `req`; the first fault found is returned with its pointer (`/limit`,
    /// `/cursor`, `/category`, `/tags/0`, ...).
    pub fn parse(req: ListRequest) -> Result<Self, FieldError> {
        let limit = req.limit.map(check_limit).transpose()?;
        let after = req.cursor.as_deref().map(decode_cursor).transpose()?;
        check_filter(req.category.as_deref(), req.tags.as_deref())?;
        Ok(Self {
            category: req.category,
            tags: req.tags,
            limit,
            after,
        })
    }
}

fn check_limit(limit: i64) -> Result<u32, FieldError> {
    if (1..=i64::from(MAX_LIST_LIMIT)).contains(&limit) {
        Ok(limit as u32)
    } else {
        Err(limit_error("range"))
    }
}

fn limit_error(rule: &str) -> FieldError {
    FieldError::new(
        "/limit",
        rule,
        format!("must be an integer between 1 and {MAX_LIST_LIMIT}"),
    )
}

/// A `limit` written as text (a query-string parameter), with the same error as a number out
/// of range.
pub fn parse_limit_text(raw: &str) -> Result<i64, FieldError> {
    // Digits only: `+5` and ` 5` are not what the description's integer allows.
    if raw.is_empty() || raw.len() > 18 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(limit_error("type"));
    }
    raw.parse().map_err(|_| limit_error("type"))
}

/// The cursor that resumes a listing after the tool named `last_name`: its name in lowercase
/// hex. Opaque to clients; a later format can be told apart by a letter outside `0-9a-f`.
pub fn encode_cursor(last_name: &str) -> String {
    last_name.bytes().map(|b| format!("{b:02x}")).collect()
}

/// The tool name a cursor stands for. A cursor this server could not have issued (not hex, or
/// not the hex of a tool name) is a `/cursor` `pattern` error: [`CURSOR_PATTERN`] exactly.
pub fn decode_cursor(cursor: &str) -> Result<ToolName, FieldError> {
    let invalid = || {
        FieldError::new(
            "/cursor",
            "pattern",
            "must be a cursor a previous page announced (`X-Next-Cursor`, `Link: rel=\"next\"`)",
        )
    };
    if cursor.is_empty() || !cursor.len().is_multiple_of(2) {
        return Err(invalid());
    }
    let bytes = (0..cursor.len())
        .step_by(2)
        .map(|i| {
            let pair = cursor
                .get(i..i + 2)
                .filter(|p| !p.bytes().any(|b| b.is_ascii_uppercase()));
            pair.and_then(|p| u8::from_str_radix(p, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(invalid)?;
    let name = String::from_utf8(bytes).map_err(|_| invalid())?;
    ToolName::parse(&name).map_err(|_| invalid())
}

/// The cursors [`decode_cursor`] accepts, as a regular expression for the API description:
/// the lowercase hex of a tool name (a letter or digit, then up to 127 of letters, digits,
/// `_`, `-`, `.`), byte by byte.
pub const CURSOR_PATTERN: &str = "^(?:3[0-9]|4[1-9a-f]|5[0-9a]|6[1-9a-f]|7[0-9a])\
     (?:2[de]|3[0-9]|4[1-9a-f]|5[0-9af]|6[1-9a-f]|7[0-9a]){0,127}$";

#[cfg(test)]
mod tests {
    use super::*;

    fn request(limit: Option<i64>, cursor: Option<&str>) -> ListRequest {
        ListRequest {
            limit,
            cursor: cursor.map(str::to_owned),
            ..ListRequest::default()
        }
    }

    #[test]
    fn a_bare_request_lists_everything() {
        let q = ListQuery::parse(ListRequest::default()).unwrap();
        assert_eq!((q.limit, q.after), (None, None));
    }

    #[test]
    fn a_cursor_resumes_after_the_name_it_was_made_from() {
        let cursor = encode_cursor("weather.v2_lookup");
        let q = ListQuery::parse(request(Some(10), Some(&cursor))).unwrap();
        assert_eq!(q.after.unwrap().as_str(), "weather.v2_lookup");
        assert_eq!(q.limit, Some(10));
    }

    #[test]
    fn a_limit_out_of_range_is_refused_at_its_pointer() {
        for limit in [0, -1, i64::from(MAX_LIST_LIMIT) + 1] {
            let e = ListQuery::parse(request(Some(limit), None)).unwrap_err();
            assert_eq!((e.pointer.as_str(), e.rule.as_str()), ("/limit", "range"));
        }
    }

    #[test]
    fn a_limit_as_text_must_be_plain_digits() {
        assert_eq!(parse_limit_text("100").unwrap(), 100);
        for raw in ["", "+5", " 5", "5.0", "abc", "99999999999999999999"] {
            assert_eq!(parse_limit_text(raw).unwrap_err().pointer, "/limit");
        }
    }

    #[test]
    fn a_cursor_the_server_did_not_issue_is_refused_at_its_pointer() {
        // Odd length, not hex, uppercase hex, not UTF-8, NUL, not a tool name.
        for bad in ["a", "zz", "4A", "ff", "00", "2d61", ""] {
            let e = ListQuery::parse(request(None, Some(bad))).unwrap_err();
            assert_eq!(
                (e.pointer.as_str(), e.rule.as_str()),
                ("/cursor", "pattern"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_cursor_pattern_accepts_exactly_what_decode_cursor_accepts() {
        let schema = serde_json::json!({"type": "string", "pattern": CURSOR_PATTERN});
        let matches = |s: &str| jsonschema::is_valid(&schema, &serde_json::json!(s));
        let long = "x".repeat(128);
        for name in ["a", "Z9", "tool_1.v-2", long.as_str()] {
            let cursor = encode_cursor(name);
            assert!(matches(&cursor) && decode_cursor(&cursor).is_ok(), "{name}");
        }
        let too_long = "x".repeat(129);
        for bad in ["_a", "-", ".x", "a b", "a/b", too_long.as_str()] {
            let cursor = encode_cursor(bad);
            assert!(
                !matches(&cursor) && decode_cursor(&cursor).is_err(),
                "{bad}"
            );
        }
        for bad in ["4A", "ff", "00", "zz", "6"] {
            assert!(!matches(bad) && decode_cursor(bad).is_err(), "{bad}");
        }
    }
}
