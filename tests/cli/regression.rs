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
