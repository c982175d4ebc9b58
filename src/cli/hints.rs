//! From the library's errors to what a user of this command line reads: the message with each
//! setting named by its flag, and hints worded with the flags, from the error's reason and what
//! was sent.

use cognito_refresh::api::classify::signed_action;
use cognito_refresh::error::Sent;
use cognito_refresh::{Error as CoreError, Operation, Reason, Setting};
use std::borrow::Cow;
use std::fmt;

/// The flag that gives `setting`.
pub fn flag(setting: Setting) -> Cow<'static, str> {
    Cow::Borrowed(match setting {
        Setting::ClientId => "--client-id",
        Setting::ClientSecret => "--client-secret-file",
        Setting::RefreshToken => "--refresh-token-file",
        Setting::Username => "--username",
        Setting::DeviceKey => "--device-key",
        Setting::AccessToken => "--access-token",
        Setting::IdToken => "--id-token",
        Setting::Region => "--region",
        Setting::UserPoolId => "--user-pool-id",
        Setting::EndpointUrl => "--endpoint-url",
        Setting::Domain => "--domain",
        Setting::Api => "--api",
        Setting::Timeout => "--timeout",
        Setting::ClientMetadata => "--client-metadata",
        Setting::Inspect => "--inspect",
        Setting::AwsProfile => "--aws-profile",
        Setting::Flow => "--flow",
        Setting::RememberDevice => "--remember-device",
        Setting::StoreDir => "--store",
        Setting::IdentityPoolId => "--identity-pool-id",
        Setting::RoleArn => "--role-arn",
        _ => "an option",
    })
}

/// Text of the library, with settings named by their flags.
pub fn words(text: &cognito_refresh::Text) -> String {
    text.render(&flag)
}

/// The error's message, with settings named by their flags.
pub fn message(err: &CoreError) -> String {
    err.render(&flag)
}

/// An error with a hint the command adds, printed after the error's own hints. It says
/// nothing itself: its message is its cause's.
#[derive(Debug)]
pub struct Hinted {
    pub error: anyhow::Error,
    pub hint: String,
}

impl Hinted {
    pub fn wrap(error: impl Into<anyhow::Error>, hint: impl Into<String>) -> anyhow::Error {
        Hinted {
            error: error.into(),
            hint: hint.into(),
        }
        .into()
    }
}

impl fmt::Display for Hinted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

impl std::error::Error for Hinted {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.error.as_ref())
    }
}

/// What to check or do about `err`, one sentence each.
pub fn hints(err: &CoreError) -> Vec<String> {
    let mut out: Vec<String> = err.hints().iter().map(words).collect();
    let endpoint_hint = |op: Operation| match op {
        Operation::TokenEndpoint => "check the network and --domain, then try again",
        _ => "check the network and the endpoint, then try again",
    };
    match err {
        CoreError::Refused(r) => {
            out.extend(refusal(r.reason, r.operation, &r.code, &r.sent));
            let server_side = matches!(r.reason, Reason::ServerError | Reason::Unknown);
            if server_side || r.status.is_some_and(|s| s >= 500) {
                out.extend(support(err.request_id()));
            }
        }
        CoreError::Timeout { .. } => out.push("try again, or raise --timeout".into()),
        CoreError::Unreachable {
            proxy: Some(proxy), ..
        } => out.push(format!(
            "the request went through the proxy {proxy} (HTTPS_PROXY or ALL_PROXY): check that \
             it is up and lets this endpoint through (proxy credentials go in its URL), or list \
             the endpoint's host in NO_PROXY to connect directly"
        )),
        CoreError::Unreachable { endpoint, .. } => {
            out.push(endpoint_hint(endpoint.operation).into());
        }
        CoreError::Tls { .. } => out.push(
            "the server's certificate is not trusted; for a private CA set SSL_CERT_FILE to a \
             bundle that includes it"
                .into(),
        ),
        CoreError::Unexpected {
            endpoint,
            status,
            request_id,
            ..
        } => {
            out.extend(unexpected(endpoint.operation, *status));
            out.extend(support(request_id.as_deref()));
        }
        CoreError::NoSession { profile, .. } => out.push(format!(
            "save a refresh token with `cognito-refresh store --profile {profile}`"
        )),
        _ => {}
    }
    out
}

/// What to do about an answer that is not the API's, from its status.
fn unexpected(operation: Operation, status: Option<u16>) -> Option<String> {
    match status {
        Some(429 | 500..) => Some("a server error or throttling: try again later".into()),
        Some(404 | 405) if operation == Operation::TokenEndpoint => Some(
            "is --domain the user pool's domain (https://DOMAIN.auth.REGION.amazoncognito.com or \
             a custom domain)?"
                .into(),
        ),
        _ => None,
    }
}

/// Who can tell more about an answer the server got wrong: AWS Support, given the request id
/// the answer carried (none when it carried none).
fn support(request_id: Option<&str>) -> Option<String> {
    request_id.map(|id| format!("if this persists, give AWS Support the request id {id}"))
}

const SECRET_FLAGS: &str = "--client-secret-file or COGNITO_CLIENT_SECRET";

/// The hints for a refusal: the causes of each reason, as far as what was sent tells.
fn refusal(reason: Reason, op: Operation, code: &str, sent: &Sent) -> Vec<String> {
    let client_id = &sent.client_id;
    let region = &sent.region;
    let refresh = op.is_refresh();
    let one = |s: &str| vec![s.to_string()];
    match reason {
        Reason::InvalidRefreshToken => {
            let mut h = vec![format!(
                "the refresh token works only with the app client that issued it: check that it \
                 came from client {client_id} (the access token's client_id claim)"
            )];
            h.push(match &sent.device_key {
                None => "if the user pool tracks devices, pass the device key: --device-key, or \
                         --access-token to read its device_key claim"
                    .into(),
                Some(key) => format!(
                    "the device {key} must belong to this session and be confirmed (ConfirmDevice)"
                ),
            });
            h.push(
                "if the user pool tracks devices, the session must come from USER_SRP_AUTH with a \
                 confirmed device: tokens from USER_PASSWORD_AUTH cannot be refreshed there"
                    .into(),
            );
            match op {
                Operation::InitiateAuth => h.push(
                    "if the app client has refresh token rotation on, REFRESH_TOKEN_AUTH is \
                     refused: use --api get-tokens"
                        .into(),
                ),
                Operation::GetTokens => h.push(
                    "refresh tokens from ADMIN_NO_SRP_AUTH are reported to fail in \
                     GetTokensFromRefreshToken: try --api initiate-auth"
                        .into(),
                ),
                _ => {}
            }
            h
        }
        Reason::RefreshTokenExpired => {
            one("the refresh token is past its validity (30 days by default): sign in again")
        }
        Reason::RefreshTokenRevoked => one(
            "the refresh token was revoked (RevokeToken, GlobalSignOut or AdminUserGlobalSignOut): \
             sign in again",
        ),
        Reason::SecretMissing if op == Operation::Revoke => {
            one("RevokeToken needs the app client's secret when the client has one")
        }
        Reason::SecretMissing => vec![format!(
            "the app client has a secret: pass it with {SECRET_FLAGS}"
        )],
        Reason::SecretMismatch if refresh => {
            let mut h = Vec::new();
            if let Some(username) = &sent.secret_hash_username {
                h.push(format!(
                    "SECRET_HASH was computed for username {username:?}: it must be the user's \
                     real Cognito username (the access token's username claim), not an email or \
                     phone alias"
                ));
            }
            h.push(format!(
                "check that the client secret belongs to app client {client_id}"
            ));
            h.push("--api get-tokens sends the secret itself and needs no username".into());
            h
        }
        Reason::SecretMismatch => {
            one("the app client has a secret: check that the one given belongs to this client")
        }
        Reason::RefreshTokenRefused if refresh => {
            let mut h = one(
                "Cognito refused the refresh token: it may be invalid, expired or revoked, or \
                 belong to another app client",
            );
            h.push(if sent.client_secret {
                "check the client secret and the username used for SECRET_HASH (-v shows it)".into()
            } else {
                format!("if the app client has a secret, pass it with {SECRET_FLAGS}")
            });
            h
        }
        Reason::RefreshTokenReused => one(
            "this refresh token was replaced by rotation and its grace period is over: sign in \
             again, and always keep the newest refresh token",
        ),
        Reason::UserNotFound if refresh => one("the user no longer exists: sign in again"),
        Reason::UserNotFound => one("no such user in this user pool: check --username"),
        Reason::PasswordResetRequired | Reason::UserNotConfirmed if refresh => {
            one("the user must sign in again")
        }
        Reason::PasswordResetRequired => {
            one("the user must reset their password before signing in")
        }
        Reason::UserNotConfirmed => one("the user has not confirmed their sign-up yet"),
        Reason::TooManyAttempts => {
            one("too many failed sign-ins: wait a while before trying again")
        }
        Reason::UserDisabled => one("the user is disabled in the user pool"),
        Reason::FlowNotAllowed => vec![format!(
            "the app client {} this sign-in flow: enable ALLOW_USER_SRP_AUTH or \
             ALLOW_USER_PASSWORD_AUTH on it, or choose the other --flow",
            if code == "InvalidParameterException" {
                "may not allow"
            } else {
                "does not allow"
            }
        )],
        Reason::WrongPassword => {
            one("the username or password is wrong (Cognito does not say which)")
        }
        Reason::AccessTokenRefused => one(
            "the access token was refused (expired, revoked, or from a signed-out session): sign \
             in again",
        ),
        Reason::CodeMismatch => {
            one("the code is wrong or has expired: sign in again for a new one")
        }
        Reason::PasswordPolicy => {
            one("the new password does not meet the user pool's password policy")
        }
        Reason::NoMfaMethod => one("the user has no MFA method set up that the user pool accepts"),
        Reason::RevocationUnsupported => {
            one("RevokeToken needs an app client with token revocation on, and a refresh token")
        }
        Reason::DeviceUnknown => one(
            "the user pool no longer knows the remembered device: `forget-device` drops it from \
             the store, then sign in again",
        ),
        Reason::IdentityNotTrusted | Reason::IdentityPoolRoles | Reason::NotFound
            if op == Operation::Identity =>
        {
            identity_refusal(reason, sent)
        }
        Reason::NotFound | Reason::AccessDenied | Reason::Throttled | Reason::ServerError
            if op == Operation::Store =>
        {
            store_refusal(reason, sent)
        }
        Reason::NotFound if refresh => vec![format!(
            "no app client {client_id} in region {region}: check --client-id and --region"
        )],
        Reason::NotFound => vec![format!(
            "the app client, user pool or device was not found in region {region}: check \
             --client-id, --user-pool-id and --region"
        )],
        Reason::Throttled | Reason::ServerError if op == Operation::TokenEndpoint => {
            one("a server error or throttling: try again")
        }
        Reason::Throttled => one("Cognito is throttling requests: wait and try again"),
        Reason::ServerError
            if matches!(
                code,
                "InternalErrorException" | "InternalServerError" | "ServiceUnavailable"
            ) =>
        {
            one("a Cognito server error: try again")
        }
        Reason::ServerError => one("a server error: try again"),
        Reason::Forbidden => one("a web ACL (WAF) on the user pool refused the request"),
        Reason::LambdaFailed => one("a Lambda trigger of the user pool failed: check its logs"),
        Reason::InvalidGrant => vec![
            "the refresh token is invalid, expired or revoked, or was issued to another app \
             client: sign in again"
                .into(),
            "sessions from InitiateAuth in a pool with remembered devices refresh through the \
             API, not the token endpoint: use --api initiate-auth"
                .into(),
        ],
        Reason::InvalidClient if op == Operation::ClientToken => vec![format!(
            "check the app client id {client_id} (looked for in region {region}) and its secret"
        )],
        Reason::UnauthorizedClient if op == Operation::ClientToken => one(
            "GetClientToken needs an app client with a secret whose only auth flow is \
             ALLOW_CLIENT_TOKEN_AUTH; or ask the domain's token endpoint instead (--domain)",
        ),
        Reason::InvalidScope => one(
            "each scope must be resource-server/scope, of a resource server of the user pool, and \
             among the app client's allowed OAuth scopes",
        ),
        Reason::InvalidClient => vec![
            format!(
                "check the app client id {client_id} and that the domain belongs to its user pool"
            ),
            if sent.client_secret {
                "check the client secret: it is sent as HTTP Basic authentication".into()
            } else {
                format!("if the app client has a secret, pass it with {SECRET_FLAGS}")
            },
        ],
        Reason::AccessDenied => vec![
            format!(
                "the AWS identity that signed the call may not call {}: allow it in an IAM \
                 policy on the user pool's ARN",
                signed_action(op)
            ),
            "--aws-profile NAME (or AWS_PROFILE) chooses other AWS credentials".into(),
        ],
        Reason::AwsCredentials => one(
            "AWS did not accept the credentials that signed the call (unknown access key, bad \
             secret, expired session): renew them (`aws sso login`, a new session token), or \
             choose others with --aws-profile NAME",
        ),
        Reason::UnauthorizedClient => {
            one("the app client may not use this grant: check its OAuth settings in the user pool")
        }
        _ => Vec::new(),
    }
}

/// The hints for an identity pool's refusal: what the pool must list or allow.
/// A shared token store's table refused a call.
fn store_refusal(reason: Reason, sent: &Sent) -> Vec<String> {
    let region = &sent.region;
    let table = sent.store_table.as_deref().unwrap_or("TABLE");
    match reason {
        Reason::NotFound => vec![format!(
            "the token store's table {table} does not exist in region {region}: create it with \
             `cognito-refresh init-store dynamodb://{table} --region {region}`, or check the \
             profile's store and store_region"
        )],
        Reason::AccessDenied => vec![
            format!(
                "the AWS identity that signed the call may not use the item of this profile in \
                 {table}: allow it {} (README: Many machines, the IAM policy)",
                signed_action(Operation::Store)
            ),
            "--aws-profile NAME (or AWS_PROFILE) chooses other AWS credentials".into(),
        ],
        _ => vec![
            "DynamoDB kept throttling or failing within --timeout: try again; the session in the \
             table is as it was"
                .into(),
        ],
    }
}

fn identity_refusal(reason: Reason, sent: &Sent) -> Vec<String> {
    let pool = sent.identity_pool_id.as_deref().unwrap_or("(unknown)");
    let provider = sent.identity_provider.as_deref().unwrap_or("(unknown)");
    let client_id = &sent.client_id;
    let region = &sent.region;
    match reason {
        Reason::IdentityNotTrusted => vec![
            format!(
                "the identity pool {pool} must list the user pool as an authentication \
                 provider: provider name {provider}, app client id {client_id}"
            ),
            "and the user's ID token must come from that app client (a token of another client \
             or user pool is refused)"
                .into(),
        ],
        Reason::IdentityPoolRoles => vec![
            format!(
                "the identity pool {pool} has no role it can give this user: check its \
                 authenticated role, that the role's trust policy allows \
                 cognito-identity.amazonaws.com for this pool (aud) and authenticated identities \
                 (amr), and its role rules"
            ),
            "with role rules (or a token-based role), --role-arn must name a role the rules \
             allow this user"
                .into(),
        ],
        _ => vec![format!(
            "no identity pool {pool} in region {region} (or the identity it knew is gone): check \
             --identity-pool-id"
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::args::Cli;
    use clap::CommandFactory;

    /// Every setting the library names is a flag this command line has.
    #[test]
    fn every_setting_is_a_flag() {
        let cli = Cli::command();
        let mut longs: Vec<String> = Vec::new();
        for sub in cli.get_subcommands().chain([&cli]) {
            longs.extend(
                sub.get_arguments()
                    .filter_map(|a| a.get_long().map(|l| format!("--{l}"))),
            );
        }
        for s in Setting::all() {
            let f = flag(*s);
            assert!(longs.iter().any(|l| *l == f), "{s:?} -> {f}");
        }
    }

    fn refused(op: Operation, code: &str, message: &str, sent: Sent) -> CoreError {
        match cognito_refresh::api::classify::refused(op, code, message) {
            CoreError::Refused(mut r) => {
                r.sent = sent;
                CoreError::Refused(r)
            }
            other => other,
        }
    }

    fn sent(device_key: Option<&str>, username: Option<&str>) -> Sent {
        let mut s = Sent::default();
        s.client_id = "client1".into();
        s.region = "eu-west-1".into();
        s.device_key = device_key.map(str::to_string);
        s.secret_hash_username = username.map(str::to_string);
        s.client_secret = username.is_some();
        s
    }

    #[test]
    fn invalid_refresh_token_names_its_causes() {
        let e = refused(
            Operation::InitiateAuth,
            "NotAuthorizedException",
            "Invalid Refresh Token.",
            sent(None, None),
        );
        let h = hints(&e).join("\n");
        for want in [
            "client1",
            "--device-key",
            "USER_SRP_AUTH",
            "--api get-tokens",
        ] {
            assert!(h.contains(want), "{want}: {h}");
        }
        let e = refused(
            Operation::GetTokens,
            "NotAuthorizedException",
            "Invalid Refresh Token",
            sent(Some("eu-west-1_dev"), None),
        );
        let h = hints(&e).join("\n");
        assert!(h.contains("eu-west-1_dev"), "{h}");
        assert!(h.contains("ADMIN_NO_SRP_AUTH"), "{h}");
    }

    #[test]
    fn a_missing_store_table_points_at_init_store_not_at_the_app_client() {
        let mut sent = sent(None, None);
        sent.store_table = Some("cognito-tokens".into());
        let e = refused(
            Operation::Store,
            "ResourceNotFoundException",
            "Requested resource not found",
            sent,
        );
        let h = hints(&e).join("\n");
        assert!(
            h.contains("init-store dynamodb://cognito-tokens --region eu-west-1"),
            "{h}"
        );
        assert!(!h.contains("--client-id"), "{h}");
    }

    #[test]
    fn secret_hash_mismatch_names_the_username() {
        let e = refused(
            Operation::InitiateAuth,
            "NotAuthorizedException",
            "SecretHash does not match for the client: client1",
            sent(None, Some("alice@example.com")),
        );
        assert!(
            hints(&e)
                .iter()
                .any(|h| h.contains("\"alice@example.com\""))
        );
    }

    #[test]
    fn sign_in_device_and_sign_out_refusals_have_their_hints() {
        let cases = [
            (
                Operation::SignIn,
                "NotAuthorizedException",
                "Incorrect username or password.",
                "password",
            ),
            (
                Operation::SignIn,
                "NotAuthorizedException",
                "Password attempts exceeded",
                "wait",
            ),
            (
                Operation::SignIn,
                "NotAuthorizedException",
                "Unable to verify secret hash for client c",
                "secret",
            ),
            (
                Operation::SignIn,
                "InvalidParameterException",
                "USER_SRP_AUTH is not enabled for the client.",
                "ALLOW_USER_SRP_AUTH",
            ),
            (
                Operation::SignIn,
                "CodeMismatchException",
                "Invalid code received for user",
                "code",
            ),
            (
                Operation::SignIn,
                "InvalidPasswordException",
                "Password does not conform to policy",
                "policy",
            ),
            (
                Operation::SignIn,
                "UserNotConfirmedException",
                "User is not confirmed.",
                "confirmed",
            ),
            (
                Operation::Revoke,
                "UnsupportedTokenTypeException",
                "",
                "revocation",
            ),
            (
                Operation::SignOut,
                "NotAuthorizedException",
                "Access Token has been revoked",
                "sign in again",
            ),
            (
                Operation::Device,
                "ResourceNotFoundException",
                "Device does not exist.",
                "forget-device",
            ),
            (
                Operation::SignIn,
                "TooManyRequestsException",
                "Rate exceeded",
                "throttling",
            ),
        ];
        for (op, code, message, want) in cases {
            let h = hints(&refused(op, code, message, Sent::default()));
            assert!(h.iter().any(|h| h.contains(want)), "{op:?} {code}: {h:?}");
        }
    }

    #[test]
    fn messages_name_flags() {
        let e = CoreError::setting(
            Setting::Region,
            format!("no region: pass {}", Setting::Region),
        );
        assert_eq!(message(&e), "no region: pass --region");
    }
}
