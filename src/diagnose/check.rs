//! What a diagnosis is made of: checks with their status, the diagnosis, what was sent, and the
//! words they share.

use crate::text::Text;
use crate::{Error, SecretString};
use std::borrow::Cow;
use std::fmt;

/// What a check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Status {
    /// Nothing wrong here.
    Ok,
    /// This is (or causes) a failure; the check's fix says what to do.
    Problem,
    /// Probably a mistake, or a failure waiting to happen, though the refresh may work.
    Warning,
    /// Could not be found out (an API call was denied or failed).
    Unknown,
    /// Not checked: an input is missing or the check was not asked for.
    Skipped,
}

impl Status {
    /// The word used in reports and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Problem => "problem",
            Status::Warning => "warning",
            Status::Unknown => "unknown",
            Status::Skipped => "skipped",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding: a stable id (`client-id`, `attempt.get-tokens`, `pool.devices`, ...), its status,
/// what was seen in one line, more detail, and for problems what to do. Settings are named in
/// them as [`Setting`](crate::Setting)s: a front end renders each [`Text`] in its own words.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Check {
    pub id: &'static str,
    pub status: Status,
    pub summary: Text,
    pub detail: Option<Text>,
    pub fix: Option<Text>,
    /// For a check that sent a request: the request id of the answer (`x-amzn-RequestId`), when
    /// the server sent one.
    pub request_id: Option<String>,
}

impl Check {
    pub fn new(id: &'static str, status: Status, summary: impl Into<Text>) -> Self {
        Check {
            id,
            status,
            summary: summary.into(),
            detail: None,
            fix: None,
            request_id: None,
        }
    }

    pub fn detail(mut self, detail: impl Into<Text>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn fix(mut self, fix: impl Into<Text>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    pub fn request_id(mut self, id: Option<&str>) -> Self {
        self.request_id = id.map(str::to_string);
        self
    }
}

/// Everything found, in report order, and how the refresh went.
#[derive(Debug)]
#[non_exhaustive]
pub struct Diagnosis {
    pub checks: Vec<Check>,
    /// The first attempt's error (what `refresh` with the same options would fail with), when
    /// no attempt succeeded; `None` when one did.
    pub error: Option<Error>,
    /// A new refresh token, when a successful attempt rotated it. The one given stops working
    /// after the app client's grace period: losing this one loses the session.
    pub new_refresh_token: Option<SecretString>,
    /// The id of the check whose attempt succeeded, when one did.
    pub succeeded: Option<&'static str>,
}

impl Diagnosis {
    /// A diagnosis of `checks` in which no attempt succeeded when there is an `error`, and the
    /// first did when there is none; without a new refresh token.
    pub fn new(checks: Vec<Check>, error: Option<Error>) -> Self {
        let succeeded = error.is_none().then_some("refresh");
        Diagnosis {
            checks,
            error,
            new_refresh_token: None,
            succeeded,
        }
    }

    /// Whether some attempt got tokens.
    pub fn refreshed(&self) -> bool {
        self.error.is_none()
    }

    /// 0 when some attempt refreshed, else the code `refresh` gives for the first attempt's error.
    pub fn exit_code(&self) -> u8 {
        self.error.as_ref().map_or(0, |e| e.kind().exit_code())
    }

    /// The check with this id, if it was made.
    pub fn check(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }
}

/// What the first attempt sent (no secrets), for judging the app client's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sent {
    pub api: crate::RefreshApi,
    pub device_key: Option<String>,
    pub username: Option<String>,
}

/// `texts` one after another with `separator` between them, their settings kept.
pub(super) fn join(texts: &[Text], separator: &str) -> Text {
    let mut out = Text::default();
    for (i, t) in texts.iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        out.push_str(&raw(t));
    }
    out
}

/// The text with its settings still placeholders, to build more text around.
pub(super) fn raw(text: &Text) -> String {
    text.render(&|s| Cow::Owned(s.to_string()))
}

/// "3 hours", "2 days": a span of seconds in the largest unit that fits, rounded down.
pub fn human_duration(seconds: i64) -> String {
    let s = seconds.unsigned_abs();
    let (n, unit) = match s {
        // Settings come in whole days: "1 day", not "24 hours".
        _ if s >= 86_400 && s.is_multiple_of(86_400) => (s / 86_400, "day"),
        0..90 => (s, "second"),
        90..5_400 => (s / 60, "minute"),
        5_400..172_800 => (s / 3_600, "hour"),
        _ => (s / 86_400, "day"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// Whether the error says the refresh token itself is dead (expired, revoked, rotated out, its
/// user gone): no other request with it can succeed.
pub(super) fn token_is_dead(e: &Error) -> bool {
    e.reason().is_some_and(crate::Reason::session_is_dead)
}
