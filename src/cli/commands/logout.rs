//! `cognito-refresh logout`: RevokeToken (or GlobalSignOut), then the profile's tokens leave
//! the store.

use super::runtime;
use crate::cli::args::{LogoutArgs, ProfileArgs};
use crate::cli::commands::forget_device::{stored, valid_access};
use crate::cli::commands::login::target;
use crate::cli::hints::Hinted;
use crate::cli::input;
use crate::cli::log::Log;
use crate::cli::profile;
use anyhow::Result;
use clap::ArgMatches;
use cognito_refresh::Error as CoreError;
use cognito_refresh::signin;
use std::time::Duration;

pub fn run(args: LogoutArgs, global: &ProfileArgs, matches: &ArgMatches, log: &Log) -> Result<()> {
    let chosen = profile::require(global, "logout")?;
    let entry = stored(&chosen)?;
    let req = input::request(args.settings.into_request(), matches, log, Some(&chosen))?;
    let what = if args.global {
        "GlobalSignOut"
    } else {
        "RevokeToken"
    };
    let result: Result<()> = (|| {
        let rt = runtime()?;
        let connection = rt.block_on(target(&req).connection())?;
        if args.global {
            let entry = valid_access(&chosen, &req, log)?;
            let access = entry.access_token.ok_or_else(|| {
                CoreError::usage(format!("profile {} has no access token", chosen.name))
            })?;
            rt.block_on(signin::global_sign_out(&connection, &access))?;
        } else {
            // The client that issued the refresh token, with its secret when it has one.
            rt.block_on(signin::revoke_token(
                &connection,
                &entry.client_id,
                req.client_secret.as_ref(),
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
    let lock = chosen.store.lock(&chosen.name, Duration::from_secs(30))?;
    chosen.store.remove(&lock)?;
    drop(lock);
    log.notice(&format!(
        "signed out: removed the tokens of profile {} from {}",
        chosen.name,
        chosen.store.dir().display()
    ));
    if let Some(key) = &entry.device_key {
        log.notice(&format!(
            "device {key} stays remembered by the user pool, but its password left the store: \
             `forget-device` before `logout` makes the user pool forget it too"
        ));
    }
    Ok(())
}
