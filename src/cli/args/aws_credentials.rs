//! `aws-credentials`' options: the identity pool, the output, the freshness, and the stored
//! session whose ID token logs in.

use super::identity::IdentityArgs;
use super::subcommands::{FreshnessArgs, StoredSessionArgs};
use clap::{Args, ValueEnum};

#[derive(Args, Debug)]
#[command(
    mut_arg("endpoint_url", |a| a.help(
        "Send requests here instead of Cognito's regional endpoints, for the user pool and the \
         identity pool (an emulator) [env: AWS_ENDPOINT_URL_COGNITO_IDENTITY for the identity \
         pool, AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER for the user pool, AWS_ENDPOINT_URL]. \
         Plain http:// only for loopback hosts")),
    mut_arg("min_ttl", |a| a.help(
        "Fetch new credentials when the stored ones expire within this: 5m, 300s, 1h, 1h30m, or \
         seconds")),
    mut_arg("force", |a| a.help("Fetch new credentials even when the stored ones are valid")),
)]
pub struct AwsCredentialsArgs {
    #[command(flatten)]
    pub identity: IdentityArgs,

    /// What to print on stdout.
    #[arg(long, short, value_enum, value_name = "FORMAT",
          default_value_t = AwsOutputFormat::CredentialProcess)]
    pub output: AwsOutputFormat,

    #[command(flatten)]
    pub freshness: FreshnessArgs,

    #[command(flatten)]
    pub session: StoredSessionArgs,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsOutputFormat {
    /// The JSON the AWS CLI and SDKs read from a `credential_process`: Version, AccessKeyId,
    /// SecretAccessKey, SessionToken, Expiration.
    CredentialProcess,
    /// `export AWS_ACCESS_KEY_ID='...'` lines (and the secret key, session token, expiration),
    /// safe to eval.
    Env,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::args::{Cli, Command};
    use crate::cli::settings::{Flags, Source, resolve, value};
    use clap::Parser as _;
    use cognito_refresh::Profile;
    use std::ffi::OsString;

    fn parse(args: &[&str]) -> AwsCredentialsArgs {
        let cli =
            Cli::try_parse_from([&["cognito-refresh", "aws-credentials"], args].concat()).unwrap();
        match cli.command {
            Command::AwsCredentials(a) => *a,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn defaults_and_values() {
        let a = parse(&[]);
        assert_eq!(a.output, AwsOutputFormat::CredentialProcess);
        assert_eq!(a.identity.identity_pool_id, None);
        let a = parse(&[
            "-o",
            "env",
            "--identity-pool-id",
            "eu-west-1:x",
            "--role-arn",
            "r",
        ]);
        assert_eq!(a.output, AwsOutputFormat::Env);
        assert_eq!(a.identity.identity_pool_id.as_deref(), Some("eu-west-1:x"));
        assert_eq!(a.identity.role_arn.as_deref(), Some("r"));
    }

    /// The identity pool's endpoint: the flag, else the profile's endpoint_url, else the
    /// identity pool's variable, else AWS_ENDPOINT_URL; the user pool's own variable is not
    /// the identity pool's, nor the other way round.
    #[test]
    fn the_identity_endpoint_follows_the_precedence() {
        let env_of = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        let resolved = |args: &[&str], profile: Option<&Profile>, env: &dyn Fn(&str) -> _| {
            let a = parse(args);
            let flags = Flags {
                identity: Some(&a.identity),
                ..Flags::from(&a.session)
            };
            let s = resolve(flags, profile, env);
            (
                s.identity_endpoint_url.map(|s| (s.value, s.source)),
                value(&s.endpoint_url),
                value(&s.identity_pool_id),
            )
        };
        let both: &[_] = &[
            ("AWS_ENDPOINT_URL_COGNITO_IDENTITY", "http://127.0.0.1:1"),
            (
                "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
                "http://127.0.0.1:2",
            ),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:3"),
            ("COGNITO_IDENTITY_POOL_ID", "eu-west-1:env"),
        ];
        let (identity, user_pool, pool) = resolved(&[], None, &env_of(both));
        assert_eq!(
            identity,
            Some((
                "http://127.0.0.1:1".into(),
                Source::Env("AWS_ENDPOINT_URL_COGNITO_IDENTITY")
            ))
        );
        assert_eq!(user_pool.as_deref(), Some("http://127.0.0.1:2"));
        assert_eq!(pool.as_deref(), Some("eu-west-1:env"));
        let (identity, _, _) = resolved(&[], None, &env_of(&[("AWS_ENDPOINT_URL", "http://a")]));
        assert_eq!(
            identity,
            Some(("http://a".into(), Source::Env("AWS_ENDPOINT_URL")))
        );
        let mut profile = Profile::default();
        profile.endpoint_url = Some("http://127.0.0.1:4".into());
        profile.identity_pool_id = Some("eu-west-1:profile".into());
        let (identity, _, pool) = resolved(&[], Some(&profile), &env_of(both));
        assert_eq!(
            identity,
            Some(("http://127.0.0.1:4".into(), Source::Profile))
        );
        assert_eq!(pool.as_deref(), Some("eu-west-1:profile"));
        let (identity, _, pool) = resolved(
            &[
                "--endpoint-url",
                "http://127.0.0.1:5",
                "--identity-pool-id",
                "eu-west-1:flag",
            ],
            Some(&profile),
            &env_of(both),
        );
        assert_eq!(identity, Some(("http://127.0.0.1:5".into(), Source::Flag)));
        assert_eq!(pool.as_deref(), Some("eu-west-1:flag"));
    }
}
