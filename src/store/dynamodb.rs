//! The token store on DynamoDB: one item per profile in a table that several machines share, so
//! that they make one refresh between them.
//!
//! The item, keyed by the profile's name (`profile`, a string):
//! - `session`: the profile's entry, the same JSON document the file store writes;
//! - `version`: one more at every write of `session`. Every write is conditional on the version
//!   this process read and on its lease, so an older session never overwrites a newer one;
//! - `lease_owner` (`HOST:PID:RANDOM`) and `lease_until` (Unix milliseconds): while a process
//!   refreshes, the lease it took with a conditional write. Others wait until it is released,
//!   or has run out (its holder died), then take it and read the item again before anything else.
//!
//! A lease lasts one call's timeout and 5 s more: long enough for the holder's refresh (one
//! call, bounded by the timeout) and its write. Others wait for it at most as long as the
//! caller says (the file store's lock wait), which is longer.

use super::entry::{Entry, encode_entry, parse_entry};
use crate::api::classify::Context;
use crate::api::connection::{Connection, signed_sdk_config};
use crate::config::check_profile_name;
use crate::error::Operation;
use crate::text::Setting;
use crate::{Error, ErrorKind};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use secrecy::SecretString;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use url::Url;

/// How a store URL starts: `dynamodb://TABLE`.
pub const SCHEME: &str = "dynamodb://";
/// The table's key: the profile's name.
pub(super) const KEY: &str = "profile";
const SESSION: &str = "session";
const VERSION: &str = "version";
const OWNER: &str = "lease_owner";
const UNTIL: &str = "lease_until";
/// How much longer than one call's timeout a lease lasts.
const LEASE_MARGIN: Duration = Duration::from_secs(5);
/// The timeout of each call when the caller sets none.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts in all for throttling, 5xx and network errors; each call, retries included, is
/// bounded by the timeout.
const MAX_ATTEMPTS: u32 = 10;
/// The longest pause between two looks at a lease held by another process.
const MAX_POLL: Duration = Duration::from_millis(250);

/// Where a DynamoDB store is and how it is reached.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DynamoDbSettings {
    pub table: String,
    pub region: String,
    /// An endpoint override (DynamoDB Local, an emulator), already checked.
    pub endpoint: Option<Url>,
    /// The AWS profile whose credentials sign; `None`: the standard chain's default.
    pub aws_profile: Option<String>,
}

impl DynamoDbSettings {
    pub fn new(table: String, region: String) -> Self {
        DynamoDbSettings {
            table,
            region,
            endpoint: None,
            aws_profile: None,
        }
    }

    pub fn endpoint(mut self, endpoint: Option<Url>) -> Self {
        self.endpoint = endpoint;
        self
    }

    pub fn aws_profile(mut self, aws_profile: Option<String>) -> Self {
        self.aws_profile = aws_profile;
        self
    }
}

/// The table a `dynamodb://TABLE` store URL names; `None` for anything else (a directory).
pub fn parse_store_url(text: &str) -> Option<Result<String, Error>> {
    let table = text.strip_prefix(SCHEME)?;
    Some(check_table_name(table).map(|()| table.to_string()))
}

/// DynamoDB's rule for table names: 3 to 255 of letters, digits, `_`, `-` and `.`.
pub(crate) fn check_table_name(table: &str) -> Result<(), Error> {
    let ok = (3..=255).contains(&table.len())
        && table
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Error::setting(
            Setting::StoreDir,
            format!(
                "invalid DynamoDB table name {table:?} in {SCHEME}{table}: use 3 to 255 letters, \
                 digits, _, - and ."
            ),
        ))
    }
}

/// A token store in a DynamoDB table. Its client and async runtime are built at the first call.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: DynamoDbSettings,
    timeout: Mutex<Option<Duration>>,
    runtime: OnceLock<Runtime>,
    client: OnceLock<Client>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // A name lookup that never ends must not hold the process (dropping a runtime waits).
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// What the item holds.
#[derive(Debug, Default)]
struct Item {
    version: u64,
    session: Option<SecretString>,
    owner: Option<String>,
    until: Option<i64>,
}

impl Item {
    fn read(attributes: Option<&HashMap<String, AttributeValue>>) -> Option<Item> {
        let a = attributes?;
        let text = |name: &str| a.get(name).and_then(|v| v.as_s().ok()).cloned();
        let number = |name: &str| a.get(name).and_then(|v| v.as_n().ok()?.parse::<i64>().ok());
        Some(Item {
            version: number(VERSION)
                .and_then(|v| u64::try_from(v).ok())
                .unwrap_or(0),
            session: text(SESSION).map(SecretString::from),
            owner: text(OWNER),
            until: number(UNTIL),
        })
    }

    fn lease_is_free(&self, now: i64) -> bool {
        self.owner.is_none() || self.until.is_none_or(|until| until < now)
    }
}

/// The lease on one profile's item, released when dropped.
#[derive(Debug)]
pub(super) struct Lease {
    store: DynamoStore,
    profile: String,
    owner: String,
    /// The version of the session this process read, and wrote last.
    version: Mutex<u64>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        // Best effort: a lease not released runs out by itself.
        let _ = self.store.block_on(self.store.release(self));
    }
}

impl DynamoStore {
    pub fn new(settings: DynamoDbSettings) -> DynamoStore {
        DynamoStore {
            inner: Arc::new(Inner {
                settings,
                timeout: Mutex::new(None),
                runtime: OnceLock::new(),
                client: OnceLock::new(),
            }),
        }
    }

    pub fn settings(&self) -> &DynamoDbSettings {
        &self.inner.settings
    }

    /// Bounds each call to DynamoDB, retries included; a lease lasts this and 5 s more. Only
    /// before the first call (10 s when never set).
    pub fn set_timeout(&self, timeout: Duration) {
        *self
            .inner
            .timeout
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(timeout);
    }

    fn timeout(&self) -> Duration {
        self.inner
            .timeout
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .unwrap_or(DEFAULT_TIMEOUT)
    }

    /// `dynamodb://TABLE/PROFILE`: where a profile's session is, for messages.
    pub fn location(&self, profile: &str) -> String {
        format!("{SCHEME}{}/{profile}", self.inner.settings.table)
    }

    fn connection(&self) -> Connection {
        let s = &self.inner.settings;
        Connection::to_service(
            "dynamodb",
            s.region.clone(),
            s.endpoint.clone(),
            self.timeout(),
            MAX_ATTEMPTS,
        )
    }

    /// Runs `future` to its end on the store's runtime; on a thread of its own when called from
    /// inside another runtime, which cannot be blocked on.
    fn block_on<F>(&self, future: F) -> Result<F::Output, Error>
    where
        F: Future + Send,
        F::Output: Send,
    {
        let runtime = match self.inner.runtime.get() {
            Some(runtime) => runtime,
            None => {
                let built = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| {
                        Error::new(
                            ErrorKind::Other,
                            format!("cannot start the async runtime: {e}"),
                        )
                    })?;
                self.inner.runtime.get_or_init(|| built)
            }
        };
        if tokio::runtime::Handle::try_current().is_err() {
            return Ok(runtime.block_on(future));
        }
        std::thread::scope(|scope| scope.spawn(|| runtime.block_on(future)).join())
            .map_err(|_| Error::new(ErrorKind::Other, "the token store's request thread stopped"))
    }

    async fn client(&self) -> &Client {
        if let Some(client) = self.inner.client.get() {
            return client;
        }
        let connection = self.connection();
        let aws_profile = self.inner.settings.aws_profile.as_deref();
        let client = Client::from_conf(signed_sdk_config!(
            aws_sdk_dynamodb,
            &connection,
            aws_profile
        ));
        self.inner.client.get_or_init(|| client)
    }

    /// The error of a call: classified as every AWS answer is, with the secrets it carried
    /// removed from whatever came back.
    fn error<E>(
        &self,
        err: SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>,
        sent: &[&SecretString],
    ) -> Error
    where
        E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
    {
        let connection = self.connection();
        Context::call(&connection, Operation::Store, sent.to_vec()).error(err)
    }

    fn key(&self, profile: &str) -> (String, AttributeValue) {
        (KEY.to_string(), AttributeValue::S(profile.to_string()))
    }

    async fn get(&self, profile: &str) -> Result<Option<Item>, Error> {
        let (name, key) = self.key(profile);
        let answer = self
            .client()
            .await
            .get_item()
            .table_name(&self.inner.settings.table)
            .key(name, key)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.error(e, &[]))?;
        Ok(Item::read(answer.item()))
    }

    /// A profile's session; `None` when none is stored.
    pub fn load(&self, profile: &str) -> Result<Option<Entry>, Error> {
        check_profile_name(profile)?;
        let item = self.block_on(self.get(profile))??;
        match item.and_then(|i| i.session) {
            Some(session) => {
                use secrecy::ExposeSecret as _;
                let location = self.location(profile);
                parse_entry(
                    session.expose_secret().as_bytes(),
                    Path::new(&location),
                    profile,
                )
                .map(Some)
            }
            None => Ok(None),
        }
    }

    /// Takes the lease on a profile's item, waiting at most `wait` for another process's.
    pub(super) fn lock(&self, profile: &str, wait: Duration) -> Result<Lease, Error> {
        check_profile_name(profile)?;
        let owner = owner_id()?;
        let version = self.block_on(self.take(profile, &owner, wait))??;
        Ok(Lease {
            store: self.clone(),
            profile: profile.to_string(),
            owner,
            version: Mutex::new(version),
        })
    }

    /// Takes the lease: a conditional write that succeeds when no lease is held or the one held
    /// has run out. Returns the version of the session the item holds.
    async fn take(&self, profile: &str, owner: &str, wait: Duration) -> Result<u64, Error> {
        let deadline = Instant::now() + wait;
        let lease = i64::try_from((self.timeout() + LEASE_MARGIN).as_millis()).unwrap_or(i64::MAX);
        let mut pause = Duration::from_millis(10);
        loop {
            let now = now_ms();
            let (name, key) = self.key(profile);
            let answer = self
                .client()
                .await
                .update_item()
                .table_name(&self.inner.settings.table)
                .key(name, key)
                .update_expression("SET #owner = :owner, #until = :until")
                .condition_expression("attribute_not_exists(#owner) OR #until < :now")
                .expression_attribute_names("#owner", OWNER)
                .expression_attribute_names("#until", UNTIL)
                .expression_attribute_values(":owner", AttributeValue::S(owner.to_string()))
                .expression_attribute_values(":until", number(now.saturating_add(lease)))
                .expression_attribute_values(":now", number(now))
                .return_values(ReturnValue::AllNew)
                .send()
                .await;
            match answer {
                Ok(answer) => {
                    return Ok(Item::read(answer.attributes()).unwrap_or_default().version);
                }
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|e| e.is_conditional_check_failed_exception()) => {}
                Err(e) => return Err(self.error(e, &[])),
            }
            // Held by another process: look again until it is released or runs out.
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    let holder = self.get(profile).await?.and_then(|i| i.owner);
                    return Err(self.held(profile, holder.as_deref(), wait));
                }
                tokio::time::sleep(pause.min(left)).await;
                pause = (pause * 2).min(MAX_POLL);
                match self.get(profile).await? {
                    Some(item) if !item.lease_is_free(now_ms()) => {}
                    _ => break,
                }
            }
        }
    }

    fn held(&self, profile: &str, holder: Option<&str>, wait: Duration) -> Error {
        let by = holder.map_or_else(String::new, |h| format!(" ({h})"));
        Error::new(
            ErrorKind::Transient,
            format!(
                "the session of profile {profile} in {} is being refreshed by another \
                 process{by} for more than {} s: try again",
                self.location(profile),
                wait.as_secs()
            ),
        )
    }

    /// Writes the session, under the lease, if the item still holds the version this process
    /// read: conditional on both.
    pub(super) fn save(&self, lease: &Lease, entry: &Entry) -> Result<(), Error> {
        let location = self.location(&lease.profile);
        let json = encode_entry(entry, Path::new(&location))?;
        let session =
            SecretString::from(String::from_utf8(json).map_err(|e| {
                Error::new(ErrorKind::Other, format!("cannot encode {location}: {e}"))
            })?);
        let mut version = lease.version.lock().unwrap_or_else(PoisonError::into_inner);
        self.block_on(self.put(lease, &session, &entry.refresh_token, *version))??;
        *version += 1;
        Ok(())
    }

    async fn put(
        &self,
        lease: &Lease,
        session: &SecretString,
        refresh_token: &SecretString,
        version: u64,
    ) -> Result<(), Error> {
        use secrecy::ExposeSecret as _;
        let (name, key) = self.key(&lease.profile);
        let read = match version {
            0 => "attribute_not_exists(#version)",
            _ => "#version = :version",
        };
        let mut request = self
            .client()
            .await
            .update_item()
            .table_name(&self.inner.settings.table)
            .key(name, key)
            .update_expression("SET #session = :session, #version = :next")
            .condition_expression(format!("#owner = :owner AND {read}"))
            .expression_attribute_names("#session", SESSION)
            .expression_attribute_names("#version", VERSION)
            .expression_attribute_names("#owner", OWNER)
            .expression_attribute_values(
                ":session",
                AttributeValue::S(session.expose_secret().to_string()),
            )
            .expression_attribute_values(":next", number(version.saturating_add(1)))
            .expression_attribute_values(":owner", AttributeValue::S(lease.owner.clone()));
        if version > 0 {
            request = request.expression_attribute_values(":version", number(version));
        }
        match request.send().await {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Err(Error::new(
                    ErrorKind::Transient,
                    format!(
                        "the session in {} changed while this process held its lease (the lease \
                         ran out, and another process took it over): what this process got was \
                         not stored",
                        self.location(&lease.profile)
                    ),
                ))
            }
            Err(e) => Err(self.error(e, &[session, refresh_token])),
        }
    }

    /// Deletes the profile's item, under the lease. Returns whether it held a session.
    pub(super) fn remove(&self, lease: &Lease) -> Result<bool, Error> {
        self.block_on(async {
            let (name, key) = self.key(&lease.profile);
            let answer = self
                .client()
                .await
                .delete_item()
                .table_name(&self.inner.settings.table)
                .key(name, key)
                .condition_expression("#owner = :owner")
                .expression_attribute_names("#owner", OWNER)
                .expression_attribute_values(":owner", AttributeValue::S(lease.owner.clone()))
                .return_values(ReturnValue::AllOld)
                .send()
                .await
                .map_err(|e| self.error(e, &[]))?;
            Ok(Item::read(answer.attributes()).is_some_and(|i| i.session.is_some()))
        })?
    }

    /// Gives the lease up; an item that holds no session (the lease was all it held) is
    /// deleted.
    async fn release(&self, lease: &Lease) -> Result<(), Error> {
        let (name, key) = self.key(&lease.profile);
        let client = self.client().await;
        let answer = client
            .update_item()
            .table_name(&self.inner.settings.table)
            .key(name.clone(), key.clone())
            .update_expression("REMOVE #owner, #until")
            .condition_expression("#owner = :owner")
            .expression_attribute_names("#owner", OWNER)
            .expression_attribute_names("#until", UNTIL)
            .expression_attribute_values(":owner", AttributeValue::S(lease.owner.clone()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| self.error(e, &[]))?;
        if Item::read(answer.attributes()).is_some_and(|i| i.session.is_none()) {
            client
                .delete_item()
                .table_name(&self.inner.settings.table)
                .key(name, key)
                .condition_expression(
                    "attribute_not_exists(#session) AND attribute_not_exists(#owner)",
                )
                .expression_attribute_names("#session", SESSION)
                .expression_attribute_names("#owner", OWNER)
                .send()
                .await
                .map_err(|e| self.error(e, &[]))?;
        }
        Ok(())
    }
}

impl fmt::Display for DynamoStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME}{}", self.inner.settings.table)
    }
}

fn number(n: impl fmt::Display) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    i64::try_from(now).unwrap_or(i64::MAX)
}

/// Who holds a lease: this machine's name, this process's id, and a random part (process ids
/// are reused).
fn owner_id() -> Result<String, Error> {
    let mut random = [0u8; 6];
    getrandom::fill(&mut random).map_err(|e| {
        Error::new(
            ErrorKind::Other,
            format!("cannot read the system's random source: {e}"),
        )
    })?;
    let random: String = random.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{}:{}:{random}", host_name(), std::process::id()))
}

#[cfg(unix)]
fn host_name() -> String {
    let name = rustix::system::uname();
    let name = name.nodename().to_string_lossy();
    clean_host(&name)
}

#[cfg(not(unix))]
fn host_name() -> String {
    clean_host(&std::env::var("COMPUTERNAME").unwrap_or_default())
}

fn clean_host(name: &str) -> String {
    let name: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        .take(64)
        .collect();
    if name.is_empty() { "host".into() } else { name }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_urls_name_a_valid_table() {
        assert!(parse_store_url("/var/lib/tokens").is_none());
        assert_eq!(
            parse_store_url("dynamodb://cognito-tokens")
                .unwrap()
                .unwrap(),
            "cognito-tokens"
        );
        for bad in [
            "dynamodb://",
            "dynamodb://ab",
            "dynamodb://a/b",
            "dynamodb://t t",
        ] {
            let e = parse_store_url(bad).unwrap().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Usage, "{bad}");
        }
    }

    #[test]
    fn a_lease_is_free_when_released_or_run_out() {
        let held = Item {
            owner: Some("h:1:ab".into()),
            until: Some(1_000),
            ..Item::default()
        };
        assert!(!held.lease_is_free(999));
        assert!(held.lease_is_free(1_001));
        assert!(Item::default().lease_is_free(0));
    }

    #[test]
    fn owners_name_the_host_and_process() {
        let a = owner_id().unwrap();
        let b = owner_id().unwrap();
        assert_ne!(a, b);
        let parts: Vec<&str> = a.split(':').collect();
        assert_eq!(parts.len(), 3, "{a}");
        assert_eq!(parts[1], std::process::id().to_string());
        assert_eq!(clean_host("my host:1"), "myhost1");
    }
}
