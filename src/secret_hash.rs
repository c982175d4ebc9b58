//! SECRET_HASH: `base64(HMAC_SHA256(key = client secret, message = username + client id))`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// Computes the SECRET_HASH Cognito expects from an app client with a secret.
///
/// `username` must be the user's real Cognito username (the access token's `username` claim),
/// not an email or phone alias: Cognito hashes with the real one.
pub fn secret_hash(client_secret: &SecretString, username: &str, client_id: &str) -> SecretString {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(client_secret.expose_secret().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(username.as_bytes());
    mac.update(client_id.as_bytes());
    SecretString::from(STANDARD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vectors computed independently with:
    //   printf '%s' "$USERNAME$CLIENT_ID" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64
    #[test]
    fn matches_openssl() {
        let cases = [
            (
                "s3cr3t",
                "alice",
                "4f1example",
                "ejcceE7pHGV30VHJNvrOmIOGFIyYoKkjpJQx8OL1E0w=",
            ),
            (
                "1example23456789abcdefghijklmnopqrstuvwxyz0123456789ab",
                "8a6b1c2d-0000-4000-8000-000000000001",
                "7abcdefghij1234567890klmno",
                "57QtzhJAzAj0U12KeJVwr06gbo9TmhyDDIDXXMCI7DY=",
            ),
            ("k", "", "", "i7mQxAp9YcuXWXqUISUCW+UKyL63RDbjc1uYiTp/ZiA="),
        ];
        for (secret, username, client_id, expected) in cases {
            let got = secret_hash(&SecretString::from(secret), username, client_id);
            assert_eq!(got.expose_secret(), expected, "{username:?} {client_id:?}");
        }
    }

    #[test]
    fn debug_does_not_show_the_hash() {
        let got = secret_hash(&SecretString::from("s3cr3t"), "alice", "client");
        assert!(!format!("{got:?}").contains(got.expose_secret()));
    }
}
