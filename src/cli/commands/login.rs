//! `cognito-refresh login`: sign in, answer the challenges, remember the device when asked,
//! and keep the tokens in the profile's store.

use super::{Ctx, sign_in_settings, write_stdout};
use crate::cli::args::{Flow, LoginArgs, OutputFormat};
use crate::cli::hints::Hinted;
use crate::cli::output;
use crate::cli::profile;
use crate::cli::prompt::CliPrompter;
use crate::cli::settings::Chosen;
use crate::cli::settings::{Flags, value};
use anyhow::Result;
use cognito_refresh::signin::{self, LoginOptions, RememberedDevice};
use cognito_refresh::{Entry, Error as CoreError, ErrorKind, RefreshApi};
use std::path::Path;
use std::time::Duration;

pub fn run(args: LoginArgs, ctx: &Ctx) -> Result<()> {
    if args.flow == Flow::Browser {
        return super::login_browser::run(args, ctx);
    }
    super::login_browser::refuse_sign_in_options(&args)?;
    let log = &ctx.log;
    let mut chosen = profile::choose(&ctx.profile)?;
    if let Some(chosen) = &chosen {
        crate::cli::m2m::refuse(chosen, "login")?;
    }
    if chosen.is_none() {
        if args.remember_device {
            return Err(CoreError::usage(
                "--remember-device keeps the device's password in a profile's token store: pass \
                 --profile NAME (or set COGNITO_PROFILE)",
            )
            .into());
        }
        if !args.print {
            return Err(CoreError::usage(
                "login keeps the tokens in a profile's token store: pass --profile NAME (or set \
                 COGNITO_PROFILE), or --print to only print them",
            )
            .into());
        }
    }
    let stdin = |p: &Option<std::path::PathBuf>| p.as_deref() == Some(Path::new("-"));
    if stdin(&args.client.client_secret_file) && stdin(&args.password_file) {
        return Err(CoreError::usage(
            "the client secret and the password cannot both come from standard input",
        )
        .into());
    }
    let flags = Flags::from(&args);
    if let Some(chosen) = chosen.as_mut() {
        // The username is not saved in a new profile: it may be an alias, and refreshes need
        // the real username, which the stored tokens give.
        let creating = Flags {
            username: None,
            ..flags
        };
        let api = (args.flow == Flow::AdminPassword).then_some(RefreshApi::AdminInitiateAuth);
        profile::create_if_absent(chosen, creating, api, log)?;
    }
    let (settings, secrets, client_id) = sign_in_settings(flags, chosen.as_ref(), log)?;
    let username = value(&settings.username)
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| {
            CoreError::usage(
                "no username: pass --username NAME (or set COGNITO_USERNAME, or username in the \
                 profile)",
            )
        })?;
    // The profile's lock is taken, and its store proved writable (the new file begun, its room
    // reserved), before anything is sent: a session, or a confirmed device's password, that
    // could not be kept would be lost.
    let (lock, pending, stored) = match &chosen {
        Some(c) => {
            let lock = c.store.lock(&c.name, Duration::from_secs(30))?;
            let stored = c.store.load(&c.name)?;
            let pending = c.store.begin_save(&lock, stored.as_ref())?;
            (Some(lock), Some(pending), stored)
        }
        None => (None, None, None),
    };
    let device = stored
        .as_ref()
        .filter(|e| e.client_id == client_id)
        .and_then(remembered);
    let remember = args.remember_device
        || chosen
            .as_ref()
            .and_then(Chosen::profile)
            .and_then(|p| p.remember_device)
            .unwrap_or(false);
    let flow = match args.flow {
        Flow::Srp => signin::Flow::Srp,
        Flow::Password | Flow::Browser => signin::Flow::Password,
        Flow::AdminPassword => signin::Flow::AdminPassword,
    };
    if remember && flow != signin::Flow::Srp {
        log.warn(&format!(
            "remembered devices need a USER_SRP_AUTH session: user pools that track devices \
             refuse to refresh tokens from {} (drop --flow)",
            flow.auth_flow()
        ));
    }

    let mut prompter = CliPrompter::new();
    prompter.password_file = args.password_file;
    prompter.new_password_file = args.new_password_file;
    prompter.mfa_code = args.mfa_code;
    prompter.mfa_type = args.mfa_type.map(|t| t.challenge());
    let options = LoginOptions::new(client_id.clone(), username, settings.target())
        .flow(flow)
        .set_client_secret(secrets.client_secret.clone())
        .set_device(device.clone())
        .set_client_metadata(settings.client_metadata.clone())
        .set_aws_profile(value(&settings.aws_profile));
    let rt = ctx.runtime()?;
    let signed_in = rt.block_on(signin::login(&options, &mut prompter))?;
    log.notes(&signed_in.notes);
    if !signed_in.challenges.is_empty() {
        log.info(&format!("answered {}", signed_in.challenges.join(", ")));
    }
    let tokens = &signed_in.tokens;
    let used_device = signed_in
        .challenges
        .iter()
        .any(|c| c == "DEVICE_PASSWORD_VERIFIER");
    let mut kept_device = if used_device { device } else { None };
    // A failed ConfirmDevice must not lose the session: the tokens are saved first.
    let mut confirm_error = None;
    if let Some(offered) = &tokens.new_device {
        let key = offered.device_key.as_deref().unwrap_or("(no key)");
        if remember {
            let confirmed = rt.block_on(async {
                let connection = options.target().connection().await?;
                signin::confirm_device(
                    &connection,
                    &tokens.access_token,
                    offered,
                    Some(&device_name()),
                )
                .await
            });
            match confirmed {
                Ok(confirmed) => {
                    if chosen.is_some() {
                        log.notice(&format!("remembered this device as {key}"));
                    }
                    kept_device = Some(confirmed);
                }
                Err(e) => confirm_error = Some(e),
            }
        } else {
            log.warn(&format!(
                "the user pool offers to remember this device ({key}); it is not confirmed, and \
                 a pool that always tracks devices refuses to refresh without a confirmed one: \
                 sign in with --remember-device"
            ));
        }
    }

    if let (Some(chosen), Some(pending)) = (&chosen, pending) {
        let refresh_token = tokens.refresh_token.clone().ok_or_else(|| {
            CoreError::new(ErrorKind::Other, "the sign-in returned no refresh token")
        })?;
        let mut entry = Entry::new(client_id, refresh_token);
        entry.update(tokens);
        // A sign-in, not a refresh: nothing is known of rotation yet.
        entry.rotation = None;
        entry.device_key = kept_device.as_ref().map(|d| d.device_key.clone());
        entry.device_group_key = kept_device.as_ref().map(|d| d.device_group_key.clone());
        entry.device_password = kept_device.as_ref().map(|d| d.device_password.clone());
        pending.commit(&entry)?;
        drop(lock);
        log.notice(&format!(
            "signed in as {}; tokens saved for profile {} in {}",
            signed_in.username,
            chosen.name,
            chosen.store.location(&chosen.name)
        ));
    }
    if args.print {
        write_stdout(&output::render_tokens(
            tokens,
            OutputFormat::Json,
            RefreshApi::InitiateAuth,
        )?)?;
    }
    match confirm_error {
        Some(e) => Err(Hinted::wrap(
            e,
            "the sign-in succeeded and its tokens were kept, without the device",
        )),
        None => Ok(()),
    }
}

/// The stored device, when all of it is there.
fn remembered(entry: &Entry) -> Option<RememberedDevice> {
    Some(RememberedDevice::new(
        entry.device_key.clone()?,
        entry.device_group_key.clone()?,
        entry.device_password.clone()?,
    ))
}

/// The name the device is confirmed with, as the user pool's console lists it.
fn device_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    if host.is_empty() {
        "cognito-refresh".to_string()
    } else {
        format!("cognito-refresh on {host}")
    }
}
