//! `diagnose` against moto: real refreshes, SECRET_HASH checking, revocation, and the app
//! client's and user pool's settings through DescribeUserPoolClient and DescribeUserPool.
//! moto does not enforce devices or reject tokens across clients: those refusals are tested
//! against the stub (diagnose_stub.rs).

use crate::support::moto::{Session, moto};
use crate::util::*;
use assert_cmd::Command;
use serde_json::json;

/// `diagnose -o json` aimed at moto for this session, the refresh token in the environment.
fn diagnose(s: &Session) -> Command {
    diagnose_as(s, &s.client_id)
}

fn diagnose_as(s: &Session, client_id: &str) -> Command {
    let m = moto();
    let mut cmd = bin();
    cmd.args(["diagnose", "-o", "json", "--client-id", client_id])
        .args(["--region", &m.region, "--endpoint-url", &m.endpoint])
        .env("COGNITO_REFRESH_TOKEN", &s.refresh_token);
    cmd
}

/// Credentials for `--inspect`: moto accepts any.
fn with_aws_credentials(cmd: &mut Command) -> &mut Command {
    cmd.arg("--inspect")
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "dummy-secret-access-key")
        .env("AWS_EC2_METADATA_DISABLED", "true")
}

fn secrets(s: &Session) -> Vec<&str> {
    let mut v = vec![
        s.refresh_token.as_str(),
        s.access_token.as_str(),
        s.id_token.as_str(),
        s.password.as_str(),
        "dummy-secret-access-key",
    ];
    v.extend(s.client_secret.as_deref());
    v
}

fn assert_all_ok_or_skipped(r: &Report) {
    for c in &r.checks {
        assert!(
            matches!(c.status, CheckStatus::Ok | CheckStatus::Skipped),
            "{c:#?}"
        );
    }
}

#[test]
fn healthy_session_reports_all_ok() {
    let s = moto().session(false);
    let out = run(
        diagnose(&s).args(["--access-token", &s.access_token, "--id-token", &s.id_token]),
        0,
    );
    assert_no_secrets(&out, &secrets(&s));
    let r = report(&out);
    assert!(r.refreshed && r.error.is_none(), "{r:#?}");
    assert_eq!(r.succeeded.as_deref(), Some("refresh"));
    assert_all_ok_or_skipped(&r);
    for id in [
        "refresh-token",
        "access-token",
        "id-token",
        "client-id",
        "region",
        "device-key",
        "session-age",
        "refresh",
    ] {
        r.assert_status(id, CheckStatus::Ok);
    }
    // No client secret: no SECRET_HASH; no --inspect: no settings read.
    r.assert_status("username", CheckStatus::Skipped);
    let inspect = r.assert_status("client.secret", CheckStatus::Skipped);
    assert!(
        inspect.fix.as_deref().unwrap().contains("--inspect"),
        "{inspect:#?}"
    );
    r.assert_status("pool.devices", CheckStatus::Skipped);
    assert!(r.attempts().is_empty());
    assert_eq!(r.new_refresh_token, None, "moto does not rotate");

    // The human report: one line per check, then the result.
    let m = moto();
    let out = run(
        bin()
            .args(["diagnose", "--client-id", &s.client_id])
            .args(["--region", &m.region, "--endpoint-url", &m.endpoint])
            .args(["--access-token", &s.access_token])
            .env("COGNITO_REFRESH_TOKEN", &s.refresh_token),
        0,
    );
    assert_no_secrets(&out, &secrets(&s));
    let text = stdout(&out);
    assert!(
        text.contains("\nok       refresh: InitiateAuth issued new tokens\n"),
        "{text}"
    );
    assert!(
        text.ends_with("\nresult: the refresh works (exit 0)\n"),
        "{text}"
    );
    assert!(
        !text.contains("problem") && !text.contains("warning"),
        "{text}"
    );
}

#[test]
fn healthy_secret_client_inspected_reports_all_ok() {
    let s = moto().session(true);
    let before = moto().requests();
    let out = run(
        with_aws_credentials(
            diagnose(&s)
                .env("COGNITO_CLIENT_SECRET", s.client_secret.as_deref().unwrap())
                .args(["--access-token", &s.access_token]),
        ),
        0,
    );
    assert_no_secrets(&out, &secrets(&s));
    let after = moto().requests();
    for target in ["DescribeUserPoolClient", "DescribeUserPool"] {
        assert_eq!(
            after.count(target) - before.count(target),
            1,
            "{target}: {after:?}"
        );
    }
    let r = report(&out);
    assert_all_ok_or_skipped(&r);
    let username = r.assert_status("username", CheckStatus::Ok);
    assert!(username.summary.contains(&s.username), "{username:#?}");
    let secret = r.assert_status("client.secret", CheckStatus::Ok);
    assert!(
        secret.summary.contains("the one given is it"),
        "{secret:#?}"
    );
    for id in [
        "client.auth-flows",
        "client.rotation",
        "client.validity",
        "client.revocation",
        "pool.devices",
    ] {
        r.assert_status(id, CheckStatus::Ok);
    }
    // The pool id came from the access token's issuer.
    assert!(r.check("client.validity").summary.contains("30 days"));
}

#[test]
fn garbage_token_is_a_refused_token() {
    let s = moto().session(false);
    let garbage = "0b7e5e2a-garbage-not-a-token";
    let out = run_failing(
        diagnose(&s).env("COGNITO_REFRESH_TOKEN", garbage),
        3,
        &[garbage],
    );
    let r = report(&out);
    assert!(!r.refreshed);
    let refresh = r.assert_status("refresh", CheckStatus::Problem);
    assert!(
        refresh.summary.contains("NotAuthorizedException"),
        "{refresh:#?}"
    );
    assert!(refresh.fix.is_some(), "{refresh:#?}");
    // Not the shape Cognito issues, and not accepted either.
    r.assert_status("refresh-token", CheckStatus::Warning);
    assert!(stderr(&out).contains("error: the refresh failed: NotAuthorizedException"));
}

#[test]
fn revoked_token_is_refused_and_not_retried_in_vain() {
    let s = moto().session(false);
    moto().global_sign_out(&s.access_token);
    let out = run_failing(
        diagnose(&s).args(["--access-token", &s.access_token]),
        3,
        &secrets(&s),
    );
    let r = report(&out);
    let refresh = r.assert_status("refresh", CheckStatus::Problem);
    assert!(
        refresh.summary.contains("NotAuthorizedException"),
        "{refresh:#?}"
    );
    // Nothing about the request can be changed to help a revoked token.
    assert!(r.attempts().is_empty(), "{r:#?}");
}

#[test]
fn client_mismatch_is_named() {
    let s = moto().session(false);
    let (other, _) = moto().client(&s.user_pool_id, false);
    // moto refreshes across clients; Cognito would answer "Invalid Refresh Token".
    let out = run(
        diagnose_as(&s, &other).args(["--access-token", &s.access_token]),
        0,
    );
    let r = report(&out);
    let c = r.assert_status("client-id", CheckStatus::Problem);
    assert!(
        c.summary
            .contains(&format!("app client {}, not {other}", s.client_id)),
        "{c:#?}"
    );
    assert!(
        c.fix
            .as_deref()
            .unwrap()
            .contains(&format!("--client-id {}", s.client_id))
    );
}

#[test]
fn missing_secret_is_named_by_inspect() {
    let s = moto().session(true);
    let out = run_failing(
        with_aws_credentials(diagnose(&s).args(["--access-token", &s.access_token])),
        3,
        &secrets(&s),
    );
    let r = report(&out);
    let refresh = r.assert_status("refresh", CheckStatus::Problem);
    assert!(
        refresh.summary.contains("NotAuthorizedException"),
        "{refresh:#?}"
    );
    let secret = r.assert_status("client.secret", CheckStatus::Problem);
    assert!(secret.summary.contains("none was given"), "{secret:#?}");
    assert!(
        secret
            .fix
            .as_deref()
            .unwrap()
            .contains("--client-secret-file")
    );
    // The refresh's fix points at the problem found.
    assert!(
        refresh.fix.as_deref().unwrap().contains("client.secret"),
        "{refresh:#?}"
    );
    // Without the secret nothing else can be tried.
    assert!(r.attempts().is_empty(), "{r:#?}");
}

#[test]
fn wrong_username_for_the_hash_is_isolated() {
    let s = moto().session(true);
    let out = run(
        diagnose(&s)
            .env("COGNITO_CLIENT_SECRET", s.client_secret.as_deref().unwrap())
            .args(["--username", "alice@example.com"])
            .args(["--access-token", &s.access_token]),
        // The attempt with the token's username succeeds.
        0,
    );
    assert_no_secrets(&out, &secrets(&s));
    let r = report(&out);
    let username = r.assert_status("username", CheckStatus::Problem);
    assert!(username.summary.contains(&format!("{:?}", s.username)));
    assert!(
        username
            .detail
            .as_deref()
            .unwrap()
            .contains("email address")
    );
    let refresh = r.assert_status("refresh", CheckStatus::Problem);
    assert!(
        refresh.summary.contains("NotAuthorizedException"),
        "{refresh:#?}"
    );
    assert_eq!(r.attempts(), ["attempt.username-from-token"]);
    r.assert_status("attempt.username-from-token", CheckStatus::Ok);
    assert_eq!(r.succeeded.as_deref(), Some("attempt.username-from-token"));
    let fix = refresh.fix.as_deref().unwrap();
    assert!(
        fix.contains(&format!("--username {:?}", s.username)),
        "{fix}"
    );
    assert!(
        fix.contains("attempt.username-from-token succeeded"),
        "{fix}"
    );
}

#[test]
fn inspect_reads_the_pools_device_tracking() {
    let s = moto().session_with_devices(
        false,
        json!({"ChallengeRequiredOnNewDevice": true, "DeviceOnlyRememberedOnUserPrompt": false}),
    );
    let out = run(
        with_aws_credentials(diagnose(&s).args(["--access-token", &s.access_token])),
        0,
    );
    let r = report(&out);
    // The session signed in with USER_PASSWORD_AUTH has no device: Cognito would refuse its
    // refresh token. moto does not enforce devices, so the refresh worked: a warning.
    let devices = r.assert_status("pool.devices", CheckStatus::Warning);
    assert!(
        devices.summary.contains("remembers devices always"),
        "{devices:#?}"
    );
    assert!(devices.summary.contains("no device"), "{devices:#?}");
    let detail = devices.detail.as_deref().unwrap();
    assert!(
        detail.contains("ChallengeRequiredOnNewDevice true"),
        "{detail}"
    );
    assert!(
        detail.contains("DeviceOnlyRememberedOnUserPrompt false"),
        "{detail}"
    );
    assert!(devices.fix.as_deref().unwrap().contains("USER_SRP_AUTH"));
    // The fixture's client allows SRP sign-ins, which devices need.
    r.assert_status("client.auth-flows", CheckStatus::Ok);

    // Devices remembered only when the user opts in: a session without one is fine.
    let s = moto().session_with_devices(
        false,
        json!({"ChallengeRequiredOnNewDevice": false, "DeviceOnlyRememberedOnUserPrompt": true}),
    );
    let out = run(
        with_aws_credentials(diagnose(&s).args(["--access-token", &s.access_token])),
        0,
    );
    let devices = report(&out)
        .assert_status("pool.devices", CheckStatus::Ok)
        .summary
        .clone();
    assert!(devices.contains("when the user opts in"), "{devices}");
}

#[test]
fn inspect_without_aws_credentials_is_unknown_not_a_failure() {
    let s = moto().session(false);
    let out = run(
        diagnose(&s)
            .arg("--inspect")
            .args(["--access-token", &s.access_token])
            // No credentials anywhere, and no instance metadata service to ask.
            .env("AWS_EC2_METADATA_DISABLED", "true"),
        0,
    );
    let r = report(&out);
    assert!(r.refreshed);
    let c = r.assert_status("client.secret", CheckStatus::Unknown);
    assert!(
        c.summary.contains("cognito-idp:DescribeUserPoolClient"),
        "{c:#?}"
    );
    assert!(
        c.fix.as_deref().unwrap().contains("--aws-profile"),
        "{c:#?}"
    );
    let p = r.assert_status("pool.devices", CheckStatus::Unknown);
    assert!(p.summary.contains("cognito-idp:DescribeUserPool"), "{p:#?}");
}

#[test]
fn inspect_with_an_unknown_aws_profile_is_unknown() {
    let s = moto().session(false);
    let out = run(
        diagnose(&s)
            .args(["--inspect", "--aws-profile", "no-such-profile"])
            .args(["--access-token", &s.access_token])
            .env("AWS_EC2_METADATA_DISABLED", "true"),
        0,
    );
    let r = report(&out);
    let c = r.assert_status("client.secret", CheckStatus::Unknown);
    assert!(c.summary.contains("no usable AWS credentials"), "{c:#?}");
}

#[test]
fn a_profile_s_stored_session_is_diagnosed() {
    let s = moto().session(true);
    let m = moto();
    let p = Profiles::new();
    let secret = s.client_secret.as_deref().unwrap();
    // The profile holds the client and where Cognito is; the store the refresh token and an
    // access token, from which diagnose reads the username for SECRET_HASH.
    run(
        p.cmd()
            .args(["store", "--profile", "d", "--client-id", &s.client_id])
            .args(["--region", &m.region, "--endpoint-url", &m.endpoint])
            .args(["--access-token", &s.access_token])
            .env("COGNITO_CLIENT_SECRET", secret)
            .write_stdin(format!("{}\n", s.refresh_token)),
        0,
    );
    let before = p.entry("d");
    let out = run(
        p.cmd()
            .args(["diagnose", "--profile", "d", "-o", "json"])
            .env("COGNITO_CLIENT_SECRET", secret),
        0,
    );
    let r = report(&out);
    assert!(r.refreshed);
    r.assert_status("access-token", CheckStatus::Ok);
    r.assert_status("username", CheckStatus::Ok);
    r.assert_status("refresh", CheckStatus::Ok);
    assert_no_secrets(&out, &[&s.refresh_token, secret, &s.access_token]);
    // No rotation: the store is as it was.
    assert_eq!(p.entry("d"), before);
}
