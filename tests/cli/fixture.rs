//! The moto fixture itself: sessions come back as a real sign-in would, and requests count.

use crate::support::{Moto, Requests, Session, moto};

fn fixture() -> &'static Moto {
    let moto = moto();
    assert!(
        moto.endpoint.starts_with("http://127.0.0.1:"),
        "{}",
        moto.endpoint
    );
    assert_eq!(moto.region, "eu-west-1");
    moto
}

#[test]
fn sessions_are_signed_in_with_or_without_a_client_secret() {
    let public: Session = fixture().session(false);
    assert!(!public.refresh_token.is_empty());
    assert_eq!(
        public.access_token.split('.').count(),
        3,
        "a JWT has three parts"
    );
    assert_eq!(public.client_secret, None);

    let confidential = fixture().session_for("alice@example.com", true);
    assert!(confidential.client_secret.is_some_and(|s| !s.is_empty()));
    assert_eq!(confidential.username, "alice@example.com");
    assert_ne!(
        confidential.user_pool_id, public.user_pool_id,
        "each session has its own pool"
    );
}

#[test]
fn requests_are_counted_by_target_and_flow() {
    let before: Requests = fixture().requests();
    fixture().session(false);
    let after = fixture().requests();
    // Other tests share the emulator, so only "at least" holds.
    assert!(after.total > before.total, "{before:?} then {after:?}");
    assert!(
        after.count("InitiateAuth:USER_PASSWORD_AUTH") >= 1,
        "{after:?}"
    );
}

#[test]
fn initiate_auth_calls_are_counted_by_client() {
    let s = fixture().session(false);
    let r = fixture().requests();
    // This session's client is this test's own: its counts are exact.
    assert_eq!(
        r.count_for(&s.client_id, "InitiateAuth:USER_PASSWORD_AUTH"),
        1,
        "{r:?}"
    );
    assert_eq!(r.count_for(&s.client_id, "InitiateAuth"), 1, "{r:?}");
    assert_eq!(
        r.count_for(&s.client_id, "InitiateAuth:REFRESH_TOKEN_AUTH"),
        0
    );
    assert_eq!(r.count_for("no-such-client", "InitiateAuth"), 0);
}
