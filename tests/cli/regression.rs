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
