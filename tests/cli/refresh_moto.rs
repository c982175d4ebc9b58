//! `refresh` against moto: real InitiateAuth REFRESH_TOKEN_AUTH with SECRET_HASH checking.

use crate::support::moto::{Session, moto};
use crate::util::*;
use assert_cmd::Command;
use std::io::Write as _;

/// `cognito-refresh refresh` aimed at moto for this session, with the refresh token in the
/// environment (as scripts should pass it).
fn refresh(s: &Session) -> Command {
    refresh_as(s, &s.client_id)
}

/// The same, naming another app client.
fn refresh_as(s: &Session, client_id: &str) -> Command {
    let m = moto();
    let mut cmd = bin();
    cmd.args(["refresh", "--client-id", client_id])
        .args(["--region", &m.region, "--endpoint-url", &m.endpoint])
        .env("COGNITO_REFRESH_TOKEN", &s.refresh_token);
    cmd
}

fn secrets(s: &Session) -> Vec<&str> {
    let mut v = vec![
        s.refresh_token.as_str(),
        s.access_token.as_str(),
        s.id_token.as_str(),
    ];
    v.extend(s.client_secret.as_deref());
    v.push(s.password.as_str());
    v
}

/// The new access token belongs to the session's user and client, and the output is coherent.
fn assert_fresh_tokens(s: &Session, t: &JsonTokens) {
    let access = claims(&t.access_token);
    assert_eq!(access["token_use"], "access");
    assert_eq!(access["username"], s.username.as_str());
    assert_eq!(access["client_id"], s.client_id.as_str());
    assert_ne!(t.access_token, s.access_token, "a new access token");
    let id = claims(t.id_token.as_deref().expect("an ID token"));
    assert_eq!(id["token_use"], "id");
    assert_eq!(id["cognito:username"], s.username.as_str());
    assert_eq!(t.token_type, "Bearer");
    assert!(t.expires_in > 0);
    let exp = access["exp"].as_i64().expect("exp");
    let at = time::OffsetDateTime::parse(
        &t.expires_at,
        &time::format_description::well_known::Rfc3339,
    )
    .expect("expires_at is RFC 3339");
    assert_eq!(
        at.unix_timestamp(),
        exp,
        "expires_at is the access token's exp"
    );
    assert!(t.expires_at.ends_with('Z'), "UTC: {}", t.expires_at);
    // Without rotation, Cognito returns no new refresh token, and the tool invents none.
    assert_eq!(t.refresh_token, None);
    assert!(t.new_device.is_none());
}

#[test]
fn public_client() {
    let s = moto().session(false);
    let out = run(&mut refresh(&s), 0);
    assert_fresh_tokens(&s, &json_tokens(&out));
    assert_no_secrets_but_tokens(&out, &s);
}

/// Stdout carries the requested tokens, and nothing else secret; stderr carries none.
fn assert_no_secrets_but_tokens(out: &std::process::Output, s: &Session) {
    let err = stderr(out);
    for secret in secrets(s) {
        assert!(!err.contains(secret), "{err}");
    }
    let o = stdout(out);
    assert!(!o.contains(&s.refresh_token));
    if let Some(cs) = &s.client_secret {
        assert!(!o.contains(cs.as_str()));
    }
}

#[test]
fn secret_client_with_username_flag() {
    let s = moto().session(true);
    let out = run(
        refresh(&s)
            .env("COGNITO_CLIENT_SECRET", s.client_secret.as_deref().unwrap())
            .args(["--username", &s.username, "-v"]),
        0,
    );
    assert_fresh_tokens(&s, &json_tokens(&out));
    assert!(stderr(&out).contains(&format!(
        "username {:?} for SECRET_HASH (given)",
        s.username
    )));
    assert_no_secrets_but_tokens(&out, &s);
}

#[test]
fn secret_client_username_from_access_token() {
    let s = moto().session(true);
    let out = run(
        refresh(&s)
            .env("COGNITO_CLIENT_SECRET", s.client_secret.as_deref().unwrap())
            .args(["--access-token", &s.access_token, "-v"]),
        0,
    );
    assert_fresh_tokens(&s, &json_tokens(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "username {:?} for SECRET_HASH (from the access token)",
            s.username
        )),
        "{err}"
    );
}

#[test]
fn secret_client_username_from_id_token_and_secret_from_file() {
    let s = moto().session(true);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret");
    std::fs::write(
        &path,
        format!("{}\r\n", s.client_secret.as_deref().unwrap()),
    )
    .unwrap();
    let out = run(
        refresh(&s)
            .arg("--client-secret-file")
            .arg(&path)
            .args(["--id-token", &s.id_token, "-v"]),
        0,
    );
    assert_fresh_tokens(&s, &json_tokens(&out));
    assert!(stderr(&out).contains("(from the ID token)"));
}

#[test]
fn secret_client_without_any_username_says_so() {
    let s = moto().session(true);
    let out = run_failing(
        refresh(&s).env("COGNITO_CLIENT_SECRET", s.client_secret.as_deref().unwrap()),
        2,
        &secrets(&s),
    );
    let err = stderr(&out);
    assert!(
        err.contains("no username is known for SECRET_HASH"),
        "{err}"
    );
    assert!(err.contains("--api get-tokens"), "{err}");
    // The session's client is its own: no refresh reached moto for it.
    assert_eq!(
        moto()
            .requests()
            .count_for(&s.client_id, "InitiateAuth:REFRESH_TOKEN_AUTH"),
        0,
        "nothing was sent"
    );
}

#[test]
fn refresh_token_from_stdin_and_file_with_crlf() {
    let s = moto().session(false);
    let out = run(
        refresh(&s)
            .env_remove("COGNITO_REFRESH_TOKEN")
            .args(["--refresh-token-file", "-"])
            .write_stdin(format!("  {}\r\n", s.refresh_token)),
        0,
    );
    assert_fresh_tokens(&s, &json_tokens(&out));

    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(file, "{}", s.refresh_token).unwrap();
    let out = run(
        refresh(&s)
            .env_remove("COGNITO_REFRESH_TOKEN")
            .arg("--refresh-token-file")
            .arg(file.path()),
        0,
    );
    assert_fresh_tokens(&s, &json_tokens(&out));
}

#[test]
fn refresh_token_on_argv_works_but_warns() {
    let s = moto().session(false);
    let out = run(
        refresh(&s)
            .env_remove("COGNITO_REFRESH_TOKEN")
            .args(["--refresh-token", &s.refresh_token]),
        0,
    );
    assert_fresh_tokens(&s, &json_tokens(&out));
    let err = stderr(&out);
    assert!(
        err.contains("warning: --refresh-token on the command line"),
        "{err}"
    );
    assert!(!err.contains(&s.refresh_token));
    // -q silences it.
    let out = run(
        refresh(&s).env_remove("COGNITO_REFRESH_TOKEN").args([
            "-q",
            "--refresh-token",
            &s.refresh_token,
        ]),
        0,
    );
    assert_eq!(stderr(&out), "");
}

#[test]
fn output_formats() {
    let s = moto().session(false);

    // env: eval'd by a shell, it sets exactly the tokens.
    let out = run(refresh(&s).args(["--output", "env"]), 0);
    let env = stdout(&out);
    let shell = std::process::Command::new("sh")
        .args(["-c", "eval \"$1\"; printf '%s\\n%s\\n%s' \"$COGNITO_ACCESS_TOKEN\" \"$COGNITO_ID_TOKEN\" \"$COGNITO_TOKEN_EXPIRES_AT\"", "sh", &env])
        .output()
        .unwrap();
    let values = String::from_utf8(shell.stdout).unwrap();
    let values: Vec<&str> = values.split('\n').collect();
    assert_eq!(values.len(), 3, "{env}");
    assert_eq!(claims(values[0])["token_use"], "access");
    assert_eq!(claims(values[1])["token_use"], "id");
    assert_eq!(
        time::OffsetDateTime::parse(values[2], &time::format_description::well_known::Rfc3339)
            .unwrap()
            .unix_timestamp(),
        claims(values[0])["exp"].as_i64().unwrap()
    );
    assert!(
        !env.contains("COGNITO_REFRESH_TOKEN"),
        "no rotation, no new refresh token"
    );

    // access-token / id-token: the bare token and a newline.
    let out = run(refresh(&s).args(["--output", "access-token"]), 0);
    let token = stdout(&out);
    assert!(token.ends_with('\n') && token.matches('\n').count() == 1);
    assert_eq!(claims(token.trim_end())["token_use"], "access");
    let out = run(refresh(&s).args(["-o", "id-token"]), 0);
    assert_eq!(claims(stdout(&out).trim_end())["token_use"], "id");

    // aws: the shape `aws cognito-idp initiate-auth` prints.
    let out = run(refresh(&s).args(["--output", "aws"]), 0);
    let aws: AwsOutput = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(aws.challenge_parameters, Some(serde_json::Map::new()));
    let r = aws.authentication_result;
    assert_eq!(claims(&r.access_token)["username"], s.username.as_str());
    assert_eq!(r.token_type, "Bearer");
    assert!(r.expires_in > 0);
    assert!(r.id_token.is_some());
    assert!(r.refresh_token.is_none() && r.new_device_metadata.is_none());
}

#[test]
fn garbage_token_is_rejected() {
    let s = moto().session(false);
    let out = run_failing(
        refresh(&s).env("COGNITO_REFRESH_TOKEN", "0b7e5e2a-garbage-not-a-token"),
        3,
        &["0b7e5e2a-garbage-not-a-token"],
    );
    assert!(stderr(&out).contains("NotAuthorizedException"));
}

#[test]
fn revoked_token_is_rejected() {
    let s = moto().session(false);
    run(&mut refresh(&s), 0);
    moto().global_sign_out(&s.access_token);
    let out = run_failing(&mut refresh(&s), 3, &secrets(&s));
    let err = stderr(&out);
    assert!(err.contains("NotAuthorizedException"), "{err}");
    assert!(err.contains("\nhint: "), "{err}");
}

#[test]
fn unknown_client_is_misconfiguration() {
    let s = moto().session(false);
    let out = run_failing(
        &mut refresh_as(&s, "doesnotexist1234567890abcd"),
        4,
        &secrets(&s),
    );
    let err = stderr(&out);
    assert!(err.contains("ResourceNotFoundException"), "{err}");
    assert!(err.contains("check --client-id and --region"), "{err}");
}

#[test]
fn token_of_another_client_is_rejected_and_warned() {
    let s = moto().session(false);
    let (other, _) = moto().client(&s.user_pool_id, false);
    let out = run(
        refresh_as(&s, &other).args(["--access-token", &s.access_token]),
        // moto does not reject tokens across clients; the tool still warns before sending.
        0,
    );
    let err = stderr(&out);
    assert!(
        err.contains(&format!("was issued to app client {}", s.client_id)),
        "{err}"
    );
}

#[test]
fn missing_secret_is_refused() {
    let s = moto().session(true);
    let out = run_failing(&mut refresh(&s), 3, &secrets(&s));
    let err = stderr(&out);
    assert!(err.contains("NotAuthorizedException"), "{err}");
    assert!(
        err.contains("if the app client has a secret, pass it"),
        "{err}"
    );
}

#[test]
fn wrong_secret_or_username_is_refused_without_leaking() {
    let s = moto().session(true);
    let real = s.client_secret.as_deref().unwrap();
    let wrong = format!("{real}x");
    let out = run_failing(
        refresh(&s)
            .env("COGNITO_CLIENT_SECRET", &wrong)
            .args(["--username", &s.username]),
        3,
        &[&wrong, &s.refresh_token],
    );
    assert!(stderr(&out).contains("NotAuthorizedException"));

    // The right secret with another username: the hash does not match either.
    let out = run_failing(
        refresh(&s).env("COGNITO_CLIENT_SECRET", real).args([
            "--username",
            "someone-else",
            "--access-token",
            &s.access_token,
        ]),
        3,
        &secrets(&s),
    );
    let err = stderr(&out);
    assert!(err.contains("NotAuthorizedException"), "{err}");
    // The alias gotcha is pointed out before anything is sent.
    assert!(
        err.contains(&format!("differs from {:?}", s.username)),
        "{err}"
    );
}

#[test]
fn empty_environment_variables_count_as_unset() {
    let s = moto().session(false);
    let out = run(refresh(&s).env("COGNITO_CLIENT_SECRET", ""), 0);
    assert_fresh_tokens(&s, &json_tokens(&out));
}

#[test]
fn region_from_environment_and_pool_id() {
    let s = moto().session(false);
    let m = moto();
    let base = || {
        let mut cmd = bin();
        cmd.args([
            "refresh",
            "--client-id",
            &s.client_id,
            "--endpoint-url",
            &m.endpoint,
            "-v",
        ])
        .env("COGNITO_REFRESH_TOKEN", &s.refresh_token);
        cmd
    };
    let out = run(base().env("AWS_DEFAULT_REGION", &m.region), 0);
    assert!(stderr(&out).contains(&format!("region {} (given)", m.region)));
    let out = run(base().args(["--user-pool-id", &s.user_pool_id]), 0);
    assert!(stderr(&out).contains(&format!("region {} (from the user pool id)", m.region)));
    let out = run(base().args(["--access-token", &s.access_token]), 0);
    assert!(stderr(&out).contains(&format!("region {} (from the access token)", m.region)));
    let out = run(
        base()
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .args(["--region", &m.region]),
        0,
    );
    json_tokens(&out);
}

#[test]
fn endpoint_from_environment() {
    let s = moto().session(false);
    let m = moto();
    let out = run(
        bin()
            .args([
                "refresh",
                "--client-id",
                &s.client_id,
                "--region",
                &m.region,
            ])
            .env("COGNITO_REFRESH_TOKEN", &s.refresh_token)
            .env("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", &m.endpoint)
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
        0,
    );
    assert_fresh_tokens(&s, &json_tokens(&out));
}
