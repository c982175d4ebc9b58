//! What the given tokens say, and whether they are usable: the refresh token's shape, the access
//! and ID tokens given beside it, and the session's age. Pure functions of the tokens and the
//! time, so each is tested directly.

use super::check::{Check, Status, human_duration};
use crate::api::plan::RefreshOptions;
use crate::jwt::{self, Claims, JwtError, Shape};
use crate::refresh_token::{self, Flaw};
use crate::text::Setting;
use secrecy::{ExposeSecret, SecretString};

/// The default refresh token validity of an app client: 30 days.
pub const DEFAULT_REFRESH_VALIDITY: i64 = 30 * 86_400;

/// What the given tokens say, read once.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Facts {
    /// `None` when no access token was given.
    pub access: Option<Result<Claims, JwtError>>,
    /// `None` when no ID token was given.
    pub id: Option<Result<Claims, JwtError>>,
}

impl Facts {
    pub fn read(options: &RefreshOptions) -> Facts {
        let read = |t: &Option<SecretString>| {
            t.as_ref()
                .map(|t| jwt::decode(t.expose_secret()).map(|j| j.claims))
        };
        Facts {
            access: read(&options.access_token),
            id: read(&options.id_token),
        }
    }

    /// The readable tokens' claims, access token first, each with its name for messages.
    pub fn tokens(&self) -> Vec<(&'static str, &Claims)> {
        let mut v = Vec::new();
        if let Some(Ok(c)) = &self.access {
            v.push(("access token", c));
        }
        if let Some(Ok(c)) = &self.id {
            v.push(("ID token", c));
        }
        v
    }

    /// The access token's claims, when one was given and is readable.
    pub fn access_claims(&self) -> Option<&Claims> {
        match &self.access {
            Some(Ok(c)) => Some(c),
            _ => None,
        }
    }

    /// The session's device per its access token: `None` without a readable access token,
    /// `Some(None)` when the token has no `device_key` claim.
    pub fn device_key(&self) -> Option<Option<&str>> {
        self.access_claims().map(Claims::device_key)
    }

    /// The user's real username and the token it came from.
    pub fn username(&self) -> Option<(&str, &'static str)> {
        self.tokens()
            .into_iter()
            .find_map(|(name, c)| Some((c.username()?, name)))
    }

    /// The user pool named by a token's issuer.
    pub fn user_pool_id(&self) -> Option<&str> {
        self.tokens()
            .into_iter()
            .find_map(|(_, c)| c.user_pool_id())
    }

    /// When the user signed in (`auth_time`), seconds since the Unix epoch.
    pub fn auth_time(&self) -> Option<i64> {
        self.tokens().into_iter().find_map(|(_, c)| c.auth_time())
    }
}

/// The refresh token's shape: what `refresh` would refuse (the same check), else how it
/// compares with the five-part JWEs Cognito issues. Never quotes the token.
pub fn refresh_token(token: &str) -> Check {
    let id = "refresh-token";
    if let Some(flaw) = refresh_token::flaw(token) {
        let check = Check::new(id, Status::Problem, flaw.summary()).fix(flaw.fix());
        return match flaw {
            Flaw::AccessToken | Flaw::IdToken => check
                .detail("Cognito's refresh tokens are opaque, encrypted five-part tokens (JWE)"),
            _ => check,
        };
    }
    match Shape::of(token) {
        Shape::Jwt => Check::new(
            id,
            Status::Warning,
            "a three-part JWT without token_use, not the five-part JWE Cognito issues",
        )
        .detail("emulators issue refresh tokens of this shape; Cognito's are encrypted")
        .fix("check that this is the RefreshToken Cognito returned at sign-in, whole"),
        shape @ Shape::Jwe { .. } if shape.is_cognito_jwe() => Check::new(
            id,
            Status::Ok,
            "a five-part JWE with the header Cognito gives refresh tokens",
        )
        .detail("encrypted: only Cognito can read it"),
        Shape::Jwe { .. } => Check::new(
            id,
            Status::Warning,
            "a five-part JWE, but its header is not the one Cognito gives refresh tokens",
        )
        .detail("Cognito's read {\"cty\":\"JWT\",\"enc\":\"A256GCM\",\"alg\":\"RSA-OAEP\"}")
        .fix("check that this is the RefreshToken Cognito returned at sign-in"),
        Shape::Opaque { parts } => Check::new(
            id,
            Status::Warning,
            format!(
                "not the five-part JWE Cognito issues ({parts} dot-separated part{})",
                if parts == 1 { "" } else { "s" }
            ),
        )
        .detail("emulators and tests issue other shapes; a refresh token from Cognito itself has five parts")
        .fix("check that this is the RefreshToken Cognito returned at sign-in, whole"),
    }
}

/// A given access or ID token: readable, of the right kind, and what it says.
pub(super) fn token(
    id: &'static str,
    setting: Setting,
    expected_use: &str,
    given: &Option<Result<Claims, JwtError>>,
    now: i64,
) -> Check {
    let claims = match given {
        None => {
            return Check::new(
                id,
                Status::Skipped,
                format!(
                    "not given: {setting} (an expired one is fine) lets the client, region{} and \
                     username be checked",
                    if expected_use == "access" {
                        ", device key"
                    } else {
                        ""
                    }
                ),
            );
        }
        Some(Err(e)) => {
            return Check::new(id, Status::Problem, format!("cannot be read: {e}")).fix(format!(
                "pass the whole JWT (three dot-separated parts) to {setting}"
            ));
        }
        Some(Ok(c)) => c,
    };
    let mut said = Vec::new();
    if let Some(user) = claims.username() {
        said.push(format!("user {user:?}"));
    }
    if let Some(client) = claims.client_id() {
        said.push(format!("app client {client}"));
    }
    if let Some(pool) = claims.user_pool_id() {
        said.push(format!("user pool {pool}"));
    }
    let expiry = match claims.expires() {
        Some(exp) if exp <= now => format!("expired {} ago", human_duration(now - exp)),
        Some(exp) => format!("valid for {} more", human_duration(exp - now)),
        None => "no exp claim".to_string(),
    };
    let summary = if said.is_empty() {
        expiry
    } else {
        format!("{}; {expiry}", said.join(", "))
    };
    let detail = "only its claims are read; its signature is not checked";
    let noun = if expected_use == "access" {
        "an access token"
    } else {
        "an ID token"
    };
    match claims.token_use() {
        Some(u) if u == expected_use => Check::new(id, Status::Ok, summary).detail(detail),
        Some(other) => Check::new(
            id,
            Status::Warning,
            format!("token_use is {other:?}, not {expected_use:?}: {summary}"),
        )
        .detail(detail)
        .fix(format!(
            "pass {noun} to {setting}{}",
            if expected_use == "access" {
                " (only the access token carries the device_key claim)"
            } else {
                ""
            }
        )),
        None => Check::new(
            id,
            Status::Warning,
            format!("no token_use claim: not a Cognito user pool token? {summary}"),
        )
        .detail(detail)
        .fix(format!("pass {noun} that Cognito issued for this session")),
    }
}

/// How old the session is (`auth_time`), against the default refresh token validity.
pub fn session_age(facts: &Facts, now: i64) -> Check {
    let id = "session-age";
    let Some(auth_time) = facts.auth_time() else {
        return Check::new(
            id,
            Status::Skipped,
            format!(
                "not checked: pass {} or {} to read when the user signed in (auth_time)",
                Setting::AccessToken,
                Setting::IdToken
            ),
        );
    };
    let age = now - auth_time;
    if age < 0 {
        return Check::new(
            id,
            Status::Warning,
            format!("auth_time is {} in the future", human_duration(age)),
        )
        .fix("check this machine's clock");
    }
    let days = DEFAULT_REFRESH_VALIDITY / 86_400;
    if age > DEFAULT_REFRESH_VALIDITY {
        Check::new(
            id,
            Status::Warning,
            format!(
                "the user signed in {} ago: longer than the default refresh token validity of {days} days",
                human_duration(age)
            ),
        )
        .detail("rotation does not extend it: refresh tokens last from the original sign-in")
        .fix(format!(
            "unless the app client's validity is longer ({} reads it), the refresh token has expired: sign in again",
            Setting::Inspect
        ))
    } else {
        Check::new(
            id,
            Status::Ok,
            format!(
                "the user signed in {} ago; refresh tokens last {days} days unless the app client sets otherwise",
                human_duration(age)
            ),
        )
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::tests::flags;
    use super::*;
    use crate::jwt::tests::token as jwt;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::{Value, json};

    pub(in crate::diagnose) const NOW: i64 = 1_900_000_000;

    pub(in crate::diagnose) fn options() -> RefreshOptions {
        RefreshOptions::new("client1", SecretString::from("rt"))
    }

    pub(in crate::diagnose) fn with_access(mut o: RefreshOptions, claims: Value) -> RefreshOptions {
        o.access_token = Some(SecretString::from(jwt(claims)));
        o
    }

    pub(in crate::diagnose) fn facts(o: &RefreshOptions) -> Facts {
        Facts::read(o)
    }

    pub(in crate::diagnose) fn cognito_jwe() -> String {
        let h = URL_SAFE_NO_PAD.encode(r#"{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}"#);
        format!("{h}.a2V5.aXY.Y2lwaGVy.dGFn")
    }

    #[test]
    fn refresh_token_shapes() {
        assert_eq!(refresh_token(&cognito_jwe()).status, Status::Ok);
        let other = URL_SAFE_NO_PAD.encode(r#"{"enc":"A128GCM","alg":"dir"}"#);
        assert_eq!(
            refresh_token(&format!("{other}.a.b.c.d")).status,
            Status::Warning
        );
        let uuid = refresh_token("0b7e5e2a-1d0c-4e39-9b9e-3c8d2f1e4a5b");
        assert_eq!(uuid.status, Status::Warning);
        assert!(
            flags(&uuid.summary).contains("1 dot-separated part)"),
            "{uuid:?}"
        );

        let access = refresh_token(&jwt(json!({"token_use": "access"})));
        assert_eq!(access.status, Status::Problem);
        assert!(flags(&access.summary).contains("an access token"));
        assert!(flags(&access.fix.unwrap()).contains("not its AccessToken"));
        let id = refresh_token(&jwt(json!({"token_use": "id"})));
        assert!(flags(&id.summary).contains("an ID token"));
        // What refresh sends (an emulator's refresh token), diagnose does not call a problem.
        let emulator = refresh_token(&jwt(json!({"cognito:username": "u", "jti": "j"})));
        assert_eq!(emulator.status, Status::Warning, "{emulator:?}");

        for (bad, says) in [
            ("Bearer abc", "Bearer"),
            ("bearer abc", "Bearer"),
            ("abc def", "whitespace"),
            ("\"abc\"", "quotes"),
            ("'abc'", "quotes"),
            ("", "empty"),
        ] {
            let c = refresh_token(bad);
            assert_eq!(c.status, Status::Problem, "{bad}");
            assert!(flags(&c.summary).contains(says), "{bad}: {c:?}");
            assert!(c.fix.is_some(), "{bad}");
        }
        assert_eq!(refresh_token(&"a".repeat(17_000)).status, Status::Problem);
    }

    #[test]
    fn given_tokens_are_read() {
        let o = with_access(
            options(),
            json!({"token_use": "access", "username": "alice", "client_id": "client1",
                   "exp": NOW - 7_200,
                   "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc"}),
        );
        let c = token(
            "access-token",
            Setting::AccessToken,
            "access",
            &facts(&o).access,
            NOW,
        );
        assert_eq!(c.status, Status::Ok);
        assert_eq!(
            c.summary.to_string(),
            "user \"alice\", app client client1, user pool eu-west-1_Abc; expired 2 hours ago"
        );

        // An ID token passed as the access token.
        let o = with_access(options(), json!({"token_use": "id", "exp": NOW + 600}));
        let c = token(
            "access-token",
            Setting::AccessToken,
            "access",
            &facts(&o).access,
            NOW,
        );
        assert_eq!(c.status, Status::Warning);
        assert!(
            flags(&c.summary).contains("valid for 10 minutes more"),
            "{c:?}"
        );

        let mut o = options();
        o.access_token = Some(SecretString::from("abc"));
        let c = token(
            "access-token",
            Setting::AccessToken,
            "access",
            &facts(&o).access,
            NOW,
        );
        assert_eq!(c.status, Status::Problem);

        let c = token("id-token", Setting::IdToken, "id", &None, NOW);
        assert_eq!(c.status, Status::Skipped);
    }

    #[test]
    fn session_age_against_the_default_validity() {
        let at = |age: i64| facts(&with_access(options(), json!({"auth_time": NOW - age})));
        let c = session_age(&at(2 * 86_400 + 60), NOW);
        assert_eq!(c.status, Status::Ok);
        assert!(flags(&c.summary).contains("2 days ago"), "{c:?}");
        let c = session_age(&at(31 * 86_400), NOW);
        assert_eq!(c.status, Status::Warning);
        assert!(flags(&c.summary).contains("31 days ago"), "{c:?}");
        assert_eq!(session_age(&at(-600), NOW).status, Status::Warning);
        assert_eq!(session_age(&facts(&options()), NOW).status, Status::Skipped);
    }
}
