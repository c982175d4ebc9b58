//! Which API refreshes, the user pool domain it may need, and data for the Lambda triggers.

use clap::{Args, ValueEnum};

#[derive(Args, Debug)]
pub struct ApiArgs {
    /// Which API refreshes: InitiateAuth with REFRESH_TOKEN_AUTH, GetTokensFromRefreshToken
    /// (needed by app clients with refresh token rotation; needs no username), the user pool
    /// domain's OAuth2 token endpoint (sessions from the hosted UI; needs --domain), or
    /// AdminInitiateAuth (backends; needs --user-pool-id and AWS credentials)
    /// [default: initiate-auth].
    #[arg(long, value_enum, value_name = "API")]
    pub api: Option<Api>,

    /// The user pool's domain, for --api oauth2: https://DOMAIN (the hosted UI's, e.g.
    /// myapp.auth.eu-west-1.amazoncognito.com, or a custom domain). Also the profile's `domain`
    /// [env: COGNITO_DOMAIN].
    #[arg(long, value_name = "URL")]
    pub domain: Option<String>,

    #[command(flatten)]
    pub metadata: ClientMetadataArgs,

    #[command(flatten)]
    pub aws: AwsProfileArgs,
}

#[derive(Args, Debug)]
pub struct AwsProfileArgs {
    /// The AWS profile whose credentials sign the calls that need them: the admin API
    /// (--api admin-initiate-auth, login --flow admin-password) and diagnose --inspect. Also the
    /// profile's `aws_profile` [env: AWS_PROFILE].
    #[arg(long, value_name = "NAME")]
    pub aws_profile: Option<String>,
}

impl ApiArgs {
    /// No API chosen, this domain, no client metadata: for a command whose own options give
    /// only the domain.
    pub fn with_domain(domain: Option<String>) -> Self {
        ApiArgs {
            api: None,
            domain,
            metadata: ClientMetadataArgs {
                client_metadata: Vec::new(),
            },
            aws: AwsProfileArgs { aws_profile: None },
        }
    }
}

#[derive(Args, Debug)]
pub struct ClientMetadataArgs {
    /// Key and value passed to the user pool's Lambda triggers; repeatable.
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub client_metadata: Vec<(String, String)>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// InitiateAuth with REFRESH_TOKEN_AUTH, SECRET_HASH and DEVICE_KEY.
    InitiateAuth,
    /// GetTokensFromRefreshToken, with the raw client secret.
    GetTokens,
    /// POST /oauth2/token at the user pool's domain, the client secret as HTTP Basic.
    #[value(name = "oauth2")]
    OAuth2,
    /// AdminInitiateAuth with REFRESH_TOKEN_AUTH, signed with AWS credentials
    /// (cognito-idp:AdminInitiateAuth).
    AdminInitiateAuth,
}

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some(("", _)) => Err("the key is empty".into()),
        Some((k, v)) => Ok((k.to_string(), v.to_string())),
        None => Err("expected KEY=VALUE".into()),
    }
}
