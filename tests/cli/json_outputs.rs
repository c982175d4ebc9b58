//! The JSON outputs are a contract (README, "JSON outputs: what stays stable"): within a major
//! version keys are added, never renamed or removed. Each test pins one output's current key
//! set, nested keys included (`checks[].id`), so that a rename or a removal fails here; adding
//! a key means adding it here too, in the README and in CHANGELOG.md.

use crate::support::jwt;
use crate::support::wire::{self, CLIENT, REFRESH_TOKEN, auth_result, tokens};
use crate::util::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Every key of `value`, as paths: `a`, `a.b`, and `a[].b` for the objects of an array.
fn keys(value: &Value) -> BTreeSet<String> {
    fn walk(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    let path = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    out.insert(path.clone());
                    walk(inner, &path, out);
                }
            }
            Value::Array(items) => {
                for item in items {
                    walk(item, &format!("{prefix}[]"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(value, "", &mut out);
    out
}

fn json_out(cmd: &mut assert_cmd::Command) -> Value {
    serde_json::from_str(&stdout(&run(cmd, 0))).expect("stdout is JSON")
}

fn assert_keys(value: &Value, expected: &[&str]) {
    let expected: BTreeSet<String> = expected.iter().map(|k| (*k).to_owned()).collect();
    assert_eq!(keys(value), expected, "{value:#}");
}

const TOKENS: &[&str] = &[
    "access_token",
    "expires_at",
    "expires_in",
    "id_token",
    "token_type",
];

/// An answer with every optional part: a rotated refresh token and a new device.
fn full_answer() -> Value {
    let mut answer = tokens();
    answer["RefreshToken"] = json!("rotated-refresh-token-json");
    answer["NewDeviceMetadata"] = json!({"DeviceKey": "eu-west-1_dev", "DeviceGroupKey": "-grp"});
    answer
}

#[tokio::test]
async fn refresh_json_keys() {
    let server = wire::answering(auth_result(tokens())).await;
    assert_keys(
        &json_out(&mut against_stub("refresh", &server.uri())),
        TOKENS,
    );

    let server = wire::answering(auth_result(full_answer())).await;
    let full = json_out(against_stub("refresh", &server.uri()).args(["--api", "get-tokens"]));
    let mut expected = TOKENS.to_vec();
    expected.extend([
        "refresh_token",
        "new_device",
        "new_device.device_key",
        "new_device.device_group_key",
    ]);
    assert_keys(&full, &expected);
}

#[tokio::test]
async fn refresh_aws_keys() {
    let server = wire::answering(auth_result(tokens())).await;
    let out = json_out(against_stub("refresh", &server.uri()).args(["-o", "aws"]));
    assert_keys(
        &out,
        &[
            "AuthenticationResult",
            "AuthenticationResult.AccessToken",
            "AuthenticationResult.ExpiresIn",
            "AuthenticationResult.IdToken",
            "AuthenticationResult.TokenType",
            "ChallengeParameters",
        ],
    );
    let server = wire::answering(auth_result(full_answer())).await;
    let out =
        json_out(against_stub("refresh", &server.uri()).args(["-o", "aws", "--api", "get-tokens"]));
    assert_keys(
        &out,
        &[
            "AuthenticationResult",
            "AuthenticationResult.AccessToken",
            "AuthenticationResult.ExpiresIn",
            "AuthenticationResult.IdToken",
            "AuthenticationResult.NewDeviceMetadata",
            "AuthenticationResult.NewDeviceMetadata.DeviceGroupKey",
            "AuthenticationResult.NewDeviceMetadata.DeviceKey",
            "AuthenticationResult.RefreshToken",
            "AuthenticationResult.TokenType",
        ],
    );
}

#[tokio::test]
async fn login_print_keys_are_refresh_json_keys() {
    let mut answer = tokens();
    answer["RefreshToken"] = json!(REFRESH_TOKEN);
    let server = wire::answering(auth_result(answer)).await;
    let out = json_out(
        bin()
            .args([
                "login",
                "--print",
                "--flow",
                "password",
                "--client-id",
                CLIENT,
            ])
            .args(["--region", "eu-west-1", "--username", "alice"])
            .args(["--endpoint-url", &server.uri()])
            .env("COGNITO_PASSWORD", "Corr3ct-Horse-Battery"),
    );
    let mut expected = TOKENS.to_vec();
    expected.push("refresh_token");
    assert_keys(&out, &expected);
}

#[test]
fn decode_keys() {
    let access = jwt::access_token(json!({}));
    let out = json_out(bin().args(["decode", &access]));
    let claims: Vec<String> = keys(&out)
        .into_iter()
        .filter(|k| k.starts_with("claims.") || k.starts_with("header."))
        .collect();
    let mut expected = vec![
        "claims",
        "expired",
        "expires_at",
        "header",
        "signature_checked",
        "token_use",
        "type",
    ];
    // The token's own header and claims are the token's, not the tool's keys.
    expected.extend(claims.iter().map(String::as_str));
    assert_keys(&out, &expected);
    assert_eq!(out["type"], "jwt");

    let out = json_out(bin().args(["decode", REFRESH_TOKEN]));
    let header: Vec<String> = keys(&out)
        .into_iter()
        .filter(|k| k.starts_with("header."))
        .collect();
    let mut expected = vec!["cognito_refresh_token_shape", "header", "note", "type"];
    expected.extend(header.iter().map(String::as_str));
    assert_keys(&out, &expected);
    assert_eq!(out["type"], "jwe");

    let out = json_out(bin().args(["decode", "opaque-refresh-token"]));
    assert_keys(
        &out,
        &["cognito_refresh_token_shape", "note", "parts", "type"],
    );
    assert_eq!(out["type"], "opaque");
}

#[tokio::test]
async fn diagnose_json_keys() {
    let server = wire::answering(auth_result(full_answer())).await;
    let out = json_out(against_stub("diagnose", &server.uri()).args([
        "-o",
        "json",
        "--api",
        "get-tokens",
    ]));
    assert_keys(
        &out,
        &[
            "checks",
            "checks[].detail",
            "checks[].fix",
            "checks[].id",
            "checks[].request_id",
            "checks[].status",
            "checks[].summary",
            "error",
            "exit_code",
            "new_refresh_token",
            "refreshed",
            "succeeded",
        ],
    );
}

#[tokio::test]
async fn profiles_json_keys() {
    let server = wire::answering(auth_result(tokens())).await;
    let p = Profiles::new();
    p.write_config(&format!(
        "[profiles.ci]\nclient_id = \"{CLIENT}\"\nregion = \"eu-west-1\"\n"
    ));
    p.store_expired(&server.uri(), REFRESH_TOKEN);
    let out = json_out(p.cmd().args(["profiles", "--json"]));
    assert_eq!(out.as_array().map(Vec::len), Some(1), "{out:#}");
    assert_keys(
        &out,
        &[
            "[].client_id",
            "[].error",
            "[].expires_at",
            "[].in_config",
            "[].last_refresh",
            "[].name",
            "[].refresh_token",
            "[].region",
            "[].rotation",
            "[].selected",
            "[].valid",
        ],
    );
}

#[tokio::test]
async fn aws_credentials_keys() {
    let server = crate::aws_stub::working().await;
    let p = crate::aws_stub::profile(&server);
    let out = json_out(p.cmd().args(["aws-credentials", "--profile", "ci"]));
    // The AWS CLI's and SDKs' credential_process contract, which is AWS's, not the tool's.
    assert_keys(
        &out,
        &[
            "AccessKeyId",
            "Expiration",
            "SecretAccessKey",
            "SessionToken",
            "Version",
        ],
    );
}

#[tokio::test]
async fn verify_json_keys() {
    use crate::support::jwks::{KeyServer, Signer};
    let key = Signer::new("k1");
    let keys_at = KeyServer::start(&[&key]).await;
    let cache = tempfile::tempdir().unwrap();
    let token = key.access_token(0, 3600, json!({"scope": "orders/read"}));
    let mut cmd = bin();
    cmd.env("XDG_CACHE_HOME", cache.path())
        .args(["verify", "-o", "json", "--endpoint-url", &keys_at.uri()])
        .args(["--user-pool-id", wire::POOL, "--client-id", CLIENT])
        .args(["--scope", "orders/write"])
        .write_stdin(token.clone());
    // A failing check too, so that every check's keys show, `fix` among them.
    let out: Value = serde_json::from_slice(&run_failing(&mut cmd, 3, &[&token]).stdout).unwrap();
    assert_keys(
        &out,
        &[
            "checks",
            "checks[].fix",
            "checks[].id",
            "checks[].status",
            "checks[].summary",
            "valid",
        ],
    );
}

#[tokio::test]
async fn watch_json_file_keys() {
    use crate::watch_stub::{exit_within, short_lived, signal, start_watch, wait_for_file};
    use std::time::Duration;
    let (_server, p) = short_lived().await;
    let sink = p.dir.path().join("token.json");
    let mut child = start_watch(&p, &sink, &["--format", "json"]);
    wait_for_file(&sink, Duration::from_secs(10));
    let text = std::fs::read_to_string(&sink).unwrap();
    signal(&child, "TERM");
    let (code, err) = exit_within(&mut child, Duration::from_secs(5));
    assert_eq!(code, Some(0), "{err}");
    let out: Value = serde_json::from_str(&text).expect("the file is JSON");
    assert_keys(&out, &["access_token", "expires_at", "id_token"]);
}

#[tokio::test]
async fn client_token_json_keys() {
    use wiremock::matchers::{method, path};
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(wire::client_credentials_answer(&wire::client_access_token(
            3600,
        )))
        .mount(&server)
        .await;
    let out = json_out(
        bin()
            .args([
                "client-token",
                "--client-id",
                CLIENT,
                "--domain",
                &server.uri(),
            ])
            .env("COGNITO_CLIENT_SECRET", "json-keys-client-secret"),
    );
    assert_keys(
        &out,
        &[
            "access_token",
            "expires_at",
            "expires_in",
            "scope",
            "token_type",
        ],
    );
}
