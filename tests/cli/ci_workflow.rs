//! The GitHub workflow keeps testing what the project promises: the tests that need root run as
//! root, and a job builds and tests with the `rust-version` Cargo.toml declares. These read the
//! files (`.github/workflows/*.yml`, `.ci/`, `Cargo.toml`) as text: actionlint, which `.ci/run`
//! runs, checks that the workflow is valid; these check what it runs.

use std::path::{Path, PathBuf};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The lines of a file that are not comments, trimmed.
fn code_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// Each job of each workflow: its id and its lines (comments left out).
fn jobs() -> Vec<(String, Vec<String>)> {
    let dir = repo().join(".github/workflows");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.extension()
                .is_some_and(|ext| ext == "yml" || ext == "yaml")
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no workflow in {}", dir.display());
    let mut jobs = Vec::new();
    for file in files {
        let text = read(&file);
        let mut in_jobs = false;
        for line in text.lines() {
            let indent = line.len() - line.trim_start().len();
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if indent == 0 {
                in_jobs = trimmed == "jobs:";
            } else if in_jobs && indent == 2 {
                let id = trimmed
                    .strip_suffix(':')
                    .expect("a job id line ends with ':'");
                jobs.push((id.to_owned(), Vec::new()));
            } else if in_jobs && let Some((_, lines)) = jobs.last_mut() {
                lines.push(trimmed.to_owned());
            }
        }
    }
    jobs
}

fn rust_version() -> String {
    let manifest = read(&repo().join("Cargo.toml"));
    let line = code_lines(&manifest)
        .into_iter()
        .find(|line| line.starts_with("rust-version"))
        .expect("Cargo.toml declares rust-version");
    line.split('"')
        .nth(1)
        .expect("rust-version = \"X.Y.Z\"")
        .to_owned()
}

#[test]
fn workflow_runs_ci_as_root() {
    let jobs = jobs();
    let runs_ci = jobs
        .iter()
        .any(|(_, lines)| lines.iter().any(|l| l == "run: .ci/as-root bash .ci/run"));
    assert!(
        runs_ci,
        "no workflow job runs `.ci/as-root bash .ci/run`: {jobs:?}"
    );

    // .ci/as-root gets root through sudo ...
    let as_root = code_lines(&read(&repo().join(".ci/as-root")));
    assert!(
        as_root.iter().any(|l| l.starts_with("exec sudo ")),
        ".ci/as-root does not run its command through sudo"
    );
    // ... and .ci/run refuses to run without it, and never leaves the root-only tests out.
    let run = code_lines(&read(&repo().join(".ci/run")));
    assert!(
        run.iter().any(|l| l == "if [[ \"$EUID\" -ne 0 ]]; then"),
        ".ci/run does not check that it runs as root"
    );
    assert!(
        run.iter()
            .any(|l| l == "unset COGNITO_REFRESH_TESTS_WITHOUT_ROOT"),
        ".ci/run lets COGNITO_REFRESH_TESTS_WITHOUT_ROOT leave the root-only tests out"
    );
    let tests = run.iter().position(|l| l == "scripts/test");
    let check = run.iter().position(|l| l.starts_with("if [[ \"$EUID\""));
    assert!(
        tests.is_some() && check < tests,
        ".ci/run does not run scripts/test after its root check"
    );
}

#[test]
fn workflow_builds_and_tests_with_the_declared_rust_version() {
    let version = rust_version();
    let jobs = jobs();
    let job = jobs.iter().find(|(_, lines)| {
        let has = |wanted: &str| lines.iter().any(|l| l == wanted);
        has(&format!(
            "run: rustup toolchain install {version} --profile minimal"
        )) && has(&format!(
            "run: cargo +{version} build --locked --all-targets"
        )) && has(&format!(
            "run: .ci/as-root env RUSTUP_TOOLCHAIN={version} scripts/test"
        ))
    });
    assert!(
        job.is_some(),
        "no workflow job installs Rust {version} (Cargo.toml's rust-version), builds with it and \
         runs scripts/test with it as root: {jobs:?}"
    );
}

/// Every `uses:` of the workflows and of the Action names its action by a full commit (a tag
/// can be moved to other code), or a local path.
#[test]
fn every_action_used_is_pinned_by_commit() {
    let dir = repo().join(".github/workflows");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.push(repo().join("action.yml"));
    let mut seen = 0;
    for file in files.iter().filter(|f| f.exists()) {
        for line in code_lines(&read(file)) {
            let Some(used) = line
                .strip_prefix("- uses: ")
                .or_else(|| line.strip_prefix("uses: "))
            else {
                continue;
            };
            seen += 1;
            let used = used.split_whitespace().next().unwrap();
            if used.starts_with("./") {
                continue;
            }
            let commit = used.rsplit_once('@').map(|(_, c)| c).unwrap_or("");
            assert!(
                commit.len() == 40 && commit.chars().all(|c| c.is_ascii_hexdigit()),
                "{}: `{line}` is not pinned by commit",
                file.display()
            );
        }
    }
    assert!(seen > 0);
}

/// The release workflow builds each target the README and Cargo.toml's binstall metadata
/// promise, on a version tag, and assembles the archives with scripts/package.
#[test]
fn release_workflow_builds_every_target_with_scripts_package() {
    let release = code_lines(&read(&repo().join(".github/workflows/release.yml")));
    assert!(
        release.iter().any(|l| l.starts_with("tags: [\"v")),
        "the release workflow is not triggered by version tags"
    );
    let targets: Vec<&str> = release
        .iter()
        .filter_map(|l| l.strip_prefix("targets: "))
        .flat_map(str::split_whitespace)
        .collect();
    let mut sorted = targets.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [
            "aarch64-apple-darwin",
            "aarch64-unknown-linux-musl",
            "x86_64-apple-darwin",
            "x86_64-pc-windows-msvc",
            "x86_64-unknown-linux-musl",
        ]
    );
    let jobs = jobs();
    let build = jobs
        .iter()
        .find(|(id, _)| id == "build")
        .expect("a build job");
    assert!(
        build
            .1
            .iter()
            .any(|l| l.contains("scripts/package \"$target\"")),
        "the build job does not package with scripts/package: {build:?}"
    );
    assert!(
        build.1.iter().any(|l| l.contains("gh release upload")),
        "the build job uploads nothing: {build:?}"
    );
    let publish = jobs
        .iter()
        .find(|(id, _)| id == "publish")
        .expect("a publish job");
    assert!(publish.1.iter().any(|l| l == "needs: build"), "{publish:?}");
}

/// CI builds the static musl binary on every push, not only when a release is tagged.
#[test]
fn ci_builds_and_packages_the_musl_target() {
    let jobs = jobs();
    let musl = jobs.iter().find(|(_, lines)| {
        lines
            .iter()
            .any(|l| l == "TARGET: x86_64-unknown-linux-musl")
            && lines
                .iter()
                .any(|l| l == "run: cargo build --locked --target \"$TARGET\"")
            && lines
                .iter()
                .any(|l| l.contains("scripts/package \"$TARGET\""))
    });
    assert!(
        musl.is_some(),
        "no CI job builds and packages for musl: {jobs:?}"
    );
}
