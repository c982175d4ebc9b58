//! `cognito-refresh logout`: RevokeToken (or GlobalSignOut), then the profile's tokens leave
//! the store.

use super::Ctx;
use crate::cli::args::LogoutArgs;
use crate::cli::commands::forget_device::{stored, valid_access};
use crate::cli::hints::Hinted;
use crate::cli::profile;
use crate::cli::settings::{Chosen, Flags};
use anyhow::Result;
use cognito_refresh::Error as CoreError;
use cognito_refresh::signin;
use std::time::Duration;

pub fn run(args: LogoutArgs, ctx: &Ctx) -> Result<()> {
    let log = &ctx.log;
    let chosen = profile::require(&ctx.profile, "logout")?;
    let entry = stored(&chosen)?;
    let settings = chosen.settings(Flags::from(&args.session));
    if entry.client_credentials.is_some() && !args.global {
        // An app client's own token: no session to end, no refresh token to revoke.
        return remove(&chosen, ctx);
    }
    let secrets = settings.read_secrets(Some(&chosen), log)?;
    let what = if args.global {
        "GlobalSignOut"
    } else {
        "RevokeToken"
    };
    let result: Result<()> = (|| {
        let rt = ctx.runtime()?;
        let connection = rt.block_on(settings.target().connection())?;
        if args.global {
            let entry = valid_access(ctx, &chosen, &settings, &secrets)?;
            let access = entry.access_token.ok_or_else(|| {
                CoreError::usage(format!("profile {} has no access token", chosen.name))
            })?;
            rt.block_on(signin::global_sign_out(&connection, &access))?;
        } else {
            // The client that issued the refresh token, with its secret when it has one.
            rt.block_on(signin::revoke_token(
                &connection,
                &entry.client_id,
                secrets.client_secret.as_ref(),
                &entry.refresh_token,
            ))?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => log.info(&format!("{what} succeeded")),
        Err(e) if args.force => log.warn(&format!(
            "{what} failed ({e:#}); removing the stored tokens anyway (--force)"
        )),
        Err(e) => {
            let hint = format!(
                "nothing was removed from the store; `logout --profile {} --force` removes the \
                 stored tokens anyway",
                chosen.name
            );
            return Err(Hinted::wrap(e, hint));
        }
    }
    remove(&chosen, ctx)?;
    if let Some(key) = &entry.device_key {
        log.notice(&format!(
            "device {key} stays remembered by the user pool, but its password left the store: \
             `forget-device` before `logout` makes the user pool forget it too"
        ));
    }
    Ok(())
}

/// Removes the profile's tokens from the store, under its lock.
fn remove(chosen: &Chosen, ctx: &Ctx) -> Result<()> {
    let lock = chosen.store.lock(&chosen.name, Duration::from_secs(30))?;
    chosen.store.remove(&lock)?;
    drop(lock);
    ctx.log.notice(&format!(
        "signed out: removed the tokens of profile {} from {}",
        chosen.name, chosen.store
    ));
    Ok(())
}
