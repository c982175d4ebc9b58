//! `aws-credentials`' options: the identity pool, the output, the freshness, and the stored
//! session whose ID token logs in.

use super::identity::IdentityArgs;
use super::subcommands::{FreshnessArgs, StoredSessionArgs};
use clap::{Args, ValueEnum};

#[derive(Args, Debug)]
#[command(mut_arg("endpoint_url", |a| a.help(
    "Send requests here instead of Cognito's regional endpoints, for the user pool and the \
     identity pool (an emulator) [env: AWS_ENDPOINT_URL_COGNITO_IDENTITY for the identity pool, \
     AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER for the user pool, AWS_ENDPOINT_URL]. Plain \
     http:// only for loopback hosts")))]
pub struct AwsCredentialsArgs {
    #[command(flatten)]
    pub identity: IdentityArgs,

    /// What to print on stdout.
    #[arg(long, short, value_enum, value_name = "FORMAT",
          default_value_t = AwsOutputFormat::CredentialProcess)]
    pub output: AwsOutputFormat,

    #[command(flatten)]
    pub freshness: FreshnessArgs,

    #[command(flatten)]
    pub session: StoredSessionArgs,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsOutputFormat {
    /// The JSON the AWS CLI and SDKs read from a `credential_process`: Version, AccessKeyId,
    /// SecretAccessKey, SessionToken, Expiration.
    CredentialProcess,
    /// `export AWS_ACCESS_KEY_ID='...'` lines (and the secret key, session token, expiration),
    /// safe to eval.
    Env,
}
