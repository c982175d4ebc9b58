//! The refresh APIs: one [`Plan`] for the three of them, and one way to run it.

pub mod classify;
pub mod cognito;
pub mod connection;
pub mod oauth2;
pub mod plan;
pub mod request;

use crate::Error;
use crate::tokens::Tokens;
use plan::Plan;

/// Which Cognito API refreshes the tokens. In config files: `initiate-auth`, `get-tokens` or
/// `oauth2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefreshApi {
    /// `InitiateAuth` with `REFRESH_TOKEN_AUTH`, `SECRET_HASH` and `DEVICE_KEY`. Never rotates.
    #[default]
    InitiateAuth,
    /// `GetTokensFromRefreshToken`, with the raw client secret. The only way for app clients
    /// with refresh token rotation; returns a new refresh token when rotation is on.
    GetTokens,
    /// The user pool domain's OAuth2 token endpoint (`/oauth2/token`), for sessions from the
    /// hosted UI or a federated provider. Needs the domain; returns a new refresh token when
    /// rotation is on.
    #[serde(rename = "oauth2")]
    OAuth2,
}

impl RefreshApi {
    /// The name of the `--api` value and of the config file's `api` key.
    pub fn name(self) -> &'static str {
        match self {
            RefreshApi::InitiateAuth => "initiate-auth",
            RefreshApi::GetTokens => "get-tokens",
            RefreshApi::OAuth2 => "oauth2",
        }
    }

    /// The operation's name in Cognito's API.
    pub fn operation(self) -> &'static str {
        match self {
            RefreshApi::InitiateAuth => "InitiateAuth",
            RefreshApi::GetTokens => "GetTokensFromRefreshToken",
            RefreshApi::OAuth2 => "the OAuth2 token endpoint",
        }
    }
}

/// Runs a plan: one refresh, through the API the plan names, with its timeout and retries. The
/// one way to refresh: `refresh`, `token`, `exec`, `diagnose` and sign-in's follow-ups all come
/// here.
pub async fn refresh(plan: &Plan) -> Result<Tokens, Error> {
    execute(&plan.connection, &plan.request).await
}

/// Sends `request` through its API, at `connection` (the SDK's APIs) or its token endpoint.
pub(crate) async fn execute(
    connection: &connection::Connection,
    request: &request::RefreshRequest,
) -> Result<Tokens, Error> {
    match &request.via {
        request::Via::TokenEndpoint { token_url } => {
            oauth2::refresh(&oauth2::OAuth2Request {
                token_url,
                client_id: &request.client_id,
                client_secret: request.client_secret.as_ref(),
                refresh_token: &request.refresh_token,
                timeout: connection.timeout,
                max_attempts: connection.max_attempts,
            })
            .await
        }
        _ => cognito::refresh(connection, request).await,
    }
}
