//! Helpers shared by the test modules: the binary with a clean environment, the output
//! contract, and the check that no secret leaks.

use crate::support::{jwt, wire};
use assert_cmd::Command;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::process::Output;
use std::sync::OnceLock;
use tempfile::TempDir;

/// An empty home directory: no ~/.aws, no config of any kind.
fn empty_home() -> &'static TempDir {
    static HOME: OnceLock<TempDir> = OnceLock::new();
    HOME.get_or_init(|| tempfile::tempdir().expect("temporary home"))
}

/// The built binary, with an environment holding nothing but PATH and an empty HOME, so that
/// neither the developer's AWS settings nor their COGNITO_* variables reach a test.
pub fn bin() -> Command {
    let mut cmd = Command::cargo_bin("cognito-refresh").expect("the binary is built");
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", empty_home().path())
        // Proxies must not carry loopback test traffic anywhere.
        .env("NO_PROXY", "*");
    cmd
}

/// The binary running `command` (`refresh`, `diagnose`) for the stubs' app client in eu-west-1,
/// against the stub at `endpoint`, with the stubs' refresh token in the environment.
pub fn against_stub(command: &str, endpoint: &str) -> Command {
    let mut cmd = bin();
    cmd.args([
        command,
        "--client-id",
        wire::CLIENT,
        "--region",
        "eu-west-1",
    ])
    .args(["--endpoint-url", endpoint])
    .env("COGNITO_REFRESH_TOKEN", wire::REFRESH_TOKEN);
    cmd
}

/// `cmd` as a plain process with the same program and environment, for tests that start it,
/// signal it and wait for it themselves.
pub fn process_of(cmd: &Command) -> std::process::Command {
    let mut process = std::process::Command::new(cmd.get_program());
    process
        .env_clear()
        .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .args(cmd.get_args());
    process
}

/// A loopback port that was just free: nothing listens there.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free loopback port")
        .local_addr()
        .unwrap()
        .port()
}

/// `--output json`, the contract: unknown fields fail the test.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonTokens {
    pub access_token: String,
    pub id_token: Option<String>,
    pub token_type: String,
    pub expires_in: i64,
    pub expires_at: String,
    pub refresh_token: Option<String>,
    pub new_device: Option<JsonDevice>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct JsonDevice {
    pub device_key: Option<String>,
    pub device_group_key: Option<String>,
}

/// `--output aws`: what `aws cognito-idp initiate-auth` prints.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct AwsOutput {
    pub challenge_parameters: Option<serde_json::Map<String, Value>>,
    pub authentication_result: AwsResult,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct AwsResult {
    pub access_token: String,
    pub expires_in: i64,
    pub token_type: String,
    pub id_token: Option<String>,
    pub refresh_token: Option<String>,
    pub new_device_metadata: Option<Value>,
}

/// Stdout read as `contract`, the JSON a command promises; panics (showing both streams) when
/// it is not.
fn parse_stdout<T: DeserializeOwned>(out: &Output, contract: &str) -> T {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not the {contract} ({e}):\n{}\nstderr:\n{}",
            stdout(out),
            stderr(out)
        )
    })
}

pub fn json_tokens(out: &Output) -> JsonTokens {
    parse_stdout(out, "JSON contract")
}

/// The claims of a JWT, unverified.
pub fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("three parts");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs and asserts the exit code, showing both streams when it differs.
pub fn run(cmd: &mut Command, code: i32) -> Output {
    let out = cmd.output().expect("the binary runs");
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(&out),
        stderr(&out)
    );
    out
}

/// A failure: the exit code, exactly one `error:` line, no panic and no backtrace (with
/// RUST_BACKTRACE=1 set, so that one would show), and none of the secrets anywhere in the output.
pub fn run_failing(cmd: &mut Command, code: i32, secrets: &[&str]) -> Output {
    let out = run(cmd.env("RUST_BACKTRACE", "1"), code);
    let err = stderr(&out);
    let errors = err
        .lines()
        .filter(|l| l.starts_with("cognito-refresh: error: "))
        .count();
    assert_eq!(errors, 1, "one error line: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.contains("internal error"), "{err}");
    assert!(!err.contains("backtrace"), "{err}");
    assert_no_secrets(&out, secrets);
    out
}

/// Asserts that stderr says `text`, showing stderr when it does not.
#[track_caller]
pub fn assert_stderr_contains(out: &Output, text: &str) {
    let err = stderr(out);
    assert!(err.contains(text), "{err}");
}

pub fn assert_no_secrets(out: &Output, secrets: &[&str]) {
    let all = format!("{}\n{}", stdout(out), stderr(out));
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        assert!(!all.contains(secret), "a secret reached the output:\n{all}");
    }
}

/// A config file and a token store of their own, for one test: every command from `cmd()`
/// uses them (through COGNITO_REFRESH_CONFIG and COGNITO_REFRESH_STORE), and nothing else.
pub struct Profiles {
    pub dir: TempDir,
}

impl Profiles {
    pub fn new() -> Profiles {
        Profiles {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub fn config(&self) -> std::path::PathBuf {
        self.dir.path().join("config").join("config.toml")
    }

    pub fn store(&self) -> std::path::PathBuf {
        self.dir.path().join("state").join("cognito-refresh")
    }

    /// A profile's store file.
    pub fn store_file(&self, profile: &str) -> std::path::PathBuf {
        self.store().join(format!("{profile}.json"))
    }

    /// The binary, with this config file and store.
    pub fn cmd(&self) -> Command {
        let mut cmd = bin();
        cmd.env("COGNITO_REFRESH_CONFIG", self.config())
            .env("COGNITO_REFRESH_STORE", self.store());
        cmd
    }

    /// A profile's store file, parsed.
    pub fn entry(&self, profile: &str) -> Value {
        let text = std::fs::read_to_string(self.store_file(profile)).expect("the store file");
        serde_json::from_str(&text).expect("the store file is JSON")
    }

    /// Stores `refresh_token` for profile `ci` of the stubs' app client, aimed at the stub at
    /// `endpoint` through GetTokensFromRefreshToken (which rotation needs), with an access token
    /// that expired a minute ago: the profile's next `token` refreshes.
    pub fn store_expired(&self, endpoint: &str, refresh_token: &str) {
        let expired = jwt::access_token(json!({
            "exp": time::OffsetDateTime::now_utc().unix_timestamp() - 60,
        }));
        run(
            self.cmd()
                .args(["store", "--profile", "ci", "--client-id", wire::CLIENT])
                .args(["--region", "eu-west-1", "--endpoint-url", endpoint])
                .args(["--api", "get-tokens", "--access-token", &expired])
                .env("COGNITO_REFRESH_TOKEN", refresh_token),
            0,
        );
    }

    /// Writes the config file, 0600 in a 0700 directory.
    pub fn write_config(&self, text: &str) {
        write_private(&self.config(), text);
    }
}

/// A stand-in for the instance metadata service, where the binary is pointed (by
/// AWS_EC2_METADATA_SERVICE_ENDPOINT, set to `endpoint()`) to show that it never asks it: it
/// accepts no connection, and a test asserts that none was waiting.
pub struct Imds(std::net::TcpListener);

impl Imds {
    pub fn new() -> Imds {
        Imds(std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port"))
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.0.local_addr().unwrap())
    }

    /// Asserts that nothing connected.
    pub fn assert_not_contacted(&self) {
        self.0.set_nonblocking(true).unwrap();
        assert_eq!(
            self.0.accept().map(|_| ()).unwrap_err().kind(),
            std::io::ErrorKind::WouldBlock,
            "the metadata service was contacted"
        );
    }
}

/// The Unix permission bits of a file.
pub fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

/// `diagnose --output json`, the contract: unknown fields fail the test.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub refreshed: bool,
    pub exit_code: i32,
    pub error: Option<String>,
    pub succeeded: Option<String>,
    pub checks: Vec<ReportCheck>,
    pub new_refresh_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportCheck {
    pub id: String,
    pub status: CheckStatus,
    pub summary: String,
    pub detail: Option<String>,
    pub fix: Option<String>,
    /// The request id of the answer to the check's request, when the server sent one.
    pub request_id: Option<String>,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Ok,
    Problem,
    Warning,
    Unknown,
    Skipped,
}

impl Report {
    /// The check with this id; panics (showing the report) when it was not made.
    pub fn check(&self, id: &str) -> &ReportCheck {
        self.checks
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no check {id} in {self:#?}"))
    }

    /// The ids of the attempts made after the first.
    pub fn attempts(&self) -> Vec<&str> {
        self.checks
            .iter()
            .filter(|c| c.id.starts_with("attempt."))
            .map(|c| c.id.as_str())
            .collect()
    }

    /// Asserts a check's status, showing the check when it differs.
    pub fn assert_status(&self, id: &str, status: CheckStatus) -> &ReportCheck {
        let c = self.check(id);
        assert_eq!(c.status, status, "{c:#?}");
        c
    }
}

/// The JSON report of a `diagnose -o json` run, after checking its exit code against the
/// report's own.
pub fn report(out: &Output) -> Report {
    let r: Report = parse_stdout(out, "diagnose JSON contract");
    assert_eq!(out.status.code(), Some(r.exit_code), "{r:#?}");
    assert_eq!(r.refreshed, r.exit_code == 0, "{r:#?}");
    r
}

/// For a test that needs root (as CI and `scripts/test` on this project's machines have): it
/// fails, so that it is never counted as passed without checking anything, unless the developer
/// opted out with COGNITO_REFRESH_TESTS_WITHOUT_ROOT=1, when it says so and checks nothing.
pub fn without_root(what: &str) {
    if std::env::var_os("COGNITO_REFRESH_TESTS_WITHOUT_ROOT").is_some_and(|v| v == "1") {
        eprintln!("not checked: {what} needs root (COGNITO_REFRESH_TESTS_WITHOUT_ROOT=1)");
        return;
    }
    panic!(
        "{what} needs root; run the tests as root, or set COGNITO_REFRESH_TESTS_WITHOUT_ROOT=1 \
         to leave this check out knowingly"
    );
}

/// The `unshare` flags that make a new network namespace here, together with the namespaces
/// `also` names (`--mount`): `--net` as root (as in CI), else with a user namespace mapping this
/// user to root; `None` when neither works (see `without_root`).
pub fn network_namespace(also: &[&str]) -> Option<Vec<&'static str>> {
    [&["--net"][..], &["--map-root-user", "--net"]]
        .into_iter()
        .find(|flags| {
            std::process::Command::new("unshare")
                .args(*flags)
                .args(also)
                .arg("true")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .map(<[_]>::to_vec)
}

/// Writes `text` to `path`, 0600, in a 0700 directory made when needed: a config file as the
/// tool accepts it.
pub fn write_private(path: &std::path::Path, text: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = path.parent().unwrap();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}
