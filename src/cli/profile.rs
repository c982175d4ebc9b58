//! The profile a command works on: its settings from the config file, its tokens from the
//! store, and the refresh of stored tokens shared by `token`, `exec` and `refresh --profile`.

use crate::cli::args::FreshnessArgs;
use crate::cli::ctx::Ctx;
use crate::cli::log::Log;
use crate::cli::m2m;
use crate::cli::secrets::Secrets;
use crate::cli::settings::{
    Chosen, Flags, ProfileChoice, SecretInput, Setting, Settings, Source, process_env, resolve,
    value,
};
use anyhow::Result;
use cognito_refresh::config::{self, Config, Profile, check_profile_name};
use cognito_refresh::endpoint::parse_endpoint;
use cognito_refresh::region::{is_region, region_of_pool};
use cognito_refresh::store::{DYNAMODB_SCHEME, DynamoDbSettings, parse_store_url};
use cognito_refresh::tokens::rfc3339;
use cognito_refresh::{
    Entry, Error as CoreError, Need, Outcome, Policy, RefreshApi, RefreshOptions, Store, Tokens,
    fresh_tokens,
};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The config file: --config, COGNITO_REFRESH_CONFIG, else the XDG default.
pub fn config_path(choice: &ProfileChoice) -> Result<PathBuf> {
    value(&choice.config)
        .or_else(config::default_path)
        .ok_or_else(|| {
            CoreError::usage("no config file: HOME is not set; pass --config PATH").into()
        })
}

/// The token store: --store or COGNITO_REFRESH_STORE (a directory, or `dynamodb://TABLE`), else
/// the profile's `store` (`dynamodb://TABLE`), else the XDG default directory.
pub fn store(choice: &ProfileChoice, profile: Option<&Profile>) -> Result<Store> {
    if let Some(given) = value(&choice.store) {
        return match given.to_str().and_then(parse_store_url) {
            Some(table) => dynamodb_store(table?, profile),
            None => Ok(Store::new(given)),
        };
    }
    if let Some(named) = profile.and_then(|p| p.store.as_deref()) {
        return match parse_store_url(named) {
            Some(table) => dynamodb_store(table?, profile),
            None => Err(CoreError::usage(format!(
                "invalid store {named:?} in the profile: expected {DYNAMODB_SCHEME}TABLE (a \
                 directory is given with --store DIR)"
            ))
            .into()),
        };
    }
    Store::default_dir().map(Store::new).ok_or_else(|| {
        CoreError::usage("no token store directory: HOME is not set; pass --store DIR").into()
    })
}

/// AWS_REGION, else AWS_DEFAULT_REGION, when set and not blank.
pub fn aws_region_from_env() -> Option<String> {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
}

/// The store in a DynamoDB table: in the profile's `store_region`, else its region (given, or
/// its user pool's), else AWS_REGION or AWS_DEFAULT_REGION; at its `store_endpoint_url` when it
/// has one; signed by its `aws_profile`'s credentials, else the standard chain's.
fn dynamodb_store(table: String, profile: Option<&Profile>) -> Result<Store> {
    let region = profile
        .and_then(|p| {
            p.store_region
                .clone()
                .or_else(|| p.region.clone())
                .or_else(|| {
                    p.user_pool_id
                        .as_deref()
                        .and_then(region_of_pool)
                        .map(str::to_string)
                })
        })
        .or_else(aws_region_from_env)
        .ok_or_else(|| {
            CoreError::usage(format!(
                "no region for the token store {DYNAMODB_SCHEME}{table}: set store_region in the \
                 profile, or AWS_REGION"
            ))
        })?;
    if !is_region(&region) {
        return Err(CoreError::usage(format!(
            "invalid region {region:?} for the token store {DYNAMODB_SCHEME}{table}: expected a \
             name like eu-west-1"
        ))
        .into());
    }
    let endpoint = profile
        .and_then(|p| p.store_endpoint_url.as_deref())
        .map(parse_endpoint)
        .transpose()?;
    let settings = DynamoDbSettings::new(table, region)
        .endpoint(endpoint)
        .aws_profile(profile.and_then(|p| p.aws_profile.clone()));
    Ok(Store::dynamodb(settings))
}

/// The profile named by --profile or COGNITO_PROFILE, with its config loaded; `None` when no
/// profile is named.
pub fn choose(choice: &ProfileChoice) -> Result<Option<Chosen>> {
    let Some(name) = value(&choice.name) else {
        return Ok(None);
    };
    check_profile_name(&name)?;
    let config = Config::load(&config_path(choice)?)?;
    let store = store(choice, config.profile(&name))?;
    Ok(Some(Chosen {
        name,
        config,
        store,
    }))
}

/// Like [`choose`], for the commands that cannot work without a profile.
pub fn require(choice: &ProfileChoice, command: &str) -> Result<Chosen> {
    choose(choice)?.ok_or_else(|| {
        CoreError::usage(format!(
            "`cognito-refresh {command}` works on a profile: pass --profile NAME or set \
             COGNITO_PROFILE"
        ))
        .into()
    })
}

/// A profile named on the command line but absent from the config file is created from the
/// options given (the command line, else the environment), and saved, when they name an app
/// client. The client secret is saved by reference only (the variable or the file it came
/// from), never as a value. `api`: the API the session refreshes through when no flag names one
/// (a sign-in through the admin API refreshes through it too).
pub fn create_if_absent(
    chosen: &mut Chosen,
    flags: Flags<'_>,
    api: Option<RefreshApi>,
    log: &Log,
) -> Result<()> {
    if chosen.profile().is_some() {
        return Ok(());
    }
    match new_profile(flags, api, log)? {
        Some(profile) => save_new(chosen, &profile, log),
        None => Ok(()),
    }
}

/// A new profile from the options given (the command line, else the environment); `None` when
/// they name no app client. `api`: as for [`create_if_absent`].
pub fn new_profile(
    flags: Flags<'_>,
    api: Option<RefreshApi>,
    log: &Log,
) -> Result<Option<Profile>> {
    let settings = resolve(flags, None, &process_env);
    let Some(client_id) = value(&settings.client_id) else {
        return Ok(None);
    };
    let given = |s: &Option<Setting<String>>| {
        value(s)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let mut profile = Profile::default();
    profile.client_id = Some(client_id);
    profile.region = value(&settings.region);
    profile.user_pool_id = given(&settings.user_pool_id);
    profile.endpoint_url = value(&settings.endpoint_url);
    profile.api = match settings.api.source {
        Source::Flag => Some(settings.api.value),
        _ => api,
    };
    profile.aws_profile = settings
        .aws_profile
        .as_ref()
        .filter(|s| s.source == Source::Flag)
        .map(|s| s.value.clone());
    profile.username = given(&settings.username);
    profile.device_key = given(&settings.device_key);
    profile.domain = given(&settings.domain);
    profile.identity_pool_id = given(&settings.identity_pool_id);
    profile.role_arn = given(&settings.role_arn);
    match settings
        .client_secret
        .as_ref()
        .map(|s| (&s.value, s.source))
    {
        Some((SecretInput::File(file), _)) if file != Path::new("-") => {
            profile.client_secret_file = Some(std::path::absolute(file).unwrap_or(file.clone()));
        }
        Some((SecretInput::File(_), _)) => log.warn(
            "a client secret from standard input is not saved in the new profile: add \
             client_secret_env or client_secret_file to it",
        ),
        Some((SecretInput::Value(_), Source::Env(name))) => {
            profile.client_secret_env = Some(name.into());
        }
        Some((SecretInput::Value(_), _)) => log.warn(
            "the client secret given on the command line is not saved in the new profile: add \
             client_secret_env or client_secret_file to it",
        ),
        _ => {}
    }
    Ok(Some(profile))
}

/// Saves `profile` as the chosen one, unless the config file has it already (another process
/// may have added it meanwhile), and reloads the config file.
pub fn save_new(chosen: &mut Chosen, profile: &Profile, log: &Log) -> Result<()> {
    let path = chosen.config.path.clone();
    if config::edit::add_profile(&path, &chosen.name, profile)? {
        log.notice(&format!(
            "created profile {} in {}",
            chosen.name,
            path.display()
        ));
    }
    chosen.config = Config::load(&path)?;
    Ok(())
}

/// Refuses stored tokens of another app client than the one asked for: the refresh token
/// would be rejected, and the tokens are not the ones wanted.
pub fn check_client(entry: &Entry, expected: Option<&str>, chosen: &Chosen) -> Result<()> {
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
pub fn lock_wait(timeout: Duration) -> Duration {
    timeout * 2 + Duration::from_secs(5)
}

/// Refreshes a stored entry: the settings, and what the stored tokens tell (client, username,
/// device key, region) where the settings leave it open.
pub fn refresh_entry(
    ctx: &Ctx,
    settings: &Settings,
    secrets: &Secrets,
    entry: &Entry,
    profile: &str,
) -> Result<Tokens> {
    let settings = settings.clone().with_stored(entry);
    ctx.log.info(&settings.describe(Some(profile)));
    refresh(ctx, settings.options(entry.refresh_token.clone(), secrets)?)
}

/// One refresh, on the process's runtime.
pub fn refresh(ctx: &Ctx, options: RefreshOptions) -> Result<Tokens> {
    let tokens = ctx.runtime()?.block_on(async {
        let plan = cognito_refresh::plan(options).await?;
        ctx.log.notes(&plan.notes);
        cognito_refresh::refresh(&plan).await
    });
    // Only an id the server sent: AWS Support asks for it.
    let request_id = match &tokens {
        Ok(tokens) => tokens.request_id.as_deref(),
        Err(e) => e.request_id(),
    };
    if let Some(id) = request_id {
        ctx.log.info(&format!("the answer's request id: {id}"));
    }
    Ok(tokens?)
}

/// Valid tokens of the chosen profile for `token` and `exec`: from the store when they are
/// fresh enough (nothing else is read: no secret, no SDK client, no runtime, no network), else
/// refreshed under the profile's lock and stored before this returns. The lock is released when
/// this returns, whatever the runtime still has pending.
pub fn fresh(
    ctx: &Ctx,
    chosen: &Chosen,
    settings: &Settings,
    freshness: &FreshnessArgs,
    need: Need,
) -> Result<Entry> {
    if chosen.profile().is_none() && chosen.store.load(&chosen.name)?.is_none() {
        return Err(unknown(chosen).into());
    }
    let expected = value(&settings.client_id);
    let policy = Policy::new(need, freshness.min_ttl, lock_wait(settings.timeout.value))
        .force(freshness.force);
    if m2m::is_client_credentials(chosen) {
        let ask = m2m::Ask::of_profile(chosen, settings);
        let (entry, outcome, _) = m2m::fresh(ctx, chosen, settings, policy, &ask)?;
        report(chosen, &entry, &outcome, need, freshness.min_ttl, &ctx.log);
        return Ok(entry);
    }
    let (entry, outcome) = fresh_tokens(&chosen.store, &chosen.name, policy, None, |entry| {
        check_client(entry, expected.as_deref(), chosen)?;
        let secrets = settings.read_secrets(Some(chosen), &ctx.log)?;
        refresh_entry(ctx, settings, &secrets, entry, &chosen.name)
    })?;
    check_client(&entry, expected.as_deref(), chosen)?;
    report(chosen, &entry, &outcome, need, freshness.min_ttl, &ctx.log);
    Ok(entry)
}

/// A profile with no stored session: [`unknown`] when the config file does not have it either.
pub fn no_session(chosen: &Chosen) -> CoreError {
    if chosen.profile().is_none() {
        return unknown(chosen);
    }
    CoreError::NoSession {
        profile: chosen.name.clone(),
        message: format!(
            "profile {} has no stored session (nothing in {})",
            chosen.name, chosen.store
        )
        .into(),
    }
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
        _ if entry.client_credentials.is_some() => "asked for and stored",
        _ => "refreshed and stored",
    };
    log.info(&format!(
        "profile {}: tokens {how}, valid until {until} ({})",
        chosen.name,
        chosen.store.location(&chosen.name)
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
