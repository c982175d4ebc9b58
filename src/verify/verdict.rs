//! What `verify` checks against and what it finds: the expectations, the checks, the verdict.

use crate::region::region_of_pool;
use crate::text::Text;
use crate::tokens::{Note, now_unix};
use std::path::PathBuf;
use std::time::Duration;

/// Seconds of clock difference forgiven on `exp` and `iat`.
pub const LEEWAY: i64 = 60;

/// What the token should be used for: `token_use`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    Access,
    Id,
}

impl TokenUse {
    /// The claim's value: `access` or `id`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenUse::Access => "access",
            TokenUse::Id => "id",
        }
    }
}

/// What the API expects of a token. Anything left unset is not checked (its check is skipped).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Expected {
    /// The user pool the API trusts, e.g. `eu-west-1_AbC123`.
    pub user_pool_id: Option<String>,
    /// The app client the token must have been issued to.
    pub client_id: Option<String>,
    /// Access or ID token; with scopes expected and this unset, an access token.
    pub token_use: Option<TokenUse>,
    /// Scopes the token must carry (all of them).
    pub scopes: Vec<String>,
}

/// What to check a token against, and where the keys come from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct VerifyOptions {
    pub expected: Expected,
    /// Instead of Cognito's origin for the keys (an emulator): `<endpoint>/<pool>/.well-known/jwks.json`.
    pub endpoint_url: Option<String>,
    /// Where the keys are cached; `None`: not cached.
    pub cache_dir: Option<PathBuf>,
    /// Bounds the fetch of the keys, retries included.
    pub timeout: Duration,
    /// Seconds of clock difference forgiven.
    pub leeway: i64,
    /// The time to check against, seconds since the Unix epoch (now, unless a test says).
    pub now: i64,
}

impl VerifyOptions {
    pub fn new(expected: Expected) -> Self {
        VerifyOptions {
            expected,
            endpoint_url: None,
            cache_dir: super::keys::default_cache_dir(),
            timeout: Duration::from_secs(10),
            leeway: LEEWAY,
            now: now_unix(),
        }
    }
}

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// An API would refuse the token for this.
    Fail,
    /// Nothing was expected here, or the token could not be read this far.
    Skipped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Fail => "fail",
            Status::Skipped => "skipped",
        }
    }
}

/// One check: a stable id (`signature`, `issuer`, `token-use`, `client`, `expiry`, `scope`),
/// how it came out, what was seen, and for a failure the likely cause of a 401 and its fix.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Check {
    pub id: &'static str,
    pub status: Status,
    pub summary: Text,
    pub fix: Option<Text>,
}

impl Check {
    pub(super) fn new(id: &'static str, status: Status, summary: impl Into<Text>) -> Self {
        Check {
            id,
            status,
            summary: summary.into(),
            fix: None,
        }
    }

    pub(super) fn ok(id: &'static str, summary: impl Into<Text>) -> Self {
        Check::new(id, Status::Ok, summary)
    }

    pub(super) fn fail(id: &'static str, summary: impl Into<Text>, fix: impl Into<Text>) -> Self {
        Check {
            fix: Some(fix.into()),
            ..Check::new(id, Status::Fail, summary)
        }
    }

    pub(super) fn skipped(id: &'static str, summary: impl Into<Text>) -> Self {
        Check::new(id, Status::Skipped, summary)
    }
}

/// The checks, in order, and what was done to get the keys.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Verdict {
    pub checks: Vec<Check>,
    pub notes: Vec<Note>,
}

impl Verdict {
    /// Whether an API expecting what was given would accept the token: no check failed.
    pub fn valid(&self) -> bool {
        self.failed().is_empty()
    }

    /// The ids of the checks that failed.
    pub fn failed(&self) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .map(|c| c.id)
            .collect()
    }
}

/// `https://cognito-idp.<region>.amazonaws.com/<pool>`: the `iss` of a user pool's tokens.
pub fn issuer_of(user_pool_id: &str) -> Option<String> {
    let region = region_of_pool(user_pool_id)?;
    Some(format!(
        "https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"
    ))
}

/// The user pool of a Cognito issuer URL; `None` for any other issuer.
pub(super) fn pool_of_issuer(iss: &str) -> Option<&str> {
    let pool = iss.rsplit('/').next()?;
    (issuer_of(pool).as_deref() == Some(iss)).then_some(pool)
}
