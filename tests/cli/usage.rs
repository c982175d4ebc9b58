//! Input the tool refuses before sending anything, and the `decode` command: no server needed.

use crate::support::jwt;
use crate::util::*;
use serde_json::{Value, json};

const RT: &str = "0b7e5e2a-1d0c-4e39-9b9e-3c8d2f1e4a5b-refresh";

fn refresh() -> assert_cmd::Command {
    let mut cmd = bin();
    cmd.args(["refresh", "--client-id", "client1"])
        .env("COGNITO_REFRESH_TOKEN", RT);
    cmd
}

#[test]
fn no_region_is_exit_2() {
    let out = run_failing(&mut refresh(), 2, &[RT]);
    assert_stderr_contains(&out, "no region");
}

#[test]
fn region_from_aws_config_file() {
    // The AWS config file's profile gives a region, and nothing else is read from it: the
    // refused endpoint shows the region was found and the call stopped before the network.
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/config"),
        "[default]\nregion = ap-south-1\n[profile other]\nregion = ca-central-1\n",
    )
    .unwrap();
    let out = run(
        refresh()
            .env("HOME", home.path())
            .env("AWS_PROFILE", "other")
            .args([
                "-v",
                "--endpoint-url",
                "http://127.0.0.1:9",
                "--timeout",
                "2",
            ]),
        5,
    );
    assert_stderr_contains(
        &out,
        "region ca-central-1 (from the AWS config file's profile)",
    );
}

#[test]
fn refused_endpoint_is_exit_2() {
    for url in [
        "http://10.0.0.1:5000",
        "http://example.com",
        "ftp://127.0.0.1/",
    ] {
        let out = run_failing(
            refresh().args(["--region", "eu-west-1", "--endpoint-url", url]),
            2,
            &[RT],
        );
        assert_stderr_contains(&out, url);
    }
    // The environment variable is checked the same way.
    let out = run_failing(
        refresh()
            .args(["--region", "eu-west-1"])
            .env("AWS_ENDPOINT_URL", "http://10.0.0.1"),
        2,
        &[RT],
    );
    assert!(stderr(&out).contains("refusing plain http://"));
}

#[test]
fn malformed_values_are_exit_2() {
    for args in [
        &["--region", "EU_WEST_1"][..],
        &["--region", "eu-west-1", "--user-pool-id", "pool"],
        &["--region", "eu-west-1", "--access-token", "not.a.jwt"],
        &["--region", "eu-west-1", "--api", "oauth2"],
        &["--region", "eu-west-1", "--output", "yaml"],
        &["--region", "eu-west-1", "--timeout", "0"],
        &["--region", "eu-west-1", "--client-metadata", "novalue"],
    ] {
        let out = run(refresh().args(args), 2);
        assert!(stderr(&out).contains("error"), "{args:?}: {}", stderr(&out));
        assert_no_secrets(&out, &[RT]);
    }
}

#[test]
fn missing_refresh_token_is_exit_2() {
    let out = run_failing(
        refresh()
            .env_remove("COGNITO_REFRESH_TOKEN")
            .args(["--region", "eu-west-1"]),
        2,
        &[],
    );
    assert!(stderr(&out).contains("no refresh token"));
    // Whitespace only counts as nothing.
    let out = run_failing(
        refresh()
            .env_remove("COGNITO_REFRESH_TOKEN")
            .args(["--region", "eu-west-1", "--refresh-token-file", "-"])
            .write_stdin(" \r\n"),
        2,
        &[],
    );
    assert_stderr_contains(&out, "empty");
}

#[test]
fn missing_client_id_is_exit_2() {
    let out = run(
        bin()
            .args(["refresh", "--region", "eu-west-1"])
            .env("COGNITO_REFRESH_TOKEN", RT),
        2,
    );
    assert!(stderr(&out).contains("--client-id"));
}

#[test]
fn unreadable_files_are_exit_2() {
    let out = run_failing(
        refresh().args([
            "--region",
            "eu-west-1",
            "--client-secret-file",
            "/nonexistent/secret",
        ]),
        2,
        &[RT],
    );
    assert!(stderr(&out).contains("/nonexistent/secret"));
    let out = run_failing(
        refresh()
            .env_remove("COGNITO_REFRESH_TOKEN")
            .args([
                "--region",
                "eu-west-1",
                "--refresh-token-file",
                "-",
                "--client-secret-file",
                "-",
            ])
            .write_stdin(RT),
        2,
        &[RT],
    );
    assert!(stderr(&out).contains("standard input"));
}

#[test]
fn what_is_not_a_refresh_token_is_exit_2() {
    let access = jwt::unsigned(json!({"token_use": "access", "username": "alice"}));
    for (token, says) in [
        (format!("Bearer {RT}"), "whitespace"),
        (format!("\"{RT}\""), "quotes"),
        (access.clone(), "an access token"),
    ] {
        let out = run_failing(
            refresh()
                .args(["--region", "eu-west-1"])
                .env("COGNITO_REFRESH_TOKEN", &token),
            2,
            &[RT, &access],
        );
        assert_stderr_contains(&out, says);
    }
    // Far too long, or not text at all, through standard input.
    let out = run_failing(
        refresh()
            .env_remove("COGNITO_REFRESH_TOKEN")
            .args(["--region", "eu-west-1", "--refresh-token-file", "-"])
            .write_stdin(vec![b'a'; 1024 * 1024]),
        2,
        &[],
    );
    assert!(stderr(&out).contains("not a token"));
    let out = run_failing(
        refresh()
            .env_remove("COGNITO_REFRESH_TOKEN")
            .args(["--region", "eu-west-1", "--refresh-token-file", "-"])
            .write_stdin(vec![0xff, 0xfe, 0x00, 0x80]),
        2,
        &[],
    );
    assert!(stderr(&out).contains("not UTF-8"));
}

#[test]
fn help_never_shows_secret_values() {
    let out = run(
        bin()
            .args(["refresh", "--help"])
            .env("COGNITO_REFRESH_TOKEN", RT)
            .env("COGNITO_CLIENT_SECRET", "client-secret-value"),
        0,
    );
    let help = stdout(&out);
    assert!(help.contains("COGNITO_REFRESH_TOKEN"));
    assert_no_secrets(&out, &[RT, "client-secret-value"]);
}

#[test]
fn version() {
    let out = run(bin().arg("--version"), 0);
    assert_eq!(
        stdout(&out),
        format!("cognito-refresh {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn decode_access_token() {
    let exp = 4_102_444_800i64; // 2100-01-01
    let token = jwt::unsigned(json!({"token_use": "access", "username": "alice", "exp": exp}));
    let out = run(bin().args(["decode", &token]), 0);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["type"], "jwt");
    assert_eq!(v["token_use"], "access");
    assert_eq!(v["claims"]["username"], "alice");
    assert_eq!(v["header"]["alg"], "RS256");
    assert_eq!(v["expires_at"], "2100-01-01T00:00:00Z");
    assert_eq!(v["expired"], false);
    assert_eq!(v["signature_checked"], false);

    // From standard input, expired.
    let token = jwt::unsigned(json!({"token_use": "id", "exp": 1_000_000_000}));
    let out = run(bin().arg("decode").write_stdin(format!("{token}\n")), 0);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["token_use"], "id");
    assert_eq!(v["expired"], true);
    assert_eq!(v["expires_at"], "2001-09-09T01:46:40Z");
}

#[test]
fn decode_refresh_tokens() {
    use base64::Engine as _;
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(r#"{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}"#);
    let jwe = format!("{header}.ZW5j.aXY.Y2lwaGVy.dGFn");
    let out = run(bin().arg("decode").write_stdin(jwe), 0);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["type"], "jwe");
    assert_eq!(v["cognito_refresh_token_shape"], true);
    assert_eq!(v["header"]["enc"], "A256GCM");

    let out = run(bin().arg("decode").write_stdin(RT), 0);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["type"], "opaque");
    assert_eq!(v["cognito_refresh_token_shape"], false);
    assert_no_secrets(&out, &[RT]);
}

#[test]
fn decode_damaged_jwt_is_exit_2() {
    for bad in ["e30.!!!.sig", "e30.bm90IGpzb24.sig", ""] {
        let out = run_failing(bin().arg("decode").write_stdin(bad), 2, &[]);
        assert_stderr_contains(&out, "token");
    }
}
