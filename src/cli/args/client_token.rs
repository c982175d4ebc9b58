//! `client-token`: an access token for an app client itself (machine to machine).

use super::client::ClientArgs;
use super::connection::ConnectionArgs;
use clap::{Args, ValueEnum};

#[derive(Args, Debug)]
#[command(
    mut_arg("client_id", |a| a.help(
        "The app client: one with a secret, allowed the client credentials grant (or \
         ALLOW_CLIENT_TOKEN_AUTH for --api get-client-token) [env: COGNITO_CLIENT_ID]")),
    mut_arg("client_secret_file", |a| a.help(
        "Read the app client's secret from a file (`-`: standard input); required, here or \
         in COGNITO_CLIENT_SECRET or the profile")),
)]
pub struct ClientTokenArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    /// A scope to ask for, `resource-server/scope`; repeatable. None: the scopes the app client
    /// is allowed. Also the profile's `scopes`.
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,

    /// The user pool's domain, whose token endpoint issues the token: https://DOMAIN (e.g.
    /// myapp.auth.eu-west-1.amazoncognito.com, or a custom domain). Also the profile's `domain`
    /// [env: COGNITO_DOMAIN].
    #[arg(long, value_name = "URL")]
    pub domain: Option<String>,

    /// oauth2: the domain's token endpoint (grant_type=client_credentials, the default when a
    /// domain is given). get-client-token: the GetClientToken API (region from --region or
    /// --user-pool-id); a profile without a domain uses it.
    #[arg(long, value_enum, value_name = "API")]
    pub api: Option<ClientTokenApi>,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// What to print on stdout.
    #[arg(long, short, value_enum, value_name = "FORMAT", default_value_t = ClientTokenOutput::Json)]
    pub output: ClientTokenOutput,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientTokenApi {
    /// POST /oauth2/token at the user pool's domain, the client secret as HTTP Basic.
    #[value(name = "oauth2")]
    OAuth2,
    /// GetClientToken, with the client secret (the app client's only flow must be
    /// ALLOW_CLIENT_TOKEN_AUTH).
    GetClientToken,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientTokenOutput {
    /// access_token, token_type, expires_in, expires_at, scope.
    Json,
    /// export COGNITO_ACCESS_TOKEN=..., COGNITO_TOKEN_EXPIRES_AT=..., safe to eval.
    Env,
    /// The access token and a newline.
    AccessToken,
}
