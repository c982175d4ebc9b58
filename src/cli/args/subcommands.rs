//! Each subcommand's arguments: the option groups it takes, flattened, and its own options.

use super::api::{ApiArgs, AwsProfileArgs, ClientMetadataArgs};
use super::browser::BrowserArgs;
use super::client::ClientArgs;
use super::connection::ConnectionArgs;
use super::identity::{ExecAwsArgs, IdentityArgs};
use super::parse::secret;
use super::refresh_token::RefreshTokenArgs;
use super::session::SessionTokenArgs;
use super::user::{DeviceKeyArgs, UserArgs, UsernameArgs};
use clap::{Args, ValueEnum};
use secrecy::SecretString;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

/// A session given on the command line (or the environment): everything a refresh needs.
/// `refresh`, `diagnose` and `store` take it.
#[derive(Args, Debug)]
pub struct GivenSessionArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    #[command(flatten)]
    pub refresh_token: RefreshTokenArgs,

    #[command(flatten)]
    pub user: UserArgs,

    #[command(flatten)]
    pub tokens: SessionTokenArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    #[command(flatten)]
    pub api: ApiArgs,
}

/// A session kept in the profile's token store: what a refresh needs besides the refresh
/// token, filling in or overriding the profile's settings. `token`, `exec`, `logout` and
/// `forget-device` take it.
#[derive(Args, Debug)]
#[command(
    mut_arg("client_id", |a| a.help(
        "The app client id the refresh token was issued to [env: COGNITO_CLIENT_ID]")),
    mut_arg("username", |a| a.help(
        "The user's Cognito username, for SECRET_HASH (the real username, not an email alias). \
         Read from the stored tokens when absent [env: COGNITO_USERNAME]")),
    mut_arg("device_key", |a| a.help(
        "The device key, when the user pool tracks devices. Read from the stored tokens when \
         absent [env: COGNITO_DEVICE_KEY]")),
)]
pub struct StoredSessionArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    #[command(flatten)]
    pub user: UserArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    #[command(flatten)]
    pub api: ApiArgs,
}

/// The option groups a command takes; the settings of a group it does not take stay unset
/// (their variables are not read either).
#[derive(Debug, Default, Clone, Copy)]
pub struct Flags<'a> {
    pub client: Option<&'a ClientArgs>,
    pub refresh_token: Option<&'a RefreshTokenArgs>,
    pub username: Option<&'a UsernameArgs>,
    pub device_key: Option<&'a DeviceKeyArgs>,
    pub tokens: Option<&'a SessionTokenArgs>,
    pub connection: Option<&'a ConnectionArgs>,
    pub api: Option<&'a ApiArgs>,
    pub metadata: Option<&'a ClientMetadataArgs>,
    pub aws: Option<&'a AwsProfileArgs>,
    pub identity: Option<&'a IdentityArgs>,
}

impl<'a> From<&'a GivenSessionArgs> for Flags<'a> {
    fn from(a: &'a GivenSessionArgs) -> Self {
        Flags {
            client: Some(&a.client),
            refresh_token: Some(&a.refresh_token),
            username: Some(&a.user.name),
            device_key: Some(&a.user.device),
            tokens: Some(&a.tokens),
            connection: Some(&a.connection),
            api: Some(&a.api),
            metadata: Some(&a.api.metadata),
            aws: Some(&a.api.aws),
            ..Flags::default()
        }
    }
}

impl<'a> From<&'a StoredSessionArgs> for Flags<'a> {
    fn from(a: &'a StoredSessionArgs) -> Self {
        Flags {
            client: Some(&a.client),
            username: Some(&a.user.name),
            device_key: Some(&a.user.device),
            connection: Some(&a.connection),
            api: Some(&a.api),
            metadata: Some(&a.api.metadata),
            aws: Some(&a.api.aws),
            ..Flags::default()
        }
    }
}

impl<'a> From<&'a LoginArgs> for Flags<'a> {
    fn from(a: &'a LoginArgs) -> Self {
        Flags {
            client: Some(&a.client),
            username: Some(&a.username),
            connection: Some(&a.connection),
            metadata: Some(&a.metadata),
            aws: Some(&a.aws),
            ..Flags::default()
        }
    }
}

#[derive(Args, Debug)]
pub struct RefreshArgs {
    #[command(flatten)]
    pub session: GivenSessionArgs,

    /// What to print on stdout.
    #[arg(long, short, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Json)]
    pub output: OutputFormat,
}

#[derive(Args, Debug)]
pub struct DiagnoseArgs {
    #[command(flatten)]
    pub session: GivenSessionArgs,

    /// Also read the app client's and user pool's settings (DescribeUserPoolClient,
    /// DescribeUserPool) with AWS credentials from the standard chain. Without it, no AWS
    /// credentials are looked for.
    #[arg(long)]
    pub inspect: bool,

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

#[derive(Args, Debug)]
pub struct StoreArgs {
    /// Replace a stored refresh token that Cognito rotated (the one given may be one it
    /// rotated out, which Cognito refuses).
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub session: GivenSessionArgs,
}

#[derive(Args, Debug)]
pub struct TokenArgs {
    /// Print the ID token instead of the access token.
    #[arg(long)]
    pub id: bool,

    #[command(flatten)]
    pub freshness: FreshnessArgs,

    #[command(flatten)]
    pub session: StoredSessionArgs,
}

#[derive(Args, Debug)]
pub struct ExecArgs {
    /// Run even inside another `cognito-refresh exec` (COGNITO_REFRESH_EXEC is set).
    #[arg(long)]
    pub allow_nested: bool,

    #[command(flatten)]
    pub freshness: FreshnessArgs,

    #[command(flatten)]
    pub session: StoredSessionArgs,

    /// Run the command as a child, and keep a file holding a fresh access token for it while
    /// it runs (COGNITO_TOKEN_FILE names it), as `watch` does: for commands that run longer
    /// than a token lasts. Signals are forwarded to the command; its exit status is returned.
    #[arg(long)]
    pub watch: bool,
    #[command(flatten)]
    pub aws: ExecAwsArgs,

    /// Keep this variable in the command's environment though it holds a secret: the
    /// command gets none of COGNITO_REFRESH_TOKEN, COGNITO_CLIENT_SECRET, the profile's
    /// client_secret_env, COGNITO_PASSWORD, COGNITO_NEW_PASSWORD, COGNITO_MFA_CODE otherwise.
    /// Repeatable.
    #[arg(long, value_name = "NAME")]
    pub pass_env: Vec<String>,

    /// The command to run and its arguments (after `--` when they start with `-`).
    #[arg(value_name = "COMMAND", required = true, num_args = 1.., trailing_var_arg = true)]
    pub command: Vec<OsString>,
}

#[derive(Args, Debug)]
pub struct WatchArgs {
    /// The file to keep the token in (created 0600, replaced atomically at each refresh).
    #[arg(long, value_name = "PATH")]
    pub sink: PathBuf,

    /// What the file holds.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = SinkFormat::AccessToken)]
    pub format: SinkFormat,

    #[command(flatten)]
    pub freshness: FreshnessArgs,

    #[command(flatten)]
    pub session: StoredSessionArgs,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkFormat {
    /// The access token alone, without a newline (for an Authorization header).
    AccessToken,
    /// `{"access_token", "id_token", "expires_at"}`.
    Json,
    /// `COGNITO_ACCESS_TOKEN=...`, `COGNITO_ID_TOKEN=...` and `COGNITO_TOKEN_EXPIRES_AT=...`
    /// lines, as an env file (`docker run --env-file`, systemd's EnvironmentFile) takes them.
    Env,
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

#[derive(Args, Debug)]
#[command(
    mut_arg("username", |a| a.help(
        "The username to sign in with (an email or phone number where the pool allows) \
         [env: COGNITO_USERNAME]")),
    mut_arg("client_id", |a| a.help("The app client id [env: COGNITO_CLIENT_ID]")),
    mut_arg("timeout", |a| a.help(
        "Give up after this many seconds, retries included [default: 10]. With --flow browser: \
         how long to wait for the sign-in in the browser [default: 300]")),
)]
pub struct LoginArgs {
    #[command(flatten)]
    pub username: UsernameArgs,

    /// srp: USER_SRP_AUTH, the password proven without being sent (needs --user-pool-id;
    /// needed for remembered devices). password: USER_PASSWORD_AUTH. admin-password:
    /// ADMIN_USER_PASSWORD_AUTH through the admin API, signed with AWS credentials (needs
    /// --user-pool-id; for backends). browser: the hosted UI in the browser (needs --domain),
    /// for federated users and managed login.
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

    #[command(flatten)]
    pub client: ClientArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    #[command(flatten)]
    pub metadata: ClientMetadataArgs,

    #[command(flatten)]
    pub aws: AwsProfileArgs,

    #[command(flatten)]
    pub browser: BrowserArgs,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// USER_SRP_AUTH.
    Srp,
    /// USER_PASSWORD_AUTH.
    Password,
    /// ADMIN_USER_PASSWORD_AUTH (AdminInitiateAuth), signed with AWS credentials.
    AdminPassword,
    /// The authorization code grant with PKCE, in the browser.
    Browser,
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
    pub session: StoredSessionArgs,
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
    pub session: StoredSessionArgs,
}

#[derive(Args, Debug)]
pub struct DecodeArgs {
    /// The token; read from standard input when absent.
    #[arg(value_name = "TOKEN", value_parser = secret)]
    pub token: Option<SecretString>,
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
