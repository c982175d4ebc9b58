//! `cognito-refresh forget-device`: Cognito forgets the profile's remembered device, and the
//! store drops it.

use super::Ctx;
use crate::cli::args::ForgetDeviceArgs;
use crate::cli::profile;
use crate::cli::secrets::Secrets;
use crate::cli::settings::Chosen;
use crate::cli::settings::{Flags, Settings};
use anyhow::Result;
use cognito_refresh::signin;
use cognito_refresh::{Entry, Error as CoreError, Need, Policy, fresh_tokens};
use std::time::Duration;

pub fn run(args: ForgetDeviceArgs, ctx: &Ctx) -> Result<()> {
    let log = &ctx.log;
    let chosen = profile::require(&ctx.profile, "forget-device")?;
    crate::cli::m2m::refuse(&chosen, "forget-device")?;
    let stored = stored(&chosen)?;
    let key = stored.device_key.clone().ok_or_else(|| {
        CoreError::usage(format!(
            "profile {} has no remembered device (sign in with `login --remember-device` to \
             remember one)",
            chosen.name
        ))
    })?;
    let settings = chosen.settings(Flags::from(&args.session));
    let secrets = settings.read_secrets(Some(&chosen), log)?;
    let entry = valid_access(ctx, &chosen, &settings, &secrets)?;
    let access = entry
        .access_token
        .clone()
        .ok_or_else(|| CoreError::usage(format!("profile {} has no access token", chosen.name)))?;
    let rt = ctx.runtime()?;
    let connection = rt.block_on(settings.target().connection())?;
    match rt.block_on(signin::forget_device(&connection, &access, &key)) {
        Ok(()) => {}
        // Already gone there: only the store still has it.
        Err(e) if e.code() == Some("ResourceNotFoundException") => log.warn(&format!(
            "the user pool no longer knows device {key} ({e}); removing it from the store"
        )),
        Err(e) => return Err(e.into()),
    }
    let lock = chosen.store.lock(&chosen.name, Duration::from_secs(30))?;
    if let Some(mut entry) = chosen.store.load(&chosen.name)?
        && entry.device_key.as_deref() == Some(key.as_str())
    {
        entry.device_key = None;
        entry.device_group_key = None;
        entry.device_password = None;
        chosen.store.save(&lock, &entry)?;
    }
    log.notice(&format!("forgot device {key} of profile {}", chosen.name));
    Ok(())
}

/// The profile's stored tokens; an error when there are none.
pub fn stored(chosen: &Chosen) -> Result<Entry> {
    chosen.store.load(&chosen.name)?.ok_or_else(|| {
        CoreError::usage(format!(
            "no tokens are stored for profile {} (in {}): sign in with `cognito-refresh login \
             --profile {}`",
            chosen.name, chosen.store, chosen.name
        ))
        .into()
    })
}

/// The stored tokens with an access token valid for at least a minute, refreshed (and stored)
/// first when needed.
pub fn valid_access(
    ctx: &Ctx,
    chosen: &Chosen,
    settings: &Settings,
    secrets: &Secrets,
) -> Result<Entry> {
    let policy = Policy::new(
        Need::Access,
        Duration::from_secs(60),
        profile::lock_wait(settings.timeout.value),
    )
    .force(false);
    let (entry, _) = fresh_tokens(&chosen.store, &chosen.name, policy, None, |entry| {
        profile::refresh_entry(ctx, settings, secrets, entry, &chosen.name)
    })?;
    Ok(entry)
}
