//! `cognito-refresh refresh`: one refresh, the tokens on stdout. With a profile, the refresh
//! token comes from the profile's store and the new tokens go back into it.

use super::{runtime, write_stdout};
use crate::cli::args::{OutputFormat, ProfileArgs, RefreshArgs};
use crate::cli::input::{self, refresh_options};
use crate::cli::log::Log;
use crate::cli::output;
use crate::cli::profile::{self, Chosen};
use anyhow::Result;
use clap::ArgMatches;
use clap::parser::ValueSource;
use cognito_refresh::{
    Entry, Error as CoreError, ErrorKind, Need, Outcome, Policy, RefreshApi, Tokens, fresh_tokens,
};
use std::time::Duration;

pub fn run(args: RefreshArgs, global: &ProfileArgs, matches: &ArgMatches, log: &Log) -> Result<()> {
    if let Some(chosen) = profile::choose(global)? {
        return run_with_profile(args, chosen, matches, log);
    }
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
    print(&tokens, args.output, api, log)
}

fn print(tokens: &Tokens, format: OutputFormat, api: RefreshApi, log: &Log) -> Result<()> {
    if let Some(device) = &tokens.new_device {
        log.info(&format!(
            "Cognito returned a new device {} (confirm it with ConfirmDevice to remember it)",
            device.device_key.as_deref().unwrap_or("(no key)")
        ));
    }
    write_stdout(&output::render_tokens(tokens, format, api)?)
}

/// Always refreshes (under the profile's lock), with the stored refresh token; the new tokens,
/// and a rotated refresh token, are stored before they are printed. When the store has no
/// tokens yet, a refresh token given the usual ways starts it.
fn run_with_profile(
    args: RefreshArgs,
    mut chosen: Chosen,
    matches: &ArgMatches,
    log: &Log,
) -> Result<()> {
    profile::create_if_absent(&mut chosen, &args.request, matches, log)?;
    let timeout = args.request.connection.timeout;
    let mut request = input::request(args.request, matches, log, Some(&chosen))?;
    let given = request.refresh_token.take();
    let stored = chosen.store.load(&chosen.name)?;
    let seed = match (&stored, given) {
        (None, Some(token)) => {
            let client_id = request.client_id.clone().ok_or_else(|| {
                CoreError::usage(
                    "no app client id: pass --client-id ID (or set COGNITO_CLIENT_ID), or \
                     client_id in the profile",
                )
            })?;
            let mut seed = Entry::new(client_id, token);
            seed.device_key = request.device_key.clone();
            Some(seed)
        }
        (Some(_), Some(_)) if request.refresh_token_source == Some(ValueSource::CommandLine) => {
            return Err(CoreError::usage(format!(
                "profile {} has a stored refresh token, which is the one used; to replace it, \
                 use `cognito-refresh store --profile {}`",
                chosen.name, chosen.name
            ))
            .into());
        }
        (Some(_), Some(_)) => {
            log.info(&format!(
                "COGNITO_REFRESH_TOKEN is not used: profile {} has a stored refresh token (the \
                 variable may hold one that was rotated out)",
                chosen.name
            ));
            None
        }
        (None, None) if chosen.profile().is_none() => return Err(profile::unknown(&chosen).into()),
        (_, None) => None,
    };
    let api = request.api;
    let policy = Policy {
        need: Need::Access,
        min_ttl: Duration::ZERO,
        force: true,
        lock_wait: Duration::from_secs_f64(timeout * 2.0) + Duration::from_secs(5),
    };
    let expected = request.client_id.clone();
    let (entry, outcome) = fresh_tokens(&chosen.store, &chosen.name, policy, seed, |entry| {
        if let Some(id) = &expected
            && *id != entry.client_id
        {
            return Err(CoreError::usage(format!(
                "the tokens stored for profile {} were issued to app client {}, not {id}: save \
                 a refresh token of {id} with `cognito-refresh store --profile {}`",
                chosen.name, entry.client_id, chosen.name
            ))
            .into());
        }
        profile::refresh_entry(request, entry, log)
    })?;
    profile::report(&chosen, &entry, &outcome, Need::Access, Duration::ZERO, log);
    match outcome {
        Outcome::Refreshed(tokens) => print(&tokens, args.output, api, log),
        _ => Err(CoreError::new(ErrorKind::Other, "the tokens were not refreshed").into()),
    }
}
