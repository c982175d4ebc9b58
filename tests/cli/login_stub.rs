//! `login` against an HTTP stub answering in Cognito's wire format, for the challenges no
//! emulator sends: each MFA with --mfa-code, SELECT_MFA_TYPE, NEW_PASSWORD_REQUIRED, and the
//! ones this tool cannot answer.

use crate::support::jwt;
use crate::support::wire::{self, CLIENT, bodies};
use crate::util::*;
use serde_json::{Value, json};
use wiremock::{MockServer, ResponseTemplate};

const PASSWORD: &str = "Corr3ct-Horse-Battery";
const INITIATE_AUTH: &str = "InitiateAuth";
const RESPOND: &str = "RespondToAuthChallenge";

fn challenge(name: &str, params: Value) -> ResponseTemplate {
    wire::ok(
        json!({"ChallengeName": name, "Session": format!("session-{name}"),
               "ChallengeParameters": params}),
    )
}

fn signed_in() -> ResponseTemplate {
    wire::ok(json!({"ChallengeParameters": {}, "AuthenticationResult": {
        "AccessToken": jwt::unsigned(json!({"username": "8a6b-uuid", "client_id": CLIENT,
                                       "token_use": "access", "exp": jwt::FAR_FUTURE})),
        "IdToken": jwt::unsigned(json!({"cognito:username": "8a6b-uuid", "token_use": "id"})),
        "RefreshToken": "stub-refresh-token",
        "ExpiresIn": 3600, "TokenType": "Bearer"}}))
}

fn login(server: &MockServer) -> assert_cmd::Command {
    let mut cmd = bin();
    cmd.args([
        "login",
        "--print",
        "--flow",
        "password",
        "--client-id",
        CLIENT,
    ])
    .args(["--region", "eu-west-1", "--username", "alice"])
    .args(["--endpoint-url", &server.uri()])
    .env("COGNITO_PASSWORD", PASSWORD);
    cmd
}

/// A stub whose InitiateAuth answers `first` and whose RespondToAuthChallenge signs in.
async fn stub(first: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    wire::on(INITIATE_AUTH)
        .respond_with(first)
        .expect(1)
        .mount(&server)
        .await;
    wire::mount(&server, RESPOND, signed_in()).await;
    server
}

#[tokio::test]
async fn each_mfa_challenge_is_answered_with_the_code() {
    for (name, key) in [
        ("SOFTWARE_TOKEN_MFA", "SOFTWARE_TOKEN_MFA_CODE"),
        ("SMS_MFA", "SMS_MFA_CODE"),
        ("EMAIL_OTP", "EMAIL_OTP_CODE"),
    ] {
        let server = stub(challenge(
            name,
            json!({"USER_ID_FOR_SRP": "8a6b-uuid", "CODE_DELIVERY_DESTINATION": "+*******1234"}),
        ))
        .await;
        let out = run(
            login(&server)
                .args(["--mfa-code", "123456"])
                .env("COGNITO_CLIENT_SECRET", "s3cr3t"),
            0,
        );
        let t = json_tokens(&out);
        assert_eq!(t.refresh_token.as_deref(), Some("stub-refresh-token"));
        let first = &bodies(&server, INITIATE_AUTH).await[0];
        assert_eq!(first["AuthFlow"], "USER_PASSWORD_AUTH");
        assert_eq!(first["AuthParameters"]["USERNAME"], "alice");
        assert_eq!(first["AuthParameters"]["PASSWORD"], PASSWORD);
        // printf '%s' alice4f1example | openssl dgst -sha256 -hmac s3cr3t -binary | base64
        assert_eq!(
            first["AuthParameters"]["SECRET_HASH"],
            "ejcceE7pHGV30VHJNvrOmIOGFIyYoKkjpJQx8OL1E0w="
        );
        let answer = &bodies(&server, RESPOND).await[0];
        assert_eq!(answer["ChallengeName"], name);
        assert_eq!(answer["Session"], format!("session-{name}"));
        assert_eq!(answer["ClientId"], CLIENT);
        assert_eq!(answer["ChallengeResponses"][key], "123456");
        assert_eq!(answer["ChallengeResponses"]["USERNAME"], "alice");
        assert!(answer["ChallengeResponses"]["SECRET_HASH"].is_string());
        assert_no_secrets(&out, &[PASSWORD, "123456", "s3cr3t"]);
    }
}

#[tokio::test]
async fn a_code_challenge_without_a_code_or_terminal_names_it() {
    let server = stub(challenge(
        "SMS_MFA",
        json!({"CODE_DELIVERY_DESTINATION": "+***34"}),
    ))
    .await;
    let out = run_failing(&mut login(&server), 2, &[PASSWORD]);
    let err = stderr(&out);
    assert!(err.contains("SMS_MFA"), "{err}");
    assert!(err.contains("--mfa-code"), "{err}");
    assert!(bodies(&server, RESPOND).await.is_empty());
}

#[tokio::test]
async fn select_mfa_type_then_the_code() {
    let server = MockServer::start().await;
    let choices = json!({"MFAS_CAN_CHOOSE": "[\"SMS_MFA\",\"SOFTWARE_TOKEN_MFA\"]"});
    wire::mount(
        &server,
        INITIATE_AUTH,
        challenge("SELECT_MFA_TYPE", choices),
    )
    .await;
    // The first answer (the choice) gets the TOTP challenge, the second signs in.
    wire::on(RESPOND)
        .respond_with(challenge("SOFTWARE_TOKEN_MFA", json!({})))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    wire::mount(&server, RESPOND, signed_in()).await;
    let out = run(
        login(&server).args(["--mfa-type", "totp", "--mfa-code", "654321"]),
        0,
    );
    json_tokens(&out);
    let answers = bodies(&server, RESPOND).await;
    assert_eq!(answers[0]["ChallengeName"], "SELECT_MFA_TYPE");
    assert_eq!(
        answers[0]["ChallengeResponses"]["ANSWER"],
        "SOFTWARE_TOKEN_MFA"
    );
    assert_eq!(answers[1]["ChallengeName"], "SOFTWARE_TOKEN_MFA");
    assert_eq!(
        answers[1]["ChallengeResponses"]["SOFTWARE_TOKEN_MFA_CODE"],
        "654321"
    );

    // Without --mfa-type and with no terminal: the choices are named.
    let out = run_failing(&mut login(&server), 2, &[PASSWORD]);
    let err = stderr(&out);
    assert!(err.contains("SOFTWARE_TOKEN_MFA"), "{err}");
    assert!(err.contains("--mfa-type"), "{err}");
}

#[tokio::test]
async fn new_password_required_sends_the_new_password() {
    let server = stub(challenge(
        "NEW_PASSWORD_REQUIRED",
        json!({"USER_ID_FOR_SRP": "alice", "requiredAttributes": "[]",
               "userAttributes": "{\"email\":\"alice@example.com\"}"}),
    ))
    .await;
    let out = run(
        login(&server).env("COGNITO_NEW_PASSWORD", "N3w-Passw0rd-Chosen"),
        0,
    );
    json_tokens(&out);
    let answer = &bodies(&server, RESPOND).await[0];
    assert_eq!(answer["ChallengeName"], "NEW_PASSWORD_REQUIRED");
    assert_eq!(
        answer["ChallengeResponses"]["NEW_PASSWORD"],
        "N3w-Passw0rd-Chosen"
    );
    assert_no_secrets(&out, &[PASSWORD, "N3w-Passw0rd-Chosen"]);

    // No new password and no terminal: it says which input is missing.
    let server = stub(challenge("NEW_PASSWORD_REQUIRED", json!({}))).await;
    let out = run_failing(&mut login(&server), 2, &[PASSWORD]);
    let err = stderr(&out);
    assert!(err.contains("NEW_PASSWORD_REQUIRED"), "{err}");
    assert!(err.contains("--new-password-file"), "{err}");
}

#[tokio::test]
async fn challenges_it_cannot_answer_are_named() {
    for (name, params) in [
        (
            "MFA_SETUP",
            json!({"MFAS_CAN_SETUP": "[\"SOFTWARE_TOKEN_MFA\"]"}),
        ),
        ("CUSTOM_CHALLENGE", json!({})),
        (
            "NEW_PASSWORD_REQUIRED",
            json!({"requiredAttributes": "[\"userAttributes.name\"]"}),
        ),
    ] {
        let server = stub(challenge(name, params)).await;
        let out = run_failing(
            login(&server).env("COGNITO_NEW_PASSWORD", "N3w-Passw0rd-Chosen"),
            1,
            &[PASSWORD],
        );
        let err = stderr(&out);
        assert!(err.contains(name), "{err}");
        assert!(bodies(&server, RESPOND).await.is_empty(), "{name}");
    }
}

#[tokio::test]
async fn a_wrong_code_exits_3() {
    let server = MockServer::start().await;
    wire::mount(
        &server,
        INITIATE_AUTH,
        challenge("SOFTWARE_TOKEN_MFA", json!({})),
    )
    .await;
    let mismatch = wire::error("CodeMismatchException", "Invalid code received for user");
    wire::mount(&server, RESPOND, mismatch).await;
    let out = run_failing(
        login(&server).args(["--mfa-code", "000000"]),
        3,
        &[PASSWORD, "000000"],
    );
    assert_stderr_contains(&out, "CodeMismatchException");
}

/// `login --profile ci` with the config file and store of `p`, signing in with a password at
/// `server`.
fn login_into(p: &Profiles, server: &MockServer) -> assert_cmd::Command {
    let mut cmd = p.cmd();
    cmd.args(["login", "--profile", "ci", "--flow", "password"])
        .args(["--client-id", CLIENT, "--region", "eu-west-1"])
        .args(["--username", "alice", "--endpoint-url", &server.uri()])
        .env("COGNITO_PASSWORD", PASSWORD);
    cmd
}

/// Bug: `login` signed in before it looked at the store: a read-only store discarded the new
/// session (and a confirmed device's password) after the sign-in had succeeded. The store is
/// now proved writable first: exit 2 naming it, and nothing sent.
#[tokio::test]
async fn login_into_a_read_only_store_fails_before_signing_in() {
    use std::os::unix::fs::PermissionsExt as _;
    let server = MockServer::start().await;
    wire::mount(&server, INITIATE_AUTH, signed_in()).await;
    let p = Profiles::new();
    std::fs::create_dir_all(p.store()).unwrap();
    let chmod = |mode| {
        std::fs::set_permissions(p.store(), std::fs::Permissions::from_mode(mode)).unwrap();
    };
    chmod(0o500);
    let out = run_failing(&mut login_into(&p, &server), 2, &[PASSWORD]);
    assert_stderr_contains(&out, "read-only");
    assert_stderr_contains(&out, &p.store().display().to_string());
    assert!(wire::requests(&server).await.is_empty(), "nothing was sent");

    chmod(0o700);
    run(&mut login_into(&p, &server), 0);
    assert_eq!(p.entry("ci")["refresh_token"], "stub-refresh-token");
    assert_eq!(wire::requests(&server).await.len(), 1);
}

/// Bug: `login` took the profile's lock only to save, after signing in: it signed in while
/// another process was refreshing the same profile. It now waits for the lock first.
#[tokio::test]
async fn login_waits_for_the_profile_lock_before_signing_in() {
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
    let server = MockServer::start().await;
    wire::mount(&server, INITIATE_AUTH, signed_in()).await;
    let p = Profiles::new();
    std::fs::create_dir_all(p.store()).unwrap();
    std::fs::set_permissions(p.store(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let held = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(p.store().join("ci.lock"))
        .unwrap();
    held.lock().unwrap();

    let mut cmd = login_into(&p, &server);
    let login = std::thread::spawn(move || cmd.output().expect("the binary runs"));
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(
        wire::requests(&server).await.is_empty(),
        "signed in while another process held the lock"
    );
    drop(held);
    let out = login.join().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(wire::requests(&server).await.len(), 1);
    assert_eq!(p.entry("ci")["refresh_token"], "stub-refresh-token");
}
