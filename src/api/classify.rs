//! What Cognito answers, classified once: each refusal into a [`Reason`], each failure to get
//! an answer into its own error. Anything that was sent is removed from what comes back.

use super::connection::Connection;
use super::net::proxy_for;
use super::request::RefreshApi;
use super::request::RefreshRequest;
use crate::Error;
pub use crate::error::Operation;
use crate::error::{Endpoint, Reason, Refusal, Sent};
use crate::text::Setting;
use aws_sdk_cognitoidentityprovider::config::http::HttpResponse;
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::operation::RequestId as _;
use secrecy::{ExposeSecret, SecretString};

/// What an error is judged against: what was sent, and where.
pub(crate) struct Context<'a> {
    pub connection: &'a Connection,
    pub operation: Operation,
    /// What was sent, for whoever explains a refusal.
    pub sent: Sent,
    /// Secrets that were sent, removed from anything that comes back.
    secrets: Vec<SecretString>,
}

impl<'a> Context<'a> {
    pub(crate) fn refresh(connection: &'a Connection, request: &RefreshRequest) -> Self {
        let hash = request.secret_hash();
        let mut secrets = vec![request.refresh_token.clone()];
        secrets.extend(request.client_secret.clone());
        secrets.extend(hash.clone());
        Context {
            connection,
            operation: refresh_operation(request.api()),
            sent: Sent {
                client_id: request.client_id.clone(),
                region: connection.region.clone(),
                device_key: request.device_key().map(str::to_string),
                secret_hash_username: hash.and(request.username().map(str::to_string)),
                client_secret: request.client_secret.is_some(),
                ..Sent::default()
            },
            secrets,
        }
    }

    pub(crate) fn call(
        connection: &'a Connection,
        operation: Operation,
        secrets: Vec<&SecretString>,
    ) -> Self {
        Context {
            connection,
            operation,
            sent: Sent {
                region: connection.region.clone(),
                ..Sent::default()
            },
            secrets: secrets.into_iter().cloned().collect(),
        }
    }

    /// What was sent, for whoever explains a refusal (an identity pool call's pool and
    /// provider, say).
    pub(crate) fn sent(mut self, sent: Sent) -> Self {
        self.sent = sent;
        self
    }

    /// Removes anything secret that was sent from text that came back (some servers echo input).
    fn scrub(&self, text: &str) -> String {
        scrub(text, self.secrets.iter().map(|s| s.expose_secret()))
    }

    fn endpoint(&self) -> Endpoint {
        Endpoint {
            operation: self.operation,
            url: self.connection.endpoint_display(),
        }
    }

    pub(crate) fn error<E>(&self, err: SdkError<E, HttpResponse>) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let seconds = self.connection.timeout.as_secs_f64();
        let status = err.raw_response().map(|r| r.status().as_u16());
        let request_id = request_id(err.request_id());
        let unexpected = |detail: String| Error::Unexpected {
            endpoint: self.endpoint(),
            status,
            detail,
            attempts: self.connection.max_attempts,
            request_id: request_id.clone(),
        };
        match &err {
            SdkError::ServiceError(service) => match service.err().code() {
                Some(code) => {
                    // The code is the server's text too: some servers echo input in it.
                    let message = self.scrub(service.err().message().unwrap_or(""));
                    Error::Refused(Box::new(Refusal {
                        operation: self.operation,
                        reason: classify(code, &message, status, self.operation),
                        code: self.scrub(code),
                        message,
                        status,
                        sent: self.sent.clone(),
                        request_id: request_id.clone(),
                    }))
                }
                None => unexpected(self.scrub(&chain(&err))),
            },
            SdkError::TimeoutError(_) => Error::Timeout {
                endpoint: self.endpoint(),
                seconds,
            },
            SdkError::DispatchFailure(d) if d.is_timeout() => Error::Timeout {
                endpoint: self.endpoint(),
                seconds,
            },
            SdkError::DispatchFailure(d) if d.is_other() && mentions_credentials(&err) => {
                no_credentials(self.operation, &self.scrub(&chain(&err)))
            }
            SdkError::DispatchFailure(_) => {
                let detail = self.scrub(&chain(&err));
                if detail.to_ascii_lowercase().contains("certificate") {
                    Error::Tls {
                        endpoint: self.endpoint(),
                        detail,
                    }
                } else {
                    Error::Unreachable {
                        endpoint: self.endpoint(),
                        detail,
                        proxy: self.connection.url().as_ref().and_then(proxy_for),
                    }
                }
            }
            _ => unexpected(self.scrub(&chain(&err))),
        }
    }
}

/// The error Cognito's answer `code: message` (HTTP 400) to `operation` gives, classified as
/// an answer from the server is: for tests, and for callers that relay answers.
pub fn refused(operation: Operation, code: &str, message: &str) -> Error {
    Error::Refused(Box::new(Refusal {
        operation,
        reason: classify(code, message, Some(400), operation),
        code: code.into(),
        message: message.into(),
        status: Some(400),
        sent: Sent::default(),
        request_id: None,
    }))
}

/// The operation a refresh through `api` is.
pub(crate) fn refresh_operation(api: RefreshApi) -> Operation {
    match api {
        RefreshApi::InitiateAuth => Operation::InitiateAuth,
        RefreshApi::GetTokens => Operation::GetTokens,
        RefreshApi::OAuth2 => Operation::TokenEndpoint,
        RefreshApi::AdminInitiateAuth => Operation::AdminInitiateAuth,
    }
}

/// Whether a failure before anything was sent is the AWS credential chain's: it found no
/// credentials, or could not load them.
fn mentions_credentials(err: &dyn std::error::Error) -> bool {
    error_chain(err).to_ascii_lowercase().contains("credential")
}

/// The error for a signed call that found no AWS credentials to sign with (exit 4): `detail`
/// is the chain's explanation, on one line.
fn no_credentials(operation: Operation, detail: &str) -> Error {
    // The chain lists every provider it tried, at length: what it tried is enough.
    let detail = if detail.contains("no credentials found in chain") {
        "none found in the environment, the AWS config and credentials files, web identity, \
         container or instance metadata"
            .to_string()
    } else {
        detail.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    Error::new(
        crate::ErrorKind::Misconfigured,
        format!(
            "no AWS credentials to sign {}: {detail}",
            signed_action(operation)
        ),
    )
    .with_hint(format!(
        "{} needs AWS credentials allowed to call {}: pass {} NAME (or set AWS_PROFILE), or \
         set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where a role provides them",
        operation_name(operation),
        signed_action(operation),
        Setting::AwsProfile
    ))
}

/// The IAM action a signed call needs.
pub fn signed_action(operation: Operation) -> &'static str {
    match operation {
        Operation::AdminInitiateAuth => "cognito-idp:AdminInitiateAuth",
        Operation::SignIn => {
            "cognito-idp:AdminInitiateAuth and cognito-idp:AdminRespondToAuthChallenge"
        }
        Operation::Inspect => "cognito-idp:DescribeUserPoolClient",
        Operation::Store => {
            "dynamodb:GetItem, dynamodb:UpdateItem and dynamodb:DeleteItem on the token store's table"
        }
        _ => "the action",
    }
}

/// The operation's name in messages.
fn operation_name(operation: Operation) -> &'static str {
    match operation {
        Operation::AdminInitiateAuth => "AdminInitiateAuth",
        Operation::SignIn => "the admin sign-in",
        Operation::Store => "the token store on DynamoDB",
        _ => "the call",
    }
}

/// `text` without any of `secrets` (those of four characters or more).
pub(crate) fn scrub<'s>(text: &str, secrets: impl IntoIterator<Item = &'s str>) -> String {
    let mut out = text.to_string();
    for s in secrets.into_iter().filter(|s| s.len() >= 4) {
        out = out.replace(s, "(redacted)");
    }
    out
}

/// The error's sources, joined, without repeats; the error itself only when it has none.
/// `SdkError`'s own Display is bare.
pub(crate) fn chain(err: &dyn std::error::Error) -> String {
    match err.source().map(error_chain) {
        Some(sources) if !sources.is_empty() => sources,
        _ => err.to_string(),
    }
}

/// The error and its sources, joined, without repeats.
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let s = e.to_string();
        if !s.is_empty() && !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// Why Cognito refused `operation` with exception `code` and `message`: the one place that
/// reads Cognito's wording.
pub fn classify(code: &str, message: &str, status: Option<u16>, operation: Operation) -> Reason {
    let lower = message.to_ascii_lowercase();
    let secret_hash = lower.contains("secret hash") || lower.contains("secrethash");
    let secret_missing = lower.contains("secret was not received");
    match (code, operation) {
        ("NotAuthorizedException", op) if op.is_refresh() => {
            if message.starts_with("Invalid Refresh Token") {
                Reason::InvalidRefreshToken
            } else if lower.contains("expired") {
                Reason::RefreshTokenExpired
            } else if lower.contains("revoked") {
                Reason::RefreshTokenRevoked
            } else if secret_missing {
                Reason::SecretMissing
            } else if secret_hash {
                Reason::SecretMismatch
            } else {
                Reason::RefreshTokenRefused
            }
        }
        ("RefreshTokenReuseException", _) => Reason::RefreshTokenReused,
        ("NotAuthorizedException", Operation::Identity) => Reason::IdentityNotTrusted,
        ("InvalidIdentityPoolConfigurationException", _) => Reason::IdentityPoolRoles,
        // A provider the identity pool relies on (another identity provider) did not answer.
        ("ExternalServiceException", Operation::Identity) => Reason::ServerError,
        // GetClientToken: the same refusals as the token endpoint's client_credentials grant.
        ("NotAuthorizedException", Operation::ClientToken)
            if lower.contains("not enabled") || lower.contains("not allowed") =>
        {
            Reason::UnauthorizedClient
        }
        ("NotAuthorizedException", Operation::ClientToken) => Reason::InvalidClient,
        ("OperationNotEnabledException", Operation::ClientToken) => Reason::UnauthorizedClient,
        ("InvalidParameterException", Operation::ClientToken) if lower.contains("scope") => {
            Reason::InvalidScope
        }
        ("NotAuthorizedException", Operation::SignIn) if secret_hash || secret_missing => {
            Reason::SecretMismatch
        }
        ("NotAuthorizedException", Operation::SignIn) if lower.contains("attempts exceeded") => {
            Reason::TooManyAttempts
        }
        ("NotAuthorizedException", Operation::SignIn) if lower.contains("disabled") => {
            Reason::UserDisabled
        }
        ("NotAuthorizedException", Operation::SignIn)
            if lower.contains("not enabled") || lower.contains("not allowed") =>
        {
            Reason::FlowNotAllowed
        }
        ("NotAuthorizedException", Operation::SignIn) => Reason::WrongPassword,
        ("NotAuthorizedException", Operation::Revoke) if lower.contains("secret") => {
            Reason::SecretMissing
        }
        ("NotAuthorizedException", Operation::Device | Operation::SignOut) => {
            Reason::AccessTokenRefused
        }
        ("NotAuthorizedException", _) => Reason::RefreshTokenRefused,
        ("CodeMismatchException" | "ExpiredCodeException", _) => Reason::CodeMismatch,
        ("InvalidPasswordException", _) => Reason::PasswordPolicy,
        ("UserNotFoundException", _) => Reason::UserNotFound,
        ("PasswordResetRequiredException", _) => Reason::PasswordResetRequired,
        ("UserNotConfirmedException", _) => Reason::UserNotConfirmed,
        ("MFAMethodNotFoundException", _) => Reason::NoMfaMethod,
        ("UnsupportedOperationException" | "UnsupportedTokenTypeException", Operation::Revoke) => {
            Reason::RevocationUnsupported
        }
        ("ResourceNotFoundException", Operation::SignIn | Operation::Device)
            if lower.contains("device") =>
        {
            Reason::DeviceUnknown
        }
        ("InvalidParameterException", Operation::SignIn)
            if lower.contains("srp") || lower.contains("flow") =>
        {
            Reason::FlowNotAllowed
        }
        ("ResourceNotFoundException", _) => Reason::NotFound,
        ("InvalidParameterException" | "OperationNotEnabledException", _) => {
            Reason::InvalidParameter
        }
        (
            "TooManyRequestsException"
            | "LimitExceededException"
            | "ThrottlingException"
            | "ProvisionedThroughputExceededException"
            | "RequestLimitExceeded",
            _,
        ) => Reason::Throttled,
        ("InternalErrorException" | "InternalServerError" | "ServiceUnavailable", _) => {
            Reason::ServerError
        }
        ("ForbiddenException", _) => Reason::Forbidden,
        ("AccessDeniedException" | "AccessDenied", _) => Reason::AccessDenied,
        (
            "UnrecognizedClientException"
            | "InvalidSignatureException"
            | "SignatureDoesNotMatch"
            | "ExpiredTokenException"
            | "InvalidClientTokenId"
            | "MissingAuthenticationTokenException",
            _,
        ) => Reason::AwsCredentials,
        (
            "UnexpectedLambdaException"
            | "UserLambdaValidationException"
            | "InvalidLambdaResponseException",
            _,
        ) => Reason::LambdaFailed,
        // An exception this library does not know, from a failing server.
        _ if status.is_some_and(|s| s >= 500) => Reason::ServerError,
        _ => Reason::Unknown,
    }
}

/// The request id an answer carried (`x-amzn-RequestId`), as the server sent it: `None` when it
/// sent none, or something that is not one (empty, too long, not printable ASCII), rather than
/// anything made up or altered.
pub(crate) fn request_id(header: Option<&str>) -> Option<String> {
    let id = header?.trim();
    let printable = id.bytes().all(|b| b.is_ascii_graphic());
    (!id.is_empty() && id.len() <= 128 && printable).then(|| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn request_ids_are_kept_only_as_sent() {
        let id = "7d1c3e0a-3b7f-4c59-9a1e-2f0c6d5b8e41";
        assert_eq!(request_id(Some(id)).as_deref(), Some(id));
        assert_eq!(request_id(Some(&format!(" {id} "))).as_deref(), Some(id));
        for not_one in [None, Some(""), Some("a b"), Some("\u{7f}x")] {
            assert_eq!(request_id(not_one), None, "{not_one:?}");
        }
        assert_eq!(request_id(Some(&"x".repeat(129))), None);
    }

    fn request(secret: bool, device_key: Option<&str>, api: RefreshApi) -> RefreshRequest {
        crate::api::request::for_tests(
            api,
            "refresh-token-value",
            secret.then_some("client-secret-value"),
            secret.then_some("alice@example.com"),
            device_key,
        )
    }

    fn connection() -> Connection {
        crate::api::connection::tests::connection()
    }

    /// Every answer in COGNITO.md's table, and the sign-in, device and sign-out ones: the
    /// reason, and so the kind.
    #[test]
    fn reasons_follow_the_documented_table() {
        use Operation::*;
        use Reason::*;
        let cases = [
            (
                InitiateAuth,
                "NotAuthorizedException",
                "Invalid Refresh Token.",
                InvalidRefreshToken,
            ),
            (
                GetTokens,
                "NotAuthorizedException",
                "Invalid Refresh Token",
                InvalidRefreshToken,
            ),
            (
                InitiateAuth,
                "NotAuthorizedException",
                "Refresh Token has expired",
                RefreshTokenExpired,
            ),
            (
                InitiateAuth,
                "NotAuthorizedException",
                "Refresh Token has been revoked",
                RefreshTokenRevoked,
            ),
            (
                InitiateAuth,
                "NotAuthorizedException",
                "",
                RefreshTokenRefused,
            ),
            (
                InitiateAuth,
                "NotAuthorizedException",
                "Unable to verify secret hash for client client1",
                SecretMismatch,
            ),
            (
                InitiateAuth,
                "NotAuthorizedException",
                "SecretHash does not match for the client: client1",
                SecretMismatch,
            ),
            (
                InitiateAuth,
                "NotAuthorizedException",
                "Client client1 is configured for secret but secret was not received",
                SecretMissing,
            ),
            (
                GetTokens,
                "RefreshTokenReuseException",
                "Refresh token has been reused",
                RefreshTokenReused,
            ),
            (
                InitiateAuth,
                "UserNotFoundException",
                "User does not exist.",
                UserNotFound,
            ),
            (
                InitiateAuth,
                "ResourceNotFoundException",
                "User pool client client1 does not exist.",
                NotFound,
            ),
            (
                InitiateAuth,
                "InvalidParameterException",
                "bad",
                InvalidParameter,
            ),
            (
                InitiateAuth,
                "TooManyRequestsException",
                "Rate exceeded",
                Throttled,
            ),
            (InitiateAuth, "InternalErrorException", "boom", ServerError),
            (InitiateAuth, "ForbiddenException", "waf", Forbidden),
            (InitiateAuth, "SomethingNewException", "new", Unknown),
            (
                SignIn,
                "NotAuthorizedException",
                "Incorrect username or password.",
                WrongPassword,
            ),
            (
                SignIn,
                "NotAuthorizedException",
                "Password attempts exceeded",
                TooManyAttempts,
            ),
            (
                SignIn,
                "NotAuthorizedException",
                "User is disabled.",
                UserDisabled,
            ),
            (
                SignIn,
                "NotAuthorizedException",
                "Unable to verify secret hash for client c",
                SecretMismatch,
            ),
            (
                SignIn,
                "InvalidParameterException",
                "USER_SRP_AUTH is not enabled for the client.",
                FlowNotAllowed,
            ),
            (
                SignIn,
                "CodeMismatchException",
                "Invalid code received for user",
                CodeMismatch,
            ),
            (
                SignIn,
                "InvalidPasswordException",
                "Password does not conform to policy",
                PasswordPolicy,
            ),
            (
                SignIn,
                "UserNotConfirmedException",
                "User is not confirmed.",
                UserNotConfirmed,
            ),
            (
                SignIn,
                "TooManyRequestsException",
                "Rate exceeded",
                Throttled,
            ),
            (
                Revoke,
                "UnsupportedTokenTypeException",
                "",
                RevocationUnsupported,
            ),
            (
                Revoke,
                "NotAuthorizedException",
                "Client is configured with secret but no secret received",
                SecretMissing,
            ),
            (
                SignOut,
                "NotAuthorizedException",
                "Access Token has been revoked",
                AccessTokenRefused,
            ),
            (
                Device,
                "ResourceNotFoundException",
                "Device does not exist.",
                DeviceUnknown,
            ),
            (
                Identity,
                "NotAuthorizedException",
                "Invalid login token. Issuer doesn't match providerName",
                IdentityNotTrusted,
            ),
            (
                Identity,
                "InvalidIdentityPoolConfigurationException",
                "Invalid identity pool configuration. Check assigned IAM roles for this pool.",
                IdentityPoolRoles,
            ),
            (
                Identity,
                "ResourceNotFoundException",
                "IdentityPool 'eu-west-1:x' not found.",
                NotFound,
            ),
            (Identity, "TooManyRequestsException", "", Throttled),
            (Identity, "ExternalServiceException", "", ServerError),
        ];
        for (operation, code, message, reason) in cases {
            assert_eq!(
                classify(code, message, Some(400), operation),
                reason,
                "{operation:?} {code}: {message}"
            );
        }
        assert_eq!(
            classify("SomethingNewException", "", Some(503), InitiateAuth),
            ServerError
        );
        assert_eq!(InvalidRefreshToken.kind(), ErrorKind::TokenRejected);
        assert_eq!(SecretMismatch.kind(), ErrorKind::Misconfigured);
        assert_eq!(PasswordPolicy.kind(), ErrorKind::Usage);
        assert_eq!(Throttled.kind(), ErrorKind::Transient);
        assert_eq!(Forbidden.kind(), ErrorKind::Other);
        assert_eq!(IdentityNotTrusted.kind(), ErrorKind::Misconfigured);
        assert_eq!(IdentityPoolRoles.kind(), ErrorKind::Misconfigured);
    }

    #[test]
    fn a_refresh_context_knows_what_was_sent_and_scrubs_it() {
        let req = request(true, Some("eu-west-1_dev"), RefreshApi::InitiateAuth);
        let conn = connection();
        let ctx = Context::refresh(&conn, &req);
        assert_eq!(ctx.operation, Operation::InitiateAuth);
        assert_eq!(ctx.sent.client_id, "client1");
        assert_eq!(ctx.sent.device_key.as_deref(), Some("eu-west-1_dev"));
        assert_eq!(
            ctx.sent.secret_hash_username.as_deref(),
            Some("alice@example.com")
        );
        assert!(ctx.sent.client_secret);
        let hash = req.secret_hash().unwrap();
        let echoed = format!(
            "bad refresh-token-value client-secret-value {}",
            hash.expose_secret()
        );
        assert_eq!(ctx.scrub(&echoed), "bad (redacted) (redacted) (redacted)");
        let ctx = Context::refresh(&conn, &request(true, None, RefreshApi::GetTokens));
        assert_eq!(ctx.sent.secret_hash_username, None);
    }

    #[test]
    fn scrub_removes_the_secrets_of_a_call() {
        let conn = connection();
        let password = SecretString::from("Corr3ct-Horse");
        let ctx = Context::call(&conn, Operation::SignIn, vec![&password]);
        assert_eq!(ctx.scrub("bad Corr3ct-Horse!"), "bad (redacted)!");
    }

    /// GetClientToken's exceptions, as the token endpoint's errors for the same causes.
    #[test]
    fn client_token_refusals_are_the_token_endpoints_reasons() {
        let op = Operation::ClientToken;
        let cases = [
            (
                "NotAuthorizedException",
                "Client secret is not valid.",
                Reason::InvalidClient,
            ),
            (
                "NotAuthorizedException",
                "Client credentials flow is not enabled for this client",
                Reason::UnauthorizedClient,
            ),
            (
                "OperationNotEnabledException",
                "",
                Reason::UnauthorizedClient,
            ),
            (
                "InvalidParameterException",
                "Invalid scope requested",
                Reason::InvalidScope,
            ),
            (
                "InvalidParameterException",
                "ClientId is too long",
                Reason::InvalidParameter,
            ),
            ("ResourceNotFoundException", "", Reason::NotFound),
            ("TooManyRequestsException", "", Reason::Throttled),
        ];
        for (code, message, reason) in cases {
            assert_eq!(
                classify(code, message, Some(400), op),
                reason,
                "{code}: {message}"
            );
        }
        assert_eq!(Reason::InvalidScope.kind(), ErrorKind::Misconfigured);
        assert_eq!(Reason::UnauthorizedClient.kind(), ErrorKind::Misconfigured);
    }
}
