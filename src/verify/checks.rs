//! The checks of the claims, each a pure function of the token and what is expected, worded
//! with the likely cause of a 401.

use super::verdict::{Check, Expected, Status, TokenUse, Verdict, issuer_of, pool_of_issuer};
use crate::jwt::{Claims, JwtError, Shape};
use crate::text::Setting;
use crate::tokens::rfc3339;
use serde_json::Value;

/// What to do with the token named where a check found it is not the API's.
const SEND_ACCESS: &str = "send the access token: API Gateway's Cognito authorizer with OAuth \
     scopes on the method, and any API that checks scopes, needs the access token (an ID token \
     carries no scopes)";

/// A token that is not a JWT: only the first check says why; the others cannot be made.
pub(super) fn unreadable(token: &str, error: &JwtError) -> Verdict {
    let first = match Shape::of(token) {
        Shape::Jwe { .. } => Check::fail(
            "signature",
            "this is a refresh token (an encrypted JWT of five parts), not an access or ID token",
            "send the access token (or the ID token, as the API expects) in the Authorization \
             header; the refresh token goes to Cognito only",
        ),
        _ => Check::fail(
            "signature",
            format!("the token cannot be read: {error}"),
            "send the token exactly as Cognito issued it: three base64url parts joined by dots",
        ),
    };
    let mut checks = vec![first];
    for id in ["issuer", "token-use", "client", "expiry", "scope"] {
        checks.push(Check::skipped(id, "not checked: the token cannot be read"));
    }
    Verdict {
        checks,
        notes: Vec::new(),
    }
}

/// Who issued it: `iss` must be the expected user pool's issuer.
pub(super) fn issuer(iss: Option<&str>, expected: Option<&str>) -> Check {
    const ID: &str = "issuer";
    let named = |iss: &str| match pool_of_issuer(iss) {
        Some(pool) => format!("user pool {pool}"),
        None => format!("{iss:?}"),
    };
    match (iss, expected) {
        (None, _) => Check::fail(
            ID,
            "the token has no issuer (iss)",
            "Cognito's tokens name their user pool in iss: this token was not issued by one",
        ),
        (Some(iss), Some(pool)) if issuer_of(pool).as_deref() == Some(iss) => {
            Check::ok(ID, format!("user pool {pool}"))
        }
        (Some(iss), Some(pool)) => Check::fail(
            ID,
            format!("issued by {}, not by user pool {pool}", named(iss)),
            format!(
                "the API trusts user pool {pool} only: sign in through an app client of that \
                 pool (user pools, even in the same account, never accept each other's tokens)"
            ),
        ),
        (Some(iss), None) => match pool_of_issuer(iss) {
            Some(pool) => Check::skipped(
                ID,
                format!(
                    "issued by user pool {pool}; not compared: no user pool expected (give {})",
                    Setting::UserPoolId
                ),
            ),
            None => Check::fail(
                ID,
                format!("issued by {iss:?}, which is not a Cognito user pool"),
                format!(
                    "give the user pool the API trusts ({}) to check the token against it",
                    Setting::UserPoolId
                ),
            ),
        },
    }
}

/// Access or ID token: `token_use`. Scopes expected mean an access token is.
pub(super) fn token_use(claims: &Claims, expected: &Expected) -> Check {
    const ID: &str = "token-use";
    let wanted = expected
        .token_use
        .or((!expected.scopes.is_empty()).then_some(TokenUse::Access));
    let actual = match claims.token_use() {
        Some("access") => TokenUse::Access,
        Some("id") => TokenUse::Id,
        other => {
            return Check::fail(
                ID,
                format!(
                    "token_use is {}: not a Cognito access or ID token",
                    other.map_or("missing".to_string(), |t| format!("{t:?}"))
                ),
                SEND_ACCESS,
            );
        }
    };
    let name = |u: TokenUse| match u {
        TokenUse::Access => "an access token",
        TokenUse::Id => "an ID token",
    };
    match wanted {
        None => Check::ok(
            ID,
            format!("{} (token_use {})", name(actual), actual.as_str()),
        ),
        Some(w) if w == actual => Check::ok(ID, format!("{}, as expected", name(actual))),
        Some(TokenUse::Access) => Check::fail(
            ID,
            "this is an ID token (token_use id), where an access token is expected",
            SEND_ACCESS,
        ),
        Some(TokenUse::Id) => Check::fail(
            ID,
            "this is an access token (token_use access), where an ID token is expected",
            "send the ID token: API Gateway's Cognito authorizer without OAuth scopes checks the \
             ID token (its aud, and claims such as email)",
        ),
    }
}

/// The app client: `client_id` of an access token, `aud` of an ID token.
pub(super) fn client(claims: &Claims, expected: Option<&str>) -> Check {
    const ID: &str = "client";
    let (claim, issued_to): (&str, Vec<&str>) = match claims.token_use() {
        Some("id") => (
            "aud",
            match claims.0.get("aud") {
                Some(Value::String(aud)) => vec![aud.as_str()],
                Some(Value::Array(auds)) => auds.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            },
        ),
        _ => (
            "client_id",
            claims
                .0
                .get("client_id")
                .and_then(Value::as_str)
                .into_iter()
                .collect(),
        ),
    };
    let Some(first) = issued_to.first() else {
        return Check::fail(
            ID,
            format!("the token names no app client ({claim})"),
            "Cognito's tokens name the app client they were issued to: this token was not \
             issued by a user pool",
        );
    };
    match expected {
        Some(client) if issued_to.contains(&client) => {
            Check::ok(ID, format!("app client {client} ({claim})"))
        }
        Some(client) => Check::fail(
            ID,
            format!("issued to app client {first}, not {client} ({claim})"),
            format!(
                "the API accepts tokens of app client {client}: sign in (or refresh) through \
                 that app client; another client's tokens are refused, even in the same user pool"
            ),
        ),
        None => Check::skipped(
            ID,
            format!(
                "issued to app client {first} ({claim}); not compared: no app client expected \
                 (give {})",
                Setting::ClientId
            ),
        ),
    }
}

/// `exp` and `iat`, forgiving `leeway` seconds of clock difference.
pub(super) fn expiry(claims: &Claims, now: i64, leeway: i64) -> Check {
    const ID: &str = "expiry";
    let at = |t: i64| rfc3339(t).unwrap_or_else(|_| t.to_string());
    let Some(exp) = claims.expires() else {
        return Check::fail(
            ID,
            "the token has no expiry (exp)",
            "Cognito's tokens always expire: this token was not issued by a user pool",
        );
    };
    if now > exp + leeway {
        return Check::fail(
            ID,
            format!("expired at {} ({} ago)", at(exp), span(now - exp)),
            "get a new token with the refresh token: access and ID tokens last an hour by \
             default (the app client's token validity), so a client must refresh them before \
             exp, not reuse one it cached",
        );
    }
    let iat = claims.0.get("iat").and_then(Value::as_i64);
    if let Some(iat) = iat.filter(|iat| *iat > now + leeway) {
        return Check::fail(
            ID,
            format!(
                "issued at {}, {} from now: a clock is wrong, this machine's or the issuer's",
                at(iat),
                span(iat - now)
            ),
            "set this machine's clock right (NTP): APIs refuse tokens issued in the future",
        );
    }
    let summary = match exp - now {
        left if left >= 0 => format!("valid until {} (in {})", at(exp), span(left)),
        late => format!(
            "expired at {}, {} ago: within the leeway of {leeway} s, but not for long",
            at(exp),
            span(-late)
        ),
    };
    Check::new(ID, Status::Ok, summary)
}

/// Every expected scope must be in the access token's `scope`.
pub(super) fn scope(claims: &Claims, expected: &[String]) -> Check {
    const ID: &str = "scope";
    let have: Vec<&str> = claims
        .0
        .get("scope")
        .and_then(Value::as_str)
        .map(|s| s.split_whitespace().collect())
        .unwrap_or_default();
    let listed = |scopes: &[&str]| match scopes {
        [] => "none".to_string(),
        s => s.join(" "),
    };
    if expected.is_empty() {
        return Check::skipped(
            ID,
            format!("no scope expected; the token has: {}", listed(&have)),
        );
    }
    let missing: Vec<&str> = expected
        .iter()
        .map(String::as_str)
        .filter(|s| !have.contains(s))
        .collect();
    if missing.is_empty() {
        return Check::ok(ID, format!("has {}", expected.join(" ")));
    }
    if claims.token_use() == Some("id") {
        return Check::fail(
            ID,
            format!(
                "an ID token carries no scopes; expected: {}",
                listed(&missing)
            ),
            SEND_ACCESS,
        );
    }
    Check::fail(
        ID,
        format!(
            "missing {}; the token has: {}",
            listed(&missing),
            listed(&have)
        ),
        "ask for the scope when signing in (the authorize request's scope, through the hosted \
         UI) and allow it in the app client's OAuth scopes; tokens from a sign-in through the \
         API (InitiateAuth) carry only aws.cognito.signin.user.admin",
    )
}

/// `2 h 5 min`, `3 min`, `45 s`.
fn span(secs: i64) -> String {
    match secs {
        s if s >= 2 * 86_400 => format!("{} days", s / 86_400),
        s if s >= 3600 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::tests::token;
    use serde_json::json;

    const POOL: &str = "eu-west-1_AbC123";
    const ISS: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123";

    fn claims(c: Value) -> Claims {
        crate::jwt::decode(&token(c)).unwrap().claims
    }

    fn expected(token_use: Option<TokenUse>, scopes: &[&str]) -> Expected {
        Expected {
            token_use,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            ..Expected::default()
        }
    }

    #[test]
    fn issuer_is_the_pools() {
        assert_eq!(issuer(Some(ISS), Some(POOL)).status, Status::Ok);
        let other = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other9";
        let c = issuer(Some(other), Some(POOL));
        assert_eq!(c.status, Status::Fail);
        assert!(c.summary.to_string().contains("eu-west-1_Other9"), "{c:?}");
        // The same pool id in another region's URL is another issuer.
        let wrong_region = "https://cognito-idp.us-east-1.amazonaws.com/eu-west-1_AbC123";
        assert_eq!(issuer(Some(wrong_region), Some(POOL)).status, Status::Fail);
        assert_eq!(issuer(Some(ISS), None).status, Status::Skipped);
        assert_eq!(
            issuer(Some("https://evil.example/x"), None).status,
            Status::Fail
        );
        assert_eq!(issuer(None, Some(POOL)).status, Status::Fail);
    }

    #[test]
    fn token_use_against_what_is_expected() {
        let id = claims(json!({"token_use": "id"}));
        let access = claims(json!({"token_use": "access"}));
        let c = token_use(&id, &expected(Some(TokenUse::Access), &[]));
        assert_eq!(c.status, Status::Fail);
        assert!(c.fix.unwrap().to_string().contains("access token"));
        // Scopes expected: an access token is.
        assert_eq!(
            token_use(&id, &expected(None, &["a/b"])).status,
            Status::Fail
        );
        assert_eq!(
            token_use(&access, &expected(Some(TokenUse::Id), &[])).status,
            Status::Fail
        );
        assert_eq!(token_use(&id, &expected(None, &[])).status, Status::Ok);
        let neither = claims(json!({"token_use": "refresh"}));
        assert_eq!(
            token_use(&neither, &expected(None, &[])).status,
            Status::Fail
        );
    }

    #[test]
    fn client_is_client_id_or_aud() {
        let access = claims(json!({"token_use": "access", "client_id": "c1", "aud": "c9"}));
        assert_eq!(client(&access, Some("c1")).status, Status::Ok);
        assert_eq!(client(&access, Some("c9")).status, Status::Fail);
        let id = claims(json!({"token_use": "id", "aud": ["c2", "c3"]}));
        assert_eq!(client(&id, Some("c3")).status, Status::Ok);
        assert_eq!(client(&id, Some("c1")).status, Status::Fail);
        assert_eq!(client(&id, None).status, Status::Skipped);
        assert_eq!(
            client(&claims(json!({"token_use": "access"})), None).status,
            Status::Fail
        );
    }

    #[test]
    fn expiry_with_leeway() {
        let now = 1_800_000_000;
        let c = |exp: i64, iat: i64| expiry(&claims(json!({"exp": exp, "iat": iat})), now, 60);
        assert_eq!(c(now + 3600, now).status, Status::Ok);
        assert_eq!(c(now - 30, now - 3630).status, Status::Ok);
        let expired = c(now - 61, now - 3661);
        assert_eq!(expired.status, Status::Fail);
        assert!(
            expired.summary.to_string().contains("1 min ago"),
            "{expired:?}"
        );
        assert_eq!(c(now + 7200, now + 30).status, Status::Ok);
        assert_eq!(c(now + 7200, now + 600).status, Status::Fail);
        assert_eq!(expiry(&claims(json!({})), now, 60).status, Status::Fail);
    }

    #[test]
    fn scopes_must_all_be_there() {
        let access = claims(json!({"token_use": "access", "scope": "a/read a/write"}));
        let want = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(scope(&access, &want(&["a/read"])).status, Status::Ok);
        let c = scope(&access, &want(&["a/read", "b/admin"]));
        assert_eq!(c.status, Status::Fail);
        assert!(c.summary.to_string().contains("missing b/admin"), "{c:?}");
        assert_eq!(scope(&access, &[]).status, Status::Skipped);
        let id = claims(json!({"token_use": "id"}));
        assert_eq!(scope(&id, &want(&["a/read"])).status, Status::Fail);
    }

    #[test]
    fn a_refresh_token_is_named() {
        let jwe = "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.a.b.c.d";
        let e = crate::jwt::decode(jwe).unwrap_err();
        let v = unreadable(jwe, &e);
        assert_eq!(v.failed(), ["signature"]);
        assert!(v.checks[0].summary.to_string().contains("refresh token"));
        assert_eq!(v.checks.len(), 6);
    }
}
