//! One profile's tokens, and the file format they are kept in.

use crate::identity::AwsCredentials;
use crate::jwt;
use crate::tokens::{Tokens, now_unix};
use crate::{Error, ErrorKind};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Duration;

/// The version of the file format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// The tokens of one profile.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Entry {
    /// The app client the refresh token was issued to.
    pub client_id: String,
    pub refresh_token: SecretString,
    pub access_token: Option<SecretString>,
    pub id_token: Option<SecretString>,
    /// When the access token expires, seconds since the Unix epoch.
    pub expires_at: Option<i64>,
    pub device_key: Option<String>,
    pub device_group_key: Option<String>,
    /// The remembered device's password (`login --remember-device`), for DEVICE_SRP_AUTH.
    pub device_password: Option<SecretString>,
    /// Whether Cognito returned a new refresh token at the last refresh (the app client
    /// rotates them); unknown before the first refresh.
    pub rotation: Option<bool>,
    /// When the tokens were last refreshed, seconds since the Unix epoch.
    pub refreshed_at: Option<i64>,
    /// When the entry was last written, seconds since the Unix epoch.
    pub updated_at: i64,
    /// AWS credentials from an identity pool, and the user's identity id there.
    pub aws: Option<AwsEntry>,
    /// A machine-to-machine entry: the access token is the app client's own (client
    /// credentials), asked for again when it nears expiry; the refresh token is empty.
    pub client_credentials: Option<ClientCredentials>,
}

/// AWS credentials an identity pool gave the profile's user, and what they were asked for.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AwsEntry {
    pub identity_pool_id: String,
    /// The user's identity id in the pool (GetId's answer), asked once per pool and user.
    pub identity_id: String,
    /// The user (the ID token's `sub`) the identity id belongs to.
    pub subject: Option<String>,
    /// The role asked for, if one was.
    pub role_arn: Option<String>,
    pub credentials: AwsCredentials,
}

impl AwsEntry {
    pub fn new(
        identity_pool_id: String,
        identity_id: String,
        subject: Option<String>,
        role_arn: Option<String>,
        credentials: AwsCredentials,
    ) -> Self {
        AwsEntry {
            identity_pool_id,
            identity_id,
            subject,
            role_arn,
            credentials,
        }
    }

    /// Whether these are credentials of `pool` (and `role`), valid for `min_ttl` after `now`.
    pub fn serves(&self, pool: &str, role: Option<&str>, min_ttl: Duration, now: i64) -> bool {
        let min = i64::try_from(min_ttl.as_secs()).unwrap_or(i64::MAX);
        self.identity_pool_id == pool
            && self.role_arn.as_deref() == role
            && self.credentials.expiration.saturating_sub(now) >= min
    }
}

/// What a machine-to-machine entry's access token was asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientCredentials {
    /// The scopes asked for; none: the app client's own.
    pub scopes: Vec<String>,
}

impl ClientCredentials {
    pub fn new(scopes: Vec<String>) -> Self {
        ClientCredentials { scopes }
    }
}

/// Which tokens a caller needs valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Need {
    /// The access token.
    Access,
    /// The ID token.
    Id,
    /// The access token, and the ID token too when one is stored.
    All,
}

impl Entry {
    pub fn new(client_id: impl Into<String>, refresh_token: SecretString) -> Entry {
        Entry {
            client_id: client_id.into(),
            refresh_token,
            access_token: None,
            id_token: None,
            expires_at: None,
            device_key: None,
            device_group_key: None,
            device_password: None,
            rotation: None,
            refreshed_at: None,
            updated_at: now_unix(),
            aws: None,
            client_credentials: None,
        }
    }

    /// A machine-to-machine entry for `client_id`, with no token yet and no refresh token.
    pub fn for_client_credentials(client_id: impl Into<String>, scopes: Vec<String>) -> Entry {
        Entry {
            client_credentials: Some(ClientCredentials::new(scopes)),
            ..Entry::new(client_id, SecretString::from(String::new()))
        }
    }

    /// When the tokens `need` names expire (the earliest), seconds since the Unix epoch;
    /// `None` when one of them is missing.
    pub fn expires_at_for(&self, need: Need) -> Option<i64> {
        let access = self.access_token.as_ref().and(self.expires_at);
        // The ID token's expiry is decoded only when asked for: a cache hit of the access
        // token decodes no token.
        let id = || {
            self.id_token.as_ref().map(|t| {
                jwt::decode(t.expose_secret())
                    .ok()
                    .and_then(|j| j.claims.expires())
                    .or(self.expires_at)
            })
        };
        match need {
            Need::Access => access,
            Need::Id => id().flatten(),
            Need::All => match id() {
                None => access,
                Some(id) => Some(access?.min(id?)),
            },
        }
    }

    /// Whether the tokens `need` names stay valid for at least `min_ttl` after `now`.
    pub fn is_fresh(&self, need: Need, min_ttl: Duration, now: i64) -> bool {
        let min = i64::try_from(min_ttl.as_secs()).unwrap_or(i64::MAX);
        self.expires_at_for(need)
            .is_some_and(|at| at.saturating_sub(now) >= min)
    }

    /// Takes in what a refresh returned: new tokens, a rotated refresh token, a new device.
    pub fn update(&mut self, tokens: &Tokens) {
        self.access_token = Some(tokens.access_token.clone());
        // A refresh without an ID token leaves none: an older one would not match.
        self.id_token = tokens.id_token.clone();
        self.expires_at = tokens.expires_at_unix();
        self.rotation = Some(tokens.refresh_token.is_some());
        if let Some(rotated) = &tokens.refresh_token {
            self.refresh_token = rotated.clone();
        }
        if let Some(device) = &tokens.new_device {
            if device.device_key.is_some() && device.device_key != self.device_key {
                // Another device: the stored password is not its password.
                self.device_password = None;
            }
            if device.device_key.is_some() {
                self.device_key = device.device_key.clone();
            }
            if device.device_group_key.is_some() {
                self.device_group_key = device.device_group_key.clone();
            }
        }
        self.refreshed_at = Some(tokens.received_at);
        self.updated_at = now_unix();
    }
}

/// The file format. Secrets are exposed only to serialize them into a 0600 file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EntryFile {
    version: u32,
    client_id: String,
    /// Empty (and left out) in a machine-to-machine entry.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    refresh_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    device_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    device_group_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    device_password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rotation: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refreshed_at: Option<i64>,
    updated_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    aws: Option<AwsEntryFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_credentials: Option<ClientCredentialsFile>,
}

/// [`AwsEntry`] in the file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AwsEntryFile {
    identity_pool_id: String,
    identity_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    role_arn: Option<String>,
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: i64,
}

impl AwsEntryFile {
    fn from_entry(a: &AwsEntry) -> Self {
        AwsEntryFile {
            identity_pool_id: a.identity_pool_id.clone(),
            identity_id: a.identity_id.clone(),
            subject: a.subject.clone(),
            role_arn: a.role_arn.clone(),
            access_key_id: a.credentials.access_key_id.clone(),
            secret_access_key: a.credentials.secret_access_key.expose_secret().to_string(),
            session_token: a.credentials.session_token.expose_secret().to_string(),
            expiration: a.credentials.expiration,
        }
    }

    fn into_entry(self) -> AwsEntry {
        AwsEntry {
            identity_pool_id: self.identity_pool_id,
            identity_id: self.identity_id,
            subject: self.subject,
            role_arn: self.role_arn,
            credentials: AwsCredentials::new(
                self.access_key_id,
                SecretString::from(self.secret_access_key),
                SecretString::from(self.session_token),
                self.expiration,
            ),
        }
    }
}

/// A machine-to-machine entry's section of the file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientCredentialsFile {
    #[serde(default)]
    scopes: Vec<String>,
}

/// Just the version, read first: a newer format may differ in everything else.
#[derive(Deserialize)]
struct VersionProbe {
    version: Option<serde_json::Value>,
}

impl EntryFile {
    pub(super) fn from_entry(e: &Entry) -> EntryFile {
        let expose = |s: &SecretString| s.expose_secret().to_string();
        EntryFile {
            version: FORMAT_VERSION,
            client_id: e.client_id.clone(),
            refresh_token: expose(&e.refresh_token),
            access_token: e.access_token.as_ref().map(expose),
            id_token: e.id_token.as_ref().map(expose),
            expires_at: e.expires_at,
            device_key: e.device_key.clone(),
            device_group_key: e.device_group_key.clone(),
            device_password: e.device_password.as_ref().map(expose),
            rotation: e.rotation,
            refreshed_at: e.refreshed_at,
            updated_at: e.updated_at,
            aws: e.aws.as_ref().map(AwsEntryFile::from_entry),
            client_credentials: e
                .client_credentials
                .as_ref()
                .map(|c| ClientCredentialsFile {
                    scopes: c.scopes.clone(),
                }),
        }
    }

    fn into_entry(self) -> Entry {
        Entry {
            client_id: self.client_id,
            refresh_token: SecretString::from(self.refresh_token),
            access_token: self.access_token.map(SecretString::from),
            id_token: self.id_token.map(SecretString::from),
            expires_at: self.expires_at,
            device_key: self.device_key,
            device_group_key: self.device_group_key,
            device_password: self.device_password.map(SecretString::from),
            rotation: self.rotation,
            refreshed_at: self.refreshed_at,
            updated_at: self.updated_at,
            aws: self.aws.map(AwsEntryFile::into_entry),
            client_credentials: self
                .client_credentials
                .map(|c| ClientCredentials::new(c.scopes)),
        }
    }
}

/// A profile's tokens from a store file's bytes, checked as [`Store::load`](super::Store::load) checks them; `path`
/// and `profile` only name the file in errors. Errors never quote the content.
pub fn parse_entry(bytes: &[u8], path: &Path, profile: &str) -> Result<Entry, Error> {
    // A file of this format is read once; any other is read again below, to say what is wrong.
    if let Ok(file) = serde_json::from_slice::<EntryFile>(bytes)
        && file.version == FORMAT_VERSION
        && (!file.refresh_token.is_empty() || file.client_credentials.is_some())
    {
        return Ok(file.into_entry());
    }
    // serde_json's messages may quote the content, which is secret: say where, not what.
    let probe: VersionProbe = serde_json::from_slice(bytes)
        .map_err(|e| corrupt(path, profile, describe_json_error(&e)))?;
    match probe.version {
        Some(v) if v.as_u64() == Some(u64::from(FORMAT_VERSION)) => {}
        Some(v) => {
            let version = v
                .as_u64()
                .map_or_else(|| "not a number".into(), |n| n.to_string());
            return Err(Error::usage(format!(
                "the token store file {} has format version {version}, which this cognito-refresh \
                 ({}) does not know (written by a newer one?); it was left untouched",
                path.display(),
                env!("CARGO_PKG_VERSION")
            )));
        }
        None => return Err(corrupt(path, profile, "it has no format version".into())),
    }
    let file: EntryFile = serde_json::from_slice(bytes)
        .map_err(|e| corrupt(path, profile, describe_json_error(&e)))?;
    if file.refresh_token.is_empty() && file.client_credentials.is_none() {
        return Err(corrupt(path, profile, "it has no refresh token".into()));
    }
    Ok(file.into_entry())
}

/// An entry as its file (or its DynamoDB item) holds it; `path` names it in errors.
pub(super) fn encode_entry(entry: &Entry, path: &Path) -> Result<Vec<u8>, Error> {
    serde_json::to_vec_pretty(&EntryFile::from_entry(entry)).map_err(|e| {
        Error::new(
            ErrorKind::Other,
            format!("cannot encode the token store file {}: {e}", path.display()),
        )
    })
}

fn describe_json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => "it ends too early (truncated?)".into(),
        Category::Syntax => format!("not JSON at line {}, column {}", e.line(), e.column()),
        Category::Data => format!(
            "unexpected content at line {}, column {}",
            e.line(),
            e.column()
        ),
        Category::Io => "cannot be read".into(),
    }
}

pub(super) fn corrupt(path: &Path, profile: &str, why: String) -> Error {
    no_session(
        profile,
        format!(
            "the token store file {} is corrupt ({why}); it was left untouched: move it away and \
         save a refresh token of profile {profile} again",
            path.display()
        ),
    )
}

pub(super) fn no_session(profile: &str, message: String) -> Error {
    Error::NoSession {
        profile: profile.to_string(),
        message: message.into(),
    }
}
