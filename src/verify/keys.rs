//! A user pool's signing keys: its JSON Web Key Set, `<issuer>/.well-known/jwks.json`, fetched
//! through the one HTTP client of both refresh paths (proxies decided the same way, answers
//! capped at 1 MiB), and kept in a private cache keyed by the URL they came from.
//!
//! The keys are public, but whoever could write the cache could make a forged token pass: the
//! cache directory is created 0700 and its files 0600, and one that group or others may read
//! or write, or that another user owns, is refused as the token store is. A cached set is used
//! until a token names a key it lacks; then the set is fetched again, once.

use crate::api::classify::error_chain;
use crate::api::http::{TooLarge, cap, is_too_large};
use crate::api::net::{connector, proxy_for};
use crate::endpoint::connect_url;
use crate::error::{Endpoint, Operation};
use crate::files::{Replacement, check_private, create_private_dir};
use crate::tokens::{Note, now_unix};
use crate::{Error, ErrorKind};
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorSettings};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use jsonwebtoken::jwk::Jwk;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;
use url::Url;

/// The keys of one set, by their `kid`. Entries that are not keys are left out, not fatal: the
/// token names the one it needs (and a key of another type fails the signature check).
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    pub keys: Vec<Jwk>,
    /// When they were fetched, seconds since the Unix epoch.
    pub fetched_at: i64,
}

impl KeySet {
    /// The key with this `kid`.
    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys
            .iter()
            .find(|k| k.common.key_id.as_deref() == Some(kid))
    }

    /// The keys of a JWKS document (`{"keys": [...]}`); `None` when it is not one.
    fn parse(body: &[u8], fetched_at: i64) -> Option<KeySet> {
        #[derive(Deserialize)]
        struct Document {
            keys: Vec<Value>,
        }
        let doc: Document = serde_json::from_slice(body).ok()?;
        let keys = doc
            .keys
            .into_iter()
            .filter_map(|k| serde_json::from_value(k).ok())
            .collect();
        Some(KeySet { keys, fetched_at })
    }
}

/// A cached key set, as kept on disk.
#[derive(Serialize, Deserialize)]
struct Cached {
    url: String,
    fetched_at: i64,
    jwks: Value,
}

/// `$XDG_CACHE_HOME/cognito-refresh/jwks`, else `~/.cache/cognito-refresh/jwks`.
pub fn default_cache_dir() -> Option<PathBuf> {
    crate::config::base_dir("XDG_CACHE_HOME", ".cache").map(|d| d.join("cognito-refresh/jwks"))
}

/// The URL of a user pool's key set: `https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json`,
/// or at `endpoint` (an emulator) instead of Cognito's origin, keeping the endpoint's own path.
pub fn jwks_url(user_pool_id: &str, region: &str, endpoint: Option<&Url>) -> Result<Url, Error> {
    let origin = match endpoint {
        Some(url) => url.clone(),
        None => Url::parse(&format!("https://cognito-idp.{region}.amazonaws.com/"))
            .map_err(|e| Error::usage(format!("invalid region {region:?}: {e}")))?,
    };
    let base = origin.as_str().trim_end_matches('/');
    Url::parse(&format!("{base}/{user_pool_id}/.well-known/jwks.json"))
        .map_err(|e| Error::usage(format!("invalid user pool id {user_pool_id:?}: {e}")))
}

/// Where a key set is fetched from and kept.
#[derive(Debug, Clone)]
pub struct KeySource {
    pub url: Url,
    /// The cache directory; `None`: no cache.
    pub cache_dir: Option<PathBuf>,
    /// Bounds each fetch, retries included.
    pub timeout: Duration,
}

impl KeySource {
    /// The cache file of this source: its URL's SHA-256, so that an emulator's keys and
    /// Cognito's for the same issuer never mix.
    pub fn cache_path(&self) -> Option<PathBuf> {
        let digest = Sha256::digest(self.url.as_str().as_bytes());
        let name: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        Some(self.cache_dir.as_ref()?.join(format!("{name}.json")))
    }

    /// The cached key set, when there is a usable one. A file that cannot be parsed, or is of
    /// another URL, is no cache; one others may write is an error.
    pub fn cached(&self) -> Result<Option<KeySet>, Error> {
        let Some(path) = self.cache_path() else {
            return Ok(None);
        };
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(crate::files::io_error(
                    format!("cannot read the signing key cache {}", path.display()),
                    &e,
                ));
            }
        };
        if let Some(dir) = self.cache_dir.as_deref() {
            check_private_dir(dir)?;
        }
        if !meta.is_file() {
            return Ok(None);
        }
        check_private(&path, &meta, "signing key cache file")?;
        let Ok(bytes) = std::fs::read(&path) else {
            return Ok(None);
        };
        let Ok(cached) = serde_json::from_slice::<Cached>(&bytes) else {
            return Ok(None);
        };
        if cached.url != self.url.as_str() {
            return Ok(None);
        }
        let body = serde_json::to_vec(&cached.jwks).unwrap_or_default();
        Ok(KeySet::parse(&body, cached.fetched_at))
    }

    /// Fetches the key set and caches it. A cache that cannot be written is noted, not fatal.
    pub async fn fetch(&self, notes: &mut Vec<Note>) -> Result<KeySet, Error> {
        let url = connect_url(&self.url);
        let endpoint = Endpoint {
            operation: Operation::SigningKeys,
            url: self.url.to_string(),
        };
        let attempts = 3;
        let call = async {
            let mut backoff = Duration::from_millis(200);
            let mut attempt = 1;
            loop {
                match get(&url, self.timeout, &endpoint, attempt).await {
                    Err(e) if e.kind() == ErrorKind::Transient && attempt < attempts => {}
                    other => return other,
                }
                tokio::time::sleep(backoff).await;
                backoff *= 2;
                attempt += 1;
            }
        };
        let body = match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result?,
            Err(_) => {
                return Err(Error::Timeout {
                    endpoint,
                    seconds: self.timeout.as_secs_f64(),
                });
            }
        };
        let fetched_at = now_unix();
        let keys = KeySet::parse(&body, fetched_at).ok_or_else(|| Error::Unexpected {
            endpoint: endpoint.clone(),
            status: Some(200),
            detail: "the answer is not a JSON Web Key Set ({\"keys\": [...]})".into(),
            attempts: 1,
            request_id: None,
        })?;
        notes.push(Note::Info(format!(
            "fetched the signing keys from {}",
            self.url
        )));
        if let Some(path) = self.cache_path() {
            match self.save(&path, &body, fetched_at) {
                Ok(()) => notes.push(Note::Info(format!("cached them in {}", path.display()))),
                Err(e) => notes.push(Note::Warning(format!(
                    "the signing keys were not cached: {e}"
                ))),
            }
        }
        Ok(keys)
    }

    fn save(&self, path: &Path, body: &[u8], fetched_at: i64) -> Result<(), Error> {
        let dir = crate::files::parent(path);
        create_private_dir(dir, "signing key cache directory")?;
        // An existing directory keeps its mode: one others may use is not written to.
        check_private_dir(dir)?;
        let jwks: Value = serde_json::from_slice(body)
            .map_err(|e| Error::new(ErrorKind::Other, format!("the key set: {e}")))?;
        let cached = Cached {
            url: self.url.to_string(),
            fetched_at,
            jwks,
        };
        let bytes = serde_json::to_vec(&cached)
            .map_err(|e| Error::new(ErrorKind::Other, format!("the key set: {e}")))?;
        Replacement::begin(path, "signing key cache file")?.commit(&bytes, "signing key cache file")
    }
}

/// Refuses a cache directory that group or others may use, or that another user owns.
fn check_private_dir(dir: &Path) -> Result<(), Error> {
    let meta = std::fs::metadata(dir)
        .map_err(|e| crate::files::io_error(format!("cannot read {}", dir.display()), &e))?;
    check_private(dir, &meta, "signing key cache directory")
}

/// One GET of `url`: the body of a 200 answer, else the error of its status.
async fn get(
    url: &Url,
    timeout: Duration,
    endpoint: &Endpoint,
    attempt: u32,
) -> Result<Vec<u8>, Error> {
    let settings = HttpConnectorSettings::builder()
        .connect_timeout(timeout.min(Duration::from_millis(3100)))
        .read_timeout(timeout)
        .build();
    let unexpected = |status: Option<u16>, detail: String| Error::Unexpected {
        endpoint: endpoint.clone(),
        status,
        detail,
        attempts: attempt,
        request_id: None,
    };
    let request = http::Request::get(url.as_str())
        .header("accept", "application/json")
        .body(SdkBody::empty())
        .map_err(|e| unexpected(None, format!("cannot build the request: {e}")))?;
    let request = aws_smithy_runtime_api::http::Request::try_from(request)
        .map_err(|e| unexpected(None, format!("cannot build the request: {e}")))?;
    let response = connector(Some(url), settings, None)
        .call(request)
        .await
        .map_err(|e| match e.is_timeout() {
            true => Error::Timeout {
                endpoint: endpoint.clone(),
                seconds: timeout.as_secs_f64(),
            },
            false => Error::Unreachable {
                endpoint: endpoint.clone(),
                detail: error_chain(&e),
                proxy: proxy_for(url),
            },
        })?;
    let status = response.status().as_u16();
    let body = ByteStream::new(cap(response.into_body()))
        .collect()
        .await
        .map_err(|e| match is_too_large(&e) {
            true => unexpected(Some(status), TooLarge.to_string()),
            false => Error::Unreachable {
                endpoint: endpoint.clone(),
                detail: format!("reading the answer: {}", error_chain(&e)),
                proxy: proxy_for(url),
            },
        })?
        .into_bytes()
        .to_vec();
    match status {
        200 => Ok(body),
        // No such user pool (or region): the pool id given is wrong.
        400 | 404 => Err(Error::setting(
            crate::Setting::UserPoolId,
            format!(
                "no signing keys at {} (HTTP {status}): is {} right?",
                endpoint.url,
                crate::Setting::UserPoolId
            ),
        )),
        _ => Err(unexpected(Some(status), "not the user pool's keys".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_of_cognito_and_of_an_emulator() {
        let url = jwks_url("eu-west-1_AbC123", "eu-west-1", None).unwrap();
        assert_eq!(
            url.as_str(),
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json"
        );
        let moto = Url::parse("http://127.0.0.1:5000").unwrap();
        let url = jwks_url("eu-west-1_AbC123", "eu-west-1", Some(&moto)).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:5000/eu-west-1_AbC123/.well-known/jwks.json"
        );
    }

    #[test]
    fn unusable_keys_are_left_out() {
        let body = br#"{"keys": [
            {"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "kid": 2, "n": "AQAB", "e": "AQAB"},
            "not a key"
        ]}"#;
        let set = KeySet::parse(body, 7).unwrap();
        assert!(set.find("k1").is_some());
        assert_eq!(set.keys.len(), 1);
        assert!(KeySet::parse(b"[]", 0).is_none());
    }

    #[test]
    fn cache_files_are_private_and_keyed_by_url() {
        let dir = tempfile::tempdir().unwrap();
        let source = |url: &str| KeySource {
            url: Url::parse(url).unwrap(),
            cache_dir: Some(dir.path().join("jwks")),
            timeout: Duration::from_secs(1),
        };
        let a = source("http://127.0.0.1:1/p/.well-known/jwks.json");
        let b = source("http://127.0.0.1:2/p/.well-known/jwks.json");
        assert_ne!(a.cache_path(), b.cache_path());
        assert!(a.cached().unwrap().is_none());
        let body = br#"{"keys": [{"kty": "RSA", "kid": "k1", "n": "AQAB", "e": "AQAB"}]}"#;
        a.save(&a.cache_path().unwrap(), body, 42).unwrap();
        let set = a.cached().unwrap().unwrap();
        assert_eq!(set.fetched_at, 42);
        assert!(set.find("k1").is_some());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&a.cache_path().unwrap()), 0o600);
            assert_eq!(mode(&dir.path().join("jwks")), 0o700);
            // Writable by others: refused, not used.
            let path = a.cache_path().unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
            assert_eq!(a.cached().unwrap_err().kind(), ErrorKind::Usage);
            // A directory others may read is neither read nor written.
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            let jwks = dir.path().join("jwks");
            std::fs::set_permissions(&jwks, std::fs::Permissions::from_mode(0o755)).unwrap();
            assert_eq!(a.cached().unwrap_err().kind(), ErrorKind::Usage);
            assert!(b.save(&b.cache_path().unwrap(), body, 43).is_err());
        }
    }
}
