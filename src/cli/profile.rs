//! The profile a command works on: its settings from the config file, its tokens from the
//! store, and the refresh of stored tokens shared by `token`, `exec` and `refresh --profile`.

use crate::cli::args::{FreshnessArgs, ProfileArgs, RequestArgs};
use crate::cli::commands::runtime;
use crate::cli::input::{self, Request, env_var, source};
use crate::cli::log::Log;
use anyhow::Result;
use clap::ArgMatches;
use clap::parser::ValueSource;
use cognito_refresh::config::{self, Config, Profile, check_profile_name};
use cognito_refresh::tokens::rfc3339;
use cognito_refresh::{
    Entry, Error as CoreError, Need, Outcome, Policy, RefreshApi, RefreshOptions, SecretString,
    Store, Tokens, fresh_tokens,
};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A profile chosen with --profile or COGNITO_PROFILE.
#[derive(Debug)]
pub struct Chosen {
    pub name: String,
    pub config: Config,
    pub store: Store,
}

impl Chosen {
    /// The profile's settings; `None` when the config file does not have it.
    pub fn profile(&self) -> Option<&Profile> {
        self.config.profile(&self.name)
    }

    /// The client secret the profile refers to, if any.
    pub fn client_secret(&self) -> Result<Option<SecretString>> {
        Ok(self.config.client_secret(&self.name)?)
    }
}

/// The config file: --config, COGNITO_REFRESH_CONFIG, else the XDG default.
pub fn config_path(args: &ProfileArgs) -> Result<PathBuf> {
    args.config
        .clone()
        .filter(|p| !p.as_os_str().is_empty())
        .or_else(config::default_path)
        .ok_or_else(|| {
            CoreError::usage("no config file: HOME is not set; pass --config PATH").into()
        })
}

/// The token store: --store, COGNITO_REFRESH_STORE, else the XDG default.
pub fn store(args: &ProfileArgs) -> Result<Store> {
    args.store_dir
        .clone()
        .filter(|p| !p.as_os_str().is_empty())
        .or_else(Store::default_dir)
        .map(Store::new)
        .ok_or_else(|| {
            CoreError::usage("no token store directory: HOME is not set; pass --store DIR").into()
        })
}

/// The profile named by --profile or COGNITO_PROFILE, with its config loaded; `None` when no
/// profile is named.
pub fn choose(args: &ProfileArgs) -> Result<Option<Chosen>> {
    let Some(name) = args
        .profile
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    else {
        return Ok(None);
    };
    check_profile_name(name)?;
    let config = Config::load(&config_path(args)?)?;
    Ok(Some(Chosen {
        name: name.to_string(),
        config,
        store: store(args)?,
    }))
}

/// Like [`choose`], for the commands that cannot work without a profile.
pub fn require(args: &ProfileArgs, command: &str) -> Result<Chosen> {
    choose(args)?.ok_or_else(|| {
        CoreError::usage(format!(
            "`cognito-refresh {command}` works on a profile: pass --profile NAME or set \
             COGNITO_PROFILE"
        ))
        .into()
    })
}

/// A profile named on the command line but absent from the config file is created from the
/// options given, and saved, when they name an app client. The client secret is saved by
/// reference only (the variable or the file it came from), never as a value.
pub fn create_if_absent(
    chosen: &mut Chosen,
    args: &RequestArgs,
    matches: &ArgMatches,
    log: &Log,
) -> Result<()> {
    if chosen.profile().is_some() {
        return Ok(());
    }
    let s = &args.session;
    let c = &args.connection;
    let Some(client_id) = s
        .client_id
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    else {
        return Ok(());
    };
    let mut profile = Profile {
        client_id: Some(client_id.to_string()),
        region: c
            .region
            .clone()
            .or_else(|| env_var("AWS_REGION"))
            .or_else(|| env_var("AWS_DEFAULT_REGION")),
        user_pool_id: s_or_none(c.user_pool_id.as_deref()),
        endpoint_url: c
            .endpoint_url
            .clone()
            .or_else(|| env_var("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"))
            .or_else(|| env_var("AWS_ENDPOINT_URL")),
        api: (source(matches, "api") == Some(ValueSource::CommandLine)).then_some(match args.api {
            crate::cli::args::Api::InitiateAuth => RefreshApi::InitiateAuth,
            crate::cli::args::Api::GetTokens => RefreshApi::GetTokens,
            crate::cli::args::Api::OAuth2 => RefreshApi::OAuth2,
        }),
        username: s_or_none(s.username.as_deref()),
        device_key: s_or_none(s.device_key.as_deref()),
        domain: s_or_none(args.domain.as_deref()),
        ..Profile::default()
    };
    match (&s.client_secret_file, source(matches, "client_secret")) {
        (Some(file), _) if file != Path::new("-") => {
            profile.client_secret_file = Some(std::path::absolute(file).unwrap_or(file.clone()));
        }
        (Some(_), _) => log.warn(
            "a client secret from standard input is not saved in the new profile: add \
             client_secret_env or client_secret_file to it",
        ),
        (None, Some(ValueSource::EnvVariable)) if env_var("COGNITO_CLIENT_SECRET").is_some() => {
            profile.client_secret_env = Some("COGNITO_CLIENT_SECRET".into());
        }
        (None, Some(ValueSource::CommandLine)) => log.warn(
            "the client secret given on the command line is not saved in the new profile: add \
             client_secret_env or client_secret_file to it",
        ),
        _ => {}
    }
    let path = chosen.config.path.clone();
    if config::add_profile(&path, &chosen.name, &profile)? {
        log.notice(&format!(
            "created profile {} in {}",
            chosen.name,
            path.display()
        ));
    }
    chosen.config = Config::load(&path)?;
    Ok(())
}

fn s_or_none(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The app client the command line, else the profile, else the environment names.
fn expected_client_id(args: &RequestArgs, matches: &ArgMatches, chosen: &Chosen) -> Option<String> {
    let given = s_or_none(args.session.client_id.as_deref());
    if source(matches, "client_id") == Some(ValueSource::CommandLine) {
        return given;
    }
    chosen
        .profile()
        .and_then(|p| s_or_none(p.client_id.as_deref()))
        .or(given)
}

/// Refuses stored tokens of another app client than the one asked for: the refresh token
/// would be rejected, and the tokens are not the ones wanted.
fn check_client(entry: &Entry, expected: Option<&str>, chosen: &Chosen) -> Result<()> {
    match expected {
        Some(id) if id != entry.client_id => Err(CoreError::usage(format!(
            "the tokens stored for profile {} were issued to app client {}, not {id}: save a \
             refresh token of {id} with `cognito-refresh store --profile {}`",
            chosen.name, entry.client_id, chosen.name
        ))
        .into()),
        _ => Ok(()),
    }
}

/// How long to wait for another process's refresh of the same profile: its call is bounded
/// by its --timeout, so a little more than two of ours.
pub fn lock_wait(timeout: f64) -> Duration {
    Duration::from_secs_f64(timeout * 2.0) + Duration::from_secs(5)
}

/// The options to refresh a stored entry: the request's settings, and what the stored tokens
/// tell (client, username, device key, region) where the request leaves them open.
pub fn entry_options(mut request: Request, entry: &Entry) -> Result<RefreshOptions> {
    request
        .client_id
        .get_or_insert_with(|| entry.client_id.clone());
    if request.access_token.is_none() {
        request.access_token = entry.access_token.clone();
    }
    if request.id_token.is_none() {
        request.id_token = entry.id_token.clone();
    }
    if request.device_key.is_none() {
        request.device_key = entry.device_key.clone();
    }
    request.into_options(entry.refresh_token.clone())
}

/// Refreshes a stored entry (see [`entry_options`]).
pub fn refresh_entry(request: Request, entry: &Entry, log: &Log) -> Result<Tokens> {
    let options = entry_options(request, entry)?;
    let tokens = runtime()?.block_on(async {
        let plan = cognito_refresh::plan(options).await?;
        log.notes(&plan.notes);
        cognito_refresh::refresh(&plan).await
    })?;
    Ok(tokens)
}

/// Valid tokens of the chosen profile for `token` and `exec`: from the store when they are
/// fresh enough (nothing else is read: no SDK client, no runtime, no network), else refreshed
/// under the profile's lock and stored before this returns.
pub fn fresh(
    chosen: &Chosen,
    args: RequestArgs,
    freshness: &FreshnessArgs,
    need: Need,
    matches: &ArgMatches,
    log: &Log,
) -> Result<Entry> {
    if chosen.profile().is_none() && chosen.store.load(&chosen.name)?.is_none() {
        return Err(unknown(chosen).into());
    }
    let expected = expected_client_id(&args, matches, chosen);
    let policy = Policy {
        need,
        min_ttl: freshness.min_ttl,
        force: freshness.force,
        lock_wait: lock_wait(args.connection.timeout),
    };
    let (entry, outcome) = fresh_tokens(&chosen.store, &chosen.name, policy, None, |entry| {
        check_client(entry, expected.as_deref(), chosen)?;
        let request = input::request(args, matches, log, Some(chosen))?;
        refresh_entry(request, entry, log)
    })?;
    check_client(&entry, expected.as_deref(), chosen)?;
    report(chosen, &entry, &outcome, need, freshness.min_ttl, log);
    Ok(entry)
}

/// A profile in neither the config file nor the store.
pub fn unknown(chosen: &Chosen) -> CoreError {
    CoreError::usage(format!(
        "unknown profile {name}: it is not in the config file {} and has no stored tokens; \
         create it with `cognito-refresh store --profile {name} --client-id ID ...`",
        chosen.config.path.display(),
        name = chosen.name
    ))
}

/// Says (with -v) where the tokens came from, and warns when even fresh ones expire sooner
/// than asked.
pub fn report(
    chosen: &Chosen,
    entry: &Entry,
    outcome: &Outcome,
    need: Need,
    min_ttl: Duration,
    log: &Log,
) {
    let until = entry
        .expires_at_for(need)
        .and_then(|at| rfc3339(at).ok())
        .unwrap_or_else(|| "an unknown time".into());
    let how = match outcome {
        Outcome::Cached => "from the store",
        Outcome::RefreshedByAnother => "from the store, refreshed by another process",
        Outcome::Refreshed(_) => "refreshed and stored",
    };
    log.info(&format!(
        "profile {}: tokens {how}, valid until {until} ({})",
        chosen.name,
        chosen.store.path(&chosen.name).display()
    ));
    if matches!(outcome, Outcome::Refreshed(_))
        && !entry.is_fresh(need, min_ttl, cognito_refresh::tokens::now_unix())
    {
        log.warn(&format!(
            "the new tokens are valid until {until}, less than --min-ttl {} s from now: every \
             call will refresh; lower --min-ttl",
            min_ttl.as_secs()
        ));
    }
}
