//! Where and how to reach Cognito: the SDK client with its region, endpoint, timeouts and retries.

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::config::retry::RetryConfig;
use aws_sdk_cognitoidentityprovider::config::timeout::TimeoutConfig;
use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Region};
use std::time::Duration;
use url::Url;

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
}

impl Connection {
    /// Builds the SDK client. No credential provider is configured: the refresh APIs are
    /// unauthenticated, so nothing looks for AWS credentials or asks the instance metadata service.
    pub fn client(&self) -> Client {
        let mut config = aws_sdk_cognitoidentityprovider::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.region.clone()))
            .timeout_config(self.timeout_config())
            .retry_config(self.retry_config());
        if let Some(endpoint) = &self.endpoint {
            config = config.endpoint_url(endpoint.as_str().trim_end_matches('/'));
        }
        Client::from_conf(config.build())
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
            None => format!("https://cognito-idp.{}.amazonaws.com", self.region),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection() -> Connection {
        Connection {
            region: "eu-west-1".into(),
            endpoint: None,
            timeout: Duration::from_secs(10),
            max_attempts: 3,
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
