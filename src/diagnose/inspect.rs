//! The app client's and user pool's settings that matter to a refresh, and what follows from
//! them for this refresh token. Reading them (the `describe` module) needs AWS
//! credentials; judging them (`judge`) is apart, so it is tested without the network.

use super::check::{Check, Sent, Status, human_duration};
use super::given::Facts;
use crate::api::RefreshApi;
use crate::text::Setting;

pub use super::found::{ClientSettings, Devices, Found, Inspect, PoolSettings, Unavailable};
use super::found::{DESCRIBE_CLIENT, DESCRIBE_POOL};

/// What the rest of the diagnosis knows, for judging the settings.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    pub client_id: &'a str,
    pub secret_given: bool,
    pub api: RefreshApi,
    pub facts: &'a Facts,
    pub now: i64,
    /// Whether some attempt got tokens.
    pub refreshed: bool,
    /// Whether the first attempt failed with "Invalid Refresh Token".
    pub invalid_refresh_token: bool,
    /// What the first attempt sent, when one was made.
    pub sent: Option<Sent>,
}

/// The checks this module makes, in report order.
const IDS: [&str; 6] = [
    "client.secret",
    "client.auth-flows",
    "client.rotation",
    "client.validity",
    "client.revocation",
    "pool.devices",
];

/// What each inspection check looks at, for the report when it is not made.
const WHAT: [&str; 6] = [
    "whether the app client has a secret, and whether the one given is it",
    "the app client's auth flows (ALLOW_REFRESH_TOKEN_AUTH, ALLOW_USER_SRP_AUTH)",
    "the app client's refresh token rotation",
    "how long the app client's refresh tokens last",
    "the app client's token revocation",
    "whether the user pool remembers devices (DeviceConfiguration)",
];

/// Every inspection check as skipped; the first says how to enable them.
pub(crate) fn not_asked() -> Vec<Check> {
    IDS.iter()
        .zip(WHAT)
        .enumerate()
        .map(|(i, (id, what))| {
            let check = Check::new(id, Status::Skipped, format!("not inspected: {what}"));
            match i {
                0 => check.fix(format!(
                    "pass {}, with AWS credentials allowed to call {DESCRIBE_CLIENT} and \
                     {DESCRIBE_POOL}",
                    Setting::Inspect
                )),
                _ => check,
            }
        })
        .collect()
}

/// Every inspection check with the same status and summary.
pub(crate) fn all(status: Status, summary: &str) -> Vec<Check> {
    IDS.iter()
        .map(|id| Check::new(id, status, summary))
        .collect()
}

/// The checks for what was found.
pub(crate) fn judge(found: &Found, cx: &Context<'_>) -> Vec<Check> {
    let mut checks = match &found.client {
        Ok(client) => vec![
            secret(client, cx),
            auth_flows(client, found.pool.as_ref().ok(), cx),
            rotation(client, cx),
            validity(client, cx),
            revocation(client),
        ],
        Err(why) => unavailable_checks(&IDS[..5], why, found, cx),
    };
    checks.extend(match &found.pool {
        Ok(pool) => vec![devices(pool, cx)],
        Err(why) => unavailable_checks(&IDS[5..], why, found, cx),
    });
    checks
}

fn unavailable_checks(
    ids: &[&'static str],
    why: &Unavailable,
    found: &Found,
    cx: &Context<'_>,
) -> Vec<Check> {
    let pool = found.pool_id.as_deref().unwrap_or_default();
    ids.iter()
        .enumerate()
        .map(|(i, id)| {
            let first = i == 0;
            let check = match why {
                Unavailable::NoPool => Check::new(
                    id,
                    Status::Skipped,
                    "not inspected: no user pool id",
                )
                .fix(format!(
                    "pass {}, or {} (its issuer names the pool)",
                    Setting::UserPoolId,
                    Setting::AccessToken
                )),
                Unavailable::Denied { action, message } => Check::new(
                    id,
                    Status::Unknown,
                    format!("not inspected: the AWS identity may not call {action}"),
                )
                .detail(message.clone())
                .fix(format!(
                    "allow {action} on user pool {pool} to the AWS identity used ({} or AWS_PROFILE picks another)",
                    Setting::AwsProfile
                )),
                Unavailable::Credentials { action, message } => Check::new(
                    id,
                    Status::Unknown,
                    format!("not inspected: no usable AWS credentials to call {action}"),
                )
                .detail(message.clone())
                .fix(format!(
                    "give {} AWS credentials: {} NAME (or AWS_PROFILE), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
                    Setting::Inspect,
                    Setting::AwsProfile
                )),
                Unavailable::NotFound { action, message } => {
                    let what = if *action == DESCRIBE_CLIENT {
                        format!("app client {} is not in user pool {pool}", cx.client_id)
                    } else {
                        format!("user pool {pool} does not exist in this region")
                    };
                    Check::new(id, Status::Problem, what)
                        .detail(message.clone())
                        .fix(format!(
                            "check {}, {} and {}",
                            Setting::ClientId,
                            Setting::UserPoolId,
                            Setting::Region
                        ))
                }
                Unavailable::Failed { action, message } => Check::new(
                    id,
                    Status::Unknown,
                    format!("not inspected: {action} failed"),
                )
                .detail(message.clone()),
            };
            // The detail and fix once per group are enough.
            if first {
                check
            } else {
                Check {
                    detail: None,
                    fix: None,
                    ..check
                }
            }
        })
        .collect()
}

/// A finding that predicts a refusal: a problem when the refresh failed, a warning when it
/// worked anyway (an emulator, or a setting that changed since).
fn predicted(cx: &Context<'_>) -> Status {
    if cx.refreshed {
        Status::Warning
    } else {
        Status::Problem
    }
}

fn secret(c: &ClientSettings, cx: &Context<'_>) -> Check {
    let id = "client.secret";
    match (c.has_secret, cx.secret_given, c.secret_matches) {
        (true, false, _) => Check::new(
            id,
            predicted(cx),
            "the app client has a secret, and none was given",
        )
        .fix(format!("pass it with {}", Setting::ClientSecret)),
        (true, true, Some(false)) => Check::new(
            id,
            predicted(cx),
            format!("the client secret given is not the one of app client {}", cx.client_id),
        )
        .fix("copy the app client's secret again (it is shown with the app client in the Cognito console)"),
        (true, true, _) => Check::new(
            id,
            Status::Ok,
            "the app client has a secret, and the one given is it",
        ),
        (false, true, _) => Check::new(
            id,
            Status::Warning,
            "the app client has no secret, but one was given",
        )
        .detail("a client without a secret expects no SECRET_HASH or ClientSecret")
        .fix(format!("give no client secret: leave out {}", Setting::ClientSecret)),
        (false, false, _) => Check::new(
            id,
            Status::Ok,
            "a public app client (no secret), and none was given",
        ),
    }
}

const REFRESH_FLOW: &str = "ALLOW_REFRESH_TOKEN_AUTH";
const SRP_FLOW: &str = "ALLOW_USER_SRP_AUTH";

fn auth_flows(c: &ClientSettings, pool: Option<&PoolSettings>, cx: &Context<'_>) -> Check {
    let id = "client.auth-flows";
    if c.auth_flows.is_empty() {
        return Check::new(
            id,
            Status::Ok,
            "none set: Cognito's defaults apply (refresh, SRP and custom authentication)",
        );
    }
    let flows = c.auth_flows.join(", ");
    let has = |f: &str| c.auth_flows.iter().any(|x| x == f);
    if cx.api == RefreshApi::InitiateAuth && !has(REFRESH_FLOW) {
        return Check::new(
            id,
            predicted(cx),
            format!("{flows}: no {REFRESH_FLOW}, so InitiateAuth REFRESH_TOKEN_AUTH is refused"),
        )
        .detail("app clients with refresh token rotation must leave it out")
        .fix(format!(
            "refresh with {} get-tokens (GetTokensFromRefreshToken)",
            Setting::Api
        ));
    }
    if pool.is_some_and(|p| p.devices.is_some()) && !has(SRP_FLOW) {
        return Check::new(
            id,
            Status::Warning,
            format!(
                "{flows}: the user pool remembers devices, but the client does not allow {SRP_FLOW}"
            ),
        )
        .detail("Cognito registers devices only on USER_SRP_AUTH sign-ins")
        .fix(format!(
            "allow {SRP_FLOW} on the app client and sign in with it"
        ));
    }
    Check::new(id, Status::Ok, flows)
}

fn rotation(c: &ClientSettings, cx: &Context<'_>) -> Check {
    let id = "client.rotation";
    match (c.rotation, cx.api) {
        (None, _) => Check::new(
            id,
            Status::Ok,
            "refresh token rotation is off: the refresh token stays the same",
        ),
        (Some(grace), RefreshApi::InitiateAuth | RefreshApi::AdminInitiateAuth) => {
            let check = Check::new(
                id,
                predicted(cx),
                format!("refresh token rotation is on (grace period {grace} s): REFRESH_TOKEN_AUTH is refused"),
            )
            .fix(format!(
                "refresh with {} get-tokens, and keep the new refresh token every refresh returns",
                Setting::Api
            ));
            if grace <= 0 { check.detail(NO_GRACE) } else { check }
        }
        (Some(grace), RefreshApi::GetTokens | RefreshApi::OAuth2) if grace <= 0 => Check::new(
            id,
            Status::Warning,
            "refresh token rotation is on with no grace period: every refresh returns a new refresh token, and the old one stops working at once",
        )
        .detail(NO_GRACE)
        .fix(GRACE_FIX),
        (Some(grace), RefreshApi::GetTokens | RefreshApi::OAuth2) => Check::new(
            id,
            Status::Ok,
            format!("refresh token rotation is on (grace period {grace} s): every refresh returns a new refresh token, and the old one stops working {grace} s later"),
        ),
    }
}

/// Why rotation without a grace period is a failure waiting to happen.
const NO_GRACE: &str = "a process stopped, or an answer lost, between Cognito's rotation and \
    the save of the new refresh token loses the session: the old token is refused at once";
/// What gives a rotated session room to survive that.
const GRACE_FIX: &str = "give the app client a grace period of some seconds (RefreshTokenRotation \
    RetryGracePeriodSeconds, e.g. 10 to 60), within which the old refresh token still works";

fn validity(c: &ClientSettings, cx: &Context<'_>) -> Check {
    let id = "client.validity";
    let lasts = human_duration(c.refresh_validity);
    match cx.facts.auth_time().map(|t| cx.now - t) {
        Some(age) if age > c.refresh_validity => Check::new(
            id,
            predicted(cx),
            format!(
                "refresh tokens last {lasts}; the user signed in {} ago, so this one has expired",
                human_duration(age)
            ),
        )
        .fix("sign in again"),
        Some(age) if age >= 0 => Check::new(
            id,
            Status::Ok,
            format!(
                "refresh tokens last {lasts}; this one, from a sign-in {} ago, has {} left",
                human_duration(age),
                human_duration(c.refresh_validity - age)
            ),
        ),
        _ => Check::new(
            id,
            Status::Ok,
            format!("refresh tokens last {lasts} from sign-in"),
        )
        .detail(format!(
            "pass {} to compare with when the user signed in",
            Setting::AccessToken
        )),
    }
}

fn revocation(c: &ClientSettings) -> Check {
    let id = "client.revocation";
    match c.revocation {
        Some(true) => Check::new(
            id,
            Status::Ok,
            "token revocation is on: RevokeToken and sign-outs end refresh tokens",
        ),
        Some(false) => Check::new(
            id,
            Status::Ok,
            "token revocation is off: RevokeToken is refused; global sign-outs still end refresh tokens",
        ),
        None => Check::new(id, Status::Ok, "token revocation: not stated"),
    }
}

fn devices(p: &PoolSettings, cx: &Context<'_>) -> Check {
    let id = "pool.devices";
    let Some(d) = p.devices else {
        return Check::new(
            id,
            Status::Ok,
            "the user pool does not remember devices: no device key needed",
        );
    };
    let mode = if d.device_only_remembered_on_user_prompt {
        "when the user opts in"
    } else {
        "always"
    };
    let config = format!(
        "DeviceConfiguration: ChallengeRequiredOnNewDevice {}, DeviceOnlyRememberedOnUserPrompt {}",
        d.challenge_required_on_new_device, d.device_only_remembered_on_user_prompt
    );
    let remembers = format!("the user pool remembers devices {mode}");
    let sent = cx.sent.as_ref().and_then(|s| s.device_key.as_deref());
    match cx.facts.device_key() {
        None => Check::new(
            id,
            Status::Unknown,
            format!("{remembers}; whether this session has a device is not known"),
        )
        .detail(config)
        .fix(format!(
            "pass {}: its device_key claim names the session's device, which every refresh must send",
            Setting::AccessToken
        )),
        Some(Some(device)) => match (sent, cx.invalid_refresh_token) {
            (Some(s), true) if s == device => Check::new(
                id,
                Status::Problem,
                format!("{remembers}; this session's device {device} was sent and the token still refused"),
            )
            .detail(format!("{config}; a device must be confirmed (ConfirmDevice) after sign-in before refreshes with it work, and stays usable until forgotten"))
            .fix("confirm the device after sign-in (ConfirmDevice, as Amplify does), or sign in again if it was forgotten"),
            (Some(s), _) if s == device => Check::new(
                id,
                Status::Ok,
                format!("{remembers}; this session's device {device} is sent"),
            )
            .detail(config),
            _ => Check::new(
                id,
                predicted(cx),
                format!("{remembers}; this session's device {device} is not sent"),
            )
            .detail(config)
            .fix(format!(
                "send the session's device key: {} {device}",
                Setting::DeviceKey
            )),
        },
        Some(None) if d.device_only_remembered_on_user_prompt => Check::new(
            id,
            Status::Ok,
            format!("{remembers}; this session has no device (the user did not opt in), so none is needed"),
        )
        .detail(config),
        Some(None) => Check::new(
            id,
            predicted(cx),
            format!("{remembers}, but this session has no device (its access token has no device_key claim)"),
        )
        .detail(format!("{config}; sessions from USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH or ADMIN_NO_SRP_AUTH get no device, and Cognito refuses their refresh tokens with \"Invalid Refresh Token\""))
        .fix(if cx.api == RefreshApi::AdminInitiateAuth {
            "sessions from an admin sign-in (ADMIN_USER_PASSWORD_AUTH, ADMIN_NO_SRP_AUTH) get no device: turn device tracking off in the user pool, or sign the user in with USER_SRP_AUTH, confirm the device (ConfirmDevice), and refresh with its device key"
        } else {
            "sign in with USER_SRP_AUTH, confirm the device (ConfirmDevice), and refresh with its device key"
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::given::DEFAULT_REFRESH_VALIDITY;
    use super::super::tests::flags;
    use super::*;
    use crate::api::plan::RefreshOptions;
    use crate::jwt::tests::token;
    use secrecy::SecretString;
    use serde_json::{Value, json};

    const NOW: i64 = 1_900_000_000;

    fn facts(access: Option<Value>) -> Facts {
        let mut o = RefreshOptions::new("client1", SecretString::from("rt"));
        o.access_token = access.map(|c| SecretString::from(token(c)));
        Facts::read(&o)
    }

    fn cx(facts: &Facts) -> Context<'_> {
        Context {
            client_id: "client1",
            secret_given: false,
            api: RefreshApi::InitiateAuth,
            facts,
            now: NOW,
            refreshed: false,
            invalid_refresh_token: true,
            sent: Some(Sent {
                api: RefreshApi::InitiateAuth,
                device_key: None,
                username: None,
            }),
        }
    }

    fn client() -> ClientSettings {
        ClientSettings {
            has_secret: false,
            secret_matches: None,
            auth_flows: vec![REFRESH_FLOW.into(), SRP_FLOW.into()],
            rotation: None,
            refresh_validity: DEFAULT_REFRESH_VALIDITY,
            revocation: Some(true),
        }
    }

    fn found(client: ClientSettings, devices: Option<Devices>) -> Found {
        Found {
            pool_id: Some("eu-west-1_Abc".into()),
            client: Ok(client),
            pool: Ok(PoolSettings { devices }),
        }
    }

    fn status(checks: &[Check], id: &str) -> Status {
        checks.iter().find(|c| c.id == id).unwrap().status
    }

    const ALWAYS: Devices = Devices {
        challenge_required_on_new_device: true,
        device_only_remembered_on_user_prompt: false,
    };

    #[test]
    fn healthy_settings_are_all_ok() {
        let f = facts(Some(json!({"auth_time": NOW - 86_400})));
        let checks = judge(&found(client(), None), &cx(&f));
        let ids: Vec<&str> = checks.iter().map(|c| c.id).collect();
        assert_eq!(ids, IDS);
        assert!(checks.iter().all(|c| c.status == Status::Ok), "{checks:#?}");
    }

    #[test]
    fn secret_settings() {
        let f = facts(None);
        let mut c = cx(&f);
        let with_secret = ClientSettings {
            has_secret: true,
            ..client()
        };
        assert_eq!(secret(&with_secret, &c).status, Status::Problem);
        c.secret_given = true;
        let wrong = ClientSettings {
            secret_matches: Some(false),
            ..with_secret.clone()
        };
        assert_eq!(secret(&wrong, &c).status, Status::Problem);
        let right = ClientSettings {
            secret_matches: Some(true),
            ..with_secret
        };
        assert_eq!(secret(&right, &c).status, Status::Ok);
        assert_eq!(secret(&client(), &c).status, Status::Warning);
        // Refreshed anyway: the prediction is a warning only.
        c.secret_given = false;
        c.refreshed = true;
        assert_eq!(
            secret(
                &ClientSettings {
                    has_secret: true,
                    ..client()
                },
                &c
            )
            .status,
            Status::Warning
        );
    }

    #[test]
    fn rotation_and_flows() {
        let f = facts(None);
        let mut c = cx(&f);
        let rotating = ClientSettings {
            rotation: Some(10),
            auth_flows: vec![SRP_FLOW.into()],
            ..client()
        };
        let checks = judge(&found(rotating.clone(), None), &c);
        assert_eq!(status(&checks, "client.rotation"), Status::Problem);
        assert_eq!(status(&checks, "client.auth-flows"), Status::Problem);
        assert!(
            flags(checks[2].fix.as_ref().unwrap()).contains("--api get-tokens"),
            "{checks:#?}"
        );
        c.api = RefreshApi::GetTokens;
        let checks = judge(&found(rotating.clone(), None), &c);
        assert_eq!(status(&checks, "client.rotation"), Status::Ok);
        assert_eq!(status(&checks, "client.auth-flows"), Status::Ok);
        // Without a grace period, a lost answer or a stopped process loses the session.
        let no_grace = ClientSettings {
            rotation: Some(0),
            ..rotating
        };
        let checks = judge(&found(no_grace, None), &c);
        assert_eq!(status(&checks, "client.rotation"), Status::Warning);
        assert!(
            checks[2]
                .fix
                .as_ref()
                .unwrap()
                .to_string()
                .contains("grace period")
        );

        // Devices need SRP sign-ins.
        let no_srp = ClientSettings {
            auth_flows: vec![REFRESH_FLOW.into(), "ALLOW_USER_PASSWORD_AUTH".into()],
            ..client()
        };
        let checks = judge(&found(no_srp, Some(ALWAYS)), &cx(&f));
        assert_eq!(status(&checks, "client.auth-flows"), Status::Warning);
    }

    #[test]
    fn validity_against_the_session_age() {
        let f = facts(Some(json!({"auth_time": NOW - 3 * 86_400})));
        let short = ClientSettings {
            refresh_validity: 86_400,
            ..client()
        };
        let c = validity(&short, &cx(&f));
        assert_eq!(c.status, Status::Problem);
        assert!(flags(&c.summary).contains("1 day"), "{c:?}");
        let c = validity(&client(), &cx(&f));
        assert_eq!(c.status, Status::Ok);
        assert!(flags(&c.summary).contains("27 days left"), "{c:?}");
    }

    #[test]
    fn devices_against_the_session() {
        // The session has no device while the pool remembers them always: the fourth cause.
        let f = facts(Some(json!({})));
        let c = devices(
            &PoolSettings {
                devices: Some(ALWAYS),
            },
            &cx(&f),
        );
        assert_eq!(c.status, Status::Problem);
        assert!(flags(&c.detail.unwrap()).contains("USER_PASSWORD_AUTH"));
        // Opt-in: no device is fine.
        let opt_in = Devices {
            challenge_required_on_new_device: false,
            device_only_remembered_on_user_prompt: true,
        };
        let c = devices(
            &PoolSettings {
                devices: Some(opt_in),
            },
            &cx(&f),
        );
        assert_eq!(c.status, Status::Ok);

        // The device was sent and still refused: not confirmed (the second cause).
        let f = facts(Some(json!({"device_key": "dev"})));
        let mut context = cx(&f);
        context.sent = Some(Sent {
            api: RefreshApi::InitiateAuth,
            device_key: Some("dev".into()),
            username: None,
        });
        let c = devices(
            &PoolSettings {
                devices: Some(ALWAYS),
            },
            &context,
        );
        assert_eq!(c.status, Status::Problem);
        assert!(flags(&c.fix.unwrap()).contains("ConfirmDevice"));
        context.invalid_refresh_token = false;
        context.refreshed = true;
        let c = devices(
            &PoolSettings {
                devices: Some(ALWAYS),
            },
            &context,
        );
        assert_eq!(c.status, Status::Ok);

        // The device was not sent (the third cause).
        context.sent = None;
        context.refreshed = false;
        let c = devices(
            &PoolSettings {
                devices: Some(ALWAYS),
            },
            &context,
        );
        assert_eq!(c.status, Status::Problem);
        assert!(flags(&c.fix.unwrap()).contains("--device-key dev"));

        // No access token: unknown.
        let f = facts(None);
        let c = devices(
            &PoolSettings {
                devices: Some(ALWAYS),
            },
            &cx(&f),
        );
        assert_eq!(c.status, Status::Unknown);
        let c = devices(&PoolSettings { devices: None }, &cx(&f));
        assert_eq!(c.status, Status::Ok);
    }

    #[test]
    fn unavailable_settings_are_unknown_and_name_the_action() {
        let f = facts(None);
        let found = Found {
            pool_id: Some("eu-west-1_Abc".into()),
            client: Err(Unavailable::Denied {
                action: DESCRIBE_CLIENT,
                message: "AccessDeniedException: no".into(),
            }),
            pool: Err(Unavailable::Credentials {
                action: DESCRIBE_POOL,
                message: "no credentials".into(),
            }),
        };
        let checks = judge(&found, &cx(&f));
        assert_eq!(checks.len(), IDS.len());
        assert!(checks.iter().all(|c| c.status == Status::Unknown));
        assert!(flags(&checks[0].summary).contains(DESCRIBE_CLIENT));
        assert!(flags(checks[0].fix.as_ref().unwrap()).contains(DESCRIBE_CLIENT));
        assert!(checks[1].fix.is_none(), "one fix per group");
        assert!(checks[1].detail.is_none(), "one detail per group");
        assert!(flags(&checks[5].summary).contains(DESCRIBE_POOL));

        let none = Found {
            pool_id: None,
            client: Err(Unavailable::NoPool),
            pool: Err(Unavailable::NoPool),
        };
        assert!(
            judge(&none, &cx(&f))
                .iter()
                .all(|c| c.status == Status::Skipped)
        );
    }
}
