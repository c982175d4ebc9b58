//! `cognito-refresh client-token`: an access token for an app client itself (machine to
//! machine). With a profile, it is kept in the store, for `token` and `exec` to serve.

use super::{Ctx, write_stdout};
use crate::cli::args::{ApiArgs, ClientTokenApi, ClientTokenArgs, ClientTokenOutput, Flags};
use crate::cli::m2m::{self, Ask};
use crate::cli::output::export;
use crate::cli::profile;
use crate::cli::settings::{Chosen, Settings, process_env, resolve};
use anyhow::Result;
use cognito_refresh::config::Grant;
use cognito_refresh::tokens::{now_unix, rfc3339};
use cognito_refresh::{Error as CoreError, ErrorKind, ExposeSecret, Need, Outcome, Policy, Tokens};
use serde::Serialize;
use std::time::Duration;

/// The JSON output: the contract scripts rely on.
#[derive(Serialize)]
struct JsonClientToken<'a> {
    access_token: &'a str,
    token_type: &'a str,
    expires_in: i64,
    expires_at: String,
    /// The scopes granted, space-separated.
    scope: Option<&'a str>,
}

pub fn run(args: ClientTokenArgs, ctx: &Ctx) -> Result<()> {
    let api_args = ApiArgs::with_domain(args.domain.clone());
    let flags = Flags {
        client: Some(&args.client),
        connection: Some(&args.connection),
        api: Some(&api_args),
        ..Flags::default()
    };
    let Some(mut chosen) = profile::choose(&ctx.profile)? else {
        let settings = resolve(flags, None, &process_env);
        let ask = ask(&args, &settings, None)?;
        let secrets = settings.read_secrets(None, &ctx.log)?;
        let token = m2m::request(ctx, &settings, secrets.client_secret, &ask)?;
        return print(&token.tokens, token.scope.as_deref(), args.output);
    };
    if chosen.profile().is_some() && !m2m::is_client_credentials(&chosen) {
        return Err(CoreError::usage(format!(
            "profile {} is not for an app client's own token (its grant is not \
             \"client_credentials\"): use another profile name",
            chosen.name
        ))
        .into());
    }
    let new_profile = chosen.profile().is_none();
    let settings = chosen.settings(flags);
    let ask = ask(&args, &settings, Some(&chosen))?;
    if new_profile {
        save_profile(&mut chosen, flags, &ask, ctx)?;
    } else if let Some(kept) = chosen.profile().and_then(|p| p.scopes.as_deref())
        && m2m::scope_list(kept) != ask.scopes
    {
        ctx.log.warn(&format!(
            "profile {} asks for the scopes {:?}: `token` and `exec` will ask for those again; \
             change its `scopes` to keep these",
            chosen.name,
            kept.join(" ")
        ));
    }
    // Always a new token, as `refresh --profile` always refreshes: `token` serves the stored one.
    let policy = Policy::new(
        Need::Access,
        Duration::ZERO,
        profile::lock_wait(settings.timeout.value),
    )
    .force(true);
    let (entry, outcome, granted) = m2m::fresh(ctx, &chosen, &settings, policy, &ask)?;
    profile::report(
        &chosen,
        &entry,
        &outcome,
        Need::Access,
        Duration::ZERO,
        &ctx.log,
    );
    match outcome {
        Outcome::Refreshed(tokens) => print(&tokens, granted.as_deref(), args.output),
        _ => Err(CoreError::new(ErrorKind::Other, "no new token was issued").into()),
    }
}

/// The scopes (--scope, else the profile's) and the API: --api, else the token endpoint when
/// there is a domain, else GetClientToken for a profile that has no domain.
fn ask(args: &ClientTokenArgs, settings: &Settings, chosen: Option<&Chosen>) -> Result<Ask> {
    let scopes = crate::cli::settings::scopes(&args.scopes, chosen.and_then(Chosen::profile));
    let api = match (args.api, &settings.domain, chosen.and_then(Chosen::profile)) {
        (Some(api), _, _) => api,
        (None, Some(_), _) => ClientTokenApi::OAuth2,
        (None, None, Some(_)) => ClientTokenApi::GetClientToken,
        (None, None, None) => {
            return Err(CoreError::usage(
                "where from? pass --domain URL (the user pool domain's token endpoint, \
                 grant_type=client_credentials) or --api get-client-token (the GetClientToken \
                 API, with --region or --user-pool-id)",
            )
            .into());
        }
    };
    if api == ClientTokenApi::GetClientToken && args.domain.is_some() {
        return Err(CoreError::usage(
            "--domain names the token endpoint, which --api get-client-token does not use: \
             give one of them",
        )
        .into());
    }
    Ok(Ask {
        scopes: m2m::scope_list(&scopes.value),
        api,
    })
}

/// A new profile with grant = "client_credentials" and its scopes; the domain only for the token
/// endpoint (a profile without one uses GetClientToken).
fn save_profile(chosen: &mut Chosen, flags: Flags<'_>, ask: &Ask, ctx: &Ctx) -> Result<()> {
    let Some(mut new) = profile::new_profile(flags, None, &ctx.log)? else {
        return Ok(());
    };
    new.grant = Some(Grant::ClientCredentials);
    new.scopes = Some(ask.scopes.clone());
    if ask.api == ClientTokenApi::GetClientToken {
        new.domain = None;
    }
    profile::save_new(chosen, &new, &ctx.log)
}

fn print(tokens: &Tokens, scope: Option<&str>, format: ClientTokenOutput) -> Result<()> {
    let access = tokens.access_token.expose_secret();
    let expires_at_unix = tokens.expires_at_unix().ok_or_else(|| {
        CoreError::new(
            ErrorKind::Other,
            "the answer gives no expiry: no expires_in and no exp claim",
        )
    })?;
    let expires_at = rfc3339(expires_at_unix)?;
    let text = match format {
        ClientTokenOutput::Json => serde_json::to_string_pretty(&JsonClientToken {
            access_token: access,
            token_type: tokens.token_type.as_deref().unwrap_or("Bearer"),
            expires_in: tokens
                .expires_in()
                .unwrap_or_else(|| (expires_at_unix - now_unix()).max(0)),
            expires_at,
            scope,
        })?,
        ClientTokenOutput::Env => [
            export("COGNITO_ACCESS_TOKEN", access),
            export("COGNITO_TOKEN_EXPIRES_AT", &expires_at),
        ]
        .join("\n"),
        ClientTokenOutput::AccessToken => access.to_string(),
    };
    write_stdout(&format!("{text}\n"))
}
