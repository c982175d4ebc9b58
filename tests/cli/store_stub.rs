//! The token store against an HTTP stub answering in Cognito's wire format: refresh token
//! rotation, concurrent processes, a process dying mid-write, a read-only store.

use crate::support::{jwt, wire};
use crate::util::*;
use serde_json::{Value, json};
use std::os::unix::process::ExitStatusExt as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

const RT: &str = "rt-original";

/// GetTokensFromRefreshToken with rotation on: each answer carries a new refresh token
/// (`rt-rotated-N`) and an access token whose `jti` is N.
struct Rotating {
    calls: AtomicU64,
    delay: Duration,
}

impl Respond for Rotating {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let mut result = wire::tokens_with(&jwt::access_token(json!({"jti": n})));
        result["RefreshToken"] = json!(format!("rt-rotated-{n}"));
        wire::auth_result(result).set_delay(self.delay)
    }
}

async fn stub(delay: Duration) -> MockServer {
    let server = MockServer::start().await;
    let rotating = Rotating {
        calls: AtomicU64::new(0),
        delay,
    };
    wire::mount(&server, "GetTokensFromRefreshToken", rotating).await;
    server
}

/// The refresh tokens the stub received, in order.
async fn sent_refresh_tokens(server: &MockServer) -> Vec<String> {
    wire::requests(server)
        .await
        .iter()
        .map(|r| wire::body(r)["RefreshToken"].as_str().unwrap().to_string())
        .collect()
}

fn token(p: &Profiles) -> assert_cmd::Command {
    let mut cmd = p.cmd();
    cmd.args(["token", "--profile", "ci"]);
    cmd
}

#[tokio::test]
async fn rotation_replaces_the_stored_refresh_token() {
    let server = stub(Duration::ZERO).await;
    let p = Profiles::new();
    p.store_expired(&server.uri(), RT);

    let out = run(&mut token(&p), 0);
    assert_eq!(claims(stdout(&out).trim_end())["jti"], 1);
    assert_eq!(p.entry("ci")["refresh_token"], "rt-rotated-1");
    assert_eq!(p.entry("ci")["rotation"], true);
    assert_no_secrets(&out, &[RT, "rt-rotated-1"]);

    // The next refresh sends the new token; the old one is never sent again.
    run(token(&p).arg("--force"), 0);
    run(p.cmd().args(["refresh", "--profile", "ci"]), 0);
    assert_eq!(
        sent_refresh_tokens(&server).await,
        [RT, "rt-rotated-1", "rt-rotated-2"]
    );
    assert_eq!(p.entry("ci")["refresh_token"], "rt-rotated-3");

    let out = run(p.cmd().args(["profiles", "--json"]), 0);
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["rotation"], "on");
    assert_no_secrets(&out, &["rt-rotated-3"]);
}

#[tokio::test]
async fn the_rotated_token_is_stored_before_the_command_runs() {
    let server = stub(Duration::ZERO).await;
    let p = Profiles::new();
    p.store_expired(&server.uri(), RT);
    // The command cannot even start: the new refresh token is already safe.
    run_failing(
        p.cmd()
            .args(["exec", "--profile", "ci", "--", "/nonexistent/command"]),
        2,
        &[RT, "rt-rotated-1"],
    );
    assert_eq!(p.entry("ci")["refresh_token"], "rt-rotated-1");
    assert_eq!(sent_refresh_tokens(&server).await, [RT]);
}

#[tokio::test]
async fn concurrent_processes_make_one_refresh() {
    // A slow answer keeps the first process inside its refresh while the others start.
    let server = stub(Duration::from_millis(400)).await;
    let p = Profiles::new();
    p.store_expired(&server.uri(), RT);

    let outputs: Vec<std::process::Output> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..16)
            .map(|_| scope.spawn(|| token(&p).output().expect("the binary runs")))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut printed = Vec::new();
    for out in &outputs {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
        printed.push(stdout(out));
    }
    assert_eq!(
        sent_refresh_tokens(&server).await,
        [RT],
        "exactly one refresh for 16 processes"
    );
    let first = &printed[0];
    assert!(printed.iter().all(|t| t == first), "{printed:?}");
    assert_eq!(claims(first.trim_end())["jti"], 1);
    assert_eq!(p.entry("ci")["access_token"], first.trim_end());
    assert_eq!(p.entry("ci")["refresh_token"], "rt-rotated-1");
}

#[tokio::test]
async fn a_process_killed_between_write_and_rename_leaves_the_old_store() {
    let server = stub(Duration::ZERO).await;
    let p = Profiles::new();
    p.store_expired(&server.uri(), RT);
    let before = std::fs::read(p.store_file("ci")).unwrap();

    // The test hook aborts the process after the new file is written and flushed, before it
    // is renamed into place (builds with the `failpoints` feature only; the tests run one).
    let out = token(&p)
        .env("COGNITO_REFRESH_TEST_FAILPOINT", "before-rename")
        .output()
        .unwrap();
    assert_eq!(out.status.signal(), Some(6), "aborted: {:?}", out.status);
    assert_eq!(
        sent_refresh_tokens(&server).await,
        [RT],
        "it got as far as the refresh"
    );
    // The old store, whole.
    assert_eq!(std::fs::read(p.store_file("ci")).unwrap(), before);
    // Beside it, the new file the dead process had written in full.
    let strays: Vec<_> = std::fs::read_dir(p.store())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".ci.json."))
        .collect();
    assert_eq!(strays.len(), 1, "{strays:?}");
    let stray: Value = serde_json::from_slice(&std::fs::read(strays[0].path()).unwrap()).unwrap();
    assert_eq!(stray["refresh_token"], "rt-rotated-1");
    assert_eq!(mode(&strays[0].path()), 0o600);

    // The next process works from the old store, and clears the stray file.
    let out = run(&mut token(&p), 0);
    assert_eq!(claims(stdout(&out).trim_end())["jti"], 2);
    assert_eq!(p.entry("ci")["refresh_token"], "rt-rotated-2");
    let left: Vec<String> = std::fs::read_dir(p.store())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left.len(), 2, "ci.json and ci.lock only: {left:?}");
}

#[tokio::test]
async fn a_read_only_store_directory_is_exit_2_before_any_refresh() {
    use std::os::unix::fs::PermissionsExt as _;
    let server = stub(Duration::ZERO).await;
    let p = Profiles::new();
    p.store_expired(&server.uri(), RT);
    let before = std::fs::read(p.store_file("ci")).unwrap();
    std::fs::set_permissions(p.store(), std::fs::Permissions::from_mode(0o500)).unwrap();

    let out = run_failing(&mut token(&p), 2, &[RT]);
    let err = stderr(&out);
    assert!(err.contains("read-only"), "{err}");
    assert!(err.contains(&p.store().display().to_string()), "{err}");
    // Nothing was refreshed: a rotated refresh token could not have been saved.
    assert!(sent_refresh_tokens(&server).await.is_empty());
    let out = run_failing(
        p.cmd()
            .args(["store", "--profile", "ci"])
            .env("COGNITO_REFRESH_TOKEN", "rt-other"),
        2,
        &[RT, "rt-other"],
    );
    assert_stderr_contains(&out, "read-only");

    std::fs::set_permissions(p.store(), std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(std::fs::read(p.store_file("ci")).unwrap(), before);
}
