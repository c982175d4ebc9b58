//! Reading tokens without verifying them: JWT claims, and the shape of opaque refresh tokens.
//!
//! Nothing here checks a signature. Claims are read to learn facts the user already has (the
//! username, the client id, the device key, the expiry), never to trust them.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use std::fmt;

/// Why a token could not be read as a JWT. Never contains the token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwtError {
    /// Not three dot-separated parts; holds the number of parts seen.
    Parts(usize),
    /// A part is not base64url.
    Base64(&'static str),
    /// A part is not a JSON object.
    Json(&'static str),
}

impl fmt::Display for JwtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwtError::Parts(n) => write!(f, "not a JWT: {n} dot-separated part(s), expected 3"),
            JwtError::Base64(part) => write!(f, "not a JWT: the {part} is not base64url"),
            JwtError::Json(part) => write!(f, "not a JWT: the {part} is not a JSON object"),
        }
    }
}

impl std::error::Error for JwtError {}

/// A decoded (not verified) JWT: its header and claims.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct Jwt {
    pub header: Map<String, Value>,
    pub claims: Claims,
}

// Claims identify a user and a session: keep them out of Debug output.
impl fmt::Debug for Jwt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jwt").finish_non_exhaustive()
    }
}

/// The claims of a Cognito access or ID token, with typed accessors for those the tool uses.
#[derive(Clone, PartialEq)]
pub struct Claims(pub Map<String, Value>);

impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claims").finish_non_exhaustive()
    }
}

impl Claims {
    fn str(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    /// `token_use`: `access` or `id`.
    pub fn token_use(&self) -> Option<&str> {
        self.str("token_use")
    }

    /// The real Cognito username: `username` in access tokens, `cognito:username` in ID tokens.
    pub fn username(&self) -> Option<&str> {
        self.str("username")
            .or_else(|| self.str("cognito:username"))
    }

    /// The app client that issued the token: `client_id` (access) or `aud` (ID).
    pub fn client_id(&self) -> Option<&str> {
        self.str("client_id").or_else(|| match self.0.get("aud") {
            Some(Value::String(aud)) => Some(aud.as_str()),
            Some(Value::Array(auds)) => auds.first().and_then(Value::as_str),
            _ => None,
        })
    }

    /// `device_key`, present in access tokens when device tracking is on.
    pub fn device_key(&self) -> Option<&str> {
        self.str("device_key")
    }

    /// `iss`: `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`.
    pub fn issuer(&self) -> Option<&str> {
        self.str("iss")
    }

    /// The user pool id from `iss`, when it has Cognito's form.
    pub fn user_pool_id(&self) -> Option<&str> {
        let pool = self.issuer()?.rsplit('/').next()?;
        crate::region::is_user_pool_id(pool).then_some(pool)
    }

    /// `exp`, seconds since the Unix epoch.
    pub fn expires(&self) -> Option<i64> {
        number(self.0.get("exp")?)
    }

    /// `auth_time`, when the user signed in, seconds since the Unix epoch.
    pub fn auth_time(&self) -> Option<i64> {
        number(self.0.get("auth_time")?)
    }
}

fn number(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))
}

fn json_part(part: &str, name: &'static str) -> Result<Map<String, Value>, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        // Some encoders pad; padding carries no information.
        .decode(part.trim_end_matches('='))
        .map_err(|_| JwtError::Base64(name))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(JwtError::Json(name)),
    }
}

/// Decodes a JWT's header and claims without verifying its signature.
pub fn decode(token: &str) -> Result<Jwt, JwtError> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(JwtError::Parts(parts.len()));
    }
    Ok(Jwt {
        header: json_part(parts[0], "header")?,
        claims: Claims(json_part(parts[1], "payload")?),
    })
}

/// The shape of a token, as far as can be told without keys.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Shape {
    /// Three parts whose header and payload decode: a JWT (an access or ID token).
    Jwt,
    /// Five parts with a JSON header: a JWE, which is what Cognito issues as refresh tokens.
    Jwe { header: Map<String, Value> },
    /// Anything else; holds the number of dot-separated parts.
    Opaque { parts: usize },
}

impl Shape {
    pub fn of(token: &str) -> Shape {
        let parts: Vec<&str> = token.split('.').collect();
        match parts.len() {
            3 if decode(token).is_ok() => Shape::Jwt,
            5 => match json_part(parts[0], "header") {
                Ok(header) => Shape::Jwe { header },
                Err(_) => Shape::Opaque { parts: 5 },
            },
            n => Shape::Opaque { parts: n },
        }
    }

    /// Whether the header reads like Cognito's refresh tokens: `{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}`.
    pub fn is_cognito_jwe(&self) -> bool {
        match self {
            Shape::Jwe { header } => is_cognito_jwe_header(header),
            _ => false,
        }
    }
}

/// Whether a JWE header reads like Cognito's refresh tokens (`alg` RSA-OAEP, `enc` A256GCM).
pub fn is_cognito_jwe_header(header: &Map<String, Value>) -> bool {
    header.get("alg").and_then(Value::as_str) == Some("RSA-OAEP")
        && header.get("enc").and_then(Value::as_str) == Some("A256GCM")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// Builds an unsigned token with these claims; the signature part is junk.
    pub(crate) fn token(claims: Value) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","kid":"test"}"#);
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        format!("{header}.{payload}.c2lnbmF0dXJl")
    }

    #[test]
    fn reads_access_token_claims() {
        let t = token(json!({
            "sub": "8a6b", "username": "alice", "client_id": "client1", "token_use": "access",
            "device_key": "eu-west-1_dev", "exp": 1_900_000_000, "auth_time": 1_800_000_000,
            "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
        }));
        let jwt = decode(&t).unwrap();
        assert_eq!(jwt.header["alg"], "RS256");
        let c = &jwt.claims;
        assert_eq!(c.username(), Some("alice"));
        assert_eq!(c.client_id(), Some("client1"));
        assert_eq!(c.token_use(), Some("access"));
        assert_eq!(c.device_key(), Some("eu-west-1_dev"));
        assert_eq!(c.expires(), Some(1_900_000_000));
        assert_eq!(c.auth_time(), Some(1_800_000_000));
        assert_eq!(c.user_pool_id(), Some("eu-west-1_AbC123"));
    }

    #[test]
    fn reads_id_token_claims() {
        let t = token(json!({"cognito:username": "bob", "aud": "client2", "token_use": "id"}));
        let c = decode(&t).unwrap().claims;
        assert_eq!(c.username(), Some("bob"));
        assert_eq!(c.client_id(), Some("client2"));
        let t = token(json!({"aud": ["client3", "other"]}));
        assert_eq!(decode(&t).unwrap().claims.client_id(), Some("client3"));
    }

    #[test]
    fn rejects_what_is_not_a_jwt() {
        assert_eq!(decode("abc").unwrap_err(), JwtError::Parts(1));
        assert_eq!(decode("a.b.c.d.e").unwrap_err(), JwtError::Parts(5));
        assert_eq!(decode("!!.e30.x").unwrap_err(), JwtError::Base64("header"));
        let not_json = URL_SAFE_NO_PAD.encode("not json");
        assert_eq!(
            decode(&format!("e30.{not_json}.x")).unwrap_err(),
            JwtError::Json("payload")
        );
        // A JSON array is not a claims set.
        let array = URL_SAFE_NO_PAD.encode("[1]");
        assert_eq!(
            decode(&format!("e30.{array}.x")).unwrap_err(),
            JwtError::Json("payload")
        );
    }

    #[test]
    fn tolerates_padding() {
        let payload = base64::engine::general_purpose::URL_SAFE.encode(r#"{"a":"bc"}"#);
        assert!(payload.ends_with('='));
        let jwt = decode(&format!("e30.{payload}.x")).unwrap();
        assert_eq!(jwt.claims.0["a"], "bc");
    }

    #[test]
    fn errors_and_debug_never_show_the_token() {
        let t = token(json!({"username": "alice-secret-name"}));
        let jwt = decode(&t).unwrap();
        assert!(!format!("{jwt:?}").contains("alice-secret-name"));
        let e = decode("secretvalue.more").unwrap_err();
        assert!(!e.to_string().contains("secretvalue"));
    }

    #[test]
    fn tells_shapes_apart() {
        let jwe_header =
            URL_SAFE_NO_PAD.encode(r#"{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}"#);
        let jwe = format!("{jwe_header}.a.b.c.d");
        let shape = Shape::of(&jwe);
        assert!(matches!(shape, Shape::Jwe { .. }));
        assert!(shape.is_cognito_jwe());
        let other = URL_SAFE_NO_PAD.encode(r#"{"enc":"A128GCM","alg":"dir"}"#);
        assert!(!Shape::of(&format!("{other}.a.b.c.d")).is_cognito_jwe());
        assert_eq!(Shape::of(&token(json!({}))), Shape::Jwt);
        assert_eq!(
            Shape::of("0b7e5e2a-1d0c-4e39-9b9e-3c8d2f1e4a5b"),
            Shape::Opaque { parts: 1 }
        );
        assert_eq!(Shape::of("x.y.z"), Shape::Opaque { parts: 3 });
    }
}
