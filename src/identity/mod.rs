//! Temporary AWS credentials for a user pool's user, through a Cognito identity pool: GetId,
//! then GetCredentialsForIdentity, the user's ID token as the login of its user pool. Both
//! calls are unauthenticated (no AWS credentials, no signature), through the official SDK's
//! identity-pool client on the tool's one HTTP client, with the same timeouts and retries as
//! the user-pool calls.

use crate::api::classify::{Context, request_id};
use crate::api::connection::{Connection, Target, sdk_config};
use crate::endpoint::parse_endpoint;
use crate::error::Sent;
use crate::jwt;
use crate::region;
use crate::text::Setting;
use crate::{Error, ErrorKind, Operation};
use aws_sdk_cognitoidentity::Client;
use aws_sdk_cognitoidentity::error::ProvideErrorMetadata as _;
use aws_sdk_cognitoidentity::operation::RequestId as _;
use secrecy::{ExposeSecret as _, SecretString};
use std::time::Duration;

/// Temporary AWS credentials, as GetCredentialsForIdentity gives them. `Debug` shows neither
/// the secret key nor the session token.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    pub session_token: SecretString,
    /// When they expire, seconds since the Unix epoch.
    pub expiration: i64,
}

impl AwsCredentials {
    pub fn new(
        access_key_id: String,
        secret_access_key: SecretString,
        session_token: SecretString,
        expiration: i64,
    ) -> Self {
        AwsCredentials {
            access_key_id,
            secret_access_key,
            session_token,
            expiration,
        }
    }
}

/// What to ask of which identity pool.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IdentityRequest {
    /// `<region>:<id>`: the region of the identity pool is its prefix.
    pub identity_pool_id: String,
    /// The role to ask for (`CustomRoleArn`), for a pool with role rules.
    pub role_arn: Option<String>,
    /// An identity id GetId gave before for this pool and user: GetId is not asked again.
    pub identity_id: Option<String>,
    /// An endpoint override (an emulator): https, or http on loopback.
    pub endpoint_url: Option<String>,
    /// Bounds each call, retries included.
    pub timeout: Duration,
    /// Attempts in all, for throttling, 5xx and network errors.
    pub max_attempts: u32,
}

impl IdentityRequest {
    pub fn new(identity_pool_id: impl Into<String>) -> Self {
        IdentityRequest {
            identity_pool_id: identity_pool_id.into(),
            role_arn: None,
            identity_id: None,
            endpoint_url: None,
            timeout: Duration::from_secs(10),
            max_attempts: 3,
        }
    }
}

/// What the identity pool gave.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Identity {
    /// The user's identity id in the pool (GetId's, or the one given).
    pub identity_id: String,
    /// Whether GetId was asked (no identity id was given, or the one given was gone).
    pub asked_get_id: bool,
    pub credentials: AwsCredentials,
    /// The request id of GetCredentialsForIdentity's answer, when it carried one.
    pub request_id: Option<String>,
    /// Where the calls went, for messages.
    pub endpoint: String,
    /// The provider name the ID token was sent under.
    pub provider: String,
}

/// The login an ID token gives: its user pool's provider name
/// (`cognito-idp.<region>.amazonaws.com/<user pool id>`), its app client and its subject.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Login {
    pub provider: String,
    pub client_id: Option<String>,
    pub subject: Option<String>,
}

/// The login of `id_token`, from its claims (`iss`, `aud`, `sub`).
pub fn login_of(id_token: &SecretString) -> Result<Login, Error> {
    let claims = jwt::decode(id_token.expose_secret())
        .map_err(|e| Error::new(ErrorKind::Other, format!("the stored ID token: {e}")))?
        .claims;
    let pool = claims.user_pool_id().ok_or_else(|| {
        Error::new(
            ErrorKind::Other,
            "the stored ID token names no Cognito user pool (its iss claim)",
        )
    })?;
    let region = region::region_of_pool(pool).unwrap_or_default();
    Ok(Login {
        provider: format!("cognito-idp.{region}.amazonaws.com/{pool}"),
        client_id: claims.client_id().map(str::to_string),
        subject: claims
            .0
            .get("sub")
            .and_then(|s| s.as_str())
            .map(str::to_string),
    })
}

/// The region of an identity pool id, `<region>:<id>`; `None` when it has not that form.
pub fn region_of_identity_pool(id: &str) -> Option<&str> {
    let (region, rest) = id.split_once(':')?;
    (region::is_region(region) && !rest.is_empty() && !rest.contains(':')).then_some(region)
}

/// The connection to the identity pools of `request`'s region, checked.
fn connection(request: &IdentityRequest) -> Result<Connection, Error> {
    let region = region_of_identity_pool(&request.identity_pool_id).ok_or_else(|| {
        Error::setting(
            Setting::IdentityPoolId,
            format!(
                "invalid identity pool id {:?}: expected <region>:<id>, like \
                 eu-west-1:0a1b2c3d-0000-4000-8000-000000000001",
                request.identity_pool_id
            ),
        )
    })?;
    if request.timeout.is_zero() {
        return Err(Error::setting(
            Setting::Timeout,
            "the timeout must be more than zero",
        ));
    }
    let endpoint = request
        .endpoint_url
        .as_deref()
        .map(parse_endpoint)
        .transpose()?;
    let base = Target::default()
        .timeout(request.timeout)
        .max_attempts(request.max_attempts)
        .connect(region.to_string(), None);
    Ok(base.to_identity_pools(region.to_string(), endpoint))
}

/// The SDK's identity-pool client for `connection`.
fn client(connection: &Connection) -> Client {
    Client::from_conf(sdk_config!(aws_sdk_cognitoidentity, connection))
}

/// AWS credentials for the user of `id_token`: GetId (unless `request` has an identity id),
/// then GetCredentialsForIdentity. A given identity id the pool no longer knows is replaced by
/// GetId's, once.
pub async fn credentials(
    request: &IdentityRequest,
    id_token: &SecretString,
) -> Result<Identity, Error> {
    let login = login_of(id_token)?;
    let connection = connection(request)?;
    let client = client(&connection);
    let ctx = Context::call(&connection, Operation::Identity, vec![id_token]).sent(Sent {
        client_id: login.client_id.clone().unwrap_or_default(),
        region: connection.region.clone(),
        identity_pool_id: Some(request.identity_pool_id.clone()),
        identity_provider: Some(login.provider.clone()),
        ..Sent::default()
    });
    let get_id = || async {
        let out = client
            .get_id()
            .identity_pool_id(&request.identity_pool_id)
            .logins(&login.provider, id_token.expose_secret())
            .send()
            .await
            .map_err(|e| ctx.error(e))?;
        out.identity_id
            .filter(|id| !id.is_empty())
            .ok_or_else(|| Error::new(ErrorKind::Other, "GetId answered without an identity id"))
    };
    let get_credentials = |identity_id: String| {
        let mut call = client
            .get_credentials_for_identity()
            .identity_id(identity_id)
            .logins(&login.provider, id_token.expose_secret());
        if let Some(role) = &request.role_arn {
            call = call.custom_role_arn(role);
        }
        call.send()
    };
    let (identity_id, asked_get_id) = match &request.identity_id {
        Some(id) => (id.clone(), false),
        None => (get_id().await?, true),
    };
    let (identity_id, asked_get_id, out) = match get_credentials(identity_id.clone()).await {
        Ok(out) => (identity_id, asked_get_id, out),
        // An identity id kept from before that the pool no longer has (deleted, or the
        // pool re-created): ask for the user's identity again.
        Err(e) if !asked_get_id && e.code() == Some("ResourceNotFoundException") => {
            let identity_id = get_id().await?;
            let out = get_credentials(identity_id.clone())
                .await
                .map_err(|e| ctx.error(e))?;
            (identity_id, true, out)
        }
        Err(e) => return Err(ctx.error(e)),
    };
    let request_id = request_id(out.request_id());
    let c = out.credentials.ok_or_else(|| {
        Error::new(
            ErrorKind::Other,
            "GetCredentialsForIdentity answered without credentials",
        )
    })?;
    let missing = |what: &str| {
        Error::new(
            ErrorKind::Other,
            format!("GetCredentialsForIdentity answered without {what}"),
        )
    };
    let text = |s: Option<String>| s.filter(|s| !s.is_empty());
    let credentials = AwsCredentials {
        access_key_id: text(c.access_key_id).ok_or_else(|| missing("an access key id"))?,
        secret_access_key: text(c.secret_key)
            .map(SecretString::from)
            .ok_or_else(|| missing("a secret key"))?,
        session_token: text(c.session_token)
            .map(SecretString::from)
            .ok_or_else(|| missing("a session token"))?,
        expiration: c
            .expiration
            .map(|t| t.secs())
            .ok_or_else(|| missing("an expiration"))?,
    };
    Ok(Identity {
        identity_id: out
            .identity_id
            .filter(|id| !id.is_empty())
            .unwrap_or(identity_id),
        asked_get_id,
        credentials,
        request_id,
        endpoint: connection.endpoint_display(),
        provider: login.provider,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::tests::token;
    use serde_json::json;

    #[test]
    fn identity_pool_ids_give_their_region() {
        assert_eq!(
            region_of_identity_pool("eu-west-1:0a1b2c3d-0000-4000-8000-000000000001"),
            Some("eu-west-1")
        );
        for bad in ["", "eu-west-1", "eu-west-1:", "nowhere:x", "eu-west-1:a:b"] {
            assert_eq!(region_of_identity_pool(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_login_is_the_id_tokens_user_pool() {
        let id = SecretString::from(token(json!({
            "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
            "aud": "client1",
            "sub": "8a6b1c2d",
            "token_use": "id",
        })));
        let login = login_of(&id).unwrap();
        assert_eq!(
            login.provider,
            "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
        );
        assert_eq!(login.client_id.as_deref(), Some("client1"));
        assert_eq!(login.subject.as_deref(), Some("8a6b1c2d"));
        let other = SecretString::from(token(json!({"iss": "https://example.com/x"})));
        assert_eq!(login_of(&other).unwrap_err().kind(), ErrorKind::Other);
    }

    #[tokio::test]
    async fn a_bad_pool_id_is_refused_before_anything_is_sent() {
        let id = SecretString::from(token(json!({
            "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
        })));
        let e = credentials(&IdentityRequest::new("not-a-pool"), &id)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage);
        assert!(matches!(
            e,
            Error::Input {
                setting: Some(Setting::IdentityPoolId),
                ..
            }
        ));
    }
}
