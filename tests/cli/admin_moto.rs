//! The admin API against moto: `refresh --api admin-initiate-auth` (AdminInitiateAuth
//! REFRESH_TOKEN_AUTH) and `login --flow admin-password` (ADMIN_USER_PASSWORD_AUTH), signed with
//! AWS credentials from the standard chain. moto checks no signature, but its fixture records
//! the access key each call was signed with; refusals moto cannot give (AccessDenied, unknown
//! keys) come from the wire-format stub.

use crate::login_moto::{login, login_profile};
use crate::support::moto::{Session, moto};
use crate::support::wire;
use crate::util::*;
use assert_cmd::Command;
use tempfile::TempDir;

const ADMIN_REFRESH: &str = "AdminInitiateAuth:REFRESH_TOKEN_AUTH";
const ADMIN_SIGN_IN: &str = "AdminInitiateAuth:ADMIN_USER_PASSWORD_AUTH";
/// The access key of the AWS profile `backend` in [`AwsFiles`]; the default profile has another.
const BACKEND_KEY: &str = "AKIABACKEND000000001";
const BACKEND_SECRET: &str = "backend-secret-access-key-0001";
const DEFAULT_KEY: &str = "AKIADEFAULT000000001";
const DEFAULT_SECRET: &str = "default-secret-access-key-0001";

/// An AWS shared credentials file with two profiles, `default` and `backend`, and an empty
/// config file: the standard chain finds nothing else (no instance metadata either).
struct AwsFiles {
    dir: TempDir,
}

impl AwsFiles {
    fn new() -> AwsFiles {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("credentials"),
            format!(
                "[default]\naws_access_key_id = {DEFAULT_KEY}\naws_secret_access_key = \
                 {DEFAULT_SECRET}\n\n[backend]\naws_access_key_id = {BACKEND_KEY}\n\
                 aws_secret_access_key = {BACKEND_SECRET}\n"
            ),
        )
        .unwrap();
        std::fs::write(dir.path().join("config"), "").unwrap();
        AwsFiles { dir }
    }

    fn apply<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        cmd.env(
            "AWS_SHARED_CREDENTIALS_FILE",
            self.dir.path().join("credentials"),
        )
        .env("AWS_CONFIG_FILE", self.dir.path().join("config"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
    }
}

/// `refresh --api admin-initiate-auth` aimed at moto for this session.
fn admin_refresh(s: &Session) -> Command {
    let m = moto();
    let mut cmd = bin();
    cmd.args(["refresh", "--api", "admin-initiate-auth"])
        .args([
            "--client-id",
            &s.client_id,
            "--user-pool-id",
            &s.user_pool_id,
        ])
        .args(["--endpoint-url", &m.endpoint])
        .env("COGNITO_REFRESH_TOKEN", &s.refresh_token);
    if let Some(secret) = &s.client_secret {
        cmd.args(["--username", &s.username])
            .env("COGNITO_CLIENT_SECRET", secret);
    }
    cmd
}

fn count(s: &Session, key: &str) -> u64 {
    moto().requests().count_for(&s.client_id, key)
}

fn signed_by(s: &Session, key_id: &str) -> u64 {
    count(s, &format!("AdminInitiateAuth:signed-by:{key_id}"))
}

fn secrets(s: &Session) -> Vec<&str> {
    let mut v = vec![
        s.refresh_token.as_str(),
        s.password.as_str(),
        BACKEND_SECRET,
        DEFAULT_SECRET,
    ];
    v.extend(s.client_secret.as_deref());
    v
}

#[test]
fn admin_refresh_is_signed_with_the_chosen_aws_profile() {
    let aws = AwsFiles::new();
    for secret in [false, true] {
        let s = moto().session(secret);
        let out = run(
            aws.apply(&mut admin_refresh(&s))
                .args(["--aws-profile", "backend", "-v"]),
            0,
        );
        assert_no_secrets(&out, &secrets(&s));
        assert_stderr_contains(&out, "calling AdminInitiateAuth");
        let t = json_tokens(&out);
        let access = claims(&t.access_token);
        assert_eq!(access["username"], s.username.as_str());
        assert_eq!(access["client_id"], s.client_id.as_str());
        assert_ne!(t.access_token, s.access_token);
        assert_eq!(count(&s, ADMIN_REFRESH), 1, "secret: {secret}");
        assert_eq!(signed_by(&s, BACKEND_KEY), 1, "the profile's key signed");
        assert_eq!(
            count(&s, "InitiateAuth:REFRESH_TOKEN_AUTH"),
            0,
            "no InitiateAuth refresh"
        );
    }
}

#[test]
fn without_aws_profile_the_chains_default_signs() {
    let aws = AwsFiles::new();
    let s = moto().session(false);
    run(aws.apply(&mut admin_refresh(&s)), 0);
    assert_eq!(signed_by(&s, DEFAULT_KEY), 1);
    // AWS_PROFILE chooses as --aws-profile does.
    run(
        aws.apply(&mut admin_refresh(&s))
            .env("AWS_PROFILE", "backend"),
        0,
    );
    assert_eq!(signed_by(&s, BACKEND_KEY), 1);
}

#[test]
fn admin_refresh_needs_the_user_pool_id() {
    let aws = AwsFiles::new();
    let s = moto().session(false);
    let mut cmd = bin();
    cmd.args(["refresh", "--api", "admin-initiate-auth"])
        .args(["--client-id", &s.client_id, "--region", &moto().region])
        .args(["--endpoint-url", &moto().endpoint])
        .env("COGNITO_REFRESH_TOKEN", &s.refresh_token);
    let out = run_failing(aws.apply(&mut cmd), 2, &secrets(&s));
    assert_stderr_contains(&out, "--user-pool-id");
    assert_eq!(count(&s, "AdminInitiateAuth"), 0, "nothing was sent");
}

#[test]
fn admin_refresh_without_aws_credentials_exits_4_saying_so() {
    let s = moto().session(false);
    let empty = tempfile::tempdir().unwrap();
    let out = run_failing(
        admin_refresh(&s)
            .env("AWS_SHARED_CREDENTIALS_FILE", empty.path().join("none"))
            .env("AWS_CONFIG_FILE", empty.path().join("none"))
            .env("AWS_EC2_METADATA_DISABLED", "true"),
        4,
        &secrets(&s),
    );
    let err = stderr(&out);
    assert!(err.contains("no AWS credentials"), "{err}");
    assert!(err.contains("cognito-idp:AdminInitiateAuth"), "{err}");
    assert!(err.contains("--aws-profile"), "{err}");
    assert_eq!(count(&s, "AdminInitiateAuth"), 0, "nothing was sent");
}

#[test]
fn admin_password_login_saves_a_profile_that_refreshes_through_the_admin_api() {
    let aws = AwsFiles::new();
    let s = moto().session(true);
    let p = Profiles::new();
    let out = run(
        aws.apply(&mut login_profile(&p, &s, "admin-password"))
            .args(["--aws-profile", "backend"])
            .env("COGNITO_CLIENT_SECRET", s.client_secret.as_deref().unwrap()),
        0,
    );
    assert_no_secrets(&out, &secrets(&s));
    assert_eq!(count(&s, ADMIN_SIGN_IN), 1);
    assert_eq!(signed_by(&s, BACKEND_KEY), 1);
    let config = std::fs::read_to_string(p.config()).unwrap();
    assert!(config.contains("api = \"admin-initiate-auth\""), "{config}");
    assert!(config.contains("aws_profile = \"backend\""), "{config}");

    // The stored session refreshes through the admin API, signed by the same AWS profile.
    let out = run(
        aws.apply(&mut p.cmd())
            .args(["token", "--profile", "m", "--min-ttl", "2h"])
            .env("COGNITO_CLIENT_SECRET", s.client_secret.as_deref().unwrap()),
        0,
    );
    assert_no_secrets(&out, &secrets(&s));
    assert_eq!(count(&s, ADMIN_REFRESH), 1);
    assert_eq!(signed_by(&s, BACKEND_KEY), 2);
    assert_eq!(count(&s, "InitiateAuth:REFRESH_TOKEN_AUTH"), 0);
    assert_eq!(claims(stdout(&out).trim())["username"], s.username.as_str());
}

#[test]
fn admin_password_login_with_a_wrong_password_exits_3() {
    let aws = AwsFiles::new();
    let s = moto().session(false);
    let out = run_failing(
        aws.apply(&mut login(&s, "admin-password"))
            .env("COGNITO_PASSWORD", "not-the-password-1A!"),
        3,
        &secrets(&s),
    );
    assert_stderr_contains(&out, "NotAuthorizedException");
}

#[test]
fn diagnose_refreshes_through_the_admin_api() {
    let aws = AwsFiles::new();
    let s = moto().session(true);
    let m = moto();
    let out = run(
        aws.apply(&mut bin())
            .args(["diagnose", "-o", "json", "--api", "admin-initiate-auth"])
            .args([
                "--client-id",
                &s.client_id,
                "--user-pool-id",
                &s.user_pool_id,
            ])
            .args(["--username", &s.username, "--endpoint-url", &m.endpoint])
            .env("COGNITO_CLIENT_SECRET", s.client_secret.as_deref().unwrap())
            .env("COGNITO_REFRESH_TOKEN", &s.refresh_token),
        0,
    );
    assert_no_secrets(&out, &secrets(&s));
    let r = report(&out);
    assert!(r.refreshed, "{r:#?}");
    r.assert_status("username", CheckStatus::Ok);
    assert_eq!(count(&s, ADMIN_REFRESH), 1);
}

/// In a pool that always remembers devices, a session from an admin sign-in has no device:
/// `diagnose --inspect` says so, and what to do about it.
#[test]
fn diagnose_names_device_tracking_after_an_admin_sign_in() {
    let aws = AwsFiles::new();
    let s = moto().session_with_devices(
        false,
        serde_json::json!({
            "ChallengeRequiredOnNewDevice": true,
            "DeviceOnlyRememberedOnUserPrompt": false,
        }),
    );
    let m = moto();
    let out = run(
        aws.apply(&mut bin())
            .args([
                "diagnose",
                "-o",
                "json",
                "--inspect",
                "--api",
                "admin-initiate-auth",
            ])
            .args([
                "--client-id",
                &s.client_id,
                "--user-pool-id",
                &s.user_pool_id,
            ])
            .args([
                "--endpoint-url",
                &m.endpoint,
                "--access-token",
                &s.access_token,
            ])
            .env("COGNITO_REFRESH_TOKEN", &s.refresh_token),
        0,
    );
    let r = report(&out);
    let devices = r.check("pool.devices");
    let fix = devices.fix.as_deref().unwrap_or_default();
    assert!(fix.contains("admin sign-in"), "{devices:#?}");
    assert!(fix.contains("device tracking off"), "{devices:#?}");
}

/// Refusals moto does not give, in Cognito's wire format.
mod refusals {
    use super::*;

    async fn refused_with(kind: &str, message: &str) -> std::process::Output {
        let stub = wire::answering(wire::error(kind, message)).await;
        let aws = AwsFiles::new();
        let mut cmd = against_stub("refresh", &stub.uri());
        cmd.args(["--api", "admin-initiate-auth", "--user-pool-id", wire::POOL]);
        let out = aws.apply(&mut cmd).output().unwrap();
        let sent = wire::requests(&stub).await;
        assert_eq!(wire::operations(&sent), ["AdminInitiateAuth"]);
        let auth = sent[0].headers.get("authorization").unwrap();
        assert!(
            auth.to_str().unwrap().contains(DEFAULT_KEY),
            "signed with the chain's credentials"
        );
        assert_eq!(wire::body(&sent[0])["UserPoolId"], wire::POOL);
        assert_no_secrets(&out, &[wire::REFRESH_TOKEN, DEFAULT_SECRET]);
        out
    }

    #[tokio::test]
    async fn access_denied_exits_4_naming_the_missing_permission() {
        let out = refused_with(
            "AccessDeniedException",
            "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: \
             cognito-idp:AdminInitiateAuth on resource: arn:aws:cognito-idp:eu-west-1:\
             123456789012:userpool/eu-west-1_Stub1",
        )
        .await;
        assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.lines()
                .any(|l| l.starts_with("hint:") && l.contains("cognito-idp:AdminInitiateAuth")),
            "{err}"
        );
    }

    #[tokio::test]
    async fn unknown_aws_credentials_exit_4() {
        let out = refused_with(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        )
        .await;
        assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
        assert_stderr_contains(&out, "--aws-profile");
    }
}
