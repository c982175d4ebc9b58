//! `cognito-refresh diagnose`: the report on stdout, the exit code `refresh` would give.

use super::{Ctx, given_options, write_stdout};
use crate::cli::args::{DiagnoseArgs, ReportFormat};
use crate::cli::hints;
use crate::cli::profile;
use crate::cli::report;
use crate::cli::settings::{Flags, Source, process_env, resolve};
use anyhow::Result;
use cognito_refresh::diagnose::{Inspect, diagnose};
use cognito_refresh::{Error as CoreError, RefreshApi, RefreshOptions, SecretString};

/// With a profile whose store holds a session, that session is diagnosed: the stored refresh
/// token, and what the stored tokens tell (client, username, device key, region). The profile's
/// lock is held throughout, so no `token` call refreshes meanwhile, and a refresh token rotated
/// by an attempt is saved in the store before the report is printed.
pub fn run(args: DiagnoseArgs, ctx: &Ctx) -> Result<()> {
    let log = &ctx.log;
    let flags = Flags::from(&args.session);
    let Some(chosen) = profile::choose(&ctx.profile)? else {
        let options = given_options(ctx, &resolve(flags, None, &process_env))?;
        return report_on(&args, options, ctx, |_| Ok(()));
    };
    let settings = chosen.settings(flags);
    let mut secrets = settings.read_secrets(Some(&chosen), log)?;
    if let Some(given) = secrets.refresh_token.take() {
        // A refresh token given on the command line is diagnosed as it is, the store left
        // alone; one from the environment only when nothing is stored, as `refresh` does.
        let flag = settings.refresh_token.as_ref().map(|s| s.source) == Some(Source::Flag);
        if flag || chosen.store.load(&chosen.name)?.is_none() {
            log.info(&settings.describe(Some(&chosen.name)));
            let options = settings.options(given, &secrets)?;
            return report_on(&args, options, ctx, |_| Ok(()));
        }
        log.info(&format!(
            "COGNITO_REFRESH_TOKEN is not used: profile {} has a stored refresh token (the \
             variable may hold one that was rotated out)",
            chosen.name
        ));
    }
    let lock = chosen
        .store
        .lock(&chosen.name, profile::lock_wait(settings.timeout.value))?;
    let Some(mut entry) = chosen.store.load(&chosen.name)? else {
        return Err(profile::no_session(&chosen).into());
    };
    let settings = settings.with_stored(&entry);
    log.info(&settings.describe(Some(&chosen.name)));
    let options = settings.options(entry.refresh_token.clone(), &secrets)?;
    // Begun before the refresh, its room reserved: a rotated token cannot be lost to a full disk.
    let pending = chosen.store.begin_save(&lock, Some(&entry))?;
    report_on(&args, options, ctx, |rotated| {
        entry.refresh_token = rotated.clone();
        entry.rotation = Some(true);
        pending.commit(&entry)?;
        log.notice(&format!(
            "the rotated refresh token was saved in profile {}'s store",
            chosen.name
        ));
        Ok(())
    })
}

/// Diagnoses, keeps a rotated refresh token with `keep` before anything is printed, then prints
/// the report; fails with the code `refresh` would give when no attempt refreshed.
fn report_on(
    args: &DiagnoseArgs,
    options: RefreshOptions,
    ctx: &Ctx,
    keep: impl FnOnce(&SecretString) -> Result<()>,
) -> Result<()> {
    let admin = options.get_api() == RefreshApi::AdminInitiateAuth;
    if !args.inspect && !admin && args.session.api.aws.aws_profile.is_some() {
        ctx.log
            .warn("--aws-profile is used only with --inspect or --api admin-initiate-auth");
    }
    let aws_profile = options.get_aws_profile().map(str::to_string);
    let inspect = args.inspect.then(|| Inspect::new(aws_profile));
    let mut diagnosis = ctx.runtime()?.block_on(diagnose(options, inspect));
    report::explain(&mut diagnosis);
    if let Some(rotated) = &diagnosis.new_refresh_token {
        keep(rotated)?;
    }
    let text = match args.output {
        ReportFormat::Human => report::human(&diagnosis, ctx.log.verbose),
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
