//! Faults of the network and of the server, injected by servers this test starts on 127.0.0.1
//! (or by a network namespace with no interface up): each gives one clear error line and the
//! documented exit code, within --timeout, and with -v nothing secret on either stream.

use crate::support::jwt;
use crate::support::net::{self, read_request};
use crate::support::wire::{self, CLIENT, REFRESH_VERBOSE as REFRESH};
use crate::util::*;
use serde_json::json;
use std::collections::HashMap;
use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wiremock::{Request, Respond, ResponseTemplate};

const RT: &str = "rt-fault-0d3c1f2e-secret";
const SECRET: &str = "client-secret-fault-9";

/// `refresh -v` to `endpoint`, with a client secret, bounded by `timeout` seconds.
fn refresh(endpoint: &str, timeout: &str) -> assert_cmd::Command {
    let mut cmd = bin();
    cmd.args(REFRESH)
        .args(["--endpoint-url", endpoint, "--timeout", timeout])
        .env("COGNITO_REFRESH_TOKEN", RT)
        .env("COGNITO_CLIENT_SECRET", SECRET)
        .env("COGNITO_USERNAME", "alice");
    cmd
}

fn tokens_body() -> String {
    json!({"AuthenticationResult": wire::tokens()}).to_string()
}

/// A failing run: `run_failing`'s checks, every secret given, and the time it took.
fn fails(cmd: &mut assert_cmd::Command, code: i32) -> (String, Duration) {
    let started = Instant::now();
    let out = run_failing(cmd, code, &[RT, SECRET]);
    (stderr(&out), started.elapsed())
}

/// An HTTP 200 answer in Cognito's content type, as bytes: `body` after the headers, whose
/// Content-Length is `length` (more than the body's, for a body cut short).
fn http_200(length: usize, body: &str) -> Vec<u8> {
    net::http_200(wire::CONTENT_TYPE, length, body)
}

/// A TCP server on 127.0.0.1 that reads each request whole and answers it with `answer`
/// (nothing at all when `None`, keeping the connection open). Returns its address and the
/// number of requests read.
fn raw_server(answer: Option<Vec<u8>>) -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicU64::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            let answer = answer.clone();
            let seen = seen.clone();
            held.push(std::thread::spawn(move || serve(stream, answer, &seen)));
        }
    });
    (addr, count)
}

fn serve(mut stream: TcpStream, answer: Option<Vec<u8>>, seen: &AtomicU64) {
    if read_request(&mut stream).is_none() {
        return;
    }
    seen.fetch_add(1, Ordering::SeqCst);
    match answer {
        Some(bytes) => {
            let _ = stream.write_all(&bytes);
            // Closing here cuts a body shorter than its Content-Length.
        }
        None => std::thread::sleep(Duration::from_secs(60)),
    }
}

#[test]
fn connection_refused_is_transient() {
    let nothing = format!("http://127.0.0.1:{}", free_port());
    let (err, _) = fails(&mut refresh(&nothing, "5"), 5);
    assert!(err.contains("could not reach"), "{err}");
    assert!(err.contains("hint: "), "{err}");
}

/// Name resolution fails inside a new network namespace: it has no interface up (not even
/// loopback), so the resolver's packets cannot leave it, and nothing reaches any network.
/// Making the namespace takes root (as in CI); see `without_root`.
#[test]
fn dns_failure_is_transient() {
    let Some(unshare) = network_namespace(&[]) else {
        return without_root("`unshare --net`");
    };
    let home = tempfile::tempdir().unwrap();
    let mut cmd = assert_cmd::Command::new("unshare");
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("COGNITO_REFRESH_TOKEN", RT)
        .env("COGNITO_CLIENT_SECRET", SECRET)
        .args(unshare)
        .arg(assert_cmd::cargo::cargo_bin("cognito-refresh"))
        // Cognito's own name, resolved through the system's resolver: it cannot get out.
        .args(REFRESH)
        .args(["--username", "alice", "--timeout", "5"]);
    let (err, took) = fails(&mut cmd, 5);
    assert!(
        err.contains("could not reach https://cognito-idp.eu-west-1.amazonaws.com"),
        "{err}"
    );
    assert!(err.contains("dns"), "{err}");
    assert!(took < Duration::from_secs(15), "{took:?}");
}

#[test]
fn a_server_that_never_answers_is_bounded_by_the_timeout() {
    let (url, seen) = raw_server(None);
    let (err, took) = fails(&mut refresh(&url, "1"), 5);
    assert!(err.contains("within the timeout"), "{err}");
    // Generous: the point is that the silent server was not waited on for long.
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(seen.load(Ordering::SeqCst) >= 1, "the request was sent");
}

#[tokio::test]
async fn failing_every_time_gives_up_within_the_timeout() {
    let server =
        wire::answering(ResponseTemplate::new(503).set_body_string("Service Unavailable")).await;
    let (err, took) = fails(&mut refresh(&server.uri(), "3"), 5);
    assert!(err.contains("hint: "), "{err}");
    // Bounded retries, all within --timeout (plus the process's own start, generously).
    assert!(took < Duration::from_secs(3 + 5), "{took:?}");
    let attempts = server.received_requests().await.unwrap().len();
    assert!((2..=3).contains(&attempts), "{attempts} attempts");
}

#[test]
fn a_truncated_body_is_an_error_not_a_panic() {
    let body = tokens_body();
    let cut = &body[..body.len() / 2];
    let (url, _) = raw_server(Some(http_200(body.len(), cut)));
    // Not retried: the server answered, and a broken answer is not the user's to fix.
    let (err, _) = fails(&mut refresh(&url, "5"), 1);
    assert!(
        err.contains(&format!("unexpected answer (HTTP 200) from {url}")),
        "{err}"
    );
}

#[test]
fn a_complete_but_damaged_body_is_an_error() {
    for body in [
        "{\"AuthenticationResult\": {\"AccessToken\": 3}}",
        "null",
        "\u{0}\u{1}binary",
    ] {
        let (url, _) = raw_server(Some(http_200(body.len(), body)));
        fails(&mut refresh(&url, "5"), 1);
    }
}

/// A certificate no trusted authority signed: the TLS handshake is refused, so the request is
/// never sent, and the error says why (exit 1: retrying would not help).
#[test]
fn an_untrusted_certificate_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        // A server's certificate, not a CA's: what a misconfigured or intercepting server has.
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let port = free_port();
    let mut server = std::process::Command::new("openssl")
        .args(["s_server", "-quiet", "-www", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("openssl s_server starts");
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "s_server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let url = format!("https://127.0.0.1:{port}");
    let result = std::panic::catch_unwind(|| fails(&mut refresh(&url, "5"), 1));
    let _ = server.kill();
    let _ = server.wait();
    let (err, _) = result.unwrap();
    assert!(
        err.contains(&format!("error: TLS with {url} failed")),
        "{err}"
    );
    assert!(
        err.contains("invalid peer certificate: UnknownIssuer"),
        "{err}"
    );
    assert!(
        err.contains("hint: the server's certificate is not trusted"),
        "{err}"
    );
}

/// The server echoes what it was sent in its error message, as some proxies and gateways do:
/// the tool prints the message with the secrets taken out.
#[tokio::test]
async fn server_messages_echoing_secrets_are_scrubbed() {
    let message = format!("Invalid Refresh Token. token={RT} secret={SECRET}");
    let server = wire::answering(wire::error("NotAuthorizedException", &message)).await;
    let (err, _) = fails(&mut refresh(&server.uri(), "5"), 3);
    assert!(err.contains("(redacted)"), "{err}");
    // And in a 5xx body shown as detail.
    let server = wire::answering(
        ResponseTemplate::new(502).set_body_string(format!("bad gateway for {RT}")),
    )
    .await;
    fails(&mut refresh(&server.uri(), "5"), 5);
}

/// GetTokensFromRefreshToken with rotation and a grace period, as Cognito does it: a refresh
/// token used once yields a new one, and stays usable for the grace period; after it, or when
/// never issued, RefreshTokenReuseException. The first answer is lost: it arrives after the
/// client gave up.
struct Rotation {
    /// Issued refresh tokens, and whether each one's grace period is running.
    tokens: Mutex<HashMap<String, bool>>,
    issued: AtomicU64,
    grace_over: AtomicBool,
    sent: Mutex<Vec<String>>,
}

impl Respond for Rotation {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let sent = wire::body(req)["RefreshToken"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.sent.lock().unwrap().push(sent.clone());
        let mut tokens = self.tokens.lock().unwrap();
        let usable = match tokens.get(&sent) {
            Some(in_grace) => !*in_grace || !self.grace_over.load(Ordering::SeqCst),
            None => false,
        };
        if !usable {
            return wire::error(
                "RefreshTokenReuseException",
                "Refresh token has been reused",
            );
        }
        tokens.insert(sent, true);
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        let new = format!("rt-rotated-{n}");
        tokens.insert(new.clone(), false);
        let mut result = wire::tokens_with(&jwt::access_token(json!({"jti": n})));
        result["RefreshToken"] = json!(new);
        let answer = wire::auth_result(result);
        if n == 1 {
            answer.set_delay(Duration::from_secs(30))
        } else {
            answer
        }
    }
}

#[tokio::test]
async fn a_lost_rotation_answer_is_recovered_within_the_grace_period() {
    let rotation = Arc::new(Rotation {
        tokens: Mutex::new(HashMap::from([(RT.to_string(), false)])),
        issued: AtomicU64::new(0),
        grace_over: AtomicBool::new(false),
        sent: Mutex::new(Vec::new()),
    });
    struct Shared(Arc<Rotation>);
    impl Respond for Shared {
        fn respond(&self, req: &Request) -> ResponseTemplate {
            self.0.respond(req)
        }
    }
    let server = wire::answering(Shared(rotation.clone())).await;
    let p = Profiles::new();
    p.store_expired(&server.uri(), RT);
    let token = |extra: &[&str]| {
        let mut cmd = p.cmd();
        cmd.args(["-v", "token", "--profile", "ci"]).args(extra);
        cmd
    };

    // The server rotates, but its answer comes after the client gave up.
    let (err, took) = fails(&mut token(&["--timeout", "1"]), 5);
    assert!(err.contains("within the timeout"), "{err}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert_eq!(
        p.entry("ci")["refresh_token"],
        RT,
        "the store kept what it had"
    );

    // Within the grace period the old token still works, and the store takes the new one.
    let out = run(&mut token(&[]), 0);
    assert_eq!(claims(stdout(&out).trim_end())["jti"], 2);
    assert_eq!(p.entry("ci")["refresh_token"], "rt-rotated-2");
    assert_no_secrets(&out, &[RT, "rt-rotated-1", "rt-rotated-2"]);

    // The grace period ends: the stored token is the one that works.
    rotation.grace_over.store(true, Ordering::SeqCst);
    let out = run(&mut token(&["--force"]), 0);
    assert_eq!(claims(stdout(&out).trim_end())["jti"], 3);
    assert_eq!(p.entry("ci")["refresh_token"], "rt-rotated-3");
    assert_eq!(
        *rotation.sent.lock().unwrap(),
        [RT, RT, "rt-rotated-2"],
        "the lost answer's token was never known to the client"
    );
    // And the old one is refused, as after a real grace period.
    let out = run_failing(
        bin()
            .args(["refresh", "--client-id", CLIENT, "--region", "eu-west-1"])
            .args(["--endpoint-url", &server.uri(), "--api", "get-tokens"])
            .env("COGNITO_REFRESH_TOKEN", RT),
        3,
        &[RT],
    );
    assert_stderr_contains(&out, "RefreshTokenReuseException");
}

/// What a server answering with a huge body saw: bytes written in all, requests read, answers
/// ended, and those that ended because the client hung up.
#[derive(Default)]
struct Flood {
    written: AtomicU64,
    requests: AtomicU64,
    answered: AtomicU64,
    hung_up: AtomicU64,
}

/// 1 GiB: the body every answer of `flood_server` would have.
const GIB: u64 = 1 << 30;

/// A TCP server on 127.0.0.1 that answers every request with HTTP 200 and a 1 GiB body written
/// 64 KiB at a time, as fast as the client reads it; its length is announced by Content-Length
/// when `announced`, else the body ends when the connection closes.
fn flood_server(announced: bool, content_type: &'static str) -> (String, Arc<Flood>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let flood = Arc::new(Flood::default());
    let seen = flood.clone();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let flood = seen.clone();
            std::thread::spawn(move || {
                if read_request(&mut stream).is_none() {
                    return;
                }
                flood.requests.fetch_add(1, Ordering::SeqCst);
                let length = match announced {
                    true => format!("Content-Length: {GIB}"),
                    false => "Connection: close".to_string(),
                };
                let head =
                    format!("HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n{length}\r\n\r\n");
                let chunk = [b' '; 64 << 10];
                let mut sent = 0;
                let mut result = stream.write_all(head.as_bytes());
                while result.is_ok() && sent < GIB {
                    result = stream.write_all(&chunk);
                    sent += chunk.len() as u64;
                    flood
                        .written
                        .fetch_add(chunk.len() as u64, Ordering::SeqCst);
                }
                flood
                    .hung_up
                    .fetch_add(u64::from(result.is_err()), Ordering::SeqCst);
                flood.answered.fetch_add(1, Ordering::SeqCst);
            });
        }
    });
    (addr, flood)
}

/// A 1 GiB answer, on either HTTP path (the SDK's and the token endpoint's) and whether its
/// length is announced or not, fails with one error line and exit 1, in less than 32 MiB of
/// memory, and the client hangs up long before the end: every answer's body is capped at 1 MiB
/// and does not ask again (a15c21e read it all: 1.1 GB of memory on the SDK's path, 2.1 GB on
/// the token endpoint's).
#[test]
fn a_huge_answer_fails_early_in_little_memory() {
    let dir = tempfile::tempdir().unwrap();
    for announced in [true, false] {
        for oauth2 in [false, true] {
            let content_type = if oauth2 {
                "application/json"
            } else {
                wire::CONTENT_TYPE
            };
            let (url, flood) = flood_server(announced, content_type);
            let api = match oauth2 {
                true => ["--api", "oauth2", "--domain", &url],
                false => ["--region", "eu-west-1", "--endpoint-url", &url],
            };
            let rss = dir.path().join("rss");
            // GNU time: the peak resident set size of the process, in KiB.
            let mut cmd = assert_cmd::Command::new("/usr/bin/time");
            cmd.env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .env("HOME", dir.path())
                .env("NO_PROXY", "*")
                .env("COGNITO_REFRESH_TOKEN", RT)
                .args(["-f", "%M", "-o"])
                .arg(&rss)
                .arg(assert_cmd::cargo::cargo_bin("cognito-refresh"))
                .args(["refresh", "--client-id", CLIENT, "--timeout", "20"])
                .args(api);
            let case = format!("announced: {announced}, oauth2: {oauth2}");
            let (err, _) = fails(&mut cmd, 1);
            assert!(err.contains("exceeded 1 MiB"), "{case}: {err}");
            let rss = std::fs::read_to_string(&rss).unwrap();
            let kib: u64 = rss.lines().last().unwrap().trim().parse().unwrap();
            assert!(kib < 32 << 10, "{case}: peak memory {kib} KiB");
            let deadline = Instant::now() + Duration::from_secs(10);
            let answered = || flood.answered.load(Ordering::SeqCst);
            let requests = flood.requests.load(Ordering::SeqCst);
            while answered() < requests && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let written = flood.written.load(Ordering::SeqCst);
            // Not retried: the same answer would come again.
            assert_eq!(requests, 1, "{case}: requests");
            assert_eq!(
                answered(),
                requests,
                "{case}: an answer still being written"
            );
            assert_eq!(flood.hung_up.load(Ordering::SeqCst), answered(), "{case}");
            assert!(written < 64 << 20, "{case}: {written} bytes written");
            eprintln!("{case}: exit 1, peak {kib} KiB, {written} bytes written");
        }
    }
}
