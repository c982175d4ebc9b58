//! DynamoDB, as the DynamoDB token store's tests see it from outside the tool: tables on the
//! moto fixture's endpoint, their items read through DynamoDB's own JSON API (not through the
//! tool), and a stand-in that throttles before passing requests on to moto.
//!
//! Requests go over plain HTTP/1.1 (one connection each, `Connection: close`): moto checks no
//! signature, so an Authorization header naming the table's region and the `dynamodb` service
//! is all the routing it needs.

use super::moto;
use super::wire;
use serde_json::{Value, json};
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::{Request, Respond, ResponseTemplate};

/// What precedes an operation's name in DynamoDB's X-Amz-Target header.
pub const TARGET_PREFIX: &str = "DynamoDB_20120810.";

/// An HTTP answer: status, headers (names in lower case) and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    /// The first value of a header, by its lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// POSTs `body` to `endpoint` (`http://HOST:PORT`) with these headers, on a connection of its
/// own, and reads the whole answer.
pub fn post(endpoint: &str, headers: &[(&str, &str)], body: &[u8]) -> std::io::Result<Answer> {
    let address = endpoint
        .strip_prefix("http://")
        .expect("an http:// endpoint")
        .trim_end_matches('/');
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!(
        "POST / HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_answer(&raw).ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, "not an HTTP/1.1 answer")
    })
}

fn parse_answer(raw: &[u8]) -> Option<Answer> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    if chunked {
        body = dechunk(&body)?;
    }
    Some(Answer {
        status,
        headers,
        body,
    })
}

/// A chunked body, put back together.
fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

/// The Authorization header of a request for `region`'s DynamoDB: moto reads the region and
/// the service from its credential scope, and checks no signature.
fn authorization(region: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=test/20260101/{region}/dynamodb/aws4_request, \
         SignedHeaders=host, Signature=0"
    )
}

/// A DynamoDB table on the moto fixture, named for one test.
#[derive(Debug)]
pub struct Table {
    pub name: String,
    pub region: String,
    /// moto's endpoint.
    pub endpoint: String,
}

impl Table {
    /// A table name no other test uses, in `region`, not yet created.
    pub fn named(what: &str, region: &str) -> Table {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        Table {
            name: format!("cognito-refresh-{what}-{}-{n}", std::process::id()),
            region: region.to_string(),
            endpoint: moto().endpoint.clone(),
        }
    }

    /// The store's address: `dynamodb://NAME`.
    pub fn url(&self) -> String {
        format!("dynamodb://{}", self.name)
    }

    /// One DynamoDB operation on moto: its status and JSON answer.
    pub fn call(&self, operation: &str, request: &Value) -> (u16, Value) {
        let target = format!("{TARGET_PREFIX}{operation}");
        let auth = authorization(&self.region);
        let headers = [
            ("Content-Type", "application/x-amz-json-1.0"),
            ("X-Amz-Target", target.as_str()),
            ("Authorization", auth.as_str()),
        ];
        let answer = post(&self.endpoint, &headers, request.to_string().as_bytes())
            .unwrap_or_else(|e| panic!("DynamoDB {operation} on moto: {e}"));
        let body = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
        (answer.status, body)
    }

    /// Creates the table as `init-store` would, through moto's API directly (for the tests of
    /// the fixture itself).
    pub fn create(&self) {
        let request = json!({
            "TableName": self.name,
            "KeySchema": [{"AttributeName": "profile", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "profile", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        });
        let (status, body) = self.call("CreateTable", &request);
        assert_eq!(status, 200, "CreateTable {}: {}", self.name, body["__type"]);
    }

    /// DescribeTable's `Table`, or `None` when there is no such table.
    pub fn describe(&self) -> Option<Value> {
        let (status, body) = self.call("DescribeTable", &json!({"TableName": self.name}));
        match status {
            200 => Some(body["Table"].clone()),
            400 if body["__type"]
                .as_str()
                .is_some_and(|t| t.ends_with("ResourceNotFoundException")) =>
            {
                None
            }
            _ => panic!("DescribeTable answered {status}"),
        }
    }

    /// The item of `profile`, read consistently; `None` when there is none.
    pub fn item(&self, profile: &str) -> Option<Item> {
        let request = json!({
            "TableName": self.name,
            "Key": {"profile": {"S": profile}},
            "ConsistentRead": true,
        });
        let (status, body) = self.call("GetItem", &request);
        assert_eq!(status, 200, "GetItem on {}: {}", self.name, body["__type"]);
        body.get("Item").map(|item| Item::from(item.clone()))
    }
}

/// A profile's item, as DynamoDB holds it.
#[derive(Debug, Clone)]
pub struct Item {
    /// +1 on every write of the session.
    pub version: u64,
    /// The session document, parsed (the file store's `<profile>.json`).
    pub session: Value,
    /// `HOST:PID:RANDOM` of the process holding the refresh lease.
    pub lease_owner: Option<String>,
    /// When the lease runs out, in unix milliseconds.
    pub lease_until: Option<u64>,
    /// The item as GetItem answered it.
    pub raw: Value,
}

impl From<Value> for Item {
    fn from(raw: Value) -> Item {
        let number = |name: &str| raw[name]["N"].as_str().and_then(|n| n.parse().ok());
        let string = |name: &str| raw[name]["S"].as_str().map(str::to_string);
        Item {
            version: number("version").expect("the item has a version"),
            session: string("session")
                .map(|s| serde_json::from_str(&s).expect("the session is JSON"))
                .unwrap_or(Value::Null),
            lease_owner: string("lease_owner"),
            lease_until: number("lease_until"),
            raw,
        }
    }
}

impl Item {
    /// The PID of the lease holder (the second `:` field of `lease_owner`).
    pub fn lease_pid(&self) -> Option<u32> {
        self.lease_owner.as_deref()?.split(':').nth(1)?.parse().ok()
    }

    /// The stored refresh token.
    pub fn refresh_token(&self) -> &str {
        self.session["refresh_token"].as_str().unwrap_or_default()
    }
}

/// Stands between the tool and moto's DynamoDB: answers the first `throttled` requests (all of
/// them with `u64::MAX`) with a DynamoDB error (throttling: 400
/// ProvisionedThroughputExceededException or ThrottlingException; or a 5xx), and passes the others on to moto,
/// returning moto's answer as it came. Clones share their counts.
#[derive(Debug, Clone)]
pub struct Throttling(Arc<Throttled>);

#[derive(Debug)]
struct Throttled {
    throttled: u64,
    status: u16,
    kind: &'static str,
    moto: String,
    seen: AtomicU64,
    /// The operations of the requests passed on to moto, in order.
    passed: Mutex<Vec<String>>,
}

impl Throttling {
    pub fn new(throttled: u64, status: u16, kind: &'static str) -> Throttling {
        Throttling(Arc::new(Throttled {
            throttled,
            status,
            kind,
            moto: moto().endpoint.clone(),
            seen: AtomicU64::new(0),
            passed: Mutex::default(),
        }))
    }

    /// The operations of the requests passed on to moto, in order.
    pub fn passed(&self) -> Vec<String> {
        self.0.passed.lock().unwrap().clone()
    }

    /// How many requests were answered with a throttling error.
    pub fn throttled(&self) -> u64 {
        self.0.seen.load(Ordering::SeqCst).min(self.0.throttled)
    }
}

impl Respond for Throttling {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let this = &self.0;
        let n = this.seen.fetch_add(1, Ordering::SeqCst);
        if n < this.throttled {
            return wire::dynamodb_error(this.status, this.kind, "Throughput exceeds the limit.");
        }
        let header = |name: &str| {
            req.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let target = header("x-amz-target");
        let (content_type, auth) = (header("content-type"), header("authorization"));
        let headers = [
            ("Content-Type", content_type.as_str()),
            ("X-Amz-Target", target.as_str()),
            ("Authorization", auth.as_str()),
        ];
        this.passed
            .lock()
            .unwrap()
            .push(target.trim_start_matches(TARGET_PREFIX).to_string());
        match post(&this.moto, &headers, &req.body) {
            Ok(answer) => {
                let mut template = ResponseTemplate::new(answer.status);
                for name in ["x-amzn-requestid", "x-amz-crc32"] {
                    if let Some(value) = answer.header(name) {
                        template = template.insert_header(name, value);
                    }
                }
                let content_type = answer
                    .header("content-type")
                    .unwrap_or("application/x-amz-json-1.0")
                    .to_string();
                template.set_body_raw(answer.body, &content_type)
            }
            Err(e) => wire::dynamodb_error(500, "InternalServerError", &e.to_string()),
        }
    }
}
