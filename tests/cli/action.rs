//! The GitHub Action (action.yml), run as the runner runs a composite action: each step's `run:`
//! with bash, its `env:` filled in from the inputs, and GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH,
//! RUNNER_OS, RUNNER_ARCH and RUNNER_TEMP pointing at a temporary directory. The release archive
//! is scripts/package's, holding the binary under test, served from 127.0.0.1; Cognito is the
//! wire-format stub. The log is every line the steps print, in order.

use crate::package::{archive_target, packaged};
use crate::support::jwt;
use crate::support::wire::{self, CLIENT, REFRESH_TOKEN, auth_result, tokens};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use tempfile::TempDir;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "action-client-s3cr3t";
const ROTATED: &str = "rotated-refresh-token-action";
/// The job's own AWS access key id, which no output may carry.
pub(crate) const JOB_AWS_KEY: &str = "AKIAJOBSOWNKEY000000";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One step of action.yml: its id, its environment (expressions as written) and its command.
#[derive(Debug)]
struct Step {
    id: String,
    env: Vec<(String, String)>,
    run: String,
}

/// The inputs' defaults and the steps, read from action.yml (the shape it keeps: one-line
/// `run:`, `env:` maps of `NAME: value`).
fn action() -> (BTreeMap<String, String>, Vec<Step>) {
    let text = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    let mut defaults = BTreeMap::new();
    let mut steps: Vec<Step> = Vec::new();
    let mut section = "";
    let mut input = String::new();
    let mut in_env = false;
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if indent == 0 {
            section = if trimmed == "inputs:" { "inputs" } else { "" };
            if trimmed == "runs:" {
                section = "runs";
            }
            continue;
        }
        match section {
            "inputs" if indent == 2 => {
                input = trimmed.trim_end_matches(':').to_owned();
                defaults.insert(input.clone(), String::new());
            }
            "inputs" => {
                if let Some(value) = trimmed.strip_prefix("default: ") {
                    defaults.insert(input.clone(), value.trim_matches('"').to_owned());
                }
            }
            "runs" => {
                if trimmed.starts_with("- name:") {
                    steps.push(Step {
                        id: String::new(),
                        env: Vec::new(),
                        run: String::new(),
                    });
                    in_env = false;
                } else if let Some(step) = steps.last_mut() {
                    if let Some(id) = trimmed.strip_prefix("id: ") {
                        step.id = id.to_owned();
                    } else if let Some(run) = trimmed.strip_prefix("run: ") {
                        step.run = run.to_owned();
                        in_env = false;
                    } else if trimmed == "env:" {
                        in_env = true;
                    } else if in_env && indent == 8 {
                        let (name, value) = trimmed.split_once(": ").expect(trimmed);
                        step.env.push((name.to_owned(), value.to_owned()));
                    } else {
                        in_env = false;
                    }
                }
            }
            _ => {}
        }
    }
    assert_eq!(
        steps.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["install", "tokens"],
        "{steps:?}"
    );
    (defaults, steps)
}

/// `${{ inputs.NAME }}` and `${{ github.action_repository }}`; anything else fails the test, so
/// that the test runs what the runner would.
fn expand(value: &str, inputs: &BTreeMap<String, String>) -> String {
    let Some(expr) = value
        .strip_prefix("${{ ")
        .and_then(|v| v.strip_suffix(" }}"))
    else {
        assert!(!value.contains("${{"), "an expression inside text: {value}");
        return value.to_owned();
    };
    if let Some(name) = expr.strip_prefix("inputs.") {
        return inputs
            .get(name)
            .unwrap_or_else(|| panic!("no input {name}"))
            .clone();
    }
    assert_eq!(
        expr, "github.action_repository",
        "an expression the test does not know"
    );
    "example/cognito-refresh".to_owned()
}

/// A runner's files and directories for one job.
pub(crate) struct Runner {
    dir: TempDir,
}

impl Runner {
    pub(crate) fn new() -> Runner {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("temp")).unwrap();
        for file in ["output", "env", "path", "log"] {
            std::fs::write(dir.path().join(file), "").unwrap();
        }
        Runner { dir }
    }

    pub(crate) fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.file(name)).unwrap()
    }

    /// Runs the action's steps with these inputs (over the defaults) until one fails; returns
    /// whether all succeeded. `path_first`: a directory put first on PATH.
    pub(crate) fn run(&self, given: &[(&str, &str)], path_first: Option<&Path>) -> bool {
        let (mut inputs, steps) = action();
        for (name, value) in given {
            assert!(inputs.contains_key(*name), "no input {name}");
            inputs.insert((*name).to_owned(), (*value).to_owned());
        }
        let arch = match std::env::consts::ARCH {
            "x86_64" => "X64",
            "aarch64" => "ARM64",
            other => panic!("no runner for {other}"),
        };
        let os = if cfg!(target_os = "macos") {
            "macOS"
        } else {
            "Linux"
        };
        let path = std::env::var_os("PATH").unwrap_or_default();
        let path = std::env::join_paths(
            path_first
                .map(Path::to_path_buf)
                .into_iter()
                .chain(std::env::split_paths(&path)),
        )
        .unwrap();
        for step in steps {
            // Each step's output goes to the one log, stdout and stderr interleaved as a
            // runner shows them.
            let log = std::fs::OpenOptions::new()
                .append(true)
                .open(self.file("log"))
                .unwrap();
            let mut cmd = Command::new("bash");
            cmd.arg("-e")
                .arg("-c")
                .arg(&step.run)
                .env_clear()
                .env("PATH", &path)
                .env("HOME", self.dir.path())
                .env("GITHUB_ACTION_PATH", repo())
                .env("GITHUB_OUTPUT", self.file("output"))
                .env("GITHUB_ENV", self.file("env"))
                .env("GITHUB_PATH", self.file("path"))
                .env("RUNNER_OS", os)
                .env("RUNNER_ARCH", arch)
                .env("RUNNER_TEMP", self.file("temp"))
                // A job's environment the action must not take for its inputs or outputs.
                .env("COGNITO_CLIENT_ID", "not-this-client")
                .env("COGNITO_PROFILE", "not-this-profile")
                .env("COGNITO_DEVICE_KEY", "eu-west-1_not-this-device")
                .env("COGNITO_USER_POOL_ID", "us-east-1_NotThisPool")
                .env("COGNITO_DOMAIN", "https://not-this-domain.example")
                .env("AWS_ACCESS_KEY_ID", JOB_AWS_KEY)
                .env("NO_PROXY", "*")
                .stdout(Stdio::from(log.try_clone().unwrap()))
                .stderr(Stdio::from(log));
            for (name, value) in &step.env {
                cmd.env(name, expand(value, &inputs));
            }
            if !cmd.status().unwrap().success() {
                return false;
            }
        }
        true
    }

    /// `name=value` lines of GITHUB_OUTPUT or GITHUB_ENV.
    pub(crate) fn pairs(&self, file: &str) -> BTreeMap<String, String> {
        self.read(file)
            .lines()
            .map(|l| {
                let (k, v) = l.split_once('=').expect(l);
                (k.to_owned(), v.to_owned())
            })
            .collect()
    }

    /// Each secret's mask line comes first, and no other line of the log holds it.
    pub(crate) fn assert_masked(&self, secrets: &[&str]) {
        let log = self.read("log");
        for secret in secrets {
            assert!(!secret.is_empty());
            let mask = format!("::add-mask::{secret}");
            let lines: Vec<&str> = log.lines().filter(|l| l.contains(secret)).collect();
            assert_eq!(lines.first(), Some(&mask.as_str()), "{secret} in:\n{log}");
            assert!(lines[1..].iter().all(|l| *l == mask), "{secret} in:\n{log}");
        }
    }
}

/// Serves the packaged archive and its sum where the action looks for release `v{version}`;
/// `sum` replaces the sum file's text when given.
pub(crate) async fn releases(sum: Option<&str>) -> MockServer {
    let archive = &packaged().archive;
    let name = archive.file_name().unwrap().to_str().unwrap().to_owned();
    let server = MockServer::start().await;
    let dir = format!("/v{}", env!("CARGO_PKG_VERSION"));
    Mock::given(method("GET"))
        .and(path(format!("{dir}/{name}")))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(std::fs::read(archive).unwrap()))
        .mount(&server)
        .await;
    let sum_text = match sum {
        Some(text) => text.to_owned(),
        None => std::fs::read_to_string(format!("{}.sha256", archive.display())).unwrap(),
    };
    Mock::given(method("GET"))
        .and(path(format!("{dir}/{name}.sha256")))
        .respond_with(ResponseTemplate::new(200).set_body_string(sum_text))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn action_installs_the_release_and_sets_masked_outputs() {
    let downloads = releases(None).await;
    let cognito = MockServer::start().await;
    let access = jwt::access_token(json!({"username": "alice"}));
    wire::on("InitiateAuth")
        .respond_with(auth_result(wire::tokens_with(&access)))
        .expect(1)
        .mount(&cognito)
        .await;
    let runner = Runner::new();
    let ok = runner.run(
        &[
            ("client-id", CLIENT),
            ("refresh-token", REFRESH_TOKEN),
            ("region", "eu-west-1"),
            ("endpoint-url", &cognito.uri()),
            ("download-url", &downloads.uri()),
        ],
        None,
    );
    assert!(ok, "{}", runner.read("log"));

    let bin_dir = runner.file("temp").join("cognito-refresh").join("bin");
    assert_eq!(runner.read("path"), format!("{}\n", bin_dir.display()));
    let outputs = runner.pairs("output");
    assert_eq!(
        outputs["path"],
        bin_dir.join("cognito-refresh").display().to_string()
    );
    assert_eq!(outputs["access-token"], access);
    assert_eq!(outputs["id-token"], jwt::id_token());
    assert!(outputs["expires-at"].ends_with('Z'), "{outputs:?}");
    assert_eq!(outputs["refresh-token"], "");
    // No identity pool: no AWS credentials, and never the job's own.
    for name in [
        "aws-access-key-id",
        "aws-secret-access-key",
        "aws-session-token",
    ] {
        assert_eq!(outputs[name], "", "{name}");
    }
    // Not asked to: nothing in the job's environment.
    assert_eq!(runner.read("env"), "");
    runner.assert_masked(&[REFRESH_TOKEN, &access, &jwt::id_token()]);

    let reqs = wire::requests(&cognito).await;
    let body = wire::body(&reqs[0]);
    assert_eq!(
        body["ClientId"], CLIENT,
        "the input, not the job's COGNITO_CLIENT_ID"
    );
    assert_eq!(body["AuthParameters"]["REFRESH_TOKEN"], REFRESH_TOKEN);
    assert_eq!(
        body["AuthParameters"].get("DEVICE_KEY"),
        None,
        "no device-key input: not the job's COGNITO_DEVICE_KEY"
    );
    let log = runner.read("log");
    assert!(
        !log.contains("us-east-1"),
        "the region input, not the job's COGNITO_USER_POOL_ID: {log}"
    );
    assert!(
        log.contains(&format!("Downloading {}/v", downloads.uri())),
        "{log}"
    );
    assert!(log.contains(&archive_target()), "{log}");
}

#[tokio::test]
async fn action_exports_tokens_and_masks_the_secret_and_the_rotated_token() {
    let downloads = releases(None).await;
    let mut rotated = tokens();
    rotated["RefreshToken"] = json!(ROTATED);
    let cognito = wire::answering(auth_result(rotated.clone())).await;
    let runner = Runner::new();
    let ok = runner.run(
        &[
            ("client-id", CLIENT),
            ("refresh-token", &format!("{REFRESH_TOKEN}\n")),
            ("client-secret", SECRET),
            ("api", "get-tokens"),
            ("user-pool-id", wire::POOL),
            ("endpoint-url", &cognito.uri()),
            ("download-url", &downloads.uri()),
            ("export-env", "true"),
        ],
        None,
    );
    assert!(ok, "{}", runner.read("log"));
    let access = rotated["AccessToken"].as_str().unwrap();
    let outputs = runner.pairs("output");
    assert_eq!(outputs["refresh-token"], ROTATED);
    let env = runner.pairs("env");
    assert_eq!(
        env.keys().collect::<Vec<_>>(),
        [
            "COGNITO_ACCESS_TOKEN",
            "COGNITO_ID_TOKEN",
            "COGNITO_TOKEN_EXPIRES_AT"
        ]
    );
    assert_eq!(env["COGNITO_ACCESS_TOKEN"], access);
    assert_eq!(env["COGNITO_TOKEN_EXPIRES_AT"], outputs["expires-at"]);
    runner.assert_masked(&[REFRESH_TOKEN, SECRET, access, &jwt::id_token(), ROTATED]);
    assert!(
        runner.read("log").contains("::warning::"),
        "{}",
        runner.read("log")
    );
    let reqs = wire::requests(&cognito).await;
    assert_eq!(wire::body(&reqs[0])["ClientSecret"], SECRET);
}

#[tokio::test]
async fn action_installs_nothing_when_the_sum_does_not_match() {
    let name = packaged().archive.file_name().unwrap().to_str().unwrap();
    let downloads = releases(Some(&format!("{}  {name}\n", "0".repeat(64)))).await;
    let runner = Runner::new();
    let ok = runner.run(
        &[
            ("client-id", CLIENT),
            ("refresh-token", REFRESH_TOKEN),
            ("download-url", &downloads.uri()),
        ],
        None,
    );
    assert!(!ok);
    let log = runner.read("log");
    assert!(log.contains("does not match its SHA-256 sum"), "{log}");
    assert_eq!(runner.read("path"), "");
    assert!(
        !runner
            .file("temp")
            .join("cognito-refresh")
            .join("bin")
            .exists()
    );
}

#[tokio::test]
async fn action_builds_with_cargo_install_when_no_release_matches() {
    // No archive of this version: the server answers 404.
    let downloads = MockServer::start().await;
    let cognito = wire::answering(auth_result(tokens())).await;
    // A cargo that records its arguments and installs the binary under test where
    // `cargo install --root` would.
    let tools = tempfile::tempdir().unwrap();
    let record = tools.path().join("cargo-args");
    let fake = tools.path().join("cargo");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n\
             while [ \"$1\" != --root ]; do shift; done\n\
             mkdir -p \"$2/bin\" && cp '{}' \"$2/bin/cognito-refresh\"\n",
            record.display(),
            packaged().binary.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();

    let runner = Runner::new();
    let ok = runner.run(
        &[
            ("client-id", CLIENT),
            ("refresh-token", REFRESH_TOKEN),
            ("region", "eu-west-1"),
            ("endpoint-url", &cognito.uri()),
            ("download-url", &downloads.uri()),
            ("version", "v0.0.1"),
        ],
        Some(tools.path()),
    );
    assert!(ok, "{}", runner.read("log"));
    let root = runner.file("temp").join("cognito-refresh");
    assert_eq!(
        std::fs::read_to_string(&record).unwrap(),
        format!(
            "install\n--locked\n--quiet\n--path\n{}\n--root\n{}\n",
            repo().display(),
            root.display()
        )
    );
    assert!(
        runner
            .read("log")
            .contains("building it with cargo install")
    );
    assert!(!runner.pairs("output")["access-token"].is_empty());
}
