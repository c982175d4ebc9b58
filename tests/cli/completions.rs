//! `completions` and `man`: each shell's script is valid for that shell and completes the
//! config file's profile names; every man page renders without a warning.

use crate::util::{Profiles, bin, run, stdout};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A program the check needs, found on PATH. Missing, it fails the test under CI (`CI=true`,
/// where `.ci/run` installs it); elsewhere the test says what it did not check.
pub fn program(name: &str, what: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{name} is not installed, so {what} cannot be checked (.ci/run installs it)"
        );
        eprintln!("not checked: {what} ({name} is not installed)");
    }
    found
}

fn script(shell: &str) -> String {
    stdout(&run(bin().args(["completions", shell]), 0))
}

/// The directory of the binary under test, to put first on a shell's PATH: the scripts run
/// `cognito-refresh` to get their candidates.
fn bin_dir() -> PathBuf {
    let exe = assert_cmd::cargo::cargo_bin("cognito-refresh");
    exe.parent().unwrap().to_path_buf()
}

fn path_with_bin() -> std::ffi::OsString {
    let old = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(bin_dir()).chain(std::env::split_paths(&old))).unwrap()
}

#[test]
fn each_completion_script_is_valid_for_its_shell() {
    let dir = tempfile::tempdir().unwrap();
    for (shell, program_name, ext) in [
        ("bash", "bash", "bash"),
        ("zsh", "zsh", "zsh"),
        ("fish", "fish", "fish"),
    ] {
        let text = script(shell);
        assert!(text.contains("cognito-refresh"), "{shell}: {text}");
        let file = dir.path().join(format!("cognito-refresh.{ext}"));
        std::fs::write(&file, &text).unwrap();
        let Some(program) = program(program_name, &format!("the {shell} script's syntax")) else {
            continue;
        };
        let out = Command::new(program).arg("-n").arg(&file).output().unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{shell} -n: {}\n{text}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // PowerShell is not a Debian package, so no test machine has it: its script is
    // clap_complete's registration, calling the tool as the others do. Elvish's is run below.
    let text = script("powershell");
    assert!(text.contains("_COGNITO_REFRESH_COMPLETE"), "{text}");
    // An unknown shell is a usage error.
    run(bin().args(["completions", "tcsh"]), 2);
}

const CONFIG: &str = "[profiles.ci]\nclient_id = \"4f1example\"\nregion = \"eu-west-1\"\n\n\
                      [profiles.dev-eu]\nuser_pool_id = \"eu-west-1_AbC123\"\n";

/// What bash offers for the last word of `line` (cursor at its end), with the script loaded.
fn bash_completes(profiles: &Profiles, line: &str, extra_env: &[(&str, &Path)]) -> Vec<String> {
    let bash = program("bash", "bash completion").expect("bash runs the tests' scripts");
    let test = format!(
        "source <(cognito-refresh completions bash)\n\
         COMP_LINE={line:?}; COMP_POINT=${{#COMP_LINE}}\n\
         read -ra COMP_WORDS <<<\"$COMP_LINE\"\n\
         [[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')\n\
         COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))\n\
         _clap_complete_cognito_refresh cognito-refresh \"${{COMP_WORDS[COMP_CWORD]}}\"\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n"
    );
    let mut cmd = Command::new(bash);
    cmd.arg("-c")
        .arg(test)
        .env_clear()
        .env("PATH", path_with_bin())
        .env("HOME", profiles.dir.path())
        .env("COGNITO_REFRESH_CONFIG", profiles.config());
    for (name, value) in extra_env {
        cmd.env(name, value);
    }
    let out = cmd.output().unwrap();
    // A completion never prints an error, whatever the config file holds.
    assert!(out.status.success() && out.stderr.is_empty(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.trim_end().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn bash_completes_profile_names_from_the_config_file() {
    let profiles = Profiles::new();
    profiles.write_config(CONFIG);
    assert_eq!(
        bash_completes(&profiles, "cognito-refresh token --profile ", &[]),
        ["ci", "dev-eu"]
    );
    assert_eq!(
        bash_completes(&profiles, "cognito-refresh exec -p d", &[]),
        ["dev-eu"]
    );
    // --config on the line wins over COGNITO_REFRESH_CONFIG.
    let other = tempfile::tempdir().unwrap();
    let other_config = other.path().join("other.toml");
    std::fs::write(&other_config, "[profiles.staging]\nclient_id = \"x\"\n").unwrap();
    let line = format!(
        "cognito-refresh --config {} token --profile ",
        other_config.display()
    );
    assert_eq!(bash_completes(&profiles, &line, &[]), ["staging"]);
    // Subcommands and flags complete too.
    let subcommands = bash_completes(&profiles, "cognito-refresh ", &[]);
    for name in ["refresh", "token", "exec", "completions", "man"] {
        assert!(subcommands.iter().any(|s| s == name), "{subcommands:?}");
    }
    assert!(
        bash_completes(&profiles, "cognito-refresh refresh --client-", &[])
            .iter()
            .any(|s| s == "--client-id")
    );
    // A config file that cannot be read offers nothing, and prints no error.
    profiles.write_config("[profiles.ci\n");
    assert!(bash_completes(&profiles, "cognito-refresh token --profile ", &[]).is_empty());
}

#[test]
fn fish_completes_profile_names_from_the_config_file() {
    let Some(fish) = program("fish", "fish completion") else {
        return;
    };
    let profiles = Profiles::new();
    profiles.write_config(CONFIG);
    let out = Command::new(fish)
        .arg("--no-config")
        .arg("-c")
        .arg(
            "cognito-refresh completions fish | source; \
             complete --do-complete 'cognito-refresh token --profile '",
        )
        .env_clear()
        .env("PATH", path_with_bin())
        .env("HOME", profiles.dir.path())
        .env("COGNITO_REFRESH_CONFIG", profiles.config())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let names: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["ci", "dev-eu"]);
}

/// Elvish's script registers in `edit:completion:arg-completer`, which only an interactive
/// shell has (`elvish -compileonly` refuses it otherwise): the test gives it a map of its own
/// under another name, runs the script, and calls the completer it registered.
#[test]
fn elvish_completes_profile_names_from_the_config_file() {
    let Some(elvish) = program("elvish", "elvish completion") else {
        return;
    };
    let profiles = Profiles::new();
    profiles.write_config(CONFIG);
    let registration = script("elvish");
    assert!(
        registration.contains("edit:completion:arg-completer[cognito-refresh]"),
        "{registration}"
    );
    let test = format!(
        "var completers = [&]\n{}\n$completers[cognito-refresh] cognito-refresh token --profile ''\n",
        registration.replace("edit:completion:arg-completer", "completers")
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("test.elv");
    std::fs::write(&file, test).unwrap();
    let out = Command::new(elvish)
        .arg("-norc")
        .arg(&file)
        .env_clear()
        .env("PATH", path_with_bin())
        .env("HOME", profiles.dir.path())
        .env("COGNITO_REFRESH_CONFIG", profiles.config())
        .output()
        .unwrap();
    assert!(out.status.success() && out.stderr.is_empty(), "{out:?}");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "ci\ndev-eu\n");
}

/// The subcommands `--help` lists (but `help`).
fn subcommands() -> Vec<String> {
    let help = stdout(&run(bin().arg("--help"), 0));
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

/// Renders a page with groff, every warning on, and with man(1) as a reader would.
fn assert_renders_cleanly(page: &Path) {
    if let Some(groff) = program("groff", "the man pages' roff") {
        let out = Command::new(groff)
            .args(["-ww", "-man", "-z"])
            .arg(page)
            .output()
            .unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "groff warns about {}: {}",
            page.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    if let Some(man) = program("man", "the man pages as man(1) shows them") {
        let out = Command::new(man)
            .args(["--warnings", "-l"])
            .arg(page)
            .env("MANWIDTH", "80")
            .env("MAN_KEEP_FORMATTING", "0")
            .env("MANPAGER", "cat")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && out.stderr.is_empty() && text.contains("cognito"),
            "man -l {}: {}",
            page.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn man_writes_one_page_per_command_that_renders_without_warnings() {
    let dir = tempfile::tempdir().unwrap();
    // The directory is created when missing.
    let pages = dir.path().join("man").join("man1");
    run(bin().arg("man").arg("--dir").arg(&pages), 0);
    let mut expected: Vec<String> = subcommands()
        .iter()
        .map(|name| format!("cognito-refresh-{name}.1"))
        .collect();
    expected.push("cognito-refresh.1".into());
    expected.sort();
    assert!(expected.len() > 10, "{expected:?}");
    let mut written: Vec<String> = std::fs::read_dir(&pages)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    written.sort();
    assert_eq!(written, expected);
    for name in &written {
        assert_renders_cleanly(&pages.join(name));
    }
    let refresh = std::fs::read_to_string(pages.join("cognito-refresh-refresh.1")).unwrap();
    assert!(refresh.contains(r"\-\-client\-id"), "{refresh}");
}

#[test]
fn man_prints_the_main_page_with_the_exit_codes() {
    let page = stdout(&run(bin().arg("man"), 0));
    assert!(
        page.starts_with(".ie") || page.contains(".TH cognito-refresh 1"),
        "{page}"
    );
    assert!(page.contains(".SH \"EXIT STATUS\""), "{page}");
    for code in 0..=6 {
        assert!(
            page.contains(&format!("\\fB{code}\\fR")),
            "exit code {code}: {page}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cognito-refresh.1");
    std::fs::write(&file, &page).unwrap();
    assert_renders_cleanly(&file);
}
