//! `cognito-refresh login`: sign in, answer the challenges, and hand the tokens on.

use super::{runtime, write_stdout};
use crate::cli::{ConnectionArgs, Flow, LoginArgs, OutputFormat};
use crate::input::{env_var, read_secret};
use crate::log::Log;
use crate::output;
use crate::prompt::CliPrompter;
use anyhow::Result;
use clap::ArgMatches;
use clap::parser::ValueSource;
use cognito_refresh::login::{self, LoginOptions, Target};
use cognito_refresh::{Error as CoreError, RefreshApi};
use std::time::Duration;

pub fn run(args: LoginArgs, matches: &ArgMatches, log: &Log) -> Result<()> {
    if !args.print {
        return Err(CoreError::usage(
            "login needs --print: the tokens are printed on stdout (there is no token store to \
             keep them in yet)",
        )
        .into());
    }
    if args.remember_device {
        return Err(CoreError::usage(
            "--remember-device needs a token store to keep the device's password in",
        )
        .into());
    }
    if matches.value_source("client_secret") == Some(ValueSource::CommandLine) {
        log.warn(
            "--client-secret on the command line can be read by other local users; prefer \
             COGNITO_CLIENT_SECRET or --client-secret-file",
        );
    }
    let client_id = args
        .client_id
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .ok_or_else(|| CoreError::usage("no app client id: pass --client-id"))?;
    let username = args
        .username
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| CoreError::usage("no username: pass --username"))?;

    let mut prompter = CliPrompter::new();
    let client_secret = read_secret(
        args.client_secret_file.as_deref(),
        args.client_secret,
        "client secret",
        &mut prompter.stdin,
    )?;
    prompter.password_file = args.password_file;
    prompter.new_password_file = args.new_password_file;
    prompter.mfa_code = args.mfa_code;
    prompter.mfa_type = args.mfa_type.map(|t| t.challenge());

    let options = LoginOptions {
        client_id,
        client_secret,
        username,
        flow: match args.flow {
            Flow::Srp => login::Flow::Srp,
            Flow::Password => login::Flow::Password,
        },
        device: None,
        client_metadata: args.client_metadata,
        target: target(args.connection),
    };
    let signed_in = runtime()?.block_on(login::login(&options, &mut prompter))?;
    log.notes(&signed_in.notes);
    if !signed_in.challenges.is_empty() {
        log.info(&format!("answered {}", signed_in.challenges.join(", ")));
    }
    log.info(&format!(
        "signed in as {:?} (the user's Cognito username)",
        signed_in.username
    ));
    if let Some(device) = &signed_in.tokens.new_device {
        log.info(&format!(
            "the user pool offers to remember this device ({})",
            device.device_key.as_deref().unwrap_or("no key")
        ));
    }
    write_stdout(&output::render_tokens(
        &signed_in.tokens,
        OutputFormat::Json,
        RefreshApi::InitiateAuth,
    )?)
}

/// Where Cognito is, with the environment fallbacks `refresh` has.
fn target(c: ConnectionArgs) -> Target {
    Target {
        region: c
            .region
            .or_else(|| env_var("AWS_REGION"))
            .or_else(|| env_var("AWS_DEFAULT_REGION")),
        user_pool_id: c.user_pool_id,
        endpoint_url: c
            .endpoint_url
            .or_else(|| env_var("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"))
            .or_else(|| env_var("AWS_ENDPOINT_URL")),
        timeout: Duration::from_secs_f64(c.timeout),
        max_attempts: 3,
        use_aws_profile_region: true,
    }
}
