//! `cognito-refresh verify`: a token checked as an API would check it; the report on stdout,
//! exit 0 when it is valid and 3 when it is not.

use super::{Ctx, write_stdout};
use crate::cli::args::{TokenUseArg, VerifyArgs, VerifyFormat};
use crate::cli::hints::{self, Hinted};
use crate::cli::input::{StdinOnce, read_limited, read_secret};
use crate::cli::profile;
use crate::cli::report::push_wrapped;
use crate::cli::settings::{Chosen, Flags, Setting, Source, process_env, resolve, value};
use anyhow::Result;
use cognito_refresh::verify::{self, Expected, TokenUse, Verdict, VerifyOptions};
use cognito_refresh::{Error as CoreError, ErrorKind, ExposeSecret as _, SecretString};
use serde::Serialize;
use std::io::IsTerminal as _;

pub fn run(args: VerifyArgs, ctx: &Ctx) -> Result<()> {
    let chosen = profile::choose(&ctx.profile)?;
    let (client, connection) = args.groups();
    let flags = Flags {
        client: Some(&client),
        connection: Some(&connection),
        ..Flags::default()
    };
    let settings = resolve(
        flags,
        chosen.as_ref().and_then(Chosen::profile),
        &process_env,
    );
    let token = token(&args, chosen.as_ref())?;
    let mut expected = Expected::default();
    expected.user_pool_id = value(&settings.user_pool_id).map(|p| p.trim().to_string());
    expected.client_id = value(&settings.client_id);
    expected.token_use = args.token_use.map(|u| match u {
        TokenUseArg::Access => TokenUse::Access,
        TokenUseArg::Id => TokenUse::Id,
    });
    expected.scopes = args.scopes();
    let profile_name = chosen.as_ref().map(|c| c.name.as_str());
    ctx.log.info(&format!(
        "expected: {}, {}",
        described("user pool", &settings.user_pool_id, profile_name),
        described("app client", &settings.client_id, profile_name)
    ));
    let mut options = VerifyOptions::new(expected);
    options.endpoint_url = value(&settings.endpoint_url);
    options.timeout = settings.timeout.value;
    let verdict = ctx.runtime()?.block_on(verify::verify(&token, &options))?;
    ctx.log.notes(&verdict.notes);
    let text = match args.output {
        VerifyFormat::Human => human(&verdict),
        VerifyFormat::Json => json(&verdict)?,
    };
    write_stdout(&text)?;
    if verdict.valid() {
        return Ok(());
    }
    let failed = verdict.failed();
    let error = CoreError::new(
        ErrorKind::TokenRejected,
        format!(
            "the token is not valid: {} failed (the report says why)",
            failed.join(", ")
        ),
    );
    match chosen.filter(|_| args.token_file.is_none()) {
        Some(chosen) => match stored_hint(&chosen.name, args.id, &failed) {
            Some(hint) => Err(Hinted::wrap(error, hint)),
            None => Err(error.into()),
        },
        None => Err(error.into()),
    }
}

/// For a profile's stored token: the `token` command that gets the one an API would take.
fn stored_hint(profile: &str, id: bool, failed: &[&str]) -> Option<String> {
    let (other, same) = match id {
        true => ("", " --id"),
        false => (" --id", ""),
    };
    if failed.contains(&"token-use") {
        Some(format!(
            "`cognito-refresh token --profile {profile}{other}` prints the profile's {} token",
            if id { "access" } else { "ID" }
        ))
    } else if failed.contains(&"expiry") {
        Some(format!(
            "`cognito-refresh token --profile {profile}{same}` refreshes the stored tokens and \
             prints a valid one"
        ))
    } else {
        None
    }
}

/// `user pool X (from ...)`, or that none is expected.
fn described(what: &str, setting: &Option<Setting<String>>, profile: Option<&str>) -> String {
    match setting {
        Some(s) => {
            let from = match s.source {
                Source::Flag => "command line".to_string(),
                Source::Env(name) => name.to_string(),
                Source::Profile => format!("profile {}", profile.unwrap_or("")),
                _ => "default".to_string(),
            };
            format!("{what} {} ({from})", s.value)
        }
        None => format!("no {what}"),
    }
}

/// The token: from --token-file, else the profile's store, else standard input.
fn token(args: &VerifyArgs, chosen: Option<&Chosen>) -> Result<SecretString> {
    if args.id && (chosen.is_none() || args.token_file.is_some()) {
        return Err(CoreError::usage(
            "--id chooses the profile's ID token: pass --profile NAME without --token-file (or \
             give the ID token itself with --token-file)",
        )
        .into());
    }
    if let Some(path) = &args.token_file {
        let token = read_secret(Some(path), None, "token", &mut StdinOnce::default())?;
        return token.ok_or_else(|| CoreError::usage("no token").into());
    }
    if let Some(chosen) = chosen {
        let Some(entry) = chosen.store.load(&chosen.name)? else {
            return Err(profile::no_session(chosen).into());
        };
        let (token, what) = match args.id {
            true => (entry.id_token, "ID token"),
            false => (entry.access_token, "access token"),
        };
        return token.ok_or_else(|| {
            CoreError::usage(format!(
                "profile {} has no stored {what}: `cognito-refresh token --profile {}{}` gets one",
                chosen.name,
                chosen.name,
                if args.id { " --id" } else { "" }
            ))
            .into()
        });
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(CoreError::usage(
            "no token: pass --token-file PATH, pipe it to standard input, or --profile NAME for \
             the profile's stored token",
        )
        .into());
    }
    let token = read_limited(stdin.lock(), "standard input")?;
    if token.expose_secret().is_empty() {
        return Err(CoreError::usage("no token on standard input").into());
    }
    Ok(token)
}

/// Where continuation lines start: under the check's id.
const INDENT: &str = "           ";

/// One line per check with its status, the fix under each failure, then the result.
fn human(v: &Verdict) -> String {
    let mut out = String::new();
    for c in &v.checks {
        push_wrapped(
            &mut out,
            &format!("{}: {}", c.id, hints::words(&c.summary)),
            &format!("{:<8} ", c.status.as_str()),
            INDENT,
        );
        if let Some(fix) = &c.fix {
            push_wrapped(
                &mut out,
                &format!("fix: {}", hints::words(fix)),
                INDENT,
                &format!("{INDENT}     "),
            );
        }
    }
    out.push('\n');
    let result = match v.failed().as_slice() {
        [] => "result: valid (exit 0)".to_string(),
        failed => format!(
            "result: not valid (exit 3): an API expecting this would answer 401; failed: {}",
            failed.join(", ")
        ),
    };
    push_wrapped(&mut out, &result, "", "        ");
    out
}

#[derive(Serialize)]
struct JsonVerdict<'a> {
    valid: bool,
    checks: Vec<JsonCheck<'a>>,
}

#[derive(Serialize)]
struct JsonCheck<'a> {
    id: &'a str,
    status: &'a str,
    summary: String,
    fix: Option<String>,
}

/// `{valid, checks: [{id, status, summary, fix}]}` and a newline.
fn json(v: &Verdict) -> Result<String> {
    let doc = JsonVerdict {
        valid: v.valid(),
        checks: v
            .checks
            .iter()
            .map(|c| JsonCheck {
                id: c.id,
                status: c.status.as_str(),
                summary: hints::words(&c.summary),
                fix: c.fix.as_ref().map(hints::words),
            })
            .collect(),
    };
    let mut out = serde_json::to_string_pretty(&doc)?;
    out.push('\n');
    Ok(out)
}
