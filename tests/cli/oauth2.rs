//! `refresh --api oauth2`: the user pool domain's token endpoint, against an HTTP stub (HTTP
//! Basic, the error codes, rotation, server errors) and against cognito-local (a real
//! implementation of the endpoint's grant_type=refresh_token).

use crate::support::cognito_local;
use crate::support::cognito_local::{CognitoLocal, LocalSession};
use crate::support::jwt;
use crate::support::wire::{CLIENT, REFRESH_TOKEN as RT};
use crate::util::*;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use std::collections::HashMap;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockBuilder, MockServer, Request, ResponseTemplate};

const SECRET: &str = "s3cr3t-client-secret";

/// A mock of the domain's token endpoint.
fn token_endpoint() -> MockBuilder {
    Mock::given(method("POST")).and(path("/oauth2/token"))
}

fn answer(rotated: Option<&str>) -> ResponseTemplate {
    let mut body = json!({
        "access_token": jwt::access_token(json!({})),
        "id_token": jwt::id_token(),
        "token_type": "Bearer",
        "expires_in": 3600,
    });
    if let Some(rt) = rotated {
        body["refresh_token"] = json!(rt);
    }
    ResponseTemplate::new(200).set_body_raw(body.to_string(), "application/json;charset=UTF-8")
}

/// A token endpoint that expects one refresh, and rotates the refresh token to `new`.
async fn rotating_once(new: &str) -> MockServer {
    let server = MockServer::start().await;
    token_endpoint()
        .respond_with(answer(Some(new)))
        .expect(1)
        .mount(&server)
        .await;
    server
}

fn oauth_error(status: u16, error: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        json!({"error": error}).to_string(),
        "application/json;charset=UTF-8",
    )
}

fn refresh(domain: &str) -> assert_cmd::Command {
    let mut cmd = bin();
    cmd.args(["refresh", "--api", "oauth2", "--client-id", CLIENT])
        .args(["--domain", domain])
        .env("COGNITO_REFRESH_TOKEN", RT);
    cmd
}

/// `refresh --api oauth2` at cognito-local's token endpoint, for this session.
fn refresh_at(local: &CognitoLocal, session: &LocalSession) -> assert_cmd::Command {
    let mut cmd = bin();
    cmd.args([
        "refresh",
        "--api",
        "oauth2",
        "--client-id",
        &session.client_id,
    ])
    .args(["--domain", &local.endpoint])
    .env("COGNITO_REFRESH_TOKEN", &session.refresh_token);
    cmd
}

fn form(req: &Request) -> HashMap<String, String> {
    url::form_urlencoded::parse(&req.body)
        .into_owned()
        .collect()
}

#[tokio::test]
async fn sends_the_secret_as_http_basic_and_returns_the_rotated_token() {
    let server = rotating_once("rotated-refresh-token-2").await;
    let out = run(
        refresh(&server.uri()).env("COGNITO_CLIENT_SECRET", SECRET),
        0,
    );
    let t = json_tokens(&out);
    assert_eq!(t.refresh_token.as_deref(), Some("rotated-refresh-token-2"));
    assert_eq!(t.access_token, jwt::access_token(json!({})));
    assert_eq!(t.expires_in, 3600);
    assert!(t.id_token.is_some());

    let reqs = server.received_requests().await.unwrap();
    let req = &reqs[0];
    let basic = format!("Basic {}", STANDARD.encode(format!("{CLIENT}:{SECRET}")));
    assert_eq!(
        req.headers.get("authorization").unwrap().to_str().unwrap(),
        basic
    );
    assert_eq!(
        req.headers.get("content-type").unwrap().to_str().unwrap(),
        "application/x-www-form-urlencoded"
    );
    let f = form(req);
    assert_eq!(f["grant_type"], "refresh_token");
    assert_eq!(f["refresh_token"], RT);
    assert_eq!(f["client_id"], CLIENT);
    // The secret travels only in the header.
    assert!(!f.contains_key("client_secret"));
    assert_no_secrets(&out, &[SECRET]);
}

#[tokio::test]
async fn a_public_client_sends_its_id_in_the_form_and_no_authorization() {
    let server = MockServer::start().await;
    token_endpoint()
        .respond_with(answer(None))
        .mount(&server)
        .await;
    // A bare domain with a path prefix: /oauth2/token is appended to it.
    let out = run(&mut refresh(&format!("{}/", server.uri())), 0);
    assert_eq!(json_tokens(&out).refresh_token, None);
    let reqs = server.received_requests().await.unwrap();
    assert!(reqs[0].headers.get("authorization").is_none());
    assert_eq!(form(&reqs[0])["client_id"], CLIENT);
}

#[tokio::test]
async fn invalid_grant_exits_3_and_invalid_client_exits_4() {
    for (error, code, hint) in [
        ("invalid_grant", 3, "sign in again"),
        ("invalid_client", 4, "HTTP Basic"),
        ("unauthorized_client", 4, "OAuth settings"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(oauth_error(400, error))
            .expect(1)
            .mount(&server)
            .await;
        let out = run_failing(
            refresh(&server.uri()).env("COGNITO_CLIENT_SECRET", SECRET),
            code,
            &[RT, SECRET],
        );
        let err = stderr(&out);
        assert!(err.contains(error), "{err}");
        assert!(err.contains(hint), "{error}: {err}");
    }
}

#[tokio::test]
async fn server_errors_are_retried_then_exit_5() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("<html>busy</html>"))
        .expect(3)
        .mount(&server)
        .await;
    let out = run_failing(&mut refresh(&server.uri()), 5, &[RT]);
    assert_stderr_contains(&out, "HTTP 503");
}

#[tokio::test]
async fn a_wrong_domain_exits_4_and_a_body_is_never_quoted() {
    let server = MockServer::start().await;
    // An answer that is not the endpoint's: a page that happens to echo the token.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(404).set_body_string(format!("no route {RT}")))
        .mount(&server)
        .await;
    let out = run_failing(&mut refresh(&server.uri()), 4, &[RT]);
    assert_stderr_contains(&out, "--domain");
}

#[test]
fn the_domain_is_required_and_checked() {
    let out = run_failing(
        bin()
            .args(["refresh", "--api", "oauth2", "--client-id", CLIENT])
            .env("COGNITO_REFRESH_TOKEN", RT),
        2,
        &[RT],
    );
    assert_stderr_contains(&out, "--domain");
    // Plain http only to loopback: the request carries the refresh token.
    let out = run_failing(&mut refresh("http://auth.example.com"), 2, &[RT]);
    assert_stderr_contains(&out, "http://");
}

#[tokio::test]
async fn refreshes_at_cognito_local_and_a_revoked_token_exits_3() {
    let local = cognito_local();
    let session = local.session().await;
    let out = run(&mut refresh_at(local, &session), 0);
    let t = json_tokens(&out);
    let claims = claims(&t.access_token);
    assert_eq!(claims["client_id"], session.client_id.as_str());
    assert!(t.id_token.is_some());
    assert!(t.expires_in > 0);

    // Revoked at the emulator: the endpoint answers invalid_grant.
    local.revoke(&session).await;
    let out = run_failing(
        &mut refresh_at(local, &session),
        3,
        &[&session.refresh_token],
    );
    assert_stderr_contains(&out, "invalid_grant");
}

#[tokio::test]
async fn a_profile_with_api_oauth2_stores_the_rotated_refresh_token() {
    let server = rotating_once("rotated-refresh-token-3").await;
    let p = Profiles::new();
    p.write_config(&format!(
        "[profiles.hosted]\nclient_id = \"{CLIENT}\"\napi = \"oauth2\"\ndomain = \"{}\"\n",
        server.uri()
    ));
    run(
        p.cmd()
            .args(["store", "--profile", "hosted"])
            .env("COGNITO_REFRESH_TOKEN", RT),
        0,
    );
    let out = run(p.cmd().args(["token", "--profile", "hosted"]), 0);
    assert_eq!(stdout(&out).trim(), jwt::access_token(json!({})));
    let entry = p.entry("hosted");
    assert_eq!(entry["refresh_token"], "rotated-refresh-token-3");
    assert_eq!(entry["rotation"], true);
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(form(&reqs[0])["refresh_token"], RT);
}

/// The token endpoint's answers carry a request id too: `-v` names it, a server error's hint
/// gives it for AWS Support, and an answer without one gets none made up.
#[tokio::test]
async fn the_token_endpoints_request_id_is_named() {
    use crate::support::wire::{self, REQUEST_ID};
    let verbose_line = format!("cognito-refresh: the answer's request id: {REQUEST_ID}");
    let support = format!("hint: if this persists, give AWS Support the request id {REQUEST_ID}");
    let lines = |out: &std::process::Output| -> Vec<String> {
        stderr(out).lines().map(str::to_string).collect()
    };

    let server = MockServer::start().await;
    token_endpoint()
        .respond_with(wire::request_id(answer(None)))
        .mount(&server)
        .await;
    let out = run(refresh(&server.uri()).arg("-v"), 0);
    assert!(lines(&out).contains(&verbose_line), "{}", stderr(&out));

    let server = MockServer::start().await;
    token_endpoint()
        .respond_with(wire::request_id(oauth_error(400, "invalid_grant")))
        .mount(&server)
        .await;
    let out = run_failing(refresh(&server.uri()).arg("-v"), 3, &[RT]);
    assert!(lines(&out).contains(&verbose_line), "{}", stderr(&out));
    assert!(!lines(&out).contains(&support), "{}", stderr(&out));

    let busy = || ResponseTemplate::new(503).set_body_string("<html>busy</html>");
    let server = MockServer::start().await;
    token_endpoint()
        .respond_with(wire::request_id(busy()))
        .expect(3)
        .mount(&server)
        .await;
    let out = run_failing(&mut refresh(&server.uri()), 5, &[RT]);
    assert!(lines(&out).contains(&support), "{}", stderr(&out));

    let server = MockServer::start().await;
    token_endpoint().respond_with(busy()).mount(&server).await;
    let out = run_failing(refresh(&server.uri()).arg("-v"), 5, &[RT]);
    assert!(!stderr(&out).contains("request id"), "{}", stderr(&out));
}
