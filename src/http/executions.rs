//! The execution history: `/tools/{name}/executions`, `/tools/{name}/stats`, `/executions/{id}`.

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::AppState;
use super::dto::{ExecutionsQuery, StatsQuery};
use super::{ApiQuery, Caller};
use crate::http::ApiError;
use crate::registry::{CallErrorKind, ExecutionPage, RegistryService, ToolStats};
use crate::store::{HistoryFilter, OutcomeFilter, StoredExecution};

const MAX_PAGE: i64 = 200;
const MAX_WINDOW: Duration = Duration::from_secs(366 * 86_400);

fn bad_param(name: &str, detail: String) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid-parameter",
        "Invalid query parameter",
        detail,
    )
    .with("parameter", name.into())
}

#[utoipa::path(get, path = "/tools/{name}/executions", tag = "executions", operation_id = "list_executions",
    params(("name" = String, Path, description = "Tool name"),
        ("limit" = Option<i64>, Query, description = "1-200, default 50", minimum = 1, maximum = 200),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page",
            pattern = "^[0-9]{0,18}$"),
        ("outcome" = Option<String>, Query, description = "all, success, failure or an error_kind",
            pattern = "^(|all|success|failure|invalid_arguments|tool_error|timeout|unavailable|not_found|not_executable)$"),
        ("caller" = Option<String>, Query, description = "Only this caller's runs, as recorded: `key:<id>` or `oidc:<subject>`")),
    responses((status = 200, description = "Runs, newest first, and `next_cursor`")))]
pub async fn list(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ExecutionsQuery>,
) -> Result<Json<ExecutionPage>, ApiError> {
    let name = RegistryService::parse_name(&name)?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(bad_param(
            "limit",
            format!("`limit` must be between 1 and {MAX_PAGE}"),
        ));
    }
    let cursor = match q.cursor.as_deref() {
        None | Some("") => None,
        // Digits only, as the description's pattern says (no sign, no `+`).
        Some(c) => Some(
            c.parse::<i64>()
                .ok()
                .filter(|_| c.len() <= 18 && c.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| {
                    bad_param(
                        "cursor",
                        "`cursor` must be a `next_cursor` value from a previous page".into(),
                    )
                })?,
        ),
    };
    let filter = HistoryFilter {
        outcome: parse_outcome(q.outcome.as_deref())?,
        caller: q.caller.filter(|c| !c.is_empty()),
    };
    let page = state
        .registry
        .executions(name.as_str(), &filter, cursor, limit as u32, &who)
        .await?;
    Ok(Json(page))
}

#[utoipa::path(get, path = "/executions/{id}", tag = "executions", operation_id = "get_execution",
    params(("id" = String, Path, description = "Execution id")),
    responses((status = 200, description = "One run")))]
pub async fn get(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<StoredExecution>, ApiError> {
    let id: i64 = id.parse().map_err(|_| IdShim::not_found(&id))?;
    Ok(Json(state.registry.execution(id, &who).await?))
}

#[utoipa::path(get, path = "/tools/{name}/stats", tag = "executions", operation_id = "tool_stats",
    params(("name" = String, Path, description = "Tool name"),
        ("window" = Option<String>, Query, pattern = r"^[1-9][0-9]{0,7}[smhd]$",
            description = "e.g. 90s, 15m, 24h (default), 7d; longer than 366d counts as 366d")),
    responses((status = 200, description = "Calls, success rate, p50/p95/p99 duration")))]
pub async fn stats(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(name): Path<String>,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> Result<Json<ToolStats>, ApiError> {
    let name = RegistryService::parse_name(&name)?;
    let window = match q.window.as_deref() {
        None => Duration::from_secs(86_400),
        // Longer windows are clamped rather than refused: the answer's `window_seconds` says
        // which window was counted, and a caller asking for "everything" gets it.
        Some(w) => parse_window(w).map(|d| d.min(MAX_WINDOW)).ok_or_else(|| {
            bad_param(
                "window",
                "`window` must be a duration like 90s, 15m, 24h or 7d: 1 to 8 digits, \
                 no leading zero, then s, m, h or d"
                    .into(),
            )
        })?,
    };
    Ok(Json(
        state.registry.stats(name.as_str(), window, &who).await?,
    ))
}

struct IdShim;

impl IdShim {
    fn not_found(raw: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "execution-not-found",
            "Execution not found",
            format!("no execution with id {raw:?}: ids are integers"),
        )
    }
}

fn parse_outcome(raw: Option<&str>) -> Result<OutcomeFilter, ApiError> {
    Ok(match raw {
        None | Some("" | "all") => OutcomeFilter::All,
        Some("success") => OutcomeFilter::Success,
        Some("failure") => OutcomeFilter::Failure,
        Some(k) => match CallErrorKind::parse(k) {
            Some(kind) => OutcomeFilter::Kind(kind.as_str().to_owned()),
            None => {
                let kinds: Vec<&str> = CallErrorKind::ALL.iter().map(|k| k.as_str()).collect();
                return Err(bad_param(
                    "outcome",
                    format!(
                        "`outcome` must be all, success, failure or one of {}",
                        kinds.join(", ")
                    ),
                ));
            }
        },
    })
}

/// `90s`, `15m`, `24h`, `7d`: exactly what the description's pattern
/// `^[1-9][0-9]{0,7}[smhd]$` allows, so the description and the parser cannot disagree.
fn parse_window(raw: &str) -> Option<Duration> {
    // The unit is one ASCII letter; anything else (including multi-byte text) is refused.
    if !raw.is_ascii() {
        return None;
    }
    let (num, unit) = raw.split_at(raw.len().checked_sub(1)?);
    if num.is_empty()
        || num.len() > 8
        || num.starts_with('0')
        || !num.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let n: u64 = num.parse().ok()?;
    let secs = match unit {
        "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        "d" => n.checked_mul(86_400)?,
        _ => return None,
    };
    Some(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_parse_and_odd_text_is_refused_without_panicking() {
        assert_eq!(parse_window("15m"), Some(Duration::from_secs(900)));
        assert_eq!(parse_window("7d"), Some(Duration::from_secs(7 * 86_400)));
        assert_eq!(
            parse_window("99999999d"),
            Some(Duration::from_secs(99_999_999 * 86_400))
        );
        for bad in [
            "",
            "d",
            "\u{80}",
            "5é",
            "x5m",
            "0s",
            "05m",
            "+5m",
            "999999999d",
            "99999999999999999999d",
        ] {
            assert_eq!(parse_window(bad), None, "{bad:?}");
        }
    }
}
