//! A DynamoDB table as a token store: where it is, its client, and reading a profile's item.

use crate::api::classify::Context;
use crate::api::connection::{Connection, signed_sdk_config};
use crate::config::check_profile_name;
use crate::error::{Operation, Sent};
use crate::store::entry::{Entry, parse_entry};
use crate::text::Setting;
use crate::{Error, ErrorKind};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::AttributeValue;
use secrecy::SecretString;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;
use tokio::runtime::Runtime;
use url::Url;

/// How a store URL starts: `dynamodb://TABLE`.
pub const SCHEME: &str = "dynamodb://";
/// The table's key: the profile's name.
pub(super) const KEY: &str = "profile";
pub(super) const SESSION: &str = "session";
pub(super) const VERSION: &str = "version";
pub(super) const OWNER: &str = "lease_owner";
pub(super) const UNTIL: &str = "lease_until";
/// How much longer than one call's timeout a lease lasts.
pub(super) const LEASE_MARGIN: Duration = Duration::from_secs(5);
/// The timeout of each call when the caller sets none.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts in all for throttling, 5xx and network errors; each call, retries included, is
/// bounded by the timeout.
const MAX_ATTEMPTS: u32 = 10;
/// The longest pause between two looks at a lease held by another process.
pub(super) const MAX_POLL: Duration = Duration::from_millis(250);

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
pub(super) struct Item {
    pub(super) version: u64,
    pub(super) session: Option<SecretString>,
    pub(super) owner: Option<String>,
    pub(super) until: Option<i64>,
}

impl Item {
    pub(super) fn read(attributes: Option<&HashMap<String, AttributeValue>>) -> Option<Item> {
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

    pub(super) fn lease_is_free(&self, now: i64) -> bool {
        self.owner.is_none() || self.until.is_none_or(|until| until < now)
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

    pub(super) fn timeout(&self) -> Duration {
        self.inner
            .timeout
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .unwrap_or(DEFAULT_TIMEOUT)
    }

    pub(super) fn table(&self) -> &str {
        &self.inner.settings.table
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

    /// Runs `future` to its end on the store's runtime. The store is called from synchronous
    /// code, as every command calls it; a call from inside a runtime (which cannot be blocked
    /// on) is refused as the bug it would be, rather than a panic.
    pub(super) fn block_on<F: Future>(&self, future: F) -> Result<F::Output, Error> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::new(
                ErrorKind::Other,
                "the token store was called from inside an async runtime",
            ));
        }
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
        Ok(runtime.block_on(future))
    }

    pub(super) async fn client(&self) -> &Client {
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
    pub(super) fn error<E>(
        &self,
        err: SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>,
        sent: &[&SecretString],
    ) -> Error
    where
        E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
    {
        let connection = self.connection();
        Context::call(&connection, Operation::Store, sent.to_vec())
            .sent(Sent {
                region: connection.region.clone(),
                store_table: Some(self.table().to_string()),
                ..Sent::default()
            })
            .error(err)
    }

    pub(super) fn key(&self, profile: &str) -> (String, AttributeValue) {
        (KEY.to_string(), AttributeValue::S(profile.to_string()))
    }

    pub(super) async fn get(&self, profile: &str) -> Result<Option<Item>, Error> {
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
}

impl fmt::Display for DynamoStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME}{}", self.inner.settings.table)
    }
}

pub(super) fn number(n: impl fmt::Display) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

pub(super) fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    i64::try_from(now).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_from_inside_a_runtime_is_an_error_not_a_panic() {
        let store = DynamoStore::new(DynamoDbSettings::new("tokens".into(), "eu-west-1".into()));
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let e = rt.block_on(async { store.load("ci") }).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Other);
    }

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
}
