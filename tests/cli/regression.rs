//! One test per reported bug, each named after what went wrong, so that it stays fixed.

use crate::support::cognito_local::cognito_local;
use crate::support::jwt;
use crate::util::*;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

const RT: &str = "rt-regression-5b1e0c7a-secret";
const CLIENT: &str = "4f1example";
/// Nothing answers for this name: its lookup goes to the silent resolver.
const ENDPOINT: &str = "https://cognito.example.invalid";
const TIMEOUT: u64 = 2;

/// In the network namespace: a resolver on 127.0.0.1:53 that hears every query and never
/// answers. It says `ready` once bound, then leaves when the command that inherited its pipe
/// is gone (or after 30 s at most).
const SILENT_RESOLVER: &str = r#"
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
s.settimeout(0.2)
print("ready", flush=True)
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    try:
        s.recvfrom(4096)
    except socket.timeout:
        pass
    try:
        sys.stdout.write(".")
        sys.stdout.flush()
    except BrokenPipeError:
        break
"#;

/// Brings loopback up in the new namespaces, puts a resolv.conf naming 127.0.0.1 over the
/// system's (in this mount namespace only), starts the silent resolver, then becomes the
/// command. Nothing leaves the namespace.
const IN_NAMESPACE: &str = r#"
set -e
ip link set lo up
mount --bind "$2" /etc/resolv.conf
exec 3< <("$1" -c "$3" 2>/dev/null)
read -r ready <&3
shift 3
exec "$@"
"#;

/// The binary with `args`, inside new network and mount namespaces whose only resolver never
/// answers; `None` when namespaces cannot be made here (see `without_root`).
fn with_silent_resolver(dir: &Path, p: Option<&Profiles>) -> Option<assert_cmd::Command> {
    let unshare = network_namespace(&["--mount"])?;
    let resolv = dir.join("resolv.conf");
    std::fs::write(
        &resolv,
        "nameserver 127.0.0.1\noptions timeout:5 attempts:2\n",
    )
    .unwrap();
    let python = std::env::var_os("COGNITO_REFRESH_TEST_PYTHON").unwrap_or("python3".into());
    let mut cmd = assert_cmd::Command::new("unshare");
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("NO_PROXY", "*")
        .args(unshare)
        .args(["--mount", "bash", "-c", IN_NAMESPACE, "bash"])
        .arg(python)
        .arg(&resolv)
        .arg(SILENT_RESOLVER)
        .arg(assert_cmd::cargo::cargo_bin("cognito-refresh"));
    if let Some(p) = p {
        cmd.env("COGNITO_REFRESH_CONFIG", p.config())
            .env("COGNITO_REFRESH_STORE", p.store());
    }
    Some(cmd)
}

/// Runs a command expected to fail with exit 5, and returns how long it took.
fn transient_within_timeout(cmd: &mut assert_cmd::Command) -> Duration {
    let started = Instant::now();
    let out = run_failing(cmd, 5, &[RT]);
    let took = started.elapsed();
    let limit = Duration::from_secs(TIMEOUT + 1);
    assert!(
        took < limit,
        "{took:?}, more than {limit:?}:\n{}",
        stderr(&out)
    );
    took
}

/// Bug: a resolver that never answers: `refresh --timeout 2` exits 5 within timeout + 1 s.
/// The refresh gave up at --timeout, but the process then waited for the name lookup still
/// blocked in the runtime's blocking thread (the system resolver's own timeouts, ~10 s).
#[test]
fn a_resolver_that_never_answers_is_bounded_by_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let Some(mut cmd) = with_silent_resolver(dir.path(), None) else {
        return without_root("a network namespace with a silent resolver");
    };
    cmd.args(["refresh", "--client-id", CLIENT, "--region", "eu-west-1"])
        .args([
            "--endpoint-url",
            ENDPOINT,
            "--timeout",
            &TIMEOUT.to_string(),
        ])
        .env("COGNITO_REFRESH_TOKEN", RT);
    let took = transient_within_timeout(&mut cmd);
    eprintln!("refresh with a silent resolver: exit 5 after {took:?}");
}

/// Bug: a resolver that never answers held the profile's lock: `token --profile` returned
/// only after the blocked lookup, and another `token` call waited for the lock meanwhile. Each
/// call now exits 5 within timeout + 1 s, and the second right after the first does not wait.
#[test]
fn a_resolver_that_never_answers_does_not_hold_the_profile_lock() {
    let dir = tempfile::tempdir().unwrap();
    let p = Profiles::new();
    let expired = jwt::unsigned(json!({
        "token_use": "access", "username": "alice", "client_id": CLIENT, "exp": 1_000_000_000,
    }));
    run(
        p.cmd()
            .args(["store", "--profile", "ci", "--client-id", CLIENT])
            .args(["--region", "eu-west-1", "--endpoint-url", ENDPOINT])
            .args(["--access-token", &expired])
            .env("COGNITO_REFRESH_TOKEN", RT),
        0,
    );
    for call in ["first", "second"] {
        let Some(mut cmd) = with_silent_resolver(dir.path(), Some(&p)) else {
            return without_root("a network namespace with a silent resolver");
        };
        cmd.args([
            "token",
            "--profile",
            "ci",
            "--timeout",
            &TIMEOUT.to_string(),
        ]);
        let took = transient_within_timeout(&mut cmd);
        eprintln!("{call} token call with a silent resolver: exit 5 after {took:?}");
    }
}

/// Bug: `diagnose --api oauth2` could not work: diagnose sent every attempt through the SDK's
/// refresh call, which refused the token endpoint at run time. Against cognito-local's token
/// endpoint: a healthy session exits 0 with every check ok; a revoked refresh token exits 3,
/// and the report names the cause.
#[tokio::test]
async fn diagnose_api_oauth2_reaches_the_token_endpoint() {
    let local = cognito_local();
    let session = local.session().await;
    let diagnose = || {
        let mut cmd = bin();
        cmd.args(["diagnose", "--api", "oauth2", "-o", "json"])
            .args(["--client-id", &session.client_id])
            .args(["--domain", &local.endpoint])
            .env("COGNITO_REFRESH_TOKEN", &session.refresh_token);
        cmd
    };
    let out = run(&mut diagnose(), 0);
    let r = report(&out);
    let refresh = r.assert_status("refresh", CheckStatus::Ok);
    assert!(
        refresh.summary.contains("the OAuth2 token endpoint"),
        "{refresh:#?}"
    );
    for c in &r.checks {
        assert!(
            matches!(c.status, CheckStatus::Ok | CheckStatus::Skipped),
            "{c:#?}"
        );
    }
    assert!(r.attempts().is_empty(), "{r:#?}");

    local
        .admin()
        .revoke_token()
        .client_id(&session.client_id)
        .token(&session.refresh_token)
        .send()
        .await
        .expect("RevokeToken");
    let out = run_failing(&mut diagnose(), 3, &[&session.refresh_token]);
    let r = report(&out);
    let refresh = r.assert_status("refresh", CheckStatus::Problem);
    assert!(refresh.summary.contains("invalid_grant"), "{refresh:#?}");
    let fix = refresh.fix.as_deref().unwrap_or_default();
    assert!(fix.contains("sign in again"), "{refresh:#?}");
}

/// Bug: an error type that echoes the request printed the refresh token: the code of an SDK
/// error (`__type`, `x-amzn-ErrorType`) was shown as the server sent it, only the message was
/// scrubbed. A stub whose error type and message repeat the refresh token and the SECRET_HASH:
/// neither reaches the output.
#[tokio::test]
async fn an_error_type_echoing_the_request_is_scrubbed() {
    use crate::support::wire::{self, EchoError, REFRESH_TOKEN};
    let server = wire::answering(EchoError(|b| {
        let p = &b["AuthParameters"];
        format!("{}{}", p["REFRESH_TOKEN"], p["SECRET_HASH"]).replace('"', "")
    }))
    .await;
    // printf '%s' alice4f1example | openssl dgst -sha256 -hmac s3cr3t -binary | base64
    let hash = "ejcceE7pHGV30VHJNvrOmIOGFIyYoKkjpJQx8OL1E0w=";
    let out = run_failing(
        against_stub("refresh", &server.uri())
            .args(["--username", "alice", "-v"])
            .env("COGNITO_CLIENT_SECRET", "s3cr3t"),
        1,
        &[REFRESH_TOKEN, hash, "s3cr3t"],
    );
    assert_stderr_contains(&out, "(redacted)");
}

/// Bug: the token endpoint's `error` field was shown as sent: an `error` that echoes the
/// request printed the refresh token (only `error_description` was scrubbed).
#[tokio::test]
async fn a_token_endpoint_error_echoing_the_refresh_token_is_scrubbed() {
    use crate::support::wire::{CLIENT, REFRESH_TOKEN};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let echo = json!({"error": format!("bad_{REFRESH_TOKEN}"), "error_description": REFRESH_TOKEN});
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(ResponseTemplate::new(400).set_body_raw(echo.to_string(), "application/json"))
        .mount(&server)
        .await;
    let out = run_failing(
        bin()
            .args(["refresh", "--api", "oauth2", "--client-id", CLIENT, "-v"])
            .args(["--domain", &server.uri()])
            .env("COGNITO_REFRESH_TOKEN", REFRESH_TOKEN),
        1,
        &[REFRESH_TOKEN],
    );
    assert_stderr_contains(&out, "bad_(redacted)");
}

/// The `login` of the sign-in tests below: USER_PASSWORD_AUTH as alice, with a client secret.
fn login_with_secret(server: &wiremock::MockServer) -> assert_cmd::Command {
    let mut cmd = bin();
    cmd.args(["login", "--print", "--flow", "password", "-v"])
        .args(["--client-id", CLIENT, "--region", "eu-west-1"])
        .args(["--username", "alice", "--endpoint-url", &server.uri()])
        .env("COGNITO_PASSWORD", "Corr3ct-Horse-Battery")
        .env("COGNITO_CLIENT_SECRET", "s3cr3t");
    cmd
}

/// Bug: sign-in scrubbed the password and the client secret from Cognito's answers, but not
/// the SECRET_HASH it sent nor the MFA code: a server echoing them printed them. A stub that
/// echoes SECRET_HASH in the error of InitiateAuth, then one that asks for a TOTP code and
/// echoes it in the error of RespondToAuthChallenge: neither reaches the output.
#[tokio::test]
async fn sign_in_errors_echoing_the_secret_hash_or_the_mfa_code_are_scrubbed() {
    use crate::support::wire::{self, EchoError};
    // printf '%s' alice4f1example | openssl dgst -sha256 -hmac s3cr3t -binary | base64
    let hash = "ejcceE7pHGV30VHJNvrOmIOGFIyYoKkjpJQx8OL1E0w=";
    let secrets = ["Corr3ct-Horse-Battery", "s3cr3t", hash, "402917"];
    let server = wire::answering(EchoError(|b| {
        b["AuthParameters"]["SECRET_HASH"]
            .as_str()
            .unwrap_or("")
            .into()
    }))
    .await;
    let out = run_failing(&mut login_with_secret(&server), 1, &secrets);
    assert_stderr_contains(&out, "(redacted)");

    let server = wiremock::MockServer::start().await;
    let totp = json!({"ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": "s",
                      "ChallengeParameters": {}});
    wire::mount(&server, "InitiateAuth", wire::ok(totp)).await;
    let echo = EchoError(|b| {
        let code = &b["ChallengeResponses"]["SOFTWARE_TOKEN_MFA_CODE"];
        format!("Code{}", code.as_str().unwrap_or(""))
    });
    wire::mount(&server, "RespondToAuthChallenge", echo).await;
    let out = run_failing(
        login_with_secret(&server).env("COGNITO_MFA_CODE", "402917"),
        1,
        &secrets,
    );
    assert_stderr_contains(&out, "(redacted)");
}

/// Bug: `diagnose --inspect` called rotation with no grace period fine ("ok"), though a process
/// stopped between Cognito's rotation and the save of the new refresh token then loses the
/// session. Against a stub whose app client rotates with RetryGracePeriodSeconds 0, the check
/// warns and says to give the client a grace period.
#[tokio::test]
async fn diagnose_warns_of_rotation_without_a_grace_period() {
    use crate::support::wire::{self, POOL, REFRESH_TOKEN, with};
    let server = wiremock::MockServer::start().await;
    let rotated = with(
        wire::tokens(),
        json!({"RefreshToken": "rotated-rt-0c1d2e3f"}),
    );
    wire::mount(
        &server,
        "GetTokensFromRefreshToken",
        wire::auth_result(rotated),
    )
    .await;
    let client = json!({"UserPoolClient": {
        "UserPoolId": POOL, "ClientId": CLIENT, "ClientName": "web",
        "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH"],
        "RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0},
    }});
    wire::mount(&server, "DescribeUserPoolClient", wire::ok(client)).await;
    let pool = json!({"UserPool": {"Id": POOL}});
    wire::mount(&server, "DescribeUserPool", wire::ok(pool)).await;
    let out = run(
        against_stub("diagnose", &server.uri())
            .args(["--api", "get-tokens", "--inspect", "-o", "json"])
            .args(["--user-pool-id", POOL])
            .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
            .env("AWS_SECRET_ACCESS_KEY", "dummy-secret-access-key"),
        0,
    );
    assert_no_secrets(&out, &[REFRESH_TOKEN, "dummy-secret-access-key"]);
    let r = report(&out);
    let rotation = r.assert_status("client.rotation", CheckStatus::Warning);
    let fix = rotation.fix.as_deref().unwrap_or_default();
    assert!(fix.contains("grace period"), "{rotation:#?}");
}

/// Bug: `diagnose --profile ci` for a profile of the config file with nothing stored said the
/// profile was "not in the config file". It now says the profile has no stored session, and
/// how to save one (exit 2).
#[test]
fn diagnose_profile_with_nothing_stored_says_so() {
    let p = Profiles::new();
    p.write_config(&format!(
        "[profiles.ci]\nclient_id = \"{CLIENT}\"\nregion = \"eu-west-1\"\n"
    ));
    let out = run_failing(p.cmd().args(["diagnose", "--profile", "ci"]), 2, &[]);
    let err = stderr(&out);
    assert!(err.contains("profile ci has no stored session"), "{err}");
    assert!(!err.contains("not in the config file"), "{err}");
    assert!(err.contains("store --profile ci"), "{err}");
}

/// Bug: `diagnose --profile ci` diagnosed COGNITO_REFRESH_TOKEN from the environment (which may
/// hold a token rotated out long ago) instead of the profile's stored refresh token, which
/// `refresh --profile` uses. Only the stored one reaches the stub now.
#[tokio::test]
async fn diagnose_profile_uses_the_stored_refresh_token_not_the_environment() {
    use crate::support::wire;
    let server = wiremock::MockServer::start().await;
    for operation in ["InitiateAuth", "GetTokensFromRefreshToken"] {
        wire::mount(&server, operation, wire::auth_result(wire::tokens())).await;
    }
    let p = Profiles::new();
    p.store_expired(&server.uri(), RT);
    let stale = "rt-from-the-environment-rotated-out";
    let out = run(
        p.cmd()
            .args(["diagnose", "--profile", "ci", "-o", "json"])
            .env("COGNITO_REFRESH_TOKEN", stale),
        0,
    );
    assert_no_secrets(&out, &[RT, stale]);
    let sent: Vec<_> = wire::requests(&server)
        .await
        .iter()
        .map(|r| {
            wire::body(r)["RefreshToken"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert!(!sent.is_empty());
    assert!(sent.iter().all(|t| t == RT), "{sent:?}");
}

/// Bug: a config file error repeated a value in backticks (`unknown variant`, `invalid type:
/// integer`): a secret put in the wrong key was printed. The error still names the file, the
/// line and the key, and never the value.
#[test]
fn config_errors_do_not_repeat_values() {
    let p = Profiles::new();
    for (text, says) in [
        (
            "[profiles.ci]\napi = \"cfg-secret-5b1e\"\n",
            "initiate-auth",
        ),
        ("[profiles.ci]\nclient_id = 0x5b1e0c7a\n", "string"),
        ("[profiles.ci]\nregion = \"cfg-secret-5b1e\n", "line 2"),
    ] {
        p.write_config(text);
        let out = run_failing(
            p.cmd().args(["token", "--profile", "ci"]),
            2,
            &["cfg-secret-5b1e", "5b1e0c7a", "1528695930"],
        );
        assert_stderr_contains(&out, "line 2");
        assert_stderr_contains(&out, says);
    }
}

/// Bug: a value passed as a stray argument (`refresh "$TOKEN"`, or the token where a
/// subcommand belongs) was repeated in the usage error. The error (exit 2) leaves it out.
#[test]
fn a_stray_argument_is_not_repeated_in_the_usage_error() {
    for args in [
        &["refresh", RT][..],
        &[RT],
        &["refresh", "--client-id", CLIENT, RT],
    ] {
        let out = run(bin().args(args), 2);
        assert_no_secrets(&out, &[RT]);
        assert_stderr_contains(&out, "not shown");
    }
}

/// The config file of the store tests below: profile `ci` of the stubs' app client.
fn private_store(p: &Profiles) {
    use std::os::unix::fs::PermissionsExt as _;
    p.write_config(&format!(
        "[profiles.ci]\nclient_id = \"{CLIENT}\"\nregion = \"eu-west-1\"\n"
    ));
    std::fs::create_dir_all(p.store()).unwrap();
    std::fs::set_permissions(p.store(), std::fs::Permissions::from_mode(0o700)).unwrap();
}

/// Bug: a FIFO at a profile's store file made `token --profile ci` wait forever in open(). A
/// FIFO at the store file or at the lock file is now refused at once (exit 2), naming it.
#[test]
fn a_fifo_at_a_store_path_is_refused_without_blocking() {
    let p = Profiles::new();
    private_store(&p);
    for (name, args) in [
        ("ci.json", &["token", "--profile", "ci"][..]),
        ("ci.lock", &["store", "--profile", "ci"]),
    ] {
        let fifo = p.store().join(name);
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        let out = run_failing(
            p.cmd()
                .args(args)
                .env("COGNITO_REFRESH_TOKEN", RT)
                .timeout(Duration::from_secs(10)),
            2,
            &[RT],
        );
        assert_stderr_contains(&out, "not a regular file");
        assert_stderr_contains(&out, &fifo.display().to_string());
        std::fs::remove_file(&fifo).unwrap();
    }
}

/// Bug: `store` over a session whose refresh token Cognito had rotated replaced it with a
/// warning, though the token given may be one rotated out (a stale COGNITO_REFRESH_TOKEN): the
/// session was lost. It now refuses (exit 2, nothing changed) unless `--force`.
#[tokio::test]
async fn store_over_a_rotated_session_needs_force() {
    use crate::support::wire::{self, with};
    let server = wiremock::MockServer::start().await;
    let rotated = with(wire::tokens(), json!({"RefreshToken": "rt-rotated-9f3a"}));
    wire::mount(
        &server,
        "GetTokensFromRefreshToken",
        wire::auth_result(rotated),
    )
    .await;
    let p = Profiles::new();
    p.store_expired(&server.uri(), RT);
    run(p.cmd().args(["token", "--profile", "ci"]), 0);
    assert_eq!(p.entry("ci")["refresh_token"], "rt-rotated-9f3a");
    let store = || {
        let mut cmd = p.cmd();
        cmd.args(["store", "--profile", "ci"])
            .env("COGNITO_REFRESH_TOKEN", RT);
        cmd
    };
    let out = run_failing(&mut store(), 2, &[RT, "rt-rotated-9f3a"]);
    assert_stderr_contains(&out, "--force");
    assert_eq!(p.entry("ci")["refresh_token"], "rt-rotated-9f3a");
    run(store().arg("--force"), 0);
    assert_eq!(p.entry("ci")["refresh_token"], RT);
}

/// Bug: on a file system without locks (NFS without a lock service, some FUSE file systems),
/// the error said only "cannot lock ...: No locks available". It now names the store directory
/// and `--store` as the way out (exit 2). flock(2) is made to fail with ENOLCK, as such a file
/// system fails it, by strace's fault injection.
#[test]
fn a_store_without_locks_names_the_directory_and_the_way_out() {
    let strace = std::process::Command::new("strace").arg("-V").output();
    if !strace.is_ok_and(|o| o.status.success()) {
        if std::env::var_os("COGNITO_REFRESH_TESTS_WITHOUT_ROOT").is_some_and(|v| v == "1") {
            return eprintln!("not checked: a file system without locks needs strace");
        }
        panic!("a file system without locks is made with strace (Debian's strace): install it");
    }
    let p = Profiles::new();
    private_store(&p);
    let mut cmd = assert_cmd::Command::new("strace");
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", p.dir.path())
        .env("COGNITO_REFRESH_CONFIG", p.config())
        .env("COGNITO_REFRESH_STORE", p.store())
        .env("COGNITO_REFRESH_TOKEN", RT)
        .args(["-f", "-qq", "-o", "/dev/null", "-e", "trace=flock"])
        .args(["-e", "inject=flock:error=ENOLCK"])
        .arg(assert_cmd::cargo::cargo_bin("cognito-refresh"))
        .args(["store", "--profile", "ci"]);
    let out = run_failing(&mut cmd, 2, &[RT]);
    assert_stderr_contains(&out, &p.store().display().to_string());
    assert_stderr_contains(&out, "--store");
    assert!(!p.store_file("ci").exists());
}
