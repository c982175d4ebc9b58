//! `verify` against moto, whose tokens are RS256-signed and whose user pools serve their JSON
//! Web Key Set at `/<pool>/.well-known/jwks.json`: fresh tokens pass, and each kind of token an
//! API refuses fails the check that names why.

use crate::support::{Session, moto};
use crate::util::*;
use assert_cmd::Command;
use serde::Deserialize;
use std::process::Output;
use tempfile::TempDir;

/// `verify -o json`, the contract: unknown fields fail the test.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    pub valid: bool,
    pub checks: Vec<VerdictCheck>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerdictCheck {
    pub id: String,
    pub status: String,
    pub summary: String,
    pub fix: Option<String>,
}

impl Verdict {
    /// The check with this id.
    pub fn check(&self, id: &str) -> &VerdictCheck {
        self.checks
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no check {id}: {self:?}"))
    }

    /// The ids of the failed checks.
    pub fn failed(&self) -> Vec<&str> {
        self.checks
            .iter()
            .filter(|c| c.status == "fail")
            .map(|c| c.id.as_str())
            .collect()
    }
}

pub fn verdict(out: &Output) -> Verdict {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not the verify JSON ({e}):\n{}\nstderr:\n{}",
            stdout(out),
            stderr(out)
        )
    })
}

/// `verify` of `token` (on standard input) for what an API of `session`'s pool and app client
/// expects, with the keys cached in `cache`: `-o json` unless `args` say `-o`.
fn verify(session: &Session, cache: &TempDir, token: &str, args: &[&str]) -> Command {
    let mut cmd = bin();
    let json: &[&str] = if args.contains(&"-o") {
        &[]
    } else {
        &["-o", "json"]
    };
    cmd.env("XDG_CACHE_HOME", cache.path())
        .args(["verify", "--endpoint-url", &moto().endpoint])
        .args(json)
        .args(["--user-pool-id", &session.user_pool_id])
        .args(["--client-id", &session.client_id])
        .args(args)
        .write_stdin(token.to_string());
    cmd
}

/// Fails with exit 3, the one error line, no token in the output; the verdict.
fn refused(session: &Session, token: &str, args: &[&str]) -> Verdict {
    let cache = tempfile::tempdir().unwrap();
    let out = run_failing(&mut verify(session, &cache, token, args), 3, &[token]);
    assert_stderr_contains(&out, "the token is not valid");
    let v = verdict(&out);
    assert!(!v.valid, "{v:?}");
    v
}

#[test]
fn fresh_access_and_id_tokens_pass() {
    let s = moto().session(false);
    let cache = tempfile::tempdir().unwrap();
    let args = [
        "--token-use",
        "access",
        "--scope",
        "aws.cognito.signin.user.admin",
    ];
    let out = run(&mut verify(&s, &cache, &s.access_token, &args), 0);
    let v = verdict(&out);
    assert!(v.valid, "{v:?}");
    for id in [
        "signature",
        "issuer",
        "token-use",
        "client",
        "expiry",
        "scope",
    ] {
        assert_eq!(v.check(id).status, "ok", "{v:?}");
    }
    assert_no_secrets(&out, &[&s.access_token]);
    let out = run(
        &mut verify(&s, &cache, &s.id_token, &["--token-use", "id"]),
        0,
    );
    let v = verdict(&out);
    assert!(v.valid, "{v:?}");
    assert_eq!(v.check("client").status, "ok");
    assert!(v.check("client").summary.contains("(aud)"), "{v:?}");
    assert_eq!(v.check("scope").status, "skipped");
}

#[test]
fn a_changed_signature_byte_fails_the_signature() {
    let s = moto().session(false);
    let (input, signature) = s.access_token.rsplit_once('.').unwrap();
    let mut bytes = signature.as_bytes().to_vec();
    let middle = bytes.len() / 2;
    bytes[middle] = if bytes[middle] == b'A' { b'B' } else { b'A' };
    let forged = format!("{input}.{}", String::from_utf8(bytes).unwrap());
    let v = refused(&s, &forged, &[]);
    assert_eq!(v.failed(), ["signature"], "{v:?}");
}

#[test]
fn another_pools_token_fails_the_issuer() {
    let api = moto().session(false);
    let other = moto().session(false);
    let v = refused(&api, &other.access_token, &[]);
    assert!(v.failed().contains(&"issuer"), "{v:?}");
    assert!(
        v.check("issuer").summary.contains(&other.user_pool_id),
        "{v:?}"
    );
}

#[test]
fn an_id_token_where_an_access_token_is_expected_fails_token_use() {
    let s = moto().session(false);
    let v = refused(&s, &s.id_token, &["--token-use", "access"]);
    assert_eq!(v.failed(), ["token-use"], "{v:?}");
    let fix = v.check("token-use").fix.as_deref().unwrap_or("");
    assert!(fix.contains("access token"), "{fix}");
    // The report as people read it: the check, then its fix.
    let cache = tempfile::tempdir().unwrap();
    let mut cmd = verify(
        &s,
        &cache,
        &s.id_token,
        &["--token-use", "access", "-o", "human"],
    );
    let out = run_failing(&mut cmd, 3, &[&s.id_token]);
    let text = stdout(&out);
    assert!(
        text.contains("fail     token-use: this is an ID token"),
        "{text}"
    );
    assert!(text.contains("result: not valid (exit 3)"), "{text}");
}

#[test]
fn another_clients_token_fails_the_client() {
    let s = moto().session(false);
    let (other_client, _) = moto().client(&s.user_pool_id, false);
    let mut cmd = bin();
    let cache = tempfile::tempdir().unwrap();
    cmd.env("XDG_CACHE_HOME", cache.path())
        .args(["verify", "-o", "json", "--endpoint-url", &moto().endpoint])
        .args([
            "--user-pool-id",
            &s.user_pool_id,
            "--client-id",
            &other_client,
        ])
        .write_stdin(s.access_token.clone());
    let out = run_failing(&mut cmd, 3, &[&s.access_token]);
    let v = verdict(&out);
    assert_eq!(v.failed(), ["client"], "{v:?}");
    assert!(v.check("client").summary.contains(&s.client_id), "{v:?}");
}

#[test]
fn a_missing_scope_fails_the_scope() {
    let s = moto().session(false);
    let v = refused(&s, &s.access_token, &["--scope", "orders/read"]);
    assert_eq!(v.failed(), ["scope"], "{v:?}");
    assert!(v.check("scope").summary.contains("orders/read"), "{v:?}");
}

#[test]
fn a_profiles_stored_tokens_are_checked_without_a_refresh() {
    let s = moto().session(false);
    let p = Profiles::new();
    let dir = tempfile::tempdir().unwrap();
    let access = dir.path().join("access.jwt");
    let id = dir.path().join("id.jwt");
    std::fs::write(&access, &s.access_token).unwrap();
    std::fs::write(&id, &s.id_token).unwrap();
    let mut store = p.cmd();
    store
        .args(["store", "--profile", "dev", "--client-id", &s.client_id])
        .args(["--user-pool-id", &s.user_pool_id])
        .args(["--endpoint-url", &moto().endpoint])
        .arg("--access-token-file")
        .arg(&access)
        .arg("--id-token-file")
        .arg(&id)
        .write_stdin(s.refresh_token.clone());
    run(&mut store, 0);
    let before = moto().requests().count_for(&s.client_id, "InitiateAuth");
    let cache = tempfile::tempdir().unwrap();
    for (extra, token_use) in [(&[][..], "access"), (&["--id"][..], "id")] {
        let mut cmd = p.cmd();
        cmd.env("XDG_CACHE_HOME", cache.path())
            .args([
                "verify",
                "--profile",
                "dev",
                "-o",
                "json",
                "--token-use",
                token_use,
            ])
            .args(extra);
        let v = verdict(&run(&mut cmd, 0));
        assert!(v.valid, "{v:?}");
        // The expected pool and client come from the profile.
        assert_eq!(v.check("issuer").status, "ok", "{v:?}");
        assert_eq!(v.check("client").status, "ok", "{v:?}");
    }
    // The stored ID token where the API wants an access token: the hint names the command
    // that prints the access token.
    let mut cmd = p.cmd();
    cmd.env("XDG_CACHE_HOME", cache.path()).args([
        "verify",
        "--profile",
        "dev",
        "--id",
        "--token-use",
        "access",
    ]);
    let out = run_failing(&mut cmd, 3, &[&s.id_token, &s.access_token]);
    assert_stderr_contains(
        &out,
        "hint: `cognito-refresh token --profile dev` prints the profile's access token",
    );
    assert_eq!(
        moto().requests().count_for(&s.client_id, "InitiateAuth"),
        before
    );
}
