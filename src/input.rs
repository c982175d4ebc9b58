//! From arguments to the core's options: secrets from files, stdin, the environment or argv;
//! environment fallbacks clap cannot express.

use crate::cli::{Api, RequestArgs};
use crate::log::Log;
use anyhow::{Context as _, Result};
use clap::ArgMatches;
use clap::parser::ValueSource;
use cognito_refresh::{Error as CoreError, ExposeSecret, RefreshApi, RefreshOptions, SecretString};
use std::io::{self, Read};
use std::path::Path;
use std::time::Duration;

/// Longer than any token Cognito issues (refresh tokens are about 1.8 KiB); a larger input is
/// a mistake, not a token.
const MAX_SECRET_BYTES: u64 = 64 * 1024;

/// Builds the core's options from the request arguments. `matches` are the subcommand's, to
/// tell where values came from.
pub fn refresh_options(
    args: RequestArgs,
    matches: &ArgMatches,
    log: &Log,
) -> Result<RefreshOptions> {
    for (id, flag, env) in [
        ("refresh_token", "--refresh-token", "COGNITO_REFRESH_TOKEN"),
        ("client_secret", "--client-secret", "COGNITO_CLIENT_SECRET"),
    ] {
        if matches.value_source(id) == Some(ValueSource::CommandLine) {
            log.warn(&format!(
                "{flag} on the command line can be read by other local users; prefer {env} or \
                 {flag}-file"
            ));
        }
    }
    let mut s = args.session;
    // An empty variable is an unset one (`COGNITO_CLIENT_SECRET= cognito-refresh ...`).
    for (id, value) in [
        ("refresh_token", &mut s.refresh_token),
        ("client_secret", &mut s.client_secret),
    ] {
        if matches.value_source(id) == Some(ValueSource::EnvVariable)
            && value
                .as_ref()
                .is_some_and(|v| v.expose_secret().trim().is_empty())
        {
            *value = None;
        }
    }
    let c = args.connection;
    let mut stdin = StdinOnce::default();
    let refresh_token = read_secret(
        s.refresh_token_file.as_deref(),
        s.refresh_token,
        "refresh token",
        &mut stdin,
    )?
    .ok_or_else(|| {
        CoreError::usage(
            "no refresh token: set COGNITO_REFRESH_TOKEN, or pass --refresh-token-file PATH \
             (- for standard input)",
        )
    })?;
    let client_secret = read_secret(
        s.client_secret_file.as_deref(),
        s.client_secret,
        "client secret",
        &mut stdin,
    )?;
    Ok(RefreshOptions {
        client_id: s.client_id.trim().to_string(),
        refresh_token,
        client_secret,
        username: s.username,
        device_key: s.device_key,
        region: c
            .region
            .or_else(|| env_var("AWS_REGION"))
            .or_else(|| env_var("AWS_DEFAULT_REGION")),
        user_pool_id: c.user_pool_id,
        endpoint_url: c
            .endpoint_url
            .or_else(|| env_var("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"))
            .or_else(|| env_var("AWS_ENDPOINT_URL")),
        domain: args.domain.filter(|d| !d.trim().is_empty()),
        access_token: s.access_token.map(trim_secret),
        id_token: s.id_token.map(trim_secret),
        api: match args.api {
            Api::InitiateAuth => RefreshApi::InitiateAuth,
            Api::GetTokens => RefreshApi::GetTokens,
            Api::OAuth2 => RefreshApi::OAuth2,
        },
        client_metadata: args.client_metadata,
        timeout: Duration::from_secs_f64(c.timeout),
        max_attempts: 3,
        use_aws_profile_region: true,
    })
}

/// Standard input can be read once: for one secret at most.
#[derive(Default)]
pub struct StdinOnce {
    taken_by: Option<&'static str>,
}

/// A secret from its file (`-` for stdin) or from its value (flag or environment), trimmed.
pub fn read_secret(
    file: Option<&Path>,
    value: Option<SecretString>,
    what: &'static str,
    stdin: &mut StdinOnce,
) -> Result<Option<SecretString>> {
    let secret = match file {
        Some(path) if path == Path::new("-") => {
            if let Some(other) = stdin.taken_by {
                return Err(CoreError::usage(format!(
                    "the {other} is already read from standard input: give the {what} another way"
                ))
                .into());
            }
            stdin.taken_by = Some(what);
            read_limited(io::stdin().lock(), "standard input")
                .with_context(|| format!("reading the {what}"))?
        }
        Some(path) => {
            let file = std::fs::File::open(path).map_err(|e| {
                CoreError::usage(format!(
                    "cannot read the {what} file {}: {e}",
                    path.display()
                ))
            })?;
            read_limited(file, &path.display().to_string())
                .with_context(|| format!("reading the {what}"))?
        }
        None => match value {
            Some(v) => trim_secret(v),
            None => return Ok(None),
        },
    };
    if secret.expose_secret().is_empty() {
        let from = match file {
            Some(p) if p == Path::new("-") => "standard input".to_string(),
            Some(p) => p.display().to_string(),
            None => "the value given".to_string(),
        };
        return Err(CoreError::usage(format!("the {what} is empty ({from})")).into());
    }
    Ok(Some(secret))
}

/// Reads at most MAX_SECRET_BYTES of UTF-8 text, trimmed. Errors name the source, never the content.
pub fn read_limited(reader: impl Read, source: &str) -> Result<SecretString> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_SECRET_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CoreError::usage(format!("cannot read {source}: {e}")))?;
    if bytes.len() as u64 > MAX_SECRET_BYTES {
        return Err(CoreError::usage(format!(
            "{source} holds more than {} KiB: that is not a token",
            MAX_SECRET_BYTES / 1024
        ))
        .into());
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        CoreError::usage(format!("{source} is not UTF-8 text: that is not a token"))
    })?;
    Ok(trim_secret(SecretString::from(text)))
}

pub fn trim_secret(s: SecretString) -> SecretString {
    let t = s.expose_secret();
    if t.len() == t.trim().len() {
        s
    } else {
        SecretString::from(t.trim())
    }
}

/// An environment variable, unless unset, empty or blank.
pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}
