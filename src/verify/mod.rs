//! Checks a token as an API would, and says for each check what an API answering 401 most
//! likely objects to: the signature (RS256, with the user pool's key the token names), the
//! issuer (the user pool the API trusts), `token_use`, the app client (`client_id` of access
//! tokens, `aud` of ID tokens), `exp` and `iat` (with a small leeway) and the scopes.
//!
//! The only request is for the user pool's signing keys (see [`keys`]); the token itself is
//! sent nowhere.

mod checks;
pub mod keys;
mod verdict;

use crate::error::Error;
use crate::jwt;
use crate::region::{is_user_pool_id, region_of_pool};
use crate::text::Setting;
use crate::tokens::Note;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use keys::{KeySource, jwks_url};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use verdict::pool_of_issuer;
pub use verdict::{Check, Expected, LEEWAY, Status, TokenUse, Verdict, VerifyOptions, issuer_of};

/// Checks `token` against `options`. Errors are for what stops the checks: an invalid setting,
/// or signing keys that cannot be fetched (the network: transient). A token that fails is a
/// [`Verdict`] whose checks say why.
pub async fn verify(token: &SecretString, options: &VerifyOptions) -> Result<Verdict, Error> {
    let token = token.expose_secret().trim();
    // What is pasted from an Authorization header.
    let token = token
        .strip_prefix("Bearer ")
        .or_else(|| token.strip_prefix("bearer "))
        .unwrap_or(token)
        .trim();
    if token.is_empty() {
        return Err(Error::usage("the token is empty"));
    }
    let expected = &options.expected;
    if let Some(pool) = &expected.user_pool_id
        && !is_user_pool_id(pool)
    {
        return Err(Error::setting(
            Setting::UserPoolId,
            format!(
                "invalid user pool id {pool:?}: expected REGION_ID, e.g. eu-west-1_AbC123 ({})",
                Setting::UserPoolId
            ),
        ));
    }
    let endpoint = options
        .endpoint_url
        .as_deref()
        .map(crate::endpoint::parse_endpoint)
        .transpose()?;
    let jwt = match jwt::decode(token) {
        Ok(jwt) => jwt,
        Err(e) => return Ok(checks::unreadable(token, &e)),
    };
    let iss = jwt.claims.issuer();
    let keys_pool = expected
        .user_pool_id
        .as_deref()
        .or_else(|| iss.and_then(pool_of_issuer));
    let mut notes = Vec::new();
    let signature = match keys_pool {
        Some(pool) => {
            let source = KeySource {
                url: jwks_url(pool, region_of_pool(pool).unwrap_or(""), endpoint.as_ref())?,
                cache_dir: options.cache_dir.clone(),
                timeout: options.timeout,
            };
            signature(token, &jwt.header, pool, &source, &mut notes).await?
        }
        None => Check::skipped(
            "signature",
            "not checked: no user pool to take the signing keys from",
        ),
    };
    let claims = &jwt.claims;
    let checks = vec![
        signature,
        checks::issuer(iss, expected.user_pool_id.as_deref()),
        checks::token_use(claims, expected),
        checks::client(claims, expected.client_id.as_deref()),
        checks::expiry(claims, options.now, options.leeway),
        checks::scope(claims, &expected.scopes),
    ];
    Ok(Verdict { checks, notes })
}

/// The signature: RS256, with the key of the pool's set that the header's `kid` names. The set
/// comes from the cache, else is fetched; a `kid` the cached set lacks fetches it again, once.
async fn signature(
    token: &str,
    header: &serde_json::Map<String, Value>,
    pool: &str,
    source: &KeySource,
    notes: &mut Vec<Note>,
) -> Result<Check, Error> {
    const ID: &str = "signature";
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("none");
    if alg != "RS256" {
        return Ok(Check::fail(
            ID,
            format!("signed with {alg}, not RS256"),
            "Cognito signs its tokens with RS256: this token was not issued by a user pool",
        ));
    }
    let Some(kid) = header.get("kid").and_then(Value::as_str) else {
        return Ok(Check::fail(
            ID,
            "the header names no key (kid)",
            "Cognito's tokens name their signing key: this token was not issued by a user pool",
        ));
    };
    let keys = match source.cached()? {
        Some(keys) => {
            notes.push(Note::Info(format!(
                "the signing keys of {} from the cache ({})",
                source.url,
                source
                    .cache_path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            )));
            if keys.find(kid).is_none() {
                notes.push(Note::Info(format!(
                    "key {kid} is not among the cached keys: fetching them again"
                )));
                source.fetch(notes).await?
            } else {
                keys
            }
        }
        None => source.fetch(notes).await?,
    };
    let Some(jwk) = keys.find(kid) else {
        return Ok(Check::fail(
            ID,
            format!("signed with key {kid}, which user pool {pool} does not publish"),
            format!(
                "the token was issued by another user pool (see the issuer), or forged; the API \
                 checks it with the keys of user pool {pool}"
            ),
        ));
    };
    let key = match DecodingKey::from_jwk(jwk) {
        Ok(key) => key,
        Err(e) => {
            return Ok(Check::fail(
                ID,
                format!("user pool {pool}'s key {kid} cannot be used: {e}"),
                "the key set is not what Cognito publishes",
            ));
        }
    };
    let mut validation = Validation::new(Algorithm::RS256);
    // The claims are checked one by one below, each with its own words.
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    Ok(
        match jsonwebtoken::decode::<Value>(token, &key, &validation) {
            Ok(_) => Check::ok(ID, format!("RS256, with key {kid} of user pool {pool}")),
            Err(e) => Check::fail(
                ID,
                format!(
                    "the signature does not match key {kid} of user pool {pool} ({e}): the \
                     token was changed after it was issued, or not issued by this pool"
                ),
                "send the token exactly as Cognito issued it: one cut short, re-encoded or \
                 edited fails here",
            ),
        },
    )
}
