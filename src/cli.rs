//! The command line: clap types only. `main.rs` turns them into the core's options.

use clap::{Args, Parser, Subcommand, ValueEnum};
use secrecy::SecretString;
use std::path::PathBuf;

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

    /// Sign in with a username and password: USER_SRP_AUTH (the password never leaves this
    /// machine) or USER_PASSWORD_AUTH, answering MFA and new-password challenges.
    ///
    /// The password comes from --password-file, COGNITO_PASSWORD, or a prompt that does not
    /// echo when standard input is a terminal; never from an argument.
    ///
    /// Example:
    ///   cognito-refresh login --client-id 4f1example --user-pool-id eu-west-1_AbC123 \
    ///     --username alice --print
    #[command(verbatim_doc_comment)]
    Login(Box<LoginArgs>),
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

    /// Print the tokens on stdout, as `refresh --output json` does, refresh_token included.
    #[arg(long)]
    pub print: bool,

    /// Remember this device when the user pool offers it (ConfirmDevice): later sign-ins
    /// answer the device challenge, and refreshes send the device key.
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
    /// myapp.auth.eu-west-1.amazoncognito.com, or a custom domain).
    #[arg(long, env = "COGNITO_DOMAIN", value_name = "URL")]
    pub domain: Option<String>,

    /// Key and value passed to the user pool's Lambda triggers; repeatable.
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub client_metadata: Vec<(String, String)>,
}

/// The session to refresh: who, with which secrets.
#[derive(Args, Debug)]
pub struct SessionArgs {
    /// The app client id the refresh token was issued to.
    #[arg(long, env = "COGNITO_CLIENT_ID", value_name = "ID")]
    pub client_id: String,

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
