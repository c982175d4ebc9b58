//! Why a refresh fails, and how to fix it: checks of the inputs (offline), the refresh itself and
//! attempts that isolate the cause (online), and optionally the app client's and user pool's
//! settings (`inspect`, with AWS credentials).
//!
//! [`diagnose`] never fails and never prints: everything it finds, errors included, becomes a
//! [`Check`] in the [`Diagnosis`]. No check holds a secret: summaries, details and fixes name
//! usernames, client ids and device keys, never tokens or client secrets.

mod attempts;
mod check;
mod describe;
mod found;
mod given;
pub mod inspect;
pub mod offline;

use crate::api::plan::RefreshOptions;
use crate::text::Text;
use crate::tokens::now_unix;
use crate::{Error, plan};
use check::join;

pub use check::{Check, Diagnosis, Sent, Status, human_duration};
pub use inspect::Inspect;

/// Runs every check: offline ones on the options, then the refresh as `refresh` would make it,
/// then (after a failure) attempts that each change one thing, then, with `inspect`, the app
/// client's and user pool's settings.
pub async fn diagnose(options: RefreshOptions, inspect: Option<Inspect>) -> Diagnosis {
    let now = now_unix();
    let facts = offline::Facts::read(&options);
    let mut checks = offline::checks(&options, &facts, now);

    let (plan, error, new_refresh_token, succeeded, sent) = match plan(options.clone()).await {
        Err(e) => {
            checks.push(Check::new(
                "refresh",
                Status::Problem,
                format!("not sent: {e}"),
            ));
            (None, Some(e), None, None, None)
        }
        Ok(plan) => {
            let run = attempts::run(&plan, &options, &facts).await;
            checks.extend(run.checks);
            (
                Some(plan),
                run.error,
                run.new_refresh_token,
                run.succeeded,
                Some(run.sent),
            )
        }
    };

    let context = inspect::Context {
        client_id: &options.client_id,
        secret_given: options.client_secret.is_some(),
        api: options.api,
        facts: &facts,
        now,
        refreshed: error.is_none(),
        invalid_refresh_token: error
            .as_ref()
            .is_some_and(|e| e.reason() == Some(crate::Reason::InvalidRefreshToken)),
        sent,
    };
    checks.extend(match (&inspect, &plan) {
        (None, _) => inspect::not_asked(),
        (Some(_), None) => inspect::all(
            Status::Skipped,
            "not inspected: no request could be made (see refresh)",
        ),
        (Some(how), Some(plan)) => {
            let pool = options
                .target
                .user_pool_id
                .clone()
                .or_else(|| facts.user_pool_id().map(str::to_string));
            let found = describe::fetch(
                &plan.connection,
                how,
                &options.client_id,
                pool,
                options.client_secret.as_ref(),
            )
            .await;
            inspect::judge(&found, &context)
        }
    });

    finish(&mut checks, error.as_ref());
    Diagnosis {
        checks,
        error,
        new_refresh_token,
        succeeded,
    }
}

/// Settles what depends on the whole picture: a token shape the server accepted is fine, and a
/// failed refresh's fix points at the problems found, else at the error's own hints.
fn finish(checks: &mut [Check], error: Option<&Error>) {
    let Some(error) = error else {
        for c in checks.iter_mut().filter(|c| c.id == "refresh-token") {
            if c.status == Status::Warning {
                c.status = Status::Ok;
                c.summary.push_str("; the server accepted it");
                c.fix = None;
            }
        }
        return;
    };
    let problems: Vec<&str> = checks
        .iter()
        .filter(|c| {
            c.status == Status::Problem && c.id != "refresh" && !c.id.starts_with("attempt.")
        })
        .map(|c| c.id)
        .collect();
    let fix = if problems.is_empty() {
        // The library's own advice; a front end words the rest from the error's reason.
        match error.hints() {
            [] => None,
            hints => Some(join(hints, "; ")),
        }
    } else {
        Some(Text::from(format!(
            "fix the problems found by {}",
            problems.join(", ")
        )))
    };
    for c in checks.iter_mut().filter(|c| c.id == "refresh") {
        if c.fix.is_none() {
            c.fix = fix.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check::token_is_dead;
    use super::*;
    use crate::ErrorKind;
    use crate::Operation;
    use crate::text::Setting;
    use std::borrow::Cow;

    /// The text with each setting named as a command line would: `--device-key`.
    pub(super) fn flags(text: &Text) -> String {
        text.render(&|s: Setting| {
            let mut flag = String::from("-");
            for c in format!("{s:?}").chars() {
                if c.is_uppercase() {
                    flag.push('-');
                }
                flag.push(c.to_ascii_lowercase());
            }
            Cow::Owned(flag)
        })
    }

    #[test]
    fn settings_are_named_by_whoever_renders_the_text() {
        let t = Text::from(format!("pass {} k", Setting::DeviceKey));
        assert_eq!(flags(&t), "pass --device-key k");
        assert_eq!(t.to_string(), "pass the device key k");
        let joined = join(&[t.clone(), Text::from("more")], "; ");
        assert_eq!(flags(&joined), "pass --device-key k; more");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(0), "0 seconds");
        assert_eq!(human_duration(1), "1 second");
        assert_eq!(human_duration(89), "89 seconds");
        assert_eq!(human_duration(90), "1 minute");
        assert_eq!(human_duration(3_600), "60 minutes");
        assert_eq!(human_duration(5_400), "1 hour");
        assert_eq!(human_duration(-7_200), "2 hours");
        assert_eq!(human_duration(86_399), "23 hours");
        assert_eq!(human_duration(86_400), "1 day");
        assert_eq!(human_duration(2 * 86_400 + 3 * 3_600), "2 days");
        assert_eq!(human_duration(31 * 86_400), "31 days");
    }

    #[test]
    fn dead_tokens_are_told_apart() {
        let e =
            |code: &str, m: &str| crate::api::classify::refused(Operation::InitiateAuth, code, m);
        assert!(token_is_dead(&e(
            "NotAuthorizedException",
            "Refresh Token has expired"
        )));
        assert!(token_is_dead(&e(
            "NotAuthorizedException",
            "Refresh Token has been revoked"
        )));
        assert!(token_is_dead(&e("RefreshTokenReuseException", "")));
        assert!(!token_is_dead(&e(
            "NotAuthorizedException",
            "Invalid Refresh Token."
        )));
        assert!(!token_is_dead(&e("NotAuthorizedException", "")));
    }

    #[test]
    fn finish_points_the_failed_refresh_at_the_problems_found() {
        let refused = Error::new(ErrorKind::TokenRejected, "refused")
            .with_hint("first hint")
            .with_hint("second hint");
        let checks = || {
            vec![
                Check::new("refresh-token", Status::Warning, "odd shape"),
                Check::new("client-id", Status::Ok, "fine"),
                Check::new("refresh", Status::Problem, "refused"),
                Check::new("attempt.get-tokens", Status::Problem, "refused too"),
            ]
        };
        // Nothing else wrong: the error's own hints.
        let mut c = checks();
        finish(&mut c, Some(&refused));
        assert_eq!(c[2].fix, Some(Text::from("first hint; second hint")));
        assert_eq!(c[0].status, Status::Warning);

        // Problems found elsewhere: the fix names them.
        let mut c = checks();
        c[1].status = Status::Problem;
        finish(&mut c, Some(&refused));
        assert_eq!(
            c[2].fix,
            Some(Text::from("fix the problems found by client-id"))
        );

        // Refreshed: a token shape the server accepted is fine.
        let mut c = checks();
        finish(&mut c, None);
        assert_eq!(c[0].status, Status::Ok);
        assert!(c[0].summary.to_string().ends_with("the server accepted it"));
    }

    #[test]
    fn exit_code_follows_the_first_error() {
        let d = Diagnosis {
            checks: Vec::new(),
            error: Some(crate::api::classify::refused(
                Operation::InitiateAuth,
                "NotAuthorizedException",
                "x",
            )),
            new_refresh_token: None,
            succeeded: None,
        };
        assert_eq!(d.exit_code(), 3);
        assert!(!d.refreshed());
        let d = Diagnosis { error: None, ..d };
        assert_eq!(d.exit_code(), 0);
    }
}
