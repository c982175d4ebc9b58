//! Tokens for the stubs to answer with: unsigned JWTs with the claims Cognito puts in them.

use super::wire::{CLIENT, POOL, with};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// 2100-01-01T00:00:00Z: an `exp` that does not run out while the tests run.
pub const FAR_FUTURE: i64 = 4_102_444_800;

/// An unsigned JWT with these claims.
pub fn unsigned(claims: Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": "RS256", "kid": "test"}).to_string());
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.c2lnbmF0dXJl")
}

/// An access token of user alice of app client CLIENT in user pool POOL, valid until
/// FAR_FUTURE; `extra` adds claims or replaces them.
pub fn access_token(extra: Value) -> String {
    let claims = json!({
        "sub": "8a6b1c2d", "username": "alice", "client_id": CLIENT, "token_use": "access",
        "exp": FAR_FUTURE, "iss": format!("https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"),
    });
    unsigned(with(claims, extra))
}

/// The ID token that goes with `access_token`.
pub fn id_token() -> String {
    unsigned(
        json!({"token_use": "id", "cognito:username": "alice", "aud": CLIENT,
                    "exp": FAR_FUTURE}),
    )
}
