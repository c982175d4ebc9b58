//! Where and how to reach Cognito: the SDK client with its region, endpoint, timeouts and retries.

use crate::Error;
use crate::api::net;
use crate::builder::{optional_setters, setters};
use crate::endpoint::{connect_url, parse_endpoint};
use crate::region;
use crate::text::Setting;
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::config::SharedHttpClient;
use aws_sdk_cognitoidentityprovider::config::retry::RetryConfig;
use aws_sdk_cognitoidentityprovider::config::timeout::TimeoutConfig;
use std::fmt;
use std::time::Duration;
use url::Url;

/// The config of an SDK client (`$sdk`: the SDK crate, user pools' or identity pools') for
/// `$connection`: its region and endpoint, every timeout set together, retries, answers capped,
/// and the tool's one HTTP client. No credential provider: the calls are unauthenticated, so
/// nothing looks for AWS credentials or asks the instance metadata service.
macro_rules! sdk_config {
    ($sdk:ident, $connection:expr) => {{
        let connection: &$crate::api::connection::Connection = $connection;
        let mut config = $sdk::Config::builder()
            .behavior_version($sdk::config::BehaviorVersion::latest())
            .region($sdk::config::Region::new(connection.region.clone()))
            .timeout_config(connection.timeout_config())
            .retry_config(connection.retry_config())
            .interceptor($crate::api::http::CapAnswers)
            .retry_classifier($crate::api::http::CapAnswers)
            .http_client(connection.http_client());
        config.set_endpoint_url(connection.sdk_endpoint_url());
        config.build()
    }};
}
pub(crate) use sdk_config;

/// Like [`sdk_config!`], for an SDK client that signs with AWS credentials from the standard
/// chain (environment, shared config and credentials files with `$aws_profile` or the default,
/// SSO, web identity, container and instance metadata). The region, endpoint, timeouts and
/// retries are `$connection`'s: never an endpoint from the AWS config files. In an async
/// function: the shared config is loaded here.
macro_rules! signed_sdk_config {
    ($sdk:ident, $connection:expr, $aws_profile:expr) => {{
        let connection: &$crate::api::connection::Connection = $connection;
        let aws_profile: Option<&str> = $aws_profile;
        let mut loader = aws_config::defaults($sdk::config::BehaviorVersion::latest())
            .region($sdk::config::Region::new(connection.region.clone()))
            .timeout_config(connection.timeout_config())
            .retry_config(connection.retry_config());
        if let Some(profile) = aws_profile {
            loader = loader.profile_name(profile);
        }
        let shared = loader.load().await;
        let mut config = $sdk::config::Builder::from(&shared);
        config.set_endpoint_url(connection.sdk_endpoint_url());
        config
            .interceptor($crate::api::http::CapAnswers)
            .retry_classifier($crate::api::http::CapAnswers)
            .http_client(connection.http_client())
            .build()
    }};
}
pub(crate) use signed_sdk_config;

/// Where and how to reach Cognito.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Connection {
    pub region: String,
    /// An endpoint override (an emulator or a private endpoint), already checked.
    pub endpoint: Option<Url>,
    /// Bounds the whole call, retries included.
    pub timeout: Duration,
    /// Attempts in all, the first included. Throttling, 5xx and network errors are retried
    /// with backoff; a rejected token never is.
    pub max_attempts: u32,
    /// The service's endpoint prefix: `cognito-idp` (user pools), or `cognito-identity`
    /// (identity pools, [`Connection::to_identity_pools`]).
    pub(crate) service: &'static str,
}

impl Connection {
    /// Builds the SDK client. No credential provider is configured: the refresh APIs are
    /// unauthenticated, so nothing looks for AWS credentials or asks the instance metadata service.
    pub fn client(&self) -> Client {
        Client::from_conf(sdk_config!(aws_sdk_cognitoidentityprovider, self))
    }

    /// An SDK client that signs with AWS credentials from the standard chain (environment,
    /// shared config and credentials files with `aws_profile` or the default, SSO, web identity,
    /// container and instance metadata), for the calls that need them: the admin API and
    /// reading the app client's settings. Built only when such a call is made. The region,
    /// endpoint, timeouts and retries are this connection's: never an endpoint from the AWS
    /// config files.
    pub async fn signed_client(&self, aws_profile: Option<&str>) -> Client {
        Client::from_conf(signed_sdk_config!(
            aws_sdk_cognitoidentityprovider,
            self,
            aws_profile
        ))
    }

    /// The HTTP client of every SDK client of this connection: the tool's one HTTP and TLS
    /// stack, with the proxy decided for this endpoint ([`net`]).
    pub(crate) fn http_client(&self) -> SharedHttpClient {
        net::sdk_http_client(self.url())
    }

    /// Where requests go: the endpoint override as it is connected to, else Cognito's regional
    /// endpoint (`None` only for a region no URL can name, which no request reaches).
    pub fn url(&self) -> Option<Url> {
        match &self.endpoint {
            Some(url) => Some(connect_url(url)),
            None => Url::parse(&format!(
                "https://{}.{}.amazonaws.com/",
                self.service, self.region
            ))
            .ok(),
        }
    }

    /// The endpoint override as the SDK takes it: `localhost` is the loopback address already,
    /// so that no resolver is asked where it is.
    pub(crate) fn sdk_endpoint_url(&self) -> Option<String> {
        self.endpoint
            .as_ref()
            .map(|u| connect_url(u).as_str().trim_end_matches('/').to_string())
    }

    /// The timeouts every client of this connection uses. Setting one timeout drops the SDK's
    /// defaults for the others, so all are set together.
    pub fn timeout_config(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.timeout.min(Duration::from_millis(3100)))
            .read_timeout(self.timeout)
            .operation_attempt_timeout(self.timeout)
            .operation_timeout(self.timeout)
            .build()
    }

    /// Retries of throttling, 5xx and network errors, with backoff.
    pub fn retry_config(&self) -> RetryConfig {
        RetryConfig::standard()
            .with_max_attempts(self.max_attempts.max(1))
            .with_initial_backoff(Duration::from_millis(200))
            .with_max_backoff(Duration::from_secs(5))
    }

    /// Where requests go, for messages.
    pub fn endpoint_display(&self) -> String {
        match &self.endpoint {
            Some(url) => url.as_str().trim_end_matches('/').to_string(),
            None => format!("https://{}.{}.amazonaws.com", self.service, self.region),
        }
    }

    /// A connection to `service` (an AWS endpoint prefix, such as `dynamodb`) in `region`, at
    /// `endpoint` when one is given, each call bounded by `timeout` and retried `max_attempts`
    /// times in all.
    pub(crate) fn to_service(
        service: &'static str,
        region: String,
        endpoint: Option<Url>,
        timeout: Duration,
        max_attempts: u32,
    ) -> Connection {
        Connection {
            region,
            endpoint,
            timeout,
            max_attempts,
            service,
        }
    }

    /// The same connection, to Cognito's identity pools (`cognito-identity`) in `region`, at
    /// `endpoint` when one is given.
    pub fn to_identity_pools(mut self, region: String, endpoint: Option<Url>) -> Connection {
        self.service = "cognito-identity";
        self.region = region;
        self.endpoint = endpoint;
        self
    }
}

/// Where Cognito is, as the caller says: the region, the user pool id (its prefix gives the
/// region), an endpoint override, and the timeout and attempts of each call.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Target {
    pub region: Option<String>,
    pub user_pool_id: Option<String>,
    pub endpoint_url: Option<String>,
    pub timeout: Duration,
    pub max_attempts: u32,
    /// Look for a region in the AWS config file when none is given or inferred.
    pub use_aws_profile_region: bool,
}

impl Default for Target {
    fn default() -> Self {
        Target {
            region: None,
            user_pool_id: None,
            endpoint_url: None,
            timeout: Duration::from_secs(10),
            max_attempts: 3,
            use_aws_profile_region: true,
        }
    }
}

/// Where a value the caller did not give directly came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    Given,
    UserPoolId,
    AccessToken,
    IdToken,
    AwsProfile,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Given => "given",
            Source::UserPoolId => "from the user pool id",
            Source::AccessToken => "from the access token",
            Source::IdToken => "from the ID token",
            Source::AwsProfile => "from the AWS config file's profile",
        })
    }
}

impl Target {
    optional_setters! {
        region, set_region: String => region;
        /// The user pool id, e.g. eu-west-1_AbC123: gives the region.
        user_pool_id, set_user_pool_id: String => user_pool_id;
        /// An endpoint override (an emulator, a private endpoint): https, or http on loopback.
        endpoint_url, set_endpoint_url: String => endpoint_url;
    }

    setters! {
        /// Bounds each call, retries included.
        timeout: Duration => timeout;
        /// Attempts in all, for throttling, 5xx and network errors.
        max_attempts: u32 => max_attempts;
        /// Whether to look for a region in the AWS config file when none is given or inferred.
        use_aws_profile_region: bool => use_aws_profile_region;
    }

    /// Checks the values: the region and pool id are well formed, the timeout is not zero, the
    /// endpoint is allowed. Returns the endpoint.
    pub(crate) fn check(&self) -> Result<Option<Url>, Error> {
        if let Some(region) = &self.region
            && !region::is_region(region)
        {
            return Err(Error::setting(
                Setting::Region,
                format!("invalid region {region:?}: expected a name like eu-west-1"),
            ));
        }
        if let Some(pool) = &self.user_pool_id
            && !region::is_user_pool_id(pool)
        {
            return Err(Error::setting(
                Setting::UserPoolId,
                format!(
                    "invalid user pool id {pool:?}: expected <region>_<id>, like eu-west-1_AbC123"
                ),
            ));
        }
        if self.timeout.is_zero() {
            return Err(Error::setting(
                Setting::Timeout,
                "the timeout must be more than zero",
            ));
        }
        self.endpoint_url.as_deref().map(parse_endpoint).transpose()
    }

    /// The region and where it came from: given, else the user pool id's, else `inferred`
    /// (a token's issuer, when `tokens_read`), else the AWS config file's. `None` only when
    /// `optional` (the token endpoint, named by its domain, needs none).
    pub(crate) async fn resolve_region(
        &self,
        inferred: Option<(String, Source)>,
        optional: bool,
        tokens_read: bool,
    ) -> Result<Option<(String, Source)>, Error> {
        let no_region = || no_region(tokens_read);
        let from_pool = self
            .user_pool_id
            .as_deref()
            .and_then(region::region_of_pool)
            .map(|r| (r.to_string(), Source::UserPoolId));
        if let Some(found) = self
            .region
            .clone()
            .map(|r| (r, Source::Given))
            .or(from_pool)
            .or(inferred)
        {
            return Ok(Some(found));
        }
        if optional {
            return Ok(None);
        }
        match self.use_aws_profile_region {
            true => match region::aws_profile_region().await {
                Some(r) if region::is_region(&r) => Ok(Some((r, Source::AwsProfile))),
                _ => Err(no_region()),
            },
            false => Err(no_region()),
        }
    }

    /// Checks the values and resolves the region: where calls other than a refresh go.
    pub async fn connection(&self) -> Result<Connection, Error> {
        let endpoint = self.check()?;
        let region = self
            .resolve_region(None, false, false)
            .await?
            .map(|(region, _)| region)
            .unwrap_or_default();
        Ok(self.connect(region, endpoint))
    }

    /// The connection to `region` (or `endpoint`), with this target's timeout and attempts.
    pub(crate) fn connect(&self, region: String, endpoint: Option<Url>) -> Connection {
        Connection {
            region,
            endpoint,
            timeout: self.timeout,
            max_attempts: self.max_attempts,
            service: "cognito-idp",
        }
    }
}

/// No region: `from_tokens` when a token's issuer could have named it.
fn no_region(from_tokens: bool) -> Error {
    Error::setting(
        Setting::Region,
        format!(
            "no region: pass {} (or set AWS_REGION), or {}{}",
            Setting::Region,
            Setting::UserPoolId,
            if from_tokens {
                ", or a token whose iss claim names the user pool"
            } else {
                ""
            }
        ),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A connection to eu-west-1 with the default timeout and attempts.
    pub(crate) fn connection() -> Connection {
        Connection {
            region: "eu-west-1".into(),
            endpoint: None,
            timeout: Duration::from_secs(10),
            max_attempts: 3,
            service: "cognito-idp",
        }
    }

    #[test]
    fn client_sets_every_timeout_together() {
        let conn = connection();
        let client = conn.client();
        let config = client.config();
        let t = config.timeout_config().expect("timeouts are set");
        assert_eq!(t.connect_timeout(), Some(Duration::from_millis(3100)));
        assert_eq!(t.read_timeout(), Some(Duration::from_secs(10)));
        assert_eq!(t.operation_timeout(), Some(Duration::from_secs(10)));
        assert_eq!(t.operation_attempt_timeout(), Some(Duration::from_secs(10)));
        let r = config.retry_config().expect("retries are set");
        assert_eq!(r.max_attempts(), 3);
    }
}
