//! An app client with refresh token rotation on and no grace period, as a stub: each
//! GetTokensFromRefreshToken with the newest refresh token is answered with new tokens and a
//! new refresh token; a refresh token it replaced is refused at once (RefreshTokenReuseException),
//! and one it never issued is refused as Cognito refuses it (NotAuthorizedException, "Invalid
//! Refresh Token."). RevokeToken is accepted. So a second machine refreshing with the token the
//! first one already used kills the session, as it would at Cognito.

use super::{jwt, wire};
use serde_json::json;
use std::sync::{Arc, Mutex};
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

/// The stub and its state.
#[derive(Debug)]
pub struct Rotating {
    pub server: MockServer,
    state: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    /// Distinguishes this stub's refresh tokens from every other's.
    tag: String,
    /// The only refresh token accepted.
    newest: String,
    /// Every refresh token issued, the first one included.
    issued: Vec<String>,
    /// Refreshes answered with new tokens.
    refreshes: u64,
    /// Refreshes refused, by error type.
    refused: Vec<&'static str>,
    /// The validity of the access tokens issued from now on, in seconds.
    lifetime: i64,
    /// Refuse every refresh, as for a session that was revoked.
    dead: bool,
}

/// The Respond side, sharing the state with [`Rotating`].
struct Answers(Arc<Mutex<State>>);

impl Respond for Answers {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let sent = wire::body(req)["RefreshToken"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let mut state = self.0.lock().unwrap();
        if state.dead {
            state.refused.push("NotAuthorizedException");
            return wire::invalid_refresh_token();
        }
        if sent != state.newest {
            if state.issued.contains(&sent) {
                state.refused.push("RefreshTokenReuseException");
                return wire::refresh_token_reuse();
            }
            state.refused.push("NotAuthorizedException");
            return wire::invalid_refresh_token();
        }
        state.refreshes += 1;
        let n = state.refreshes;
        let next = format!("{}-{n:04}", state.tag);
        state.newest = next.clone();
        state.issued.push(next.clone());
        let exp = time::OffsetDateTime::now_utc().unix_timestamp() + state.lifetime;
        let access = jwt::access_token(json!({"jti": format!("{}-{n}", state.tag), "exp": exp}));
        let mut result = wire::tokens_with(&access);
        result["ExpiresIn"] = json!(state.lifetime);
        result["RefreshToken"] = json!(next);
        wire::auth_result(result)
    }
}

impl Rotating {
    /// A stub whose one valid refresh token is [`Rotating::newest`] (at first its own
    /// `rt-nograce-<tag>-0000`), issuing access tokens valid an hour.
    pub async fn start() -> Rotating {
        let tag = format!("rt-nograce-{:016x}", rand_u64());
        let first = format!("{tag}-0000");
        let state = Arc::new(Mutex::new(State {
            tag,
            newest: first.clone(),
            issued: vec![first],
            refreshes: 0,
            refused: Vec::new(),
            lifetime: 3600,
            dead: false,
        }));
        let server = MockServer::start().await;
        wire::mount(&server, "GetTokensFromRefreshToken", Answers(state.clone())).await;
        wire::mount(&server, "RevokeToken", wire::ok(json!({}))).await;
        Rotating { server, state }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The one refresh token the stub accepts now.
    pub fn newest(&self) -> String {
        self.state.lock().unwrap().newest.clone()
    }

    /// Every refresh token the stub issued (the first included): secrets for the output checks.
    pub fn issued(&self) -> Vec<String> {
        self.state.lock().unwrap().issued.clone()
    }

    /// Refreshes answered with new tokens so far.
    pub fn refreshes(&self) -> u64 {
        self.state.lock().unwrap().refreshes
    }

    /// The error types of the refreshes refused so far.
    pub fn refused(&self) -> Vec<&'static str> {
        self.state.lock().unwrap().refused.clone()
    }

    /// Access tokens issued from now on are valid this many seconds.
    pub fn set_lifetime(&self, seconds: i64) {
        self.state.lock().unwrap().lifetime = seconds;
    }

    /// From now on every refresh is refused (NotAuthorizedException), as after a revocation.
    pub fn kill_session(&self) {
        self.state.lock().unwrap().dead = true;
    }
}

/// 64 bits from the operating system's random source (/dev/urandom).
pub fn rand_u64() -> u64 {
    use std::io::Read as _;
    let mut bytes = [0u8; 8];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .expect("/dev/urandom");
    u64::from_le_bytes(bytes)
}
