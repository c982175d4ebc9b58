//! The SRP client math of `cognito_refresh::signin::srp` against pycognito's `AWSSRP`, an independent
//! implementation, with the same fixed randomness and clock (scripts/srp-vectors.py). moto
//! accepts any SRP proof, so this is what shows the proofs are right.

use crate::support::{SETUP_HINT, python};
use cognito_refresh::signin::srp::{
    DeviceVerifier, Identity, ServerChallenge, SrpClient, timestamp,
};
use cognito_refresh::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::process::{Command, Stdio};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/srp-vectors.py");

/// Deterministic bytes: SHA-256 in counter mode over a label.
fn bytes(label: &str, n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0u32;
    while out.len() < n {
        out.extend(
            Sha256::new()
                .chain_update(label)
                .chain_update(i.to_be_bytes())
                .finalize(),
        );
        i += 1;
    }
    out.truncate(n);
    out
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Runs the script on `cases` and returns its answer.
fn pycognito(cases: &Value) -> Value {
    let python = python();
    let mut child = Command::new(&python)
        .arg(SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}; {SETUP_HINT}", python.display()));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(cases.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "scripts/srp-vectors.py failed ({}); {SETUP_HINT}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[derive(Deserialize)]
struct Signed {
    srp_a: String,
    signature: String,
    timestamp: String,
    #[serde(default)]
    secret_hash: Option<String>,
}

#[derive(Deserialize)]
struct Verifier {
    device_password: String,
    verifier: String,
    salt: String,
}

/// Server values of every shape the padding rules treat differently: a top bit set or not, an
/// odd number of hex digits, and moto's UUID secret block next to Cognito's base64 one.
fn server_values(i: usize) -> (String, String, String) {
    let mut b = bytes(&format!("B{i}"), 384);
    let mut salt = bytes(&format!("salt{i}"), 16);
    match i % 3 {
        0 => {
            b[0] |= 0x80;
            salt[0] |= 0x80;
        }
        1 => {
            b[0] &= 0x7f;
            salt[0] = 0x0a;
        }
        _ => b[0] = 0x05,
    }
    let mut salt_hex = hex(&salt);
    if i % 3 == 1 {
        // Odd length: "a..." rather than "0a...".
        salt_hex.remove(0);
    }
    let block = if i.is_multiple_of(2) {
        cognito_refresh_base64(&bytes(&format!("block{i}"), 1040))
    } else {
        "0b7e5e2a-1d0c-4e39-9b9e-3c8d2f1e4a5b".to_string()
    };
    (hex(&b), salt_hex, block)
}

fn cognito_refresh_base64(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[test]
fn srp_matches_pycognito() {
    // Times: a one-digit day (no leading zero), a two-digit one, a leap day.
    let times = [
        1_793_581_509i64,
        1_763_775_938,
        1_709_251_199,
        1_700_000_000,
    ];
    let mut users = Vec::new();
    let mut devices = Vec::new();
    for i in 0..6 {
        let (srp_b, salt, secret_block) = server_values(i);
        let mut private = bytes(&format!("a{i}"), 128);
        if i == 3 {
            // A private value with leading zero bytes.
            private[..3].fill(0);
        }
        users.push(json!({
            "pool_id": format!("eu-west-1_Pool{i}xY"),
            "user_id_for_srp": if i.is_multiple_of(2) { format!("user{i}") } else { "8a6b1c2d-0000-4000-8000-00000000000e".to_string() },
            "password": format!("Pässwörd-{i}!"),
            "private": hex(&private),
            "srp_b": srp_b, "salt": salt, "secret_block": secret_block,
            "unix_time": times[i % times.len()],
            "client_id": "4f1example",
            "client_secret": if i.is_multiple_of(2) { Value::from("s3cr3t") } else { Value::Null },
        }));
        devices.push(json!({
            "device_group_key": format!("-grp{i}"),
            "device_key": format!("eu-west-1_{}", hex(&bytes(&format!("dk{i}"), 16))),
            "device_password": cognito_refresh_base64(&bytes(&format!("dp{i}"), 40)),
            "private": hex(&bytes(&format!("da{i}"), 128)),
            "srp_b": srp_b, "salt": salt, "secret_block": secret_block,
            "unix_time": times[(i + 1) % times.len()],
        }));
    }
    let verifiers: Vec<Value> = (0..4)
        .map(|i| {
            let mut salt = bytes(&format!("vs{i}"), 16);
            if i == 1 {
                salt[0] = 0; // a salt that loses its leading zero byte
            }
            if i == 2 {
                salt[0] |= 0x80; // and one that gains a zero byte
            }
            json!({
                "device_group_key": format!("-grp{i}"),
                "device_key": format!("eu-west-1_dev{i}"),
                "password_random": hex(&bytes(&format!("vp{i}"), 40)),
                "salt_random": hex(&salt),
            })
        })
        .collect();
    let cases = json!({"user": users, "device": devices, "verifier": verifiers});
    let expected = pycognito(&cases);

    for (case, want) in users.iter().zip(expected["user"].as_array().unwrap()) {
        let want: Signed = serde_json::from_value(want.clone()).unwrap();
        let s = |k: &str| case[k].as_str().unwrap().to_string();
        let client = SrpClient::with_private(&decode_hex(&s("private"))).unwrap();
        assert_eq!(client.srp_a(), want.srp_a, "SRP_A");
        let at =
            time::OffsetDateTime::from_unix_timestamp(case["unix_time"].as_i64().unwrap()).unwrap();
        let ts = timestamp(at);
        assert_eq!(ts, want.timestamp, "TIMESTAMP");
        let pool = s("pool_id");
        let password = SecretString::from(s("password"));
        let user = s("user_id_for_srp");
        let got = client
            .signature(
                Identity {
                    realm: pool.split_once('_').unwrap().1,
                    user: &user,
                    password: &password,
                },
                &ServerChallenge {
                    srp_b: &s("srp_b"),
                    salt: &s("salt"),
                    secret_block: &s("secret_block"),
                },
                &ts,
            )
            .unwrap();
        assert_eq!(got.expose_secret(), want.signature, "user case {case}");
        if let Some(secret) = case["client_secret"].as_str() {
            let hash = cognito_refresh::secret_hash::secret_hash(
                &SecretString::from(secret),
                &user,
                "4f1example",
            );
            assert_eq!(Some(hash.expose_secret()), want.secret_hash.as_deref());
        }
    }

    for (case, want) in devices.iter().zip(expected["device"].as_array().unwrap()) {
        let want: Signed = serde_json::from_value(want.clone()).unwrap();
        let s = |k: &str| case[k].as_str().unwrap().to_string();
        let client = SrpClient::with_private(&decode_hex(&s("private"))).unwrap();
        assert_eq!(client.srp_a(), want.srp_a, "device SRP_A");
        let at =
            time::OffsetDateTime::from_unix_timestamp(case["unix_time"].as_i64().unwrap()).unwrap();
        let ts = timestamp(at);
        assert_eq!(ts, want.timestamp, "device TIMESTAMP");
        let password = SecretString::from(s("device_password"));
        let got = client
            .signature(
                Identity {
                    realm: &s("device_group_key"),
                    user: &s("device_key"),
                    password: &password,
                },
                &ServerChallenge {
                    srp_b: &s("srp_b"),
                    salt: &s("salt"),
                    secret_block: &s("secret_block"),
                },
                &ts,
            )
            .unwrap();
        assert_eq!(got.expose_secret(), want.signature, "device case {case}");
    }

    for (case, want) in verifiers
        .iter()
        .zip(expected["verifier"].as_array().unwrap())
    {
        let want: Verifier = serde_json::from_value(want.clone()).unwrap();
        let s = |k: &str| case[k].as_str().unwrap().to_string();
        let got = DeviceVerifier::with_random(
            &s("device_group_key"),
            &s("device_key"),
            &decode_hex(&s("password_random")),
            &decode_hex(&s("salt_random")),
        );
        assert_eq!(got.password.expose_secret(), want.device_password);
        assert_eq!(got.verifier, want.verifier, "verifier case {case}");
        assert_eq!(got.salt, want.salt, "salt case {case}");
    }
}

fn decode_hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
