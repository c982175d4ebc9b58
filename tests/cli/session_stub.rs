//! The whole session lifecycle through the command line, against the stub that tracks devices
//! and checks SRP proofs: login --remember-device (ConfirmDevice carries a verifier), refreshes
//! that send the stored DEVICE_KEY, a login that answers DEVICE_SRP_AUTH, forget-device, and
//! logout with RevokeToken succeeding and failing.

use crate::support::cognito_stub::{CLIENT, PASSWORD, POOL, Stub, USERNAME};
use crate::util::*;

fn login(p: &Profiles, stub: &Stub) -> assert_cmd::Command {
    let mut cmd = p.cmd();
    cmd.args(["login", "--profile", "dev", "--username", USERNAME])
        .args(["--client-id", CLIENT, "--user-pool-id", POOL])
        .args(["--endpoint-url", &stub.uri()])
        .env("COGNITO_PASSWORD", PASSWORD);
    cmd
}

#[tokio::test]
async fn remembered_device_from_login_to_logout() {
    let stub = Stub::start(true).await;
    let p = Profiles::new();

    // Sign in and remember the device: nothing on stdout, everything in the store.
    let out = run(login(&p, &stub).arg("--remember-device"), 0);
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    let entry = p.entry("dev");
    let device_key = entry["device_key"]
        .as_str()
        .expect("a device key")
        .to_string();
    assert!(entry["device_group_key"].is_string());
    let device_password = entry["device_password"].as_str().unwrap().to_string();
    assert_eq!(mode(&p.store_file("dev")), 0o600);
    let confirm = &stub.bodies("ConfirmDevice")[0];
    assert_eq!(confirm["DeviceKey"], device_key.as_str());
    let verifier = &confirm["DeviceSecretVerifierConfig"];
    assert!(verifier["PasswordVerifier"].as_str().unwrap().len() > 400);
    assert!(verifier["Salt"].is_string());
    assert!(!confirm.to_string().contains(&device_password));
    assert_no_secrets(&out, &[PASSWORD, &device_password]);
    // The profile was created, without the username (refreshes read the real one).
    let config = std::fs::read_to_string(p.config()).unwrap();
    assert!(config.contains(CLIENT) && config.contains(POOL), "{config}");
    assert!(!config.contains("username"), "{config}");

    // Refreshes send the device key; the stub refuses this refresh token without it.
    let out = run(p.cmd().args(["token", "--profile", "dev", "--force"]), 0);
    assert!(!stdout(&out).trim().is_empty());
    let refresh = stub
        .bodies("InitiateAuth")
        .into_iter()
        .find(|b| b["AuthFlow"] == "REFRESH_TOKEN_AUTH")
        .expect("a refresh");
    assert_eq!(refresh["AuthParameters"]["DEVICE_KEY"], device_key.as_str());

    // The next sign-in answers the device challenge; no new device is offered or confirmed.
    let out = run(login(&p, &stub).arg("-v"), 0);
    let err = stderr(&out);
    assert!(err.contains("DEVICE_SRP_AUTH"), "{err}");
    assert!(err.contains("DEVICE_PASSWORD_VERIFIER"), "{err}");
    let answers = stub.bodies("RespondToAuthChallenge");
    let device_answer = answers
        .iter()
        .find(|b| b["ChallengeName"] == "DEVICE_SRP_AUTH")
        .unwrap();
    assert_eq!(
        device_answer["ChallengeResponses"]["DEVICE_KEY"],
        device_key.as_str()
    );
    assert_eq!(stub.bodies("ConfirmDevice").len(), 1);
    assert_eq!(p.entry("dev")["device_key"], device_key.as_str());
    assert_no_secrets(&out, &[PASSWORD, &device_password]);

    // Forget the device: Cognito and the store drop it.
    run(p.cmd().args(["forget-device", "--profile", "dev"]), 0);
    assert_eq!(
        stub.bodies("ForgetDevice")[0]["DeviceKey"],
        device_key.as_str()
    );
    let entry = p.entry("dev");
    assert!(entry.get("device_key").is_none(), "{entry}");
    assert!(entry.get("device_password").is_none(), "{entry}");
    let out = run_failing(p.cmd().args(["forget-device", "--profile", "dev"]), 2, &[]);
    assert_stderr_contains(&out, "no remembered device");

    // Sign out: RevokeToken for the stored refresh token, then the tokens are gone.
    let refresh_token = p.entry("dev")["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    run(p.cmd().args(["logout", "--profile", "dev"]), 0);
    let revoke = &stub.bodies("RevokeToken")[0];
    assert_eq!(revoke["Token"], refresh_token.as_str());
    assert_eq!(revoke["ClientId"], CLIENT);
    assert!(!p.store_file("dev").exists());
    let out = run_failing(p.cmd().args(["token", "--profile", "dev"]), 2, &[]);
    assert_stderr_contains(&out, "no tokens");
}

#[tokio::test]
async fn a_failed_revoke_removes_nothing_unless_forced() {
    let stub = Stub::start(false).await;
    let p = Profiles::new();
    run(&mut login(&p, &stub), 0);
    let before = p.entry("dev");
    let refresh_token = before["refresh_token"].as_str().unwrap().to_string();
    stub.state().fail_revoke = true;

    let out = run_failing(
        p.cmd().args(["logout", "--profile", "dev"]),
        4,
        &[&refresh_token],
    );
    let err = stderr(&out);
    assert!(err.contains("UnsupportedTokenTypeException"), "{err}");
    assert!(err.contains("nothing was removed"), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(p.entry("dev"), before);

    let out = run(p.cmd().args(["logout", "--profile", "dev", "--force"]), 0);
    assert_stderr_contains(&out, "anyway");
    assert!(!p.store_file("dev").exists());
    assert_no_secrets(&out, &[&refresh_token]);
}

#[tokio::test]
async fn without_remember_device_the_offered_device_is_not_kept() {
    let stub = Stub::start(true).await;
    let p = Profiles::new();
    let out = run(&mut login(&p, &stub), 0);
    assert_stderr_contains(&out, "--remember-device");
    assert!(stub.bodies("ConfirmDevice").is_empty());
    assert!(p.entry("dev").get("device_key").is_none());
}

#[tokio::test]
async fn the_profile_key_remember_device_and_print() {
    let stub = Stub::start(true).await;
    let p = Profiles::new();
    p.write_config(&format!(
        "[profiles.dev]\nclient_id = \"{CLIENT}\"\nuser_pool_id = \"{POOL}\"\n\
         endpoint_url = \"{}\"\nusername = \"{USERNAME}\"\nremember_device = true\n",
        stub.uri()
    ));
    let out = run(
        p.cmd()
            .args(["login", "--profile", "dev", "--print"])
            .env("COGNITO_PASSWORD", PASSWORD),
        0,
    );
    // Printed as refresh --output json does, with the refresh token; and stored.
    let t = json_tokens(&out);
    let stored = p.entry("dev");
    assert_eq!(t.refresh_token.as_deref(), stored["refresh_token"].as_str());
    assert_eq!(stub.bodies("ConfirmDevice").len(), 1);
    assert!(stored["device_password"].is_string());
}

#[tokio::test]
async fn a_failed_confirm_device_keeps_the_session_without_the_device() {
    let stub = Stub::start(true).await;
    stub.state().fail_confirm = true;
    let p = Profiles::new();
    let out = run_failing(login(&p, &stub).arg("--remember-device"), 4, &[PASSWORD]);
    let err = stderr(&out);
    assert!(err.contains("InvalidParameterException"), "{err}");
    assert!(err.contains("without the device"), "{err}");
    let entry = p.entry("dev");
    assert!(entry["refresh_token"].is_string());
    assert!(entry.get("device_key").is_none(), "{entry}");
}
