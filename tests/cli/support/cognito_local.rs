//! cognito-local, the emulator that serves the OAuth2 token endpoint, shared by every test in
//! this process.
//!
//! `cognito_local()` starts it once, on 127.0.0.1 and an ephemeral port, in a fresh temporary
//! directory (it keeps its state in `.cognito/` there). It runs under a small shell that holds
//! this process's pipe: when the test process ends, for whatever reason, the shell reads EOF
//! and stops the emulator, so nothing is left running.
//!
//! The emulator is `$COGNITO_REFRESH_TEST_COGNITO_LOCAL`, else
//! `.emulators/node_modules/.bin/cognito-local` in the repository, where `scripts/test`
//! (through `scripts/setup-emulator`) installs it. Without it the tests fail, never skip.

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, MessageActionType};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tempfile::TempDir;

const SETUP_HINT: &str = "run `scripts/test` (it installs cognito-local into .emulators with \
     npm), or set COGNITO_REFRESH_TEST_COGNITO_LOCAL to a cognito-local executable";

pub fn cognito_local() -> &'static CognitoLocal {
    static EMULATOR: OnceLock<CognitoLocal> = OnceLock::new();
    EMULATOR.get_or_init(CognitoLocal::start)
}

#[derive(Debug)]
pub struct CognitoLocal {
    /// `http://127.0.0.1:PORT`: the API endpoint and, at `/oauth2/token`, the token endpoint.
    pub endpoint: String,
    _dir: TempDir,
    /// Holds the shell's stdin: dropping it (the process ending) stops the emulator.
    _child: Child,
}

/// A user pool with a public app client and a signed-in user.
#[derive(Debug, Clone)]
pub struct LocalSession {
    pub client_id: String,
    pub refresh_token: String,
}

fn executable() -> PathBuf {
    match std::env::var_os("COGNITO_REFRESH_TEST_COGNITO_LOCAL") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => {
            Path::new(env!("CARGO_MANIFEST_DIR")).join(".emulators/node_modules/.bin/cognito-local")
        }
    }
}

impl CognitoLocal {
    fn start() -> CognitoLocal {
        let exe = executable();
        assert!(
            exe.exists(),
            "cognito-local is not installed: nothing at {}; {SETUP_HINT}",
            exe.display()
        );
        let dir = tempfile::tempdir().expect("a directory for cognito-local's state");
        // The emulator runs in the background; `cat` waits for EOF on the pipe this process
        // holds, then the emulator is stopped.
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#""$0" & pid=$!; cat >/dev/null; kill "$pid" 2>/dev/null"#)
            .arg(&exe)
            .current_dir(dir.path())
            .env("HOST", "127.0.0.1")
            .env("PORT", "0")
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start cognito-local: {e}; {SETUP_HINT}"));
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent && let Some(endpoint) = address(&line) {
                    let _ = tx.send(endpoint);
                    sent = true;
                }
                // Keep reading so the emulator never blocks on a full pipe.
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let endpoint = loop {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(endpoint) => break endpoint,
                Err(_) if Instant::now() > deadline => {
                    panic!("cognito-local did not say its address within 60 s; {SETUP_HINT}")
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    panic!("cognito-local exited before saying its address; {SETUP_HINT}")
                }
                Err(_) => {}
            }
        };
        CognitoLocal {
            endpoint,
            _dir: dir,
            _child: child,
        }
    }

    /// An SDK client for setting up pools and users (cognito-local checks no signature).
    pub fn admin(&self) -> Client {
        let config = aws_sdk_cognitoidentityprovider::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-west-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .build();
        Client::from_conf(config)
    }

    /// Revokes the session's refresh token (RevokeToken at the emulator).
    pub async fn revoke(&self, session: &LocalSession) {
        self.admin()
            .revoke_token()
            .client_id(&session.client_id)
            .token(&session.refresh_token)
            .send()
            .await
            .expect("RevokeToken");
    }

    /// A new pool with a public client, and a user signed in with USER_PASSWORD_AUTH.
    pub async fn session(&self) -> LocalSession {
        let user = self.user(&[]).await;
        let result = self
            .admin()
            .initiate_auth()
            .client_id(&user.client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", &user.username)
            .auth_parameters("PASSWORD", &user.password)
            .send()
            .await
            .expect("InitiateAuth")
            .authentication_result
            .expect("tokens");
        LocalSession {
            client_id: user.client_id,
            refresh_token: result.refresh_token.expect("a refresh token"),
        }
    }

    /// A new pool with a public client that allows these redirect URIs (its callback URLs, for
    /// the hosted UI's sign-in), and a user with a permanent password.
    pub async fn user(&self, callback_urls: &[String]) -> LocalUser {
        let admin = self.admin();
        let pool = admin
            .create_user_pool()
            .pool_name("refresh-test")
            .send()
            .await
            .expect("CreateUserPool")
            .user_pool
            .and_then(|p| p.id)
            .expect("a pool id");
        let client_id = admin
            .create_user_pool_client()
            .user_pool_id(&pool)
            .client_name("cli")
            .set_callback_urls(Some(callback_urls.to_vec()).filter(|u| !u.is_empty()))
            .send()
            .await
            .expect("CreateUserPoolClient")
            .user_pool_client
            .and_then(|c| c.client_id)
            .expect("a client id");
        // cognito-local wants email usernames.
        let username = "alice@example.com".to_string();
        let password = "Perm-Passw0rd!".to_string();
        admin
            .admin_create_user()
            .user_pool_id(&pool)
            .username(&username)
            .temporary_password("Tmp-Passw0rd!")
            .message_action(MessageActionType::Suppress)
            .send()
            .await
            .expect("AdminCreateUser");
        admin
            .admin_set_user_password()
            .user_pool_id(&pool)
            .username(&username)
            .password(&password)
            .permanent(true)
            .send()
            .await
            .expect("AdminSetUserPassword");
        LocalUser {
            client_id,
            username,
            password,
        }
    }
}

/// A user of a new pool, and its app client.
#[derive(Debug, Clone)]
pub struct LocalUser {
    pub client_id: String,
    pub username: String,
    pub password: String,
}

/// `http://127.0.0.1:PORT` from the line "... Cognito Local running on http://127.0.0.1:PORT".
fn address(line: &str) -> Option<String> {
    let start = line.find("http://127.0.0.1:")?;
    let rest = &line[start..];
    let end = rest
        .char_indices()
        .skip("http://127.0.0.1:".len())
        .find(|(_, c)| !c.is_ascii_digit())
        .map_or(rest.len(), |(i, _)| i);
    let url = &rest[..end];
    (url.len() > "http://127.0.0.1:".len() && !url.ends_with(":0")).then(|| url.to_string())
}
