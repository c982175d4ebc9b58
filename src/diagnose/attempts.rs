//! The online part: the refresh exactly as `refresh` would make it, and after a failure further
//! attempts that each change one thing, to isolate the cause. An attempt is made only when it
//! can tell something: never for a dead token, never the same request twice, and through
//! GetTokensFromRefreshToken (which may rotate the refresh token) last. The first success ends
//! the attempts.

use super::check::{Check, Sent, Status, raw, token_is_dead};
use super::given::Facts;
use crate::api::connection::Connection;
use crate::api::plan::{Plan, RefreshOptions};
use crate::api::request::{RefreshRequest, Via};
use crate::api::{self, RefreshApi};
use crate::text::{Setting, Text};
use crate::{Error, ErrorKind, Reason, SecretString};

/// What the online part found.
pub(super) struct Run {
    pub checks: Vec<Check>,
    pub error: Option<Error>,
    pub new_refresh_token: Option<SecretString>,
    pub succeeded: Option<&'static str>,
    pub sent: Sent,
}

/// One further attempt: the first request with one thing changed.
#[derive(Debug)]
pub(super) struct Variant {
    pub id: &'static str,
    /// What was changed, for the report.
    pub label: String,
    pub request: RefreshRequest,
    /// What to do when this attempt succeeds.
    pub fix: Text,
}

pub(super) async fn run(plan: &Plan, options: &RefreshOptions, facts: &Facts) -> Run {
    let connection = &plan.connection;
    let first = &plan.request;
    let sent = Sent {
        api: first.api(),
        device_key: first.device_key().map(str::to_string),
        username: first.username().map(str::to_string),
    };
    let error = match api::execute(connection, first).await {
        Ok(tokens) => {
            let rotated = tokens.refresh_token.is_some();
            let mut check = Check::new(
                "refresh",
                Status::Ok,
                format!("{} issued new tokens", first.api().operation()),
            )
            .detail(describe(first, connection))
            .request_id(tokens.request_id.as_deref());
            if rotated {
                check
                    .summary
                    .push_str(", and a new refresh token (rotation)");
            }
            return Run {
                checks: vec![check],
                error: None,
                new_refresh_token: tokens.refresh_token,
                succeeded: Some("refresh"),
                sent,
            };
        }
        Err(e) => e,
    };

    let mut refresh = Check::new(
        "refresh",
        Status::Problem,
        format!("{} refused: {error}", first.api().operation()),
    )
    .detail(describe(first, connection))
    .request_id(error.request_id());
    let mut checks = Vec::new();
    let mut new_refresh_token = None;
    let mut succeeded = None;
    for variant in variants(first, &error, options, facts) {
        match api::execute(connection, &variant.request).await {
            Ok(tokens) => {
                // The fix belongs to the failed refresh; this check says what worked.
                let mut check = Check::new(
                    variant.id,
                    Status::Ok,
                    format!("{}: Cognito issued tokens", variant.label),
                )
                .request_id(tokens.request_id.as_deref());
                if tokens.refresh_token.is_some() {
                    check = check.detail(
                        "Cognito also returned a new refresh token (rotation): it is shown with \
                         this report; keep it",
                    );
                }
                refresh.fix = Some(Text::from(format!(
                    "{}; {} succeeded with that",
                    raw(&variant.fix),
                    variant.id
                )));
                checks.push(check);
                new_refresh_token = tokens.refresh_token;
                succeeded = Some(variant.id);
                break;
            }
            Err(e) => {
                let status = match e.kind() {
                    ErrorKind::TokenRejected | ErrorKind::Misconfigured => Status::Problem,
                    _ => Status::Unknown,
                };
                checks.push(
                    Check::new(
                        variant.id,
                        status,
                        format!("{}: refused too: {e}", variant.label),
                    )
                    .detail("changing this alone does not help")
                    .request_id(e.request_id()),
                );
            }
        }
    }
    checks.insert(0, refresh);
    Run {
        checks,
        // The exit code is the one of the first attempt, as `refresh` would give.
        error: succeeded.is_none().then_some(error),
        new_refresh_token,
        succeeded,
        sent,
    }
}

/// What a request sends, without its secrets.
fn describe(r: &RefreshRequest, connection: &Connection) -> String {
    let mut parts = Vec::new();
    let mut to = connection.endpoint_display();
    match &r.via {
        Via::InitiateAuth { device_key, .. } => {
            match (&r.client_secret, r.username()) {
                (Some(_), Some(u)) => parts.push(format!("SECRET_HASH for {u:?}")),
                _ => parts.push("no SECRET_HASH".to_string()),
            }
            match device_key {
                Some(k) => parts.push(format!("DEVICE_KEY {k}")),
                None => parts.push("no DEVICE_KEY".to_string()),
            }
        }
        Via::GetTokens { device_key, .. } => {
            parts.push(
                if r.client_secret.is_some() {
                    "the client secret"
                } else {
                    "no client secret"
                }
                .to_string(),
            );
            match device_key {
                Some(k) => parts.push(format!("DeviceKey {k}")),
                None => parts.push("no DeviceKey".to_string()),
            }
        }
        Via::TokenEndpoint { token_url } => {
            to = token_url.to_string();
            parts.push(
                if r.client_secret.is_some() {
                    "the client secret as HTTP Basic"
                } else {
                    "no client secret"
                }
                .to_string(),
            );
        }
    }
    format!(
        "sent {} to {} for app client {} with {}",
        r.api().operation(),
        to,
        r.client_id,
        parts.join(", ")
    )
}

/// The attempts worth making after the first request failed with `error`, in order.
pub(super) fn variants(
    first: &RefreshRequest,
    error: &Error,
    options: &RefreshOptions,
    facts: &Facts,
) -> Vec<Variant> {
    if token_is_dead(error) {
        return Vec::new();
    }
    let reason = error.reason();
    let invalid = reason == Some(Reason::InvalidRefreshToken);
    let hash = reason == Some(Reason::SecretMismatch);
    // Emulators answer with empty or odd messages.
    let unexplained = reason == Some(Reason::RefreshTokenRefused);
    let flow_refused = matches!(
        reason,
        Some(Reason::InvalidParameter | Reason::RefreshTokenRefused)
    ) && error.refusal().is_some_and(|r| {
        r.message
            .to_ascii_lowercase()
            .contains("refresh_token_auth")
    });

    let mut out: Vec<Variant> = Vec::new();
    let token_device = facts.device_key();
    if invalid || unexplained {
        if let Some(Some(claim)) = token_device
            && first.device_key() != Some(claim)
        {
            out.push(Variant {
                id: "attempt.device-key-from-token",
                label: format!(
                    "with the access token's device key {claim} instead of {}",
                    first.device_key().unwrap_or("none")
                ),
                request: first.with_device_key(Some(claim.to_string())),
                fix: format!(
                    "pass {} {claim} (the access token's device_key claim)",
                    Setting::DeviceKey
                )
                .into(),
            });
        }
        if let Some(sent) = first.device_key()
            && !matches!(token_device, Some(Some(_)))
        {
            out.push(Variant {
                id: "attempt.without-device-key",
                label: format!("without the device key {sent}"),
                request: first.with_device_key(None),
                fix: format!("send no device key: leave out {}", Setting::DeviceKey).into(),
            });
        }
    }
    if (hash || unexplained)
        && first.api().sends_secret_hash()
        && first.client_secret.is_some()
        && let Some((real, from)) = facts.username()
        && first.username() != Some(real)
    {
        out.push(Variant {
            id: "attempt.username-from-token",
            label: format!(
                "with SECRET_HASH for {real:?} (the {from}'s username) instead of {:?}",
                first.username().unwrap_or_default()
            ),
            request: first.with_username(Some(real.to_string())),
            fix: format!(
                "compute SECRET_HASH with the user's real username: pass {} {real:?}, or leave {} \
                 out to read it from the {from}",
                Setting::Username,
                Setting::Username
            )
            .into(),
        });
    }
    match (first.api(), first.through_get_tokens()) {
        (RefreshApi::InitiateAuth | RefreshApi::AdminInitiateAuth, Some(request))
            if invalid || flow_refused || hash =>
        {
            out.push(Variant {
            id: "attempt.get-tokens",
            label: "through GetTokensFromRefreshToken (the client secret itself, no SECRET_HASH)"
                .into(),
            request,
            fix: if hash {
                format!(
                    "refresh with {} get-tokens, which needs no username, or compute SECRET_HASH \
                     with the user's real username",
                    Setting::Api
                )
            } else {
                format!(
                    "refresh with {} get-tokens (GetTokensFromRefreshToken): the app client \
                     refuses REFRESH_TOKEN_AUTH, as it does with refresh token rotation on",
                    Setting::Api
                )
            }
            .into(),
        })
        }
        (RefreshApi::GetTokens, _) if invalid => {
            let username = options
                .username
                .clone()
                .or_else(|| facts.username().map(|(u, _)| u.to_string()));
            if (first.client_secret.is_none() || username.is_some())
                && let Some(request) =
                    first.through_initiate_auth(first.client_secret.as_ref().and(username))
            {
                out.push(Variant {
                    id: "attempt.initiate-auth",
                    label: "through InitiateAuth REFRESH_TOKEN_AUTH".into(),
                    request,
                    fix: format!(
                        "refresh with {} initiate-auth: GetTokensFromRefreshToken is reported to \
                         refuse refresh tokens from ADMIN_NO_SRP_AUTH sign-ins",
                        Setting::Api
                    )
                    .into(),
                });
            }
        }
        _ => {}
    }

    // Never the same request twice.
    let key = |r: &RefreshRequest| {
        (
            r.api(),
            r.device_key().map(str::to_string),
            r.username().map(str::to_string),
        )
    };
    let mut seen = vec![key(first)];
    out.retain(|v| {
        let k = key(&v.request);
        let new = !seen.contains(&k);
        seen.push(k);
        new
    });
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::flags;
    use super::*;
    use crate::Operation;
    use crate::api::request::for_tests;
    use crate::jwt::tests::token;
    use serde_json::{Value, json};

    fn request(
        api: RefreshApi,
        secret: bool,
        username: Option<&str>,
        device: Option<&str>,
    ) -> RefreshRequest {
        for_tests(api, "rt", secret.then_some("s"), username, device)
    }

    fn facts(access: Option<Value>) -> (RefreshOptions, Facts) {
        let mut o = RefreshOptions::new("client1", SecretString::from("rt"));
        o.access_token = access.map(|c| SecretString::from(token(c)));
        let f = Facts::read(&o);
        (o, f)
    }

    fn ids(v: &[Variant]) -> Vec<&'static str> {
        v.iter().map(|v| v.id).collect()
    }

    fn not_authorized(message: &str) -> Error {
        crate::api::classify::refused(Operation::InitiateAuth, "NotAuthorizedException", message)
    }

    #[test]
    fn invalid_refresh_token_tries_the_device_then_the_other_api() {
        let (o, f) = facts(Some(json!({"device_key": "dev-claim"})));
        let first = request(RefreshApi::InitiateAuth, false, None, Some("dev-given"));
        let v = variants(&first, &not_authorized("Invalid Refresh Token."), &o, &f);
        assert_eq!(
            ids(&v),
            ["attempt.device-key-from-token", "attempt.get-tokens"]
        );
        assert_eq!(v[0].request.device_key(), Some("dev-claim"));
        assert!(flags(&v[0].fix).contains("--device-key dev-claim"));
        assert_eq!(v[1].request.api(), RefreshApi::GetTokens);
        assert_eq!(v[1].request.device_key(), Some("dev-given"));

        // A device key given while the token names none: try without it.
        let (o, f) = facts(Some(json!({})));
        let v = variants(&first, &not_authorized("Invalid Refresh Token."), &o, &f);
        assert_eq!(
            ids(&v),
            ["attempt.without-device-key", "attempt.get-tokens"]
        );
        assert_eq!(v[0].request.device_key(), None);

        // The device key sent is the token's: nothing to change about it.
        let (o, f) = facts(Some(json!({"device_key": "dev-claim"})));
        let first = request(RefreshApi::InitiateAuth, false, None, Some("dev-claim"));
        let v = variants(&first, &not_authorized("Invalid Refresh Token."), &o, &f);
        assert_eq!(ids(&v), ["attempt.get-tokens"]);
    }

    #[test]
    fn dead_tokens_get_no_attempts() {
        let (o, f) = facts(Some(json!({"device_key": "d", "username": "u"})));
        let first = request(RefreshApi::InitiateAuth, true, Some("x"), None);
        for e in [
            not_authorized("Refresh Token has expired"),
            not_authorized("Refresh Token has been revoked"),
            crate::api::classify::refused(
                Operation::InitiateAuth,
                "RefreshTokenReuseException",
                "",
            ),
            crate::api::classify::refused(Operation::InitiateAuth, "UserNotFoundException", ""),
        ] {
            assert!(variants(&first, &e, &o, &f).is_empty(), "{e}");
        }
    }

    #[test]
    fn other_failures_get_no_attempts() {
        let (o, f) = facts(Some(json!({"device_key": "d", "username": "u"})));
        let first = request(RefreshApi::InitiateAuth, true, Some("x"), None);
        for e in [
            Error::new(ErrorKind::Transient, "could not reach"),
            crate::api::classify::refused(
                Operation::InitiateAuth,
                "ResourceNotFoundException",
                "no client",
            ),
            crate::api::classify::refused(Operation::InitiateAuth, "TooManyRequestsException", ""),
            not_authorized("Client client1 is configured for secret but secret was not received"),
        ] {
            assert!(variants(&first, &e, &o, &f).is_empty(), "{e}");
        }
    }

    #[test]
    fn secret_hash_failures_try_the_token_username_then_get_tokens() {
        let (o, f) = facts(Some(json!({"username": "8a6b-uuid"})));
        let first = request(
            RefreshApi::InitiateAuth,
            true,
            Some("alice@example.com"),
            None,
        );
        let e = crate::api::classify::refused(
            Operation::InitiateAuth,
            "NotAuthorizedException",
            "SecretHash does not match for the client: client1",
        );
        let v = variants(&first, &e, &o, &f);
        assert_eq!(
            ids(&v),
            ["attempt.username-from-token", "attempt.get-tokens"]
        );
        assert_eq!(v[0].request.username(), Some("8a6b-uuid"));
        assert!(v[1].request.username().is_none());

        // Unexplained refusals (emulators): the username, not the other API.
        let v = variants(&first, &not_authorized(""), &o, &f);
        assert_eq!(ids(&v), ["attempt.username-from-token"]);

        // The username used is already the token's.
        let first = request(RefreshApi::InitiateAuth, true, Some("8a6b-uuid"), None);
        assert!(variants(&first, &not_authorized(""), &o, &f).is_empty());
    }

    #[test]
    fn refused_flow_tries_get_tokens() {
        let (o, f) = facts(None);
        let first = request(RefreshApi::InitiateAuth, false, None, None);
        let e = crate::api::classify::refused(
            Operation::InitiateAuth,
            "InvalidParameterException",
            "REFRESH_TOKEN_AUTH flow not enabled for this client",
        );
        assert_eq!(ids(&variants(&first, &e, &o, &f)), ["attempt.get-tokens"]);
        // Any other invalid parameter: nothing to try.
        let e = crate::api::classify::refused(
            Operation::InitiateAuth,
            "InvalidParameterException",
            "bad",
        );
        assert!(variants(&first, &e, &o, &f).is_empty());
    }

    #[test]
    fn get_tokens_failure_tries_initiate_auth_when_a_username_is_known() {
        let first = request(RefreshApi::GetTokens, true, None, None);
        let (o, f) = facts(Some(json!({"username": "u1"})));
        let v = variants(&first, &not_authorized("Invalid Refresh Token."), &o, &f);
        assert_eq!(ids(&v), ["attempt.initiate-auth"]);
        assert_eq!(v[0].request.username(), Some("u1"));
        assert!(v[0].request.secret_hash().is_some());

        // A secret and no username: InitiateAuth cannot be made.
        let (o, f) = facts(None);
        assert!(variants(&first, &not_authorized("Invalid Refresh Token."), &o, &f).is_empty());
        // No secret: no username needed.
        let first = request(RefreshApi::GetTokens, false, None, None);
        let v = variants(&first, &not_authorized("Invalid Refresh Token."), &o, &f);
        assert_eq!(ids(&v), ["attempt.initiate-auth"]);
        assert_eq!(v[0].request.username(), None);
    }

    #[test]
    fn descriptions_hold_no_secret() {
        let conn = Connection {
            region: "eu-west-1".into(),
            endpoint: None,
            timeout: std::time::Duration::from_secs(1),
            max_attempts: 1,
            service: "cognito-idp",
        };
        let mut r = request(RefreshApi::InitiateAuth, true, Some("alice"), Some("dev"));
        r.refresh_token = SecretString::from("refresh-secret-value");
        r.client_secret = Some(SecretString::from("client-secret-value"));
        let d = describe(&r, &conn);
        assert_eq!(
            d,
            "sent InitiateAuth to https://cognito-idp.eu-west-1.amazonaws.com for app client \
             client1 with SECRET_HASH for \"alice\", DEVICE_KEY dev"
        );
        let d = describe(&r.through_get_tokens().unwrap(), &conn);
        assert!(d.ends_with("with the client secret, DeviceKey dev"), "{d}");
        assert!(!d.contains("secret-value"));
    }
}
