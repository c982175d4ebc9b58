//! Tokens as the tool reads them: JWT header and claims (no verification), the shape of a
//! refresh token, and the checks made before a refresh token is sent. None may panic, and an
//! error never quotes the token.
#![no_main]

use cognito_refresh::jwt::{self, Shape};
use cognito_refresh::api::plan::check_refresh_token;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match jwt::decode(text) {
        Ok(jwt) => {
            let c = &jwt.claims;
            let _ = (c.token_use(), c.username(), c.client_id(), c.device_key());
            let _ = (c.issuer(), c.user_pool_id(), c.expires(), c.auth_time());
            let _ = format!("{jwt:?}");
        }
        Err(e) => assert!(!e.to_string().contains('\n')),
    }
    let shape = Shape::of(text);
    let _ = shape.is_cognito_jwe();
    if let Err(e) = check_refresh_token(text) {
        let message = e.to_string();
        assert!(!message.contains('\n'), "{message}");
        // Long enough not to be a word of the message itself.
        if text.len() >= 32 && !text.contains(char::is_whitespace) {
            assert!(!message.contains(text), "the message quotes the token");
        }
    }
});
