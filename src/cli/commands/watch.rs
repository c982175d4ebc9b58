//! `cognito-refresh watch`: keeps a file holding a profile's fresh token until stopped.

use super::Ctx;
use crate::cli::args::WatchArgs;
use crate::cli::keeper::{Keeper, Stop};
use crate::cli::profile;
use crate::cli::settings::Flags;
use anyhow::Result;

pub fn run(args: WatchArgs, ctx: &Ctx) -> Result<()> {
    let mut chosen = profile::require(&ctx.profile, "watch")?;
    let flags = Flags::from(&args.session);
    profile::create_if_absent(&mut chosen, flags, None, &ctx.log)?;
    let settings = chosen.settings(flags);
    // Caught before the first refresh: a signal never cuts one short (a rotated refresh token
    // is always saved), it ends the watch between rounds.
    let mut stop = Stop::catch(ctx)?;
    let mut keeper = Keeper::new(
        ctx,
        &chosen,
        &settings,
        args.sink,
        args.format,
        args.freshness.min_ttl,
    );
    loop {
        // A dead session (exit 3) or an unusable profile ends the watch; the file keeps its
        // token, valid until it expires, as when the watch is stopped.
        let wait = keeper.round()?;
        let stopped = ctx.runtime()?.block_on(async {
            tokio::select! {
                signal = stop.next() => Some(signal),
                () = tokio::time::sleep(wait) => None,
            }
        });
        if let Some(signal) = stopped {
            ctx.log.info(&format!(
                "stopped by {signal:?}; {} is left in place",
                keeper.sink.display()
            ));
            return Ok(());
        }
    }
}
