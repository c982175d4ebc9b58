//! The refresh token, from a file, standard input or a value.

use super::parse::secret;
use clap::Args;
use secrecy::SecretString;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct RefreshTokenArgs {
    /// Read the refresh token from a file (`-`: standard input).
    #[arg(long, value_name = "PATH", conflicts_with = "refresh_token")]
    pub refresh_token_file: Option<PathBuf>,

    /// The refresh token. Prefer the environment variable or --refresh-token-file
    /// [env: COGNITO_REFRESH_TOKEN].
    #[arg(long, value_name = "TOKEN", value_parser = secret)]
    pub refresh_token: Option<SecretString>,
}
