//! Many machines sharing one session through the DynamoDB store, against a stub that rotates
//! refresh tokens with no grace period (so a second refresh with the same token kills the
//! session): 8 simulated machines x 4 concurrent `token` calls make one refresh between them,
//! and a lease holder killed (SIGKILL) before its refresh only delays the others.

use crate::support::dynamodb::{TARGET_PREFIX, Table};
use crate::support::machines::{AWS_SECRET_ACCESS_KEY, Machine, expired_access_token};
use crate::support::moto;
use crate::support::rotating::{Rotating, rand_u64};
use crate::util::*;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

const MACHINES: usize = 8;
const CALLS_PER_MACHINE: usize = 4;
/// The --timeout of the rounds: a lease lasts 9 s (--timeout + 5 s) and a waiter waits up to
/// 13 s (2 x --timeout + 5 s), so after a killed holder's lease runs out there are 4 s for the
/// next holder's refresh (1 s of it a pause, in those rounds) and for the 30 others to read it.
const TIMEOUT: &str = "4";

/// Held while a test runs its rounds: two fleets of 32 processes at once would only measure
/// the machine's 2 cores.
fn one_fleet_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static FLEET: std::sync::Mutex<()> = std::sync::Mutex::new(());
    FLEET
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Machines sharing profile `ci`'s session in one table, stored expired.
struct Fleet {
    stub: Rotating,
    table: Table,
    machines: Vec<Machine>,
    /// The item's version after the last round checked.
    version: std::cell::Cell<u64>,
}

impl Fleet {
    async fn new() -> Fleet {
        let stub = Rotating::start().await;
        // Not the profile's region (eu-west-1): the machines name it with `store_region`.
        let table = Table::named("fleet", "us-east-1");
        let machines: Vec<Machine> = (0..MACHINES).map(|_| Machine::new()).collect();
        machines[0].init_store(&table);
        for m in &machines {
            m.configure(&stub.uri(), Some(&table), None);
        }
        machines[0].store_session(&stub.newest(), &expired_access_token());
        let version = table.item("ci").expect("the stored item").version;
        Fleet {
            stub,
            table,
            machines,
            version: version.into(),
        }
    }

    /// Starts `token --profile ci` with `extra`, 4 times on each machine at once; with `kill`,
    /// every call pauses 1 s once it holds the lease, and the holder is killed (SIGKILL) then.
    /// Returns each call's output, and the index of the killed call.
    fn round(&self, extra: &[&str], kill: bool) -> (Vec<Output>, Option<usize>) {
        let refreshes_before = self.stub.refreshes();
        let mut children: Vec<Child> = Vec::new();
        for _ in 0..CALLS_PER_MACHINE {
            for m in &self.machines {
                let mut cmd = m.token(extra);
                if kill {
                    cmd.env("COGNITO_REFRESH_TEST_FAILPOINT", "pause-before-refresh");
                }
                let child = process_of(&cmd)
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("the binary starts");
                children.push(child);
            }
        }
        let killed = kill.then(|| {
            let i = self.lease_holder(&children);
            children[i].kill().unwrap();
            assert_eq!(
                self.stub.refreshes(),
                refreshes_before,
                "the holder was killed after its refresh"
            );
            i
        });
        let outputs = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        (outputs, killed)
    }

    /// The index of the call holding the refresh lease, read from the item, once one does.
    fn lease_holder(&self, children: &[Child]) -> usize {
        let start = Instant::now();
        loop {
            let now_ms = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
            if let Some(item) = self.table.item("ci")
                && item
                    .lease_until
                    .is_some_and(|until| i128::from(until) > now_ms)
                && let Some(pid) = item.lease_pid()
                && let Some(i) = children.iter().position(|c| c.id() == pid)
            {
                return i;
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "no call of this round took the lease"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Checks a round: one refresh at the stub, nothing refused, every call but the killed one
    /// exited 0 printing the token of that refresh, valid; the item holds the newest refresh
    /// token; no refresh token and no AWS secret key in any output.
    fn check(&self, round: &str, outputs: &[Output], killed: Option<usize>, refreshes: u64) {
        assert!(
            self.stub.refused().is_empty(),
            "{round}: the stub refused {:?}",
            self.stub.refused()
        );
        assert_eq!(self.stub.refreshes(), refreshes, "{round}: refreshes");
        let issued = self.stub.issued();
        let mut secrets: Vec<&str> = issued.iter().map(String::as_str).collect();
        secrets.push(AWS_SECRET_ACCESS_KEY);
        let mut codes = std::collections::BTreeMap::new();
        for out in outputs {
            *codes.entry(out.status.code()).or_insert(0) += 1;
        }
        let mut printed = Vec::new();
        for (i, out) in outputs.iter().enumerate() {
            assert_no_secrets(out, &secrets);
            if Some(i) == killed {
                use std::os::unix::process::ExitStatusExt as _;
                assert_eq!(out.status.signal(), Some(9), "{round}: killed");
                continue;
            }
            assert_eq!(
                out.status.code(),
                Some(0),
                "{round}: call {i} (exit codes of all calls: {codes:?}):\n{}",
                stderr(out)
            );
            printed.push(stdout(out).trim_end().to_string());
        }
        let first = &printed[0];
        assert!(
            printed.iter().all(|t| t == first),
            "{round}: different tokens printed"
        );
        let claims = claims(first);
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        assert!(claims["exp"].as_i64().unwrap() > now, "{round}: expired");
        let tag = self.stub.newest();
        let jti = claims["jti"].as_str().unwrap();
        assert!(
            tag.ends_with(&format!("-{refreshes:04}")) && jti.ends_with(&format!("-{refreshes}")),
            "{round}: not the token of refresh {refreshes}"
        );
        let item = self.table.item("ci").expect("the item");
        assert_eq!(
            item.refresh_token(),
            tag,
            "{round}: the item's refresh token"
        );
        assert_eq!(item.session["access_token"], first.as_str());
        assert!(
            item.version > self.version.get(),
            "{round}: the version went up"
        );
        self.version.set(item.version);
    }
}

#[tokio::test]
async fn eight_machines_make_one_refresh() {
    let fleet = Fleet::new().await;
    let _alone = one_fleet_at_a_time();
    let (outputs, _) = fleet.round(&[], false);
    assert_eq!(outputs.len(), MACHINES * CALLS_PER_MACHINE);
    fleet.check("one round", &outputs, None, 1);
    // The refresh token left in the item is the one that works.
    run(&mut fleet.machines[5].token(&["--force"]), 0);
    assert_eq!(fleet.stub.refreshes(), 2);
    assert!(fleet.stub.refused().is_empty());
}

/// Rounds run one after another, each with tokens that callers find too short-lived: round
/// `k` asks for `--min-ttl` of 55 min + 10k min, more than the token of round `k - 1` has left
/// (the stub issued it valid 1 h + 10(k-1) min), less than the one of round `k` (1 h + 10k min),
/// so each round has exactly one refresh to make, as after the passing of time. In 3 rounds,
/// picked at random (the seed is printed; COGNITO_REFRESH_TEST_SEED replays it), every call
/// pauses once it holds the lease, and the holder is killed then: the others wait for its lease
/// to run out, and the next holder refreshes with the refresh token the item holds.
#[tokio::test]
async fn rounds_with_killed_lease_holders_never_lose_the_session() {
    const ROUNDS: u64 = 20;
    const KILLED_ROUNDS: usize = 3;
    let seed = std::env::var("COGNITO_REFRESH_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand_u64);
    eprintln!("rounds_with_killed_lease_holders: seed {seed} (COGNITO_REFRESH_TEST_SEED)");
    let mut rng = seed | 1;
    let mut next = move || {
        // xorshift64
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut killed_rounds = Vec::new();
    while killed_rounds.len() < KILLED_ROUNDS {
        let round = next() % ROUNDS + 1;
        if !killed_rounds.contains(&round) {
            killed_rounds.push(round);
        }
    }

    let fleet = Fleet::new().await;
    let _alone = one_fleet_at_a_time();
    for round in 1..=ROUNDS {
        let lifetime = 3600 + 600 * round;
        fleet.stub.set_lifetime(lifetime as i64);
        let min_ttl = format!("{}s", lifetime - 300);
        let kill = killed_rounds.contains(&round);
        let extra = ["--min-ttl", &min_ttl, "--timeout", TIMEOUT];
        let (started, before) = (Instant::now(), moto().requests());
        let (outputs, killed) = fleet.round(&extra, kill);
        // What the round cost, for whoever reads the test's output.
        let after = moto().requests();
        let ops: Vec<String> = ["GetItem", "UpdateItem", "PutItem", "DeleteItem"]
            .iter()
            .map(|op| {
                let key = format!("{TARGET_PREFIX}{op}");
                format!("{op} {}", after.count(&key) - before.count(&key))
            })
            .collect();
        eprintln!(
            "round {round}: {:.1?}, holder killed: {kill}; DynamoDB requests (all tests): {}",
            started.elapsed(),
            ops.join(", ")
        );
        let name = format!("round {round} (seed {seed}, holder killed: {kill})");
        fleet.check(&name, &outputs, killed, round);
    }
    run(&mut fleet.machines[0].token(&["--force"]), 0);
    assert!(fleet.stub.refused().is_empty());
}
