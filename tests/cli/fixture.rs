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

/// DynamoDB applies a conditional write atomically, and the store's lease relies on it: of many
/// writes racing to create the same item, exactly one succeeds. moto checks the condition and
/// writes in Python, a thread per request, with no lock of its own; the fixture serves DynamoDB
/// requests one at a time, so that this holds on moto as on DynamoDB.
#[test]
fn dynamodb_conditional_writes_have_one_winner() {
    use crate::support::dynamodb::Table;
    use serde_json::json;
    let table = Table::named("fixture", "eu-west-1");
    table.create();
    let answers: Vec<(u16, serde_json::Value)> = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..16)
            .map(|i| {
                let table = &table;
                scope.spawn(move || {
                    table.call(
                        "PutItem",
                        &json!({
                            "TableName": table.name,
                            "Item": {"profile": {"S": "ci"}, "version": {"N": "1"},
                                     "lease_owner": {"S": format!("host:{i}:x")}},
                            "ConditionExpression": "attribute_not_exists(#p)",
                            "ExpressionAttributeNames": {"#p": "profile"},
                        }),
                    )
                })
            })
            .collect();
        writers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let won: Vec<_> = answers
        .iter()
        .filter(|(status, _)| *status == 200)
        .collect();
    assert_eq!(won.len(), 1, "{answers:?}");
    for (status, body) in answers.iter().filter(|(status, _)| *status != 200) {
        assert_eq!(*status, 400);
        let kind = body["__type"].as_str().unwrap();
        assert!(kind.ends_with("ConditionalCheckFailedException"), "{kind}");
    }
    let item = table.item("ci").expect("the winner's item");
    assert_eq!(item.version, 1);
    assert!(item.lease_pid().is_some());
}
