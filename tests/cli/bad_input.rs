//! Bad input, case by case, each against a profile with tokens stored: a clear one-line error,
//! the documented exit code, no panic and no backtrace with RUST_BACKTRACE=1 set, no secret in
//! the output, and the token store byte-for-byte as it was (mode bits included).
//!
//! usage.rs and store_usage.rs hold more cases of the same kinds; `run_failing` gives every one
//! of them RUST_BACKTRACE=1 and the one-error-line check too.

use crate::support::jwt;
use crate::util::*;
use serde_json::json;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

const RT: &str = "0b7e5e2a-1d0c-4e39-9b9e-3c8d2f1e4a5b-refresh";
const SECRET: &str = "client-secret-value-7";
const CONFIG: &str = "[profiles.ci]\nclient_id = \"client1\"\nregion = \"eu-west-1\"\n\
                      endpoint_url = \"http://127.0.0.1:9\"\n";

/// Every file of the store directory with its bytes and mode, and the directory's mode.
fn snapshot(dir: &Path) -> BTreeMap<String, (Vec<u8>, u32)> {
    let mut files = BTreeMap::new();
    files.insert(".".to_string(), (Vec::new(), mode(dir)));
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        files.insert(
            entry.file_name().to_string_lossy().into_owned(),
            (std::fs::read(entry.path()).unwrap(), mode(&entry.path())),
        );
    }
    files
}

/// A profile `ci` with RT and a valid access token stored.
fn stored() -> Profiles {
    let p = Profiles::new();
    p.write_config(CONFIG);
    let access = jwt::unsigned(json!({
        "token_use": "access", "client_id": "client1", "exp": jwt::FAR_FUTURE,
    }));
    run(
        p.cmd()
            .args(["store", "--profile", "ci", "--access-token", &access])
            .env("COGNITO_REFRESH_TOKEN", RT),
        0,
    );
    p
}

struct Case {
    what: &'static str,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    stdin: Option<Vec<u8>>,
    code: i32,
    /// What the error line says.
    says: &'static str,
}

fn case<S: AsRef<str>>(what: &'static str, args: &[S], code: i32, says: &'static str) -> Case {
    Case {
        what,
        args: args.iter().map(|s| s.as_ref().to_string()).collect(),
        env: Vec::new(),
        stdin: None,
        code,
        says,
    }
}

impl Case {
    fn env(mut self, name: &'static str, value: impl Into<String>) -> Case {
        self.env.push((name, value.into()));
        self
    }

    fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Case {
        self.stdin = Some(bytes.into());
        self
    }
}

/// Runs each case against the profile and checks the contract; returns how many ran.
fn check(p: &Profiles, cases: Vec<Case>) -> usize {
    let before = snapshot(&p.store());
    for c in &cases {
        // The refresh token given is a secret too, whatever shape it has.
        let mut secrets = vec![RT, SECRET];
        secrets.extend(
            c.env
                .iter()
                .filter(|(name, value)| *name == "COGNITO_REFRESH_TOKEN" && value.len() >= 8)
                .map(|(_, value)| value.as_str()),
        );
        // Quietly and with -v: what -v adds must be as clean.
        for verbose in [false, true] {
            let what = format!("{}{}", c.what, if verbose { " (-v)" } else { "" });
            let mut cmd = p.cmd();
            if verbose {
                cmd.arg("-v");
            }
            cmd.args(&c.args);
            if !c.args.iter().any(|a| a == "--client-secret-file") {
                cmd.env("COGNITO_CLIENT_SECRET", SECRET);
            }
            for (name, value) in &c.env {
                cmd.env(name, value);
            }
            if let Some(bytes) = &c.stdin {
                cmd.write_stdin(bytes.clone());
            }
            let out = cmd
                .env("RUST_BACKTRACE", "1")
                .output()
                .expect("the binary runs");
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(c.code), "{what}: {err}");
            // Argument errors come from the parser as `error: ...`; all others as the tool's.
            let error_lines: Vec<&str> = err
                .lines()
                .filter(|l| l.starts_with("error: ") || l.starts_with("cognito-refresh: error: "))
                .collect();
            assert_eq!(error_lines.len(), 1, "{what}: one error line: {err}");
            assert!(
                error_lines[0].contains(c.says),
                "{what}: expected {:?} in {err}",
                c.says
            );
            for bad in ["panicked", "backtrace", "internal error", "RUST_BACKTRACE"] {
                assert!(!err.contains(bad), "{what}: {err}");
            }
            assert!(out.stdout.is_empty(), "{what}: {}", stdout(&out));
            assert_no_secrets(&out, &secrets);
            assert_eq!(snapshot(&p.store()), before, "{what}: the store changed");
        }
    }
    cases.len()
}

fn from_stdin(mut c: Case, bytes: impl Into<Vec<u8>>) -> Case {
    c.args
        .extend(["--refresh-token-file".to_string(), "-".to_string()]);
    c.stdin(bytes)
}

/// `refresh` aimed at a closed loopback port, so that nothing could leave even if a case
/// were let through.
fn refresh(args: &[&str]) -> Vec<String> {
    let mut all = vec!["refresh", "--client-id", "client1", "--region", "eu-west-1"];
    if !args.contains(&"--endpoint-url") {
        all.extend(["--endpoint-url", "http://127.0.0.1:9"]);
    }
    all.extend_from_slice(args);
    all.iter().map(|s| s.to_string()).collect()
}

/// The refresh token itself, refused before anything is sent, by `refresh` and by `store`
/// (which would otherwise overwrite the stored one).
#[test]
fn refresh_tokens_that_cannot_be_one() {
    let p = stored();
    let access = jwt::unsigned(json!({"token_use": "access", "username": "alice"}));
    let id = jwt::unsigned(json!({"token_use": "id", "cognito:username": "alice"}));
    let not_utf8 = p.dir.path().join("not-utf8");
    std::fs::write(&not_utf8, [0xc3, 0x28, 0xff]).unwrap();
    let not_utf8 = not_utf8.to_str().unwrap().to_string();
    let mut count = 0;
    for command in [
        refresh(&[]),
        vec!["store".into(), "--profile".into(), "ci".into()],
    ] {
        let with = |what, code, says| {
            let mut c = case::<&str>(what, &[], code, says);
            c.args = command.clone();
            c
        };
        let cases = vec![
            with("empty, from the environment", 2, "refresh token")
                .env("COGNITO_REFRESH_TOKEN", ""),
            from_stdin(with("whitespace only, on stdin", 2, "empty"), " \t\r\n"),
            with("a Bearer prefix", 2, "whitespace")
                .env("COGNITO_REFRESH_TOKEN", format!("Bearer {RT}")),
            with("double quotes", 2, "quotes").env("COGNITO_REFRESH_TOKEN", format!("\"{RT}\"")),
            with("single quotes", 2, "quotes").env("COGNITO_REFRESH_TOKEN", format!("'{RT}'")),
            with("an access token", 2, "an access token").env("COGNITO_REFRESH_TOKEN", &access),
            with("an ID token", 2, "an ID token").env("COGNITO_REFRESH_TOKEN", &id),
            // The environment holds at most 128 KiB a variable; standard input takes more.
            with("100 KiB, from the environment", 2, "not one")
                .env("COGNITO_REFRESH_TOKEN", "a".repeat(100 * 1024)),
            from_stdin(
                with("1 MiB on stdin", 2, "not a token"),
                vec![b'a'; 1024 * 1024],
            ),
            from_stdin(
                with("not UTF-8 on stdin", 2, "not UTF-8"),
                vec![0xff, 0xfe, 0x00, 0x80],
            ),
        ];
        count += check(&p, cases);
        // From a file: not UTF-8, missing, a directory.
        let mut file = |what, path: &str, says| {
            let mut c = with(what, 2, says);
            c.args
                .extend(["--refresh-token-file".to_string(), path.to_string()]);
            count += check(&p, vec![c]);
        };
        file("a file not UTF-8", &not_utf8, "not UTF-8");
        file(
            "a missing file",
            "/nonexistent/rt.txt",
            "/nonexistent/rt.txt",
        );
        file("a directory for a file", "/", "/");
    }
    eprintln!("{count} bad refresh-token cases");
}

/// Access tokens given alongside: damaged JWTs, and one without `exp` where the expiry matters
/// (storing it, since the store must know when it runs out).
#[test]
fn damaged_jwts() {
    let p = stored();
    let no_exp = jwt::unsigned(json!({"token_use": "access", "client_id": "client1"}));
    let mut cases = Vec::new();
    for (what, jwt, says) in [
        ("bad base64", "e30.!!!.sig", "cannot be read"),
        ("bad JSON", "e30.bm90IGpzb24.sig", "cannot be read"),
        ("two parts", "e30.e30", "cannot be read"),
        ("a JSON array for claims", "e30.W10.sig", "cannot be read"),
    ] {
        cases.push(
            case(
                what,
                &["store", "--profile", "ci", "--access-token", jwt],
                2,
                says,
            )
            .env("COGNITO_REFRESH_TOKEN", "rt-new"),
        );
        cases.push(
            case(what, &refresh(&["--access-token", jwt]), 2, "access token")
                .env("COGNITO_REFRESH_TOKEN", RT),
        );
        // `decode` reports other shapes (two parts: an opaque token) as what they are.
        if what.starts_with("bad") {
            cases.push(case(what, &["decode", jwt], 2, "not a JWT"));
        }
    }
    cases.push(
        case(
            "no exp claim",
            &["store", "--profile", "ci", "--access-token", &no_exp],
            2,
            "no exp claim",
        )
        .env("COGNITO_REFRESH_TOKEN", "rt-new"),
    );
    let n = check(&p, cases);
    eprintln!("{n} damaged-JWT cases");
}

/// Options and their values: unknown choices, malformed identifiers and URLs, endpoints that
/// would carry the token in clear text off this machine.
#[test]
fn malformed_options() {
    let p = stored();
    let mut cases = vec![
        case("unknown --api", &refresh(&["--api", "oauth3"]), 2, "oauth3"),
        case(
            "unknown --output",
            &refresh(&["--output", "yaml"]),
            2,
            "yaml",
        ),
        case(
            "unknown --api for a profile",
            &["token", "--profile", "ci", "--api", "srp"],
            2,
            "srp",
        ),
        case(
            "--timeout not a number",
            &refresh(&["--timeout", "ten"]),
            2,
            "ten",
        ),
        case(
            "--timeout negative",
            &refresh(&["--timeout", "-1"]),
            2,
            "-1",
        ),
        case(
            "--min-ttl not a duration",
            &["token", "--profile", "ci", "--min-ttl", "5 parsecs"],
            2,
            "5 parsecs",
        ),
    ];
    for region in ["EU_WEST_1", "eu-west", "", "eu-west-1/../x", "eu-wést-1"] {
        let args = [
            "refresh",
            "--client-id",
            "client1",
            "--region",
            region,
            "--endpoint-url",
            "http://127.0.0.1:9",
        ];
        cases.push(case("malformed region", &args, 2, "region").env("COGNITO_REFRESH_TOKEN", RT));
    }
    for pool in [
        "pool",
        "eu-west-1_",
        "_abc",
        "eu-west-1_a/b",
        "EU-WEST-1_abc",
    ] {
        cases.push(
            case(
                "malformed user pool id",
                &refresh(&["--user-pool-id", pool]),
                2,
                "user pool id",
            )
            .env("COGNITO_REFRESH_TOKEN", RT),
        );
    }
    for (url, says) in [
        ("not a url", "invalid endpoint URL"),
        ("https://", "invalid endpoint URL"),
        ("http://[::1", "invalid endpoint URL"),
        ("file:///etc/passwd", "invalid endpoint URL"),
        ("ftp://127.0.0.1/", "invalid endpoint URL"),
        ("http://10.0.0.1:5000", "refusing plain http://"),
        ("http://example.com", "refusing plain http://"),
        ("http://localhost.example.com", "refusing plain http://"),
        ("http://127.0.0.1.nip.io", "refusing plain http://"),
        ("http://[::ffff:10.0.0.1]", "refusing plain http://"),
        ("http://0.0.0.0:9", "refusing plain http://"),
    ] {
        cases.push(
            case("endpoint URL", &refresh(&["--endpoint-url", url]), 2, says)
                .env("COGNITO_REFRESH_TOKEN", RT),
        );
        cases.push(
            case(
                "endpoint URL for a profile",
                &["token", "--profile", "ci", "--force", "--endpoint-url", url],
                2,
                says,
            )
            .env("COGNITO_REFRESH_TOKEN", RT),
        );
    }
    cases.push(
        case(
            "client secret file missing",
            &refresh(&["--client-secret-file", "/nonexistent/secret"]),
            2,
            "/nonexistent/secret",
        )
        .env("COGNITO_REFRESH_TOKEN", RT),
    );
    cases.push(
        case(
            "client secret file is a directory",
            &refresh(&["--client-secret-file", "/"]),
            2,
            "/",
        )
        .env("COGNITO_REFRESH_TOKEN", RT),
    );
    cases.push(case(
        "unknown profile",
        &["token", "--profile", "nope"],
        2,
        "unknown profile nope",
    ));
    cases.push(case(
        "profile name with a path",
        &["token", "--profile", "../ci"],
        2,
        "invalid profile name",
    ));
    let n = check(&p, cases);
    eprintln!("{n} malformed-option cases");
}

/// Config files that cannot be used: each error names the file and the line.
#[test]
fn config_files_that_cannot_be_read() {
    let p = stored();
    let mut n = 0;
    for (text, line, says) in [
        (
            "[profiles.ci]\nclient_id = \"client1\"\nendpoint = \"x\"\n",
            3,
            "endpoint",
        ),
        (
            "[profiles.ci]\nclient_id = \"client1\"\ntimeout = 5\n",
            3,
            "timeout",
        ),
        ("[profiles.ci]\nregion = [\"eu-west-1\"]\n", 2, "string"),
        ("[profiles.ci]\nclient_id = true\n", 2, "string"),
        ("[profiles]\nci = \"client1\"\n", 2, ""),
        (
            "[profiles.ci]\nclient_id = \"client1\"\nclient_id = \"c2\"\n",
            3,
            "",
        ),
        ("[profiles.ci]\nclient_id = \"client1\n", 2, ""),
    ] {
        p.write_config(text);
        let c = case(
            "config",
            &["token", "--profile", "ci", "--force"],
            2,
            "line ",
        );
        n += check(&p, vec![c]);
        let out = run_failing(p.cmd().args(["token", "--profile", "ci"]), 2, &[RT]);
        let err = stderr(&out);
        assert!(err.contains(&format!("line {line}")), "{text}: {err}");
        assert!(err.contains(says), "{text}: {err}");
        assert!(err.contains(&p.config().display().to_string()), "{err}");
    }
    // Not text at all.
    std::fs::write(p.config(), [0xff, 0xfe, 0x00]).unwrap();
    n += check(
        &p,
        vec![case(
            "config not UTF-8",
            &["token", "--profile", "ci"],
            2,
            "config",
        )],
    );
    eprintln!("{n} config-file cases");
}

/// The store directory or file owned by another user: refused, never read or written.
/// Making a file another user owns takes root (as in CI); see `without_root`.
#[test]
fn store_owned_by_someone_else_is_refused() {
    let p = stored();
    let other = 4242;
    let file = p.store_file("ci");
    if std::os::unix::fs::chown(&file, Some(other), Some(other)).is_err() {
        return without_root("changing a file's owner");
    }
    let refused = |what, args: &[&str]| case(what, args, 2, "belongs to user id 4242");
    let n = check(
        &p,
        vec![
            refused("store file of another user", &["token", "--profile", "ci"]),
            refused("store file of another user", &["store", "--profile", "ci"])
                .env("COGNITO_REFRESH_TOKEN", "rt-new"),
        ],
    );
    std::os::unix::fs::chown(&file, Some(0), Some(0)).unwrap();
    std::os::unix::fs::chown(p.store(), Some(other), Some(other)).unwrap();
    let n = n + check(
        &p,
        vec![
            refused(
                "store directory of another user",
                &["token", "--profile", "ci"],
            ),
            refused(
                "store directory of another user",
                &["store", "--profile", "ci"],
            )
            .env("COGNITO_REFRESH_TOKEN", "rt-new"),
            refused(
                "store directory of another user",
                &["refresh", "--profile", "ci"],
            ),
        ],
    );
    // The listing refuses the whole store too.
    let out = run_failing(p.cmd().arg("profiles"), 2, &[RT]);
    assert_stderr_contains(&out, "belongs to user id 4242");
    eprintln!("{n} ownership cases");
}

/// A read-only store directory (the user's choice, or a read-only mount): refused before any
/// refresh, so a rotated refresh token is never received with nowhere to keep it.
#[test]
fn read_only_store_directory() {
    let p = stored();
    std::fs::set_permissions(p.store(), std::fs::Permissions::from_mode(0o500)).unwrap();
    let n = check(
        &p,
        vec![
            case(
                "read-only store",
                &["token", "--profile", "ci", "--force"],
                2,
                "read-only",
            ),
            case(
                "read-only store",
                &["store", "--profile", "ci"],
                2,
                "read-only",
            )
            .env("COGNITO_REFRESH_TOKEN", "rt-new"),
        ],
    );
    std::fs::set_permissions(p.store(), std::fs::Permissions::from_mode(0o700)).unwrap();
    eprintln!("{n} read-only cases");
}

/// A bug shows as one line asking for a report: exit 1, no backtrace even with
/// RUST_BACKTRACE=1, and not the panic's message, which could hold a value being worked on.
/// The hook that panics exists only in builds with the `failpoints` feature, as the tests' are.
#[test]
fn a_panic_is_one_line_and_exit_1() {
    let out = run(
        bin()
            .args(["decode", "e30.e30.sig"])
            .env("COGNITO_REFRESH_TEST_FAILPOINT", "panic")
            .env("RUST_BACKTRACE", "full"),
        1,
    );
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("cognito-refresh: internal error: ") && err.ends_with("please report it\n"),
        "{err}"
    );
    assert!(!err.contains("secret-payload-value"), "{err}");
    assert!(!err.contains("backtrace"), "{err}");
    assert!(out.stdout.is_empty());
}

/// Secrets on the command line can be read by other local users (`ps`, /proc): a warning says
/// so, unless -q.
#[test]
fn secrets_on_argv_are_warned_about() {
    for (flag, value, env) in [
        ("--refresh-token", RT, "COGNITO_REFRESH_TOKEN"),
        ("--client-secret", SECRET, "COGNITO_CLIENT_SECRET"),
    ] {
        let args = refresh(&["--username", "alice", "--timeout", "1", flag, value]);
        let mut cmd = bin();
        cmd.args(&args);
        if flag != "--refresh-token" {
            cmd.env("COGNITO_REFRESH_TOKEN", RT);
        }
        let out = run_failing(&mut cmd, 5, &[RT, SECRET]);
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "warning: {flag} on the command line can be read by other local users; prefer {env}"
            )),
            "{err}"
        );
        let mut cmd = bin();
        cmd.args(&args).arg("-q");
        if flag != "--refresh-token" {
            cmd.env("COGNITO_REFRESH_TOKEN", RT);
        }
        let out = run_failing(&mut cmd, 5, &[RT, SECRET]);
        assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
        // From the environment: no warning.
        let out = run_failing(
            bin()
                .args(&args[..args.len() - 2])
                .env(env, value)
                .env("COGNITO_REFRESH_TOKEN", RT),
            5,
            &[RT, SECRET],
        );
        assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    }
}

/// The examples (README and every command's --help) never put a secret on the command line.
#[test]
fn examples_never_pass_secrets_on_argv() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut texts = vec![("README.md".to_string(), readme)];
    for command in [
        "refresh", "decode", "diagnose", "store", "token", "exec", "profiles",
    ] {
        let out = run(bin().args([command, "--help"]), 0);
        texts.push((format!("{command} --help"), stdout(&out)));
    }
    for (name, text) in texts {
        // Command lines: those that run the tool, and their continuation lines.
        let mut continued = false;
        for line in text.lines() {
            let command = continued || line.contains("cognito-refresh ");
            continued = command && line.trim_end().ends_with('\\');
            if !command {
                continue;
            }
            for flag in [
                "--refresh-token ",
                "--client-secret ",
                "--refresh-token=",
                "--client-secret=",
            ] {
                assert!(!line.contains(flag), "{name}: {line}");
            }
        }
    }
}
