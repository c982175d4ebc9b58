//! `verify`: the token to check, and what the API expects of it.

use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Read the token from a file (`-`: standard input). Without it: the profile's stored
    /// token with --profile, else standard input.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,

    /// With --profile: check its ID token instead of its access token.
    #[arg(long)]
    pub id: bool,

    /// The app client the API expects: `client_id` of an access token, `aud` of an ID token
    /// [env: COGNITO_CLIENT_ID].
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,

    /// The user pool the API trusts, e.g. eu-west-1_AbC123: the issuer, and the signing keys
    /// [env: COGNITO_USER_POOL_ID]. Else the pool the token names.
    #[arg(long, value_name = "ID")]
    pub user_pool_id: Option<String>,

    /// The token the API expects; with --scope, access.
    #[arg(long, value_enum, value_name = "USE")]
    pub token_use: Option<TokenUseArg>,

    /// A scope the API requires (repeatable, or space-separated): e.g. orders/read.
    #[arg(long, value_name = "SCOPE")]
    pub scope: Vec<String>,

    /// Fetch the signing keys here instead of Cognito (an emulator):
    /// URL/<pool>/.well-known/jwks.json [env: AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER,
    /// AWS_ENDPOINT_URL]. Plain http:// only for loopback hosts.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Give up fetching the signing keys after this many seconds [default: 10].
    #[arg(long, value_name = "SECONDS", value_parser = super::connection::parse_timeout)]
    pub timeout: Option<f64>,

    /// How to print the report.
    #[arg(long, short, value_enum, value_name = "FORMAT", default_value_t = VerifyFormat::Human)]
    pub output: VerifyFormat,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyFormat {
    /// One line per check with its status, the fix under each failure, then the result.
    Human,
    /// {"valid": bool, "checks": [{"id", "status", "summary", "fix"}]}.
    Json,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUseArg {
    /// An access token (token_use access): APIs that check scopes.
    Access,
    /// An ID token (token_use id).
    Id,
}

impl VerifyArgs {
    /// The app client and connection settings, as the option groups the resolver reads: the
    /// expected client id and user pool, the endpoint and the timeout.
    pub fn groups(&self) -> (super::client::ClientArgs, super::connection::ConnectionArgs) {
        let client = super::client::ClientArgs {
            client_id: self.client_id.clone(),
            client_secret_file: None,
            client_secret: None,
        };
        let connection = super::connection::ConnectionArgs {
            region: None,
            user_pool_id: self.user_pool_id.clone(),
            endpoint_url: self.endpoint_url.clone(),
            timeout: self.timeout,
        };
        (client, connection)
    }

    /// The scopes, each `--scope` split at whitespace.
    pub fn scopes(&self) -> Vec<String> {
        self.scope
            .iter()
            .flat_map(|s| s.split_whitespace())
            .map(str::to_string)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Cli, Command};
    use super::*;
    use clap::Parser as _;

    fn parse(args: &[&str]) -> Result<VerifyArgs, clap::Error> {
        let cli = Cli::try_parse_from([&["cognito-refresh", "verify"], args].concat())?;
        match cli.command {
            Command::Verify(v) => Ok(*v),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn expectations_and_sources() {
        let v = parse(&[
            "--token-file",
            "-",
            "--client-id",
            "c1",
            "--user-pool-id",
            "eu-west-1_A",
            "--token-use",
            "access",
            "--scope",
            "a/read b/write",
            "--scope",
            "c/x",
            "-o",
            "json",
        ])
        .unwrap();
        assert_eq!(v.token_use, Some(TokenUseArg::Access));
        assert_eq!(v.scopes(), ["a/read", "b/write", "c/x"]);
        assert_eq!(v.output, VerifyFormat::Json);
        let (client, connection) = v.groups();
        assert_eq!(client.client_id.as_deref(), Some("c1"));
        assert_eq!(connection.user_pool_id.as_deref(), Some("eu-west-1_A"));
        for bad in [
            &["--token-use", "refresh"][..],
            &["--timeout", "0"],
            &["--region", "x"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
