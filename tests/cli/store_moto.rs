//! Profiles and the token store against moto: real refreshes, and moto's per-client request
//! counts to prove what was served from the store.

use crate::support::moto::{Session, moto};
use crate::util::*;
use assert_cmd::Command;
use serde_json::Value;

const REFRESH: &str = "InitiateAuth:REFRESH_TOKEN_AUTH";

/// Refreshes moto has seen for the session's app client (its own: counts are exact).
fn refreshes(s: &Session) -> u64 {
    moto().requests().count_for(&s.client_id, REFRESH)
}

/// `store --profile ci` for the session, creating the profile from the options, with the
/// refresh token on standard input.
fn store(p: &Profiles, s: &Session, extra: &[&str]) -> std::process::Output {
    let m = moto();
    run(
        p.cmd()
            .args(["store", "--profile", "ci", "--client-id", &s.client_id])
            .args(["--region", &m.region, "--endpoint-url", &m.endpoint])
            .args(extra)
            .write_stdin(format!("{}\n", s.refresh_token)),
        0,
    )
}

/// Stores the session with its access and ID tokens, as a sign-in would.
fn store_both_tokens(p: &Profiles, s: &Session) {
    store(
        p,
        s,
        &["--access-token", &s.access_token, "--id-token", &s.id_token],
    );
}

fn token(p: &Profiles, args: &[&str]) -> Command {
    let mut cmd = p.cmd();
    cmd.args(["token", "--profile", "ci"]).args(args);
    cmd
}

fn secrets(s: &Session) -> Vec<&str> {
    let mut v = vec![s.refresh_token.as_str(), s.password.as_str()];
    v.extend(s.client_secret.as_deref());
    v
}

#[test]
fn store_then_token_twice_serves_the_second_from_the_store() {
    let s = moto().session(false);
    let p = Profiles::new();
    let out = store(&p, &s, &[]);
    assert_no_secrets(&out, &secrets(&s));
    assert_stderr_contains(&out, "created profile ci");

    // The profile was created from the options, and the store holds the refresh token alone.
    let config = std::fs::read_to_string(p.config()).unwrap();
    assert!(config.contains("[profiles.ci]"), "{config}");
    assert!(config.contains(&s.client_id), "{config}");
    assert!(config.contains(&moto().endpoint), "{config}");
    let entry = p.entry("ci");
    assert_eq!(entry["version"], 1);
    assert_eq!(entry["client_id"], s.client_id.as_str());
    assert_eq!(entry["refresh_token"], s.refresh_token.as_str());
    assert!(entry.get("access_token").is_none(), "{entry}");
    assert_eq!(mode(&p.store()), 0o700);
    assert_eq!(mode(&p.store_file("ci")), 0o600);
    assert_eq!(mode(&p.config()), 0o600);
    assert_eq!(refreshes(&s), 0);

    // First call: nothing valid stored, so one refresh, stored before it is printed.
    let first = run(&mut token(&p, &[]), 0);
    assert_eq!(refreshes(&s), 1);
    let printed = stdout(&first);
    let access = printed.trim_end();
    assert_eq!(printed, format!("{access}\n"));
    let c = claims(access);
    assert_eq!(c["token_use"], "access");
    assert_eq!(c["username"], s.username.as_str());
    assert_eq!(c["client_id"], s.client_id.as_str());
    let entry = p.entry("ci");
    assert_eq!(entry["access_token"], access);
    assert_eq!(entry["expires_at"], c["exp"]);
    assert_eq!(entry["rotation"], false, "InitiateAuth never rotates");
    assert_no_secrets(&first, &secrets(&s));

    // Second call: served from the store, no request reached the server.
    let second = run(&mut token(&p, &["-v"]), 0);
    assert_eq!(stdout(&second), printed);
    assert_eq!(refreshes(&s), 1, "the second call must not refresh");
    assert!(
        stderr(&second).contains("from the store"),
        "{}",
        stderr(&second)
    );

    // The ID token, from the store too.
    let id = run(&mut token(&p, &["--id"]), 0);
    assert_eq!(claims(stdout(&id).trim_end())["token_use"], "id");
    assert_eq!(refreshes(&s), 1);
}

#[test]
fn expiry_within_min_ttl_triggers_a_refresh() {
    let s = moto().session(false);
    let p = Profiles::new();
    // moto's tokens are valid for an hour.
    store_both_tokens(&p, &s);

    let out = run(&mut token(&p, &["--min-ttl", "5m"]), 0);
    assert_eq!(
        stdout(&out).trim_end(),
        s.access_token,
        "valid for 5 minutes: stored"
    );
    assert_eq!(refreshes(&s), 0);

    let out = run(&mut token(&p, &["--min-ttl", "2h"]), 0);
    let fresh = stdout(&out).trim_end().to_string();
    assert_eq!(refreshes(&s), 1, "not valid for 2 hours: refreshed");
    assert_ne!(fresh, s.access_token);
    assert_eq!(p.entry("ci")["access_token"], fresh.as_str());
    // Even new tokens are not valid for 2 hours: said once, not an error.
    assert_stderr_contains(&out, "--min-ttl");

    // The environment variable sets the same.
    run(token(&p, &[]).env("COGNITO_MIN_TTL", "7200"), 0);
    assert_eq!(refreshes(&s), 2);
    run(token(&p, &[]).env("COGNITO_MIN_TTL", "1m"), 0);
    assert_eq!(refreshes(&s), 2);

    // --force refreshes whatever the expiry.
    run(&mut token(&p, &["--force"]), 0);
    assert_eq!(refreshes(&s), 3);
}

#[test]
fn exec_passes_tokens_and_exit_status() {
    let s = moto().session(false);
    let p = Profiles::new();
    store_both_tokens(&p, &s);

    let exec = |args: &[&str]| {
        let mut cmd = p.cmd();
        cmd.args(["exec", "--profile", "ci", "--"]).args(args);
        cmd
    };
    run(&mut exec(&["sh", "-c", "exit 7"]), 7);
    run(&mut exec(&["true"]), 0);

    // Stale values are replaced, and the marker names the profile.
    let out = run(
        exec(&[
            "sh",
            "-c",
            r#"printf '%s\n' "$COGNITO_ACCESS_TOKEN" "$COGNITO_ID_TOKEN" "$COGNITO_TOKEN_EXPIRES_AT" "$COGNITO_REFRESH_EXEC""#,
        ])
        .env("COGNITO_ACCESS_TOKEN", "stale-access")
        .env("COGNITO_ID_TOKEN", "stale-id")
        .env("COGNITO_TOKEN_EXPIRES_AT", "1970-01-01T00:00:00Z"),
        0,
    );
    let o = stdout(&out);
    let lines: Vec<&str> = o.lines().collect();
    assert_eq!(lines.len(), 4, "{o}");
    assert_eq!(lines[0], s.access_token);
    assert_eq!(lines[1], s.id_token);
    let exp = claims(&s.access_token)["exp"].as_i64().unwrap();
    let at = time::OffsetDateTime::parse(lines[2], &time::format_description::well_known::Rfc3339)
        .unwrap();
    assert_eq!(at.unix_timestamp(), exp);
    assert_eq!(lines[3], "ci");
    assert_eq!(refreshes(&s), 0, "valid stored tokens: no refresh");

    // With --min-ttl beyond their expiry, the command gets new tokens.
    let out = run(
        p.cmd()
            .args(["exec", "--profile", "ci", "--min-ttl", "2h", "--"])
            .args(["sh", "-c", r#"printf '%s' "$COGNITO_ACCESS_TOKEN""#]),
        0,
    );
    assert_eq!(refreshes(&s), 1);
    assert_eq!(
        stdout(&out),
        p.entry("ci")["access_token"].as_str().unwrap()
    );
    assert_ne!(stdout(&out), s.access_token);

    // No nesting, unless asked for.
    let out = run_failing(
        exec(&["true"]).env("COGNITO_REFRESH_EXEC", "outer"),
        2,
        &secrets(&s),
    );
    assert_stderr_contains(&out, "--allow-nested");
    run(
        p.cmd()
            .args(["exec", "--profile", "ci", "--allow-nested", "--", "true"])
            .env("COGNITO_REFRESH_EXEC", "outer"),
        0,
    );

    // A command that cannot be run is a clear error.
    let out = run_failing(&mut exec(&["/nonexistent/command"]), 2, &secrets(&s));
    assert_stderr_contains(&out, "cannot run /nonexistent/command");
}

#[test]
fn exec_delivers_signals_to_the_command() {
    use std::io::{BufRead as _, BufReader};
    use std::process::{Command as StdCommand, Stdio};

    let s = moto().session(false);
    let p = Profiles::new();
    store(&p, &s, &["--access-token", &s.access_token]);
    for (signal, status) in [("TERM", 42), ("INT", 43)] {
        let cmd = bin();
        let mut child = StdCommand::new(cmd.get_program())
            .env_clear()
            .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))))
            .env("COGNITO_REFRESH_CONFIG", p.config())
            .env("COGNITO_REFRESH_STORE", p.store())
            .args(["exec", "--profile", "ci", "--", "sh", "-c"])
            .arg(format!(
                "trap 'exit {status}' {signal}; echo ready; while :; do sleep 0.05; done"
            ))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line, "ready\n");
        // The signal goes to the process the caller started: the command must get it.
        let sent = StdCommand::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let exit = child.wait().unwrap();
        assert_eq!(exit.code(), Some(status), "SIG{signal}: {exit:?}");
    }
}

#[test]
fn a_secret_client_refreshes_with_the_profile_settings() {
    let s = moto().session(true);
    let m = moto();
    let p = Profiles::new();
    p.write_config(&format!(
        "# written by hand\n[profiles.ci]\nclient_id = \"{}\"\nregion = \"{}\"\nendpoint_url = \"{}\"\n\
         client_secret_env = \"MY_POOL_SECRET\"\n",
        s.client_id, m.region, m.endpoint
    ));
    // The username for SECRET_HASH comes from the stored access token.
    run(
        p.cmd()
            .args([
                "store",
                "--profile",
                "ci",
                "--access-token",
                &s.access_token,
            ])
            .env("COGNITO_REFRESH_TOKEN", &s.refresh_token),
        0,
    );
    let secret = s.client_secret.clone().unwrap();
    let out = run(
        token(&p, &["--force", "-v"]).env("MY_POOL_SECRET", &secret),
        0,
    );
    assert_eq!(refreshes(&s), 1);
    assert_stderr_contains(&out, "from the access token");
    assert_no_secrets(&out, &[&secret, &s.refresh_token]);

    // The variable the profile names is not set: a clear error, before any request.
    let out = run_failing(&mut token(&p, &["--force"]), 2, &secrets(&s));
    assert_stderr_contains(&out, "MY_POOL_SECRET, which is not set");
    assert_eq!(refreshes(&s), 1);

    // A flag overrides the profile: the wrong secret it names is the one used, and moto
    // refuses its SECRET_HASH.
    let wrong = p.dir.path().join("wrong-secret");
    std::fs::write(&wrong, format!("{secret}x")).unwrap();
    let out = run_failing(
        token(&p, &["--force", "--client-secret-file"])
            .arg(&wrong)
            .env("MY_POOL_SECRET", &secret),
        3,
        &secrets(&s),
    );
    assert_stderr_contains(&out, "NotAuthorizedException");
    assert_eq!(refreshes(&s), 2);
}

#[test]
fn refresh_with_a_profile_uses_and_updates_the_store() {
    let s = moto().session(false);
    let m = moto();
    let p = Profiles::new();
    // A first refresh starts the store: the refresh token comes from the environment.
    let out = run(
        p.cmd()
            .args(["refresh", "--profile", "ci", "--client-id", &s.client_id])
            .args(["--region", &m.region, "--endpoint-url", &m.endpoint])
            .env("COGNITO_REFRESH_TOKEN", &s.refresh_token),
        0,
    );
    let t = json_tokens(&out);
    assert_eq!(refreshes(&s), 1);
    let entry = p.entry("ci");
    assert_eq!(entry["access_token"], t.access_token.as_str());
    assert_eq!(entry["refresh_token"], s.refresh_token.as_str());

    // Then the stored refresh token is used, whatever the environment holds (it may be one
    // that was rotated out).
    let out = run(
        p.cmd()
            .args(["refresh", "--profile", "ci", "--output", "access-token"])
            .env("COGNITO_REFRESH_TOKEN", "stale-or-rotated-out-token"),
        0,
    );
    assert_eq!(refreshes(&s), 2);
    assert_eq!(p.entry("ci")["access_token"], stdout(&out).trim_end());

    // A refresh token on the command line would silently be ignored: refused instead.
    let out = run_failing(
        p.cmd()
            .args(["refresh", "--profile", "ci", "--refresh-token-file", "-"])
            .write_stdin("another-token"),
        2,
        &secrets(&s),
    );
    assert_stderr_contains(&out, "cognito-refresh store --profile ci");
    assert_eq!(refreshes(&s), 2);
}

#[test]
fn a_revoked_token_is_exit_3_and_the_store_is_kept() {
    let s = moto().session(false);
    let p = Profiles::new();
    store(&p, &s, &["--access-token", &s.access_token]);
    moto().global_sign_out(&s.access_token);
    let before = std::fs::read(p.store_file("ci")).unwrap();
    run_failing(&mut token(&p, &["--force"]), 3, &secrets(&s));
    assert_eq!(std::fs::read(p.store_file("ci")).unwrap(), before);
}

#[test]
fn profiles_lists_token_state_without_secrets() {
    let s = moto().session(false);
    let p = Profiles::new();
    store(&p, &s, &["--access-token", &s.access_token]);
    p.write_config(&format!(
        "{}\n[profiles.other]\nclient_id = \"c-other\"\nuser_pool_id = \"ap-south-1_Abc\"\n",
        std::fs::read_to_string(p.config()).unwrap()
    ));
    let out = run(p.cmd().args(["profiles", "--profile", "ci"]), 0);
    let table = stdout(&out);
    let ci = table.lines().find(|l| l.contains(" ci ")).expect(&table);
    assert!(ci.starts_with("* ci"), "{table}");
    assert!(ci.contains("valid until"), "{table}");
    assert!(ci.contains("stored"), "{table}");
    let other = table.lines().find(|l| l.contains("other")).expect(&table);
    assert!(other.contains("ap-south-1"), "{table}");
    assert!(other.contains("none"), "{table}");
    assert_no_secrets(&out, &[&s.refresh_token, &s.access_token]);

    let out = run(p.cmd().args(["profiles", "--json"]), 0);
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["name"], "ci");
    assert_eq!(rows[0]["valid"], true);
    assert_eq!(rows[0]["refresh_token"], true);
    assert_eq!(rows[0]["rotation"], "unknown");
    assert_eq!(rows[1]["name"], "other");
    assert_eq!(rows[1]["refresh_token"], false);
    assert_no_secrets(&out, &[&s.refresh_token, &s.access_token]);
}
