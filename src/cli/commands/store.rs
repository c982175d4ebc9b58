//! `cognito-refresh store`: save a refresh token, and optionally access and ID tokens, in a
//! profile's token store.

use super::Ctx;
use crate::cli::args::StoreArgs;
use crate::cli::input::{StdinOnce, read_limited};
use crate::cli::log::Log;
use crate::cli::profile;
use crate::cli::settings::Chosen;
use crate::cli::settings::{Flags, Setting, Source, value};
use anyhow::Result;
use cognito_refresh::api::plan::check_refresh_token;
use cognito_refresh::jwt::{self, Claims};
use cognito_refresh::{Entry, Error as CoreError, ExposeSecret, SecretString};
use std::io::IsTerminal as _;
use std::time::Duration;

pub fn run(args: StoreArgs, ctx: &Ctx) -> Result<()> {
    let log = &ctx.log;
    let mut chosen = profile::require(&ctx.profile, "store")?;
    crate::cli::m2m::refuse(&chosen, "store")?;
    let flags = Flags::from(&args.session);
    profile::create_if_absent(&mut chosen, flags, None, log)?;
    let mut settings = chosen.settings(flags);
    settings.warn_secrets_on_command_line(log);

    let mut stdin = StdinOnce::default();
    let given = settings.read_refresh_token(&mut stdin)?;
    let (access_token, id_token) = settings.read_session_tokens(&mut stdin)?;
    let refresh_token = match (given, stdin.taken_by()) {
        (Some(token), _) => token,
        (None, Some(other)) => {
            return Err(CoreError::usage(format!(
                "no refresh token: standard input gives the {other}; set COGNITO_REFRESH_TOKEN, \
                 or pass --refresh-token-file PATH"
            ))
            .into());
        }
        (None, None) if !std::io::stdin().is_terminal() => {
            let token = read_limited(std::io::stdin().lock(), "standard input")?;
            if token.expose_secret().is_empty() {
                return Err(CoreError::usage(
                    "no refresh token: standard input is empty; pipe the token to it, set \
                     COGNITO_REFRESH_TOKEN, or pass --refresh-token-file PATH",
                )
                .into());
            }
            token
        }
        (None, None) => {
            return Err(CoreError::usage(
                "no refresh token: pipe it to standard input, set COGNITO_REFRESH_TOKEN, or pass \
                 --refresh-token-file PATH",
            )
            .into());
        }
    };
    check_refresh_token(refresh_token.expose_secret())?;

    let client_id = value(&settings.client_id).ok_or_else(|| {
        CoreError::usage(format!(
            "no app client id for profile {}: pass --client-id ID (it is saved in the new \
             profile), or add client_id to the profile in {}",
            chosen.name,
            chosen.config.path.display()
        ))
    })?;
    let access = token_claims(access_token.as_ref(), "access token")?;
    let id = token_claims(id_token.as_ref(), "ID token")?;
    for (claims, what) in [(&access, "access token"), (&id, "ID token")] {
        if let Some(other) = claims.as_ref().and_then(Claims::client_id)
            && other != client_id
        {
            log.warn(&format!(
                "the {what} was issued to app client {other}, not {client_id}"
            ));
        }
    }
    // The device key given, else the access token's.
    settings.device_key = settings
        .device_key
        .filter(|k| !k.value.trim().is_empty())
        .or_else(|| {
            access
                .as_ref()
                .and_then(Claims::device_key)
                .map(|k| Setting::new(k.to_string(), Source::TokenClaim))
        });
    log.info(&settings.describe(Some(&chosen.name)));

    let mut entry = Entry::new(client_id, refresh_token);
    entry.expires_at = access.as_ref().and_then(Claims::expires);
    if access_token.is_some() && entry.expires_at.is_none() {
        return Err(CoreError::usage("the access token given has no exp claim").into());
    }
    entry.access_token = access_token;
    entry.id_token = id_token;
    entry.device_key = value(&settings.device_key);
    save(&chosen, entry, args.force, log)
}

/// The claims of a token given to store; it must be a JWT.
fn token_claims(token: Option<&SecretString>, what: &str) -> Result<Option<Claims>> {
    token
        .map(|t| {
            jwt::decode(t.expose_secret().trim())
                .map(|j| j.claims)
                .map_err(|e| {
                    CoreError::usage(format!("the {what} given cannot be read: {e}")).into()
                })
        })
        .transpose()
}

fn save(chosen: &Chosen, mut entry: Entry, force: bool, log: &Log) -> Result<()> {
    let store = &chosen.store;
    let lock = store.lock(&chosen.name, Duration::from_secs(30))?;
    // What is there must be readable: a corrupt file is reported and left as it is.
    if let Some(old) = store.load(&chosen.name)? {
        if old.refresh_token.expose_secret() == entry.refresh_token.expose_secret()
            && entry.access_token.is_none()
        {
            log.notice(&format!(
                "profile {} already holds this refresh token; its tokens are kept",
                chosen.name
            ));
            return Ok(());
        }
        if old.rotation == Some(true)
            && old.refresh_token.expose_secret() != entry.refresh_token.expose_secret()
        {
            if !force {
                return Err(CoreError::usage(format!(
                    "profile {name} holds a refresh token that Cognito rotated, newer than the \
                     one given (which may have been rotated out, and Cognito refuses those); \
                     nothing was changed: to replace it all the same, pass --force",
                    name = chosen.name
                ))
                .into());
            }
            log.warn(&format!(
                "profile {} held a refresh token that Cognito rotated; it is replaced by the one \
                 given (if that one was rotated out, Cognito will refuse it)",
                chosen.name
            ));
        }
        // The device's group key and password stay with its device.
        if old.device_key == entry.device_key {
            entry.device_group_key = old.device_group_key;
            entry.device_password = old.device_password;
        }
    }
    store.save(&lock, &entry)?;
    log.notice(&format!(
        "saved the refresh token of profile {} in {}",
        chosen.name,
        store.location(&chosen.name)
    ));
    Ok(())
}
