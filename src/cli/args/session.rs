//! Tokens of the session (expired is fine): what their claims tell.

use super::parse::secret;
use clap::Args;
use secrecy::SecretString;

#[derive(Args, Debug)]
pub struct SessionTokenArgs {
    /// An access token of the session (expired is fine): username, device key and region are
    /// read from its claims.
    #[arg(long, value_name = "JWT", value_parser = secret)]
    pub access_token: Option<SecretString>,

    /// An ID token of the session (expired is fine): username and region are read from its claims.
    #[arg(long, value_name = "JWT", value_parser = secret)]
    pub id_token: Option<SecretString>,
}
