//! The refresh calls through the AWS SDK: InitiateAuth, AdminInitiateAuth and
//! GetTokensFromRefreshToken.

use super::classify::Context;
use super::connection::Connection;
use super::request::{RefreshRequest, Via};
use crate::tokens::{NewDevice, Tokens, now_unix};
use crate::{Error, ErrorKind};
use aws_sdk_cognitoidentityprovider::operation::RequestId as _;
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, AuthenticationResultType};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;

/// A refresh through (Admin)InitiateAuth (REFRESH_TOKEN_AUTH) or GetTokensFromRefreshToken; a request
/// for the token endpoint is not one of these, and is refused before anything is sent.
pub(crate) async fn refresh(
    connection: &Connection,
    request: &RefreshRequest,
) -> Result<Tokens, Error> {
    let ctx = Context::refresh(connection, request);
    let operation = request.api().operation();
    let (request_id, result) = match &request.via {
        Via::InitiateAuth {
            device_key,
            client_metadata,
            admin,
            ..
        } => {
            let mut parameters = HashMap::from([(
                "REFRESH_TOKEN".to_string(),
                request.refresh_token.expose_secret().to_string(),
            )]);
            if let Some(hash) = request.secret_hash() {
                parameters.insert("SECRET_HASH".into(), hash.expose_secret().to_string());
            }
            if let Some(key) = device_key {
                parameters.insert("DEVICE_KEY".into(), key.clone());
            }
            let metadata = (!client_metadata.is_empty())
                .then(|| client_metadata.iter().cloned().collect::<HashMap<_, _>>());
            match admin {
                None => {
                    let out = connection
                        .client()
                        .initiate_auth()
                        .auth_flow(AuthFlowType::RefreshTokenAuth)
                        .client_id(&request.client_id)
                        .set_auth_parameters(Some(parameters))
                        .set_client_metadata(metadata)
                        .send()
                        .await
                        .map_err(|e| ctx.error(e))?;
                    (
                        out.request_id().map(str::to_string),
                        out.authentication_result,
                    )
                }
                Some(admin) => {
                    let out = connection
                        .signed_client(admin.aws_profile.as_deref())
                        .await
                        .admin_initiate_auth()
                        .user_pool_id(&admin.user_pool_id)
                        .auth_flow(AuthFlowType::RefreshTokenAuth)
                        .client_id(&request.client_id)
                        .set_auth_parameters(Some(parameters))
                        .set_client_metadata(metadata)
                        .send()
                        .await
                        .map_err(|e| ctx.error(e))?;
                    (
                        out.request_id().map(str::to_string),
                        out.authentication_result,
                    )
                }
            }
        }
        Via::GetTokens {
            device_key,
            client_metadata,
        } => {
            let mut call = connection
                .client()
                .get_tokens_from_refresh_token()
                .client_id(&request.client_id)
                .refresh_token(request.refresh_token.expose_secret());
            if let Some(secret) = &request.client_secret {
                call = call.client_secret(secret.expose_secret());
            }
            if let Some(key) = device_key {
                call = call.device_key(key);
            }
            for (k, v) in client_metadata {
                call = call.client_metadata(k, v);
            }
            let out = call.send().await.map_err(|e| ctx.error(e))?;
            (
                out.request_id().map(str::to_string),
                out.authentication_result,
            )
        }
        Via::TokenEndpoint { .. } => {
            return Err(Error::new(
                ErrorKind::Other,
                "a refresh at the token endpoint is not an SDK call",
            ));
        }
    };
    let result = result.ok_or_else(|| {
        Error::new(
            ErrorKind::Other,
            format!(
                "{operation} answered without an AuthenticationResult (a challenge instead of \
                 tokens)"
            ),
        )
    })?;
    Ok(Tokens {
        request_id: super::classify::request_id(request_id.as_deref()),
        ..tokens(result, operation)?
    })
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
        request_id: None,
    })
}
