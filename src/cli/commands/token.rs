//! `cognito-refresh token`: a valid access (or ID) token of a profile, refreshed only when needed.

use super::write_stdout;
use crate::cli::args::{ProfileArgs, TokenArgs};
use crate::cli::log::Log;
use crate::cli::profile;
use anyhow::Result;
use clap::ArgMatches;
use cognito_refresh::{Error as CoreError, ErrorKind, ExposeSecret, Need};

pub fn run(args: TokenArgs, global: &ProfileArgs, matches: &ArgMatches, log: &Log) -> Result<()> {
    let mut chosen = profile::require(global, "token")?;
    let request = args.settings.into_request();
    profile::create_if_absent(&mut chosen, &request, matches, log)?;
    let need = if args.id { Need::Id } else { Need::Access };
    let entry = profile::fresh(&chosen, request, &args.freshness, need, matches, log)?;
    let token = match need {
        Need::Id => entry.id_token,
        _ => entry.access_token,
    }
    .ok_or_else(|| CoreError::new(ErrorKind::Other, "Cognito returned no ID token"))?;
    write_stdout(&format!("{}\n", token.expose_secret()))
}
