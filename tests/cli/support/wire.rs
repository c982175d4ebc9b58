//! Cognito's wire format, for the HTTP stubs: its answers (errors as the service sends them,
//! AuthenticationResult and other bodies), mocks for one X-Amz-Target operation, and the
//! requests a stub received.

use super::jwt;
use serde_json::{Value, json};
use wiremock::matchers::{HeaderExactMatcher, header, method};
use wiremock::{Mock, MockBuilder, MockServer, Request, Respond, ResponseTemplate};

/// The app client the stubs' tokens are issued to.
pub const CLIENT: &str = "4f1example";
/// The user pool the stubs' tokens come from.
pub const POOL: &str = "eu-west-1_Stub1";
/// A refresh token as Cognito hands them out: an encrypted JWT (JWE), opaque to its holder.
pub const REFRESH_TOKEN: &str =
    "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.a2V5.aXY.Y2lwaGVydGV4dA.dGFn";

/// The JSON object `object` with the fields of the object `extra` added, or replacing its own.
pub fn with(mut object: Value, extra: Value) -> Value {
    let fields = extra
        .as_object()
        .expect("extra fields are an object")
        .clone();
    object.as_object_mut().expect("an object").extend(fields);
    object
}

/// `refresh -v` for the stubs' app client in eu-west-1.
pub const REFRESH_VERBOSE: [&str; 6] = [
    "-v",
    "refresh",
    "--client-id",
    CLIENT,
    "--region",
    "eu-west-1",
];

/// The content type of Cognito's requests and answers.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
/// What precedes the operation's name in the X-Amz-Target header.
pub const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";

/// The request id Cognito's answers carry (`x-amzn-RequestId`), here the same in each.
pub const REQUEST_ID: &str = "5e0c3a7d-9b21-4f6e-8d4a-1c2b3e4f5a6b";

/// `answer` with the header that carries Cognito's request id, as each of its answers has.
pub fn request_id(answer: ResponseTemplate) -> ResponseTemplate {
    answer.insert_header("x-amzn-RequestId", REQUEST_ID)
}

/// A Cognito error exactly as the service sends it, with HTTP 400 as client errors come.
pub fn error(kind: &str, message: &str) -> ResponseTemplate {
    error_status(400, kind, message)
}

/// A Cognito error with another HTTP status (500 for InternalErrorException).
pub fn error_status(status: u16, kind: &str, message: &str) -> ResponseTemplate {
    request_id(ResponseTemplate::new(status))
        .insert_header("x-amzn-ErrorType", format!("{kind}:").as_str())
        .insert_header("x-amzn-ErrorMessage", message)
        .set_body_raw(
            json!({"__type": kind, "message": message}).to_string(),
            CONTENT_TYPE,
        )
}

/// Refused: the refresh token is not one Cognito accepts from this request.
pub fn invalid_refresh_token() -> ResponseTemplate {
    error("NotAuthorizedException", "Invalid Refresh Token.")
}

/// A successful answer with this body.
pub fn ok(body: Value) -> ResponseTemplate {
    request_id(ResponseTemplate::new(200)).set_body_raw(body.to_string(), CONTENT_TYPE)
}

/// A successful sign-in or refresh: `{"AuthenticationResult": result}`.
pub fn auth_result(result: Value) -> ResponseTemplate {
    ok(json!({"AuthenticationResult": result}))
}

/// An AuthenticationResult with this access token, `jwt::id_token()`, and an hour's validity;
/// no refresh token.
pub fn tokens_with(access_token: &str) -> Value {
    json!({
        "AccessToken": access_token,
        "IdToken": jwt::id_token(),
        "ExpiresIn": 3600,
        "TokenType": "Bearer",
    })
}

/// `tokens_with` the access token `jwt::access_token(json!({}))`.
pub fn tokens() -> Value {
    tokens_with(&jwt::access_token(json!({})))
}

/// Matches requests for `operation` (e.g. `InitiateAuth`) by their X-Amz-Target header.
pub fn target(operation: &str) -> HeaderExactMatcher {
    header(
        "x-amz-target",
        format!("{TARGET_PREFIX}{operation}").as_str(),
    )
}

/// A mock for the requests of one operation, to finish with `respond_with` and `mount`.
pub fn on(operation: &str) -> MockBuilder {
    Mock::given(method("POST")).and(target(operation))
}

/// A mock for every request, whatever its operation.
pub fn on_any() -> MockBuilder {
    Mock::given(method("POST"))
}

/// Answers every request for `operation` with `response`.
pub async fn mount(server: &MockServer, operation: &str, response: impl Respond + 'static) {
    on(operation).respond_with(response).mount(server).await;
}

/// Answers every request, whatever its operation, with `response`.
pub async fn mount_any(server: &MockServer, response: impl Respond + 'static) {
    on_any().respond_with(response).mount(server).await;
}

/// A stub that answers every request with `response`.
pub async fn answering(response: impl Respond + 'static) -> MockServer {
    let server = MockServer::start().await;
    mount_any(&server, response).await;
    server
}

/// The requests `server` received, in order.
pub async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.expect("recording is on")
}

/// A request's JSON body.
pub fn body(req: &Request) -> Value {
    serde_json::from_slice(&req.body).expect("a JSON request body")
}

/// A request's operation, from its X-Amz-Target header.
pub fn operation(req: &Request) -> String {
    let t = req.headers.get("x-amz-target").expect("an X-Amz-Target");
    let t = t.to_str().expect("a readable X-Amz-Target");
    t.trim_start_matches(TARGET_PREFIX).to_string()
}

/// The operations of these requests, in order.
pub fn operations(reqs: &[Request]) -> Vec<String> {
    reqs.iter().map(operation).collect()
}

/// The bodies of the requests `server` received for `operation`, in order.
pub async fn bodies(server: &MockServer, operation_name: &str) -> Vec<Value> {
    requests(server)
        .await
        .iter()
        .filter(|r| r.headers.contains_key("x-amz-target") && operation(r) == operation_name)
        .map(body)
        .collect()
}

/// Answers every request with an error whose type and message repeat what `pick` takes from
/// the request's body, as a server that echoes its input does.
pub struct EchoError(pub fn(&Value) -> String);

impl Respond for EchoError {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let echoed = (self.0)(&body(req));
        error(&echoed, &format!("cannot accept {echoed}"))
    }
}

/// Answers each refresh with new tokens that expire `seconds` from now (ExpiresIn and each
/// token's `exp`), all different (a `jti` claim counts the answers).
pub struct ShortLived {
    pub seconds: i64,
    pub issued: std::sync::atomic::AtomicU64,
}

impl ShortLived {
    pub fn new(seconds: i64) -> ShortLived {
        ShortLived {
            seconds,
            issued: std::sync::atomic::AtomicU64::new(0),
        }
    }
}

impl Respond for ShortLived {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self
            .issued
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let exp = time::OffsetDateTime::now_utc().unix_timestamp() + self.seconds;
        let claims = json!({"exp": exp, "jti": format!("short-{n}")});
        auth_result(json!({
            "AccessToken": jwt::access_token(claims.clone()),
            "IdToken": jwt::unsigned(with(
                json!({"token_use": "id", "cognito:username": "alice", "aud": CLIENT}),
                claims,
            )),
            "ExpiresIn": self.seconds,
            "TokenType": "Bearer",
        }))
    }
}

/// What precedes an identity pool operation's name (GetId, GetCredentialsForIdentity) in the
/// X-Amz-Target header.
pub const IDENTITY_TARGET_PREFIX: &str = "AWSCognitoIdentityService.";
/// The identity pool the stubs answer for.
pub const IDENTITY_POOL: &str = "eu-west-1:0a1b2c3d-0000-4000-8000-000000000001";
/// The provider name of the stubs' user pool, as an identity pool lists it.
pub const PROVIDER: &str = "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Stub1";

/// A mock for the requests of one identity pool operation.
pub fn on_identity(operation: &str) -> MockBuilder {
    Mock::given(method("POST")).and(header(
        "x-amz-target",
        format!("{IDENTITY_TARGET_PREFIX}{operation}").as_str(),
    ))
}

/// GetId's answer.
pub fn identity_id(id: &str) -> ResponseTemplate {
    ok(json!({"IdentityId": id}))
}

/// GetCredentialsForIdentity's answer: `Expiration` in seconds since the epoch, as the
/// service sends it.
pub fn aws_credentials(
    identity_id: &str,
    access_key_id: &str,
    expiration: i64,
) -> ResponseTemplate {
    ok(json!({
        "IdentityId": identity_id,
        "Credentials": {
            "AccessKeyId": access_key_id,
            "SecretKey": AWS_SECRET_KEY,
            "SessionToken": AWS_SESSION_TOKEN,
            "Expiration": expiration as f64,
        },
    }))
}

/// The secret key in the stubs' AWS credentials.
pub const AWS_SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
/// The session token in the stubs' AWS credentials.
pub const AWS_SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLEsessionTOKENvalue";

/// The bodies of the identity pool requests `server` received for `operation`, in order, and
/// whether each was signed (an Authorization header).
pub async fn identity_bodies(server: &MockServer, operation: &str) -> Vec<(Value, bool)> {
    let target = format!("{IDENTITY_TARGET_PREFIX}{operation}");
    requests(server)
        .await
        .iter()
        .filter(|r| {
            r.headers
                .get("x-amz-target")
                .is_some_and(|t| t.to_str().ok() == Some(target.as_str()))
        })
        .map(|r| (body(r), r.headers.contains_key("authorization")))
        .collect()
}

/// The scopes of the stubs' machine-to-machine tokens.
pub const M2M_SCOPES: &str = "orders/read orders/write";

/// An app client's own access token (client credentials), as Cognito issues them: no user,
/// `scope` the scopes granted; valid `valid_for` seconds from now.
pub fn client_access_token(valid_for: i64) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    jwt::unsigned(json!({
        "sub": CLIENT, "client_id": CLIENT, "token_use": "access", "scope": M2M_SCOPES,
        "auth_time": now, "iat": now, "exp": now + valid_for, "jti": now,
        "iss": format!("https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"),
    }))
}

/// The token endpoint's answer to `grant_type=client_credentials`: the access token, its
/// validity and type, and nothing else.
pub fn client_credentials_answer(access_token: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(
        json!({"access_token": access_token, "expires_in": 3600, "token_type": "Bearer"})
            .to_string(),
        "application/json;charset=UTF-8",
    )
}

/// The token endpoint's error answer: `{"error": code}` with this HTTP status.
pub fn token_endpoint_error(status: u16, code: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        json!({"error": code}).to_string(),
        "application/json;charset=UTF-8",
    )
}

/// GetClientToken's answer: `{"ClientAuthenticationResult": {...}}`, an hour's validity.
pub fn client_token_result(access_token: &str) -> ResponseTemplate {
    ok(json!({"ClientAuthenticationResult": {
        "AccessToken": access_token,
        "ExpiresIn": 3600,
        "TokenType": "Bearer",
    }}))
}

/// Refused: a refresh token that rotation replaced, sent again after its grace period.
pub fn refresh_token_reuse() -> ResponseTemplate {
    error(
        "RefreshTokenReuseException",
        "Refresh token has been used already.",
    )
}

/// A DynamoDB error as the service sends it (its JSON 1.0 protocol): the error type, qualified
/// by the service's namespace, and its message in the body.
pub fn dynamodb_error(status: u16, kind: &str, message: &str) -> ResponseTemplate {
    request_id(ResponseTemplate::new(status)).set_body_raw(
        json!({"__type": format!("com.amazonaws.dynamodb.v20120810#{kind}"), "message": message})
            .to_string(),
        "application/x-amz-json-1.0",
    )
}
