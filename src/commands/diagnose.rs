//! `cognito-refresh diagnose`: the report on stdout, the exit code `refresh` would give.

use super::{runtime, write_stdout};
use crate::cli::{DiagnoseArgs, ReportFormat};
use crate::input::refresh_options;
use crate::log::Log;
use crate::report;
use anyhow::Result;
use clap::ArgMatches;
use cognito_refresh::Error as CoreError;
use cognito_refresh::diagnose::{Inspect, diagnose};

pub fn run(args: DiagnoseArgs, matches: &ArgMatches, log: &Log) -> Result<()> {
    let options = refresh_options(args.request, matches, log)?;
    if !args.inspect && args.aws_profile.is_some() {
        log.warn("--aws-profile is used only with --inspect");
    }
    let inspect = args.inspect.then_some(Inspect {
        aws_profile: args.aws_profile,
    });
    let diagnosis = runtime()?.block_on(diagnose(options, inspect));
    let text = match args.output {
        ReportFormat::Human => report::human(&diagnosis, log.verbose),
        ReportFormat::Json => report::json(&diagnosis)?,
    };
    write_stdout(&text)?;
    match &diagnosis.error {
        None => Ok(()),
        // The report holds the causes and fixes; stderr gets the one-line error and its code.
        Some(e) => Err(CoreError::new(
            e.kind(),
            format!("the refresh failed: {e} (the report says why)"),
        )
        .into()),
    }
}
