//! A user pool's signing keys, for `verify`: an RSA key made at test time, RS256 tokens signed
//! with it, and an HTTP stub serving its JSON Web Key Set at `/<POOL>/.well-known/jwks.json`
//! (as Cognito does under its issuer), counting the fetches.

use super::wire::{CLIENT, POOL, with};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex, PoisonError};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The issuer of the stub pool's tokens.
pub fn issuer() -> String {
    format!("https://cognito-idp.eu-west-1.amazonaws.com/{POOL}")
}

/// An RSA signing key and its key id.
pub struct Signer {
    key: RsaKeyPair,
    pub kid: String,
}

impl Signer {
    pub fn new(kid: &str) -> Signer {
        Signer {
            key: RsaKeyPair::generate(KeySize::Rsa2048).expect("an RSA key"),
            kid: kid.to_string(),
        }
    }

    /// The public key as a JWK, as Cognito publishes them.
    pub fn jwk(&self) -> Value {
        let public = self.key.public_key();
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        json!({
            "alg": "RS256", "e": b64(public.exponent().big_endian_without_leading_zero()),
            "kid": self.kid, "kty": "RSA",
            "n": b64(public.modulus().big_endian_without_leading_zero()), "use": "sig",
        })
    }

    /// An RS256 token with these claims, signed with this key.
    pub fn sign(&self, claims: &Value) -> String {
        let header = json!({"kid": self.kid, "alg": "RS256"});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0; self.key.public_modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                input.as_bytes(),
                &mut signature,
            )
            .expect("signed");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// An access token of the stub pool's app client, issued `age` seconds ago and valid for
    /// `validity` seconds from then; `extra` adds claims or replaces them.
    pub fn access_token(&self, age: i64, validity: i64, extra: Value) -> String {
        let now = now();
        let claims = json!({
            "sub": "8a6b1c2d", "username": "alice", "client_id": CLIENT, "token_use": "access",
            "scope": "aws.cognito.signin.user.admin", "iss": issuer(),
            "iat": now - age, "auth_time": now - age, "exp": now - age + validity,
        });
        self.sign(&with(claims, extra))
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A JWKS endpoint for the stub pool: serves the keys it holds now, and counts its requests.
pub struct KeyServer {
    pub server: MockServer,
    keys: Arc<Mutex<Vec<Value>>>,
}

struct Serve(Arc<Mutex<Vec<Value>>>);

impl Respond for Serve {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let keys = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        ResponseTemplate::new(200).set_body_json(json!({ "keys": keys }))
    }
}

impl KeyServer {
    pub async fn start(signers: &[&Signer]) -> KeyServer {
        let server = MockServer::start().await;
        let keys = Arc::new(Mutex::new(Vec::new()));
        Mock::given(method("GET"))
            .and(path(format!("/{POOL}/.well-known/jwks.json")))
            .respond_with(Serve(keys.clone()))
            .mount(&server)
            .await;
        let server = KeyServer { server, keys };
        server.publish(signers);
        server
    }

    /// From now on, the set holds these keys (a rotation).
    pub fn publish(&self, signers: &[&Signer]) {
        *self.keys.lock().unwrap_or_else(PoisonError::into_inner) =
            signers.iter().map(|s| s.jwk()).collect();
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// How many times the key set was fetched so far.
    pub async fn fetches(&self) -> usize {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .len()
    }
}
