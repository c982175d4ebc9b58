//! `cognito-refresh aws-credentials`: temporary AWS credentials for a profile's user, from an
//! identity pool, in the shape an AWS `credential_process` prints (or as `export` lines).

use super::{Ctx, write_stdout};
use crate::cli::args::{AwsCredentialsArgs, AwsOutputFormat};
use crate::cli::aws::fresh_aws;
use crate::cli::output::export;
use crate::cli::profile;
use crate::cli::settings::Flags;
use anyhow::Result;
use cognito_refresh::ExposeSecret;
use cognito_refresh::identity::AwsCredentials;
use cognito_refresh::tokens::rfc3339;
use serde::Serialize;

/// What the AWS CLI and SDKs read from a `credential_process` (version 1).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CredentialProcess<'a> {
    version: u8,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    session_token: &'a str,
    /// RFC 3339, UTC.
    expiration: String,
}

pub fn run(args: AwsCredentialsArgs, ctx: &Ctx) -> Result<()> {
    let mut chosen = profile::require(&ctx.profile, "aws-credentials")?;
    crate::cli::m2m::refuse(&chosen, "aws-credentials")?;
    let flags = Flags {
        identity: Some(&args.identity),
        ..Flags::from(&args.session)
    };
    profile::create_if_absent(&mut chosen, flags, None, &ctx.log)?;
    let settings = chosen.settings(flags);
    let aws = fresh_aws(ctx, &chosen, &settings, &args.freshness)?;
    write_stdout(&render(&aws.credentials, args.output)?)
}

/// The credentials as `format` prints them.
pub fn render(c: &AwsCredentials, format: AwsOutputFormat) -> Result<String> {
    let expiration = rfc3339(c.expiration)?;
    Ok(match format {
        AwsOutputFormat::CredentialProcess => {
            let json = serde_json::to_string_pretty(&CredentialProcess {
                version: 1,
                access_key_id: &c.access_key_id,
                secret_access_key: c.secret_access_key.expose_secret(),
                session_token: c.session_token.expose_secret(),
                expiration,
            })?;
            format!("{json}\n")
        }
        AwsOutputFormat::Env => {
            let lines = [
                export("AWS_ACCESS_KEY_ID", &c.access_key_id),
                export("AWS_SECRET_ACCESS_KEY", c.secret_access_key.expose_secret()),
                export("AWS_SESSION_TOKEN", c.session_token.expose_secret()),
                export("AWS_CREDENTIAL_EXPIRATION", &expiration),
            ];
            format!("{}\n", lines.join("\n"))
        }
    })
}
