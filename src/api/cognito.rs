//! The refresh calls through the AWS SDK: InitiateAuth and GetTokensFromRefreshToken.

use super::RefreshApi;
use super::classify::Context;
use super::connection::Connection;
use super::plan::RefreshRequest;
use crate::tokens::{NewDevice, Tokens, now_unix};
use crate::{Error, ErrorKind};
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, AuthenticationResultType};
use secrecy::{ExposeSecret, SecretString};

/// Calls the refresh API the request names and returns the new tokens.
pub async fn refresh(
    client: &Client,
    connection: &Connection,
    request: &RefreshRequest,
) -> Result<Tokens, Error> {
    let ctx = Context::refresh(connection, request);
    let result = match request.api {
        RefreshApi::OAuth2 => {
            return Err(Error::new(
                ErrorKind::Other,
                "the OAuth2 token endpoint is not called through the SDK: use refresh::refresh",
            ));
        }
        RefreshApi::InitiateAuth => {
            let mut call = client
                .initiate_auth()
                .auth_flow(AuthFlowType::RefreshTokenAuth)
                .client_id(&request.client_id)
                .auth_parameters("REFRESH_TOKEN", request.refresh_token.expose_secret());
            if let Some(hash) = request.secret_hash() {
                call = call.auth_parameters("SECRET_HASH", hash.expose_secret());
            }
            if let Some(key) = &request.device_key {
                call = call.auth_parameters("DEVICE_KEY", key);
            }
            for (k, v) in &request.client_metadata {
                call = call.client_metadata(k, v);
            }
            call.send()
                .await
                .map_err(|e| ctx.error(e))?
                .authentication_result
        }
        RefreshApi::GetTokens => {
            let mut call = client
                .get_tokens_from_refresh_token()
                .client_id(&request.client_id)
                .refresh_token(request.refresh_token.expose_secret());
            if let Some(secret) = &request.client_secret {
                call = call.client_secret(secret.expose_secret());
            }
            if let Some(key) = &request.device_key {
                call = call.device_key(key);
            }
            for (k, v) in &request.client_metadata {
                call = call.client_metadata(k, v);
            }
            call.send()
                .await
                .map_err(|e| ctx.error(e))?
                .authentication_result
        }
    };
    let result = result.ok_or_else(|| {
        Error::new(
            ErrorKind::Other,
            format!(
                "{} answered without an AuthenticationResult (a challenge instead of tokens)",
                request.api.operation()
            ),
        )
    })?;
    tokens(result, request.api.operation())
}

/// The tokens of an `AuthenticationResult`, from `operation`.
pub(crate) fn tokens(result: AuthenticationResultType, operation: &str) -> Result<Tokens, Error> {
    let secret = |s: Option<String>| s.filter(|s| !s.is_empty()).map(SecretString::from);
    let access_token = secret(result.access_token).ok_or_else(|| {
        Error::new(
            ErrorKind::Other,
            format!("{operation} answered without an access token"),
        )
    })?;
    Ok(Tokens {
        access_token,
        id_token: secret(result.id_token),
        token_type: result.token_type.filter(|t| !t.is_empty()),
        expires_in: (result.expires_in > 0).then_some(i64::from(result.expires_in)),
        refresh_token: secret(result.refresh_token),
        new_device: result.new_device_metadata.map(|d| NewDevice {
            device_key: d.device_key,
            device_group_key: d.device_group_key,
        }),
        received_at: now_unix(),
    })
}
