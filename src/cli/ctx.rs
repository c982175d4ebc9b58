//! What every command gets from `main`: the log, the chosen profile, and the process's one
//! async runtime.

use crate::cli::log::Log;
use crate::cli::settings::ProfileChoice;
use anyhow::{Context as _, Result};
use std::cell::OnceCell;
use tokio::runtime::Runtime;

/// What every command gets from `main`: the log, the chosen profile, and the process's one
/// async runtime.
pub struct Ctx {
    pub log: Log,
    pub profile: ProfileChoice,
    runtime: OnceCell<Runtime>,
}

impl Ctx {
    pub fn new(log: Log, profile: ProfileChoice) -> Ctx {
        Ctx {
            log,
            profile,
            runtime: OnceCell::new(),
        }
    }

    /// The process's runtime: single-threaded, built the first time a command talks to
    /// Cognito (a `token` served from the store builds none).
    pub fn runtime(&self) -> Result<&Runtime> {
        if let Some(runtime) = self.runtime.get() {
            return Ok(runtime);
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        Ok(self.runtime.get_or_init(|| runtime))
    }

    /// Ends the runtime without waiting for its blocking threads: a name lookup the resolver
    /// never answers must not hold the process past --timeout (dropping a runtime would wait).
    pub fn shutdown(self) {
        if let Some(runtime) = self.runtime.into_inner() {
            runtime.shutdown_background();
        }
    }
}
