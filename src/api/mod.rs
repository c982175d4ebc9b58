//! The refresh APIs: one [`Plan`] for the three of them, and one way to run it.

pub mod authorization_code;
pub mod classify;
pub mod client_token;
pub mod cognito;
pub mod connection;
pub mod http;
pub mod net;
pub mod oauth2;
pub mod plan;
pub mod request;
pub(crate) mod roots;

use crate::Error;
use crate::tokens::Tokens;
use plan::Plan;
pub use request::RefreshApi;

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
