//! Tokens that are fresh enough: from the store, or refreshed once under the profile's lock.

use super::backend::Store;
use super::entry::{Entry, Need, no_session};
use crate::Error;
use crate::tokens::{Tokens, now_unix};
use std::time::{Duration, Instant};

/// What [`fresh_tokens`] did.
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// The stored tokens were valid: nothing was sent anywhere.
    Cached,
    /// Another process refreshed them while this one waited for the lock.
    RefreshedByAnother,
    /// This process refreshed them; here is what Cognito returned.
    Refreshed(Box<Tokens>),
}

/// When to refresh, and how long to wait for another process's refresh.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Policy {
    pub need: Need,
    /// Refresh when the tokens expire within this.
    pub min_ttl: Duration,
    /// Refresh even when the tokens are valid.
    pub force: bool,
    /// Give up waiting for the profile's lock after this.
    pub lock_wait: Duration,
}

impl Policy {
    /// Tokens `need` names, valid for `min_ttl` more; wait `lock_wait` at most for another
    /// process's refresh.
    pub fn new(need: Need, min_ttl: Duration, lock_wait: Duration) -> Self {
        Policy {
            need,
            min_ttl,
            force: false,
            lock_wait,
        }
    }

    /// Refresh even when the stored tokens are valid.
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }
}

/// Tokens for `profile` that satisfy `policy`: the stored ones when they are fresh enough
/// (no lock, no network), else, under the profile's lock, the stored ones when another process
/// refreshed them meanwhile, else the result of `refresh`, saved before this returns. A
/// rotated refresh token is thus on disk before the caller can print anything.
///
/// `seed` stands for the stored entry when the store has none (a first refresh with a refresh
/// token given some other way). `refresh` is called at most once, under the lock, with the
/// entry to refresh.
pub fn fresh_tokens<E, F>(
    store: &Store,
    profile: &str,
    policy: Policy,
    seed: Option<Entry>,
    refresh: F,
) -> Result<(Entry, Outcome), E>
where
    E: From<Error>,
    F: FnOnce(&Entry) -> Result<Tokens, E>,
{
    let no_tokens = || {
        no_session(
            profile,
            format!(
                "no tokens are stored for profile {profile} (in {}): save a refresh token \
             of profile {profile} first",
                store
            ),
        )
    };
    match store.load(profile)? {
        Some(entry) if !policy.force && entry.is_fresh(policy.need, policy.min_ttl, now_unix()) => {
            return Ok((entry, Outcome::Cached));
        }
        // Nothing to refresh: say so without creating anything.
        None if seed.is_none() => return Err(no_tokens().into()),
        _ => {}
    }
    // A shared store's wait for another machine's refresh ends as soon as it is written: the
    // tokens are read again, and the lease taken only if they still will not do.
    let deadline = Instant::now() + policy.lock_wait;
    let lock = loop {
        let wait = deadline.saturating_duration_since(Instant::now());
        if let Some(lock) = store.lock_or_changed(profile, wait)? {
            break lock;
        }
        if let Some(entry) = store.load(profile)?
            && !policy.force
            && entry.is_fresh(policy.need, policy.min_ttl, now_unix())
        {
            return Ok((entry, Outcome::RefreshedByAnother));
        }
    };
    let mut entry = match (store.load(profile)?, seed) {
        (Some(entry), _) => entry,
        (None, Some(seed)) => seed,
        (None, None) => return Err(no_tokens().into()),
    };
    if !policy.force && entry.is_fresh(policy.need, policy.min_ttl, now_unix()) {
        return Ok((entry, Outcome::RefreshedByAnother));
    }
    let pending = store.begin_save(&lock, Some(&entry))?;
    crate::files::pause_point("pause-before-refresh");
    let tokens = refresh(&entry)?;
    entry.update(&tokens);
    pending.commit(&entry)?;
    drop(lock);
    Ok((entry, Outcome::Refreshed(Box::new(tokens))))
}
