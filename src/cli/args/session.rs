//! Tokens of the session (expired is fine): what their claims tell. Like every secret, best
//! given by file or standard input: values on the command line can be read by other local users.

use super::parse::secret;
use clap::Args;
use secrecy::SecretString;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct SessionTokenArgs {
    /// Read an access token of the session (expired is fine) from a file (`-`: standard
    /// input): username, device key and region are read from its claims.
    #[arg(long, value_name = "PATH", conflicts_with = "access_token")]
    pub access_token_file: Option<PathBuf>,

    /// An access token of the session. Prefer --access-token-file.
    #[arg(long, value_name = "JWT", value_parser = secret)]
    pub access_token: Option<SecretString>,

    /// Read an ID token of the session (expired is fine) from a file (`-`: standard input):
    /// username and region are read from its claims.
    #[arg(long, value_name = "PATH", conflicts_with = "id_token")]
    pub id_token_file: Option<PathBuf>,

    /// An ID token of the session. Prefer --id-token-file.
    #[arg(long, value_name = "JWT", value_parser = secret)]
    pub id_token: Option<SecretString>,
}
