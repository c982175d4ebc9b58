//! The token store against an HTTP stub answering in Cognito's wire format: refresh token
//! rotation, concurrent processes, a process dying mid-write, a read-only store, a full disk.

use crate::support::{jwt, wire};
use crate::util::*;
use serde_json::{Value, json};
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
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

/// In a private mount namespace: a tmpfs of 1 MiB at "$1" (0700), the store "$2" copied into it
/// (as "$1/store"), and a file filling it but for "$3" bytes; then the command, after which
/// the store is copied back over "$2" for the test to read. Nothing outlives the namespace.
const ON_A_SMALL_DISK: &str = r#"
set -e
mount -t tmpfs -o size=1m,mode=0700 tmpfs "$1"
cp -a "$2" "$1/store"
cat /dev/zero > "$1/filler" 2>/dev/null || true
truncate -s "-$3" "$1/filler"
disk=$1 store=$2
shift 3
set +e
"$@"
status=$?
rm -rf "$store" && cp -a "$disk/store" "$store" || exit 99
exit $status
"#;

/// Whether a tmpfs can be mounted in a private mount namespace here (root can).
fn can_mount_a_tmpfs(disk: &Path) -> bool {
    std::process::Command::new("unshare")
        .args(["--mount", "mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(disk)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Rotates as [`Rotating`] does, after filling the namespace's tmpfs to the last byte: the disk
/// is full when the answer arrives.
struct FillsTheDisk {
    rotating: Rotating,
    /// The tmpfs, as `/proc/PID/root/...` of a process in the namespace, once known.
    disk: Arc<OnceLock<PathBuf>>,
    /// Whether the disk was filled, up to ENOSPC.
    filled: Arc<AtomicBool>,
}

impl Respond for FillsTheDisk {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        use std::io::Write as _;
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.disk.get().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        if let Some(disk) = self.disk.get()
            && let Ok(mut f) = std::fs::File::create(disk.join("more"))
        {
            let zeros = [0u8; 4096];
            let full = loop {
                if let Err(e) = f.write_all(&zeros) {
                    break e.raw_os_error() == Some(28);
                }
            };
            self.filled.store(full, Ordering::SeqCst);
        }
        self.rotating.respond(req)
    }
}

/// A stub that fills the disk as it rotates, and the mount point of that disk.
struct SmallDisk {
    server: MockServer,
    _dir: tempfile::TempDir,
    mount_point: PathBuf,
    seen_from_outside: Arc<OnceLock<PathBuf>>,
    filled: Arc<AtomicBool>,
}

impl SmallDisk {
    /// `None` when no tmpfs can be mounted here.
    async fn new() -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let mount_point = dir.path().join("disk");
        std::fs::create_dir(&mount_point).unwrap();
        if !can_mount_a_tmpfs(&mount_point) {
            return None;
        }
        let server = MockServer::start().await;
        let fills = FillsTheDisk {
            rotating: Rotating {
                calls: AtomicU64::new(0),
                delay: Duration::ZERO,
            },
            disk: Arc::default(),
            filled: Arc::default(),
        };
        let (seen_from_outside, filled) = (fills.disk.clone(), fills.filled.clone());
        wire::mount(&server, "GetTokensFromRefreshToken", fills).await;
        Some(SmallDisk {
            server,
            _dir: dir,
            mount_point,
            seen_from_outside,
            filled,
        })
    }

    /// The binary with `args` and the store of `p` on the tmpfs, which has `free` bytes left.
    fn run(&self, p: &Profiles, free: u64, args: &[&str]) -> std::process::Output {
        let child = std::process::Command::new("unshare")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", p.dir.path())
            .env("NO_PROXY", "*")
            .env("COGNITO_REFRESH_CONFIG", p.config())
            .env("COGNITO_REFRESH_STORE", self.mount_point.join("store"))
            .args(["--mount", "sh", "-c", ON_A_SMALL_DISK, "sh"])
            .arg(&self.mount_point)
            .arg(p.store())
            .arg(free.to_string())
            .arg(assert_cmd::cargo::cargo_bin("cognito-refresh"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("unshare runs");
        let outside = format!("/proc/{}/root{}", child.id(), self.mount_point.display());
        self.seen_from_outside.set(outside.into()).unwrap();
        child.wait_with_output().unwrap()
    }
}

/// Runs `args` on profile `ci`, its store on a 1 MiB tmpfs that the stub fills while it
/// rotates, and checks that the rotated refresh token was kept; `None` without root.
async fn rotated_while_the_disk_fills(args: &[&str]) -> Option<(std::process::Output, SmallDisk)> {
    let disk = SmallDisk::new().await?;
    let p = Profiles::new();
    p.store_expired(&disk.server.uri(), RT);
    let out = disk.run(&p, 256 * 1024, args);
    let filled = disk.filled.load(Ordering::SeqCst);
    assert!(filled, "the stub filled the disk");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(sent_refresh_tokens(&disk.server).await[0], RT);
    assert_eq!(p.entry("ci")["refresh_token"], "rt-rotated-1");
    Some((out, disk))
}

/// Bug: a rotated refresh token was lost to a full disk. The temporary store file was created
/// empty before the refresh and written after it: when the disk filled meanwhile, the write
/// failed with ENOSPC after the server had rotated (with no grace period), and the next call
/// was refused. The room is now reserved before the request: on a 1 MiB tmpfs that the stub
/// fills during the refresh, the new refresh token is stored.
#[tokio::test]
async fn a_rotated_refresh_token_survives_a_disk_that_fills_during_the_refresh() {
    let Some((out, disk)) = rotated_while_the_disk_fills(&["token", "--profile", "ci"]).await
    else {
        return without_root("a tmpfs in a private mount namespace");
    };
    assert_eq!(sent_refresh_tokens(&disk.server).await, [RT]);
    assert_eq!(claims(stdout(&out).trim_end())["jti"], 1);
    assert_no_secrets(&out, &[RT, "rt-rotated-1"]);
}

/// Bug: on a disk already full, the refresh went ahead, and its rotated refresh token was
/// lost when the store file could not be written. Now the refresh is not made: exit 2 naming
/// the store file, and the stored refresh token stays the valid one.
#[tokio::test]
async fn a_full_disk_is_exit_2_before_the_refresh() {
    let Some(disk) = SmallDisk::new().await else {
        return without_root("a tmpfs in a private mount namespace");
    };
    let p = Profiles::new();
    p.store_expired(&disk.server.uri(), RT);

    let out = disk.run(&p, 0, &["token", "--profile", "ci"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_stderr_contains(&out, "ci.json");
    assert!(sent_refresh_tokens(&disk.server).await.is_empty());
    assert_eq!(p.entry("ci")["refresh_token"], RT);
    assert_no_secrets(&out, &[RT]);
}

/// Bug: `diagnose --profile` kept a rotated refresh token the way `token` did before: its store
/// file was begun only after the refresh, so a disk that filled meanwhile lost the new token.
/// (Its report shows the new token on purpose; the store must keep it too.)
#[tokio::test]
async fn diagnose_keeps_a_rotated_refresh_token_on_a_disk_that_fills() {
    if rotated_while_the_disk_fills(&["diagnose", "--profile", "ci"])
        .await
        .is_none()
    {
        without_root("a tmpfs in a private mount namespace");
    }
}
