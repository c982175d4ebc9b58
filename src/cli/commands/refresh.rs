//! `cognito-refresh refresh`: one refresh, the tokens on stdout. With a profile, the refresh
//! token comes from the profile's store and the new tokens go back into it.

use super::{Ctx, given_options, write_stdout};
use crate::cli::args::{OutputFormat, RefreshArgs};
use crate::cli::log::Log;
use crate::cli::output;
use crate::cli::profile;
use crate::cli::settings::Chosen;
use crate::cli::settings::{Flags, Source, process_env, resolve, value};
use anyhow::Result;
use cognito_refresh::{
    Entry, Error as CoreError, ErrorKind, Need, Outcome, Policy, RefreshApi, Tokens, fresh_tokens,
};
use std::time::Duration;

pub fn run(args: RefreshArgs, ctx: &Ctx) -> Result<()> {
    let log = &ctx.log;
    let flags = Flags::from(&args.session);
    if let Some(chosen) = profile::choose(&ctx.profile)? {
        return run_with_profile(flags, args.output, chosen, ctx);
    }
    let settings = resolve(flags, None, &process_env);
    let api = settings.api.value;
    let tokens = profile::refresh(ctx, given_options(ctx, &settings)?)?;
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
    flags: Flags<'_>,
    output: OutputFormat,
    mut chosen: Chosen,
    ctx: &Ctx,
) -> Result<()> {
    let log = &ctx.log;
    crate::cli::m2m::refuse(&chosen, "refresh")?;
    profile::create_if_absent(&mut chosen, flags, None, log)?;
    let settings = chosen.settings(flags);
    let mut secrets = settings.read_secrets(Some(&chosen), log)?;
    let given = secrets.refresh_token.take();
    let stored = chosen.store.load(&chosen.name)?;
    let seed = match (&stored, given) {
        (None, Some(token)) => {
            let mut seed = Entry::new(settings.require_client_id()?, token);
            seed.device_key = value(&settings.device_key);
            Some(seed)
        }
        (Some(_), Some(_))
            if settings.refresh_token.as_ref().map(|s| s.source) == Some(Source::Flag) =>
        {
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
    let policy = Policy::new(
        Need::Access,
        Duration::ZERO,
        profile::lock_wait(settings.timeout.value),
    )
    .force(true);
    let expected = value(&settings.client_id);
    let (entry, outcome) = fresh_tokens(&chosen.store, &chosen.name, policy, seed, |entry| {
        profile::check_client(entry, expected.as_deref(), &chosen)?;
        profile::refresh_entry(ctx, &settings, &secrets, entry, &chosen.name)
    })?;
    profile::report(&chosen, &entry, &outcome, Need::Access, Duration::ZERO, log);
    match outcome {
        Outcome::Refreshed(tokens) => print(&tokens, output, settings.api.value, log),
        _ => Err(CoreError::new(ErrorKind::Other, "the tokens were not refreshed").into()),
    }
}
