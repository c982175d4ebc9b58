//! The behaviours every token store keeps, run from one body against each backend: the file
//! store (the default: a profile without `store`) and DynamoDB (`store = "dynamodb://TABLE"`,
//! on moto). The session is read from where the backend keeps it, not through the tool.

use crate::support::dynamodb::Table;
use crate::support::jwt;
use crate::support::machines::{
    AWS_SECRET_ACCESS_KEY, Backend, Machine, PROFILE, expired_access_token,
};
use crate::support::rotating::Rotating;
use crate::util::*;
use serde_json::{Value, json};
use std::process::Output;

/// One machine, a rotating stub without grace period, and the backend's storage.
struct Setup {
    stub: Rotating,
    machine: Machine,
    table: Option<Table>,
}

impl Setup {
    async fn new(backend: Backend) -> Setup {
        let stub = Rotating::start().await;
        let machine = Machine::new();
        let table = (backend == Backend::DynamoDb).then(|| {
            // In the profile's own region: `store_region` is left out.
            let table = Table::named("behaviours", "eu-west-1");
            machine.init_store(&table);
            table
        });
        machine.configure(&stub.uri(), table.as_ref(), None);
        Setup {
            stub,
            machine,
            table,
        }
    }

    /// The stored session of profile `ci`, from the file or the item; `None` when there is none.
    fn session(&self) -> Option<Value> {
        match &self.table {
            Some(table) => table.item(PROFILE).map(|item| item.session),
            None => std::fs::read(self.machine.store_file(PROFILE))
                .ok()
                .map(|bytes| serde_json::from_slice(&bytes).expect("the store file is JSON")),
        }
    }

    /// Whether the backend still holds anything for profile `ci`.
    fn holds_anything(&self) -> bool {
        match &self.table {
            Some(table) => table.item(PROFILE).is_some(),
            None => self.machine.store_file(PROFILE).exists(),
        }
    }

    /// Runs `cmd`, expecting `code`, and checks that no refresh token the stub issued and no
    /// AWS secret key reached the output.
    fn run(&self, cmd: &mut assert_cmd::Command, code: i32) -> Output {
        let out = if code == 0 {
            run(cmd, code)
        } else {
            run_failing(cmd, code, &[])
        };
        self.assert_no_secrets(&out);
        out
    }

    fn assert_no_secrets(&self, out: &Output) {
        let issued = self.stub.issued();
        let mut secrets: Vec<&str> = issued.iter().map(String::as_str).collect();
        secrets.push(AWS_SECRET_ACCESS_KEY);
        assert_no_secrets(out, &secrets);
    }
}

async fn behaves_as_a_store(backend: Backend) {
    let s = Setup::new(backend).await;
    let m = &s.machine;

    // No session stored: a usage error, and nothing asked of the server.
    s.run(&mut m.token(&[]), 2);
    assert!(!s.holds_anything());

    // A cached token that stays valid is printed as it is: no request.
    let cached = jwt::access_token(json!({"jti": "cached"}));
    m.store_session(&s.stub.newest(), &cached);
    let out = s.run(&mut m.token(&[]), 0);
    assert_eq!(stdout(&out).trim_end(), cached);
    assert!(
        wire_requests(&s).await.is_empty(),
        "the cached token made a request"
    );

    // An expired one: exactly one refresh, and the rotated refresh token is stored before any
    // token is handed on (here the command cannot even start).
    m.store_session(&s.stub.newest(), &expired_access_token());
    s.run(
        m.cmd()
            .args(["exec", "--profile", PROFILE, "--", "/nonexistent/command"]),
        2,
    );
    assert_eq!(s.stub.refreshes(), 1);
    let session = s.session().expect("a stored session");
    assert_eq!(session["refresh_token"], s.stub.newest().as_str());
    // The token it stored is printed next, without another refresh.
    let out = s.run(&mut m.token(&[]), 0);
    assert_eq!(stdout(&out).trim_end(), session["access_token"]);
    assert_eq!(s.stub.refreshes(), 1);
    // And the stored refresh token is the one that works.
    s.run(&mut m.token(&["--force"]), 0);
    assert_eq!(s.stub.refreshes(), 2);
    assert!(s.stub.refused().is_empty(), "{:?}", s.stub.refused());

    // A refused refresh: exit 3, the stored session as it was.
    let before = s.session();
    s.stub.kill_session();
    s.run(&mut m.token(&["--force"]), 3);
    assert_eq!(s.session(), before);

    // logout removes the session; then there is none.
    s.run(m.cmd().args(["logout", "--profile", PROFILE]), 0);
    assert!(!s.holds_anything());
    s.run(&mut m.token(&[]), 2);
}

/// The requests the stub received.
async fn wire_requests(s: &Setup) -> Vec<wiremock::Request> {
    crate::support::wire::requests(&s.stub.server).await
}

#[tokio::test]
async fn the_file_store_keeps_a_session() {
    behaves_as_a_store(Backend::File).await;
}

#[tokio::test]
async fn the_dynamodb_store_keeps_a_session() {
    behaves_as_a_store(Backend::DynamoDb).await;
}
