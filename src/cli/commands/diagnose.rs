//! `cognito-refresh diagnose`: the report on stdout, the exit code `refresh` would give.

use super::{runtime, write_stdout};
use crate::cli::args::{DiagnoseArgs, ProfileArgs, ReportFormat};
use crate::cli::hints;
use crate::cli::input::{self, refresh_options};
use crate::cli::log::Log;
use crate::cli::profile;
use crate::cli::report;
use anyhow::Result;
use clap::ArgMatches;
use cognito_refresh::diagnose::{Inspect, diagnose};
use cognito_refresh::{Error as CoreError, RefreshOptions};

/// With a profile whose store holds a session, that session is diagnosed: the stored refresh
/// token, and what the stored tokens tell (client, username, device key, region). The profile's
/// lock is held throughout, so no `token` call refreshes meanwhile, and a refresh token rotated
/// by an attempt is saved in the store before the report is printed.
pub fn run(
    args: DiagnoseArgs,
    global: &ProfileArgs,
    matches: &ArgMatches,
    log: &Log,
) -> Result<()> {
    let Some(chosen) = profile::choose(global)? else {
        let options = refresh_options(args.request, matches, log)?;
        return report_on(
            args.inspect,
            args.aws_profile,
            args.output,
            options,
            log,
            |_| Ok(()),
        );
    };
    let mut request = input::request(args.request, matches, log, Some(&chosen))?;
    if let Some(given) = request.refresh_token.take() {
        // A refresh token given explicitly is diagnosed as it is; the store is left alone.
        let options = request.into_options(given)?;
        return report_on(
            args.inspect,
            args.aws_profile,
            args.output,
            options,
            log,
            |_| Ok(()),
        );
    }
    let lock = chosen.store.lock(
        &chosen.name,
        profile::lock_wait(request.timeout.as_secs_f64()),
    )?;
    let Some(mut entry) = chosen.store.load(&chosen.name)? else {
        return Err(profile::unknown(&chosen).into());
    };
    let options = profile::entry_options(request, &entry)?;
    report_on(
        args.inspect,
        args.aws_profile,
        args.output,
        options,
        log,
        |rotated| {
            entry.refresh_token = rotated.clone();
            entry.rotation = Some(true);
            chosen.store.save(&lock, &entry)?;
            log.notice(&format!(
                "the rotated refresh token was saved in profile {}'s store",
                chosen.name
            ));
            Ok(())
        },
    )
}

/// Diagnoses, keeps a rotated refresh token with `keep` before anything is printed, then prints
/// the report; fails with the code `refresh` would give when no attempt refreshed.
fn report_on(
    inspect: bool,
    aws_profile: Option<String>,
    format: ReportFormat,
    options: RefreshOptions,
    log: &Log,
    keep: impl FnOnce(&cognito_refresh::SecretString) -> Result<()>,
) -> Result<()> {
    if !inspect && aws_profile.is_some() {
        log.warn("--aws-profile is used only with --inspect");
    }
    let inspect = inspect.then_some(Inspect::new(aws_profile));
    let mut diagnosis = runtime()?.block_on(diagnose(options, inspect));
    report::explain(&mut diagnosis);
    if let Some(rotated) = &diagnosis.new_refresh_token {
        keep(rotated)?;
    }
    let text = match format {
        ReportFormat::Human => report::human(&diagnosis, log.verbose),
        ReportFormat::Json => report::json(&diagnosis)?,
    };
    write_stdout(&text)?;
    match &diagnosis.error {
        None => Ok(()),
        // The report holds the causes and fixes; stderr gets the one-line error and its code.
        Some(e) => Err(CoreError::new(
            e.kind(),
            format!(
                "the refresh failed: {} (the report says why)",
                hints::message(e)
            ),
        )
        .into()),
    }
}
