//! `cognito-refresh refresh`: one refresh, the tokens on stdout.

use super::{runtime, write_stdout};
use crate::cli::{OutputFormat, RefreshArgs};
use crate::input::refresh_options;
use crate::log::Log;
use crate::output;
use anyhow::Result;
use clap::ArgMatches;

pub fn run(args: RefreshArgs, matches: &ArgMatches, log: &Log) -> Result<()> {
    let options = refresh_options(args.request, matches, log)?;
    let api = options.api;
    let tokens = runtime()?.block_on(async {
        let plan = cognito_refresh::plan(options).await?;
        log.notes(&plan.notes);
        cognito_refresh::refresh(&plan).await
    })?;
    if tokens.refresh_token.is_some()
        && matches!(
            args.output,
            OutputFormat::AccessToken | OutputFormat::IdToken
        )
    {
        log.warn(
            "Cognito rotated the refresh token and this output format leaves the new one out: \
             the old one stops working after the client's grace period; use --output json or env",
        );
    }
    if let Some(device) = &tokens.new_device {
        log.info(&format!(
            "Cognito returned a new device {} (confirm it with ConfirmDevice to remember it)",
            device.device_key.as_deref().unwrap_or("(no key)")
        ));
    }
    write_stdout(&output::render_tokens(&tokens, args.output, api)?)
}
