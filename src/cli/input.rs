//! From arguments to the core's options: secrets from files, stdin, the environment or argv;
//! environment fallbacks clap cannot express.

use crate::cli::args::{Api, RequestArgs};
use crate::cli::log::Log;
use crate::cli::profile::Chosen;
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

/// What the arguments, and the profile when there is one, say about a refresh, before the
/// refresh token is settled (it may come from the token store).
#[derive(Clone)]
pub struct Request {
    pub refresh_token: Option<SecretString>,
    /// Where the refresh token came from: the command line (a flag or a file) or the environment.
    pub refresh_token_source: Option<ValueSource>,
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    pub username: Option<String>,
    pub device_key: Option<String>,
    pub region: Option<String>,
    pub user_pool_id: Option<String>,
    pub endpoint_url: Option<String>,
    pub access_token: Option<SecretString>,
    pub id_token: Option<SecretString>,
    pub api: RefreshApi,
    /// The user pool domain, for the OAuth2 token endpoint.
    pub domain: Option<String>,
    pub client_metadata: Vec<(String, String)>,
    pub timeout: Duration,
}

impl Request {
    /// The core's options, with this refresh token.
    pub fn into_options(self, refresh_token: SecretString) -> Result<RefreshOptions> {
        let client_id = self.client_id.ok_or_else(|| {
            CoreError::usage(
                "no app client id: pass --client-id ID (or set COGNITO_CLIENT_ID), or client_id \
                 in the profile",
            )
        })?;
        Ok(RefreshOptions {
            client_id: client_id.trim().to_string(),
            refresh_token,
            client_secret: self.client_secret,
            username: self.username,
            device_key: self.device_key,
            region: self.region,
            user_pool_id: self.user_pool_id,
            endpoint_url: self.endpoint_url,
            access_token: self.access_token,
            id_token: self.id_token,
            api: self.api,
            domain: self.domain,
            client_metadata: self.client_metadata,
            timeout: self.timeout,
            max_attempts: 3,
            use_aws_profile_region: true,
        })
    }
}

/// Builds the core's options from the request arguments alone (no profile). `matches` are the
/// subcommand's, to tell where values came from.
pub fn refresh_options(
    args: RequestArgs,
    matches: &ArgMatches,
    log: &Log,
) -> Result<RefreshOptions> {
    let mut request = request(args, matches, log, None)?;
    let refresh_token = request.refresh_token.take().ok_or_else(|| {
        CoreError::usage(
            "no refresh token: set COGNITO_REFRESH_TOKEN, or pass --refresh-token-file PATH \
             (- for standard input)",
        )
    })?;
    request.into_options(refresh_token)
}

/// Reads the request arguments, secrets included, and merges them with the profile's settings:
/// the command line wins over the profile, and the profile over the environment (variables
/// are set for a whole shell or job; a profile is chosen for this call).
pub fn request(
    args: RequestArgs,
    matches: &ArgMatches,
    log: &Log,
    profile: Option<&Chosen>,
) -> Result<Request> {
    warn_secrets_on_command_line(matches, log);
    let mut s = args.session;
    // An empty variable is an unset one (`COGNITO_CLIENT_SECRET= cognito-refresh ...`).
    for (id, value) in [
        ("refresh_token", &mut s.refresh_token),
        ("client_secret", &mut s.client_secret),
    ] {
        if source(matches, id) == Some(ValueSource::EnvVariable)
            && value
                .as_ref()
                .is_some_and(|v| v.expose_secret().trim().is_empty())
        {
            *value = None;
        }
    }
    let c = args.connection;
    let p = profile.and_then(Chosen::profile);
    let on_command_line = |id: &str| source(matches, id) == Some(ValueSource::CommandLine);
    // The command line, else the profile, else the environment (or clap's default).
    let merge = |id: &str, given: Option<String>, from_profile: Option<&String>| {
        if on_command_line(id) {
            given
        } else {
            from_profile.cloned().or(given)
        }
    };

    let mut stdin = StdinOnce::default();
    let refresh_token_source = if s.refresh_token_file.is_some() {
        Some(ValueSource::CommandLine)
    } else if s.refresh_token.is_some() {
        source(matches, "refresh_token")
    } else {
        None
    };
    let refresh_token = read_secret(
        s.refresh_token_file.as_deref(),
        s.refresh_token,
        "refresh token",
        &mut stdin,
    )?;
    let secret_on_command_line = s.client_secret_file.is_some() || on_command_line("client_secret");
    let client_secret = match profile {
        Some(chosen) if !secret_on_command_line => match chosen.client_secret()? {
            Some(secret) => Some(secret),
            None => read_secret(None, s.client_secret, "client secret", &mut stdin)?,
        },
        _ => read_secret(
            s.client_secret_file.as_deref(),
            s.client_secret,
            "client secret",
            &mut stdin,
        )?,
    };
    let region = if c.region.is_some() {
        c.region
    } else {
        p.and_then(|p| p.region.clone())
            .or_else(|| env_var("AWS_REGION"))
            .or_else(|| env_var("AWS_DEFAULT_REGION"))
    };
    let endpoint_url = if c.endpoint_url.is_some() {
        c.endpoint_url
    } else {
        p.and_then(|p| p.endpoint_url.clone())
            .or_else(|| env_var("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"))
            .or_else(|| env_var("AWS_ENDPOINT_URL"))
    };
    let api = match (on_command_line("api"), p.and_then(|p| p.api)) {
        (false, Some(api)) => api,
        _ => match args.api {
            Api::InitiateAuth => RefreshApi::InitiateAuth,
            Api::GetTokens => RefreshApi::GetTokens,
            Api::OAuth2 => RefreshApi::OAuth2,
        },
    };
    Ok(Request {
        refresh_token,
        refresh_token_source,
        client_id: merge(
            "client_id",
            s.client_id,
            p.and_then(|p| p.client_id.as_ref()),
        )
        .filter(|id| !id.trim().is_empty()),
        client_secret,
        username: merge("username", s.username, p.and_then(|p| p.username.as_ref())),
        device_key: merge(
            "device_key",
            s.device_key,
            p.and_then(|p| p.device_key.as_ref()),
        ),
        region,
        user_pool_id: merge(
            "user_pool_id",
            c.user_pool_id,
            p.and_then(|p| p.user_pool_id.as_ref()),
        ),
        endpoint_url,
        access_token: s.access_token.map(trim_secret),
        id_token: s.id_token.map(trim_secret),
        api,
        domain: merge(
            "domain",
            args.domain.filter(|d| !d.trim().is_empty()),
            p.and_then(|p| p.domain.as_ref()),
        ),
        client_metadata: args.client_metadata,
        timeout: Duration::from_secs_f64(c.timeout),
    })
}

/// Secrets given as flags are visible to other local users (`ps`): say so.
pub fn warn_secrets_on_command_line(matches: &ArgMatches, log: &Log) {
    for (id, flag, env) in [
        ("refresh_token", "--refresh-token", "COGNITO_REFRESH_TOKEN"),
        ("client_secret", "--client-secret", "COGNITO_CLIENT_SECRET"),
    ] {
        if source(matches, id) == Some(ValueSource::CommandLine) {
            log.warn(&format!(
                "{flag} on the command line can be read by other local users; prefer {env} or \
                 {flag}-file"
            ));
        }
    }
}

/// Where clap found a value; `None` when the argument is unknown to this subcommand.
pub fn source(matches: &ArgMatches, id: &str) -> Option<ValueSource> {
    matches
        .try_get_raw(id)
        .ok()
        .and_then(|_| matches.value_source(id))
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
