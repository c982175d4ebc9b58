//! The types every part shares: the tokens Cognito returns, a device it offers, the notes the
//! core leaves for its caller, and the clock.

use crate::jwt;
use crate::{Error, ErrorKind};
use secrecy::{ExposeSecret, SecretString};

/// Something the core decided or noticed, for the caller to log (never contains a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Note {
    /// What was used and where it came from; shown with `-v`.
    Info(String),
    /// Probably a mistake, though the call may still work; shown unless `-q`.
    Warning(String),
}

/// A device Cognito returned for remembering (device tracking on).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewDevice {
    pub device_key: Option<String>,
    pub device_group_key: Option<String>,
}

/// The tokens a refresh returned.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Tokens {
    pub access_token: SecretString,
    pub id_token: Option<SecretString>,
    pub token_type: Option<String>,
    pub expires_in: Option<i64>,
    /// Only when the app client rotates refresh tokens. Losing it loses the session.
    pub refresh_token: Option<SecretString>,
    pub new_device: Option<NewDevice>,
    /// When the answer arrived, seconds since the Unix epoch.
    pub received_at: i64,
    /// The request id the answer carried (`x-amzn-RequestId`), when it carried one.
    pub request_id: Option<String>,
}

impl Tokens {
    /// When the access token expires, seconds since the Unix epoch: its `exp` claim, else the
    /// time of the answer plus `ExpiresIn`.
    pub fn expires_at_unix(&self) -> Option<i64> {
        jwt::decode(self.access_token.expose_secret())
            .ok()
            .and_then(|t| t.claims.expires())
            .or_else(|| self.expires_in.map(|s| self.received_at + s))
    }

    /// The access token's expiry as RFC 3339 UTC.
    pub fn expires_at(&self) -> Result<String, Error> {
        let at = self.expires_at_unix().ok_or_else(|| {
            Error::new(
                ErrorKind::Other,
                "the answer gives no expiry: the access token has no exp claim and there is no ExpiresIn",
            )
        })?;
        rfc3339(at)
    }

    /// Seconds the access token stays valid: `ExpiresIn`, else from its `exp` claim.
    pub fn expires_in(&self) -> Option<i64> {
        self.expires_in.or_else(|| {
            self.expires_at_unix()
                .map(|at| (at - self.received_at).max(0))
        })
    }
}

/// Seconds since the Unix epoch, now.
pub fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Formats seconds since the Unix epoch as RFC 3339 UTC, e.g. `2026-11-22T10:00:00Z`.
pub fn rfc3339(unix: i64) -> Result<String, Error> {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .ok_or_else(|| Error::new(ErrorKind::Other, format!("time {unix} is out of range")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::tests::token;
    use serde_json::json;

    #[test]
    fn expiry_from_claim_else_expires_in() {
        let t = Tokens {
            access_token: SecretString::from(token(json!({"exp": 1_900_000_000}))),
            id_token: None,
            token_type: None,
            expires_in: None,
            refresh_token: None,
            new_device: None,
            received_at: 1_899_996_400,
            request_id: None,
        };
        assert_eq!(t.expires_at().unwrap(), "2030-03-17T17:46:40Z");
        assert_eq!(t.expires_in(), Some(3600));
        let t = Tokens {
            access_token: SecretString::from("opaque"),
            expires_in: Some(60),
            ..t
        };
        assert_eq!(t.expires_at_unix(), Some(1_899_996_460));
        let t = Tokens {
            expires_in: None,
            ..t
        };
        assert!(t.expires_at().is_err());
    }
}
