//! The refresh APIs: one [`Plan`] for the three of them, and one way to run it.

pub mod classify;
pub mod cognito;
pub mod connection;
pub mod oauth2;
pub mod plan;

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

/// Runs a plan: one refresh call, with the plan's timeout and retries.
pub async fn refresh(plan: &Plan) -> Result<Tokens, Error> {
    if let (RefreshApi::OAuth2, Some(url)) = (plan.request.api, &plan.request.token_url) {
        return oauth2::refresh(&oauth2::OAuth2Request {
            token_url: url,
            client_id: &plan.request.client_id,
            client_secret: plan.request.client_secret.as_ref(),
            refresh_token: &plan.request.refresh_token,
            timeout: plan.connection.timeout,
            max_attempts: plan.connection.max_attempts,
        })
        .await;
    }
    let client = plan.connection.client();
    cognito::refresh(&client, &plan.connection, &plan.request).await
}
