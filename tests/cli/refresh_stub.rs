//! `refresh` against an HTTP stub answering in Cognito's wire format, for what moto does not
//! emulate: GetTokensFromRefreshToken and rotation, devices, Cognito's own error messages,
//! throttling, server errors and timeouts.

use crate::support::jwt;
use crate::support::wire::{self, CLIENT, POOL, REFRESH_TOKEN as RT, auth_result, tokens};
use crate::util::*;
use serde_json::json;
use std::time::{Duration, Instant};
use wiremock::matchers::header;
use wiremock::{MockServer, ResponseTemplate};

const SECRET: &str = "s3cr3t";

fn refresh(server: &MockServer) -> assert_cmd::Command {
    against_stub("refresh", &server.uri())
}

#[tokio::test]
async fn initiate_auth_sends_secret_hash_device_key_and_metadata() {
    let server = MockServer::start().await;
    wire::on("InitiateAuth")
        .and(header("content-type", wire::CONTENT_TYPE))
        .respond_with(auth_result(tokens()))
        .expect(1)
        .mount(&server)
        .await;
    let access = jwt::access_token(json!({"device_key": "eu-west-1_dev-1"}));
    let out = run(
        refresh(&server)
            .env("COGNITO_CLIENT_SECRET", SECRET)
            .args(["--access-token", &access])
            .args(["--client-metadata", "app=ci", "--client-metadata", "k=v=w"]),
        0,
    );
    json_tokens(&out);
    let reqs = wire::requests(&server).await;
    let b = wire::body(&reqs[0]);
    assert_eq!(b["AuthFlow"], "REFRESH_TOKEN_AUTH");
    assert_eq!(b["ClientId"], CLIENT);
    assert_eq!(b["AuthParameters"]["REFRESH_TOKEN"], RT);
    // printf '%s' alice4f1example | openssl dgst -sha256 -hmac s3cr3t -binary | base64
    assert_eq!(
        b["AuthParameters"]["SECRET_HASH"],
        "ejcceE7pHGV30VHJNvrOmIOGFIyYoKkjpJQx8OL1E0w="
    );
    assert_eq!(b["AuthParameters"]["DEVICE_KEY"], "eu-west-1_dev-1");
    assert_eq!(b["ClientMetadata"], json!({"app": "ci", "k": "v=w"}));
    // Unauthenticated: no SigV4, so no AWS credentials were looked for.
    assert!(reqs[0].headers.get("authorization").is_none());
    assert_no_secrets(&out, &[RT, SECRET]);
}

#[tokio::test]
async fn get_tokens_with_rotation_returns_the_new_refresh_token() {
    let server = MockServer::start().await;
    let mut rotated = tokens();
    rotated["RefreshToken"] = json!("rotated-refresh-token-2");
    wire::on("GetTokensFromRefreshToken")
        .respond_with(auth_result(rotated))
        .expect(2)
        .mount(&server)
        .await;
    let out = run(
        refresh(&server).env("COGNITO_CLIENT_SECRET", SECRET).args([
            "--api",
            "get-tokens",
            "--device-key",
            "eu-west-1_dev-2",
        ]),
        0,
    );
    let t = json_tokens(&out);
    assert_eq!(t.refresh_token.as_deref(), Some("rotated-refresh-token-2"));
    let reqs = wire::requests(&server).await;
    let b = wire::body(&reqs[0]);
    assert_eq!(b["RefreshToken"], RT);
    assert_eq!(b["ClientId"], CLIENT);
    // GetTokensFromRefreshToken takes the secret itself, and needs no username.
    assert_eq!(b["ClientSecret"], SECRET);
    assert_eq!(b["DeviceKey"], "eu-west-1_dev-2");
    assert!(b.get("AuthParameters").is_none());

    // env output hands the new refresh token on as well.
    let out = run(
        refresh(&server).args(["--api", "get-tokens", "-o", "env"]),
        0,
    );
    assert!(stdout(&out).contains("export COGNITO_REFRESH_TOKEN='rotated-refresh-token-2'"));
}

#[tokio::test]
async fn rotated_token_with_a_bare_token_output_is_warned_about() {
    let mut rotated = tokens();
    rotated["RefreshToken"] = json!("rotated-refresh-token-3");
    let server = wire::answering(auth_result(rotated)).await;
    let out = run(
        refresh(&server).args(["--api", "get-tokens", "-o", "access-token"]),
        0,
    );
    assert_eq!(claims(stdout(&out).trim_end())["token_use"], "access");
    assert_stderr_contains(&out, "rotated the refresh token");
    assert_no_secrets(&out, &["rotated-refresh-token-3"]);
}

#[tokio::test]
async fn new_device_metadata_reaches_the_output() {
    let mut t = tokens();
    t["NewDeviceMetadata"] = json!({"DeviceKey": "eu-west-1_new", "DeviceGroupKey": "-grp"});
    let server = wire::answering(auth_result(t)).await;
    let out = run(&mut refresh(&server), 0);
    assert_eq!(
        json_tokens(&out).new_device,
        Some(JsonDevice {
            device_key: Some("eu-west-1_new".into()),
            device_group_key: Some("-grp".into())
        })
    );
    let out = run(refresh(&server).args(["-o", "aws"]), 0);
    let aws: AwsOutput = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        aws.authentication_result.new_device_metadata,
        Some(json!({"DeviceKey": "eu-west-1_new", "DeviceGroupKey": "-grp"}))
    );
}

#[tokio::test]
async fn missing_expires_in_and_token_type_are_filled_in() {
    // Emulators leave them out; the tool derives them from the access token's exp.
    let exp = time::OffsetDateTime::now_utc().unix_timestamp() + 1800;
    let result = json!({
        "AccessToken": jwt::access_token(json!({"exp": exp})),
        "IdToken": jwt::unsigned(json!({})),
    });
    let server = wire::answering(auth_result(result)).await;
    let t = json_tokens(&run(&mut refresh(&server), 0));
    assert_eq!(t.token_type, "Bearer");
    assert!((1795..=1800).contains(&t.expires_in), "{}", t.expires_in);
}

/// Each of Cognito's answers to a refresh it refuses, with the kind it must map to.
#[tokio::test]
async fn cognito_errors_map_to_exit_codes_and_hints() {
    let cases = [
        (
            "NotAuthorizedException",
            "Invalid Refresh Token.",
            3,
            "only with the app client that issued it",
        ),
        (
            "NotAuthorizedException",
            "Refresh Token has expired",
            3,
            "past its validity",
        ),
        (
            "NotAuthorizedException",
            "Refresh Token has been revoked",
            3,
            "revoked",
        ),
        (
            "NotAuthorizedException",
            "Unable to verify secret hash for client 4f1example",
            4,
            "client secret",
        ),
        (
            "NotAuthorizedException",
            "SecretHash does not match for the client: 4f1example",
            4,
            "real Cognito username",
        ),
        (
            "NotAuthorizedException",
            "Client 4f1example is configured for secret but secret was not received",
            4,
            "--client-secret-file",
        ),
        (
            "RefreshTokenReuseException",
            "Refresh token has been reused",
            3,
            "rotation",
        ),
        (
            "UserNotFoundException",
            "User does not exist.",
            3,
            "sign in again",
        ),
        (
            "ResourceNotFoundException",
            "User pool client 4f1example does not exist.",
            4,
            "--client-id",
        ),
        (
            "InvalidParameterException",
            "1 validation error detected",
            4,
            "",
        ),
        (
            "ForbiddenException",
            "Request not allowed due to WAF block.",
            1,
            "WAF",
        ),
    ];
    for (kind, message, code, hint) in cases {
        let server = MockServer::start().await;
        wire::on_any()
            .respond_with(wire::error(kind, message))
            .expect(1) // never retried
            .mount(&server)
            .await;
        let out = run_failing(
            refresh(&server)
                .env("COGNITO_CLIENT_SECRET", SECRET)
                .args(["--username", "alice@example.com"]),
            code,
            &[RT, SECRET],
        );
        let err = stderr(&out);
        assert!(
            err.starts_with(&format!("cognito-refresh: error: {kind}: {message}\n")),
            "{kind}: {err}"
        );
        assert!(err.contains(hint), "{kind} {message}: {err}");
        server.verify().await;
    }
}

#[tokio::test]
async fn invalid_refresh_token_lists_its_causes() {
    let server = wire::answering(wire::invalid_refresh_token()).await;
    let out = run_failing(&mut refresh(&server), 3, &[RT]);
    let hints: Vec<String> = stderr(&out)
        .lines()
        .filter_map(|l| l.strip_prefix("hint: ").map(str::to_string))
        .collect();
    assert_eq!(hints.len(), 4, "{hints:#?}");
    assert!(hints[0].contains(CLIENT));
    assert!(hints[1].contains("--device-key"));
    assert!(hints[2].contains("USER_SRP_AUTH"));
    assert!(hints[3].contains("--api get-tokens"));
}

#[tokio::test]
async fn throttling_or_server_error_then_success_is_retried() {
    for first in [
        wire::error("TooManyRequestsException", "Rate exceeded"),
        ResponseTemplate::new(500).set_body_string("<html>oops</html>"),
        ResponseTemplate::new(503).set_body_string("Service Unavailable"),
        wire::error_status(500, "InternalErrorException", "Internal error"),
    ] {
        let server = MockServer::start().await;
        wire::on_any()
            .respond_with(first)
            .up_to_n_times(1)
            .mount(&server)
            .await;
        wire::mount_any(&server, auth_result(tokens())).await;
        json_tokens(&run(&mut refresh(&server), 0));
        assert_eq!(wire::requests(&server).await.len(), 2);
    }
}

#[tokio::test]
async fn persistent_failures_are_transient_after_bounded_retries() {
    for response in [
        ResponseTemplate::new(503).set_body_string("Service Unavailable"),
        wire::error_status(500, "InternalErrorException", "Internal error"),
        wire::error("TooManyRequestsException", "Rate exceeded"),
    ] {
        let server = wire::answering(response).await;
        let out = run_failing(&mut refresh(&server), 5, &[RT]);
        assert_stderr_contains(&out, "hint: ");
        assert_eq!(
            wire::requests(&server).await.len(),
            3,
            "three attempts, then give up"
        );
    }
}

#[tokio::test]
async fn slow_server_is_bounded_by_the_timeout() {
    let server = wire::answering(auth_result(tokens()).set_delay(Duration::from_secs(30))).await;
    let started = Instant::now();
    let out = run_failing(refresh(&server).args(["--timeout", "1"]), 5, &[RT]);
    // Generous: the point is that 30 s were not waited, not how fast the tool is.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_stderr_contains(&out, "within the timeout");
}

#[test]
fn connection_refused_is_transient() {
    let nothing = format!("http://127.0.0.1:{}", free_port());
    let out = run_failing(
        against_stub("refresh", &nothing).args(["--timeout", "5"]),
        5,
        &[RT],
    );
    assert_stderr_contains(&out, "could not reach");
}

#[tokio::test]
async fn never_asks_for_credentials_or_instance_metadata() {
    // A metadata endpoint that would record any connection; none must arrive.
    let imds = Imds::new();
    let server = wire::answering(auth_result(tokens())).await;
    let mut cmd = bin();
    cmd.args([
        "refresh",
        "--client-id",
        CLIENT,
        "--endpoint-url",
        &server.uri(),
    ])
    .args(["--user-pool-id", POOL])
    .env("COGNITO_REFRESH_TOKEN", RT)
    .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.endpoint());
    json_tokens(&run(&mut cmd, 0));
    imds.assert_not_contacted();
}

#[tokio::test]
async fn unreadable_answers_are_errors_not_panics() {
    for response in [
        ResponseTemplate::new(200).set_body_raw("{\"AuthenticationResult\": {", wire::CONTENT_TYPE),
        ResponseTemplate::new(200).set_body_raw("<html>proxy</html>", "text/html"),
        wire::ok(json!({})),
    ] {
        let server = wire::answering(response).await;
        run_failing(&mut refresh(&server), 1, &[RT]);
    }
}

#[tokio::test]
async fn extra_fields_in_answers_are_accepted() {
    let mut t = tokens();
    t["SomethingNew"] = json!({"x": 1});
    let server = wire::answering(wire::ok(
        json!({"AuthenticationResult": t, "ChallengeParameters": {}, "Extra": true}),
    ))
    .await;
    json_tokens(&run(&mut refresh(&server), 0));
}

/// The lines of `out`'s stderr that name a request id.
fn request_id_lines(out: &std::process::Output) -> Vec<String> {
    stderr(out)
        .lines()
        .filter(|l| l.contains("request id"))
        .map(str::to_string)
        .collect()
}

/// The hint that sends the user to AWS Support with the answer's request id.
fn support_hint() -> String {
    format!(
        "hint: if this persists, give AWS Support the request id {}",
        wire::REQUEST_ID
    )
}

#[tokio::test]
async fn verbose_names_the_request_id_of_a_successful_refresh() {
    let server = wire::answering(auth_result(tokens())).await;
    let out = run(refresh(&server).arg("-v"), 0);
    json_tokens(&out);
    assert_eq!(
        request_id_lines(&out),
        [format!(
            "cognito-refresh: the answer's request id: {}",
            wire::REQUEST_ID
        )]
    );
    // Without -v: nothing on stderr about it.
    let out = run(&mut refresh(&server), 0);
    assert!(request_id_lines(&out).is_empty(), "{}", stderr(&out));
}

#[tokio::test]
async fn server_errors_after_retries_give_the_request_id_for_aws_support() {
    for response in [
        wire::error_status(500, "InternalErrorException", "Internal error"),
        wire::request_id(ResponseTemplate::new(503).set_body_string("Service Unavailable")),
    ] {
        let server = wire::answering(response).await;
        let out = run_failing(&mut refresh(&server), 5, &[RT]);
        assert_eq!(wire::requests(&server).await.len(), 3);
        assert!(
            stderr(&out).lines().any(|l| l == support_hint()),
            "{}",
            stderr(&out)
        );
    }
}

#[tokio::test]
async fn unexpected_answers_give_the_request_id_only_when_the_server_sent_one() {
    let page = || ResponseTemplate::new(200).set_body_raw("<html>proxy</html>", "text/html");
    let server = wire::answering(wire::request_id(page())).await;
    let out = run_failing(refresh(&server).arg("-v"), 1, &[RT]);
    assert!(
        stderr(&out).lines().any(|l| l == support_hint()),
        "{}",
        stderr(&out)
    );

    // A proxy's own page carries no request id: none is made up.
    let server = wire::answering(page()).await;
    let out = run_failing(refresh(&server).arg("-v"), 1, &[RT]);
    assert!(request_id_lines(&out).is_empty(), "{}", stderr(&out));
}

#[tokio::test]
async fn a_refusal_names_its_request_id_with_verbose() {
    let server = wire::answering(wire::invalid_refresh_token()).await;
    let out = run_failing(refresh(&server).arg("-v"), 3, &[RT]);
    assert_eq!(
        request_id_lines(&out),
        [format!(
            "cognito-refresh: the answer's request id: {}",
            wire::REQUEST_ID
        )],
        "a refusal is not a matter for AWS Support"
    );
}
