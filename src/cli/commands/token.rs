//! `cognito-refresh token`: a valid access (or ID) token of a profile, refreshed only when needed.

use super::{Ctx, write_stdout};
use crate::cli::args::TokenArgs;
use crate::cli::profile;
use crate::cli::settings::Flags;
use anyhow::Result;
use cognito_refresh::{Error as CoreError, ErrorKind, ExposeSecret, Need};

pub fn run(args: TokenArgs, ctx: &Ctx) -> Result<()> {
    let mut chosen = profile::require(&ctx.profile, "token")?;
    let flags = Flags::from(&args.session);
    profile::create_if_absent(&mut chosen, flags, None, &ctx.log)?;
    let settings = chosen.settings(flags);
    let need = if args.id { Need::Id } else { Need::Access };
    let entry = profile::fresh(ctx, &chosen, &settings, &args.freshness, need)?;
    let token = match need {
        Need::Id => entry.id_token,
        _ => entry.access_token,
    }
    .ok_or_else(|| CoreError::new(ErrorKind::Other, "Cognito returned no ID token"))?;
    write_stdout(&format!("{}\n", token.expose_secret()))
}
