//! `login --flow browser` against a stub of the user pool domain, for what cognito-local does
//! not check: the PKCE verifier against the challenge, the client secret as HTTP Basic,
//! Cognito's own redirect_mismatch page; and the command line's refusals.

use crate::login_browser::{login_at, redirect_uri};
use crate::support::browser::{Running, http, query};
use crate::support::{jwt, wire::CLIENT};
use crate::util::*;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "s3cr3t-client-secret";

/// A user pool domain whose authorize endpoint sends the browser on to `location`, and whose
/// token endpoint issues tokens.
async fn domain(location: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/oauth2/authorize"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", location))
        .mount(&server)
        .await;
    let tokens = json!({
        "access_token": jwt::access_token(json!({})), "id_token": jwt::id_token(),
        "refresh_token": "the-new-refresh-token", "token_type": "Bearer", "expires_in": 3600,
    });
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(tokens))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn the_code_exchange_proves_the_pkce_verifier_and_sends_the_secret_as_basic() {
    let server = domain("/login?client_id=4f1example").await;
    let profiles = Profiles::new();
    // A profile that refreshed through InitiateAuth: the browser's session needs the domain.
    profiles.write_config(&format!(
        "# my profiles\n[profiles.web]\nclient_id = \"{CLIENT}\"\napi = \"initiate-auth\"\n"
    ));
    let redirect = redirect_uri();
    let mut cmd = login_at(
        &profiles,
        CLIENT,
        &server.uri(),
        &redirect,
        &["--profile", "web", "--no-browser"],
    );
    cmd.env("COGNITO_CLIENT_SECRET", SECRET);
    let running = Running::start(cmd);
    let url = running.authorize_url();
    let state = query(&url, "state").unwrap();
    let page = http(
        "GET",
        &format!("{redirect}?code=the-code&state={state}"),
        None,
        None,
    );
    assert_eq!(page.status, 200, "{}", page.body);
    let (status, _, err) = running.finish(Duration::from_secs(30));
    assert!(status.success(), "{err}");
    assert!(!err.contains(SECRET), "{err}");
    assert!(err.contains("profile web now refreshes at"), "{err}");

    let requests = server.received_requests().await.unwrap();
    let exchange = requests
        .iter()
        .find(|r| r.url.path() == "/oauth2/token")
        .expect("the code was exchanged");
    let form: HashMap<String, String> = url::form_urlencoded::parse(&exchange.body)
        .into_owned()
        .collect();
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["code"], "the-code");
    assert_eq!(form["redirect_uri"], redirect);
    assert_eq!(form["client_id"], CLIENT);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(form["code_verifier"].as_bytes()));
    assert_eq!(query(&url, "code_challenge").unwrap(), challenge);
    let basic = format!("Basic {}", STANDARD.encode(format!("{CLIENT}:{SECRET}")));
    assert_eq!(exchange.headers.get("authorization").unwrap(), &basic);

    let config = std::fs::read_to_string(profiles.config()).unwrap();
    assert!(config.starts_with("# my profiles\n"), "{config}");
    assert!(config.contains("api = \"oauth2\""), "{config}");
    assert!(
        config.contains(&format!("domain = \"{}\"", server.uri())),
        "{config}"
    );
    assert_eq!(
        profiles.entry("web")["refresh_token"],
        "the-new-refresh-token"
    );
}

#[tokio::test]
async fn without_a_profile_print_only_prints_the_tokens() {
    let server = domain("/login").await;
    let profiles = Profiles::new();
    let redirect = redirect_uri();
    // No profile; no display and no BROWSER: the address is printed, nothing is opened.
    let cmd = login_at(&profiles, CLIENT, &server.uri(), &redirect, &["--print"]);
    let running = Running::start(cmd);
    let url = running.authorize_url();
    assert!(
        running
            .stderr()
            .contains("to sign in, open this address in a browser:")
    );
    let state = query(&url, "state").unwrap();
    let page = http(
        "GET",
        &format!("{redirect}?code=c0de&state={state}"),
        None,
        None,
    );
    assert!(page.body.contains("Signed in as alice."), "{}", page.body);
    let (status, out, err) = running.finish(Duration::from_secs(30));
    assert!(status.success(), "{err}");
    let tokens: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(tokens["refresh_token"], "the-new-refresh-token");
    assert!(!profiles.config().exists() && !profiles.store().exists());
}

#[tokio::test]
async fn cognitos_redirect_mismatch_page_is_a_misconfigured_client() {
    let server = domain("/error?error=redirect_mismatch&client_id=4f1example").await;
    let profiles = Profiles::new();
    let redirect = redirect_uri();
    let out = login_at(
        &profiles,
        CLIENT,
        &server.uri(),
        &redirect,
        &["--profile", "web", "--no-browser"],
    )
    .output()
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains(&format!("does not allow the redirect URI {redirect}")),
        "{err}"
    );
    assert!(err.contains("redirect_mismatch"), "{err}");
}

#[test]
fn options_of_the_other_flows_and_bad_redirect_uris_are_usage_errors() {
    let cases: [(&[&str], &str); 6] = [
        (&["--flow", "browser", "--print"], "pass --domain"),
        (
            &[
                "--flow",
                "browser",
                "--print",
                "--domain",
                "https://a.example",
                "--username",
                "x",
            ],
            "--username is not used here",
        ),
        (
            &[
                "--flow",
                "browser",
                "--print",
                "--domain",
                "https://a.example",
                "--remember-device",
            ],
            "--remember-device is not used here",
        ),
        (
            &["--print", "--username", "x", "--scope", "openid"],
            "--scope is not used here",
        ),
        (
            &[
                "--flow",
                "browser",
                "--print",
                "--domain",
                "https://a.example",
                "--redirect-uri",
                "https://localhost:8976/callback",
            ],
            "invalid redirect URI",
        ),
        (
            &[
                "--flow",
                "browser",
                "--print",
                "--domain",
                "https://a.example",
                "--redirect-uri",
                "http://example.com:8976/callback",
            ],
            "its host is not this machine",
        ),
    ];
    for (args, said) in cases {
        let out = run_failing(
            bin().args(["login", "--client-id", CLIENT]).args(args),
            2,
            &[],
        );
        assert_stderr_contains(&out, said);
    }
}
