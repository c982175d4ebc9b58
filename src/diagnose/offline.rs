//! Checks of the inputs alone, without the network: the tokens themselves (in `given`), then
//! what their claims say against the settings given (client id, region and pool, device key,
//! username for SECRET_HASH). Pure functions of the options and the time, so each is tested
//! directly.

use super::check::{Check, Status};
use super::given::token;
use crate::api::RefreshApi;
use crate::api::plan::RefreshOptions;
use crate::region;
use crate::text::Setting;
use secrecy::ExposeSecret;

pub use super::given::{DEFAULT_REFRESH_VALIDITY, Facts, refresh_token, session_age};

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
    let given_pool = options.target.user_pool_id.as_deref();
    let given_region = options.target.region.as_deref();
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

#[cfg(test)]
mod tests {
    use super::super::given::tests::{NOW, facts, options, with_access};
    use super::super::tests::flags;
    use super::*;
    use crate::jwt::tests::token as jwt;
    use secrecy::SecretString;
    use serde_json::json;

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
        o.target.user_pool_id = Some("eu-west-1_Other".into());
        let c = region(&o, &facts(&o));
        assert_eq!(c.status, Status::Problem);
        assert!(flags(&c.summary).contains("eu-west-1_Abc"));

        let mut o = options().region("us-east-1");
        o.target.user_pool_id = Some("eu-west-1_Other".into());
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
