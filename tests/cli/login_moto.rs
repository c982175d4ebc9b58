//! `login` against moto: USER_PASSWORD_AUTH and USER_SRP_AUTH sign-ins whose tokens refresh.
//!
//! moto does not verify SRP proofs (it accepts any PASSWORD_CLAIM_SIGNATURE, and its
//! SECRET_BLOCK is a UUID), so these tests show the exchange and its parameters work end to
//! end; the proofs themselves are checked against pycognito in `srp_vectors`.

use crate::support::{Session, moto};
use crate::util::*;

pub(crate) fn login(s: &Session, flow: &str) -> assert_cmd::Command {
    let moto = moto();
    let mut cmd = bin();
    cmd.args(["login", "--print", "--flow", flow])
        .args([
            "--client-id",
            &s.client_id,
            "--user-pool-id",
            &s.user_pool_id,
        ])
        .args(["--username", &s.username, "--endpoint-url", &moto.endpoint])
        .env("COGNITO_PASSWORD", &s.password);
    if let Some(secret) = &s.client_secret {
        cmd.env("COGNITO_CLIENT_SECRET", secret);
    }
    cmd
}

fn refresh(s: &Session, refresh_token: &str) -> assert_cmd::Command {
    let mut cmd = bin();
    cmd.args([
        "refresh",
        "--client-id",
        &s.client_id,
        "--user-pool-id",
        &s.user_pool_id,
    ])
    .args([
        "--username",
        &s.username,
        "--endpoint-url",
        &moto().endpoint,
    ])
    .env("COGNITO_REFRESH_TOKEN", refresh_token);
    if let Some(secret) = &s.client_secret {
        cmd.env("COGNITO_CLIENT_SECRET", secret);
    }
    cmd
}

#[test]
fn password_flow_signs_in_and_its_refresh_token_works() {
    for secret in [false, true] {
        let s = moto().session(secret);
        let before = moto().requests();
        let out = run(&mut login(&s, "password"), 0);
        let t = json_tokens(&out);
        let rt = t.refresh_token.expect("login prints the refresh token");
        assert_eq!(claims(&t.access_token)["username"], s.username.as_str());
        assert!(t.id_token.is_some());
        assert!(
            moto().requests().count("InitiateAuth:USER_PASSWORD_AUTH")
                > before.count("InitiateAuth:USER_PASSWORD_AUTH")
        );
        // The password and the secret never reach the output; the tokens only stdout.
        let mut secrets = vec![s.password.as_str()];
        secrets.extend(s.client_secret.as_deref());
        assert_no_secrets(&out, &secrets);
        assert!(!stderr(&out).contains(&rt));

        let out = run(&mut refresh(&s, &rt), 0);
        json_tokens(&out);
    }
}

#[test]
fn srp_flow_signs_in_through_password_verifier() {
    for secret in [false, true] {
        let s = moto().session(secret);
        let before = moto().requests();
        let out = run(login(&s, "srp").arg("-v"), 0);
        let t = json_tokens(&out);
        assert_stderr_contains(&out, "PASSWORD_VERIFIER");
        let after = moto().requests();
        assert!(
            after.count("InitiateAuth:USER_SRP_AUTH") > before.count("InitiateAuth:USER_SRP_AUTH"),
            "{after:?}"
        );
        assert!(
            after.count("RespondToAuthChallenge") > before.count("RespondToAuthChallenge"),
            "{after:?}"
        );
        let mut secrets = vec![s.password.as_str()];
        secrets.extend(s.client_secret.as_deref());
        assert_no_secrets(&out, &secrets);
        let out = run(&mut refresh(&s, &t.refresh_token.unwrap()), 0);
        json_tokens(&out);
    }
}

#[test]
fn a_wrong_password_exits_3() {
    let s = moto().session(false);
    let out = run_failing(
        login(&s, "password").env("COGNITO_PASSWORD", "Wrong-Passw0rd!"),
        3,
        &["Wrong-Passw0rd!", &s.password],
    );
    assert_stderr_contains(&out, "NotAuthorizedException");
}

#[test]
fn no_password_and_no_terminal_says_what_is_missing() {
    let s = moto().session(false);
    let out = run_failing(login(&s, "password").env_remove("COGNITO_PASSWORD"), 2, &[]);
    let err = stderr(&out);
    assert!(err.contains("the password"), "{err}");
    assert!(err.contains("not a terminal"), "{err}");
    assert!(err.contains("COGNITO_PASSWORD"), "{err}");
}

#[test]
fn the_password_from_a_file_or_stdin() {
    let s = moto().session(false);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("password");
    std::fs::write(&file, format!("{}\n", s.password)).unwrap();
    let out = run(
        login(&s, "password")
            .env_remove("COGNITO_PASSWORD")
            .arg("--password-file")
            .arg(&file),
        0,
    );
    json_tokens(&out);
    let out = run(
        login(&s, "password")
            .env_remove("COGNITO_PASSWORD")
            .args(["--password-file", "-"])
            .write_stdin(format!("{}\n", s.password)),
        0,
    );
    json_tokens(&out);
}

pub(crate) fn login_profile(p: &Profiles, s: &Session, flow: &str) -> assert_cmd::Command {
    let mut cmd = p.cmd();
    cmd.args(["login", "--profile", "m", "--flow", flow])
        .args([
            "--client-id",
            &s.client_id,
            "--user-pool-id",
            &s.user_pool_id,
        ])
        .args([
            "--username",
            &s.username,
            "--endpoint-url",
            &moto().endpoint,
        ])
        .env("COGNITO_PASSWORD", &s.password);
    cmd
}

#[test]
fn login_into_a_profile_then_token_from_the_store() {
    for flow in ["password", "srp"] {
        let s = moto().session(false);
        let p = Profiles::new();
        let out = run(&mut login_profile(&p, &s, flow), 0);
        assert!(stdout(&out).is_empty());
        assert_no_secrets(&out, &[&s.password]);
        let stored = p.entry("m");
        assert!(stored["refresh_token"].is_string());

        // Served from the store: no refresh reaches moto for this session's own client (other
        // tests run in parallel, so only its count is exact).
        let refreshes = || {
            moto()
                .requests()
                .count_for(&s.client_id, "InitiateAuth:REFRESH_TOKEN_AUTH")
        };
        let before = refreshes();
        let out = run(p.cmd().args(["token", "--profile", "m"]), 0);
        assert_eq!(
            stdout(&out).trim(),
            stored["access_token"].as_str().unwrap()
        );
        assert_eq!(refreshes(), before);
        // And the stored refresh token refreshes.
        run(p.cmd().args(["token", "--profile", "m", "--force"]), 0);
    }
}

#[test]
fn logout_global_then_refresh_exits_3() {
    let s = moto().session(true);
    let p = Profiles::new();
    run(
        login_profile(&p, &s, "password")
            .env("COGNITO_CLIENT_SECRET", s.client_secret.as_deref().unwrap()),
        0,
    );
    let refresh_token = p.entry("m")["refresh_token"].as_str().unwrap().to_string();
    let before = moto().requests();
    let out = run(
        p.cmd()
            .args(["logout", "--profile", "m", "--global"])
            .env("COGNITO_CLIENT_SECRET", s.client_secret.as_deref().unwrap()),
        0,
    );
    assert!(moto().requests().count("GlobalSignOut") > before.count("GlobalSignOut"));
    assert!(!p.store_file("m").exists());
    assert_no_secrets(&out, &[&refresh_token]);

    // The old refresh token is revoked.
    let out = run_failing(
        &mut refresh(&s, &refresh_token),
        3,
        &[&refresh_token, s.client_secret.as_deref().unwrap()],
    );
    assert_stderr_contains(&out, "NotAuthorizedException");
}
