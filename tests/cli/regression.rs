//! One test per reported bug, each named after what went wrong, so that it stays fixed.

use crate::support::cognito_local::cognito_local;
use crate::support::{jwt, wire};
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

    local.revoke(&session).await;
    let out = run_failing(&mut diagnose(), 3, &[&session.refresh_token]);
    let r = report(&out);
    let refresh = r.assert_status("refresh", CheckStatus::Problem);
    assert!(refresh.summary.contains("invalid_grant"), "{refresh:#?}");
    let fix = refresh.fix.as_deref().unwrap_or_default();
    assert!(fix.contains("sign in again"), "{refresh:#?}");
}

/// The binary as a plain process, with `bin()`'s clean environment, for tests that choose its
/// standard streams themselves.
fn process() -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("cognito-refresh"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", "/nonexistent")
        .env("NO_PROXY", "*")
        .stdin(std::process::Stdio::null());
    cmd
}

/// The writing end of a pipe whose reading end is already closed: a write to it fails with
/// EPIPE (SIGPIPE is ignored by the binary, as by every Rust program).
fn pipe_without_reader() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer
}

/// Issue 11, item 4: a stderr that cannot be written (`2>/dev/full`, a pipe whose reader is
/// gone) made the first message panic, and the panic hook's own message abort the process:
/// SIGABRT (exit 134) and a core file with the secrets in memory. The message is lost now, and
/// nothing else: the usage error still exits 2.
#[test]
fn an_unwritable_stderr_does_not_abort_the_process() {
    let full = || {
        std::fs::File::options()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    for (what, stderr) in [
        ("/dev/full", std::process::Stdio::from(full())),
        ("a pipe without reader", pipe_without_reader().into()),
    ] {
        // No client id: an error line, then hints, all on stderr.
        let status = process()
            .args(["refresh", "--region", "eu-west-1"])
            .env("COGNITO_REFRESH_TOKEN", RT)
            .stdout(std::process::Stdio::null())
            .stderr(stderr)
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(2), "stderr on {what}: {status:?}");
    }
    // Closed (2>&-): the same.
    let status = std::process::Command::new("sh")
        .args(["-c", r#""$0" refresh --region eu-west-1 2>&-"#])
        .arg(assert_cmd::cargo::cargo_bin("cognito-refresh"))
        .env("COGNITO_REFRESH_TOKEN", RT)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2), "stderr closed: {status:?}");
}

/// Issue 11, item 4: tokens written to a pipe whose reader is gone (or a full disk) were lost
/// and the command exited 0, as if they had been delivered. It now exits 6, the code the
/// README gives an unwritable stdout, with one error line and no secret on stderr; with stderr
/// unwritable as well, it still exits 6 and never aborts.
#[tokio::test]
async fn tokens_that_cannot_be_written_to_stdout_exit_6() {
    use crate::support::wire;
    let server = wire::answering(wire::auth_result(wire::tokens())).await;
    let refresh = || {
        let mut cmd = process();
        cmd.args([
            "refresh",
            "--client-id",
            wire::CLIENT,
            "--region",
            "eu-west-1",
        ])
        .args(["--endpoint-url", &server.uri()])
        .env("COGNITO_REFRESH_TOKEN", wire::REFRESH_TOKEN)
        .env("RUST_BACKTRACE", "1");
        cmd
    };
    let full = || {
        std::fs::File::options()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    for (what, stdout) in [
        (
            "a pipe without reader",
            std::process::Stdio::from(pipe_without_reader()),
        ),
        ("/dev/full", full().into()),
    ] {
        let out = refresh().stdout(stdout).output().unwrap();
        assert_eq!(out.status.code(), Some(6), "stdout on {what}: {out:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("cognito-refresh: error: "), "{err}");
        assert!(err.contains("standard output"), "{err}");
        assert_no_secrets(&out, &[wire::REFRESH_TOKEN, "eyJ"]);
    }
    let status = refresh()
        .stdout(pipe_without_reader())
        .stderr(pipe_without_reader())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(6), "{status:?}");
}

/// Issue 11, item 4: the process holding the refresh token and client secret could be dumped
/// (a core file on a crash) and read by any other process of the same user
/// (`/proc/<pid>/environ`, `/proc/<pid>/mem`, ptrace). It makes itself non-dumpable now, as
/// ssh-agent does: the kernel then hands its `/proc/<pid>/` files to root, and the user's other
/// processes cannot read its environment. Checked from outside, on a `refresh` that waits for a
/// server that never answers. As root, the binary runs as `nobody` for this.
#[test]
fn the_process_holding_secrets_is_not_dumpable() {
    use std::os::unix::fs::MetadataExt as _;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let me = std::fs::metadata("/proc/self/status").unwrap().uid();
    // As root, another user: root may read anything. The binary is opened here and run
    // through its descriptor, so that the directories above it need not admit that user.
    let as_user = |cmd: &str| -> std::process::Command {
        let mut c = std::process::Command::new("sh");
        if me == 0 {
            c.args(["-c", &format!(r#"exec 3< "$0"; exec setpriv --reuid=65534 --regid=65534 --clear-groups {cmd} "$@""#)]);
        } else {
            c.args(["-c", &format!(r#"exec 3< "$0"; exec {cmd} "$@""#)]);
        }
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .arg(assert_cmd::cargo::cargo_bin("cognito-refresh"));
        c
    };
    let user = if me == 0 { 65534 } else { me };
    let mut child = as_user("/proc/self/fd/3")
        .args(["refresh", "--client-id", CLIENT, "--region", "eu-west-1"])
        .args(["--endpoint-url", &endpoint, "--timeout", "20"])
        .env("HOME", "/nonexistent")
        .env("NO_PROXY", "*")
        .env("COGNITO_REFRESH_TOKEN", RT)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The request arrived: the binary is running, past its start.
    let (_connection, _) = listener.accept().unwrap();
    let proc_dir = format!("/proc/{}", child.id());
    let owner = std::fs::metadata(format!("{proc_dir}/status")).map(|m| m.uid());
    let read = as_user("cat")
        .arg(format!("{proc_dir}/environ"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(owner.unwrap(), 0, "{proc_dir}/status should belong to root");
    assert!(
        !read.status.success(),
        "user {user} read {proc_dir}/environ"
    );
    assert!(!String::from_utf8_lossy(&read.stdout).contains(RT));
}

/// Issue 11, item 1: `exec` handed the command every long-lived secret of its own environment:
/// the refresh token, the client secret (which the README's CI recipe sets for the whole job),
/// the variable the profile's `client_secret_env` names, and the sign-in variables. The command
/// now gets the access and ID tokens and none of those; `--pass-env NAME` keeps one on purpose.
#[tokio::test]
async fn exec_hands_the_command_no_long_lived_secret() {
    use crate::support::wire;
    const SECRET: &str = "client-secret-exec-7d41";
    let server = wire::answering(wire::auth_result(wire::tokens())).await;
    let p = Profiles::new();
    p.write_config(&format!(
        "[profiles.ci]\nclient_id = \"{}\"\nregion = \"eu-west-1\"\nendpoint_url = \"{}\"\n\
         api = \"get-tokens\"\nclient_secret_env = \"CI_COGNITO_SECRET\"\n",
        wire::CLIENT,
        server.uri()
    ));
    p.store_expired(&server.uri(), RT);
    let secrets = [
        ("COGNITO_REFRESH_TOKEN", "rt-in-the-environment-2c9d"),
        ("COGNITO_CLIENT_SECRET", "secret-in-the-environment-8e1f"),
        ("CI_COGNITO_SECRET", SECRET),
        ("COGNITO_PASSWORD", "password-3b7a"),
        ("COGNITO_NEW_PASSWORD", "new-password-4c8b"),
        ("COGNITO_MFA_CODE", "123456"),
    ];
    let exec = |pass: &[&str]| {
        let mut cmd = p.cmd();
        cmd.args(["exec", "--profile", "ci", "--force"]);
        for name in pass {
            cmd.args(["--pass-env", name]);
        }
        cmd.args(["--", "env"]).envs(secrets);
        run(&mut cmd, 0)
    };
    let out = exec(&[]);
    let env = stdout(&out);
    assert!(env.contains("COGNITO_ACCESS_TOKEN=eyJ"), "{env}");
    for (name, value) in secrets {
        assert!(
            !env.contains(name) && !env.contains(value),
            "{name} reached the command"
        );
    }
    // The refresh did use the profile's secret variable.
    let sent = wire::requests(&server).await;
    assert_eq!(wire::body(sent.last().unwrap())["ClientSecret"], SECRET);

    let out = exec(&["CI_COGNITO_SECRET", "COGNITO_MFA_CODE"]);
    let env = stdout(&out);
    assert!(
        env.contains(&format!("CI_COGNITO_SECRET={SECRET}\n")),
        "{env}"
    );
    assert!(env.contains("COGNITO_MFA_CODE=123456\n"), "{env}");
    assert!(!env.contains("COGNITO_CLIENT_SECRET"), "{env}");
}

/// Issue 11, item 6: the tokens of a session could be given only on the command line
/// (`--access-token`, `--id-token`), where other local users read them, and without the warning
/// the other secrets draw. `--access-token-file` and `--id-token-file` (`-`: standard input)
/// read them now; standard input serves one secret; the flags with values warn.
#[tokio::test]
async fn session_tokens_are_read_from_files_or_standard_input() {
    use crate::support::wire;
    let dir = tempfile::tempdir().unwrap();
    let access = jwt::access_token(json!({"device_key": "eu-west-1_dev-file"}));
    let id = jwt::id_token();
    let (access_file, id_file) = (dir.path().join("access"), dir.path().join("id"));
    std::fs::write(&access_file, format!("{access}\n")).unwrap();
    std::fs::write(&id_file, &id).unwrap();

    // refresh: the device key from the access token read from its file.
    let server = wire::answering(wire::auth_result(wire::tokens())).await;
    let out = run(
        against_stub("refresh", &server.uri())
            .arg("--access-token-file")
            .arg(&access_file),
        0,
    );
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    let sent = wire::requests(&server).await;
    assert_eq!(
        wire::body(&sent[0])["AuthParameters"]["DEVICE_KEY"],
        "eu-west-1_dev-file"
    );

    // store: the access token from standard input, the ID token from a file.
    let p = Profiles::new();
    let store = || {
        let mut cmd = p.cmd();
        cmd.args(["store", "--profile", "ci", "--client-id", CLIENT])
            .args(["--region", "eu-west-1"]);
        cmd
    };
    let out = run(
        store()
            .env("COGNITO_REFRESH_TOKEN", RT)
            .args(["--access-token-file", "-", "--id-token-file"])
            .arg(&id_file)
            .write_stdin(access.clone()),
        0,
    );
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    let entry = p.entry("ci");
    assert_eq!(entry["access_token"], access.as_str());
    assert_eq!(entry["id_token"], id.as_str());
    assert_eq!(entry["device_key"], "eu-west-1_dev-file");

    // Standard input is read once: not for the refresh token too, given or implied.
    let out = run_failing(
        store()
            .args(["--refresh-token-file", "-", "--access-token-file", "-"])
            .write_stdin(RT),
        2,
        &[RT],
    );
    assert_stderr_contains(&out, "already read from standard input");
    let out = run_failing(
        store()
            .args(["--access-token-file", "-"])
            .write_stdin(access.clone()),
        2,
        &[&access],
    );
    assert_stderr_contains(&out, "no refresh token");

    // On the command line: a warning, as for the other secrets.
    for flag in ["--access-token", "--id-token"] {
        let token = if flag == "--id-token" { &id } else { &access };
        let out = run(
            against_stub("refresh", &server.uri()).args([flag, token.as_str()]),
            0,
        );
        assert_stderr_contains(
            &out,
            &format!("{flag} on the command line can be read by other local users"),
        );
    }
}

/// Bug: the config file was trusted whoever could write it. Another local user who could change
/// it (or the directory holding it) redirected the refresh token to any endpoint, or had any
/// file the user can read sent as the client secret. A config file or directory that group or
/// others can write, or that belongs to neither the user nor root, is now refused: exit 2, one
/// line naming it, and nothing sent.
#[tokio::test]
async fn a_config_file_others_can_write_is_refused() {
    use std::os::unix::fs::PermissionsExt as _;
    let server = wire::answering(wire::auth_result(wire::tokens())).await;
    let p = Profiles::new();
    // `store` creates the config file: what it creates passes the check.
    p.store_expired(&server.uri(), RT);
    let token = || {
        let mut cmd = p.cmd();
        cmd.args(["token", "--profile", "ci", "--force"]);
        cmd
    };
    run(&mut token(), 0);
    let config = p.config();
    let dir = config.parent().unwrap().to_path_buf();
    let chmod = |path: &Path, mode| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    let refused = |named: &Path, says: &str| {
        let out = run_failing(&mut token(), 2, &[RT]);
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(&named.display().to_string()), "{err}");
        assert!(err.contains(says), "{err}");
    };
    for (path, mode, fixed) in [
        (&config, 0o620, 0o600),
        (&config, 0o602, 0o600),
        (&dir, 0o770, 0o700),
        (&dir, 0o1777, 0o700),
    ] {
        chmod(path, mode);
        refused(path, "writable by group or others");
        chmod(path, fixed);
    }
    // Readable by others is not refused: the file holds no secret (a literal client_secret is
    // refused on its own).
    chmod(&config, 0o644);
    run(&mut token(), 0);
    chmod(&config, 0o600);
    // Another user's file: only root can give it away.
    let mine = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&config).unwrap());
    let mut accepted = 2;
    match std::os::unix::fs::chown(&config, Some(65534), None) {
        Ok(()) => {
            refused(&config, "belongs to user id 65534");
            std::os::unix::fs::chown(&config, Some(mine), None).unwrap();
            run(&mut token(), 0);
            accepted += 1;
        }
        Err(_) => without_root("a config file owned by another user"),
    }
    let sent = wire::requests(&server).await.len();
    assert_eq!(
        sent, accepted,
        "one refresh per accepted call, none for a refused one"
    );
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

/// In the network namespace: an HTTP server on 127.0.0.1 (port `argv[1]`) that answers every
/// POST with `argv[2]` in Cognito's content type `argv[3]`, or at `/oauth2/token` with the token
/// endpoint's `argv[4]`. It says `ready` once bound and leaves with the command, as the silent
/// resolver does.
const LOOPBACK_STUB: &str = r#"
import http.server, sys, time
port, cognito, content_type, oauth2 = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
class Stub(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        token_endpoint = self.path.startswith("/oauth2/token")
        body = (oauth2 if token_endpoint else cognito).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json" if token_endpoint else content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", port), Stub)
server.timeout = 0.2
def command_running():
    try:
        sys.stdout.write(".")
        sys.stdout.flush()
        return True
    except BrokenPipeError:
        return False
print("ready", flush=True)
deadline = time.monotonic() + 30
while time.monotonic() < deadline and command_running():
    server.handle_request()
"#;

/// Like `IN_NAMESPACE`, with an /etc/hosts (`$3`) over the system's too, and the loopback stub
/// (`$4`, its arguments `$5`..`$8`) instead of a resolver.
const IN_NAMESPACE_WITH_HOSTS: &str = r#"
set -e
ip link set lo up
mount --bind "$2" /etc/resolv.conf
mount --bind "$3" /etc/hosts
exec 3< <("$1" -c "$4" "$5" "$6" "$7" "$8" 2>/dev/null)
read -r ready <&3
shift 8
exec "$@"
"#;

/// Bug: `localhost` in an endpoint was looked up through the system resolver, so a resolver
/// (here /etc/hosts) naming another address received the plain-http request, refresh token
/// included (a15c21e: exit 5, "Network is unreachable" connecting to 192.0.2.1). It is now the
/// loopback address without any lookup: with /etc/hosts mapping `localhost` elsewhere and no
/// DNS server answering, both the SDK's endpoint and the token endpoint's domain reach the stub
/// on 127.0.0.1.
#[test]
fn localhost_in_an_endpoint_is_loopback_without_a_lookup() {
    let Some(unshare) = network_namespace(&["--mount"]) else {
        return without_root("a network namespace with its own /etc/hosts");
    };
    let dir = tempfile::tempdir().unwrap();
    let resolv = dir.path().join("resolv.conf");
    std::fs::write(
        &resolv,
        "nameserver 127.0.0.1\noptions timeout:5 attempts:2\n",
    )
    .unwrap();
    let hosts = dir.path().join("hosts");
    std::fs::write(&hosts, "192.0.2.1 localhost\n").unwrap();
    let port = free_port().to_string();
    let cognito = json!({"AuthenticationResult": wire::tokens()}).to_string();
    let oauth2 = json!({
        "access_token": jwt::access_token(json!({})),
        "token_type": "Bearer",
        "expires_in": 3600,
    })
    .to_string();
    let python = std::env::var_os("COGNITO_REFRESH_TEST_PYTHON").unwrap_or("python3".into());
    let endpoint = format!("http://localhost:{port}");
    for api in [
        ["--endpoint-url", &endpoint, "--region", "eu-west-1"],
        ["--domain", &endpoint, "--api", "oauth2"],
    ] {
        let mut cmd = assert_cmd::Command::new("unshare");
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .env("NO_PROXY", "*")
            .env("COGNITO_REFRESH_TOKEN", RT)
            .args(&unshare)
            .args(["--mount", "bash", "-c", IN_NAMESPACE_WITH_HOSTS, "bash"])
            .arg(&python)
            .args([&resolv, &hosts])
            .arg(LOOPBACK_STUB)
            .args([&port, &cognito, wire::CONTENT_TYPE, &oauth2])
            .arg(assert_cmd::cargo::cargo_bin("cognito-refresh"))
            .args(["refresh", "--client-id", CLIENT, "--timeout", "3"])
            .args(api);
        let out = run(&mut cmd, 0);
        let tokens = json_tokens(&out);
        assert!(!tokens.access_token.is_empty(), "{api:?}");
        assert_no_secrets(&out, &[RT]);
    }
}

/// Bug: an https token endpoint whose certificate no trusted authority signed failed as a
/// network error (exit 5, "check the network"), where the SDK's path said "not trusted" (exit
/// 1): retrying cannot help, trusting the right CA does.
#[test]
fn an_untrusted_certificate_at_the_token_endpoint_is_not_transient() {
    let ca = crate::support::net::TestCa::new();
    let stub = ca.stub();
    let mut cmd = bin();
    cmd.env("COGNITO_REFRESH_TOKEN", wire::REFRESH_TOKEN)
        .args(["refresh", "--client-id", wire::CLIENT, "--api", "oauth2"])
        .args(["--domain", &format!("https://{stub}")]);
    let out = run_failing(&mut cmd, 1, &[wire::REFRESH_TOKEN]);
    assert_stderr_contains(&out, "hint: the server's certificate is not trusted");
}
