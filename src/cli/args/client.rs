//! The app client: its id and its secret.

use super::parse::secret;
use clap::Args;
use secrecy::SecretString;
use std::path::PathBuf;

/// The app client the refresh token was issued to, and its secret.
#[derive(Args, Debug)]
pub struct ClientArgs {
    /// The app client id the refresh token was issued to (or the profile's client_id)
    /// [env: COGNITO_CLIENT_ID].
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,

    /// Read the app client's secret from a file (`-`: standard input).
    #[arg(long, value_name = "PATH", conflicts_with = "client_secret")]
    pub client_secret_file: Option<PathBuf>,

    /// The app client's secret. Prefer the environment variable or --client-secret-file
    /// [env: COGNITO_CLIENT_SECRET].
    #[arg(long, value_name = "SECRET", value_parser = secret)]
    pub client_secret: Option<SecretString>,
}
