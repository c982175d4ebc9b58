//! Machine-to-machine access tokens, for the command line: an app client's own token, asked for
//! with its id and secret at the user pool domain's token endpoint or through GetClientToken,
//! and kept in a profile's store (`client-token --profile`, and `token` and `exec` on a profile
//! with grant = "client_credentials").

use crate::cli::args::ClientTokenApi;
use crate::cli::ctx::Ctx;
use crate::cli::hints::Hinted;
use crate::cli::settings::{Chosen, Settings, value};
use anyhow::Result;
use cognito_refresh::api::oauth2::token_url;
use cognito_refresh::config::Grant;
use cognito_refresh::{
    ClientToken, ClientTokenRequest, ClientTokenVia, Entry, Error as CoreError, Need, Outcome,
    Policy, Reason, SecretString, Tokens, client_token, fresh_client_token,
};
use std::cell::RefCell;

/// Attempts in all for the token endpoint, as for every other call.
const MAX_ATTEMPTS: u32 = 3;

/// Whether the chosen profile's tokens are the app client's own (grant = "client_credentials").
pub fn is_client_credentials(chosen: &Chosen) -> bool {
    chosen.profile().and_then(|p| p.grant) == Some(Grant::ClientCredentials)
}

/// Refuses `command`, which works on a user's session, for a profile of an app client's own
/// token (grant = "client_credentials"): it has no refresh token and no user.
pub fn refuse(chosen: &Chosen, command: &str) -> Result<()> {
    if !is_client_credentials(chosen) {
        return Ok(());
    }
    Err(CoreError::usage(format!(
        "profile {name} is for an app client's own token (grant = \"client_credentials\"), \
         which has no user and no refresh token, so `{command}` does not apply: \
         `cognito-refresh client-token --profile {name}` asks for a new token, `cognito-refresh \
         token --profile {name}` serves the stored one",
        name = chosen.name
    ))
    .into())
}

/// The scopes as given: space-separated lists split, blanks and repeats dropped, order kept.
pub fn scope_list(given: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for scope in given.iter().flat_map(|s| s.split_whitespace()) {
        if !out.iter().any(|s| s == scope) {
            out.push(scope.to_string());
        }
    }
    out
}

/// What to ask for, and where.
#[derive(Debug, Clone)]
pub struct Ask {
    pub scopes: Vec<String>,
    pub api: ClientTokenApi,
}

impl Ask {
    /// For a profile with grant = "client_credentials": its scopes, and its domain's token
    /// endpoint when it has a domain, else GetClientToken.
    pub fn of_profile(chosen: &Chosen, settings: &Settings) -> Ask {
        let scopes = chosen.profile().and_then(|p| p.scopes.as_deref());
        Ask {
            scopes: scope_list(scopes.unwrap_or_default()),
            api: match settings.domain {
                Some(_) => ClientTokenApi::OAuth2,
                None => ClientTokenApi::GetClientToken,
            },
        }
    }
}

/// The profile's token: the stored one when it was asked for the same way and stays valid as
/// `policy` asks, else a new one, stored before this returns (one request, however many
/// processes ask at once). With a new one comes the scope it was granted.
pub fn fresh(
    ctx: &Ctx,
    chosen: &Chosen,
    settings: &Settings,
    policy: Policy,
    ask: &Ask,
) -> Result<(Entry, Outcome, Option<String>)> {
    if policy.need == Need::Id {
        return Err(CoreError::usage(
            "an app client's own token is an access token: there is no ID token",
        )
        .into());
    }
    let client_id = settings.require_client_id()?;
    let granted = RefCell::new(None);
    let (entry, outcome) = fresh_client_token(
        &chosen.store,
        &chosen.name,
        policy,
        &client_id,
        &ask.scopes,
        || -> Result<Tokens> {
            let secrets = settings.read_secrets(Some(chosen), &ctx.log)?;
            let token = request(ctx, settings, secrets.client_secret, ask)?;
            granted.replace(token.scope);
            Ok(token.tokens)
        },
    )?;
    if matches!(outcome, Outcome::Cached | Outcome::RefreshedByAnother) {
        ctx.log.info(&format!(
            "profile {}: no request made, the app client's token is from the store",
            chosen.name
        ));
    }
    Ok((entry, outcome, granted.into_inner()))
}

/// Asks for a new access token for the app client: one request (retried on throttling, 5xx
/// and network errors within --timeout).
pub fn request(
    ctx: &Ctx,
    settings: &Settings,
    secret: Option<SecretString>,
    ask: &Ask,
) -> Result<ClientToken> {
    let log = &ctx.log;
    let client_id = settings.require_client_id()?;
    let secret = secret.ok_or_else(|| {
        CoreError::usage(
            "no client secret: an app client's own token is issued only with its secret; pass \
             --client-secret-file PATH (- for standard input) or set COGNITO_CLIENT_SECRET",
        )
    })?;
    let timeout = settings.timeout.value;
    let via = match ask.api {
        ClientTokenApi::OAuth2 => {
            let domain = value(&settings.domain).ok_or_else(|| {
                CoreError::usage(
                    "no domain: the token endpoint is the user pool domain's; pass --domain URL, \
                     or --api get-client-token",
                )
            })?;
            ClientTokenVia::TokenEndpoint {
                token_url: token_url(&domain)?,
                timeout,
                max_attempts: MAX_ATTEMPTS,
            }
        }
        ClientTokenApi::GetClientToken => ClientTokenVia::GetClientToken {
            connection: ctx.runtime()?.block_on(settings.target().connection())?,
        },
    };
    let from = |source: crate::cli::settings::Source| source.describe(None);
    let scopes = match ask.scopes.is_empty() {
        true => "the app client's own scopes".to_string(),
        false => format!("scopes {}", ask.scopes.join(" ")),
    };
    let secret_from = settings
        .client_secret
        .as_ref()
        .map_or_else(|| "the profile".into(), |s| from(s.source));
    log.info(&format!(
        "asking {} for a new access token: client id {client_id}, {scopes}, client secret from \
         {secret_from}, timeout {} s",
        match &via {
            ClientTokenVia::TokenEndpoint { token_url, .. } =>
                format!("the token endpoint {token_url}"),
            ClientTokenVia::GetClientToken { connection } =>
                format!("GetClientToken at {}", connection.endpoint_display()),
            _ => "Cognito".into(),
        },
        timeout.as_secs_f64()
    ));
    let request = ClientTokenRequest::new(client_id, secret, via).scopes(ask.scopes.clone());
    let result = ctx.runtime()?.block_on(client_token(&request));
    let request_id = match &result {
        Ok(token) => token.tokens.request_id.as_deref(),
        Err(e) => e.request_id(),
    };
    if let Some(id) = request_id {
        log.info(&format!("the answer's request id: {id}"));
    }
    result.map_err(|e| match e.reason() {
        Some(Reason::UnauthorizedClient) if ask.api == ClientTokenApi::OAuth2 => Hinted::wrap(
            e,
            "the client credentials grant needs an app client with a secret, the \
             client_credentials OAuth flow on, and custom scopes of a resource server allowed",
        ),
        Some(Reason::InvalidScope) => Hinted::wrap(
            e,
            match ask.scopes.is_empty() {
                true => "no scope was asked for: the app client's allowed scopes were refused; \
                         pass --scope"
                    .to_string(),
                false => format!("the scopes asked for: {}", ask.scopes.join(" ")),
            },
        ),
        _ => e.into(),
    })
}
