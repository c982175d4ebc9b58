//! `diagnose` against an HTTP stub answering in Cognito's wire format, for what moto does not
//! emulate: each documented cause of "Invalid Refresh Token", rotation, expiry and revocation
//! as Cognito words them, and DescribeUserPoolClient / DescribeUserPool answers and denials.

use crate::support::jwt;
use crate::support::wire::{
    self, CLIENT, POOL, REFRESH_TOKEN as RT, invalid_refresh_token, operations, requests, with,
};
use crate::util::*;
use serde_json::{Value, json};
use wiremock::matchers::body_partial_json;
use wiremock::{MockServer, ResponseTemplate};

const SECRET: &str = "s3cr3t-client-secret";
const DEVICE: &str = "eu-west-1_0c5e1f4e-6d1b-4a8e-9f60-7a2e8d3c1b9a";
const ROTATED: &str = "rotated-refresh-token-from-the-stub";

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// An access token of the session: user alice of CLIENT in POOL, signed in two days ago,
/// expired two hours ago; `extra` adds or replaces claims.
fn session_access_token(extra: Value) -> String {
    let session = json!({
        "auth_time": now() - 2 * 86_400 - 3 * 3_600, "exp": now() - 2 * 3_600 - 300,
    });
    jwt::access_token(with(session, extra))
}

fn tokens(refresh_token: Option<&str>) -> ResponseTemplate {
    let mut result = wire::tokens_with(&session_access_token(json!({"exp": now() + 3_600})));
    if let Some(rt) = refresh_token {
        result["RefreshToken"] = json!(rt);
    }
    wire::auth_result(result)
}

/// DescribeUserPoolClient's answer: a public client that allows refresh and SRP sign-ins.
fn client_description(extra: Value) -> Value {
    let client = json!({
        "UserPoolId": POOL, "ClientId": CLIENT, "ClientName": "web",
        "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"],
        "RefreshTokenValidity": 30,
        "TokenValidityUnits": {"RefreshToken": "days"},
        "EnableTokenRevocation": true,
    });
    json!({"UserPoolClient": with(client, extra)})
}

/// DescribeUserPool's answer: a pool that always remembers devices.
fn pool_remembering_devices() -> Value {
    json!({"UserPool": {"Id": POOL, "Name": "users", "DeviceConfiguration": {
        "ChallengeRequiredOnNewDevice": true, "DeviceOnlyRememberedOnUserPrompt": false,
    }}})
}

async fn mount_describe(server: &MockServer, client: Value, pool: Value) {
    wire::mount(server, "DescribeUserPoolClient", wire::ok(client)).await;
    wire::mount(server, "DescribeUserPool", wire::ok(pool)).await;
}

/// A stub that refreshes only with the session's device key (DEVICE, as Cognito does for a
/// session on a tracked device), and refuses every other refresh.
async fn stub_wanting_the_device_key() -> MockServer {
    let server = refreshing(invalid_refresh_token()).await;
    wire::on("InitiateAuth")
        .and(body_partial_json(
            json!({"AuthParameters": {"DEVICE_KEY": DEVICE}}),
        ))
        .respond_with(tokens(None))
        .with_priority(1)
        .mount(&server)
        .await;
    server
}

/// A stub answering every refresh, through either API, with `response`.
async fn refreshing(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    for operation in ["InitiateAuth", "GetTokensFromRefreshToken"] {
        wire::mount(&server, operation, response.clone()).await;
    }
    server
}

/// A stub refusing every refresh, for a session whose pool always remembers devices.
async fn refusing_in_a_pool_remembering_devices() -> MockServer {
    let server = refreshing(invalid_refresh_token()).await;
    mount_describe(
        &server,
        client_description(json!({})),
        pool_remembering_devices(),
    )
    .await;
    server
}

fn diagnose(server: &MockServer) -> assert_cmd::Command {
    against_stub("diagnose", &server.uri())
}

fn json_report(cmd: &mut assert_cmd::Command) -> &mut assert_cmd::Command {
    cmd.args(["-o", "json"])
}

fn inspect(cmd: &mut assert_cmd::Command) -> &mut assert_cmd::Command {
    cmd.arg("--inspect")
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "dummy-secret-access-key")
}

fn secrets(access: &str) -> Vec<&str> {
    vec![RT, SECRET, access, "dummy-secret-access-key"]
}

/// The first cause: the app client id differs from the one that issued the token.
#[tokio::test]
async fn invalid_refresh_token_from_another_client() {
    let server = refreshing(invalid_refresh_token()).await;
    let access = session_access_token(json!({"client_id": "7abcotherclient"}));
    let out = run_failing(
        json_report(&mut diagnose(&server)).args(["--access-token", &access]),
        3,
        &secrets(&access),
    );
    let r = report(&out);
    let c = r.assert_status("client-id", CheckStatus::Problem);
    assert!(
        c.summary
            .contains("app client 7abcotherclient, not 4f1example"),
        "{c:#?}"
    );
    assert!(
        c.fix
            .as_deref()
            .unwrap()
            .contains("--client-id 7abcotherclient")
    );
    let refresh = r.assert_status("refresh", CheckStatus::Problem);
    assert!(
        refresh
            .summary
            .contains("NotAuthorizedException: Invalid Refresh Token.")
    );
    assert!(
        refresh.fix.as_deref().unwrap().contains("client-id"),
        "{refresh:#?}"
    );
    // Rotation is ruled out: GetTokensFromRefreshToken refuses it too.
    assert_eq!(r.attempts(), ["attempt.get-tokens"]);
    r.assert_status("attempt.get-tokens", CheckStatus::Problem);
    assert_eq!(
        operations(&requests(&server).await),
        ["InitiateAuth", "GetTokensFromRefreshToken"]
    );
}

/// The second cause: the device is tracked, its key sent, but it was never confirmed.
#[tokio::test]
async fn invalid_refresh_token_for_an_unconfirmed_device() {
    let server = refusing_in_a_pool_remembering_devices().await;
    let access = session_access_token(json!({"device_key": DEVICE}));
    let out = run_failing(
        inspect(json_report(&mut diagnose(&server))).args(["--access-token", &access]),
        3,
        &secrets(&access),
    );
    let r = report(&out);
    // The key sent is the session's own (read from the access token).
    r.assert_status("device-key", CheckStatus::Warning);
    let devices = r.assert_status("pool.devices", CheckStatus::Problem);
    assert!(devices.summary.contains(DEVICE), "{devices:#?}");
    assert!(
        devices.fix.as_deref().unwrap().contains("ConfirmDevice"),
        "{devices:#?}"
    );
    let reqs = requests(&server).await;
    let first = wire::body(&reqs[0]);
    assert_eq!(first["AuthParameters"]["DEVICE_KEY"], DEVICE);
}

/// The third cause: no DEVICE_KEY, or the wrong one, sent for a session on a tracked device.
/// Cognito answers only the session's own device key.
#[tokio::test]
async fn invalid_refresh_token_without_the_device_key() {
    let server = stub_wanting_the_device_key().await;
    let access = session_access_token(json!({"device_key": DEVICE}));

    // A stale --device-key: the attempt with the access token's device key succeeds.
    let stale = "eu-west-1_11111111-2222-3333-4444-555555555555";
    let out = run(
        json_report(&mut diagnose(&server)).args([
            "--access-token",
            &access,
            "--device-key",
            stale,
        ]),
        0,
    );
    assert_no_secrets(&out, &secrets(&access));
    let r = report(&out);
    let device = r.assert_status("device-key", CheckStatus::Problem);
    assert!(device.fix.as_deref().unwrap().contains(DEVICE));
    let refresh = r.assert_status("refresh", CheckStatus::Problem);
    assert!(
        refresh
            .fix
            .as_deref()
            .unwrap()
            .contains(&format!("--device-key {DEVICE}")),
        "{refresh:#?}"
    );
    assert_eq!(r.attempts(), ["attempt.device-key-from-token"]);
    r.assert_status("attempt.device-key-from-token", CheckStatus::Ok);
    assert_eq!(
        r.succeeded.as_deref(),
        Some("attempt.device-key-from-token")
    );

    // No device key and no access token to read one from: the report says where to get it.
    let out = run_failing(json_report(&mut diagnose(&server)), 3, &[RT]);
    let r = report(&out);
    r.assert_status("device-key", CheckStatus::Skipped);
    let refresh = r.assert_status("refresh", CheckStatus::Problem);
    assert!(
        refresh.fix.as_deref().unwrap().contains("--device-key"),
        "{refresh:#?}"
    );

    // With the access token the key is read from it: the refresh works, and the report names
    // what a client refreshing without the token must send.
    let out = run(
        json_report(&mut diagnose(&server)).args(["--access-token", &access]),
        0,
    );
    let r = report(&out);
    let device = r.assert_status("device-key", CheckStatus::Warning);
    assert!(
        device
            .fix
            .as_deref()
            .unwrap()
            .contains(&format!("--device-key {DEVICE}")),
        "{device:#?}"
    );
    r.assert_status("refresh", CheckStatus::Ok);
}

/// The human report for the stale device key, as a user sees it: its wording is reviewed in
/// the snapshot's diffs.
#[tokio::test]
async fn human_report_snapshot() {
    let server = stub_wanting_the_device_key().await;
    let access = session_access_token(json!({"device_key": DEVICE}));
    let out = run(
        diagnose(&server)
            .args([
                "--access-token-file",
                "-",
                "--device-key",
                "eu-west-1_11111111-2222-3333-4444-555555555555",
            ])
            .write_stdin(access.clone()),
        0,
    );
    assert_no_secrets(&out, &secrets(&access));
    assert_eq!(stderr(&out), "");
    insta::with_settings!({filters => vec![(r"127\.0\.0\.1:\d+", "127.0.0.1:[port]")]}, {
        insta::assert_snapshot!("diagnose_stale_device_key", stdout(&out));
    });
}

/// The fourth cause: the pool tracks devices and the session, from USER_PASSWORD_AUTH, has
/// none.
#[tokio::test]
async fn invalid_refresh_token_for_a_session_without_a_device() {
    let server = refusing_in_a_pool_remembering_devices().await;
    let access = session_access_token(json!({}));
    let out = run_failing(
        inspect(json_report(&mut diagnose(&server))).args(["--access-token", &access]),
        3,
        &secrets(&access),
    );
    let r = report(&out);
    r.assert_status("device-key", CheckStatus::Ok);
    let devices = r.assert_status("pool.devices", CheckStatus::Problem);
    assert!(
        devices.summary.contains("this session has no device"),
        "{devices:#?}"
    );
    assert!(
        devices
            .detail
            .as_deref()
            .unwrap()
            .contains("USER_PASSWORD_AUTH")
    );
    assert!(devices.fix.as_deref().unwrap().contains("USER_SRP_AUTH"));
    let refresh = r.assert_status("refresh", CheckStatus::Problem);
    assert!(
        refresh.fix.as_deref().unwrap().contains("pool.devices"),
        "{refresh:#?}"
    );
    // The describe calls were signed (SigV4); the refreshes were not.
    for req in requests(&server).await {
        let op = wire::operation(&req);
        let signed = req.headers.get("authorization").is_some();
        assert_eq!(signed, op.contains("Describe"), "{op}");
    }
}

/// Reported for refresh tokens from ADMIN_NO_SRP_AUTH: GetTokensFromRefreshToken refuses them,
/// InitiateAuth accepts them.
#[tokio::test]
async fn invalid_refresh_token_from_get_tokens_only() {
    let server = MockServer::start().await;
    wire::mount(&server, "InitiateAuth", tokens(None)).await;
    wire::mount(
        &server,
        "GetTokensFromRefreshToken",
        invalid_refresh_token(),
    )
    .await;
    let access = session_access_token(json!({}));
    let out = run(
        json_report(&mut diagnose(&server))
            .args(["--api", "get-tokens", "--access-token", &access])
            .env("COGNITO_CLIENT_SECRET", SECRET),
        0,
    );
    assert_no_secrets(&out, &secrets(&access));
    let r = report(&out);
    assert_eq!(r.attempts(), ["attempt.initiate-auth"]);
    r.assert_status("attempt.initiate-auth", CheckStatus::Ok);
    let refresh = r.assert_status("refresh", CheckStatus::Problem);
    assert!(
        refresh
            .fix
            .as_deref()
            .unwrap()
            .contains("ADMIN_NO_SRP_AUTH"),
        "{refresh:#?}"
    );
    // InitiateAuth with a secret needs SECRET_HASH, computed for the token's username.
    let reqs = requests(&server).await;
    let b = wire::body(&reqs[1]);
    assert_eq!(b["AuthFlow"], "REFRESH_TOKEN_AUTH");
    assert!(b["AuthParameters"]["SECRET_HASH"].is_string());
}

/// Rotation on: REFRESH_TOKEN_AUTH is refused (Cognito's wording for it is not documented, so
/// both plausible answers are tested), GetTokensFromRefreshToken succeeds with a new refresh
/// token, which must reach the user.
#[tokio::test]
async fn rotation_refuses_initiate_auth_and_the_new_token_is_shown() {
    for refusal in [
        invalid_refresh_token(),
        wire::error(
            "InvalidParameterException",
            "REFRESH_TOKEN_AUTH flow not enabled for this client",
        ),
    ] {
        let server = MockServer::start().await;
        wire::mount(&server, "InitiateAuth", refusal).await;
        wire::mount(&server, "GetTokensFromRefreshToken", tokens(Some(ROTATED))).await;
        mount_describe(
            &server,
            client_description(json!({
                "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH"],
                "RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 10},
            })),
            json!({"UserPool": {"Id": POOL}}),
        )
        .await;
        let access = session_access_token(json!({}));
        let out = run(
            inspect(json_report(&mut diagnose(&server))).args(["--access-token", &access]),
            0,
        );
        assert_no_secrets(&out, &secrets(&access));
        let r = report(&out);
        assert_eq!(r.new_refresh_token.as_deref(), Some(ROTATED));
        assert_eq!(r.succeeded.as_deref(), Some("attempt.get-tokens"));
        let a = r.assert_status("attempt.get-tokens", CheckStatus::Ok);
        assert!(a.detail.as_deref().unwrap().contains("new refresh token"));
        let refresh = r.assert_status("refresh", CheckStatus::Problem);
        assert!(
            refresh.fix.as_deref().unwrap().contains("--api get-tokens"),
            "{refresh:#?}"
        );
        // The settings agree; the refresh worked through the other API, so they warn.
        let rotation = r.assert_status("client.rotation", CheckStatus::Warning);
        assert!(
            rotation.summary.contains("grace period 10 s"),
            "{rotation:#?}"
        );
        r.assert_status("client.auth-flows", CheckStatus::Warning);
        r.assert_status("pool.devices", CheckStatus::Ok);

        // The human report prints it too, labelled, as its last line.
        let out = run(&mut diagnose(&server), 0);
        let text = stdout(&out);
        assert!(
            text.contains("\nnew refresh token: Cognito rotated"),
            "{text}"
        );
        assert!(text.ends_with(&format!("\n{ROTATED}\n")), "{text}");
        assert!(!stderr(&out).contains(ROTATED));
    }
}

#[tokio::test]
async fn expired_refresh_token_is_named_and_not_retried() {
    let server = refreshing(wire::error(
        "NotAuthorizedException",
        "Refresh Token has expired",
    ))
    .await;
    let access = session_access_token(json!({"auth_time": now() - 45 * 86_400}));
    let out = run_failing(
        json_report(&mut diagnose(&server)).args(["--access-token", &access]),
        3,
        &secrets(&access),
    );
    let r = report(&out);
    let refresh = r.assert_status("refresh", CheckStatus::Problem);
    assert!(refresh.summary.contains("Refresh Token has expired"));
    assert!(
        refresh.fix.as_deref().unwrap().contains("sign in again"),
        "{refresh:#?}"
    );
    let age = r.assert_status("session-age", CheckStatus::Warning);
    assert!(age.summary.contains("45 days ago"), "{age:#?}");
    assert!(r.attempts().is_empty());
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn revoked_refresh_token_is_named_and_not_retried() {
    let server = refreshing(wire::error(
        "NotAuthorizedException",
        "Refresh Token has been revoked",
    ))
    .await;
    let out = run_failing(json_report(&mut diagnose(&server)), 3, &[RT]);
    let r = report(&out);
    let refresh = r.assert_status("refresh", CheckStatus::Problem);
    assert!(
        refresh.fix.as_deref().unwrap().contains("GlobalSignOut"),
        "{refresh:#?}"
    );
    assert!(r.attempts().is_empty());
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn denied_describe_calls_are_unknown_and_name_the_action() {
    let server = refreshing(tokens(None)).await;
    for action in ["DescribeUserPoolClient", "DescribeUserPool"] {
        let denied = format!(
            "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: \
             cognito-idp:{action} on resource: \
             arn:aws:cognito-idp:eu-west-1:123456789012:userpool/{POOL}"
        );
        wire::mount(
            &server,
            action,
            wire::error("AccessDeniedException", &denied),
        )
        .await;
    }
    let out = run(
        inspect(json_report(&mut diagnose(&server))).args(["--user-pool-id", POOL]),
        0,
    );
    let r = report(&out);
    let c = r.assert_status("client.secret", CheckStatus::Unknown);
    assert!(
        c.summary.contains("cognito-idp:DescribeUserPoolClient"),
        "{c:#?}"
    );
    assert!(c.fix.as_deref().unwrap().contains(POOL));
    for id in [
        "client.auth-flows",
        "client.rotation",
        "client.validity",
        "client.revocation",
    ] {
        r.assert_status(id, CheckStatus::Unknown);
    }
    let p = r.assert_status("pool.devices", CheckStatus::Unknown);
    assert!(p.summary.contains("cognito-idp:DescribeUserPool"), "{p:#?}");
}

#[tokio::test]
async fn without_inspect_no_credentials_or_instance_metadata_are_asked_for() {
    let imds = Imds::new();
    let server = refreshing(invalid_refresh_token()).await;
    let access = session_access_token(json!({}));
    let out = run_failing(
        json_report(&mut diagnose(&server))
            .args(["--access-token", &access])
            .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.endpoint()),
        3,
        &secrets(&access),
    );
    let r = report(&out);
    r.assert_status("client.secret", CheckStatus::Skipped);
    // Every request went out unsigned, and none was a describe call.
    for req in requests(&server).await {
        assert!(req.headers.get("authorization").is_none());
    }
    assert_eq!(
        operations(&requests(&server).await),
        ["InitiateAuth", "GetTokensFromRefreshToken"]
    );
    imds.assert_not_contacted();
}

#[tokio::test]
async fn inspect_with_credentials_in_the_environment_never_asks_instance_metadata() {
    let imds = Imds::new();
    let server = refreshing(tokens(None)).await;
    mount_describe(
        &server,
        client_description(json!({})),
        json!({"UserPool": {"Id": POOL}}),
    )
    .await;
    let out = run(
        inspect(json_report(&mut diagnose(&server)))
            .args(["--user-pool-id", POOL])
            .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.endpoint()),
        0,
    );
    let r = report(&out);
    for c in r
        .checks
        .iter()
        .filter(|c| c.id.starts_with("client.") || c.id.starts_with("pool."))
    {
        assert_eq!(c.status, CheckStatus::Ok, "{c:#?}");
    }
    imds.assert_not_contacted();
}

/// Input that cannot be a refresh token is reported, and nothing is sent: exit 2, as refresh.
#[tokio::test]
async fn what_cannot_be_a_refresh_token_is_reported_without_sending() {
    let server = refreshing(tokens(None)).await;
    let access = session_access_token(json!({}));
    for (given, says) in [
        (access.clone(), "an access token"),
        (format!("Bearer {RT}"), "\"Bearer \""),
    ] {
        let out = run_failing(
            json_report(&mut diagnose(&server)).env("COGNITO_REFRESH_TOKEN", &given),
            2,
            &[&given, RT, &access],
        );
        let r = report(&out);
        let shape = r.assert_status("refresh-token", CheckStatus::Problem);
        assert!(shape.summary.contains(says), "{shape:#?}");
        let refresh = r.assert_status("refresh", CheckStatus::Problem);
        assert!(refresh.summary.starts_with("not sent: "), "{refresh:#?}");
        assert!(
            refresh.fix.as_deref().unwrap().contains("refresh-token"),
            "{refresh:#?}"
        );
        r.assert_status("pool.devices", CheckStatus::Skipped);
    }
    assert!(requests(&server).await.is_empty());
}

#[test]
fn no_region_is_reported_with_exit_2() {
    let out = run_failing(
        bin()
            .args(["diagnose", "-o", "json", "--client-id", CLIENT])
            .env("COGNITO_REFRESH_TOKEN", RT),
        2,
        &[RT],
    );
    let r = report(&out);
    let refresh = r.assert_status("refresh", CheckStatus::Problem);
    assert!(refresh.summary.contains("no region"), "{refresh:#?}");
    assert!(r.error.as_deref().unwrap().contains("no region"));
}

/// The JSON report gives each check that sent a request the request id of its answer, and
/// none to a check that sent nothing, or whose answer carried none.
#[tokio::test]
async fn json_report_gives_the_request_id_of_each_answer() {
    let id = Some(wire::REQUEST_ID);
    let server = refreshing(invalid_refresh_token()).await;
    let out = run_failing(json_report(&mut diagnose(&server)), 3, &[RT]);
    let r = report(&out);
    assert_eq!(r.check("refresh").request_id.as_deref(), id, "{r:#?}");
    let attempts: Vec<_> = r
        .checks
        .iter()
        .filter(|c| c.id.starts_with("attempt."))
        .collect();
    assert!(!attempts.is_empty(), "{r:#?}");
    for c in attempts.iter().chain([&r.check("client-id")]) {
        let expected = c.id.starts_with("attempt.").then_some(wire::REQUEST_ID);
        assert_eq!(c.request_id.as_deref(), expected, "{c:#?}");
    }

    let server = refreshing(tokens(None)).await;
    let r = report(&run(json_report(&mut diagnose(&server)), 0));
    assert_eq!(r.check("refresh").request_id.as_deref(), id, "{r:#?}");

    // An answer without the header: no id is made up.
    let server = wire::answering(ResponseTemplate::new(503).set_body_string("busy")).await;
    let r = report(&run_failing(json_report(&mut diagnose(&server)), 5, &[RT]));
    assert_eq!(r.check("refresh").request_id, None, "{r:#?}");
}
