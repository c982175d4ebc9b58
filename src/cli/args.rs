//! The command line: clap types only. `main.rs` turns them into the core's options.

use clap::{Args, Parser, Subcommand, ValueEnum};
use secrecy::SecretString;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

/// Keep Amazon Cognito user-pool tokens fresh.
///
/// Secrets are best given through the environment or files (`-` is standard input): values on
/// the command line can be read by other local users.
#[derive(Parser, Debug)]
#[command(
    name = "cognito-refresh",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Say on stderr what is used and where it came from (region, username, device key, endpoint).
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// Print no warnings.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    #[command(flatten)]
    pub profile: ProfileArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Get new access and ID tokens from a refresh token.
    ///
    /// Example:
    ///   export COGNITO_REFRESH_TOKEN=...
    ///   cognito-refresh refresh --client-id 4f1example --region eu-west-1 | jq -r .access_token
    #[command(verbatim_doc_comment)]
    Refresh(Box<RefreshArgs>),

    /// Show the header and claims of an access or ID token as JSON, or the shape of a refresh
    /// token. The signature is not checked.
    Decode(DecodeArgs),

    /// Say why a refresh fails, and how to fix it: checks of the inputs, the refresh itself,
    /// attempts that isolate the cause, and with --inspect the app client's and user pool's
    /// settings. Takes every option refresh takes; exits 0 when a refresh succeeds, else with
    /// the code refresh would give.
    ///
    /// Example:
    ///   cognito-refresh diagnose --client-id 4f1example --refresh-token-file rt.txt \
    ///       --access-token "$OLD_ACCESS_TOKEN" --region eu-west-1 --inspect
    #[command(verbatim_doc_comment)]
    Diagnose(Box<DiagnoseArgs>),

    /// Save a refresh token (and optionally access and ID tokens) in a profile's token store.
    ///
    /// The refresh token is read from --refresh-token-file, COGNITO_REFRESH_TOKEN, or standard
    /// input. A profile that is not in the config file is created from the options given.
    ///
    /// Example:
    ///   cognito-refresh store --profile ci --client-id 4f1example --region eu-west-1 < rt.txt
    #[command(verbatim_doc_comment)]
    Store(Box<StoreArgs>),

    /// Print a valid access (or ID) token of a profile, refreshing it only when needed.
    ///
    /// The stored token is printed when it stays valid for --min-ttl; otherwise the tokens are
    /// refreshed (once, however many processes ask at the same time) and stored first.
    ///
    /// Example:
    ///   cognito-refresh token --profile ci | sed 's/^/Authorization: Bearer /' |
    ///     curl -H @- https://api.example.com/
    #[command(verbatim_doc_comment)]
    Token(Box<TokenArgs>),

    /// Run a command with a profile's valid tokens in its environment.
    ///
    /// Sets COGNITO_ACCESS_TOKEN, COGNITO_ID_TOKEN and COGNITO_TOKEN_EXPIRES_AT (removing stale
    /// ones), and COGNITO_REFRESH_EXEC to the profile's name. The command replaces this process:
    /// it gets signals directly, and its exit status is this command's.
    ///
    /// Example:
    ///   cognito-refresh exec --profile ci -- ./deploy.sh --stage prod
    #[command(verbatim_doc_comment)]
    Exec(Box<ExecArgs>),

    /// List the profiles and the state of their tokens (never a token).
    Profiles(ProfilesArgs),

    /// Sign in with a username and password: USER_SRP_AUTH (the password never leaves this
    /// machine) or USER_PASSWORD_AUTH, answering MFA and new-password challenges.
    ///
    /// The password comes from --password-file, COGNITO_PASSWORD, or a prompt that does not
    /// echo when standard input is a terminal; never from an argument.
    ///
    /// The tokens go into the profile's token store; --print also prints them. With
    /// --remember-device the device is confirmed, and later sign-ins answer the device challenge.
    ///
    /// Example:
    ///   cognito-refresh login --profile dev --client-id 4f1example \
    ///     --user-pool-id eu-west-1_AbC123 --username alice --remember-device
    #[command(verbatim_doc_comment)]
    Login(Box<LoginArgs>),

    /// Make Cognito forget the profile's remembered device (ForgetDevice), and drop it from
    /// the store.
    ForgetDevice(Box<ForgetDeviceArgs>),

    /// Sign out: RevokeToken for the stored refresh token (or GlobalSignOut with --global),
    /// then remove the profile's tokens from the store.
    ///
    /// When the revoke or sign-out fails nothing is removed, unless --force.
    ///
    /// Example:
    ///   cognito-refresh logout --profile dev
    #[command(verbatim_doc_comment)]
    Logout(Box<LogoutArgs>),
}

#[derive(Args, Debug)]
pub struct DiagnoseArgs {
    #[command(flatten)]
    pub request: RequestArgs,

    /// Also read the app client's and user pool's settings (DescribeUserPoolClient,
    /// DescribeUserPool) with AWS credentials from the standard chain. Without it, no AWS
    /// credentials are looked for.
    #[arg(long)]
    pub inspect: bool,

    /// The AWS profile whose credentials --inspect uses [env: AWS_PROFILE].
    #[arg(long, value_name = "NAME")]
    pub aws_profile: Option<String>,

    /// How to print the report.
    #[arg(long, short, value_enum, value_name = "FORMAT", default_value_t = ReportFormat::Human)]
    pub output: ReportFormat,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// One line per check with its status, then what to fix.
    Human,
    /// A JSON document: the checks (id, status, summary, detail, fix) and the outcome.
    Json,
}

/// Which profile, and where its settings and tokens are kept. Every command takes them.
#[derive(Args, Debug)]
#[command(next_help_heading = "Profile")]
pub struct ProfileArgs {
    /// The profile: settings from the config file, tokens from the token store.
    #[arg(
        long,
        short = 'p',
        global = true,
        env = "COGNITO_PROFILE",
        value_name = "NAME"
    )]
    pub profile: Option<String>,

    /// The config file [default: $XDG_CONFIG_HOME/cognito-refresh/config.toml, else
    /// ~/.config/cognito-refresh/config.toml].
    #[arg(
        long,
        global = true,
        env = "COGNITO_REFRESH_CONFIG",
        value_name = "PATH"
    )]
    pub config: Option<PathBuf>,

    /// The token store's directory [default: $XDG_STATE_HOME/cognito-refresh, else
    /// ~/.local/state/cognito-refresh].
    #[arg(
        long = "store",
        id = "store_dir",
        global = true,
        env = "COGNITO_REFRESH_STORE",
        value_name = "DIR"
    )]
    pub store_dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct StoreArgs {
    #[command(flatten)]
    pub request: RequestArgs,
}

#[derive(Args, Debug)]
pub struct TokenArgs {
    /// Print the ID token instead of the access token.
    #[arg(long)]
    pub id: bool,

    #[command(flatten)]
    pub freshness: FreshnessArgs,

    #[command(flatten)]
    pub settings: SettingsArgs,
}

#[derive(Args, Debug)]
pub struct ExecArgs {
    /// Run even inside another `cognito-refresh exec` (COGNITO_REFRESH_EXEC is set).
    #[arg(long)]
    pub allow_nested: bool,

    #[command(flatten)]
    pub freshness: FreshnessArgs,

    #[command(flatten)]
    pub settings: SettingsArgs,

    /// The command to run and its arguments (after `--` when they start with `-`).
    #[arg(value_name = "COMMAND", required = true, num_args = 1.., trailing_var_arg = true)]
    pub command: Vec<OsString>,
}

/// When stored tokens are good enough.
#[derive(Args, Debug)]
pub struct FreshnessArgs {
    /// Refresh when the token expires within this: 5m, 300s, 1h, 1h30m, or seconds.
    #[arg(long, env = "COGNITO_MIN_TTL", value_name = "DURATION", default_value = "5m",
          value_parser = parse_duration)]
    pub min_ttl: Duration,

    /// Refresh even when the stored tokens are valid.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct ProfilesArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// What a refresh needs besides the refresh token, which comes from the store: these fill in
/// or override the profile's settings.
#[derive(Args, Debug)]
pub struct SettingsArgs {
    /// The app client id the refresh token was issued to.
    #[arg(long, env = "COGNITO_CLIENT_ID", value_name = "ID")]
    pub client_id: Option<String>,

    /// Read the app client's secret from a file (`-`: standard input).
    #[arg(long, value_name = "PATH", conflicts_with = "client_secret")]
    pub client_secret_file: Option<PathBuf>,

    /// The app client's secret. Prefer the environment variable or --client-secret-file.
    #[arg(long, env = "COGNITO_CLIENT_SECRET", hide_env_values = true, value_name = "SECRET",
          value_parser = secret)]
    pub client_secret: Option<SecretString>,

    /// The user's Cognito username, for SECRET_HASH (the real username, not an email alias).
    /// Read from the stored tokens when absent.
    #[arg(long, env = "COGNITO_USERNAME", value_name = "NAME")]
    pub username: Option<String>,

    /// The device key, when the user pool tracks devices. Read from the stored tokens when
    /// absent.
    #[arg(long, env = "COGNITO_DEVICE_KEY", value_name = "KEY")]
    pub device_key: Option<String>,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Which API refreshes: InitiateAuth with REFRESH_TOKEN_AUTH, GetTokensFromRefreshToken
    /// (needed by app clients with refresh token rotation; needs no username), or the user pool
    /// domain's OAuth2 token endpoint (sessions from the hosted UI; needs --domain).
    #[arg(long, value_enum, value_name = "API", default_value_t = Api::InitiateAuth)]
    pub api: Api,

    /// The user pool's domain, for --api oauth2: https://DOMAIN (the hosted UI's, e.g.
    /// myapp.auth.eu-west-1.amazoncognito.com, or a custom domain). Also the profile's `domain`.
    #[arg(long, env = "COGNITO_DOMAIN", value_name = "URL")]
    pub domain: Option<String>,

    /// Key and value passed to the user pool's Lambda triggers; repeatable.
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub client_metadata: Vec<(String, String)>,
}

impl SettingsArgs {
    /// The same request, with no refresh token and no tokens given.
    pub fn into_request(self) -> RequestArgs {
        RequestArgs {
            session: SessionArgs {
                client_id: self.client_id,
                refresh_token_file: None,
                refresh_token: None,
                client_secret_file: self.client_secret_file,
                client_secret: self.client_secret,
                username: self.username,
                device_key: self.device_key,
                access_token: None,
                id_token: None,
            },
            connection: self.connection,
            api: self.api,
            domain: self.domain,
            client_metadata: self.client_metadata,
        }
    }
}

#[derive(Args, Debug)]
pub struct LoginArgs {
    /// The username to sign in with (an email or phone number where the pool allows).
    #[arg(long, env = "COGNITO_USERNAME", value_name = "NAME")]
    pub username: Option<String>,

    /// srp: USER_SRP_AUTH, the password proven without being sent (needs --user-pool-id;
    /// needed for remembered devices). password: USER_PASSWORD_AUTH.
    #[arg(long, value_enum, value_name = "FLOW", default_value_t = Flow::Srp)]
    pub flow: Flow,

    /// Also print the tokens on stdout, as `refresh --output json` does, refresh_token
    /// included. Without a profile, the tokens are only printed.
    #[arg(long)]
    pub print: bool,

    /// Remember this device when the user pool offers it (ConfirmDevice), keeping its key and
    /// password in the store: later sign-ins answer the device challenge, and refreshes send
    /// the device key. Also the profile's `remember_device = true`.
    #[arg(long)]
    pub remember_device: bool,

    /// Read the password from a file (`-`: standard input) [env: COGNITO_PASSWORD].
    #[arg(long, value_name = "PATH")]
    pub password_file: Option<PathBuf>,

    /// Read the new password NEW_PASSWORD_REQUIRED asks for from a file (`-`: standard input)
    /// [env: COGNITO_NEW_PASSWORD].
    #[arg(long, value_name = "PATH")]
    pub new_password_file: Option<PathBuf>,

    /// The one-time code for SOFTWARE_TOKEN_MFA, SMS_MFA or EMAIL_OTP (asked on a terminal
    /// when absent).
    #[arg(long, env = "COGNITO_MFA_CODE", hide_env_values = true, value_name = "CODE",
          value_parser = secret)]
    pub mfa_code: Option<SecretString>,

    /// The MFA to use when Cognito lets the user choose (SELECT_MFA_TYPE).
    #[arg(long, value_enum, value_name = "KIND")]
    pub mfa_type: Option<MfaType>,

    /// The app client id.
    #[arg(long, env = "COGNITO_CLIENT_ID", value_name = "ID")]
    pub client_id: Option<String>,

    /// Read the app client's secret from a file (`-`: standard input).
    #[arg(long, value_name = "PATH", conflicts_with = "client_secret")]
    pub client_secret_file: Option<PathBuf>,

    /// The app client's secret. Prefer the environment variable or --client-secret-file.
    #[arg(long, env = "COGNITO_CLIENT_SECRET", hide_env_values = true, value_name = "SECRET",
          value_parser = secret)]
    pub client_secret: Option<SecretString>,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Key and value passed to the user pool's Lambda triggers; repeatable.
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub client_metadata: Vec<(String, String)>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// USER_SRP_AUTH.
    Srp,
    /// USER_PASSWORD_AUTH.
    Password,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaType {
    /// SOFTWARE_TOKEN_MFA: an authenticator app.
    Totp,
    /// SMS_MFA: a text message.
    Sms,
    /// EMAIL_OTP: an email.
    Email,
}

impl MfaType {
    /// The name SELECT_MFA_TYPE takes.
    pub fn challenge(self) -> &'static str {
        match self {
            MfaType::Totp => "SOFTWARE_TOKEN_MFA",
            MfaType::Sms => "SMS_MFA",
            MfaType::Email => "EMAIL_OTP",
        }
    }
}

#[derive(Args, Debug)]
pub struct ForgetDeviceArgs {
    #[command(flatten)]
    pub settings: SettingsArgs,
}

#[derive(Args, Debug)]
pub struct LogoutArgs {
    /// GlobalSignOut with the access token instead of RevokeToken: every refresh token of the
    /// user, on every device, stops working.
    #[arg(long)]
    pub global: bool,

    /// Remove the stored tokens even when the revoke or sign-out fails.
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub settings: SettingsArgs,
}

#[derive(Args, Debug)]
pub struct RefreshArgs {
    #[command(flatten)]
    pub request: RequestArgs,

    /// What to print on stdout.
    #[arg(long, short, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Json)]
    pub output: OutputFormat,
}

/// Everything that makes a refresh request: the session, where Cognito is, which API.
#[derive(Args, Debug)]
pub struct RequestArgs {
    #[command(flatten)]
    pub session: SessionArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Which API refreshes: InitiateAuth with REFRESH_TOKEN_AUTH, GetTokensFromRefreshToken
    /// (needed by app clients with refresh token rotation; needs no username), or the user pool
    /// domain's OAuth2 token endpoint (sessions from the hosted UI; needs --domain).
    #[arg(long, value_enum, value_name = "API", default_value_t = Api::InitiateAuth)]
    pub api: Api,

    /// The user pool's domain, for --api oauth2: https://DOMAIN (the hosted UI's, e.g.
    /// myapp.auth.eu-west-1.amazoncognito.com, or a custom domain). Also the profile's `domain`.
    #[arg(long, env = "COGNITO_DOMAIN", value_name = "URL")]
    pub domain: Option<String>,

    /// Key and value passed to the user pool's Lambda triggers; repeatable.
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub client_metadata: Vec<(String, String)>,
}

/// The session to refresh: who, with which secrets.
#[derive(Args, Debug)]
pub struct SessionArgs {
    /// The app client id the refresh token was issued to (or the profile's client_id).
    #[arg(long, env = "COGNITO_CLIENT_ID", value_name = "ID")]
    pub client_id: Option<String>,

    /// Read the refresh token from a file (`-`: standard input).
    #[arg(long, value_name = "PATH", conflicts_with = "refresh_token")]
    pub refresh_token_file: Option<PathBuf>,

    /// The refresh token. Prefer the environment variable or --refresh-token-file.
    #[arg(long, env = "COGNITO_REFRESH_TOKEN", hide_env_values = true, value_name = "TOKEN",
          value_parser = secret)]
    pub refresh_token: Option<SecretString>,

    /// Read the app client's secret from a file (`-`: standard input).
    #[arg(long, value_name = "PATH", conflicts_with = "client_secret")]
    pub client_secret_file: Option<PathBuf>,

    /// The app client's secret. Prefer the environment variable or --client-secret-file.
    #[arg(long, env = "COGNITO_CLIENT_SECRET", hide_env_values = true, value_name = "SECRET",
          value_parser = secret)]
    pub client_secret: Option<SecretString>,

    /// The user's Cognito username, for SECRET_HASH (the real username, not an email alias).
    /// Read from --access-token or --id-token when absent.
    #[arg(long, env = "COGNITO_USERNAME", value_name = "NAME")]
    pub username: Option<String>,

    /// The device key, when the user pool tracks devices. Read from --access-token when absent.
    #[arg(long, env = "COGNITO_DEVICE_KEY", value_name = "KEY")]
    pub device_key: Option<String>,

    /// An access token of the session (expired is fine): username, device key and region are
    /// read from its claims.
    #[arg(long, value_name = "JWT", value_parser = secret)]
    pub access_token: Option<SecretString>,

    /// An ID token of the session (expired is fine): username and region are read from its claims.
    #[arg(long, value_name = "JWT", value_parser = secret)]
    pub id_token: Option<SecretString>,
}

/// Where Cognito is and how long to wait for it.
#[derive(Args, Debug)]
pub struct ConnectionArgs {
    /// The AWS region [env: AWS_REGION, AWS_DEFAULT_REGION]. Inferred from --user-pool-id or a
    /// token's issuer when absent.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// The user pool id, e.g. eu-west-1_AbC123; gives the region.
    #[arg(long, env = "COGNITO_USER_POOL_ID", value_name = "ID")]
    pub user_pool_id: Option<String>,

    /// Send requests here instead of Cognito's regional endpoint (an emulator or a private
    /// endpoint) [env: AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, AWS_ENDPOINT_URL]. Plain http://
    /// only for loopback hosts.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Give up after this many seconds, retries included.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = parse_timeout)]
    pub timeout: f64,
}

#[derive(Args, Debug)]
pub struct DecodeArgs {
    /// The token; read from standard input when absent.
    #[arg(value_name = "TOKEN", value_parser = secret)]
    pub token: Option<SecretString>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// InitiateAuth with REFRESH_TOKEN_AUTH, SECRET_HASH and DEVICE_KEY.
    InitiateAuth,
    /// GetTokensFromRefreshToken, with the raw client secret.
    GetTokens,
    /// POST /oauth2/token at the user pool's domain, the client secret as HTTP Basic.
    #[value(name = "oauth2")]
    OAuth2,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// A JSON object: access_token, id_token, token_type, expires_in, expires_at, and
    /// refresh_token / new_device when Cognito returned them.
    Json,
    /// `export NAME='value'` lines, safe to eval.
    Env,
    /// The access token alone.
    AccessToken,
    /// The ID token alone.
    IdToken,
    /// What `aws cognito-idp initiate-auth` prints.
    Aws,
}

fn secret(s: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(s))
}

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some(("", _)) => Err("the key is empty".into()),
        Some((k, v)) => Ok((k.to_string(), v.to_string())),
        None => Err("expected KEY=VALUE".into()),
    }
}

/// A duration: `5m`, `300s`, `1h`, `1h30m`, `2d`, or a number of seconds; at most 30 days.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    const EXPECTED: &str = "expected a duration like 5m, 300s, 1h or 1h30m, or a number of seconds";
    let s = s.trim();
    if s.is_empty() {
        return Err(EXPECTED.into());
    }
    let mut total: u64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return Err(EXPECTED.into());
        }
        let number: u64 = rest[..digits].parse().map_err(|_| EXPECTED.to_string())?;
        rest = &rest[digits..];
        let unit_len = rest.len()
            - rest
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .len();
        let seconds = match &rest[..unit_len] {
            // A bare number is seconds, but only on its own: `5m30` is ambiguous.
            "" if total == 0 && rest.is_empty() => 1,
            "s" | "sec" | "secs" => 1,
            "m" | "min" | "mins" => 60,
            "h" | "hour" | "hours" => 3600,
            "d" | "day" | "days" => 86_400,
            _ => return Err(EXPECTED.into()),
        };
        rest = &rest[unit_len..];
        total = number
            .checked_mul(seconds)
            .and_then(|n| total.checked_add(n))
            .ok_or_else(|| EXPECTED.to_string())?;
    }
    if total > 30 * 86_400 {
        return Err("at most 30 days".into());
    }
    Ok(Duration::from_secs(total))
}

fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(t) if t.is_finite() && t > 0.0 && t <= 3600.0 => Ok(t),
        _ => Err("expected a number of seconds, more than 0 and at most 3600".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use secrecy::ExposeSecret;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("cognito-refresh").chain(args.iter().copied()))
    }

    fn refresh(args: &[&str]) -> RefreshArgs {
        match parse(&[&["refresh", "--client-id", "c1"], args].concat())
            .unwrap()
            .command
        {
            Command::Refresh(r) => *r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults() {
        let r = refresh(&[]);
        assert_eq!(r.request.api, Api::InitiateAuth);
        assert_eq!(r.output, OutputFormat::Json);
        assert_eq!(r.request.connection.timeout, 10.0);
        assert!(r.request.client_metadata.is_empty());
    }

    #[test]
    fn values() {
        let r = refresh(&[
            "--api",
            "get-tokens",
            "--output",
            "access-token",
            "--timeout",
            "2.5",
            "--client-metadata",
            "a=b=c",
            "--client-metadata",
            "x=",
            "--refresh-token",
            "rt",
            "--username",
            "alice",
            "--device-key",
            "dk",
            "--region",
            "eu-west-1",
        ]);
        assert_eq!(r.request.api, Api::GetTokens);
        assert_eq!(r.output, OutputFormat::AccessToken);
        assert_eq!(r.request.connection.timeout, 2.5);
        assert_eq!(
            r.request.client_metadata,
            vec![("a".into(), "b=c".into()), ("x".into(), String::new())]
        );
        assert_eq!(
            r.request.session.refresh_token.unwrap().expose_secret(),
            "rt"
        );
        assert_eq!(r.request.session.username.as_deref(), Some("alice"));
        assert_eq!(r.request.session.device_key.as_deref(), Some("dk"));
        assert_eq!(r.request.connection.region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn rejects_bad_values() {
        for bad in [
            &["--api", "oauth"][..],
            &["--domain"],
            &["--output", "yaml"],
            &["--timeout", "0"],
            &["--timeout", "-1"],
            &["--timeout", "soon"],
            &["--client-metadata", "novalue"],
            &["--client-metadata", "=v"],
            &["--refresh-token", "a", "--refresh-token-file", "f"],
            &["--client-secret", "a", "--client-secret-file", "f"],
        ] {
            let args = [&["refresh", "--client-id", "c1"], bad].concat();
            assert!(parse(&args).is_err(), "{bad:?}");
        }
        assert!(parse(&["refresh", "-v", "-q", "--client-id", "c"]).is_err());
    }

    #[test]
    fn durations() {
        for (text, secs) in [
            ("5m", 300),
            ("300s", 300),
            ("300", 300),
            ("1h", 3600),
            ("1h30m", 5400),
            ("2d", 172_800),
            ("0", 0),
            (" 10 ", 10),
        ] {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_secs(secs)),
                "{text}"
            );
        }
        for bad in [
            "",
            "m",
            "5x",
            "-5m",
            "5m30",
            "1.5h",
            "99999999999999999999",
            "31d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn profile_options_go_with_every_command() {
        let cli = parse(&[
            "token",
            "--profile",
            "ci",
            "--store",
            "/s",
            "--min-ttl",
            "1h",
            "--id",
        ])
        .unwrap();
        assert_eq!(cli.profile.profile.as_deref(), Some("ci"));
        assert_eq!(cli.profile.store_dir, Some(PathBuf::from("/s")));
        match cli.command {
            Command::Token(t) => {
                assert!(t.id);
                assert_eq!(t.freshness.min_ttl, Duration::from_secs(3600));
                assert!(!t.freshness.force);
            }
            other => panic!("{other:?}"),
        }
        let cli = parse(&["--profile", "x", "decode", "--config", "/c.toml", "t"]).unwrap();
        assert_eq!(cli.profile.profile.as_deref(), Some("x"));
        assert_eq!(cli.profile.config, Some(PathBuf::from("/c.toml")));
        assert!(parse(&["token", "--min-ttl", "soon"]).is_err());
    }

    #[test]
    fn exec_takes_the_command_and_its_options() {
        for args in [
            &["exec", "-p", "ci", "--", "sh", "-c", "exit 7"][..],
            &["exec", "-p", "ci", "sh", "-c", "exit 7"],
        ] {
            match parse(args).unwrap().command {
                Command::Exec(e) => {
                    assert_eq!(e.command, ["sh", "-c", "exit 7"].map(OsString::from));
                    assert!(!e.allow_nested);
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(parse(&["exec", "-p", "ci"]).is_err());
        assert!(parse(&["exec", "-p", "ci", "--"]).is_err());
    }

    fn diagnose(args: &[&str]) -> DiagnoseArgs {
        match parse(&[&["diagnose", "--client-id", "c1"], args].concat())
            .unwrap()
            .command
        {
            Command::Diagnose(d) => *d,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn diagnose_takes_the_refresh_options() {
        let d = diagnose(&[]);
        assert!(!d.inspect);
        assert_eq!(d.aws_profile, None);
        assert_eq!(d.output, ReportFormat::Human);
        assert_eq!(d.request.api, Api::InitiateAuth);
        let d = diagnose(&[
            "--inspect",
            "--aws-profile",
            "admin",
            "-o",
            "json",
            "--api",
            "get-tokens",
            "--device-key",
            "dk",
            "--timeout",
            "3",
        ]);
        assert!(d.inspect);
        assert_eq!(d.aws_profile.as_deref(), Some("admin"));
        assert_eq!(d.output, ReportFormat::Json);
        assert_eq!(d.request.api, Api::GetTokens);
        assert_eq!(d.request.session.device_key.as_deref(), Some("dk"));
        assert_eq!(d.request.connection.timeout, 3.0);
        for bad in [&["-o", "env"][..], &["--inspect=yes"], &["--aws-profile"]] {
            let args = [&["diagnose", "--client-id", "c1"], bad].concat();
            assert!(parse(&args).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn login_takes_no_password_argument() {
        let base = ["login", "--username", "alice", "--client-id", "c1"];
        for bad in [
            &["--password", "p"][..],
            &["--flow", "custom"],
            &["--mfa-type", "voice"],
            &["--client-secret", "a", "--client-secret-file", "f"],
        ] {
            assert!(parse(&[&base[..], bad].concat()).is_err(), "{bad:?}");
        }
        let cli = parse(
            &[
                &base[..],
                &[
                    "--flow",
                    "password",
                    "--mfa-code",
                    "123456",
                    "--mfa-type",
                    "totp",
                ],
            ]
            .concat(),
        )
        .unwrap();
        let Command::Login(l) = cli.command else {
            panic!("not login")
        };
        assert_eq!(l.flow, Flow::Password);
        assert_eq!(
            l.mfa_type.map(MfaType::challenge),
            Some("SOFTWARE_TOKEN_MFA")
        );
        assert!(!format!("{l:?}").contains("123456"));
    }

    #[test]
    fn debug_redacts_secrets() {
        let r = refresh(&[
            "--refresh-token",
            "rt-value-1",
            "--client-secret",
            "cs-value-2",
            "--access-token",
            "at-value-3",
            "--id-token",
            "it-value-4",
        ]);
        let debug = format!("{r:?}");
        for secret in ["rt-value-1", "cs-value-2", "at-value-3", "it-value-4"] {
            assert!(!debug.contains(secret), "{debug}");
        }
    }
}
