//! What a string given as a refresh token can be told to be wrong with, before it is sent
//! anywhere: the one check that planning a refresh and diagnosing one share.

use crate::jwt;

/// Far more than any token Cognito issues: larger input is a mistake.
pub const MAX_BYTES: usize = 16 * 1024;

/// Why a string cannot be a refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Flaw {
    Empty,
    /// Longer than [`MAX_BYTES`] (its length).
    TooLong(usize),
    /// An `Authorization` header value: `Bearer ...`.
    BearerPrefix,
    Whitespace,
    Quotes,
    /// An access token (token_use access) given as the refresh token.
    AccessToken,
    /// An ID token (token_use id) given as the refresh token.
    IdToken,
}

/// The flaw of `token`, if it has one. A JWT without `token_use` has none: emulators
/// (cognito-local) issue refresh tokens of that shape. Never looks beyond the shape.
pub fn flaw(token: &str) -> Option<Flaw> {
    if token.is_empty() {
        return Some(Flaw::Empty);
    }
    if token.len() > MAX_BYTES {
        return Some(Flaw::TooLong(token.len()));
    }
    let lower = token.to_ascii_lowercase();
    if lower.starts_with("bearer ") || lower.starts_with("bearer%20") {
        return Some(Flaw::BearerPrefix);
    }
    if token.chars().any(char::is_whitespace) {
        return Some(Flaw::Whitespace);
    }
    if token.contains(['"', '\'']) {
        return Some(Flaw::Quotes);
    }
    match jwt::decode(token).ok()?.claims.token_use() {
        Some("access") => Some(Flaw::AccessToken),
        Some("id") => Some(Flaw::IdToken),
        _ => None,
    }
}

impl Flaw {
    /// The error refusing the token, starting "the refresh token ": never quoting it.
    pub fn message(self) -> String {
        match self {
            Flaw::Empty => "the refresh token is empty".into(),
            Flaw::TooLong(n) => format!(
                "the refresh token is {n} bytes long: Cognito's are under 4 KiB, so this is not one"
            ),
            Flaw::BearerPrefix | Flaw::Whitespace => {
                "the refresh token contains whitespace: was something pasted along with it, like \
                 a \"Bearer \" prefix?"
                    .into()
            }
            Flaw::Quotes => "the refresh token contains quotes: pass the token without them".into(),
            Flaw::AccessToken | Flaw::IdToken => format!(
                "the refresh token given is {}, not a refresh token (Cognito's refresh tokens \
                 are opaque, encrypted five-part tokens)",
                self.noun()
            ),
        }
    }

    /// What was found, as a diagnosis says it.
    pub fn summary(self) -> String {
        match self {
            Flaw::Empty => "the refresh token is empty".into(),
            Flaw::TooLong(n) => format!("{n} bytes long: Cognito's refresh tokens are under 4 KiB"),
            Flaw::BearerPrefix => {
                "starts with \"Bearer \": an Authorization header value was pasted".into()
            }
            Flaw::Whitespace => "contains whitespace inside".into(),
            Flaw::Quotes => "contains quotes".into(),
            Flaw::AccessToken => {
                "this is an access token (token_use access), not a refresh token".into()
            }
            Flaw::IdToken => "this is an ID token (token_use id), not a refresh token".into(),
        }
    }

    /// What to do about it.
    pub fn fix(self) -> &'static str {
        match self {
            Flaw::Empty => "pass the RefreshToken of the sign-in result",
            Flaw::TooLong(_) => {
                "pass the refresh token alone, not a file or document that contains it"
            }
            Flaw::BearerPrefix => "pass the token alone, without the \"Bearer \" prefix",
            Flaw::Whitespace => {
                "pass the token as one piece, without spaces or line breaks (a copy from a \
                 wrapped terminal line?)"
            }
            Flaw::Quotes => "pass the token without quotes (a JSON string copied with its quotes?)",
            Flaw::AccessToken => "pass the RefreshToken of the sign-in result, not its AccessToken",
            Flaw::IdToken => "pass the RefreshToken of the sign-in result, not its IdToken",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Flaw::IdToken => "an ID token",
            _ => "an access token",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::tests::token;
    use serde_json::json;

    #[test]
    fn flaws_are_told_apart() {
        let cases = [
            (String::new(), Some(Flaw::Empty)),
            (
                "a".repeat(MAX_BYTES + 1),
                Some(Flaw::TooLong(MAX_BYTES + 1)),
            ),
            ("Bearer abc.def".into(), Some(Flaw::BearerPrefix)),
            ("bearer%20abc".into(), Some(Flaw::BearerPrefix)),
            ("abc\ndef".into(), Some(Flaw::Whitespace)),
            ("\"abc\"".into(), Some(Flaw::Quotes)),
            ("'abc'".into(), Some(Flaw::Quotes)),
            (
                token(json!({"token_use": "access"})),
                Some(Flaw::AccessToken),
            ),
            (token(json!({"token_use": "id"})), Some(Flaw::IdToken)),
            ("0b7e5e2a-1d0c-4e39-9b9e-3c8d2f1e4a5b".into(), None),
            ("eyJjdHkiOiJKV1QifQ.a.b.c.d".into(), None),
            (token(json!({"cognito:username": "u", "jti": "j"})), None),
        ];
        for (t, want) in cases {
            assert_eq!(flaw(&t), want, "{}", &t[..t.len().min(40)]);
            if let Some(f) = want {
                assert!(t.len() < 8 || !f.message().contains(&t));
                assert!(t.len() < 8 || !f.summary().contains(&t));
            }
        }
    }
}
