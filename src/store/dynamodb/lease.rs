//! The lease that makes one process the refresher of a profile: taken with a conditional
//! write, waited for by the others, released when dropped or run out.

use super::client::{
    DynamoStore, Item, LEASE_MARGIN, MAX_POLL, OWNER, SESSION, UNTIL, VERSION, now_ms, number,
};
use crate::config::check_profile_name;
use crate::store::entry::{Entry, encode_entry};
use crate::{Error, ErrorKind};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use secrecy::SecretString;
use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The lease on one profile's item, released when dropped.
#[derive(Debug)]
pub(crate) struct Lease {
    pub(super) store: DynamoStore,
    pub(super) profile: String,
    pub(super) owner: String,
    /// The version of the session this process read, and wrote last.
    pub(super) version: Mutex<u64>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        // Best effort: a lease not released runs out by itself.
        let _ = self.store.block_on(self.store.release(self));
    }
}

impl DynamoStore {
    /// Takes the lease on a profile's item, waiting at most `wait` for another process's.
    /// `until_changed`: stop waiting, with `None`, as soon as another process has written the
    /// session (whoever waited for a refresh reads it, rather than queueing for the lease).
    pub(crate) fn lock(
        &self,
        profile: &str,
        wait: Duration,
        until_changed: bool,
    ) -> Result<Option<Lease>, Error> {
        check_profile_name(profile)?;
        let owner = owner_id()?;
        let taken = self.block_on(self.take(profile, &owner, wait, until_changed))??;
        Ok(taken.map(|version| Lease {
            store: self.clone(),
            profile: profile.to_string(),
            owner,
            version: Mutex::new(version),
        }))
    }

    /// Takes the lease: a conditional write that succeeds when no lease is held or the one held
    /// has run out (or is this process's already). Returns the version of the session the item
    /// holds; `None` when `until_changed` and another process wrote the session meanwhile.
    async fn take(
        &self,
        profile: &str,
        owner: &str,
        wait: Duration,
        until_changed: bool,
    ) -> Result<Option<u64>, Error> {
        let deadline = Instant::now() + wait;
        // The version first seen held by another process.
        let mut seen = None;
        let lease = i64::try_from((self.timeout() + LEASE_MARGIN).as_millis()).unwrap_or(i64::MAX);
        let mut pause = Duration::from_millis(10);
        loop {
            let now = now_ms();
            let (name, key) = self.key(profile);
            let answer = self
                .client()
                .await
                .update_item()
                .table_name(self.table())
                .key(name, key)
                .update_expression("SET #owner = :owner, #until = :until")
                // Or already this process's: a retry of a write whose answer was lost.
                .condition_expression(
                    "attribute_not_exists(#owner) OR #until < :now OR #owner = :owner",
                )
                .expression_attribute_names("#owner", OWNER)
                .expression_attribute_names("#until", UNTIL)
                .expression_attribute_values(":owner", AttributeValue::S(owner.to_string()))
                .expression_attribute_values(":until", number(now.saturating_add(lease)))
                .expression_attribute_values(":now", number(now))
                .return_values(ReturnValue::AllNew)
                // A refusal carries the item: the version the holder started from.
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .send()
                .await;
            match answer {
                Ok(answer) => {
                    return Ok(Some(
                        Item::read(answer.attributes()).unwrap_or_default().version,
                    ));
                }
                Err(SdkError::ServiceError(refusal))
                    if refusal.err().is_conditional_check_failed_exception() =>
                {
                    if let UpdateItemError::ConditionalCheckFailedException(held) = refusal.err()
                        && let Some(item) = Item::read(held.item())
                    {
                        seen.get_or_insert(item.version);
                    }
                }
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
                let Some(item) = self.get(profile).await? else {
                    break;
                };
                if until_changed && seen.is_some_and(|v| v != item.version) {
                    return Ok(None);
                }
                seen.get_or_insert(item.version);
                if item.lease_is_free(now_ms()) {
                    break;
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

    /// Gives the lease up; an item that holds no session (the lease was all it held) is
    /// deleted.
    async fn release(&self, lease: &Lease) -> Result<(), Error> {
        let (name, key) = self.key(&lease.profile);
        let client = self.client().await;
        let answer = client
            .update_item()
            .table_name(self.table())
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
                .table_name(self.table())
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

    /// Writes the session if the item still holds the version this process read and no other
    /// process holds the lease: conditional on both.
    pub(crate) fn save(&self, lease: &Lease, entry: &Entry) -> Result<(), Error> {
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
            .table_name(self.table())
            .key(name, key)
            .update_expression("SET #session = :session, #version = :next")
            // Its own lease, or none: one that ran out during a long sign-in and was taken and
            // given up by a process that wrote nothing leaves the version as it was.
            .condition_expression(format!(
                "{read} AND (#owner = :owner OR attribute_not_exists(#owner))"
            ))
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
    pub(crate) fn remove(&self, lease: &Lease) -> Result<bool, Error> {
        self.block_on(async {
            let (name, key) = self.key(&lease.profile);
            let answer = self
                .client()
                .await
                .delete_item()
                .table_name(self.table())
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
