//! The diagnosis as people read it (one line per check, then what to fix) and as programs read
//! it (`--output json`, a contract the integration tests deserialize).

use crate::cli::hints;
use anyhow::Result;
use cognito_refresh::ExposeSecret;
use cognito_refresh::diagnose::{Check, Diagnosis, Status};
use serde::Serialize;

/// Points a failed refresh without a fix at the hints its error gives, worded with this
/// command line's flags.
pub fn explain(d: &mut Diagnosis) {
    let Some(error) = &d.error else { return };
    let hints = hints::hints(error);
    if hints.is_empty() {
        return;
    }
    for c in d
        .checks
        .iter_mut()
        .filter(|c| c.id == "refresh" && c.fix.is_none())
    {
        c.fix = Some(hints.join("; ").into());
    }
}

/// Lines longer than this are wrapped (at spaces) with a hanging indent.
const WIDTH: usize = 100;
/// Where continuation lines start: under the check's id.
const INDENT: &str = "         ";

/// The human report: each check on one line with its status, its detail when it matters (all
/// details with `verbose`), its fix, then the result and any rotated refresh token.
pub fn human(d: &Diagnosis, verbose: bool) -> String {
    let mut out = String::new();
    for c in &d.checks {
        push_wrapped(
            &mut out,
            &format!("{}: {}", c.id, hints::words(&c.summary)),
            &format!("{:<8} ", c.status.as_str()),
            &format!("{INDENT}  "),
        );
        let wants_detail = verbose || !matches!(c.status, Status::Ok | Status::Skipped);
        if let Some(detail) = c.detail.as_ref().filter(|_| wants_detail) {
            push_wrapped(
                &mut out,
                &hints::words(detail),
                &format!("{INDENT}  "),
                &format!("{INDENT}  "),
            );
        }
        if let Some(fix) = &c.fix {
            push_wrapped(
                &mut out,
                &format!("fix: {}", hints::words(fix)),
                &format!("{INDENT}  "),
                &format!("{INDENT}       "),
            );
        }
    }
    out.push('\n');
    let result = match (&d.error, d.succeeded) {
        (Some(e), _) => format!(
            "result: the refresh failed (exit {}): {}",
            d.exit_code(),
            hints::message(e)
        ),
        (None, Some("refresh") | None) => "result: the refresh works (exit 0)".to_string(),
        (None, Some(id)) => format!(
            "result: the refresh works with the one change {id} made; the fix under refresh \
             makes it last (exit 0)"
        ),
    };
    push_wrapped(&mut out, &result, "", "        ");
    if let Some(token) = &d.new_refresh_token {
        out.push('\n');
        push_wrapped(
            &mut out,
            "new refresh token: Cognito rotated the refresh token. Keep this one: the one given \
             stops working after the app client's grace period.",
            "",
            "",
        );
        out.push_str(token.expose_secret());
        out.push('\n');
    }
    out
}

/// Appends `text` wrapped at whitespace (line breaks included) to WIDTH columns: the first line after `first`, the rest
/// after `rest`. Words longer than a line stay whole.
pub fn push_wrapped(out: &mut String, text: &str, first: &str, rest: &str) {
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > WIDTH {
            out.push_str(line.trim_end());
            out.push('\n');
            line = rest.to_string();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

#[derive(Serialize)]
struct JsonReport<'a> {
    /// Whether some attempt got tokens.
    refreshed: bool,
    exit_code: u8,
    /// The first attempt's error, when no attempt succeeded.
    error: Option<String>,
    /// The id of the check whose attempt got tokens (`refresh` for the first).
    succeeded: Option<&'a str>,
    checks: Vec<JsonCheck<'a>>,
    /// Only when a successful attempt rotated the refresh token: keep it.
    #[serde(skip_serializing_if = "Option::is_none")]
    new_refresh_token: Option<&'a str>,
}

/// A check with its texts worded with this command line's flags.
#[derive(Serialize)]
struct JsonCheck<'a> {
    id: &'a str,
    status: &'a str,
    summary: String,
    detail: Option<String>,
    fix: Option<String>,
    /// The request id of the answer to the check's request, when the server sent one.
    request_id: Option<&'a str>,
}

impl<'a> From<&'a Check> for JsonCheck<'a> {
    fn from(c: &'a Check) -> Self {
        JsonCheck {
            id: c.id,
            status: c.status.as_str(),
            summary: hints::words(&c.summary),
            detail: c.detail.as_ref().map(hints::words),
            fix: c.fix.as_ref().map(hints::words),
            request_id: c.request_id.as_deref(),
        }
    }
}

/// The report as one JSON document, ending with a newline.
pub fn json(d: &Diagnosis) -> Result<String> {
    let report = JsonReport {
        refreshed: d.refreshed(),
        exit_code: d.exit_code(),
        error: d.error.as_ref().map(hints::message),
        succeeded: d.succeeded,
        checks: d.checks.iter().map(JsonCheck::from).collect(),
        new_refresh_token: d.new_refresh_token.as_ref().map(|t| t.expose_secret()),
    };
    let mut out = serde_json::to_string_pretty(&report)?;
    out.push('\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cognito_refresh::{Operation, SecretString, Setting};

    fn diagnosis() -> Diagnosis {
        Diagnosis::new(
            vec![
                Check::new(
                    "client-id",
                    Status::Ok,
                    "the tokens were issued to app client c1",
                ),
                Check::new(
                    "device-key",
                    Status::Problem,
                    format!("{} a, but the token names b", Setting::DeviceKey),
                )
                .detail("the device key must be the session's")
                .fix(format!("pass {} b", Setting::DeviceKey)),
                Check::new("session-age", Status::Ok, "fine").detail("only with -v"),
            ],
            Some(cognito_refresh::api::classify::refused(
                Operation::InitiateAuth,
                "NotAuthorizedException",
                "Invalid Refresh Token.",
            )),
        )
    }

    #[test]
    fn human_report_lines() {
        let text = human(&diagnosis(), false);
        assert_eq!(
            text,
            "ok       client-id: the tokens were issued to app client c1\n\
             problem  device-key: --device-key a, but the token names b\n\
             \x20          the device key must be the session's\n\
             \x20          fix: pass --device-key b\n\
             ok       session-age: fine\n\
             \n\
             result: the refresh failed (exit 3): NotAuthorizedException: Invalid Refresh Token.\n"
        );
        assert!(human(&diagnosis(), true).contains("only with -v"));
    }

    #[test]
    fn long_lines_wrap_with_a_hanging_indent() {
        let mut out = String::new();
        let text = "word ".repeat(40);
        push_wrapped(&mut out, text.trim_end(), "", "    ");
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.len() <= WIDTH), "{out}");
        assert!(lines[1].starts_with("    word"));
        // A word longer than a line is kept whole.
        let mut out = String::new();
        push_wrapped(&mut out, &"x".repeat(150), "", "");
        assert_eq!(out, format!("{}\n", "x".repeat(150)));
    }

    #[test]
    fn rotated_refresh_token_is_shown_labelled() {
        let mut d = diagnosis();
        d.error = None;
        d.succeeded = Some("attempt.get-tokens");
        d.new_refresh_token = Some(SecretString::from("new-rt"));
        let text = human(&d, false);
        assert!(
            text.contains("result: the refresh works with the one change attempt.get-tokens made")
        );
        assert!(text.ends_with("grace period.\nnew-rt\n"), "{text}");
        let json: serde_json::Value = serde_json::from_str(&json(&d).unwrap()).unwrap();
        assert_eq!(json["new_refresh_token"], "new-rt");
        assert_eq!(json["exit_code"], 0);
        assert_eq!(json["checks"][1]["status"], "problem");
        assert_eq!(json["checks"][0]["fix"], serde_json::Value::Null);
    }
}
