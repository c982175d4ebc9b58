//! What Cognito answers, classified once: each error into a kind, with hints where the cause is known.

use super::RefreshApi;
use super::connection::Connection;
use super::plan::RefreshRequest;
use crate::{Error, ErrorKind};
use aws_sdk_cognitoidentityprovider::config::http::HttpResponse;
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use secrecy::{ExposeSecret, SecretString};

/// What an error is judged against: what was sent, and where.
pub(crate) struct Context<'a> {
    pub connection: &'a Connection,
    /// The refresh request, for refresh calls: its values give the hints.
    pub request: Option<&'a RefreshRequest>,
    /// What was attempted, when not a refresh: sign-in, device and sign-out calls.
    pub operation: Operation,
    /// Secrets sent besides the refresh request's, removed from anything that comes back.
    pub secrets: Vec<&'a SecretString>,
}

/// The calls besides refresh whose errors are classified here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Refresh,
    /// InitiateAuth with a password flow, RespondToAuthChallenge.
    SignIn,
    /// ConfirmDevice, UpdateDeviceStatus, ForgetDevice.
    Device,
    /// RevokeToken.
    Revoke,
    /// GlobalSignOut.
    SignOut,
}

impl<'a> Context<'a> {
    pub(crate) fn refresh(connection: &'a Connection, request: &'a RefreshRequest) -> Self {
        Context {
            connection,
            request: Some(request),
            operation: Operation::Refresh,
            secrets: Vec::new(),
        }
    }

    pub(crate) fn call(
        connection: &'a Connection,
        operation: Operation,
        secrets: Vec<&'a SecretString>,
    ) -> Self {
        Context {
            connection,
            request: None,
            operation,
            secrets,
        }
    }

    /// Removes anything secret that was sent from text that came back (some servers echo input).
    fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        let mut secrets: Vec<String> = self
            .secrets
            .iter()
            .map(|s| s.expose_secret().to_string())
            .collect();
        if let Some(req) = self.request {
            secrets.push(req.refresh_token.expose_secret().to_string());
            if let Some(s) = &req.client_secret {
                secrets.push(s.expose_secret().to_string());
            }
            if let Some(h) = req.secret_hash() {
                secrets.push(h.expose_secret().to_string());
            }
        }
        for s in secrets.iter().filter(|s| s.len() >= 4) {
            out = out.replace(s.as_str(), "(redacted)");
        }
        out
    }

    pub(crate) fn error<E>(&self, err: SdkError<E, HttpResponse>) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let endpoint = self.connection.endpoint_display();
        let timeout = self.connection.timeout.as_secs_f64();
        let status = err.raw_response().map(|r| r.status().as_u16());
        match &err {
            SdkError::ServiceError(service) => match service.err().code() {
                Some(code) => {
                    let message = self.scrub(service.err().message().unwrap_or(""));
                    classify(code, &message, status, self)
                }
                None => self.unexpected(status, &err),
            },
            SdkError::TimeoutError(_) => Error::new(
                ErrorKind::Transient,
                format!("no answer from {endpoint} within the timeout ({timeout}s)"),
            )
            .with_hint("try again, or raise --timeout"),
            SdkError::DispatchFailure(d) if d.is_timeout() => Error::new(
                ErrorKind::Transient,
                format!("no answer from {endpoint} within the timeout ({timeout}s)"),
            )
            .with_hint("try again, or raise --timeout"),
            SdkError::DispatchFailure(_) => {
                let detail = self.scrub(&chain(&err));
                if detail.to_ascii_lowercase().contains("certificate") {
                    Error::new(
                        ErrorKind::Other,
                        format!("TLS with {endpoint} failed: {detail}"),
                    )
                    .with_hint(
                        "the server's certificate is not trusted; for a private CA set \
                         SSL_CERT_FILE to a bundle that includes it",
                    )
                } else {
                    Error::new(
                        ErrorKind::Transient,
                        format!("could not reach {endpoint}: {detail}"),
                    )
                    .with_hint("check the network and the endpoint, then try again")
                }
            }
            SdkError::ResponseError(_) => self.unexpected(status, &err),
            _ => Error::new(
                ErrorKind::Other,
                format!("request to {endpoint} failed: {}", self.scrub(&chain(&err))),
            ),
        }
    }

    /// An answer that is not one of Cognito's modeled errors: a proxy's page, a broken body.
    fn unexpected(&self, status: Option<u16>, err: &dyn std::error::Error) -> Error {
        let endpoint = self.connection.endpoint_display();
        match status {
            Some(status @ (429 | 500..)) => Error::new(
                ErrorKind::Transient,
                format!(
                    "HTTP {status} from {endpoint}, after {} attempt(s)",
                    self.connection.max_attempts
                ),
            )
            .with_hint("a server error or throttling: try again later"),
            Some(status) => Error::new(
                ErrorKind::Other,
                format!(
                    "unexpected answer (HTTP {status}) from {endpoint}: {}",
                    self.scrub(&chain(err))
                ),
            ),
            None => Error::new(
                ErrorKind::Other,
                format!(
                    "unexpected answer from {endpoint}: {}",
                    self.scrub(&chain(err))
                ),
            ),
        }
    }
}

/// The error and its sources, joined, without repeats. `SdkError`'s own Display is bare.
pub(crate) fn chain(err: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = err.source();
    while let Some(e) = next {
        let s = e.to_string();
        if !s.is_empty() && !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        next = e.source();
    }
    if parts.is_empty() {
        err.to_string()
    } else {
        parts.join(": ")
    }
}

const INVALID_REFRESH_TOKEN: &str = "Invalid Refresh Token";

/// Turns a Cognito exception into an error of the right kind, with hints where the cause is known.
fn classify(code: &str, message: &str, status: Option<u16>, ctx: &Context<'_>) -> Error {
    let specific = match ctx.request {
        Some(req) => classify_refresh(code, message, req),
        None => classify_call(code, message, ctx.operation),
    };
    specific.unwrap_or_else(|| classify_common(code, message, status, ctx))
}

/// What a refresh's rejection means: the causes of "Invalid Refresh Token" and its siblings.
fn classify_refresh(code: &str, message: &str, req: &RefreshRequest) -> Option<Error> {
    let client_id = &req.client_id;
    let err = |kind| Error::service(kind, code, message);
    let lower = message.to_ascii_lowercase();
    let e = match code {
        "NotAuthorizedException" if message.starts_with(INVALID_REFRESH_TOKEN) => {
            let mut e = err(ErrorKind::TokenRejected).with_hint(format!(
                "the refresh token works only with the app client that issued it: check that \
                     it came from client {client_id} (the access token's client_id claim)"
            ));
            e = match &req.device_key {
                None => e.with_hint(
                    "if the user pool tracks devices, pass the device key: --device-key, or \
                     --access-token to read its device_key claim",
                ),
                Some(key) => e.with_hint(format!(
                    "the device {key} must belong to this session and be confirmed (ConfirmDevice)"
                )),
            };
            e = e.with_hint(
                "if the user pool tracks devices, the session must come from USER_SRP_AUTH with a \
                 confirmed device: tokens from USER_PASSWORD_AUTH cannot be refreshed there",
            );
            match req.api {
                RefreshApi::InitiateAuth => e.with_hint(
                    "if the app client has refresh token rotation on, REFRESH_TOKEN_AUTH is \
                     refused: use --api get-tokens",
                ),
                RefreshApi::GetTokens => e.with_hint(
                    "refresh tokens from ADMIN_NO_SRP_AUTH are reported to fail in \
                     GetTokensFromRefreshToken: try --api initiate-auth",
                ),
                RefreshApi::OAuth2 => e,
            }
        }
        "NotAuthorizedException" if lower.contains("expired") => err(ErrorKind::TokenRejected)
            .with_hint(
                "the refresh token is past its validity (30 days by default): sign in again",
            ),
        "NotAuthorizedException" if lower.contains("revoked") => err(ErrorKind::TokenRejected)
            .with_hint(
                "the refresh token was revoked (RevokeToken, GlobalSignOut or \
                 AdminUserGlobalSignOut): sign in again",
            ),
        "NotAuthorizedException" if lower.contains("secret was not received") => {
            err(ErrorKind::Misconfigured).with_hint(
                "the app client has a secret: pass it with --client-secret-file or \
                 COGNITO_CLIENT_SECRET",
            )
        }
        "NotAuthorizedException"
            if lower.contains("secret hash") || lower.contains("secrethash") =>
        {
            let mut e = err(ErrorKind::Misconfigured);
            if let Some(username) = &req.username {
                e = e.with_hint(format!(
                    "SECRET_HASH was computed for username {username:?}: it must be the user's real \
                     Cognito username (the access token's username claim), not an email or phone \
                     alias"
                ));
            }
            e.with_hint(
                "check that the client secret belongs to app client ".to_string() + client_id,
            )
            .with_hint("--api get-tokens sends the secret itself and needs no username")
        }
        "NotAuthorizedException" => {
            let mut e = err(ErrorKind::TokenRejected).with_hint(
                "Cognito refused the refresh token: it may be invalid, expired or revoked, or \
                 belong to another app client",
            );
            if req.client_secret.is_none() {
                e = e.with_hint(
                    "if the app client has a secret, pass it with --client-secret-file or \
                     COGNITO_CLIENT_SECRET",
                );
            } else {
                e = e.with_hint(
                    "check the client secret and the username used for SECRET_HASH (-v shows it)",
                );
            }
            e
        }
        "RefreshTokenReuseException" => err(ErrorKind::TokenRejected).with_hint(
            "this refresh token was replaced by rotation and its grace period is over: sign in \
             again, and always keep the newest refresh token",
        ),
        "UserNotFoundException" => {
            err(ErrorKind::TokenRejected).with_hint("the user no longer exists: sign in again")
        }
        "PasswordResetRequiredException" | "UserNotConfirmedException" => {
            err(ErrorKind::TokenRejected).with_hint("the user must sign in again")
        }
        _ => return None,
    };
    Some(e)
}

/// What a sign-in, device or sign-out call's rejection means.
fn classify_call(code: &str, message: &str, operation: Operation) -> Option<Error> {
    let err = |kind| Error::service(kind, code, message);
    let lower = message.to_ascii_lowercase();
    let e = match (code, operation) {
        ("NotAuthorizedException", Operation::SignIn)
            if lower.contains("secret hash")
                || lower.contains("secrethash")
                || lower.contains("secret was not received") =>
        {
            err(ErrorKind::Misconfigured).with_hint(
                "the app client has a secret: check that the one given belongs to this client",
            )
        }
        ("NotAuthorizedException", Operation::SignIn) if lower.contains("attempts exceeded") => {
            err(ErrorKind::TokenRejected)
                .with_hint("too many failed sign-ins: wait a while before trying again")
        }
        ("NotAuthorizedException", Operation::SignIn) if lower.contains("disabled") => {
            err(ErrorKind::TokenRejected).with_hint("the user is disabled in the user pool")
        }
        ("NotAuthorizedException", Operation::SignIn)
            if lower.contains("not enabled") || lower.contains("not allowed") =>
        {
            err(ErrorKind::Misconfigured).with_hint(
                "the app client does not allow this sign-in flow: enable ALLOW_USER_SRP_AUTH or \
                 ALLOW_USER_PASSWORD_AUTH on it, or choose the other --flow",
            )
        }
        ("NotAuthorizedException", Operation::SignIn) => err(ErrorKind::TokenRejected)
            .with_hint("the username or password is wrong (Cognito does not say which)"),
        ("NotAuthorizedException", Operation::Revoke) if lower.contains("secret") => {
            err(ErrorKind::Misconfigured)
                .with_hint("RevokeToken needs the app client's secret when the client has one")
        }
        ("NotAuthorizedException", Operation::Device | Operation::SignOut) => {
            err(ErrorKind::TokenRejected).with_hint(
                "the access token was refused (expired, revoked, or from a signed-out session): \
                 sign in again",
            )
        }
        ("NotAuthorizedException", _) => err(ErrorKind::TokenRejected),
        ("CodeMismatchException" | "ExpiredCodeException", _) => err(ErrorKind::TokenRejected)
            .with_hint("the code is wrong or has expired: sign in again for a new one"),
        ("InvalidPasswordException", _) => err(ErrorKind::Usage)
            .with_hint("the new password does not meet the user pool's password policy"),
        ("UserNotFoundException", _) => err(ErrorKind::TokenRejected)
            .with_hint("no such user in this user pool: check --username"),
        ("PasswordResetRequiredException", _) => err(ErrorKind::TokenRejected)
            .with_hint("the user must reset their password before signing in"),
        ("UserNotConfirmedException", _) => {
            err(ErrorKind::TokenRejected).with_hint("the user has not confirmed their sign-up yet")
        }
        ("MFAMethodNotFoundException", _) => err(ErrorKind::Misconfigured)
            .with_hint("the user has no MFA method set up that the user pool accepts"),
        ("UnsupportedOperationException" | "UnsupportedTokenTypeException", Operation::Revoke) => {
            err(ErrorKind::Misconfigured).with_hint(
                "RevokeToken needs an app client with token revocation on, and a refresh token",
            )
        }
        ("ResourceNotFoundException", Operation::SignIn | Operation::Device)
            if lower.contains("device") =>
        {
            err(ErrorKind::TokenRejected).with_hint(
                "the user pool no longer knows the remembered device: `forget-device` drops it \
                 from the store, then sign in again",
            )
        }
        ("InvalidParameterException", Operation::SignIn)
            if lower.contains("srp") || lower.contains("flow") =>
        {
            err(ErrorKind::Misconfigured).with_hint(
                "the app client may not allow this sign-in flow: enable ALLOW_USER_SRP_AUTH or \
                 ALLOW_USER_PASSWORD_AUTH on it, or choose the other --flow",
            )
        }
        _ => return None,
    };
    Some(e)
}

/// What any call's errors mean when nothing more specific applies.
fn classify_common(code: &str, message: &str, status: Option<u16>, ctx: &Context<'_>) -> Error {
    let region = &ctx.connection.region;
    let err = |kind| Error::service(kind, code, message);
    match code {
        "ResourceNotFoundException" => match ctx.request {
            Some(req) => err(ErrorKind::Misconfigured).with_hint(format!(
                "no app client {} in region {region}: check --client-id and --region",
                req.client_id
            )),
            None => err(ErrorKind::Misconfigured).with_hint(format!(
                "the app client, user pool or device was not found in region {region}: check \
                 --client-id, --user-pool-id and --region"
            )),
        },
        "InvalidParameterException" | "OperationNotEnabledException" => {
            err(ErrorKind::Misconfigured)
        }
        "TooManyRequestsException" | "LimitExceededException" => err(ErrorKind::Transient)
            .with_hint("Cognito is throttling requests: wait and try again"),
        "InternalErrorException" | "InternalServerError" | "ServiceUnavailable" => {
            err(ErrorKind::Transient).with_hint("a Cognito server error: try again")
        }
        "ForbiddenException" => {
            err(ErrorKind::Other).with_hint("a web ACL (WAF) on the user pool refused the request")
        }
        "UnexpectedLambdaException"
        | "UserLambdaValidationException"
        | "InvalidLambdaResponseException" => err(ErrorKind::Other)
            .with_hint("a Lambda trigger of the user pool failed: check its logs"),
        // An exception this tool does not know, from a failing server.
        _ if status.is_some_and(|s| s >= 500) => {
            err(ErrorKind::Transient).with_hint("a server error: try again")
        }
        _ => err(ErrorKind::Other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn request(secret: bool, device_key: Option<&str>, api: RefreshApi) -> RefreshRequest {
        RefreshRequest {
            client_id: "client1".into(),
            refresh_token: SecretString::from("refresh-token-value"),
            client_secret: secret.then(|| SecretString::from("client-secret-value")),
            username: secret.then(|| "alice@example.com".to_string()),
            device_key: device_key.map(str::to_string),
            api,
            client_metadata: Vec::new(),
            token_url: None,
        }
    }

    fn connection() -> Connection {
        Connection {
            region: "eu-west-1".into(),
            endpoint: None,
            timeout: Duration::from_secs(10),
            max_attempts: 3,
        }
    }

    fn judge(code: &str, message: &str, req: &RefreshRequest) -> Error {
        let conn = connection();
        classify(code, message, Some(400), &Context::refresh(&conn, req))
    }

    #[test]
    fn kinds_follow_the_documented_table() {
        let public = request(false, None, RefreshApi::InitiateAuth);
        let cases = [
            (
                "NotAuthorizedException",
                "Invalid Refresh Token.",
                ErrorKind::TokenRejected,
            ),
            (
                "NotAuthorizedException",
                "Refresh Token has expired",
                ErrorKind::TokenRejected,
            ),
            (
                "NotAuthorizedException",
                "Refresh Token has been revoked",
                ErrorKind::TokenRejected,
            ),
            ("NotAuthorizedException", "", ErrorKind::TokenRejected),
            (
                "NotAuthorizedException",
                "Unable to verify secret hash for client client1",
                ErrorKind::Misconfigured,
            ),
            (
                "NotAuthorizedException",
                "SecretHash does not match for the client: client1",
                ErrorKind::Misconfigured,
            ),
            (
                "NotAuthorizedException",
                "Client client1 is configured for secret but secret was not received",
                ErrorKind::Misconfigured,
            ),
            (
                "RefreshTokenReuseException",
                "Refresh token has been reused",
                ErrorKind::TokenRejected,
            ),
            (
                "UserNotFoundException",
                "User does not exist.",
                ErrorKind::TokenRejected,
            ),
            (
                "ResourceNotFoundException",
                "User pool client client1 does not exist.",
                ErrorKind::Misconfigured,
            ),
            ("InvalidParameterException", "bad", ErrorKind::Misconfigured),
            (
                "TooManyRequestsException",
                "Rate exceeded",
                ErrorKind::Transient,
            ),
            ("InternalErrorException", "boom", ErrorKind::Transient),
            ("ForbiddenException", "waf", ErrorKind::Other),
            ("SomethingNewException", "new", ErrorKind::Other),
        ];
        for (code, message, kind) in cases {
            let e = judge(code, message, &public);
            assert_eq!(e.kind(), kind, "{code}: {message}");
            assert_eq!(e.code(), Some(code));
        }
    }

    #[test]
    fn sign_in_and_sign_out_errors_have_their_own_kinds() {
        let conn = connection();
        let password = SecretString::from("Corr3ct-Horse");
        let judge_call = |op, code: &str, message: &str| {
            classify(
                code,
                message,
                Some(400),
                &Context::call(&conn, op, vec![&password]),
            )
        };
        let cases = [
            (
                Operation::SignIn,
                "NotAuthorizedException",
                "Incorrect username or password.",
                ErrorKind::TokenRejected,
                "password",
            ),
            (
                Operation::SignIn,
                "NotAuthorizedException",
                "Password attempts exceeded",
                ErrorKind::TokenRejected,
                "wait",
            ),
            (
                Operation::SignIn,
                "NotAuthorizedException",
                "Unable to verify secret hash for client c",
                ErrorKind::Misconfigured,
                "secret",
            ),
            (
                Operation::SignIn,
                "InvalidParameterException",
                "USER_SRP_AUTH is not enabled for the client.",
                ErrorKind::Misconfigured,
                "ALLOW_USER_SRP_AUTH",
            ),
            (
                Operation::SignIn,
                "CodeMismatchException",
                "Invalid code received for user",
                ErrorKind::TokenRejected,
                "code",
            ),
            (
                Operation::SignIn,
                "InvalidPasswordException",
                "Password does not conform to policy",
                ErrorKind::Usage,
                "policy",
            ),
            (
                Operation::SignIn,
                "UserNotConfirmedException",
                "User is not confirmed.",
                ErrorKind::TokenRejected,
                "confirmed",
            ),
            (
                Operation::Revoke,
                "UnsupportedTokenTypeException",
                "",
                ErrorKind::Misconfigured,
                "revocation",
            ),
            (
                Operation::SignOut,
                "NotAuthorizedException",
                "Access Token has been revoked",
                ErrorKind::TokenRejected,
                "sign in again",
            ),
            (
                Operation::Device,
                "ResourceNotFoundException",
                "Device does not exist.",
                ErrorKind::TokenRejected,
                "forget-device",
            ),
            (
                Operation::SignIn,
                "TooManyRequestsException",
                "Rate exceeded",
                ErrorKind::Transient,
                "throttling",
            ),
        ];
        for (op, code, message, kind, hint) in cases {
            let e = judge_call(op, code, message);
            assert_eq!(e.kind(), kind, "{op:?} {code}: {message}");
            assert!(
                e.hints().iter().any(|h| h.contains(hint)),
                "{op:?} {code}: {:?}",
                e.hints()
            );
        }
    }

    #[test]
    fn scrub_removes_the_secrets_of_a_call() {
        let conn = connection();
        let password = SecretString::from("Corr3ct-Horse");
        let ctx = Context::call(&conn, Operation::SignIn, vec![&password]);
        assert_eq!(ctx.scrub("bad Corr3ct-Horse!"), "bad (redacted)!");
    }

    #[test]
    fn invalid_refresh_token_names_its_causes() {
        let e = judge(
            "NotAuthorizedException",
            "Invalid Refresh Token.",
            &request(false, None, RefreshApi::InitiateAuth),
        );
        let hints = e.hints().join("\n");
        assert!(hints.contains("client1"), "{hints}");
        assert!(hints.contains("--device-key"), "{hints}");
        assert!(hints.contains("USER_SRP_AUTH"), "{hints}");
        assert!(hints.contains("--api get-tokens"), "{hints}");

        let e = judge(
            "NotAuthorizedException",
            "Invalid Refresh Token",
            &request(false, Some("eu-west-1_dev"), RefreshApi::GetTokens),
        );
        let hints = e.hints().join("\n");
        assert!(hints.contains("eu-west-1_dev"), "{hints}");
        assert!(hints.contains("ADMIN_NO_SRP_AUTH"), "{hints}");
    }

    #[test]
    fn secret_hash_mismatch_names_the_username() {
        let e = judge(
            "NotAuthorizedException",
            "SecretHash does not match for the client: client1",
            &request(true, None, RefreshApi::InitiateAuth),
        );
        assert!(
            e.hints()
                .iter()
                .any(|h| h.contains("\"alice@example.com\""))
        );
    }

    #[test]
    fn scrub_removes_what_was_sent() {
        let req = request(true, None, RefreshApi::InitiateAuth);
        let conn = connection();
        let ctx = Context::refresh(&conn, &req);
        let hash = req.secret_hash().unwrap();
        let echoed = format!(
            "bad refresh-token-value client-secret-value {}",
            hash.expose_secret()
        );
        assert_eq!(ctx.scrub(&echoed), "bad (redacted) (redacted) (redacted)");
    }
}
