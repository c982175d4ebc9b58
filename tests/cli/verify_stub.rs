//! `verify` against a stub user pool whose keys the test holds: what moto cannot issue (an
//! expired token, a rotated signing key), the key cache, and keys that cannot be fetched.

use crate::support::jwks::{KeyServer, Signer};
use crate::support::wire::{CLIENT, POOL, REFRESH_TOKEN};
use crate::util::*;
use crate::verify_moto::verdict;
use assert_cmd::Command;
use serde_json::json;
use tempfile::TempDir;

/// `verify -o json` of `token` for the stub pool and app client, keys at `endpoint`, cached
/// in `cache`.
fn verify(endpoint: &str, cache: &TempDir, token: &str) -> Command {
    let mut cmd = bin();
    cmd.env("XDG_CACHE_HOME", cache.path())
        .args(["verify", "-o", "json", "--endpoint-url", endpoint])
        .args(["--user-pool-id", POOL, "--client-id", CLIENT])
        .write_stdin(token.to_string());
    cmd
}

#[tokio::test]
async fn an_expired_token_fails_the_expiry() {
    let key = Signer::new("k1");
    let keys = KeyServer::start(&[&key]).await;
    let cache = tempfile::tempdir().unwrap();
    // Issued two hours ago, valid for one.
    let token = key.access_token(7200, 3600, json!({}));
    let out = run_failing(&mut verify(&keys.uri(), &cache, &token), 3, &[&token]);
    let v = verdict(&out);
    assert_eq!(v.failed(), ["expiry"], "{v:?}");
    assert!(v.check("expiry").summary.contains("expired at"), "{v:?}");
    // Within the leeway it still passes.
    let token = key.access_token(3630, 3600, json!({}));
    let v = verdict(&run(&mut verify(&keys.uri(), &cache, &token), 0));
    assert!(v.valid, "{v:?}");
}

#[tokio::test]
async fn a_resource_servers_scope_is_checked_one_by_one() {
    let key = Signer::new("k1");
    let keys = KeyServer::start(&[&key]).await;
    let cache = tempfile::tempdir().unwrap();
    // As the hosted UI issues them: the scopes asked for, space-separated.
    let token = key.access_token(0, 3600, json!({"scope": "openid orders/read"}));
    let mut cmd = verify(&keys.uri(), &cache, &token);
    let v = verdict(&run(cmd.args(["--scope", "orders/read openid"]), 0));
    assert_eq!(v.check("scope").status, "ok", "{v:?}");
    let mut cmd = verify(&keys.uri(), &cache, &token);
    let out = run_failing(
        cmd.args(["--scope", "orders/read", "--scope", "orders/write"]),
        3,
        &[&token],
    );
    let v = verdict(&out);
    assert_eq!(v.failed(), ["scope"], "{v:?}");
    let summary = &v.check("scope").summary;
    assert!(summary.contains("missing orders/write"), "{summary}");
    assert!(
        summary.contains("the token has: openid orders/read"),
        "{summary}"
    );
}

#[tokio::test]
async fn keys_are_cached_privately_and_an_unknown_kid_fetches_them_once_more() {
    let k1 = Signer::new("k1");
    let keys = KeyServer::start(&[&k1]).await;
    let cache = tempfile::tempdir().unwrap();
    let token = k1.access_token(0, 3600, json!({}));
    run(&mut verify(&keys.uri(), &cache, &token), 0);
    assert_eq!(keys.fetches().await, 1);
    // From the cache: no fetch.
    run(&mut verify(&keys.uri(), &cache, &token), 0);
    assert_eq!(keys.fetches().await, 1);
    let dir = cache.path().join("cognito-refresh/jwks");
    assert_eq!(mode(&dir), 0o700);
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    assert_eq!(files.len(), 1);
    assert_eq!(mode(&files[0].path()), 0o600);

    // The pool rotates its keys: a token of the new key fetches them once more, and passes.
    let k2 = Signer::new("k2");
    keys.publish(&[&k1, &k2]);
    let token = k2.access_token(0, 3600, json!({}));
    let out = run(verify(&keys.uri(), &cache, &token).arg("-v"), 0);
    assert_stderr_contains(&out, "key k2 is not among the cached keys");
    assert_eq!(keys.fetches().await, 2);

    // A key the pool does not publish: one fetch more, then the signature fails.
    let stranger = Signer::new("k3");
    let token = stranger.access_token(0, 3600, json!({}));
    let v = verdict(&run_failing(
        &mut verify(&keys.uri(), &cache, &token),
        3,
        &[&token],
    ));
    assert_eq!(v.failed(), ["signature"], "{v:?}");
    assert_eq!(keys.fetches().await, 3);
    // A key of the same id but another modulus: the signature does not match.
    let impostor = Signer::new("k1");
    let token = impostor.access_token(0, 3600, json!({}));
    let v = verdict(&run_failing(
        &mut verify(&keys.uri(), &cache, &token),
        3,
        &[&token],
    ));
    assert_eq!(v.failed(), ["signature"], "{v:?}");
    assert_eq!(keys.fetches().await, 3);
}

#[tokio::test]
async fn a_key_server_error_is_retried_then_exit_5() {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .respond_with(wiremock::ResponseTemplate::new(503))
        .expect(3)
        .mount(&server)
        .await;
    let key = Signer::new("k1");
    let token = key.access_token(0, 3600, json!({}));
    let cache = tempfile::tempdir().unwrap();
    let out = run_failing(&mut verify(&server.uri(), &cache, &token), 5, &[&token]);
    assert_stderr_contains(&out, "HTTP 503");
}

#[test]
fn keys_that_cannot_be_fetched_are_exit_5() {
    let key = Signer::new("k1");
    let token = key.access_token(0, 3600, json!({}));
    let cache = tempfile::tempdir().unwrap();
    let endpoint = format!("http://127.0.0.1:{}", free_port());
    let mut cmd = verify(&endpoint, &cache, &token);
    let out = run_failing(cmd.args(["--timeout", "3"]), 5, &[&token]);
    assert_stderr_contains(&out, "could not reach");
    assert!(stdout(&out).is_empty());
}

#[test]
fn what_is_not_an_access_or_id_token_is_named() {
    let cache = tempfile::tempdir().unwrap();
    let endpoint = format!("http://127.0.0.1:{}", free_port());
    // A refresh token: refused without fetching anything.
    let out = run_failing(
        &mut verify(&endpoint, &cache, REFRESH_TOKEN),
        3,
        &[REFRESH_TOKEN],
    );
    let v = verdict(&out);
    assert_eq!(v.failed(), ["signature"], "{v:?}");
    assert!(
        v.check("signature").summary.contains("refresh token"),
        "{v:?}"
    );
    // Nothing on standard input, and --id without a profile: usage errors.
    run_failing(&mut verify(&endpoint, &cache, ""), 2, &[]);
    let mut cmd = verify(&endpoint, &cache, "x.y.z");
    run_failing(cmd.arg("--id"), 2, &[]);
    let mut cmd = bin();
    cmd.args([
        "verify",
        "--user-pool-id",
        "not-a-pool",
        "--endpoint-url",
        &endpoint,
    ])
    .write_stdin("x.y.z");
    run_failing(&mut cmd, 2, &[]);
}
