//! Where Cognito is and how long to wait for it.

use clap::Args;

#[derive(Args, Debug)]
pub struct ConnectionArgs {
    /// The AWS region [env: AWS_REGION, AWS_DEFAULT_REGION]. Inferred from --user-pool-id or a
    /// token's issuer when absent.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// The user pool id, e.g. eu-west-1_AbC123; gives the region [env: COGNITO_USER_POOL_ID].
    #[arg(long, value_name = "ID")]
    pub user_pool_id: Option<String>,

    /// Send requests here instead of Cognito's regional endpoint (an emulator or a private
    /// endpoint) [env: AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, AWS_ENDPOINT_URL]. Plain http://
    /// only for loopback hosts.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Give up after this many seconds, retries included [default: 10].
    #[arg(long, value_name = "SECONDS", value_parser = parse_timeout)]
    pub timeout: Option<f64>,
}

/// The timeout when --timeout is absent, in seconds.
pub const DEFAULT_TIMEOUT: f64 = 10.0;

pub(super) fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(t) if t.is_finite() && t > 0.0 && t <= 3600.0 => Ok(t),
        _ => Err("expected a number of seconds, more than 0 and at most 3600".into()),
    }
}
