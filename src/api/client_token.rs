//! Machine-to-machine access tokens: an app client with a secret asks for a token for itself,
//! with no user and no refresh token. Two ways, as Cognito offers them: the user pool domain's
//! token endpoint (`grant_type=client_credentials`, the client authenticated by HTTP Basic),
//! or the GetClientToken API through the SDK. Both are billed per token issued: callers keep
//! the token until it nears expiry (the store does).

use super::classify::Context;
use super::connection::Connection;
use super::oauth2::{self, Call};
use crate::error::Operation;
use crate::tokens::{Tokens, now_unix};
use crate::{Error, ErrorKind};
use aws_sdk_cognitoidentityprovider::config::auth::{Params, ResolveAuthScheme};
use aws_sdk_cognitoidentityprovider::operation::RequestId as _;
use aws_smithy_runtime_api::client::auth::{
    AuthSchemeId, AuthSchemeOption, AuthSchemeOptionsFuture,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use secrecy::{ExposeSecret as _, SecretString};
use std::time::Duration;
use url::Url;

/// Where a client token is asked for.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ClientTokenVia {
    /// The user pool domain's token endpoint, `https://DOMAIN/oauth2/token`, with the call's
    /// timeout (retries included) and attempts.
    TokenEndpoint {
        token_url: Url,
        timeout: Duration,
        max_attempts: u32,
    },
    /// GetClientToken, at this connection (its timeout and attempts are the call's).
    GetClientToken { connection: Connection },
}

/// An access token for an app client: who asks, with what secret, for which scopes.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientTokenRequest {
    /// Where the token is asked for.
    pub via: ClientTokenVia,
    /// `resource-server/scope` names; none: the scopes the app client is allowed.
    pub scopes: Vec<String>,
    pub client_id: String,
    pub client_secret: SecretString,
}

impl ClientTokenRequest {
    /// For the app client's own scopes; [`scopes`](Self::scopes) asks for others.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: SecretString,
        via: ClientTokenVia,
    ) -> Self {
        let client_id = client_id.into();
        ClientTokenRequest {
            client_id,
            client_secret,
            scopes: Vec::new(),
            via,
        }
    }

    /// Ask for these scopes (`resource-server/scope`).
    pub fn scopes(mut self, scopes: Vec<String>) -> Self {
        self.scopes = scopes;
        self
    }
}

/// What was issued: the access token (no ID token, no refresh token) and the scopes granted.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientToken {
    pub tokens: Tokens,
    /// The scopes granted, space-separated: as the answer names them, else the access token's
    /// `scope` claim; `None` when neither says.
    pub scope: Option<String>,
}

/// Asks for an access token for the app client itself. Throttling, 5xx and network errors are
/// retried within the timeout; a refusal never is.
pub async fn client_token(request: &ClientTokenRequest) -> Result<ClientToken, Error> {
    let (tokens, scope) = match &request.via {
        ClientTokenVia::TokenEndpoint {
            token_url,
            timeout,
            max_attempts,
        } => {
            let call = Call {
                token_url,
                client_id: &request.client_id,
                client_secret: Some(&request.client_secret),
                secrets: Vec::new(),
                timeout: *timeout,
                max_attempts: *max_attempts,
            };
            oauth2::client_credentials(&call, &request.scopes).await?
        }
        ClientTokenVia::GetClientToken { connection } => {
            (get_client_token(connection, request).await?, None)
        }
    };
    let scope = scope.or_else(|| {
        crate::jwt::decode(tokens.access_token.expose_secret())
            .ok()
            .and_then(|t| t.claims.0.get("scope")?.as_str().map(str::to_string))
    });
    Ok(ClientToken { tokens, scope })
}

/// GetClientToken. The API takes no AWS credentials (Cognito evaluates no IAM policy for it),
/// though the SDK's model would sign it: the request goes out unsigned, as the refresh APIs do.
async fn get_client_token(
    connection: &Connection,
    request: &ClientTokenRequest,
) -> Result<Tokens, Error> {
    let mut ctx = Context::call(
        connection,
        Operation::ClientToken,
        vec![&request.client_secret],
    );
    ctx.sent.client_id = request.client_id.clone();
    ctx.sent.client_secret = true;
    let mut call = connection
        .client()
        .get_client_token()
        .client_id(&request.client_id)
        .secret(request.client_secret.expose_secret());
    for scope in &request.scopes {
        call = call.scopes(scope);
    }
    let out = call
        .customize()
        .config_override(
            aws_sdk_cognitoidentityprovider::Config::builder().auth_scheme_resolver(Unsigned),
        )
        .send()
        .await
        .map_err(|e| ctx.error(e))?;
    let request_id = super::classify::request_id(out.request_id());
    let result = out.client_authentication_result.ok_or_else(|| {
        Error::new(
            ErrorKind::Other,
            "GetClientToken answered without a ClientAuthenticationResult",
        )
    })?;
    let access_token = result
        .access_token
        .filter(|t| !t.is_empty())
        .map(SecretString::from)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Other,
                "GetClientToken answered without an access token",
            )
        })?;
    Ok(Tokens {
        access_token,
        id_token: None,
        token_type: result.token_type.filter(|t| !t.is_empty()),
        expires_in: (result.expires_in > 0).then_some(i64::from(result.expires_in)),
        refresh_token: None,
        new_device: None,
        received_at: now_unix(),
        request_id,
    })
}

/// Sends a request unsigned, whatever the model says.
#[derive(Debug)]
struct Unsigned;

impl ResolveAuthScheme for Unsigned {
    fn resolve_auth_scheme<'a>(
        &'a self,
        _params: &'a Params,
        _cfg: &'a ConfigBag,
        _components: &'a RuntimeComponents,
    ) -> AuthSchemeOptionsFuture<'a> {
        AuthSchemeOptionsFuture::ready(Ok(vec![AuthSchemeOption::from(AuthSchemeId::new(
            "noAuth",
        ))]))
    }
}
