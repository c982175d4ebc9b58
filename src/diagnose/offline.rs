//! Checks of the inputs alone, without the network: the refresh token's shape, the given access
//! and ID tokens, and what their claims say against the options (client id, region and pool,
//! device key, username for SECRET_HASH, the session's age). Pure functions of the options and
//! the time, so each is tested directly.

use super::{Check, Status, human_duration};
use crate::api::RefreshApi;
use crate::api::plan::RefreshOptions;
use crate::jwt::{self, Claims, JwtError, Shape};
use crate::refresh_token::{self, Flaw};
use crate::region;
use crate::text::Setting;
use secrecy::{ExposeSecret, SecretString};

/// The default refresh token validity of an app client: 30 days.
pub const DEFAULT_REFRESH_VALIDITY: i64 = 30 * 86_400;

/// What the given tokens say, read once.
#[derive(Debug, Clone)]
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

/// Every offline check, in report order.
pub fn checks(options: &RefreshOptions, facts: &Facts, now: i64) -> Vec<Check> {
    vec![
        refresh_token(options.refresh_token.expose_secret()),
        token(
            "access-token",
            Setting::AccessToken,
            "access",
            &facts.access,
            now,
        ),
        token("id-token", Setting::IdToken, "id", &facts.id, now),
        client_id(&options.client_id, facts),
        region(options, facts),
        device_key(options.device_key.as_deref(), facts),
        username(options, facts),
        session_age(facts, now),
    ]
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
fn token(
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

/// The app client the tokens were issued to against the one given: the first cause of
/// "Invalid Refresh Token".
pub fn client_id(given: &str, facts: &Facts) -> Check {
    let id = "client-id";
    let issued: Vec<(&str, &str)> = facts
        .tokens()
        .into_iter()
        .filter_map(|(name, c)| Some((name, c.client_id()?)))
        .collect();
    if issued.is_empty() {
        return Check::new(
            id,
            Status::Skipped,
            format!(
                "not checked: no token with a client_id or aud claim (pass {})",
                Setting::AccessToken
            ),
        );
    }
    if let Some((name, other)) = issued.iter().find(|(_, c)| *c != given) {
        return Check::new(
            id,
            Status::Problem,
            format!(
                "the {name} was issued to app client {other}, not {given} ({})",
                Setting::ClientId
            ),
        )
        .detail("a refresh token works only with the app client that issued it; another client gets \"Invalid Refresh Token\"")
        .fix(format!(
            "refresh with {} {other}, the app client the session signed in with",
            Setting::ClientId
        ));
    }
    Check::new(
        id,
        Status::Ok,
        format!("the tokens were issued to app client {given}, the one given"),
    )
}

/// The region and user pool given against those of the tokens' issuer.
pub fn region(options: &RefreshOptions, facts: &Facts) -> Check {
    let id = "region";
    let token_pool = facts.user_pool_id();
    let token_region = token_pool.and_then(region::region_of_pool);
    let given_pool = options.user_pool_id.as_deref();
    let given_region = options.region.as_deref();
    if let (Some(given), Some(token)) = (given_pool, token_pool)
        && given != token
    {
        return Check::new(
            id,
            Status::Problem,
            format!(
                "{} {given}, but the tokens come from user pool {token}",
                Setting::UserPoolId
            ),
        )
        .fix(format!("use {} {token}", Setting::UserPoolId));
    }
    if let (Some(given), Some(token)) = (given_region, token_region)
        && given != token
    {
        return Check::new(
            id,
            Status::Problem,
            format!(
                "{} {given}, but the tokens come from a user pool in {token} ({})",
                Setting::Region,
                token_pool.unwrap_or_default()
            ),
        )
        .detail("Cognito looks for the app client in the region the request goes to")
        .fix(format!(
            "use {} {token}, or leave it out: it is read from the tokens",
            Setting::Region
        ));
    }
    if let (Some(given), Some(pool)) = (given_region, given_pool)
        && region::region_of_pool(pool).is_some_and(|r| r != given)
    {
        return Check::new(
            id,
            Status::Problem,
            format!(
                "{} {given}, but user pool {pool} is in another region",
                Setting::Region
            ),
        )
        .fix(format!(
            "leave {} out: it is read from {}",
            Setting::Region,
            Setting::UserPoolId
        ));
    }
    match (token_pool, given_pool, given_region) {
        (Some(pool), _, _) => Check::new(
            id,
            Status::Ok,
            format!(
                "{}, the region of the tokens' user pool {pool}",
                token_region.unwrap_or_default()
            ),
        ),
        (None, Some(pool), _) => Check::new(
            id,
            Status::Ok,
            format!(
                "{}, the region of user pool {pool} (not checked against a token)",
                region::region_of_pool(pool).unwrap_or_default()
            ),
        ),
        (None, None, Some(r)) => Check::new(
            id,
            Status::Skipped,
            format!("{r} (given); not checked: no user pool id or token to compare with"),
        ),
        (None, None, None) => Check::new(
            id,
            Status::Skipped,
            "not checked: no region, user pool id or token given",
        ),
    }
}

/// The device key given against the access token's `device_key` claim: the second and third
/// causes of "Invalid Refresh Token" involve devices.
pub fn device_key(given: Option<&str>, facts: &Facts) -> Check {
    let id = "device-key";
    match (facts.device_key(), given) {
        (None, None) => Check::new(
            id,
            Status::Skipped,
            format!(
                "not checked: pass {} to read its device_key claim",
                Setting::AccessToken
            ),
        ),
        (None, Some(key)) => Check::new(
            id,
            Status::Skipped,
            format!(
                "{key} (given); not checked: pass {} to compare with its device_key claim",
                Setting::AccessToken
            ),
        ),
        (Some(None), None) => Check::new(
            id,
            Status::Ok,
            "none: the access token has no device_key claim, so the session has no device to send",
        ),
        (Some(None), Some(key)) => Check::new(
            id,
            Status::Warning,
            format!(
                "{} {key} is given, but the access token names no device",
                Setting::DeviceKey
            ),
        )
        .detail("the session was not signed in on a remembered device")
        .fix(format!(
            "leave {} out unless this device belongs to the session",
            Setting::DeviceKey
        )),
        (Some(Some(claim)), None) => Check::new(
            id,
            Status::Warning,
            format!(
                "the access token names device {claim}, and {} is not given",
                Setting::DeviceKey
            ),
        )
        .detail(format!(
            "cognito-refresh sends {claim}, read from {}; a refresh of this session that sends no DEVICE_KEY is refused with \"Invalid Refresh Token\"",
            Setting::AccessToken
        ))
        .fix(format!(
            "send the device key with every refresh: {} {claim}",
            Setting::DeviceKey
        )),
        (Some(Some(claim)), Some(key)) if claim == key => Check::new(
            id,
            Status::Ok,
            format!("{key}, the access token's device"),
        ),
        (Some(Some(claim)), Some(key)) => Check::new(
            id,
            Status::Problem,
            format!(
                "{} {key}, but the access token names device {claim}",
                Setting::DeviceKey
            ),
        )
        .detail("the device key must be the one of the session the refresh token belongs to")
        .fix(format!("pass {} {claim}", Setting::DeviceKey)),
    }
}

/// Whether a username looks like a sign-in alias: an email address or a phone number.
fn alias_kind(name: &str) -> Option<&'static str> {
    if name.contains('@') {
        Some("an email address")
    } else if name.starts_with('+')
        && name.len() > 5
        && name[1..].bytes().all(|b| b.is_ascii_digit())
    {
        Some("a phone number")
    } else {
        None
    }
}

/// The username SECRET_HASH is computed with: the alias gotcha.
pub fn username(options: &RefreshOptions, facts: &Facts) -> Check {
    let id = "username";
    if options.client_secret.is_none() {
        return Check::new(
            id,
            Status::Skipped,
            "no client secret given, so no SECRET_HASH and no username needed",
        );
    }
    if options.api == RefreshApi::GetTokens {
        return Check::new(
            id,
            Status::Skipped,
            "GetTokensFromRefreshToken sends the client secret itself: no SECRET_HASH, no username",
        );
    }
    let real = facts.username();
    match (options.username.as_deref(), real) {
        (Some(given), Some((real, from))) if given != real => {
            let alias = alias_kind(given)
                .map(|kind| format!("{given:?} looks like {kind}: where users sign in with one, the real username is another (often a UUID, the sub claim); "))
                .unwrap_or_default();
            Check::new(
                id,
                Status::Problem,
                format!(
                    "{} {given:?}, but the user's real username is {real:?} (the {from}'s claim)",
                    Setting::Username
                ),
            )
            .detail(format!(
                "{alias}SECRET_HASH must be computed with the real username, or Cognito refuses it"
            ))
            .fix(format!(
                "pass {} {real:?}, or leave {} out: it is read from the {from}",
                Setting::Username,
                Setting::Username
            ))
        }
        (Some(given), Some(_)) => Check::new(
            id,
            Status::Ok,
            format!("{given:?} for SECRET_HASH, the user's real username"),
        ),
        (Some(given), None) => match alias_kind(given) {
            Some(kind) => Check::new(
                id,
                Status::Warning,
                format!("{} {given:?} looks like {kind}", Setting::Username),
            )
            .detail("SECRET_HASH needs the user's real username; where users sign in with an email or phone number it is another (often a UUID)")
            .fix(format!(
                "pass {} to read the real username, or use {} get-tokens, which needs none",
                Setting::AccessToken,
                Setting::Api
            )),
            None => Check::new(
                id,
                Status::Ok,
                format!("{given:?} for SECRET_HASH (given; not checked: no token to compare with)"),
            ),
        },
        (None, Some((real, from))) => Check::new(
            id,
            Status::Ok,
            format!("{real:?} for SECRET_HASH, from the {from}"),
        ),
        (None, None) => Check::new(
            id,
            Status::Problem,
            "a client secret is given but no username is known for SECRET_HASH",
        )
        .fix(format!(
            "pass {} (the user's real username), or {} to read it from, or use {} get-tokens, which needs none",
            Setting::Username,
            Setting::AccessToken,
            Setting::Api
        )),
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
mod tests {
    use super::super::tests::flags;
    use super::*;
    use crate::jwt::tests::token as jwt;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::{Value, json};

    const NOW: i64 = 1_900_000_000;

    fn options() -> RefreshOptions {
        RefreshOptions::new("client1", SecretString::from("rt"))
    }

    fn with_access(mut o: RefreshOptions, claims: Value) -> RefreshOptions {
        o.access_token = Some(SecretString::from(jwt(claims)));
        o
    }

    fn facts(o: &RefreshOptions) -> Facts {
        Facts::read(o)
    }

    fn cognito_jwe() -> String {
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
    fn no_check_quotes_a_token() {
        let secret = "secret-refresh-value";
        for t in [
            secret.to_string(),
            format!("Bearer {secret}"),
            format!("\"{secret}\""),
        ] {
            let c = refresh_token(&t);
            let all = format!("{c:?}");
            assert!(!all.contains(secret), "{all}");
        }
        let mut o = options();
        o.access_token = Some(SecretString::from("not-a-jwt-secret-value"));
        let all = format!("{:?}", checks(&o, &facts(&o), NOW));
        assert!(!all.contains("not-a-jwt-secret-value"), "{all}");
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
    fn client_mismatch_is_the_first_cause() {
        let o = with_access(options(), json!({"client_id": "other"}));
        let c = client_id("client1", &facts(&o));
        assert_eq!(c.status, Status::Problem);
        assert!(flags(&c.summary).contains("app client other, not client1"));
        assert!(flags(&c.fix.unwrap()).contains("--client-id other"));

        let mut o = with_access(options(), json!({"client_id": "client1"}));
        o.id_token = Some(SecretString::from(jwt(json!({"aud": "client1"}))));
        assert_eq!(client_id("client1", &facts(&o)).status, Status::Ok);

        // The ID token's aud counts too.
        let mut o = options();
        o.id_token = Some(SecretString::from(jwt(json!({"aud": "other"}))));
        assert_eq!(client_id("client1", &facts(&o)).status, Status::Problem);

        assert_eq!(
            client_id("client1", &facts(&options())).status,
            Status::Skipped
        );
    }

    #[test]
    fn region_and_pool_against_the_issuer() {
        let iss = json!({"iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc"});
        let o = with_access(options().region("eu-west-1"), iss.clone());
        assert_eq!(region(&o, &facts(&o)).status, Status::Ok);

        let o = with_access(options().region("us-east-1"), iss.clone());
        let c = region(&o, &facts(&o));
        assert_eq!(c.status, Status::Problem);
        assert!(flags(&c.fix.unwrap()).contains("--region eu-west-1"));

        let mut o = with_access(options(), iss);
        o.user_pool_id = Some("eu-west-1_Other".into());
        let c = region(&o, &facts(&o));
        assert_eq!(c.status, Status::Problem);
        assert!(flags(&c.summary).contains("eu-west-1_Abc"));

        let mut o = options().region("us-east-1");
        o.user_pool_id = Some("eu-west-1_Other".into());
        assert_eq!(region(&o, &facts(&o)).status, Status::Problem);

        let o = options().region("us-east-1");
        assert_eq!(region(&o, &facts(&o)).status, Status::Skipped);
    }

    #[test]
    fn device_key_against_the_claim() {
        let dev = json!({"device_key": "eu-west-1_dev"});
        let f = facts(&with_access(options(), dev));
        let c = device_key(None, &f);
        assert_eq!(c.status, Status::Warning);
        assert!(flags(&c.fix.unwrap()).contains("--device-key eu-west-1_dev"));
        assert_eq!(device_key(Some("eu-west-1_dev"), &f).status, Status::Ok);
        let c = device_key(Some("eu-west-1_old"), &f);
        assert_eq!(c.status, Status::Problem);
        assert!(flags(&c.fix.unwrap()).contains("--device-key eu-west-1_dev"));

        let f = facts(&with_access(options(), json!({})));
        assert_eq!(device_key(None, &f).status, Status::Ok);
        assert_eq!(device_key(Some("k"), &f).status, Status::Warning);

        let f = facts(&options());
        assert_eq!(device_key(None, &f).status, Status::Skipped);
        assert_eq!(device_key(Some("k"), &f).status, Status::Skipped);
    }

    #[test]
    fn username_alias_gotcha() {
        let secret = || options().client_secret(SecretString::from("s"));
        let real = json!({"username": "8a6b-uuid"});

        let o = with_access(secret().username("alice@example.com"), real.clone());
        let c = username(&o, &facts(&o));
        assert_eq!(c.status, Status::Problem);
        assert!(flags(&c.detail.unwrap()).contains("looks like an email address"));
        assert!(flags(&c.fix.unwrap()).contains("\"8a6b-uuid\""));

        let o = with_access(secret().username("8a6b-uuid"), real.clone());
        assert_eq!(username(&o, &facts(&o)).status, Status::Ok);
        let o = with_access(secret(), real);
        let c = username(&o, &facts(&o));
        assert_eq!(c.status, Status::Ok);
        assert!(flags(&c.summary).contains("from the access token"));

        let o = secret().username("+441234567890");
        assert_eq!(username(&o, &facts(&o)).status, Status::Warning);
        let o = secret().username("alice");
        assert_eq!(username(&o, &facts(&o)).status, Status::Ok);
        let o = secret();
        assert_eq!(username(&o, &facts(&o)).status, Status::Problem);

        let o = options();
        assert_eq!(username(&o, &facts(&o)).status, Status::Skipped);
        let o = secret().api(RefreshApi::GetTokens);
        assert_eq!(username(&o, &facts(&o)).status, Status::Skipped);
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

    #[test]
    fn every_offline_check_is_reported_once() {
        let o = options();
        let ids: Vec<&str> = checks(&o, &facts(&o), NOW).iter().map(|c| c.id).collect();
        assert_eq!(
            ids,
            [
                "refresh-token",
                "access-token",
                "id-token",
                "client-id",
                "region",
                "device-key",
                "username",
                "session-age"
            ]
        );
    }
}
