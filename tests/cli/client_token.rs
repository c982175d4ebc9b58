//! `client-token`: an app client's own access token (machine to machine), against a stub in
//! Cognito's wire format, as neither moto nor cognito-local issues client-credentials tokens:
//! the token endpoint's client_credentials grant and the GetClientToken API, a profile that
//! keeps the token for `token` and `exec`, one request for many concurrent callers, refusals
//! and retries, and the secret in no output.

use crate::support::wire::{self, CLIENT, M2M_SCOPES};
use crate::util::*;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use std::collections::HashMap;
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockBuilder, MockServer, Request, ResponseTemplate};

const SECRET: &str = "m2m-client-secret-value";

/// `client-token --output json`, the contract: unknown fields fail the test.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonClientToken {
    access_token: String,
    token_type: String,
    expires_in: i64,
    expires_at: String,
    scope: Option<String>,
}

fn token_endpoint() -> MockBuilder {
    Mock::given(method("POST")).and(path("/oauth2/token"))
}

/// A token endpoint that issues a token valid `valid_for` seconds, after `delay`.
async fn issuing(valid_for: i64, delay: Duration) -> MockServer {
    let server = MockServer::start().await;
    token_endpoint()
        .respond_with(
            wire::client_credentials_answer(&wire::client_access_token(valid_for)).set_delay(delay),
        )
        .mount(&server)
        .await;
    server
}

fn form(req: &Request) -> HashMap<String, String> {
    url::form_urlencoded::parse(&req.body)
        .into_owned()
        .collect()
}

/// `client-token` for the stubs' app client at `domain`'s token endpoint, the secret in the
/// environment.
fn at_domain(cmd: &mut assert_cmd::Command, domain: &str) {
    cmd.args(["client-token", "--client-id", CLIENT, "--domain", domain])
        .env("COGNITO_CLIENT_SECRET", SECRET);
}

/// `client-token --api get-client-token` for the stubs' app client at the stub `endpoint`.
fn through_api(cmd: &mut assert_cmd::Command, endpoint: &str) {
    cmd.args([
        "client-token",
        "--api",
        "get-client-token",
        "--client-id",
        CLIENT,
    ])
    .args(["--region", "eu-west-1", "--endpoint-url", endpoint])
    .env("COGNITO_CLIENT_SECRET", SECRET);
}

#[tokio::test]
async fn the_token_endpoint_issues_a_token_for_the_scopes_asked() {
    let server = issuing(3600, Duration::ZERO).await;
    let mut cmd = bin();
    at_domain(&mut cmd, &server.uri());
    cmd.args(["-v", "--scope", "orders/read", "--scope", "orders/write"]);
    let out = run(&mut cmd, 0);
    assert_no_secrets(&out, &[SECRET]);
    let token: JsonClientToken = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(claims(&token.access_token)["client_id"], CLIENT);
    assert_eq!(token.token_type, "Bearer");
    assert_eq!(token.expires_in, 3600);
    assert!(token.expires_at.ends_with('Z'), "{}", token.expires_at);
    // The answer names no scope: the granted ones are the access token's claim.
    assert_eq!(token.scope.as_deref(), Some(M2M_SCOPES));
    assert_stderr_contains(&out, "asking the token endpoint");

    let requests = wire::requests(&server).await;
    assert_eq!(requests.len(), 1);
    let form = form(&requests[0]);
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["scope"], "orders/read orders/write");
    assert!(!form.values().any(|v| v.contains(SECRET)), "{form:?}");
    let basic = format!("Basic {}", STANDARD.encode(format!("{CLIENT}:{SECRET}")));
    assert_eq!(requests[0].headers["authorization"], basic.as_str());
}

#[tokio::test]
async fn get_client_token_is_called_unsigned_with_the_secret() {
    let server = MockServer::start().await;
    let access = wire::client_access_token(3600);
    wire::mount(
        &server,
        "GetClientToken",
        wire::client_token_result(&access),
    )
    .await;
    let mut cmd = bin();
    through_api(&mut cmd, &server.uri());
    cmd.args(["--scope", "orders/read orders/write", "--output", "env"]);
    let out = run(&mut cmd, 0);
    assert_no_secrets(&out, &[SECRET]);
    let printed = stdout(&out);
    assert!(
        printed.starts_with(&format!("export COGNITO_ACCESS_TOKEN='{access}'\n")),
        "{printed}"
    );
    assert!(
        printed.contains("export COGNITO_TOKEN_EXPIRES_AT='"),
        "{printed}"
    );

    let requests = wire::requests(&server).await;
    assert_eq!(wire::operations(&requests), ["GetClientToken"]);
    let body = wire::body(&requests[0]);
    assert_eq!(body["ClientId"], CLIENT);
    assert_eq!(body["Secret"], SECRET);
    assert_eq!(
        body["Scopes"],
        serde_json::json!(["orders/read", "orders/write"])
    );
    // Cognito evaluates no IAM policy for it: no AWS credentials are looked for or sent.
    assert!(!requests[0].headers.contains_key("authorization"));
}

#[tokio::test]
async fn a_profile_keeps_the_token_for_token_and_exec_until_it_nears_expiry() {
    let server = issuing(3600, Duration::ZERO).await;
    let p = Profiles::new();
    let mut cmd = p.cmd();
    at_domain(&mut cmd, &server.uri());
    cmd.args([
        "--profile",
        "m2m",
        "--scope",
        "orders/read",
        "-o",
        "access-token",
    ]);
    let out = run(&mut cmd, 0);
    let issued = stdout(&out).trim_end().to_string();
    assert_stderr_contains(&out, "created profile m2m");

    // The profile says how to ask again; the store holds the token and no refresh token.
    let config = std::fs::read_to_string(p.config()).unwrap();
    assert!(
        config.contains("grant = \"client_credentials\""),
        "{config}"
    );
    assert!(config.contains("scopes = [\"orders/read\"]"), "{config}");
    assert!(
        config.contains("client_secret_env = \"COGNITO_CLIENT_SECRET\""),
        "{config}"
    );
    assert!(!config.contains(SECRET));
    let entry = p.entry("m2m");
    assert_eq!(entry["access_token"], issued.as_str());
    assert!(entry.get("refresh_token").is_none(), "{entry}");
    assert_eq!(
        entry["client_credentials"]["scopes"],
        serde_json::json!(["orders/read"])
    );
    assert_eq!(mode(&p.store_file("m2m")), 0o600);

    // Served from the store: no request, and -v says so.
    let out = run(
        p.cmd()
            .args(["-v", "token", "--profile", "m2m"])
            .env("COGNITO_CLIENT_SECRET", SECRET),
        0,
    );
    assert_eq!(stdout(&out).trim_end(), issued);
    assert_stderr_contains(&out, "no request made");
    assert_no_secrets(&out, &[SECRET]);
    let out = run(
        p.cmd()
            .args(["exec", "--profile", "m2m", "--", "sh", "-c"])
            .arg("printf '%s %s' \"$COGNITO_ACCESS_TOKEN\" \"${COGNITO_CLIENT_SECRET:-unset}\"")
            .env("COGNITO_CLIENT_SECRET", SECRET),
        0,
    );
    assert_eq!(stdout(&out), format!("{issued} unset"));
    assert_eq!(wire::requests(&server).await.len(), 1);

    // Within --min-ttl of expiry: one new request, and -v says it was made.
    let out = run(
        p.cmd()
            .args(["-v", "token", "--profile", "m2m", "--min-ttl", "2h"])
            .env("COGNITO_CLIENT_SECRET", SECRET),
        0,
    );
    assert_stderr_contains(&out, "asking the token endpoint");
    assert_no_secrets(&out, &[SECRET]);
    assert_eq!(wire::requests(&server).await.len(), 2);
    assert_eq!(
        form(&wire::requests(&server).await[1])["scope"],
        "orders/read"
    );

    // Other scopes than the profile's: asked for, stored, and a warning that `token` goes
    // back to the profile's.
    let mut cmd = p.cmd();
    at_domain(&mut cmd, &server.uri());
    let out = run(
        cmd.args(["-v", "--profile", "m2m", "--scope", "orders/write"]),
        0,
    );
    assert_stderr_contains(&out, "tokens asked for and stored");
    assert_stderr_contains(&out, "will ask for those again");
    assert_eq!(
        form(&wire::requests(&server).await[2])["scope"],
        "orders/write"
    );

    // An app client's token has no ID token.
    run_failing(
        p.cmd()
            .args(["token", "--profile", "m2m", "--id"])
            .env("COGNITO_CLIENT_SECRET", SECRET),
        2,
        &[SECRET],
    );
}

#[tokio::test]
async fn a_profile_without_a_domain_uses_get_client_token() {
    let server = MockServer::start().await;
    let access = wire::client_access_token(3600);
    wire::mount(
        &server,
        "GetClientToken",
        wire::client_token_result(&access),
    )
    .await;
    let p = Profiles::new();
    let mut cmd = p.cmd();
    through_api(&mut cmd, &server.uri());
    run(cmd.args(["--profile", "api"]), 0);
    let config = std::fs::read_to_string(p.config()).unwrap();
    assert!(!config.contains("domain"), "{config}");
    let out = run(
        p.cmd()
            .args(["token", "--profile", "api", "--force"])
            .env("COGNITO_CLIENT_SECRET", SECRET),
        0,
    );
    assert_eq!(stdout(&out).trim_end(), access);
    assert_eq!(
        wire::operations(&wire::requests(&server).await),
        ["GetClientToken", "GetClientToken"]
    );
}

#[tokio::test]
async fn concurrent_token_calls_on_an_expired_client_token_make_one_request() {
    // A slow answer keeps the first process inside its request while the others start.
    let server = issuing(3600, Duration::from_millis(400)).await;
    let p = Profiles::new();
    p.write_config(&format!(
        "[profiles.m2m]\nclient_id = \"{CLIENT}\"\ndomain = \"{}\"\ngrant = \"client_credentials\"\n\
         scopes = [\"orders/read\"]\nclient_secret_env = \"M2M_SECRET\"\n",
        server.uri()
    ));
    let outputs: Vec<std::process::Output> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..16)
            .map(|_| {
                scope.spawn(|| {
                    p.cmd()
                        .args(["token", "--profile", "m2m"])
                        .env("M2M_SECRET", SECRET)
                        .output()
                        .expect("the binary runs")
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for out in &outputs {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
        assert_no_secrets(out, &[SECRET]);
    }
    assert_eq!(
        wire::requests(&server).await.len(),
        1,
        "exactly one request for 16 processes"
    );
    let first = stdout(&outputs[0]);
    assert!(outputs.iter().all(|o| stdout(o) == first));
    assert_eq!(p.entry("m2m")["access_token"], first.trim_end());
}

/// Each refusal of the token endpoint and of GetClientToken: its exit code, a hint, and the
/// secret nowhere, quiet or with -v.
#[tokio::test]
async fn refusals_exit_with_their_codes_and_hints() {
    let endpoint_cases = [
        (
            wire::token_endpoint_error(401, "invalid_client"),
            4,
            "the client secret",
        ),
        (
            wire::token_endpoint_error(400, "unauthorized_client"),
            4,
            "client_credentials OAuth flow",
        ),
        (
            wire::token_endpoint_error(400, "invalid_scope"),
            4,
            "the scopes asked for: shop/none",
        ),
    ];
    for (answer, code, hint) in endpoint_cases {
        let server = wire::answering(answer).await;
        for verbose in [false, true] {
            let mut cmd = bin();
            at_domain(&mut cmd, &server.uri());
            cmd.args(["--scope", "shop/none"]);
            if verbose {
                cmd.arg("-v");
            }
            let out = run_failing(&mut cmd, code, &[SECRET]);
            assert_stderr_contains(&out, hint);
        }
    }
    let api_cases = [
        (
            wire::error("NotAuthorizedException", "Client secret is not valid."),
            4,
            "its secret",
        ),
        (
            wire::error(
                "InvalidParameterException",
                "Invalid scope requested: shop/none",
            ),
            4,
            "the scopes asked for: shop/none",
        ),
        (
            wire::error(
                "ResourceNotFoundException",
                "User pool client does not exist.",
            ),
            4,
            "--client-id",
        ),
    ];
    for (answer, code, hint) in api_cases {
        let server = wire::answering(answer).await;
        let mut cmd = bin();
        through_api(&mut cmd, &server.uri());
        let out = run_failing(cmd.args(["-v", "--scope", "shop/none"]), code, &[SECRET]);
        assert_stderr_contains(&out, hint);
    }
}

/// A server that echoes the secret it was sent: the secret appears in no output.
#[tokio::test]
async fn an_echoed_secret_is_scrubbed() {
    let echo = wire::EchoError(|body| body["Secret"].as_str().unwrap_or("").to_string());
    let server = wire::answering(echo).await;
    let mut cmd = bin();
    through_api(&mut cmd, &server.uri());
    let out = run_failing(cmd.arg("-v"), 1, &[SECRET]);
    assert_stderr_contains(&out, "(redacted)");
}

/// Throttling and server errors are retried (three attempts in all), then exit 5.
#[tokio::test]
async fn throttling_and_server_errors_are_retried_then_transient() {
    for answer in [
        wire::token_endpoint_error(429, "slow_down"),
        ResponseTemplate::new(503),
    ] {
        let server = wire::answering(answer).await;
        let mut cmd = bin();
        at_domain(&mut cmd, &server.uri());
        run_failing(&mut cmd, 5, &[SECRET]);
        assert_eq!(wire::requests(&server).await.len(), 3);
    }
    for answer in [
        wire::error("TooManyRequestsException", "Rate exceeded"),
        wire::error_status(500, "InternalErrorException", "Internal error"),
    ] {
        let server = wire::answering(answer).await;
        let mut cmd = bin();
        through_api(&mut cmd, &server.uri());
        run_failing(&mut cmd, 5, &[SECRET]);
        assert_eq!(wire::requests(&server).await.len(), 3);
    }
}

#[tokio::test]
async fn what_is_missing_is_a_usage_error_before_any_request() {
    let server = issuing(3600, Duration::ZERO).await;
    // No secret.
    let out = run_failing(
        bin().args([
            "client-token",
            "--client-id",
            CLIENT,
            "--domain",
            &server.uri(),
        ]),
        2,
        &[],
    );
    assert_stderr_contains(&out, "--client-secret-file");
    // Neither a domain nor the API.
    let out = run_failing(
        bin()
            .args(["client-token", "--client-id", CLIENT])
            .env("COGNITO_CLIENT_SECRET", SECRET),
        2,
        &[SECRET],
    );
    assert_stderr_contains(&out, "--domain");
    // A profile that holds a user's session is not replaced.
    let p = Profiles::new();
    p.store_expired(&server.uri(), wire::REFRESH_TOKEN);
    let before = std::fs::read(p.store_file("ci")).unwrap();
    let mut cmd = p.cmd();
    at_domain(&mut cmd, &server.uri());
    run_failing(
        cmd.args(["--profile", "ci"]),
        2,
        &[SECRET, wire::REFRESH_TOKEN],
    );
    assert_eq!(std::fs::read(p.store_file("ci")).unwrap(), before);
    assert!(wire::requests(&server).await.is_empty());
}

#[tokio::test]
async fn a_client_credentials_profile_is_listed_refused_by_user_commands_and_logged_out() {
    let server = issuing(3600, Duration::ZERO).await;
    let p = Profiles::new();
    let mut cmd = p.cmd();
    at_domain(&mut cmd, &server.uri());
    run(cmd.args(["--profile", "m2m"]), 0);

    let out = run(p.cmd().args(["profiles", "--json"]), 0);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["name"], "m2m");
    assert_eq!(rows[0]["valid"], true);
    assert_eq!(rows[0]["refresh_token"], false);
    assert_eq!(rows[0]["rotation"], "n/a");

    // It has no user and no refresh token: the commands of a user's session do not apply.
    for args in [
        &["refresh", "--profile", "m2m"][..],
        &[
            "store",
            "--profile",
            "m2m",
            "--refresh-token-file",
            "/dev/null",
        ],
        &["login", "--profile", "m2m", "--username", "alice"],
        &["login", "--profile", "m2m", "--flow", "browser"],
        &["aws-credentials", "--profile", "m2m"],
        // Refused before anything is asked for, even with --force.
        &[
            "exec",
            "--profile",
            "m2m",
            "--force",
            "--aws-credentials",
            "--",
            "true",
        ],
    ] {
        let out = run_failing(
            p.cmd().args(args).env("COGNITO_CLIENT_SECRET", SECRET),
            2,
            &[SECRET],
        );
        assert_stderr_contains(&out, "client-token --profile m2m");
    }
    // logout drops the stored token, with nothing to revoke and no request.
    run(p.cmd().args(["logout", "--profile", "m2m"]), 0);
    assert!(!p.store_file("m2m").exists());
    assert_eq!(wire::requests(&server).await.len(), 1);
}
