//! `aws-credentials` and `exec --aws-credentials` against moto's identity pools
//! (moto[cognitoidentity]): GetId and GetCredentialsForIdentity with a moto session's ID token,
//! the store as a cache, concurrent calls, and the AWS CLI reading the credentials through
//! `credential_process`. moto's credentials last 90 seconds, so tests that expect a cache hit
//! pass `--min-ttl 30s`.

use crate::support::moto::{IdentityPool, Session, moto};
use crate::util::*;
use assert_cmd::Command;
use serde::Deserialize;
use std::process::Output;

/// The `credential_process` output, the contract: unknown fields fail the test.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct CredentialProcess {
    version: u8,
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: String,
}

fn parse(out: &Output) -> CredentialProcess {
    serde_json::from_slice(&out.stdout).expect("credential_process JSON")
}

/// A moto session, an identity pool trusting it, profile `ci` naming both (`identity_pool_id`
/// in the profile), and a store of its own with the session's refresh token and, when
/// `tokens`, its access and ID tokens.
fn setup(tokens: bool) -> (Session, IdentityPool, Profiles) {
    let m = moto();
    let s = m.session(false);
    let pool = m.identity_pool(&s);
    let p = Profiles::new();
    p.write_config(&format!(
        "[profiles.ci]\nclient_id = \"{}\"\nuser_pool_id = \"{}\"\nendpoint_url = \"{}\"\n\
         identity_pool_id = \"{}\"\n",
        s.client_id, s.user_pool_id, m.endpoint, pool.identity_pool_id
    ));
    let mut cmd = p.cmd();
    cmd.args(["store", "--profile", "ci"])
        .write_stdin(format!("{}\n", s.refresh_token));
    if tokens {
        cmd.args(["--access-token", &s.access_token, "--id-token", &s.id_token]);
    }
    run(&mut cmd, 0);
    (s, pool, p)
}

/// `aws-credentials --profile ci` with this identity pool.
fn aws_credentials(p: &Profiles, pool: &IdentityPool, args: &[&str]) -> Command {
    let mut cmd = p.cmd();
    cmd.args(["aws-credentials", "--profile", "ci"])
        .args(["--identity-pool-id", &pool.identity_pool_id])
        .args(args);
    cmd
}

/// What must never be printed but on stdout: the session's secrets and the stored AWS ones.
fn secrets(s: &Session, p: &Profiles) -> Vec<String> {
    let mut v = vec![s.refresh_token.clone(), s.password.clone()];
    if let Ok(text) = std::fs::read_to_string(p.store_file("ci")) {
        let entry: serde_json::Value = serde_json::from_str(&text).unwrap();
        for key in ["secret_access_key", "session_token"] {
            if let Some(value) = entry["aws"][key].as_str() {
                v.push(value.to_string());
            }
        }
    }
    v
}

fn identity_id(p: &Profiles) -> String {
    p.entry("ci")["aws"]["identity_id"]
        .as_str()
        .expect("an identity id in the store")
        .to_string()
}

#[test]
fn credentials_from_the_identity_pool_then_from_the_store() {
    let (s, pool, p) = setup(true);
    // The identity pool comes from the profile.
    let first = run(
        p.cmd().args([
            "-v",
            "aws-credentials",
            "--profile",
            "ci",
            "--min-ttl",
            "30s",
        ]),
        0,
    );
    let creds = parse(&first);
    assert_eq!(creds.version, 1);
    assert!(!creds.access_key_id.is_empty());
    let expiration = time::OffsetDateTime::parse(
        &creds.expiration,
        &time::format_description::well_known::Rfc3339,
    )
    .expect("RFC 3339");
    assert!(expiration > time::OffsetDateTime::now_utc());
    assert_stderr_contains(&first, "fetched from the identity pool");
    assert_stderr_contains(&first, &pool.provider_name);
    let identity = identity_id(&p);
    let requests = moto().requests();
    assert_eq!(requests.get_id(&pool.identity_pool_id), 1);
    assert_eq!(requests.get_credentials(&identity), 1);
    // The ID token was fresh: no refresh.
    assert_eq!(
        requests.count_for(&s.client_id, "InitiateAuth:REFRESH_TOKEN_AUTH"),
        0
    );
    assert_eq!(mode(&p.store_file("ci")), 0o600);

    let second = run(
        p.cmd().args([
            "-v",
            "aws-credentials",
            "--profile",
            "ci",
            "--min-ttl",
            "30s",
        ]),
        0,
    );
    assert_eq!(parse(&second), creds);
    assert_stderr_contains(&second, "from the store (no request)");
    let requests = moto().requests();
    assert_eq!(requests.get_id(&pool.identity_pool_id), 1);
    assert_eq!(requests.get_credentials(&identity), 1);

    // --output env: the same credentials, as lines a shell can eval.
    let env = run(
        &mut aws_credentials(&p, &pool, &["--min-ttl", "30s", "--output", "env"]),
        0,
    );
    assert_eq!(
        stdout(&env),
        format!(
            "export AWS_ACCESS_KEY_ID='{}'\nexport AWS_SECRET_ACCESS_KEY='{}'\n\
             export AWS_SESSION_TOKEN='{}'\nexport AWS_CREDENTIAL_EXPIRATION='{}'\n",
            creds.access_key_id, creds.secret_access_key, creds.session_token, creds.expiration
        )
    );
    for out in [&first, &second, &env] {
        assert_stderr_clean(out, &s, &p);
    }
}

/// Stdout carries the credentials asked for; stderr, none of the secrets.
fn assert_stderr_clean(out: &Output, s: &Session, p: &Profiles) {
    let err = stderr(out);
    for secret in secrets(s, p) {
        assert!(!err.contains(&secret), "a secret on stderr: {err}");
    }
}

#[test]
fn credentials_expiring_within_min_ttl_are_fetched_again_for_the_same_identity() {
    let (s, pool, p) = setup(true);
    // moto's credentials last 90 s, less than the default --min-ttl of 5 minutes.
    let first = run(&mut aws_credentials(&p, &pool, &[]), 0);
    assert_stderr_contains(&first, "less than --min-ttl");
    let identity = identity_id(&p);
    run(&mut aws_credentials(&p, &pool, &[]), 0);
    let requests = moto().requests();
    assert_eq!(
        requests.get_id(&pool.identity_pool_id),
        1,
        "the identity id is kept"
    );
    assert_eq!(requests.get_credentials(&identity), 2);
    // --force fetches whatever the expiry.
    run(
        &mut aws_credentials(&p, &pool, &["--min-ttl", "30s", "--force"]),
        0,
    );
    assert_eq!(moto().requests().get_credentials(&identity), 3);
    assert_stderr_clean(&first, &s, &p);
}

#[test]
fn without_tokens_the_session_is_refreshed_first() {
    let (s, pool, p) = setup(false);
    let out = run(
        &mut aws_credentials(&p, &pool, &["-v", "--min-ttl", "30s"]),
        0,
    );
    assert_stderr_contains(&out, "after refreshing the user's tokens");
    let requests = moto().requests();
    assert_eq!(
        requests.count_for(&s.client_id, "InitiateAuth:REFRESH_TOKEN_AUTH"),
        1
    );
    assert_eq!(requests.get_id(&pool.identity_pool_id), 1);
    // The refreshed tokens are in the store, for `token` too.
    let entry = p.entry("ci");
    assert!(entry["id_token"].is_string(), "{entry}");
    run(p.cmd().args(["token", "--profile", "ci"]), 0);
    assert_eq!(
        moto()
            .requests()
            .count_for(&s.client_id, "InitiateAuth:REFRESH_TOKEN_AUTH"),
        1
    );
}

#[test]
fn concurrent_calls_make_one_request_of_each_kind() {
    // Nothing but a refresh token stored: the first caller refreshes, then asks the pool.
    let (s, pool, p) = setup(false);
    let outputs: Vec<Output> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..16)
            .map(|_| {
                scope.spawn(|| {
                    aws_credentials(&p, &pool, &["--min-ttl", "30s"])
                        .output()
                        .expect("the binary runs")
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let first = parse(&outputs[0]);
    for out in &outputs {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
        assert_eq!(parse(out), first);
    }
    let requests = moto().requests();
    assert_eq!(
        requests.count_for(&s.client_id, "InitiateAuth:REFRESH_TOKEN_AUTH"),
        1
    );
    assert_eq!(requests.get_id(&pool.identity_pool_id), 1);
    assert_eq!(requests.get_credentials(&identity_id(&p)), 1);
}

#[test]
fn exec_sets_the_aws_variables_and_drops_stale_ones() {
    let (s, pool, p) = setup(true);
    let out = run(
        p.cmd()
            .args(["exec", "--profile", "ci", "--aws-credentials", "--min-ttl", "30s"])
            .args(["--", "sh", "-c"])
            .arg(
                "echo \"$AWS_ACCESS_KEY_ID|$AWS_SECRET_ACCESS_KEY|$AWS_SESSION_TOKEN|\
                 $AWS_CREDENTIAL_EXPIRATION|${AWS_SECURITY_TOKEN-unset}|${COGNITO_ACCESS_TOKEN:+tokens}\"",
            )
            .env("AWS_ACCESS_KEY_ID", "AKIASTALE")
            .env("AWS_SECURITY_TOKEN", "stale-token"),
        0,
    );
    let entry = p.entry("ci");
    let aws = &entry["aws"];
    let expiration = parse(&run(
        &mut aws_credentials(&p, &pool, &["--min-ttl", "30s"]),
        0,
    ))
    .expiration;
    assert_eq!(
        stdout(&out).trim_end(),
        format!(
            "{}|{}|{}|{}|unset|tokens",
            aws["access_key_id"].as_str().unwrap(),
            aws["secret_access_key"].as_str().unwrap(),
            aws["session_token"].as_str().unwrap(),
            expiration
        )
    );
    assert_no_secrets(&out, &[&s.refresh_token]);
    // Without --aws-credentials, no AWS variable is set.
    let plain = run(
        p.cmd()
            .args(["exec", "--profile", "ci", "--", "sh", "-c"])
            .arg("echo ${AWS_SESSION_TOKEN-unset}"),
        0,
    );
    assert_eq!(stdout(&plain), "unset\n");
}

#[test]
fn the_aws_cli_reads_the_credentials_through_credential_process() {
    let (s, pool, p) = setup(true);
    let m = moto();
    let home = tempfile::tempdir().unwrap();
    let aws_config = home.path().join("aws-config");
    let bin = assert_cmd::cargo::cargo_bin("cognito-refresh");
    std::fs::write(
        &aws_config,
        format!(
            "[profile dev]\nregion = {}\ncredential_process = \"{}\" aws-credentials --profile ci \
             --min-ttl 30s\n",
            m.region,
            bin.display()
        ),
    )
    .unwrap();
    let aws = std::path::Path::new(&crate::support::python())
        .parent()
        .expect("the venv's bin directory")
        .join("aws");
    assert!(
        aws.exists(),
        "no AWS CLI at {}: {}",
        aws.display(),
        crate::support::SETUP_HINT
    );
    let signed_before = m
        .requests()
        .by_access_key
        .values()
        .map(|k| k.count)
        .sum::<u64>();
    let out = std::process::Command::new(&aws)
        .args(["sts", "get-caller-identity", "--output", "json"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("NO_PROXY", "*")
        .env("AWS_CONFIG_FILE", &aws_config)
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_PROFILE", "dev")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        // Every AWS call, the identity pool's (from cognito-refresh) and STS's (from the AWS
        // CLI), goes to moto on 127.0.0.1.
        .env("AWS_ENDPOINT_URL", &m.endpoint)
        .env("COGNITO_REFRESH_CONFIG", p.config())
        .env("COGNITO_REFRESH_STORE", p.store())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "aws: {}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let identity: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(identity["Account"].is_string(), "{identity}");
    // The call moto received was signed with what cognito-refresh stored (and printed).
    let entry = p.entry("ci");
    let key = entry["aws"]["access_key_id"].as_str().expect("stored");
    let requests = m.requests();
    let signed = &requests.by_access_key[key];
    assert_eq!(
        signed.session_token.as_deref(),
        entry["aws"]["session_token"].as_str()
    );
    let signed_after = requests
        .by_access_key
        .values()
        .map(|k| k.count)
        .sum::<u64>();
    assert!(signed_after > signed_before);
    assert_eq!(requests.get_id(&pool.identity_pool_id), 1);
    assert_no_secrets(&out, &[&s.refresh_token, &s.id_token]);
}
