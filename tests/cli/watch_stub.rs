//! `watch` and `exec --watch` against a stub whose tokens last 4 seconds: the token file always
//! holds an unexpired token, failures that may pass are ridden out, a dead session ends the
//! watch (exit 3), and SIGTERM/SIGINT end it cleanly (exit 0).

use crate::support::wire::{self, ShortLived};
use crate::util::*;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use wiremock::MockServer;

/// How long each of the stub's tokens lasts.
const LIFETIME: i64 = 4;

/// A stub that answers every refresh with 4-second tokens, and a profile `ci` whose stored
/// session has expired.
pub(crate) async fn short_lived() -> (MockServer, Profiles) {
    let server = MockServer::start().await;
    wire::mount(
        &server,
        "GetTokensFromRefreshToken",
        ShortLived::new(LIFETIME),
    )
    .await;
    let p = Profiles::new();
    p.store_expired(&server.uri(), wire::REFRESH_TOKEN);
    (server, p)
}

/// `watch --profile ci --sink PATH` and `extra` (`--min-ttl 2s` unless it names one),
/// started, stderr captured.
pub(crate) fn start_watch(p: &Profiles, sink: &Path, extra: &[&str]) -> Child {
    let mut cmd = p.cmd();
    cmd.args(["watch", "--profile", "ci", "--sink"])
        .arg(sink)
        .args(extra);
    if !extra.contains(&"--min-ttl") {
        cmd.args(["--min-ttl", "2s"]);
    }
    process_of(&cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for `path` to exist, up to `within`.
pub(crate) fn wait_for_file(path: &Path, within: Duration) {
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < within,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits for the child to exit, up to `within`; kills it and fails when it does not.
pub(crate) fn exit_within(child: &mut Child, within: Duration) -> (Option<i32>, String) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read as _;
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return (status.code(), err);
        }
        if start.elapsed() > within {
            let _ = child.kill();
            panic!("still running after {within:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub(crate) fn signal(child: &Child, name: &str) {
    let sent = std::process::Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// The `exp` of the JWT in the file, and the token.
fn token_in(path: &Path) -> (i64, String) {
    let token = std::fs::read_to_string(path).unwrap();
    (claims(&token)["exp"].as_i64().unwrap(), token)
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[tokio::test]
async fn the_sink_always_holds_an_unexpired_token() {
    use std::os::unix::fs::PermissionsExt as _;
    let (server, p) = short_lived().await;
    let sink = p.dir.path().join("token");
    let mut child = start_watch(&p, &sink, &[]);
    wait_for_file(&sink, Duration::from_secs(10));
    let mut seen = std::collections::BTreeSet::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        let (exp, token) = token_in(&sink);
        assert!(
            exp as f64 > now(),
            "the file holds a token that expired at {exp}"
        );
        assert!(!token.ends_with('\n'), "the token alone, no newline");
        seen.insert(token);
        std::thread::sleep(Duration::from_millis(100));
    }
    let mode = std::fs::metadata(&sink).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // Renewed every couple of seconds: neither left to expire nor refreshed in a busy loop.
    let refreshes = wire::requests(&server).await.len();
    assert!(seen.len() >= 10, "{} tokens in 30 s", seen.len());
    assert!(refreshes < 40, "{refreshes} refreshes in 30 s");

    signal(&child, "TERM");
    let (code, err) = exit_within(&mut child, Duration::from_secs(5));
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("error"), "{err}");
    assert_no_secrets_in(&err);
}

/// Neither the refresh token nor any token reaches stderr.
fn assert_no_secrets_in(err: &str) {
    assert!(!err.contains(wire::REFRESH_TOKEN));
    assert!(!err.contains("eyJ"), "a token on stderr: {err}");
}

#[tokio::test]
async fn sigint_ends_the_watch_with_exit_0_and_json_and_env_formats_hold_both_tokens() {
    for (format, check) in [("json", "\"id_token\""), ("env", "COGNITO_ID_TOKEN=")] {
        let (_server, p) = short_lived().await;
        let sink = p.dir.path().join("token");
        let mut child = start_watch(&p, &sink, &["--format", format]);
        wait_for_file(&sink, Duration::from_secs(10));
        let text = std::fs::read_to_string(&sink).unwrap();
        assert!(text.contains(check), "{format}: {text}");
        assert!(text.contains("expires_at") || text.contains("EXPIRES_AT"));
        signal(&child, "INT");
        let (code, err) = exit_within(&mut child, Duration::from_secs(5));
        assert_eq!(code, Some(0), "{err}");
    }
}

#[tokio::test]
async fn a_dead_session_ends_the_watch_with_exit_3() {
    let server = MockServer::start().await;
    wire::on("GetTokensFromRefreshToken")
        .respond_with(ShortLived::new(LIFETIME))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    wire::mount(
        &server,
        "GetTokensFromRefreshToken",
        wire::error("NotAuthorizedException", "Refresh Token has been revoked"),
    )
    .await;
    let p = Profiles::new();
    p.store_expired(&server.uri(), wire::REFRESH_TOKEN);
    let sink = p.dir.path().join("token");
    let mut child = start_watch(&p, &sink, &[]);
    let (code, err) = exit_within(&mut child, Duration::from_secs(20));
    assert_eq!(code, Some(3), "{err}");
    let errors: Vec<&str> = err.lines().filter(|l| l.contains("error:")).collect();
    assert_eq!(errors.len(), 1, "one error line: {err}");
    assert_eq!(wire::requests(&server).await.len(), 3);
    assert_no_secrets_in(&err);
}

#[tokio::test]
async fn server_errors_are_ridden_out_keeping_the_file() {
    let server = MockServer::start().await;
    wire::on("GetTokensFromRefreshToken")
        .respond_with(ShortLived::new(30))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    // Then a spell of server errors (two rounds of three attempts), then tokens again.
    wire::on("GetTokensFromRefreshToken")
        .respond_with(wire::error_status(500, "InternalErrorException", "boom"))
        .up_to_n_times(6)
        .mount(&server)
        .await;
    wire::mount(
        &server,
        "GetTokensFromRefreshToken",
        ShortLived::new(LIFETIME),
    )
    .await;
    let p = Profiles::new();
    p.store_expired(&server.uri(), wire::REFRESH_TOKEN);
    let sink = p.dir.path().join("token");
    // Tokens of 30 s with --min-ttl 28s: the first refresh is due 2 s after the first token.
    let mut child = start_watch(&p, &sink, &["--min-ttl", "28s"]);
    wait_for_file(&sink, Duration::from_secs(10));
    let (first_exp, first) = token_in(&sink);
    let start = Instant::now();
    loop {
        let (exp, token) = token_in(&sink);
        if token != first {
            assert!(exp as f64 > now());
            break;
        }
        // Through the failures the file keeps the first token, still valid.
        assert!(first_exp as f64 > now());
        assert!(start.elapsed() < Duration::from_secs(25), "never renewed");
        std::thread::sleep(Duration::from_millis(100));
    }
    signal(&child, "TERM");
    let (code, err) = exit_within(&mut child, Duration::from_secs(5));
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("keeps its token"), "{err}");
    assert!(wire::requests(&server).await.len() >= 8);
}

#[tokio::test]
async fn exec_watch_keeps_the_commands_token_file_fresh() {
    let (_server, p) = short_lived().await;
    let script = r#"
        echo "$COGNITO_TOKEN_FILE"
        stat -c %a "$COGNITO_TOKEN_FILE"
        for i in 1 2 3 4 5 6 7 8 9 10; do cat "$COGNITO_TOKEN_FILE"; echo; sleep 1; done
        exit 7
    "#;
    let out = p
        .cmd()
        .args(["exec", "--watch", "--profile", "ci", "--min-ttl", "2s"])
        .args(["--", "sh", "-c", script])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    let text = stdout(&out);
    let mut lines = text.lines();
    let file = lines.next().unwrap().to_string();
    assert_eq!(lines.next(), Some("600"));
    let tokens: std::collections::BTreeSet<&str> = lines.collect();
    assert!(
        tokens.len() >= 3,
        "renewed while the command ran: {tokens:?}"
    );
    assert!(
        !Path::new(&file).exists(),
        "the token file is removed afterwards"
    );
    assert_no_secrets_in(&stderr(&out));
}

#[tokio::test]
async fn exec_watch_forwards_signals_and_returns_the_commands_status() {
    use std::io::{BufRead as _, BufReader};
    let (_server, p) = short_lived().await;
    let mut cmd = p.cmd();
    cmd.args(["exec", "--watch", "--profile", "ci", "--", "sh", "-c"])
        .arg("trap 'exit 42' TERM; echo ready; while :; do sleep 0.05; done");
    let mut child = process_of(&cmd)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "ready\n");
    signal(&child, "TERM");
    let (code, err) = exit_within(&mut child, Duration::from_secs(5));
    assert_eq!(code, Some(42), "{err}");
}
