//! What inspecting reads of the app client and user pool, or why it could not: the data that
//! fetching the settings (describe.rs) hands to judging them (inspect.rs).

/// How to inspect: which AWS profile's credentials to use (else the chain's default).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Inspect {
    pub aws_profile: Option<String>,
}

impl Inspect {
    /// Inspecting with the credentials of `aws_profile`, else the AWS chain's default.
    pub fn new(aws_profile: Option<String>) -> Self {
        Inspect { aws_profile }
    }
}

pub(super) const DESCRIBE_CLIENT: &str = "cognito-idp:DescribeUserPoolClient";
pub(super) const DESCRIBE_POOL: &str = "cognito-idp:DescribeUserPool";

/// The app client's settings that matter to a refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientSettings {
    pub has_secret: bool,
    /// Whether the secret given is the client's; `None` when none was given or it has none.
    pub secret_matches: Option<bool>,
    /// `ExplicitAuthFlows`, e.g. `ALLOW_REFRESH_TOKEN_AUTH`.
    pub auth_flows: Vec<String>,
    /// Refresh token rotation: `None` when off, else the grace period in seconds.
    pub rotation: Option<i32>,
    /// How long refresh tokens last, in seconds.
    pub refresh_validity: i64,
    pub revocation: Option<bool>,
}

/// The user pool's settings that matter to a refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolSettings {
    /// `DeviceConfiguration`: `None` when the pool does not remember devices.
    pub devices: Option<Devices>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Devices {
    pub challenge_required_on_new_device: bool,
    pub device_only_remembered_on_user_prompt: bool,
}

/// Why settings could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unavailable {
    /// No user pool id is known.
    NoPool,
    /// The AWS identity may not call the action (AccessDeniedException).
    Denied {
        action: &'static str,
        message: String,
    },
    /// No AWS credentials were found, or AWS refused them.
    Credentials {
        action: &'static str,
        message: String,
    },
    /// The app client or user pool does not exist there.
    NotFound {
        action: &'static str,
        message: String,
    },
    /// Anything else: the network, a server error.
    Failed {
        action: &'static str,
        message: String,
    },
}

/// What DescribeUserPoolClient and DescribeUserPool gave.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Found {
    pub pool_id: Option<String>,
    pub client: Result<ClientSettings, Unavailable>,
    pub pool: Result<PoolSettings, Unavailable>,
}
