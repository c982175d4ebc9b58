//! `cognito-refresh profiles`: the profiles and the state of their tokens, never a token.

use super::{Ctx, write_stdout};
use crate::cli::args::ProfilesArgs;
use crate::cli::profile::{config_path, store};
use crate::cli::settings::value;
use anyhow::Result;
use cognito_refresh::config::Config;
use cognito_refresh::region::region_of_pool;
use cognito_refresh::tokens::{now_unix, rfc3339};
use cognito_refresh::{Entry, Need};
use serde::Serialize;
use std::collections::BTreeSet;

/// One profile, as listed. Holds no secret.
#[derive(Serialize)]
struct Row {
    name: String,
    /// Named by --profile or COGNITO_PROFILE.
    selected: bool,
    /// Has a table in the config file (else only tokens in the store).
    in_config: bool,
    client_id: Option<String>,
    region: Option<String>,
    /// When the access token expires, RFC 3339.
    expires_at: Option<String>,
    #[serde(skip)]
    expires_unix: Option<i64>,
    /// Whether the access token is still valid now.
    valid: bool,
    refresh_token: bool,
    /// Whether the app client rotates refresh tokens: "on", "off", or "unknown" before the
    /// first refresh.
    rotation: &'static str,
    last_refresh: Option<String>,
    /// Why the stored tokens cannot be read, when they cannot.
    error: Option<String>,
}

pub fn run(args: ProfilesArgs, ctx: &Ctx) -> Result<()> {
    let log = &ctx.log;
    let config = Config::load(&config_path(&ctx.profile)?)?;
    let files = store(&ctx.profile, None)?;
    let mut names: BTreeSet<String> = config.profiles.keys().cloned().collect();
    names.extend(files.profiles()?);
    let selected = value(&ctx.profile.name);
    let now = now_unix();
    let rows: Vec<Row> = names
        .into_iter()
        .map(|name| {
            let profile = config.profile(&name);
            // Each profile's own store: the files, or its table.
            let loaded: Result<_> = match profile.and_then(|p| p.store.as_ref()) {
                Some(_) => store(&ctx.profile, profile).and_then(|s| Ok(s.load(&name)?)),
                None => files.load(&name).map_err(Into::into),
            };
            let (entry, error) = match loaded {
                Ok(entry) => (entry, None),
                Err(e) => {
                    log.warn(&e.to_string());
                    (None, Some(e.to_string()))
                }
            };
            let expires = entry.as_ref().and_then(|e| e.expires_at_for(Need::Access));
            Row {
                selected: selected.as_deref() == Some(name.as_str()),
                in_config: profile.is_some(),
                client_id: profile
                    .and_then(|p| p.client_id.clone())
                    .or_else(|| entry.as_ref().map(|e| e.client_id.clone())),
                region: profile.and_then(|p| {
                    p.region.clone().or_else(|| {
                        p.user_pool_id
                            .as_deref()
                            .and_then(region_of_pool)
                            .map(str::to_string)
                    })
                }),
                expires_at: expires.and_then(|at| rfc3339(at).ok()),
                expires_unix: expires,
                valid: expires.is_some_and(|at| at > now),
                refresh_token: entry
                    .as_ref()
                    .is_some_and(|e| e.client_credentials.is_none()),
                rotation: match entry
                    .as_ref()
                    .map(|e: &Entry| (e.rotation, &e.client_credentials))
                {
                    // An app client's own token: no refresh token to rotate.
                    Some((_, Some(_))) => "n/a",
                    Some((Some(true), _)) => "on",
                    Some((Some(false), _)) => "off",
                    None | Some((None, _)) => "unknown",
                },
                last_refresh: entry
                    .as_ref()
                    .and_then(|e| e.refreshed_at)
                    .and_then(|at| rfc3339(at).ok()),
                error,
                name,
            }
        })
        .collect();
    if args.json {
        let mut out = serde_json::to_string_pretty(&rows)?;
        out.push('\n');
        return write_stdout(&out);
    }
    write_stdout(&table(&rows, now))
}

fn table(rows: &[Row], now: i64) -> String {
    let header = [
        "PROFILE",
        "CLIENT ID",
        "REGION",
        "TOKENS",
        "REFRESH TOKEN",
        "ROTATION",
    ];
    let mut lines: Vec<[String; 6]> = vec![header.map(str::to_string)];
    for r in rows {
        let tokens = match (&r.error, &r.expires_at) {
            (Some(_), _) => "unreadable (see above)".to_string(),
            (None, Some(at)) if r.valid => {
                format!("valid until {at}{}", time_left(r.expires_unix, now))
            }
            (None, Some(at)) => format!("expired at {at}"),
            (None, None) if r.refresh_token => "none (refresh on first use)".into(),
            (None, None) => "none".into(),
        };
        let name = match (r.selected, r.in_config) {
            (true, true) => format!("* {}", r.name),
            (true, false) => format!("* {} (not in config)", r.name),
            (false, true) => format!("  {}", r.name),
            (false, false) => format!("  {} (not in config)", r.name),
        };
        lines.push([
            name,
            r.client_id.clone().unwrap_or_else(|| "-".into()),
            r.region.clone().unwrap_or_else(|| "-".into()),
            tokens,
            if r.error.is_some() {
                "?".into()
            } else if r.refresh_token {
                "stored".into()
            } else {
                "none".into()
            },
            r.rotation.into(),
        ]);
    }
    if rows.is_empty() {
        return "no profiles: create one with `cognito-refresh store --profile NAME --client-id ID`\n"
            .into();
    }
    let widths: Vec<usize> = (0..6)
        .map(|i| {
            lines
                .iter()
                .map(|l| l[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for line in &lines {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// ` (in 42m)`: how long the token stays valid.
fn time_left(expires: Option<i64>, now: i64) -> String {
    match expires.map(|at| at - now) {
        Some(l) if l >= 3600 => format!(" (in {}h{:02}m)", l / 3600, l % 3600 / 60),
        Some(l) if l >= 60 => format!(" (in {}m)", l / 60),
        Some(l) => format!(" (in {l}s)"),
        None => String::new(),
    }
}
