//! Errors of the core. What Cognito or the token endpoint answered is classified once, into a
//! [`Reason`]; every error has the [`ErrorKind`] that decides the exit code. Messages never hold
//! a secret and never name a command-line flag: settings are [`Setting`]s inside [`Text`], and a
//! front end words its own hints from the reason and the facts of the call.

use crate::text::{Setting, Text};
use std::fmt;

/// What kind of failure this is: it decides the exit code and what the user should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Missing, conflicting or malformed input, or local configuration (no region, a refused
    /// endpoint, an unreadable file). Exit 2.
    Usage,
    /// The refresh token cannot be used: it is invalid, expired, revoked, rotated out, or its
    /// user is gone. Sign in again. At sign-in: the password or code was refused. Exit 3.
    TokenRejected,
    /// The request is misconfigured: secret hash problems, unknown client or pool, invalid
    /// parameters. Exit 4.
    Misconfigured,
    /// The network, a timeout, throttling or a server error, after retries. Try again. Exit 5.
    Transient,
    /// Anything else. Exit 1.
    Other,
}

impl ErrorKind {
    /// The process exit code documented for this kind.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Other => 1,
            ErrorKind::Usage => 2,
            ErrorKind::TokenRejected => 3,
            ErrorKind::Misconfigured => 4,
            ErrorKind::Transient => 5,
        }
    }
}

/// The call that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// A refresh through InitiateAuth (REFRESH_TOKEN_AUTH).
    InitiateAuth,
    /// A refresh through GetTokensFromRefreshToken.
    GetTokens,
    /// A refresh through AdminInitiateAuth (REFRESH_TOKEN_AUTH), signed with AWS credentials.
    AdminInitiateAuth,
    /// A refresh at the user pool domain's OAuth2 token endpoint.
    TokenEndpoint,
    /// InitiateAuth with a password flow, RespondToAuthChallenge.
    SignIn,
    /// ConfirmDevice, UpdateDeviceStatus, ForgetDevice.
    Device,
    /// RevokeToken.
    Revoke,
    /// GlobalSignOut.
    SignOut,
    /// DescribeUserPoolClient, DescribeUserPool.
    Inspect,
    /// An identity pool's GetId, GetCredentialsForIdentity.
    Identity,
    /// The user pool's signing keys (`.well-known/jwks.json`), to verify a token.
    SigningKeys,
    /// GetClientToken: an access token for the app client itself (machine to machine).
    ClientToken,
    /// The shared token store's DynamoDB table: GetItem, UpdateItem, DeleteItem, CreateTable.
    Store,
}

impl Operation {
    /// Whether the call was a refresh.
    pub fn is_refresh(self) -> bool {
        matches!(
            self,
            Operation::InitiateAuth
                | Operation::GetTokens
                | Operation::TokenEndpoint
                | Operation::AdminInitiateAuth
        )
    }
}

/// Why Cognito (or the token endpoint) refused a call, classified once from its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// "Invalid Refresh Token": another app client's token, a device not sent or not confirmed,
    /// a session from USER_PASSWORD_AUTH in a pool that tracks devices, rotation.
    InvalidRefreshToken,
    /// The refresh token is past its validity.
    RefreshTokenExpired,
    /// The refresh token was revoked (RevokeToken, GlobalSignOut).
    RefreshTokenRevoked,
    /// A refresh token replaced by rotation, after its grace period.
    RefreshTokenReused,
    /// Another refusal of the refresh token.
    RefreshTokenRefused,
    /// The app client has a secret and none was sent.
    SecretMissing,
    /// SECRET_HASH (or the secret) does not match the app client.
    SecretMismatch,
    /// No such user.
    UserNotFound,
    /// The user must reset their password.
    PasswordResetRequired,
    /// The user has not confirmed their sign-up.
    UserNotConfirmed,
    /// The username or password is wrong.
    WrongPassword,
    /// Too many failed sign-ins.
    TooManyAttempts,
    /// The user is disabled.
    UserDisabled,
    /// The app client does not allow this sign-in flow.
    FlowNotAllowed,
    /// A one-time code is wrong or expired.
    CodeMismatch,
    /// A new password does not meet the policy.
    PasswordPolicy,
    /// No MFA method the pool accepts is set up.
    NoMfaMethod,
    /// The access token was refused (expired, revoked, signed out).
    AccessTokenRefused,
    /// The user pool does not know the device.
    DeviceUnknown,
    /// The app client has no token revocation, or the token is not a refresh token.
    RevocationUnsupported,
    /// The app client, user pool or another resource does not exist.
    NotFound,
    /// A parameter was refused, or the operation is not enabled.
    InvalidParameter,
    /// Throttling.
    Throttled,
    /// A server error.
    ServerError,
    /// A web ACL refused the request.
    Forbidden,
    /// A Lambda trigger failed.
    LambdaFailed,
    /// The token endpoint's `invalid_grant`.
    InvalidGrant,
    /// The token endpoint's `invalid_client`.
    InvalidClient,
    /// The token endpoint's `unauthorized_client`.
    UnauthorizedClient,
    /// The token endpoint's `invalid_request`, `unsupported_grant_type`.
    InvalidRequest,
    /// AWS refused the caller's identity the action (AccessDeniedException): an IAM policy
    /// lacks it.
    AccessDenied,
    /// AWS did not accept the credentials that signed the call (unknown key, bad signature,
    /// expired session).
    AwsCredentials,
    /// A scope asked for that the app client may not have, or that no resource server of the
    /// user pool defines (the token endpoint's `invalid_scope`).
    InvalidScope,
    /// An answer this library does not know.
    Unknown,
    /// The identity pool does not trust the user pool or app client the ID token comes from
    /// (NotAuthorizedException from GetId or GetCredentialsForIdentity).
    IdentityNotTrusted,
    /// The identity pool's roles cannot be assumed: no authenticated role, a role whose trust
    /// policy does not name the pool, role rules that match nothing
    /// (InvalidIdentityPoolConfigurationException).
    IdentityPoolRoles,
}

impl Reason {
    /// The kind, and so the exit code, of a refusal for this reason.
    pub fn kind(self) -> ErrorKind {
        use Reason::*;
        match self {
            InvalidRefreshToken
            | RefreshTokenExpired
            | RefreshTokenRevoked
            | RefreshTokenReused
            | RefreshTokenRefused
            | UserNotFound
            | PasswordResetRequired
            | UserNotConfirmed
            | WrongPassword
            | TooManyAttempts
            | UserDisabled
            | CodeMismatch
            | AccessTokenRefused
            | DeviceUnknown
            | InvalidGrant => ErrorKind::TokenRejected,
            SecretMissing
            | SecretMismatch
            | FlowNotAllowed
            | NoMfaMethod
            | RevocationUnsupported
            | NotFound
            | InvalidParameter
            | InvalidClient
            | UnauthorizedClient
            | InvalidRequest
            | AccessDenied
            | AwsCredentials
            | IdentityNotTrusted
            | IdentityPoolRoles
            | InvalidScope => ErrorKind::Misconfigured,
            PasswordPolicy => ErrorKind::Usage,
            Throttled | ServerError => ErrorKind::Transient,
            Forbidden | LambdaFailed | Unknown => ErrorKind::Other,
        }
    }

    /// Whether the refresh token (or the session) is dead: no other request with it can succeed.
    pub fn session_is_dead(self) -> bool {
        matches!(
            self,
            Reason::RefreshTokenExpired
                | Reason::RefreshTokenRevoked
                | Reason::RefreshTokenReused
                | Reason::UserNotFound
                | Reason::PasswordResetRequired
                | Reason::UserNotConfirmed
        )
    }
}

/// What was sent, for whoever explains a refusal: never a secret.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sent {
    pub client_id: String,
    pub region: String,
    /// The device key sent, if any.
    pub device_key: Option<String>,
    /// The username SECRET_HASH was computed with, if one was.
    pub secret_hash_username: Option<String>,
    /// Whether a client secret (or SECRET_HASH) was sent.
    pub client_secret: bool,
    /// The identity pool asked, for an identity pool call.
    pub identity_pool_id: Option<String>,
    /// The provider name the ID token was sent under (`cognito-idp.<region>.amazonaws.com/<user
    /// pool id>`), for an identity pool call.
    pub identity_provider: Option<String>,
    /// The DynamoDB table of a shared token store, for a call to it.
    pub store_table: Option<String>,
}

/// A refusal: which call, what the server said, and why.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Refusal {
    pub operation: Operation,
    pub reason: Reason,
    /// Cognito's exception name (`NotAuthorizedException`) or the token endpoint's `error`.
    pub code: String,
    /// The server's message, with anything that was sent removed.
    pub message: String,
    /// The HTTP status, when known.
    pub status: Option<u16>,
    pub sent: Sent,
    /// The request id the answer carried (`x-amzn-RequestId`), for AWS Support; `None` when
    /// the server sent none.
    pub request_id: Option<String>,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{} (no message)", self.code)
        } else {
            write!(f, "{}: {}", self.code, self.message)
        }
    }
}

/// Where a call went that found no usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Endpoint {
    pub operation: Operation,
    /// The URL, for messages.
    pub url: String,
}

/// An error of the core. Its message never contains a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Missing, malformed or conflicting input, refused before anything was sent (exit 2).
    #[error("{message}")]
    Input {
        /// The setting at fault, when there is one.
        setting: Option<Setting>,
        message: Text,
        hints: Vec<Text>,
    },
    /// Cognito or the token endpoint refused the call.
    #[error("{0}")]
    Refused(Box<Refusal>),
    /// No answer within the timeout (exit 5).
    #[error("no answer from {} within the timeout ({seconds}s)", .endpoint.url)]
    Timeout { endpoint: Endpoint, seconds: f64 },
    /// The endpoint could not be reached: DNS, a refused connection, a proxy that failed or
    /// refused the tunnel (exit 5). `proxy`: the one the request went through, without
    /// credentials.
    #[error("could not reach {}{}: {detail}", .endpoint.url, through(.proxy.as_deref()))]
    Unreachable {
        endpoint: Endpoint,
        detail: String,
        proxy: Option<String>,
    },
    /// TLS failed: the server's certificate is not trusted (exit 1).
    #[error("TLS with {} failed: {detail}", .endpoint.url)]
    Tls { endpoint: Endpoint, detail: String },
    /// An answer that is not the API's: a proxy's page, a broken body, an HTTP error without a
    /// modeled exception. 429 and 5xx are transient, 404 and 405 at the token endpoint a
    /// wrong domain.
    #[error("{}", unexpected(.endpoint, *.status, .detail, *.attempts))]
    Unexpected {
        endpoint: Endpoint,
        status: Option<u16>,
        detail: String,
        /// Attempts made.
        attempts: u32,
        /// The request id the (last) answer carried, when it carried one.
        request_id: Option<String>,
    },
    /// The token store holds no usable session for a profile: none was saved, or its file is
    /// corrupt (and left as it is). Exit 2.
    #[error("{message}")]
    NoSession { profile: String, message: Text },
    /// A local file or directory (config, token store) cannot be used.
    #[error("{message}")]
    Local {
        kind: ErrorKind,
        message: Text,
        #[source]
        source: Option<std::io::Error>,
    },
    /// Anything else, with what to do about it where the library knows.
    #[error("{message}")]
    Failed {
        kind: ErrorKind,
        message: Text,
        hints: Vec<Text>,
    },
}

/// ` through the proxy P`, for a request that went through one.
fn through(proxy: Option<&str>) -> String {
    proxy
        .map(|p| format!(" through the proxy {p}"))
        .unwrap_or_default()
}

fn unexpected(endpoint: &Endpoint, status: Option<u16>, detail: &str, attempts: u32) -> String {
    let url = &endpoint.url;
    match status {
        Some(status @ (429 | 500..)) if endpoint.operation == Operation::TokenEndpoint => {
            format!("HTTP {status} from {url}")
        }
        Some(status @ (429 | 500..)) => {
            format!("HTTP {status} from {url}, after {attempts} attempt(s)")
        }
        Some(status @ (404 | 405)) if endpoint.operation == Operation::TokenEndpoint => {
            format!("HTTP {status} from {url}: {detail}")
        }
        Some(status) => format!("unexpected answer (HTTP {status}) from {url}: {detail}"),
        None => format!("unexpected answer from {url}: {detail}"),
    }
}

impl Error {
    /// Input that cannot be used, about no one setting.
    pub fn usage(message: impl Into<Text>) -> Self {
        Error::Input {
            setting: None,
            message: message.into(),
            hints: Vec::new(),
        }
    }

    /// Input that cannot be used, about `setting` (missing, malformed).
    pub fn setting(setting: Setting, message: impl Into<Text>) -> Self {
        Error::Input {
            setting: Some(setting),
            message: message.into(),
            hints: Vec::new(),
        }
    }

    /// Any other failure, of `kind`.
    pub fn new(kind: ErrorKind, message: impl Into<Text>) -> Self {
        Error::Failed {
            kind,
            message: message.into(),
            hints: Vec::new(),
        }
    }

    /// A local file or directory that cannot be used.
    pub fn local(
        kind: ErrorKind,
        message: impl Into<Text>,
        source: Option<std::io::Error>,
    ) -> Self {
        Error::Local {
            kind,
            message: message.into(),
            source,
        }
    }

    /// Adds what to do, to an [`Error::Input`] or [`Error::Failed`]; other errors are explained
    /// from their reason by whoever reports them.
    pub fn with_hint(mut self, hint: impl Into<Text>) -> Self {
        if let Error::Input { hints, .. } | Error::Failed { hints, .. } = &mut self {
            hints.push(hint.into());
        }
        self
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Input { .. } | Error::NoSession { .. } => ErrorKind::Usage,
            Error::Refused(r) => r.reason.kind(),
            Error::Timeout { .. } | Error::Unreachable { .. } => ErrorKind::Transient,
            Error::Tls { .. } => ErrorKind::Other,
            Error::Unexpected {
                endpoint, status, ..
            } => match status {
                Some(429 | 500..) => ErrorKind::Transient,
                Some(404 | 405) if endpoint.operation == Operation::TokenEndpoint => {
                    ErrorKind::Misconfigured
                }
                _ => ErrorKind::Other,
            },
            Error::Local { kind, .. } | Error::Failed { kind, .. } => *kind,
        }
    }

    /// The refusal, when the server refused.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            Error::Refused(r) => Some(r),
            _ => None,
        }
    }

    /// Why the server refused, when it did.
    pub fn reason(&self) -> Option<Reason> {
        self.refusal().map(|r| r.reason)
    }

    /// The Cognito exception name (or the token endpoint's `error`), when the server refused.
    pub fn code(&self) -> Option<&str> {
        self.refusal().map(|r| r.code.as_str())
    }

    /// The request id of the answer this error comes from (`x-amzn-RequestId`), when the
    /// server sent one: AWS Support asks for it.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Refused(r) => r.request_id.as_deref(),
            Error::Unexpected { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The library's own advice, for [`Error::Input`] and [`Error::Failed`].
    pub fn hints(&self) -> &[Text] {
        match self {
            Error::Input { hints, .. } | Error::Failed { hints, .. } => hints,
            _ => &[],
        }
    }

    /// The message as `Display` gives it, with settings named by `name` instead of as concepts.
    pub fn render(&self, name: &dyn Fn(Setting) -> std::borrow::Cow<'static, str>) -> String {
        match self {
            Error::Input { message, .. }
            | Error::NoSession { message, .. }
            | Error::Local { message, .. }
            | Error::Failed { message, .. } => message.render(name),
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_the_documented_ones() {
        assert_eq!(ErrorKind::Other.exit_code(), 1);
        assert_eq!(ErrorKind::Usage.exit_code(), 2);
        assert_eq!(ErrorKind::TokenRejected.exit_code(), 3);
        assert_eq!(ErrorKind::Misconfigured.exit_code(), 4);
        assert_eq!(ErrorKind::Transient.exit_code(), 5);
    }

    fn refused(code: &str, message: &str) -> Error {
        Error::Refused(Box::new(Refusal {
            operation: Operation::InitiateAuth,
            reason: Reason::InvalidRefreshToken,
            code: code.into(),
            message: message.into(),
            status: Some(400),
            sent: Sent::default(),
            request_id: None,
        }))
    }

    #[test]
    fn display_names_the_exception() {
        let e = refused("NotAuthorizedException", "Invalid Refresh Token.");
        assert_eq!(
            e.to_string(),
            "NotAuthorizedException: Invalid Refresh Token."
        );
        assert_eq!(e.kind(), ErrorKind::TokenRejected);
        let e = refused("NotAuthorizedException", "");
        assert_eq!(e.to_string(), "NotAuthorizedException (no message)");
        assert_eq!(Error::usage("no region").to_string(), "no region");
    }

    #[test]
    fn settings_in_messages_read_as_concepts() {
        let e = Error::setting(
            Setting::Region,
            format!("no region: give {}", Setting::Region),
        );
        assert_eq!(e.to_string(), "no region: give the region");
        assert_eq!(e.render(&|_| "--region".into()), "no region: give --region");
        assert_eq!(e.kind(), ErrorKind::Usage);
    }

    #[test]
    fn unexpected_answers_have_the_kind_of_their_status() {
        let at = |operation| Endpoint {
            operation,
            url: "https://x".into(),
        };
        let e = |operation, status| Error::Unexpected {
            endpoint: at(operation),
            status,
            detail: "d".into(),
            attempts: 3,
            request_id: None,
        };
        assert_eq!(
            e(Operation::InitiateAuth, Some(503)).kind(),
            ErrorKind::Transient
        );
        assert_eq!(
            e(Operation::TokenEndpoint, Some(404)).kind(),
            ErrorKind::Misconfigured
        );
        assert_eq!(
            e(Operation::InitiateAuth, Some(404)).kind(),
            ErrorKind::Other
        );
        assert_eq!(e(Operation::InitiateAuth, None).kind(), ErrorKind::Other);
    }
}
