//! `aws-credentials` against a stub answering in Cognito Identity's wire format, for what moto
//! does not do: the exact requests (unsigned, the login, CustomRoleArn), refusals
//! (NotAuthorizedException, ResourceNotFoundException,
//! InvalidIdentityPoolConfigurationException), throttling and server errors, a forgotten
//! identity, and secrets echoed back.

use crate::support::jwt::{self, FAR_FUTURE};
use crate::support::wire::{self, IDENTITY_POOL, PROVIDER};
use crate::util::*;
use assert_cmd::Command;
use serde_json::json;
use wiremock::matchers::body_partial_json;
use wiremock::{MockServer, Respond, ResponseTemplate};

const IDENTITY: &str = "eu-west-1:11111111-2222-4333-8444-555555555555";
const ACCESS_KEY: &str = "ASIAEXAMPLEKEY000001";

/// The ID token of the stubs' session, with the issuer Cognito gives it.
pub(crate) fn id_token() -> String {
    jwt::unsigned(json!({
        "sub": "8a6b1c2d", "cognito:username": "alice", "aud": wire::CLIENT,
        "token_use": "id", "exp": FAR_FUTURE,
        "iss": format!("https://cognito-idp.eu-west-1.amazonaws.com/{}", wire::POOL),
    }))
}

/// Profile `ci` aimed at `server`, naming the identity pool, with the session's valid tokens
/// stored (no refresh is needed).
pub(crate) fn profile(server: &MockServer) -> Profiles {
    let p = Profiles::new();
    p.write_config(&format!(
        "[profiles.ci]\nclient_id = \"{}\"\nregion = \"eu-west-1\"\nendpoint_url = \"{}\"\n\
         identity_pool_id = \"{IDENTITY_POOL}\"\n",
        wire::CLIENT,
        server.uri()
    ));
    run(
        p.cmd()
            .args(["store", "--profile", "ci"])
            .args(["--access-token", &jwt::access_token(json!({}))])
            .args(["--id-token", &id_token()])
            .env("COGNITO_REFRESH_TOKEN", wire::REFRESH_TOKEN),
        0,
    );
    p
}

fn aws_credentials(p: &Profiles, args: &[&str]) -> Command {
    let mut cmd = p.cmd();
    cmd.args(["aws-credentials", "--profile", "ci"]).args(args);
    cmd
}

/// What no output but the credentials' own stdout may show.
fn secrets() -> Vec<String> {
    vec![
        wire::REFRESH_TOKEN.into(),
        id_token(),
        wire::AWS_SECRET_KEY.into(),
        wire::AWS_SESSION_TOKEN.into(),
    ]
}

/// A failure: its exit code, one error line, no secret anywhere.
fn failing(cmd: &mut Command, code: i32) -> std::process::Output {
    let secrets = secrets();
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    run_failing(cmd.arg("-v"), code, &secrets)
}

async fn stub_get_id(server: &MockServer, answer: impl Respond + 'static) {
    wire::on_identity("GetId")
        .respond_with(answer)
        .mount(server)
        .await;
}

async fn stub_credentials(server: &MockServer, answer: ResponseTemplate) {
    wire::on_identity("GetCredentialsForIdentity")
        .respond_with(answer)
        .mount(server)
        .await;
}

/// A stub whose identity pool gives the credentials.
pub(crate) async fn working() -> MockServer {
    let server = MockServer::start().await;
    stub_get_id(&server, wire::identity_id(IDENTITY)).await;
    stub_credentials(
        &server,
        wire::aws_credentials(IDENTITY, ACCESS_KEY, FAR_FUTURE),
    )
    .await;
    server
}

#[tokio::test]
async fn unsigned_requests_with_the_id_token_as_the_user_pools_login() {
    let server = working().await;
    let p = profile(&server);
    let role = "arn:aws:iam::123456789012:role/ci-deploy";
    let out = run(&mut aws_credentials(&p, &["-v", "--role-arn", role]), 0);
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        printed,
        json!({
            "Version": 1,
            "AccessKeyId": ACCESS_KEY,
            "SecretAccessKey": wire::AWS_SECRET_KEY,
            "SessionToken": wire::AWS_SESSION_TOKEN,
            "Expiration": "2100-01-01T00:00:00Z",
        })
    );
    let logins = json!({ PROVIDER: id_token() });
    assert_eq!(
        wire::identity_bodies(&server, "GetId").await,
        [(
            json!({"IdentityPoolId": IDENTITY_POOL, "Logins": logins}),
            false
        )]
    );
    assert_eq!(
        wire::identity_bodies(&server, "GetCredentialsForIdentity").await,
        [(
            json!({"IdentityId": IDENTITY, "Logins": logins, "CustomRoleArn": role}),
            false
        )]
    );
    let err = stderr(&out);
    assert!(err.contains(wire::REQUEST_ID), "{err}");
    assert!(err.contains(&format!("role {role}")), "{err}");
    for secret in secrets() {
        assert!(!err.contains(&secret), "a secret on stderr: {err}");
    }
    // The role is part of what is cached: another role (or none) is asked for again.
    run(&mut aws_credentials(&p, &[]), 0);
    assert_eq!(
        wire::identity_bodies(&server, "GetCredentialsForIdentity")
            .await
            .len(),
        2
    );
    run(&mut aws_credentials(&p, &[]), 0);
    assert_eq!(
        wire::identity_bodies(&server, "GetCredentialsForIdentity")
            .await
            .len(),
        2
    );
}

#[tokio::test]
async fn a_pool_that_does_not_trust_the_user_pool_is_exit_4_naming_what_it_must_list() {
    let server = MockServer::start().await;
    stub_get_id(
        &server,
        wire::error(
            "NotAuthorizedException",
            "Invalid login token. Issuer doesn't match providerName",
        ),
    )
    .await;
    let p = profile(&server);
    let before = std::fs::read(p.store_file("ci")).unwrap();
    let out = failing(&mut aws_credentials(&p, &[]), 4);
    assert_stderr_contains(&out, "NotAuthorizedException");
    assert_stderr_contains(
        &out,
        &format!("provider name {PROVIDER}, app client id {}", wire::CLIENT),
    );
    // Refused: not retried, and the store is as it was.
    assert_eq!(wire::identity_bodies(&server, "GetId").await.len(), 1);
    assert_eq!(std::fs::read(p.store_file("ci")).unwrap(), before);
}

#[tokio::test]
async fn an_unknown_identity_pool_is_exit_4() {
    let server = MockServer::start().await;
    stub_get_id(
        &server,
        wire::error(
            "ResourceNotFoundException",
            &format!("IdentityPool '{IDENTITY_POOL}' not found."),
        ),
    )
    .await;
    let p = profile(&server);
    let out = failing(&mut aws_credentials(&p, &[]), 4);
    assert_stderr_contains(&out, "ResourceNotFoundException");
    assert_stderr_contains(&out, "--identity-pool-id");
}

#[tokio::test]
async fn a_role_the_pool_cannot_give_is_exit_4() {
    let server = MockServer::start().await;
    stub_get_id(&server, wire::identity_id(IDENTITY)).await;
    stub_credentials(
        &server,
        wire::error(
            "InvalidIdentityPoolConfigurationException",
            "Invalid identity pool configuration. Check assigned IAM roles for this pool.",
        ),
    )
    .await;
    let p = profile(&server);
    let out = failing(&mut aws_credentials(&p, &[]), 4);
    assert_stderr_contains(&out, "InvalidIdentityPoolConfigurationException");
    assert_stderr_contains(&out, "--role-arn");
}

#[tokio::test]
async fn throttling_and_server_errors_are_retried_then_exit_5() {
    for answer in [
        wire::error("TooManyRequestsException", "Rate exceeded"),
        wire::error_status(500, "InternalErrorException", "Service unavailable"),
        ResponseTemplate::new(503),
    ] {
        let server = MockServer::start().await;
        stub_get_id(&server, answer).await;
        let p = profile(&server);
        failing(&mut aws_credentials(&p, &[]), 5);
        assert_eq!(
            wire::identity_bodies(&server, "GetId").await.len(),
            3,
            "three attempts in all"
        );
        assert!(p.entry("ci").get("aws").is_none());
    }
}

#[tokio::test]
async fn a_server_error_then_an_answer_succeeds() {
    let server = MockServer::start().await;
    stub_get_id(&server, wire::identity_id(IDENTITY)).await;
    wire::on_identity("GetCredentialsForIdentity")
        .respond_with(wire::error_status(500, "InternalErrorException", ""))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    stub_credentials(
        &server,
        wire::aws_credentials(IDENTITY, ACCESS_KEY, FAR_FUTURE),
    )
    .await;
    let p = profile(&server);
    run(&mut aws_credentials(&p, &[]), 0);
    assert_eq!(
        wire::identity_bodies(&server, "GetCredentialsForIdentity")
            .await
            .len(),
        2
    );
    assert_eq!(p.entry("ci")["aws"]["access_key_id"], ACCESS_KEY);
}

#[tokio::test]
async fn an_identity_the_pool_forgot_is_asked_for_again() {
    const NEW: &str = "eu-west-1:99999999-2222-4333-8444-555555555555";
    let server = working().await;
    let p = profile(&server);
    run(&mut aws_credentials(&p, &[]), 0);
    assert_eq!(p.entry("ci")["aws"]["identity_id"], IDENTITY);
    // The pool forgets the identity and gives the user a new one.
    server.reset().await;
    wire::on_identity("GetCredentialsForIdentity")
        .and(body_partial_json(json!({"IdentityId": IDENTITY})))
        .respond_with(wire::error(
            "ResourceNotFoundException",
            &format!("Identity '{IDENTITY}' not found."),
        ))
        .with_priority(1)
        .mount(&server)
        .await;
    stub_get_id(&server, wire::identity_id(NEW)).await;
    stub_credentials(&server, wire::aws_credentials(NEW, ACCESS_KEY, FAR_FUTURE)).await;
    run(&mut aws_credentials(&p, &["--force"]), 0);
    assert_eq!(p.entry("ci")["aws"]["identity_id"], NEW);
    assert_eq!(wire::identity_bodies(&server, "GetId").await.len(), 1);
}

#[tokio::test]
async fn a_login_token_echoed_back_is_scrubbed() {
    let server = MockServer::start().await;
    stub_get_id(
        &server,
        wire::EchoError(|body| body["Logins"][PROVIDER].as_str().unwrap_or("").into()),
    )
    .await;
    let p = profile(&server);
    let out = failing(&mut aws_credentials(&p, &[]), 1);
    assert_stderr_contains(&out, "(redacted)");
}

#[tokio::test]
async fn no_identity_pool_or_a_malformed_one_is_exit_2_before_anything_is_sent() {
    let server = working().await;
    let p = Profiles::new();
    p.write_config(&format!(
        "[profiles.ci]\nclient_id = \"{}\"\nregion = \"eu-west-1\"\nendpoint_url = \"{}\"\n",
        wire::CLIENT,
        server.uri()
    ));
    run(
        p.cmd()
            .args(["store", "--profile", "ci", "--id-token", &id_token()])
            .env("COGNITO_REFRESH_TOKEN", wire::REFRESH_TOKEN),
        0,
    );
    let out = failing(&mut aws_credentials(&p, &[]), 2);
    assert_stderr_contains(&out, "--identity-pool-id");
    failing(
        &mut aws_credentials(&p, &["--identity-pool-id", "not-a-pool"]),
        2,
    );
    // The variable names it too.
    run(
        aws_credentials(&p, &[]).env("COGNITO_IDENTITY_POOL_ID", IDENTITY_POOL),
        0,
    );
    assert_eq!(wire::identity_bodies(&server, "GetId").await.len(), 1);
}

#[tokio::test]
async fn an_identity_pool_that_does_not_answer_is_bounded_by_the_timeout() {
    let server = MockServer::start().await;
    stub_get_id(
        &server,
        wire::identity_id(IDENTITY).set_delay(std::time::Duration::from_secs(30)),
    )
    .await;
    let p = profile(&server);
    let started = std::time::Instant::now();
    let out = failing(&mut aws_credentials(&p, &["--timeout", "1"]), 5);
    assert_stderr_contains(&out, "within the timeout");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}
