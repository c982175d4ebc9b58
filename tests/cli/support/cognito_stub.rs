//! A stateful HTTP stub of the Cognito calls a sign-in session makes, in Cognito's wire
//! format: USER_SRP_AUTH with a real SRP check (`srp_server`), device tracking
//! (NewDeviceMetadata, ConfirmDevice with a verifier, DEVICE_SRP_AUTH checked against it, and
//! refresh tokens that need their confirmed DEVICE_KEY), ForgetDevice, RevokeToken and
//! GlobalSignOut. Every request is recorded for the tests to inspect.

use super::jwt;
use super::srp_server::{Exchange, Verifier};
use super::wire::{self, error, ok};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

pub use super::wire::{CLIENT, POOL};
pub const USERNAME: &str = "alice";
/// The real username, as Cognito names it in challenges and tokens.
pub const USER_ID: &str = "8a6b1c2d-0000-4000-8000-000000000001";
pub const PASSWORD: &str = "Corr3ct-Horse-Battery";
const SECRET_BLOCK_BYTES: &[u8] = b"an opaque secret block from the service";

#[derive(Debug, Default)]
pub struct State {
    /// Hand out NewDeviceMetadata after a sign-in without a device.
    pub track_devices: bool,
    /// Answer RevokeToken with an error.
    pub fail_revoke: bool,
    /// Answer ConfirmDevice with an error.
    pub fail_confirm: bool,
    /// (target, body) of every request, in order.
    pub requests: Vec<(String, Value)>,
    exchange: Option<Exchange>,
    device_exchange: Option<(String, Exchange)>,
    /// device key → (group key, verifier once confirmed).
    pub devices: HashMap<String, (String, Option<Verifier>)>,
    /// refresh token → the device it was issued with.
    refresh_tokens: HashMap<String, Option<String>>,
    pub revoked: HashSet<String>,
    issued: u64,
}

#[derive(Clone, Debug)]
pub struct Stub {
    pub server: Arc<MockServer>,
    pub state: Arc<Mutex<State>>,
}

impl Stub {
    pub async fn start(track_devices: bool) -> Stub {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State {
            track_devices,
            ..State::default()
        }));
        wire::mount_any(&server, Responder(state.clone())).await;
        Stub {
            server: Arc::new(server),
            state,
        }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The bodies of the requests to `operation` (e.g. `ConfirmDevice`), in order.
    pub fn bodies(&self, operation: &str) -> Vec<Value> {
        self.state()
            .requests
            .iter()
            .filter(|(t, _)| t == operation)
            .map(|(_, b)| b.clone())
            .collect()
    }
}

struct Responder(Arc<Mutex<State>>);

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let target = request
            .headers
            .get("x-amz-target")
            .and_then(|t| t.to_str().ok())
            .and_then(|t| t.strip_prefix("AWSCognitoIdentityProviderService."))
            .unwrap_or("")
            .to_string();
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        state.requests.push((target.clone(), body.clone()));
        state.handle(&target, &body)
    }
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

impl State {
    fn handle(&mut self, target: &str, b: &Value) -> ResponseTemplate {
        let auth = &b["AuthParameters"];
        let answers = &b["ChallengeResponses"];
        match (target, s(b, "AuthFlow"), s(b, "ChallengeName")) {
            ("InitiateAuth", "USER_SRP_AUTH", _) => {
                if s(auth, "USERNAME") != USERNAME && s(auth, "USERNAME") != USER_ID {
                    return error("NotAuthorizedException", "Incorrect username or password.");
                }
                let realm = POOL.split_once('_').unwrap().1;
                let verifier = Verifier::from_password(realm, USER_ID, PASSWORD, b"\x9a\x01salt");
                let exchange = Exchange::new(verifier, s(auth, "SRP_A"), self.issued);
                let reply = json!({"ChallengeName": "PASSWORD_VERIFIER", "ChallengeParameters": {
                    "SALT": exchange.salt(), "SRP_B": exchange.srp_b(),
                    "SECRET_BLOCK": STANDARD.encode(SECRET_BLOCK_BYTES),
                    "USER_ID_FOR_SRP": USER_ID, "USERNAME": USER_ID}});
                self.exchange = Some(exchange);
                ok(reply)
            }
            ("InitiateAuth", "USER_PASSWORD_AUTH", _) => {
                if s(auth, "PASSWORD") != PASSWORD {
                    return error("NotAuthorizedException", "Incorrect username or password.");
                }
                let device = s(auth, "DEVICE_KEY").to_string();
                self.after_password(&device)
            }
            ("InitiateAuth", "REFRESH_TOKEN_AUTH", _) => {
                let token = s(auth, "REFRESH_TOKEN");
                if self.revoked.contains(token) {
                    return error("NotAuthorizedException", "Refresh Token has been revoked");
                }
                match self.refresh_tokens.get(token) {
                    None => error("NotAuthorizedException", "Invalid Refresh Token."),
                    Some(Some(device)) if s(auth, "DEVICE_KEY") != device => {
                        error("NotAuthorizedException", "Invalid Refresh Token.")
                    }
                    Some(device) => {
                        let device = device.clone();
                        ok(json!({"ChallengeParameters": {},
                                  "AuthenticationResult": self.tokens(device.as_deref(), false, false)}))
                    }
                }
            }
            ("RespondToAuthChallenge", _, "PASSWORD_VERIFIER") => {
                let Some(exchange) = self.exchange.take() else {
                    return error("NotAuthorizedException", "no exchange");
                };
                let realm = POOL.split_once('_').unwrap().1;
                let want = exchange.expected_signature(
                    realm,
                    USER_ID,
                    s(answers, "PASSWORD_CLAIM_SECRET_BLOCK"),
                    s(answers, "TIMESTAMP"),
                );
                if s(answers, "PASSWORD_CLAIM_SIGNATURE") != want
                    || s(answers, "USERNAME") != USER_ID
                {
                    return error("NotAuthorizedException", "Incorrect username or password.");
                }
                let device = s(answers, "DEVICE_KEY").to_string();
                self.after_password(&device)
            }
            ("RespondToAuthChallenge", _, "DEVICE_SRP_AUTH") => {
                let key = s(answers, "DEVICE_KEY").to_string();
                let Some((group, Some(verifier))) = self.devices.get(&key).cloned() else {
                    return error("ResourceNotFoundException", "Device does not exist.");
                };
                let exchange = Exchange::new(verifier, s(answers, "SRP_A"), self.issued + 99);
                let reply = json!({"ChallengeName": "DEVICE_PASSWORD_VERIFIER",
                    "Session": "device-session", "ChallengeParameters": {
                    "SALT": exchange.salt(), "SRP_B": exchange.srp_b(),
                    "SECRET_BLOCK": STANDARD.encode(SECRET_BLOCK_BYTES),
                    "USERNAME": USER_ID, "DEVICE_KEY": key}});
                self.device_exchange = Some((group, exchange));
                ok(reply)
            }
            ("RespondToAuthChallenge", _, "DEVICE_PASSWORD_VERIFIER") => {
                let Some((group, exchange)) = self.device_exchange.take() else {
                    return error("NotAuthorizedException", "no device exchange");
                };
                let key = s(answers, "DEVICE_KEY").to_string();
                let want = exchange.expected_signature(
                    &group,
                    &key,
                    s(answers, "PASSWORD_CLAIM_SECRET_BLOCK"),
                    s(answers, "TIMESTAMP"),
                );
                if s(answers, "PASSWORD_CLAIM_SIGNATURE") != want {
                    return error("NotAuthorizedException", "Incorrect username or password.");
                }
                ok(json!({"ChallengeParameters": {},
                          "AuthenticationResult": self.tokens(Some(&key), false, true)}))
            }
            ("ConfirmDevice", _, _) if self.fail_confirm => {
                error("InvalidParameterException", "Invalid device verifier.")
            }
            ("ConfirmDevice", _, _) => {
                let key = s(b, "DeviceKey");
                let config = &b["DeviceSecretVerifierConfig"];
                match self.devices.get_mut(key) {
                    Some((_, verifier)) => {
                        *verifier = Some(Verifier::from_confirm_device(
                            s(config, "PasswordVerifier"),
                            s(config, "Salt"),
                        ));
                        ok(json!({"UserConfirmationNecessary": false}))
                    }
                    None => error("ResourceNotFoundException", "Device does not exist."),
                }
            }
            ("ForgetDevice", _, _) => {
                self.devices.remove(s(b, "DeviceKey"));
                ok(json!({}))
            }
            ("RevokeToken", _, _) => {
                if self.fail_revoke {
                    return error(
                        "UnsupportedTokenTypeException",
                        "Token revocation is not enabled for this app client.",
                    );
                }
                self.revoked.insert(s(b, "Token").to_string());
                ok(json!({}))
            }
            ("GlobalSignOut", _, _) => {
                let all: Vec<String> = self.refresh_tokens.keys().cloned().collect();
                self.revoked.extend(all);
                ok(json!({}))
            }
            _ => error(
                "InvalidParameterException",
                &format!("the stub does not handle {target}"),
            ),
        }
    }

    /// The password was right: a known device gets the device challenge; otherwise tokens,
    /// with a new device when devices are tracked.
    fn after_password(&mut self, device: &str) -> ResponseTemplate {
        if !device.is_empty()
            && let Some((_, Some(_))) = self.devices.get(device)
        {
            return ok(json!({"ChallengeName": "DEVICE_SRP_AUTH", "Session": "s1",
                             "ChallengeParameters": {"USERNAME": USER_ID}}));
        }
        let new_device = self.track_devices;
        ok(
            json!({"ChallengeParameters": {}, "AuthenticationResult": self.tokens(None, new_device, true)}),
        )
    }

    /// Tokens for the user; a refresh token only at sign-in (REFRESH_TOKEN_AUTH never rotates).
    fn tokens(&mut self, device: Option<&str>, new_device: bool, sign_in: bool) -> Value {
        self.issued += 1;
        let n = self.issued;
        let device_key = match (device, new_device) {
            (Some(d), _) => Some(d.to_string()),
            (None, true) => {
                let key = format!("eu-west-1_{n:08}-dev");
                self.devices.insert(key.clone(), (format!("-grp{n}"), None));
                Some(key)
            }
            (None, false) => None,
        };
        let mut claims = json!({"sub": USER_ID, "username": USER_ID, "client_id": CLIENT,
            "token_use": "access", "exp": jwt::FAR_FUTURE, "jti": format!("jti-{n}"),
            "iss": format!("https://cognito-idp.eu-west-1.amazonaws.com/{POOL}")});
        if let Some(d) = &device_key {
            claims["device_key"] = json!(d);
        }
        let mut result = json!({
            "AccessToken": jwt::unsigned(claims),
            "IdToken": jwt::unsigned(json!({"cognito:username": USER_ID, "token_use": "id",
                                       "aud": CLIENT, "exp": jwt::FAR_FUTURE})),
            "ExpiresIn": 3600, "TokenType": "Bearer",
        });
        if sign_in {
            let refresh = format!("stub-refresh-token-{n}");
            self.refresh_tokens
                .insert(refresh.clone(), device_key.clone());
            result["RefreshToken"] = json!(refresh);
        }
        if new_device && let Some(d) = &device_key {
            result["NewDeviceMetadata"] = json!({"DeviceKey": d,
                "DeviceGroupKey": self.devices[d].0});
        }
        result
    }
}
