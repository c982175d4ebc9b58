//! Packaging: the release archive as scripts/package assembles it (and as cargo-binstall and the
//! Action expect it), the release notes, and what crates.io gets.

use crate::util::{bin, run, stdout};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// The target of the archive the Action downloads on this machine (Linux: the static musl
/// build); the binary under test stands in for that target's.
pub fn archive_target() -> String {
    let arch = std::env::consts::ARCH;
    match std::env::consts::OS {
        "linux" => format!("{arch}-unknown-linux-musl"),
        "macos" => format!("{arch}-apple-darwin"),
        other => panic!("no archive name for {other}"),
    }
}

/// The archive scripts/package assembles for `archive_target()`, made once for the tests that
/// read it.
#[derive(Debug)]
pub struct Packaged {
    _dir: tempfile::TempDir,
    /// The archive (its sum beside it).
    pub archive: PathBuf,
    /// The binary it holds: the binary under test, without its debug information (which makes
    /// a debug build some 240 MB, and each copy of it one more).
    pub binary: PathBuf,
}

pub fn packaged() -> &'static Packaged {
    static PACKAGED: OnceLock<Packaged> = OnceLock::new();
    PACKAGED.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let binary = dir.path().join("bin").join("cognito-refresh");
        std::fs::create_dir(binary.parent().unwrap()).unwrap();
        std::fs::copy(assert_cmd::cargo::cargo_bin("cognito-refresh"), &binary).unwrap();
        let strip = Command::new("strip").arg(&binary).output().unwrap();
        assert!(strip.status.success(), "{strip:?}");
        let result = Command::new(repo().join("scripts/package"))
            .arg(archive_target())
            .arg(&binary)
            .env("PACKAGE_OUT", dir.path().join("dist"))
            .env_remove("COGNITO_REFRESH_GENERATOR")
            .output()
            .unwrap();
        assert!(result.status.success(), "{result:?}");
        let archive = PathBuf::from(String::from_utf8(result.stdout).unwrap().trim());
        Packaged {
            _dir: dir,
            archive,
            binary,
        }
    })
}

/// The `key = "value"` of Cargo.toml's [package.metadata.binstall].
fn binstall(key: &str) -> String {
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    manifest
        .lines()
        .skip_while(|l| *l != "[package.metadata.binstall]")
        .find_map(|l| l.strip_prefix(&format!("{key} = \"")))
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or_else(|| panic!("[package.metadata.binstall] has no {key}"))
        .to_owned()
}

#[test]
fn the_release_archive_holds_binary_docs_completions_and_man_pages() {
    let archive = &packaged().archive;
    let out = archive.parent().unwrap();
    let target = archive_target();
    let stem = format!("cognito-refresh-{}-{target}", version());
    assert_eq!(*archive, out.join(format!("{stem}.tar.gz")));

    // Its checksum file is what `sha256sum -c` verifies.
    let check = Command::new("sha256sum")
        .args(["-c", &format!("{stem}.tar.gz.sha256")])
        .current_dir(out)
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");

    let list = Command::new("tar")
        .arg("-tzf")
        .arg(archive)
        .output()
        .unwrap();
    assert!(list.status.success(), "{list:?}");
    let mut files: Vec<String> = String::from_utf8(list.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.ends_with('/'))
        .map(|l| l.strip_prefix(&format!("{stem}/")).expect(l).to_owned())
        .collect();
    files.sort();
    let pages: Vec<String> = files
        .iter()
        .filter(|f| f.starts_with("man/man1/"))
        .cloned()
        .collect();
    assert!(
        pages.contains(&"man/man1/cognito-refresh.1".to_owned()),
        "{files:?}"
    );
    assert!(
        pages.contains(&"man/man1/cognito-refresh-refresh.1".to_owned()),
        "{files:?}"
    );
    let mut expected: Vec<String> = [
        "CHANGELOG.md",
        "LICENSE",
        "README.md",
        "cognito-refresh",
        "completions/_cognito-refresh",
        "completions/_cognito-refresh.ps1",
        "completions/cognito-refresh.bash",
        "completions/cognito-refresh.elv",
        "completions/cognito-refresh.fish",
    ]
    .map(str::to_owned)
    .into_iter()
    .chain(pages)
    .collect();
    expected.sort();
    assert_eq!(files, expected);

    // Unpacked, the binary runs, and the files are what the binary prints.
    let unpacked = tempfile::tempdir().unwrap();
    let untar = Command::new("tar")
        .arg("-xzf")
        .arg(archive)
        .arg("-C")
        .arg(unpacked.path())
        .output()
        .unwrap();
    assert!(untar.status.success(), "{untar:?}");
    let dir = unpacked.path().join(&stem);
    let version_line = Command::new(dir.join("cognito-refresh"))
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(version_line.stdout).unwrap().trim(),
        format!("cognito-refresh {}", version())
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("completions/cognito-refresh.bash")).unwrap(),
        stdout(&run(bin().args(["completions", "bash"]), 0))
    );

    // cargo-binstall finds this archive and the binary in it, from Cargo.toml's templates.
    let fill = |template: &str| {
        template
            .replace("{ repo }", "REPO")
            .replace("{ name }", "cognito-refresh")
            .replace("{ version }", version())
            .replace("{ target }", &target)
            .replace("{ archive-suffix }", ".tar.gz")
            .replace("{ bin }", "cognito-refresh")
            .replace("{ binary-ext }", "")
    };
    assert_eq!(binstall("pkg-fmt"), "tgz");
    assert_eq!(
        fill(&binstall("pkg-url")),
        format!("REPO/releases/download/v{}/{stem}.tar.gz", version())
    );
    assert!(
        dir.parent()
            .unwrap()
            .join(fill(&binstall("bin-dir")))
            .is_file()
    );
}

#[test]
fn package_refuses_a_binary_of_another_version() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("cognito-refresh");
    std::fs::write(&fake, "#!/bin/sh\necho cognito-refresh 0.0.0-other\n").unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let result = Command::new(repo().join("scripts/package"))
        .arg(archive_target())
        .arg(&fake)
        .env("PACKAGE_OUT", dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(1), "{result:?}");
    assert!(!dir.path().join("out").exists());
}

#[test]
fn release_notes_need_the_manifest_version_and_a_changelog_section() {
    let notes = |tag: &str| {
        Command::new(repo().join("scripts/release-notes"))
            .arg(tag)
            .output()
            .unwrap()
    };
    let ok = notes(&format!("v{}", version()));
    assert!(ok.status.success(), "{ok:?}");
    assert!(String::from_utf8(ok.stdout).unwrap().contains("### "));
    assert_eq!(notes("v999.0.0").status.code(), Some(1));
    assert_eq!(notes("latest").status.code(), Some(2));
}

#[test]
fn the_crate_package_holds_no_tests_or_fuzz_data_and_is_under_1_mib() {
    let target = tempfile::tempdir().unwrap();
    let cargo = || {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.current_dir(repo())
            .env("CARGO_TARGET_DIR", target.path())
            .args(["package", "--allow-dirty", "--offline", "--no-verify"]);
        cmd
    };
    let list = cargo().arg("--list").output().unwrap();
    assert!(list.status.success(), "{list:?}");
    let files = String::from_utf8(list.stdout).unwrap();
    for file in files.lines() {
        let allowed = file.starts_with("src/")
            || [
                "Cargo.toml",
                "Cargo.toml.orig",
                "Cargo.lock",
                "README.md",
                "CHANGELOG.md",
                "SECURITY.md",
                "LICENSE",
                ".cargo_vcs_info.json",
            ]
            .contains(&file);
        assert!(allowed, "the crate package holds {file}");
    }
    assert!(files.lines().any(|f| f == "src/main.rs"), "{files}");

    let made = cargo().output().unwrap();
    assert!(made.status.success(), "{made:?}");
    let crate_file = target
        .path()
        .join("package")
        .join(format!("cognito-refresh-{}.crate", version()));
    let size = std::fs::metadata(&crate_file).unwrap().len();
    assert!(
        size < 1024 * 1024,
        "{} is {size} bytes",
        crate_file.display()
    );
}
