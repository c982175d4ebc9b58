//! The one place where a flag, a profile key and an environment variable meet: the parsed
//! option groups, the chosen profile and the environment in, the settings out, each with where
//! it came from. The precedence is written once, in [`precedence`]: the command line, else the
//! profile, else the environment, else the default. Variables are set for a whole shell or CI
//! job, while a profile is chosen for the call at hand. An empty or blank variable is an unset
//! one.

pub use crate::cli::args::Flags;
use crate::cli::args::{Api, DEFAULT_TIMEOUT, ProfileArgs};
use anyhow::Result;
use cognito_refresh::config::{Config, Profile};
use cognito_refresh::signin::Target;
use cognito_refresh::{Entry, Error as CoreError, RefreshApi, SecretString, Store};
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

/// Where a setting came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The command line, a `--*-file` included.
    Flag,
    /// This environment variable.
    Env(&'static str),
    /// The chosen profile of the config file.
    Profile,
    /// A claim of a token given.
    TokenClaim,
    /// The profile's stored tokens.
    Stored,
    /// Nothing gave it.
    Default,
}

impl Source {
    /// How `-v` names it.
    pub fn describe(self, profile: Option<&str>) -> String {
        match self {
            Source::Flag => "command line".into(),
            Source::Env(name) => name.into(),
            Source::Profile => format!("profile {}", profile.unwrap_or("")),
            Source::TokenClaim => "a token's claims".into(),
            Source::Stored => "the stored tokens".into(),
            Source::Default => "default".into(),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting<T> {
    pub value: T,
    pub source: Source,
}

impl<T> Setting<T> {
    pub fn new(value: T, source: Source) -> Self {
        Setting { value, source }
    }
}

/// The value of an optional setting, without its source.
pub fn value<T: Clone>(setting: &Option<Setting<T>>) -> Option<T> {
    setting.as_ref().map(|s| s.value.clone())
}

/// The precedence, written once: the command line, else the profile, else the environment.
fn precedence<T>(
    flag: Option<T>,
    profile: Option<T>,
    env: Option<(T, &'static str)>,
) -> Option<Setting<T>> {
    match (flag, profile, env) {
        (Some(value), _, _) => Some(Setting::new(value, Source::Flag)),
        (None, Some(value), _) => Some(Setting::new(value, Source::Profile)),
        (None, None, Some((value, name))) => Some(Setting::new(value, Source::Env(name))),
        (None, None, None) => None,
    }
}

/// A secret before it is read: reading may consume standard input, so it happens only when
/// the secret is needed.
#[derive(Debug, Clone)]
pub enum SecretInput {
    /// A `--*-file` (`-`: standard input).
    File(PathBuf),
    /// The value itself, from the command line or the environment.
    Value(SecretString),
    /// The profile's `client_secret_env`, `client_secret_file` or `client_secret`.
    Profile,
}

/// The environment, as the resolver sees it: the process's, or a test's.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<OsString>;

/// The process's environment.
pub fn process_env(name: &str) -> Option<OsString> {
    std::env::var_os(name)
}

/// The first of these variables that is set, not empty and not blank, as text.
fn env_text(env: Env<'_>, names: &[&'static str]) -> Option<(String, &'static str)> {
    names.iter().find_map(|&name| {
        let value = env(name)?.into_string().ok()?;
        (!value.trim().is_empty()).then_some((value, name))
    })
}

/// Everything a command may need to talk to Cognito, resolved, each value with its source.
#[derive(Debug, Clone)]
pub struct Settings {
    pub client_id: Option<Setting<String>>,
    pub client_secret: Option<Setting<SecretInput>>,
    pub refresh_token: Option<Setting<SecretInput>>,
    pub username: Option<Setting<String>>,
    pub device_key: Option<Setting<String>>,
    /// Tokens of the session: from the command line (a value or a file), else the store.
    pub access_token: Option<Setting<SecretInput>>,
    pub id_token: Option<Setting<SecretInput>>,
    pub region: Option<Setting<String>>,
    pub user_pool_id: Option<Setting<String>>,
    pub endpoint_url: Option<Setting<String>>,
    pub api: Setting<RefreshApi>,
    /// The user pool domain, for the OAuth2 token endpoint.
    pub domain: Option<Setting<String>>,
    pub client_metadata: Vec<(String, String)>,
    pub timeout: Setting<Duration>,
    /// The AWS profile whose credentials sign the admin API and `diagnose --inspect`.
    pub aws_profile: Option<Setting<String>>,
    /// The identity pool, for AWS credentials.
    pub identity_pool_id: Option<Setting<String>>,
    pub role_arn: Option<Setting<String>>,
    /// Where the identity pool calls go: --endpoint-url and the profile's `endpoint_url` serve
    /// both services (an emulator does); of the variables, the identity pool's own first.
    pub identity_endpoint_url: Option<Setting<String>>,
}

/// The settings of the command line `flags`, the profile (when one is chosen and in the config
/// file) and the environment.
pub fn resolve(flags: Flags<'_>, profile: Option<&Profile>, env: Env<'_>) -> Settings {
    // One text setting: its flag, its profile key, its variables in order.
    let text = |flag: Option<&String>, key: fn(&Profile) -> Option<&String>, vars: &[_]| {
        precedence(
            flag.cloned(),
            profile.and_then(key).cloned(),
            env_text(env, vars),
        )
    };
    let client = flags.client;
    let connection = flags.connection;
    let client_secret = client.and_then(|c| {
        let flag = match (&c.client_secret_file, &c.client_secret) {
            (Some(file), _) => Some(SecretInput::File(file.clone())),
            (None, given) => given.clone().map(SecretInput::Value),
        };
        let in_profile = profile.is_some_and(|p| {
            p.client_secret_env.is_some()
                || p.client_secret_file.is_some()
                || p.client_secret.is_some()
        });
        let from_env = env_text(env, &["COGNITO_CLIENT_SECRET"])
            .map(|(v, name)| (SecretInput::Value(SecretString::from(v)), name));
        precedence(flag, in_profile.then_some(SecretInput::Profile), from_env)
    });
    let refresh_token = flags.refresh_token.and_then(|r| {
        let flag = match (&r.refresh_token_file, &r.refresh_token) {
            (Some(file), _) => Some(SecretInput::File(file.clone())),
            (None, given) => given.clone().map(SecretInput::Value),
        };
        let from_env = env_text(env, &["COGNITO_REFRESH_TOKEN"])
            .map(|(v, name)| (SecretInput::Value(SecretString::from(v)), name));
        // No profile key holds a refresh token: the store does.
        precedence(flag, None, from_env)
    });
    // Only the command line gives tokens of the session (the store fills in, `with_stored`).
    let session_token = |file: &Option<PathBuf>, given: &Option<SecretString>| {
        let flag = match (file, given) {
            (Some(file), _) => Some(SecretInput::File(file.clone())),
            (None, given) => given.clone().map(SecretInput::Value),
        };
        precedence(flag, None, None)
    };
    let api = flags.api.and_then(|a| {
        let given = a.api.map(|api| match api {
            Api::InitiateAuth => RefreshApi::InitiateAuth,
            Api::GetTokens => RefreshApi::GetTokens,
            Api::OAuth2 => RefreshApi::OAuth2,
            Api::AdminInitiateAuth => RefreshApi::AdminInitiateAuth,
        });
        precedence(given, profile.and_then(|p| p.api), None)
    });
    let timeout = connection.and_then(|c| precedence(c.timeout, None, None));
    Settings {
        client_id: client
            .and_then(|c| {
                text(
                    c.client_id.as_ref(),
                    |p| p.client_id.as_ref(),
                    &["COGNITO_CLIENT_ID"],
                )
            })
            .map(|s| Setting::new(s.value.trim().to_string(), s.source))
            .filter(|s| !s.value.is_empty()),
        client_secret,
        refresh_token,
        username: flags.username.and_then(|u| {
            text(
                u.username.as_ref(),
                |p| p.username.as_ref(),
                &["COGNITO_USERNAME"],
            )
        }),
        device_key: flags.device_key.and_then(|d| {
            text(
                d.device_key.as_ref(),
                |p| p.device_key.as_ref(),
                &["COGNITO_DEVICE_KEY"],
            )
        }),
        access_token: flags
            .tokens
            .and_then(|t| session_token(&t.access_token_file, &t.access_token)),
        id_token: flags
            .tokens
            .and_then(|t| session_token(&t.id_token_file, &t.id_token)),
        region: connection.and_then(|c| {
            text(
                c.region.as_ref(),
                |p| p.region.as_ref(),
                &["AWS_REGION", "AWS_DEFAULT_REGION"],
            )
        }),
        user_pool_id: connection.and_then(|c| {
            text(
                c.user_pool_id.as_ref(),
                |p| p.user_pool_id.as_ref(),
                &["COGNITO_USER_POOL_ID"],
            )
        }),
        endpoint_url: connection.and_then(|c| {
            text(
                c.endpoint_url.as_ref(),
                |p| p.endpoint_url.as_ref(),
                &[
                    "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
                    "AWS_ENDPOINT_URL",
                ],
            )
        }),
        api: api.unwrap_or(Setting::new(RefreshApi::InitiateAuth, Source::Default)),
        domain: flags
            .api
            .and_then(|a| {
                text(
                    a.domain.as_ref(),
                    |p| p.domain.as_ref(),
                    &["COGNITO_DOMAIN"],
                )
            })
            .filter(|s| !s.value.trim().is_empty()),
        client_metadata: flags
            .metadata
            .map(|m| m.client_metadata.clone())
            .unwrap_or_default(),
        timeout: timeout.map_or(
            Setting::new(Duration::from_secs_f64(DEFAULT_TIMEOUT), Source::Default),
            |t| Setting::new(Duration::from_secs_f64(t.value), t.source),
        ),
        aws_profile: flags
            .aws
            .and_then(|a| {
                text(
                    a.aws_profile.as_ref(),
                    |p| p.aws_profile.as_ref(),
                    &["AWS_PROFILE"],
                )
            })
            .filter(|s| !s.value.trim().is_empty()),
        identity_pool_id: flags
            .identity
            .and_then(|i| {
                text(
                    i.identity_pool_id.as_ref(),
                    |p| p.identity_pool_id.as_ref(),
                    &["COGNITO_IDENTITY_POOL_ID"],
                )
            })
            .map(|s| Setting::new(s.value.trim().to_string(), s.source))
            .filter(|s| !s.value.is_empty()),
        role_arn: flags
            .identity
            .and_then(|i| text(i.role_arn.as_ref(), |p| p.role_arn.as_ref(), &[]))
            .filter(|s| !s.value.trim().is_empty()),
        identity_endpoint_url: flags.identity.and(connection).and_then(|c| {
            text(
                c.endpoint_url.as_ref(),
                |p| p.endpoint_url.as_ref(),
                &["AWS_ENDPOINT_URL_COGNITO_IDENTITY", "AWS_ENDPOINT_URL"],
            )
        }),
    }
}

impl Settings {
    /// The app client id; an error saying how to give one when there is none.
    pub fn require_client_id(&self) -> Result<String> {
        value(&self.client_id).ok_or_else(|| {
            CoreError::usage(
                "no app client id: pass --client-id ID (or set COGNITO_CLIENT_ID), or client_id \
                 in the profile",
            )
            .into()
        })
    }

    /// What the profile's stored tokens tell (client, tokens, device key), where these
    /// settings leave it open.
    pub fn with_stored(mut self, entry: &Entry) -> Settings {
        let stored = |value: String| Setting::new(value, Source::Stored);
        self.client_id
            .get_or_insert_with(|| stored(entry.client_id.clone()));
        if self.device_key.is_none() {
            self.device_key = entry.device_key.clone().map(stored);
        }
        let stored_token = |t: &Option<SecretString>| {
            t.clone()
                .map(|t| Setting::new(SecretInput::Value(t), Source::Stored))
        };
        self.access_token = self
            .access_token
            .or_else(|| stored_token(&entry.access_token));
        self.id_token = self.id_token.or_else(|| stored_token(&entry.id_token));
        self
    }

    /// Where Cognito is, for the sign-in and session calls.
    pub fn target(&self) -> Target {
        Target::default()
            .set_region(value(&self.region))
            .set_user_pool_id(value(&self.user_pool_id))
            .set_endpoint_url(value(&self.endpoint_url))
            .timeout(self.timeout.value)
            .max_attempts(3)
            .use_aws_profile_region(true)
    }

    /// One line for `-v`: each setting given, and where it came from. Never a secret, nor an
    /// endpoint or domain (a URL may hold a password).
    pub fn describe(&self, profile: Option<&str>) -> String {
        let from = |source: Source| source.describe(profile);
        let mut parts = Vec::new();
        for (what, setting) in [
            ("client id", &self.client_id),
            ("username", &self.username),
            ("device key", &self.device_key),
            ("region", &self.region),
            ("user pool id", &self.user_pool_id),
            ("AWS profile", &self.aws_profile),
        ] {
            if let Some(s) = setting {
                parts.push(format!("{what} {} ({})", s.value, from(s.source)));
            }
        }
        for (what, source) in [
            ("endpoint", self.endpoint_url.as_ref().map(|s| s.source)),
            ("domain", self.domain.as_ref().map(|s| s.source)),
            (
                "client secret",
                self.client_secret.as_ref().map(|s| s.source),
            ),
            (
                "refresh token",
                self.refresh_token.as_ref().map(|s| s.source),
            ),
        ] {
            if let Some(source) = source {
                parts.push(format!("{what} from {}", from(source)));
            }
        }
        parts.push(format!(
            "api {} ({})",
            self.api.value.name(),
            from(self.api.source)
        ));
        parts.push(format!(
            "timeout {} s ({})",
            self.timeout.value.as_secs_f64(),
            from(self.timeout.source)
        ));
        format!("settings: {}", parts.join(", "))
    }
}

/// The scopes a client token is asked for: `--scope` (repeatable), else the profile's `scopes`;
/// none given: the app client's own.
pub fn scopes(flag: &[String], profile: Option<&Profile>) -> Setting<Vec<String>> {
    let flag = (!flag.is_empty()).then(|| flag.to_vec());
    precedence(flag, profile.and_then(|p| p.scopes.clone()), None)
        .unwrap_or(Setting::new(Vec::new(), Source::Default))
}

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

    /// The profile's settings: `flags` over the profile over the process's environment. The
    /// store's own calls (a shared store's) are bounded by the timeout they give.
    pub fn settings(&self, flags: Flags<'_>) -> Settings {
        let settings = resolve(flags, self.profile(), &process_env);
        self.store.set_timeout(settings.timeout.value);
        settings
    }

    /// The client secret the profile refers to, if any.
    pub fn client_secret(&self) -> Result<Option<SecretString>> {
        Ok(self.config.client_secret(&self.name)?)
    }
}

/// Which profile, and where its settings and tokens are kept.
#[derive(Debug, Clone, Default)]
pub struct ProfileChoice {
    /// The profile's name, trimmed; `None` when none is chosen.
    pub name: Option<Setting<String>>,
    /// The config file; `None`: the default.
    pub config: Option<Setting<PathBuf>>,
    /// The token store's directory; `None`: the default.
    pub store: Option<Setting<PathBuf>>,
}

/// --profile, --config and --store, else their variables.
pub fn resolve_profile(args: &ProfileArgs, env: Env<'_>) -> ProfileChoice {
    let path = |flag: &Option<PathBuf>, name: &'static str| {
        let from_env = env(name)
            .filter(|v| !v.to_string_lossy().trim().is_empty())
            .map(|v| (PathBuf::from(v), name));
        precedence(flag.clone(), None, from_env).filter(|s| !s.value.as_os_str().is_empty())
    };
    ProfileChoice {
        name: precedence(
            args.profile.clone(),
            None,
            env_text(env, &["COGNITO_PROFILE"]),
        )
        .map(|s| Setting::new(s.value.trim().to_string(), s.source))
        .filter(|s| !s.value.is_empty()),
        config: path(&args.config, "COGNITO_REFRESH_CONFIG"),
        store: path(&args.store_dir, "COGNITO_REFRESH_STORE"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::args::{Cli, Command};
    use clap::Parser as _;
    use cognito_refresh::ExposeSecret;
    use std::collections::HashMap;

    /// `cognito-refresh refresh ARGS`, resolved with this profile and environment.
    fn refresh(args: &[&str], profile: Option<&Profile>, env: &[(&str, &str)]) -> Settings {
        let cli = Cli::try_parse_from([&["cognito-refresh", "refresh"], args].concat()).unwrap();
        let Command::Refresh(r) = cli.command else {
            panic!("not refresh")
        };
        let env: HashMap<String, OsString> =
            env.iter().map(|(k, v)| (k.to_string(), v.into())).collect();
        resolve(Flags::from(&r.session), profile, &|name| {
            env.get(name).cloned()
        })
    }

    /// A text setting: its flag, how to set it in a profile, its variable, how to read it.
    type Field = (
        &'static str,
        fn(&mut Profile, String),
        &'static str,
        fn(&Settings) -> &Option<Setting<String>>,
    );

    #[rustfmt::skip]
    const FIELDS: [Field; 8] = [
        ("--client-id", |p, v| p.client_id = Some(v), "COGNITO_CLIENT_ID", |s| &s.client_id),
        ("--username", |p, v| p.username = Some(v), "COGNITO_USERNAME", |s| &s.username),
        ("--device-key", |p, v| p.device_key = Some(v), "COGNITO_DEVICE_KEY", |s| &s.device_key),
        ("--region", |p, v| p.region = Some(v), "AWS_REGION", |s| &s.region),
        ("--user-pool-id", |p, v| p.user_pool_id = Some(v), "COGNITO_USER_POOL_ID",
            |s| &s.user_pool_id),
        ("--endpoint-url", |p, v| p.endpoint_url = Some(v),
            "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", |s| &s.endpoint_url),
        ("--domain", |p, v| p.domain = Some(v), "COGNITO_DOMAIN", |s| &s.domain),
        ("--aws-profile", |p, v| p.aws_profile = Some(v), "AWS_PROFILE", |s| &s.aws_profile),
    ];

    /// The precedence, as a table: flag given? / profile has it? / variable set? -> the value
    /// used and its source. Every text setting follows it.
    #[test]
    fn precedence_table() {
        use Source::*;
        type Row = (bool, bool, bool, Option<(&'static str, Source)>);
        #[rustfmt::skip]
        let table: [Row; 8] = [
            // flag   profile  env      -> value and source
            (true,  true,  true,  Some(("flag", Flag))),
            (true,  true,  false, Some(("flag", Flag))),
            (true,  false, true,  Some(("flag", Flag))),
            (true,  false, false, Some(("flag", Flag))),
            (false, true,  true,  Some(("profile", Profile))),
            (false, true,  false, Some(("profile", Profile))),
            (false, false, true,  Some(("env", Env("")))),
            (false, false, false, None),
        ];
        for (flag, var, env_name, get) in FIELDS {
            for (given, in_profile, set, expected) in table {
                let mut profile = cognito_refresh::config::Profile::default();
                if in_profile {
                    (var)(&mut profile, "profile".into());
                }
                let args: &[&str] = if given { &[flag, "flag"] } else { &[] };
                let env: &[(&str, &str)] = if set { &[(env_name, "env")] } else { &[] };
                let settings = refresh(args, Some(&profile), env);
                let got = get(&settings)
                    .as_ref()
                    .map(|s| (s.value.as_str(), s.source));
                let expected = expected.map(|(v, source)| match source {
                    Env(_) => (v, Env(env_name)),
                    other => (v, other),
                });
                assert_eq!(
                    got, expected,
                    "{flag}: flag {given}, profile {in_profile}, env {set}"
                );
            }
        }
    }

    #[test]
    fn blank_variables_are_unset() {
        for (_, _, env_name, get) in FIELDS {
            let settings = refresh(&[], None, &[(env_name, " ")]);
            assert_eq!(get(&settings), &None, "{env_name}");
        }
        let settings = refresh(
            &[],
            None,
            &[
                ("COGNITO_REFRESH_TOKEN", ""),
                ("COGNITO_CLIENT_SECRET", " "),
            ],
        );
        assert!(settings.refresh_token.is_none());
        assert!(settings.client_secret.is_none());
    }

    #[test]
    fn the_second_variable_counts_when_the_first_is_unset() {
        let s = refresh(&[], None, &[("AWS_DEFAULT_REGION", "eu-west-2")]);
        assert_eq!(
            s.region,
            Some(Setting::new(
                "eu-west-2".into(),
                Source::Env("AWS_DEFAULT_REGION")
            ))
        );
        let s = refresh(
            &[],
            None,
            &[("AWS_DEFAULT_REGION", "b"), ("AWS_REGION", "a")],
        );
        assert_eq!(s.region.unwrap().source, Source::Env("AWS_REGION"));
        let s = refresh(&[], None, &[("AWS_ENDPOINT_URL", "http://127.0.0.1:1")]);
        assert_eq!(
            s.endpoint_url.unwrap().source,
            Source::Env("AWS_ENDPOINT_URL")
        );
    }

    #[test]
    fn secrets_follow_the_same_precedence() {
        let mut with_secret = Profile::default();
        with_secret.client_secret_env = Some("OTHER".into());
        let secret = |s: &Settings| {
            s.client_secret.as_ref().map(|s| match &s.value {
                SecretInput::File(p) => (format!("file {}", p.display()), s.source),
                SecretInput::Value(v) => (v.expose_secret().to_string(), s.source),
                SecretInput::Profile => ("profile".into(), s.source),
            })
        };
        let env = [("COGNITO_CLIENT_SECRET", "env")];
        let s = refresh(&["--client-secret-file", "f"], Some(&with_secret), &env);
        assert_eq!(secret(&s), Some(("file f".into(), Source::Flag)));
        let s = refresh(&["--client-secret", "flag"], Some(&with_secret), &env);
        assert_eq!(secret(&s), Some(("flag".into(), Source::Flag)));
        let s = refresh(&[], Some(&with_secret), &env);
        assert_eq!(secret(&s), Some(("profile".into(), Source::Profile)));
        let s = refresh(&[], Some(&Profile::default()), &env);
        assert_eq!(
            secret(&s),
            Some(("env".into(), Source::Env("COGNITO_CLIENT_SECRET")))
        );
        // No profile key holds a refresh token.
        let s = refresh(&[], Some(&with_secret), &[("COGNITO_REFRESH_TOKEN", "rt")]);
        assert_eq!(
            s.refresh_token.unwrap().source,
            Source::Env("COGNITO_REFRESH_TOKEN")
        );
        let s = refresh(
            &["--refresh-token-file", "-"],
            None,
            &[("COGNITO_REFRESH_TOKEN", "rt")],
        );
        assert!(matches!(
            s.refresh_token.unwrap().value,
            SecretInput::File(_)
        ));
    }

    #[test]
    fn api_and_timeout_fall_back_to_their_defaults() {
        let s = refresh(&[], None, &[]);
        assert_eq!(
            s.api,
            Setting::new(RefreshApi::InitiateAuth, Source::Default)
        );
        assert_eq!(
            s.timeout,
            Setting::new(Duration::from_secs(10), Source::Default)
        );
        let mut get_tokens = Profile::default();
        get_tokens.api = Some(RefreshApi::GetTokens);
        let s = refresh(&[], Some(&get_tokens), &[]);
        assert_eq!(s.api, Setting::new(RefreshApi::GetTokens, Source::Profile));
        let s = refresh(
            &["--api", "initiate-auth", "--timeout", "2"],
            Some(&get_tokens),
            &[],
        );
        assert_eq!(s.api, Setting::new(RefreshApi::InitiateAuth, Source::Flag));
        assert_eq!(
            s.timeout,
            Setting::new(Duration::from_secs(2), Source::Flag)
        );
    }

    #[test]
    fn a_group_a_command_does_not_take_is_not_read() {
        let env: HashMap<&str, OsString> =
            [("COGNITO_DOMAIN", "d"), ("COGNITO_REFRESH_TOKEN", "rt")]
                .into_iter()
                .map(|(k, v)| (k, v.into()))
                .collect();
        let s = resolve(Flags::default(), None, &|name| env.get(name).cloned());
        assert!(s.domain.is_none() && s.refresh_token.is_none());
    }

    #[test]
    fn the_profile_is_chosen_by_flag_else_variable() {
        let env: HashMap<&str, OsString> =
            [("COGNITO_PROFILE", " ci "), ("COGNITO_REFRESH_STORE", "")]
                .into_iter()
                .map(|(k, v)| (k, v.into()))
                .collect();
        let env = |name: &str| env.get(name).cloned();
        let parse = |args: &[&str]| {
            Cli::try_parse_from([&["cognito-refresh", "profiles"], args].concat())
                .unwrap()
                .profile
        };
        let choice = resolve_profile(&parse(&[]), &env);
        assert_eq!(
            choice.name,
            Some(Setting::new("ci".into(), Source::Env("COGNITO_PROFILE")))
        );
        assert!(choice.store.is_none() && choice.config.is_none());
        let choice = resolve_profile(&parse(&["-p", "dev", "--config", "/c.toml"]), &env);
        assert_eq!(choice.name, Some(Setting::new("dev".into(), Source::Flag)));
        assert_eq!(choice.config.unwrap().value, PathBuf::from("/c.toml"));
        // An empty flag chooses no profile; the variable does not stand in for it.
        assert!(resolve_profile(&parse(&["-p", ""]), &env).name.is_none());
    }

    #[test]
    fn verbose_names_sources_never_secrets() {
        let mut profile = Profile::default();
        profile.client_id = Some("c1".into());
        let s = refresh(
            &[
                "--client-secret",
                "cs-secret-1",
                "--endpoint-url",
                "https://u:pw-secret-2@h",
            ],
            Some(&profile),
            &[
                ("COGNITO_REFRESH_TOKEN", "rt-secret-3"),
                ("AWS_REGION", "eu-west-1"),
                ("AWS_PROFILE", "ops"),
            ],
        );
        let line = s.describe(Some("ci"));
        assert!(line.contains("client id c1 (profile ci)"), "{line}");
        assert!(line.contains("AWS profile ops (AWS_PROFILE)"), "{line}");
        assert!(line.contains("region eu-west-1 (AWS_REGION)"), "{line}");
        assert!(line.contains("client secret from command line"), "{line}");
        assert!(
            line.contains("refresh token from COGNITO_REFRESH_TOKEN"),
            "{line}"
        );
        for secret in ["cs-secret-1", "pw-secret-2", "rt-secret-3"] {
            assert!(!line.contains(secret), "{line}");
        }
    }
}
