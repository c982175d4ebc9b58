//! `cognito-refresh exec`: run a command with a profile's valid tokens in its environment.

use super::Ctx;
use crate::cli::args::ExecArgs;
use crate::cli::profile;
use crate::cli::settings::{Flags, process_env, resolve};
use anyhow::Result;
use cognito_refresh::tokens::rfc3339;
use cognito_refresh::{Error as CoreError, ErrorKind, ExposeSecret, Need};
use std::process::Command;

/// Set in the command's environment to the profile's name; its presence refuses nesting.
const EXEC_MARKER: &str = "COGNITO_REFRESH_EXEC";

/// Variables the tool reads long-lived secrets from (besides a profile's `client_secret_env`):
/// the command does not get them, unless `--pass-env` names them. It gets the access and ID
/// tokens, which expire within the hour, instead.
pub const SECRET_VARIABLES: [&str; 5] = [
    "COGNITO_REFRESH_TOKEN",
    "COGNITO_CLIENT_SECRET",
    "COGNITO_PASSWORD",
    "COGNITO_NEW_PASSWORD",
    "COGNITO_MFA_CODE",
];

pub fn run(args: ExecArgs, ctx: &Ctx) -> Result<()> {
    if !args.allow_nested
        && let Some(outer) = std::env::var_os(EXEC_MARKER)
    {
        return Err(CoreError::usage(format!(
            "already inside `cognito-refresh exec` (profile {}): the tokens are in the \
             environment; pass --allow-nested to run another one anyway",
            outer.to_string_lossy()
        ))
        .into());
    }
    let mut chosen = profile::require(&ctx.profile, "exec")?;
    let flags = Flags::from(&args.session);
    profile::create_if_absent(&mut chosen, flags, &ctx.log)?;
    let settings = resolve(flags, chosen.profile(), &process_env);
    let entry = profile::fresh(ctx, &chosen, &settings, &args.freshness, Need::All)?;
    let access = entry
        .access_token
        .as_ref()
        .ok_or_else(|| CoreError::new(ErrorKind::Other, "no access token"))?;
    let expires_at = entry
        .expires_at_for(Need::All)
        .map(rfc3339)
        .transpose()?
        .ok_or_else(|| CoreError::new(ErrorKind::Other, "the tokens have no expiry"))?;

    let (program, program_args) = args
        .command
        .split_first()
        .ok_or_else(|| CoreError::usage("no command to run"))?;
    let mut command = Command::new(program);
    command
        .args(program_args)
        // Values from an outer session or an older run must not survive beside the new ones.
        .env_remove("COGNITO_ACCESS_TOKEN")
        .env_remove("COGNITO_ID_TOKEN")
        .env_remove("COGNITO_TOKEN_EXPIRES_AT")
        .env("COGNITO_ACCESS_TOKEN", access.expose_secret())
        .env("COGNITO_TOKEN_EXPIRES_AT", &expires_at)
        .env(EXEC_MARKER, &chosen.name);
    if let Some(id) = &entry.id_token {
        command.env("COGNITO_ID_TOKEN", id.expose_secret());
    }
    let client_secret_env = chosen
        .profile()
        .and_then(|p| p.client_secret_env.as_deref());
    for name in SECRET_VARIABLES.into_iter().chain(client_secret_env) {
        if !args.pass_env.iter().any(|kept| kept == name) {
            command.env_remove(name);
        }
    }
    let name = program.to_string_lossy().into_owned();
    run_replacing(command, &name)
}

/// On Unix the command replaces this process (execvp), keeping its process id: SIGINT and
/// SIGTERM sent to it (or to the terminal's process group) reach the command itself, as
/// nothing stands in between to forward them, and the command's exit status, or the signal
/// that ended it, is what the caller sees. The profile's lock was released before this point
/// (files are opened close-on-exec besides), so the command holds nothing of ours.
#[cfg(unix)]
fn run_replacing(mut command: Command, name: &str) -> Result<()> {
    use std::os::unix::process::CommandExt as _;
    // exec returns only when it failed.
    let err = command.exec();
    Err(CoreError::usage(format!("cannot run {name}: {err}")).into())
}

/// Elsewhere the command runs as a child, and its exit code becomes ours.
#[cfg(not(unix))]
fn run_replacing(mut command: Command, name: &str) -> Result<()> {
    let status = command
        .status()
        .map_err(|e| CoreError::usage(format!("cannot run {name}: {e}")))?;
    std::process::exit(status.code().unwrap_or(1));
}
