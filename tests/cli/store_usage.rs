//! Profiles and the token store, refused before anything is sent: corrupt or unknown store
//! files, permissions, unknown profiles, config errors. No server needed.

use crate::support::jwt;
use crate::util::*;
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt as _;

const RT: &str = "0b7e5e2a-1d0c-4e39-9b9e-3c8d2f1e4a5b-refresh";
const CONFIG: &str = "[profiles.ci]\nclient_id = \"client1\"\nregion = \"eu-west-1\"\n\
                      endpoint_url = \"http://127.0.0.1:9\"\n";

fn set_mode(path: &std::path::Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A profile `ci` with RT stored.
fn stored() -> Profiles {
    let p = Profiles::new();
    p.write_config(CONFIG);
    run(
        p.cmd()
            .args(["store", "--profile", "ci"])
            .env("COGNITO_REFRESH_TOKEN", RT),
        0,
    );
    p
}

#[test]
fn corrupt_truncated_and_future_store_files_are_reported_and_left_untouched() {
    let p = stored();
    let path = p.store_file("ci");
    let valid = std::fs::read_to_string(&path).unwrap();
    let future = json!({"version": 99, "client_id": "client1", "refresh_token": RT}).to_string();
    for (content, says) in [
        ("{ not json".to_string(), "corrupt"),
        (valid[..valid.len() / 2].to_string(), "truncated"),
        (String::new(), "truncated"),
        (future, "format version 99"),
    ] {
        std::fs::write(&path, &content).unwrap();
        for args in [
            &["token", "--profile", "ci"][..],
            &["exec", "--profile", "ci", "--", "true"],
            &["refresh", "--profile", "ci"],
        ] {
            let out = run_failing(p.cmd().args(args), 2, &[RT]);
            let err = stderr(&out);
            assert!(err.contains(says), "{args:?}: {err}");
            assert!(err.contains(&path.display().to_string()), "{err}");
            assert!(err.contains("left untouched"), "{err}");
        }
        // `store` does not overwrite it either.
        run_failing(
            p.cmd()
                .args(["store", "--profile", "ci"])
                .env("COGNITO_REFRESH_TOKEN", "rt-new"),
            2,
            &[RT, "rt-new"],
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), content);
        // The listing still works, and says which one cannot be read.
        let out = run(p.cmd().arg("profiles"), 0);
        assert!(stdout(&out).contains("unreadable"), "{}", stdout(&out));
        assert_stderr_contains(&out, says);
        assert_no_secrets(&out, &[RT]);
    }
}

#[test]
fn store_files_others_can_read_are_refused() {
    let p = stored();
    set_mode(&p.store_file("ci"), 0o644);
    let out = run_failing(p.cmd().args(["token", "--profile", "ci"]), 2, &[RT]);
    assert_stderr_contains(&out, "chmod 600");
    assert_stderr_contains(&out, "mode 0644");
    assert_eq!(mode(&p.store_file("ci")), 0o644, "reported, not changed");

    set_mode(&p.store_file("ci"), 0o600);
    set_mode(&p.store(), 0o755);
    let out = run_failing(p.cmd().args(["token", "--profile", "ci"]), 2, &[RT]);
    assert_stderr_contains(&out, "chmod 700");
    let out = run_failing(
        p.cmd()
            .args(["store", "--profile", "ci"])
            .env("COGNITO_REFRESH_TOKEN", "rt-new"),
        2,
        &[RT, "rt-new"],
    );
    assert_stderr_contains(&out, "chmod 700");
    set_mode(&p.store(), 0o700);
    assert_eq!(p.entry("ci")["refresh_token"], RT);
}

#[test]
fn unknown_and_invalid_profiles_are_exit_2() {
    let p = Profiles::new();
    p.write_config(CONFIG);
    for args in [
        &["token", "--profile", "nope"][..],
        &["exec", "--profile", "nope", "--", "true"],
        &["refresh", "--profile", "nope"],
    ] {
        let out = run_failing(p.cmd().args(args), 2, &[]);
        assert_stderr_contains(&out, "unknown profile nope");
    }
    // Through the environment variable too.
    let out = run_failing(p.cmd().arg("token").env("COGNITO_PROFILE", "nope"), 2, &[]);
    assert_stderr_contains(&out, "unknown profile nope");
    let out = run_failing(p.cmd().args(["token", "--profile", "../etc"]), 2, &[]);
    assert_stderr_contains(&out, "invalid profile name");
    // A profile without tokens yet.
    let out = run_failing(p.cmd().args(["token", "--profile", "ci"]), 2, &[]);
    assert_stderr_contains(&out, "cognito-refresh store --profile ci");
    // No profile at all.
    for args in [&["token"][..], &["store"], &["exec", "--", "true"]] {
        let out = run_failing(p.cmd().args(args), 2, &[]);
        assert_stderr_contains(&out, "--profile NAME");
    }
    assert!(!p.store().exists(), "nothing was created");
}

#[test]
fn config_errors_name_the_line() {
    let p = Profiles::new();
    for (text, line, says) in [
        (
            "[profiles.ci]\nclient_id = \"c1\"\nregoin = \"eu-west-1\"\n",
            3,
            "regoin",
        ),
        ("[profiles.ci]\nclient_id = 42\n", 2, "string"),
        ("[profiles.ci]\napi = \"oauth\"\n", 2, "oauth"),
        ("\n\n[profiles.ci\n", 3, ""),
        ("client_id = \"c1\"\n", 1, "client_id"),
    ] {
        p.write_config(text);
        let out = run_failing(p.cmd().args(["token", "--profile", "ci"]), 2, &[]);
        let err = stderr(&out);
        assert!(err.contains(&format!("line {line}")), "{text}: {err}");
        assert!(err.contains(says), "{text}: {err}");
        assert!(err.contains(&p.config().display().to_string()), "{err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
    }
}

#[test]
fn a_literal_secret_needs_a_private_config_file() {
    let p = stored();
    p.write_config(&format!(
        "{CONFIG}client_secret = \"literal-secret-value\"\n"
    ));
    set_mode(&p.config(), 0o644);
    let out = run_failing(
        p.cmd().args(["token", "--profile", "ci", "--force"]),
        2,
        &[RT, "literal-secret-value"],
    );
    assert_stderr_contains(&out, "chmod 600");

    // A private file is fine: the refresh gets as far as the (closed) endpoint.
    set_mode(&p.config(), 0o600);
    let out = run_failing(
        p.cmd()
            .args(["token", "--profile", "ci", "--force", "--api", "get-tokens"])
            .args(["--timeout", "2"]),
        5,
        &[RT, "literal-secret-value"],
    );
    assert!(!stderr(&out).contains("chmod"), "{}", stderr(&out));
}

#[test]
fn store_checks_what_it_is_given() {
    let p = Profiles::new();
    p.write_config(CONFIG);
    let store = || {
        let mut cmd = p.cmd();
        cmd.args(["store", "--profile", "ci"]);
        cmd
    };
    let access =
        jwt::unsigned(json!({"token_use": "access", "username": "alice", "exp": jwt::FAR_FUTURE}));
    // Standard input is read when nothing else gives the refresh token.
    for (input, says) in [
        (String::new(), "empty"),
        (" \n".to_string(), "empty"),
        (access.clone(), "an access token"),
        (format!("Bearer {RT}"), "whitespace"),
    ] {
        let out = run_failing(store().write_stdin(input), 2, &[RT, &access]);
        assert_stderr_contains(&out, says);
    }
    let out = run_failing(
        store()
            .args(["--access-token", "not-a-jwt"])
            .write_stdin(RT),
        2,
        &[RT],
    );
    assert_stderr_contains(&out, "access token given cannot be read");
    assert!(!p.store_file("ci").exists(), "nothing stored");

    // A valid token, with its access token: the expiry and device key come from its claims.
    let access = jwt::unsigned(json!({
        "token_use": "access", "client_id": "client1", "exp": jwt::FAR_FUTURE,
        "device_key": "eu-west-1_dev",
    }));
    run(
        store()
            .args(["--access-token", &access])
            .write_stdin(format!("{RT}\r\n")),
        0,
    );
    let entry = p.entry("ci");
    assert_eq!(entry["refresh_token"], RT);
    assert_eq!(entry["expires_at"], 4_102_444_800i64);
    assert_eq!(entry["device_key"], "eu-west-1_dev");
    // Served from the store, nothing sent (the endpoint is closed anyway).
    let out = run(p.cmd().args(["token", "--profile", "ci"]), 0);
    assert_eq!(stdout(&out), format!("{access}\n"));
}

#[test]
fn a_new_profile_keeps_secrets_by_reference_only() {
    let p = Profiles::new();
    let secret_file = p.dir.path().join("secret.txt");
    std::fs::write(&secret_file, "file-secret-value").unwrap();
    run(
        p.cmd()
            .args([
                "store",
                "--profile",
                "a",
                "--client-id",
                "c-a",
                "--region",
                "eu-west-1",
            ])
            .env("COGNITO_CLIENT_SECRET", "env-secret-value")
            .env("COGNITO_REFRESH_TOKEN", RT),
        0,
    );
    run(
        p.cmd()
            .args([
                "store",
                "--profile",
                "b",
                "--client-id",
                "c-b",
                "--client-secret-file",
            ])
            .arg(&secret_file)
            .env("COGNITO_REFRESH_TOKEN", RT),
        0,
    );
    let out = run(
        p.cmd()
            .args(["store", "--profile", "c", "--client-id", "c-c"])
            .args(["--client-secret", "argv-secret-value"])
            .env("COGNITO_REFRESH_TOKEN", RT),
        0,
    );
    assert_stderr_contains(&out, "not saved in the new profile");
    let config = std::fs::read_to_string(p.config()).unwrap();
    for secret in [
        "env-secret-value",
        "file-secret-value",
        "argv-secret-value",
        RT,
    ] {
        assert!(!config.contains(secret), "{config}");
    }
    let parsed: toml_edit::DocumentMut = config.parse().unwrap();
    assert_eq!(
        parsed["profiles"]["a"]["client_secret_env"].as_str(),
        Some("COGNITO_CLIENT_SECRET")
    );
    assert_eq!(
        parsed["profiles"]["b"]["client_secret_file"].as_str(),
        Some(secret_file.to_str().unwrap())
    );
    assert_eq!(
        parsed["profiles"]["a"]["region"].as_str(),
        Some("eu-west-1")
    );
    assert!(parsed["profiles"]["c"].get("client_secret").is_none());
    assert_eq!(mode(&p.config()), 0o600);
    assert_eq!(mode(p.config().parent().unwrap()), 0o700);
}

#[test]
fn default_locations_follow_xdg_and_home() {
    let home = tempfile::tempdir().unwrap();
    run(
        bin()
            .args(["store", "--profile", "ci", "--client-id", "c1"])
            .env("HOME", home.path())
            .env("COGNITO_REFRESH_TOKEN", RT),
        0,
    );
    assert!(
        home.path()
            .join(".config/cognito-refresh/config.toml")
            .is_file()
    );
    let stored = home.path().join(".local/state/cognito-refresh/ci.json");
    assert_eq!(mode(&stored), 0o600);

    let xdg = tempfile::tempdir().unwrap();
    run(
        bin()
            .args(["store", "--profile", "ci", "--client-id", "c1"])
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", xdg.path().join("config"))
            .env("XDG_STATE_HOME", xdg.path().join("state"))
            .env("COGNITO_REFRESH_TOKEN", RT),
        0,
    );
    assert!(
        xdg.path()
            .join("config/cognito-refresh/config.toml")
            .is_file()
    );
    let entry: Value = serde_json::from_str(
        &std::fs::read_to_string(xdg.path().join("state/cognito-refresh/ci.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(entry["client_id"], "c1");
}

#[test]
fn stored_tokens_of_another_client_are_refused() {
    let p = stored();
    let out = run_failing(
        p.cmd()
            .args(["token", "--profile", "ci", "--client-id", "client2"]),
        2,
        &[RT],
    );
    assert_stderr_contains(&out, "issued to app client client1, not client2");
}
