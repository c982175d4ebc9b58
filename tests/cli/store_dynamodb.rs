//! The DynamoDB store on its own: `init-store` creating the table (or, with --dry-run, only
//! saying what it would create), and DynamoDB throttling, passed through a stand-in between
//! the tool and moto: retried when it passes, exit 5 with the item untouched when it persists.

use crate::support::dynamodb::{Table, Throttling};
use crate::support::machines::{AWS_SECRET_ACCESS_KEY, Machine, PROFILE, expired_access_token};
use crate::support::rotating::Rotating;
use crate::support::wire;
use crate::util::*;
use serde_json::{Value, json};
use wiremock::MockServer;

fn init_store(m: &Machine, table: &Table) -> assert_cmd::Command {
    let mut cmd = m.cmd();
    cmd.args(["init-store", &table.url(), "--region", &table.region])
        .args(["--endpoint-url", &table.endpoint]);
    cmd
}

#[test]
fn init_store_dry_run_prints_the_table_and_creates_nothing() {
    let m = Machine::new();
    let table = Table::named("dry-run", "eu-west-1");
    let out = run(init_store(&m, &table).arg("--dry-run"), 0);
    let request: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(&out)));
    assert_eq!(request["TableName"], table.name.as_str());
    assert_eq!(request["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        request["KeySchema"],
        json!([{"AttributeName": "profile", "KeyType": "HASH"}])
    );
    assert_eq!(
        request["AttributeDefinitions"],
        json!([{"AttributeName": "profile", "AttributeType": "S"}])
    );
    assert_eq!(request["SSESpecification"]["Enabled"], true);
    assert_eq!(request["SSESpecification"]["SSEType"], "KMS");
    // The AWS managed key: no customer key named.
    assert!(request["SSESpecification"].get("KMSMasterKeyId").is_none());
    assert!(table.describe().is_none(), "--dry-run created the table");
}

#[test]
fn init_store_creates_the_table_once() {
    let m = Machine::new();
    let table = Table::named("init", "us-east-1");
    assert!(table.describe().is_none());
    run(&mut init_store(&m, &table), 0);
    let described = table.describe().expect("the table exists");
    assert_eq!(
        described["KeySchema"],
        json!([{"AttributeName": "profile", "KeyType": "HASH"}])
    );
    assert_eq!(
        described["BillingModeSummary"]["BillingMode"],
        "PAY_PER_REQUEST"
    );
    assert_eq!(described["SSEDescription"]["Status"], "ENABLED");
    assert_eq!(described["SSEDescription"]["SSEType"], "KMS");
    // Again: it is there already, with that key, and that is fine.
    let out = run(&mut init_store(&m, &table), 0);
    assert_no_secrets(&out, &[AWS_SECRET_ACCESS_KEY]);
    assert!(table.describe().is_some());
}

/// A stub session whose item, stored expired in a new table, a second machine reaches through
/// a stand-in for DynamoDB answering with `throttling`.
struct Throttled {
    stub: Rotating,
    table: Table,
    /// Stores through moto directly.
    direct: Machine,
    /// Reaches the table through the stand-in.
    throttled: Machine,
    stand_in: MockServer,
}

impl Throttled {
    async fn new(throttling: Throttling) -> Throttled {
        let stub = Rotating::start().await;
        let table = Table::named("throttled", "us-east-1");
        let direct = Machine::new();
        direct.init_store(&table);
        direct.configure(&stub.uri(), Some(&table), None);
        direct.store_session(&stub.newest(), &expired_access_token());
        let stand_in = MockServer::start().await;
        wire::mount_any(&stand_in, throttling).await;
        let throttled = Machine::new();
        throttled.configure(&stub.uri(), Some(&table), Some(&stand_in.uri()));
        Throttled {
            stub,
            table,
            direct,
            throttled,
            stand_in,
        }
    }

    fn secrets(&self) -> Vec<String> {
        let mut secrets = self.stub.issued();
        secrets.push(AWS_SECRET_ACCESS_KEY.to_string());
        secrets
    }
}

#[tokio::test]
async fn throttling_that_passes_is_retried() {
    for (status, kind) in [
        (400, "ProvisionedThroughputExceededException"),
        (400, "ThrottlingException"),
        (500, "InternalServerError"),
    ] {
        let throttling = Throttling::new(2, status, kind);
        let t = Throttled::new(throttling.clone()).await;
        let out = run(&mut t.throttled.token(&[]), 0);
        let secrets = t.secrets();
        assert_no_secrets(
            &out,
            &secrets.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        assert_eq!(throttling.throttled(), 2, "{kind}: both answered");
        assert!(!throttling.passed().is_empty(), "{kind}: then passed on");
        // One refresh, its result in the item (read from moto, not through the stand-in).
        assert_eq!(t.stub.refreshes(), 1, "{kind}");
        let item = t.table.item(PROFILE).expect("the item");
        assert_eq!(item.refresh_token(), t.stub.newest(), "{kind}");
        assert_eq!(item.session["access_token"], stdout(&out).trim_end());
        assert!(wire::requests(&t.stand_in).await.len() > 2);
    }
}

#[tokio::test]
async fn persistent_throttling_is_exit_5_and_loses_nothing() {
    let throttling = Throttling::new(u64::MAX, 400, "ProvisionedThroughputExceededException");
    let t = Throttled::new(throttling.clone()).await;
    let before = t.table.item(PROFILE).expect("the stored item").raw;
    let secrets = t.secrets();
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();

    let started = std::time::Instant::now();
    run_failing(&mut t.throttled.token(&["--timeout", "2"]), 5, &secrets);
    assert!(
        throttling.throttled() > 1,
        "retried: {} requests",
        throttling.throttled()
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "bounded by --timeout: {:?}",
        started.elapsed()
    );
    assert!(throttling.passed().is_empty());
    assert_eq!(t.stub.refreshes(), 0, "no refresh without the store");
    assert_eq!(t.table.item(PROFILE).expect("the item").raw, before);

    // The session still works from a machine that reaches DynamoDB.
    let out = run(&mut t.direct.token(&[]), 0);
    assert_no_secrets(&out, &secrets);
    assert_eq!(t.stub.refreshes(), 1);
    assert!(t.stub.refused().is_empty());
}
