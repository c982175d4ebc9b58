//! Keeping a token file fresh, for processes that outlive a token: the rounds of `watch` and
//! `exec --watch`, and the signals that end them.

use crate::cli::args::{FreshnessArgs, SinkFormat};
use crate::cli::ctx::Ctx;
use crate::cli::profile;
use crate::cli::settings::{Chosen, Settings};
use anyhow::Result;
use cognito_refresh::tokens::{now_unix, rfc3339};
use cognito_refresh::{Entry, Error as CoreError, ErrorKind, ExposeSecret, Need, SecretString};
use std::path::PathBuf;
use std::time::Duration;

/// The longest wait between attempts after failures that may pass.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// A token file, and how to keep it fresh.
pub struct Keeper<'a> {
    ctx: &'a Ctx,
    chosen: &'a Chosen,
    settings: &'a Settings,
    pub sink: PathBuf,
    format: SinkFormat,
    /// --min-ttl as asked.
    asked: Duration,
    /// When to refresh: --min-ttl, or less for tokens that last less than twice that.
    ahead: Duration,
    /// What the file holds now, and until when its token is valid.
    written: Option<(SecretString, i64)>,
    /// Failed rounds in a row.
    failures: u32,
}

impl<'a> Keeper<'a> {
    pub fn new(
        ctx: &'a Ctx,
        chosen: &'a Chosen,
        settings: &'a Settings,
        sink: PathBuf,
        format: SinkFormat,
        min_ttl: Duration,
    ) -> Keeper<'a> {
        Keeper {
            ctx,
            chosen,
            settings,
            sink,
            format,
            asked: min_ttl,
            ahead: min_ttl,
            written: None,
            failures: 0,
        }
    }

    /// The tokens the file needs: all of them for formats that hold the ID token.
    pub fn need(&self) -> Need {
        match self.format {
            SinkFormat::AccessToken => Need::Access,
            SinkFormat::Json | SinkFormat::Env => Need::All,
        }
    }

    /// One round: the profile's tokens, refreshed when they expire within the margin, put in
    /// the file when they changed. Returns how long to wait before the next round. A failure
    /// that may pass (network, throttling, a server error) is retried after a backoff, the file
    /// kept while its token is valid and removed once it is not; any other failure is returned.
    pub fn round(&mut self) -> Result<Duration> {
        let freshness = FreshnessArgs {
            min_ttl: self.ahead,
            force: false,
        };
        match profile::fresh(
            self.ctx,
            self.chosen,
            self.settings,
            &freshness,
            self.need(),
        ) {
            Ok(entry) => {
                self.failures = 0;
                self.keep(&entry)
            }
            Err(e) if kind(&e) == Some(ErrorKind::Transient) => {
                self.failures += 1;
                let wait = backoff(self.failures);
                self.after_failure(&e, wait)?;
                Ok(wait)
            }
            Err(e) => Err(e),
        }
    }

    /// Puts the entry's tokens in the file (unless it holds them already), and works out when
    /// to refresh them.
    pub fn keep(&mut self, entry: &Entry) -> Result<Duration> {
        let need = self.need();
        let until = entry
            .expires_at_for(need)
            .ok_or_else(|| CoreError::new(ErrorKind::Other, "the tokens have no expiry"))?;
        let content = render(entry, self.format, until)?;
        let unchanged = self
            .written
            .as_ref()
            .is_some_and(|(old, _)| old.expose_secret() == content.expose_secret());
        if !unchanged {
            cognito_refresh::sink::write(&self.sink, content.expose_secret().as_bytes())?;
            self.ctx.log.info(&format!(
                "{}: token valid until {}",
                self.sink.display(),
                rfc3339(until)?
            ));
        }
        self.written = Some((content, until));
        // Refresh with `ahead` left: --min-ttl, but never later than halfway through what is
        // left, so that short-lived tokens are renewed in time too.
        let left = u64::try_from(until - now_unix()).unwrap_or(0);
        let ahead = self.asked.as_secs().min(left / 2);
        // One second more than the wait leaves, so that the next round does refresh.
        self.ahead = Duration::from_secs(ahead + 1);
        Ok(Duration::from_secs((left - ahead).max(1)))
    }

    /// Says what failed and what happens now; removes the file once its token has expired.
    fn after_failure(&mut self, err: &anyhow::Error, wait: Duration) -> Result<()> {
        let now = now_unix();
        let why = err
            .chain()
            .find_map(|e| e.downcast_ref::<CoreError>())
            .map_or_else(|| format!("{err:#}"), crate::cli::hints::message);
        let retry = format!("trying again in {} s", wait.as_secs());
        match &self.written {
            Some((_, until)) if *until > now => self.ctx.log.warn(&format!(
                "cannot refresh ({why}); {} keeps its token, valid until {}; {retry}",
                self.sink.display(),
                rfc3339(*until)?
            )),
            Some(_) => {
                cognito_refresh::sink::remove(&self.sink)?;
                self.written = None;
                self.ctx.log.warn(&format!(
                    "cannot refresh ({why}); the token in {} expired, so the file was removed; \
                     {retry}",
                    self.sink.display()
                ));
            }
            None => self
                .ctx
                .log
                .warn(&format!("cannot get a token ({why}); {retry}")),
        }
        Ok(())
    }

    /// Until when the token in the file is valid, when it holds one.
    pub fn valid_until(&self) -> Option<i64> {
        self.written.as_ref().map(|(_, until)| *until)
    }
}

/// The kind of a command's error, when the library's.
pub fn kind(err: &anyhow::Error) -> Option<ErrorKind> {
    err.chain()
        .find_map(|e| e.downcast_ref::<CoreError>())
        .map(CoreError::kind)
}

/// The wait after `failures` failed rounds in a row: 1, 2, 4 ... seconds, at most a minute.
fn backoff(failures: u32) -> Duration {
    let seconds = 1u64 << failures.saturating_sub(1).min(6);
    Duration::from_secs(seconds).min(MAX_BACKOFF)
}

/// What the file holds, in `format`.
fn render(entry: &Entry, format: SinkFormat, until: i64) -> Result<SecretString> {
    let access = entry
        .access_token
        .as_ref()
        .ok_or_else(|| CoreError::new(ErrorKind::Other, "no access token"))?
        .expose_secret();
    let id = entry.id_token.as_ref().map(|t| t.expose_secret());
    let expires_at = rfc3339(until)?;
    let text = match format {
        SinkFormat::AccessToken => access.to_string(),
        SinkFormat::Json => {
            let json = serde_json::json!({
                "access_token": access,
                "id_token": id,
                "expires_at": expires_at,
            });
            format!("{}\n", serde_json::to_string_pretty(&json)?)
        }
        SinkFormat::Env => {
            let mut lines = vec![format!("COGNITO_ACCESS_TOKEN={access}")];
            lines.extend(id.map(|id| format!("COGNITO_ID_TOKEN={id}")));
            lines.push(format!("COGNITO_TOKEN_EXPIRES_AT={expires_at}"));
            format!("{}\n", lines.join("\n"))
        }
    };
    Ok(SecretString::from(text))
}

/// The signals that end a watch (SIGTERM, SIGINT, SIGHUP), caught from the start so that none
/// interrupts a refresh halfway: each is acted on between rounds.
pub struct Stop {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hup: tokio::signal::unix::Signal,
}

/// A stop signal that came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    Terminate,
    Interrupt,
    Hangup,
}

impl Stop {
    pub fn catch(ctx: &Ctx) -> Result<Stop> {
        let rt = ctx.runtime()?;
        let _entered = rt.enter();
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Stop {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
                hup: signal(SignalKind::hangup())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Stop {})
    }

    /// The next stop signal (on Windows, Ctrl-C).
    pub async fn next(&mut self) -> Stopped {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => Stopped::Terminate,
                _ = self.int.recv() => Stopped::Interrupt,
                _ = self.hup.recv() => Stopped::Hangup,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            Stopped::Interrupt
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_minute() {
        let waits: Vec<u64> = (1..=9).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }
}
