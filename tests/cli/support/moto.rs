//! The local Cognito emulator, shared by every test in this process.
//!
//! `moto()` starts `scripts/moto-fixture.py` once (moto on 127.0.0.1, ephemeral port) and
//! talks to it over a line-based JSON protocol on the child's stdin/stdout; see the script's
//! docstring for the commands. The child's stderr is inherited, so its errors show in the
//! test output. This process holds the child's stdin, so when the test process ends, for
//! whatever reason, the fixture reads EOF and exits: nothing is left running.
//!
//! The Python interpreter is `$COGNITO_REFRESH_TEST_PYTHON`, else `.venv/bin/python` in the
//! repository; `scripts/test` installs the emulator there and sets the variable. Without it
//! the tests fail (never skip) with a message saying so.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock, PoisonError};

const FIXTURE_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/moto-fixture.py");
pub const SETUP_HINT: &str = "run `scripts/test` (it installs the Cognito emulator into .venv \
     and runs the tests), or set COGNITO_REFRESH_TEST_PYTHON to a Python with moto installed";

/// The emulator fixture, started on first use and shared by all tests of this process.
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(Moto::start)
}

/// A running fixture. Commands go through one mutex, so tests may call it concurrently.
pub struct Moto {
    /// `http://127.0.0.1:PORT`: pass as the tool's `--endpoint-url`.
    pub endpoint: String,
    /// The region every pool lives in (`eu-west-1`).
    pub region: String,
    io: Mutex<(ChildStdin, BufReader<ChildStdout>)>,
    /// Kept only so the handle lives as long as the fixture; the child exits on stdin EOF.
    _child: Child,
}

/// A fresh user pool, app client and user, signed in with USER_PASSWORD_AUTH.
#[derive(Debug, Clone, Deserialize)]
pub struct Session {
    pub user_pool_id: String,
    pub client_id: String,
    /// `None` for a public client (no secret, so no SECRET_HASH).
    pub client_secret: Option<String>,
    pub username: String,
    pub password: String,
    pub refresh_token: String,
    pub access_token: String,
    pub id_token: String,
}

/// Requests the emulator has received so far, from every test and the fixture's own set-up.
#[derive(Debug, Clone, Deserialize)]
pub struct Requests {
    pub total: u64,
    /// By operation (`InitiateAuth`, `GlobalSignOut`, ...), and for InitiateAuth also by
    /// flow (`InitiateAuth:REFRESH_TOKEN_AUTH`, `InitiateAuth:USER_PASSWORD_AUTH`).
    pub by_target: BTreeMap<String, u64>,
    /// InitiateAuth calls by app client id, then by `InitiateAuth` and `InitiateAuth:<flow>`.
    /// Each session has its own client, so these counts are exact even while other tests run.
    #[serde(default)]
    pub by_client: BTreeMap<String, BTreeMap<String, u64>>,
    /// Identity pool calls: `Identity:GetId:<IdentityPoolId>` and
    /// `Identity:GetCredentialsForIdentity:<IdentityId>`.
    #[serde(default)]
    pub by_identity: BTreeMap<String, u64>,
    /// Requests signed with each AWS access key id, and the session token they carried.
    #[serde(default)]
    pub by_access_key: BTreeMap<String, Signed>,
}

/// The requests signed with one access key id.
#[derive(Debug, Clone, Deserialize)]
pub struct Signed {
    pub count: u64,
    pub session_token: Option<String>,
}

/// An identity pool that lists a session's user pool and app client as its provider.
#[derive(Debug, Clone, Deserialize)]
pub struct IdentityPool {
    pub identity_pool_id: String,
    /// `cognito-idp.<region>.amazonaws.com/<user pool id>`.
    pub provider_name: String,
}

impl Requests {
    /// The count for one `by_target` key; 0 when there was none.
    pub fn count(&self, target: &str) -> u64 {
        self.by_target.get(target).copied().unwrap_or(0)
    }

    /// GetId calls for this identity pool.
    pub fn get_id(&self, identity_pool_id: &str) -> u64 {
        let key = format!("Identity:GetId:{identity_pool_id}");
        self.by_identity.get(&key).copied().unwrap_or(0)
    }

    /// GetCredentialsForIdentity calls for this identity.
    pub fn get_credentials(&self, identity_id: &str) -> u64 {
        let key = format!("Identity:GetCredentialsForIdentity:{identity_id}");
        self.by_identity.get(&key).copied().unwrap_or(0)
    }

    /// The count for one app client and key (`InitiateAuth:REFRESH_TOKEN_AUTH`, say); 0 when
    /// there was none.
    pub fn count_for(&self, client_id: &str, target: &str) -> u64 {
        self.by_client
            .get(client_id)
            .and_then(|c| c.get(target))
            .copied()
            .unwrap_or(0)
    }
}

#[derive(Deserialize)]
struct Hello {
    endpoint: String,
    region: String,
}

#[derive(Deserialize)]
struct NewClient {
    client_id: String,
    client_secret: Option<String>,
}

impl Moto {
    fn start() -> Moto {
        let python = python();
        // A bare command name is looked up on PATH by spawn; a path must exist.
        if python.components().count() > 1 && !python.exists() {
            panic!(
                "the Cognito emulator is not installed: no Python at {}; {SETUP_HINT}",
                python.display()
            );
        }
        let mut child = Command::new(&python)
            .arg(FIXTURE_SCRIPT)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start the Cognito emulator with {}: {e}; {SETUP_HINT}",
                    python.display()
                )
            });
        let stdin = child.stdin.take().expect("child stdin is piped");
        let mut stdout = BufReader::new(child.stdout.take().expect("child stdout is piped"));

        let mut line = String::new();
        let read = stdout.read_line(&mut line);
        let hello: Hello = match read {
            Ok(n) if n > 0 => serde_json::from_str(&line).unwrap_or_else(|e| {
                panic!("the Cognito emulator's first line is not its address ({e}): {line:?}")
            }),
            _ => {
                let status = child
                    .wait()
                    .map_or_else(|e| e.to_string(), |s| s.to_string());
                panic!(
                    "the Cognito emulator failed to start ({status}; its errors are above); \
                     {SETUP_HINT}"
                );
            }
        };
        Moto {
            endpoint: hello.endpoint,
            region: hello.region,
            io: Mutex::new((stdin, stdout)),
            _child: child,
        }
    }

    /// A new pool with a public client (`secret == false`) or a confidential one.
    pub fn session(&self, secret: bool) -> Session {
        self.call("session", json!({ "cmd": "session", "secret": secret }))
    }

    /// Like [`Moto::session`], with the user named `username` (an email address, say).
    pub fn session_for(&self, username: &str, secret: bool) -> Session {
        self.call(
            "session",
            json!({ "cmd": "session", "secret": secret, "username": username }),
        )
    }

    /// Like [`Moto::session`], in a user pool created with this `DeviceConfiguration`
    /// (`{"ChallengeRequiredOnNewDevice": bool, "DeviceOnlyRememberedOnUserPrompt": bool}`).
    /// moto stores and describes it, but does not enforce device tracking.
    pub fn session_with_devices(&self, secret: bool, device_configuration: Value) -> Session {
        self.call(
            "session",
            json!({
                "cmd": "session",
                "secret": secret,
                "device_configuration": device_configuration,
            }),
        )
    }

    /// Another app client in `user_pool_id`: its id, and its secret when `secret`.
    pub fn client(&self, user_pool_id: &str, secret: bool) -> (String, Option<String>) {
        let client: NewClient = self.call(
            "client",
            json!({ "cmd": "client", "user_pool_id": user_pool_id, "secret": secret }),
        );
        (client.client_id, client.client_secret)
    }

    /// Signs the access token's user out everywhere: their refresh tokens are revoked.
    pub fn global_sign_out(&self, access_token: &str) {
        let _: Value = self.call(
            "global_sign_out",
            json!({ "cmd": "global_sign_out", "access_token": access_token }),
        );
    }

    /// An identity pool (moto[cognitoidentity]) trusting the session's user pool and app client.
    pub fn identity_pool(&self, s: &Session) -> IdentityPool {
        self.call(
            "identity_pool",
            json!({
                "cmd": "identity_pool",
                "user_pool_id": s.user_pool_id,
                "client_id": s.client_id,
            }),
        )
    }

    /// What the emulator has received so far.
    pub fn requests(&self) -> Requests {
        self.call("requests", json!({ "cmd": "requests" }))
    }

    /// Sends one command and reads its one answer line. Panics on `{"error": ...}`. Only the
    /// command's name goes into a panic message, never its arguments (tokens).
    fn call<T: DeserializeOwned>(&self, name: &str, request: Value) -> T {
        // A test that panicked while holding the lock did so after a whole answer line was
        // read (or the fixture is gone anyway), so the pipe is still in step.
        let mut io = self.io.lock().unwrap_or_else(PoisonError::into_inner);
        let (stdin, stdout) = &mut *io;
        writeln!(stdin, "{request}")
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|e| panic!("moto fixture: cannot send `{name}` (has it exited?): {e}"));
        let mut line = String::new();
        match stdout.read_line(&mut line) {
            Ok(0) => panic!("moto fixture: exited before answering `{name}` (see its stderr)"),
            Ok(_) => {}
            Err(e) => panic!("moto fixture: cannot read the answer to `{name}`: {e}"),
        }
        let answer: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("moto fixture: `{name}` answered non-JSON ({e}): {line:?}"));
        if let Some(error) = answer.get("error") {
            panic!("moto fixture: `{name}` failed: {error}");
        }
        serde_json::from_value(answer)
            .unwrap_or_else(|e| panic!("moto fixture: unexpected answer to `{name}`: {e}"))
    }
}

impl fmt::Debug for Moto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Moto")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// The Python with the test requirements (moto, pycognito) installed.
pub fn python() -> PathBuf {
    match std::env::var_os("COGNITO_REFRESH_TEST_PYTHON") {
        Some(python) if !python.is_empty() => PathBuf::from(python),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"),
    }
}
