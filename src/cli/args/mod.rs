//! The command line: clap types only. Each group of options is defined once, in its own file,
//! and flattened into the subcommands that take it; `settings.rs` resolves them.

mod api;
mod aws_credentials;
mod browser;
mod candidates;
mod client;
mod client_token;
mod connection;
mod generate;
mod identity;
mod init_store;
mod parse;
mod profile;
mod refresh_token;
mod session;
mod subcommands;
mod user;
mod verify;

pub use api::{Api, ApiArgs, AwsProfileArgs, ClientMetadataArgs};
pub use aws_credentials::{AwsCredentialsArgs, AwsOutputFormat};
pub use browser::{DEFAULT_BROWSER_WAIT, DEFAULT_REDIRECT_URI};
pub use client_token::{ClientTokenApi, ClientTokenArgs, ClientTokenOutput};
pub use connection::DEFAULT_TIMEOUT;
pub use generate::{CompletionsArgs, ManArgs, Shell};
pub use init_store::InitStoreArgs;
pub use profile::ProfileArgs;
pub use subcommands::*;
pub use verify::{TokenUseArg, VerifyArgs, VerifyFormat};

use clap::{Parser, Subcommand};

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
    ///       --access-token-file access.jwt --region eu-west-1 --inspect
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
    /// ones), and COGNITO_REFRESH_EXEC to the profile's name; removes the variables holding a
    /// refresh token, client secret or password (see --pass-env). The command replaces this
    /// process: it gets signals directly, and its exit status is this command's. With --watch
    /// it runs as a child instead, COGNITO_TOKEN_FILE naming a file kept fresh for it.
    ///
    /// Example:
    ///   cognito-refresh exec --profile ci -- ./deploy.sh --stage prod
    #[command(verbatim_doc_comment)]
    Exec(Box<ExecArgs>),

    /// Keep a file holding a profile's fresh token, for processes that run for hours.
    ///
    /// The file (0600, replaced atomically) is rewritten with new tokens before --min-ttl of the
    /// old ones is left. A failed refresh that may pass (network, throttling) is retried with
    /// backoff, the file kept while its token is valid; a dead session ends the command (exit
    /// 3). SIGTERM and SIGINT end it with exit 0.
    ///
    /// Example:
    ///   cognito-refresh watch --profile ci --sink /run/app/token &
    ///   curl -H "Authorization: Bearer $(cat /run/app/token)" https://api.example.com/
    #[command(verbatim_doc_comment)]
    Watch(Box<WatchArgs>),

    /// List the profiles and the state of their tokens (never a token).
    Profiles(ProfilesArgs),

    /// Sign in with a username and password: USER_SRP_AUTH (the password never leaves this
    /// machine) or USER_PASSWORD_AUTH, answering MFA and new-password challenges; or, with
    /// --flow browser, through the hosted UI in the browser.
    ///
    /// The password comes from --password-file, COGNITO_PASSWORD, or a prompt that does not
    /// echo when standard input is a terminal; never from an argument.
    ///
    /// The tokens go into the profile's token store; --print also prints them. With
    /// --remember-device the device is confirmed, and later sign-ins answer the device challenge.
    ///
    /// --flow browser (federated users, managed login): the authorization code grant with PKCE
    /// at --domain, redirected to a listener on this machine (--redirect-uri, which the app
    /// client must allow); the profile then refreshes at the domain's token endpoint.
    ///
    /// Examples:
    ///   cognito-refresh login --profile dev --client-id 4f1example \
    ///     --user-pool-id eu-west-1_AbC123 --username alice --remember-device
    ///   cognito-refresh login --profile web --flow browser --client-id 4f1example \
    ///     --domain https://myapp.auth.eu-west-1.amazoncognito.com
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

    /// Get an access token for an app client itself (machine to machine), with its id and
    /// secret: the OAuth2 client credentials grant at the user pool's domain, or GetClientToken.
    ///
    /// With --profile the settings are saved as a profile with grant = "client_credentials",
    /// and the token is kept in the store: `token` and `exec` then serve it until it nears
    /// expiry, and ask for a new one only then.
    ///
    /// Example:
    ///   COGNITO_CLIENT_SECRET=... cognito-refresh client-token --profile api --client-id 7ab2example \
    ///     --domain myapp.auth.eu-west-1.amazoncognito.com --scope orders/read
    #[command(verbatim_doc_comment)]
    ClientToken(Box<ClientTokenArgs>),

    /// Print temporary AWS credentials for a profile's user, from a Cognito identity pool,
    /// in the JSON an AWS `credential_process` gives (or as `export` lines).
    ///
    /// The profile's ID token (refreshed first when needed) is the login of GetId and
    /// GetCredentialsForIdentity. The credentials are kept in the store and served from it
    /// until --min-ttl before they expire.
    ///
    /// Example, in ~/.aws/config:
    ///   [profile dev]
    ///   credential_process = cognito-refresh aws-credentials --profile dev
    #[command(verbatim_doc_comment)]
    AwsCredentials(Box<AwsCredentialsArgs>),

    /// Check an access or ID token as an API would, and say why an API answers 401: the
    /// signature (with the user pool's keys), the issuer, the token use, the app client, the
    /// expiry and the scopes, one line each. Exits 0 when valid, 3 when not.
    ///
    /// The token comes from --token-file, the profile's store (--profile, --id), or standard
    /// input. Only the user pool's public signing keys are fetched (and cached); the token is
    /// sent nowhere.
    ///
    /// Example:
    ///   cognito-refresh token --profile dev | cognito-refresh verify \
    ///     --user-pool-id eu-west-1_AbC123 --client-id 4f1example --scope orders/read
    #[command(verbatim_doc_comment)]
    Verify(Box<VerifyArgs>),

    /// Create the DynamoDB table a shared token store keeps sessions in (a profile's
    /// `store = "dynamodb://TABLE"`): keyed by profile name, on-demand capacity, encrypted at
    /// rest with the AWS managed KMS key. A table of that name with that key is left as it is.
    ///
    /// Example:
    ///   cognito-refresh init-store dynamodb://cognito-tokens --region eu-west-1 --dry-run
    #[command(verbatim_doc_comment)]
    InitStore(Box<InitStoreArgs>),

    /// Print the shell completion script for bash, zsh, fish, powershell or elvish.
    ///
    /// The script asks cognito-refresh (found on PATH) for the candidates as you type, so
    /// profile names complete from the config file (--config, COGNITO_REFRESH_CONFIG or the
    /// default).
    ///
    /// Examples:
    ///   cognito-refresh completions bash > ~/.local/share/bash-completion/completions/cognito-refresh
    ///   cognito-refresh completions zsh > "${fpath[1]}/_cognito-refresh"
    ///   cognito-refresh completions fish > ~/.config/fish/completions/cognito-refresh.fish
    #[command(verbatim_doc_comment)]
    Completions(CompletionsArgs),

    /// Print the man page (roff), or write one page per command with --dir.
    ///
    /// Example:
    ///   cognito-refresh man --dir ~/.local/share/man/man1
    #[command(verbatim_doc_comment)]
    Man(ManArgs),
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use secrecy::ExposeSecret;
    use std::ffi::OsString;
    use std::path::PathBuf;
    use std::time::Duration;

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
        assert_eq!(r.session.api.api, None);
        assert_eq!(r.output, OutputFormat::Json);
        assert_eq!(r.session.connection.timeout, None);
        assert!(r.session.api.metadata.client_metadata.is_empty());
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
        assert_eq!(r.session.api.api, Some(Api::GetTokens));
        assert_eq!(r.output, OutputFormat::AccessToken);
        assert_eq!(r.session.connection.timeout, Some(2.5));
        assert_eq!(
            r.session.api.metadata.client_metadata,
            vec![("a".into(), "b=c".into()), ("x".into(), String::new())]
        );
        assert_eq!(
            r.session
                .refresh_token
                .refresh_token
                .unwrap()
                .expose_secret(),
            "rt"
        );
        assert_eq!(r.session.user.name.username.as_deref(), Some("alice"));
        assert_eq!(r.session.user.device.device_key.as_deref(), Some("dk"));
        assert_eq!(r.session.connection.region.as_deref(), Some("eu-west-1"));
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
        assert_eq!(d.session.api.aws.aws_profile, None);
        assert_eq!(d.output, ReportFormat::Human);
        assert_eq!(d.session.api.api, None);
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
        assert_eq!(d.session.api.aws.aws_profile.as_deref(), Some("admin"));
        assert_eq!(d.output, ReportFormat::Json);
        assert_eq!(d.session.api.api, Some(Api::GetTokens));
        assert_eq!(d.session.user.device.device_key.as_deref(), Some("dk"));
        assert_eq!(d.session.connection.timeout, Some(3.0));
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
