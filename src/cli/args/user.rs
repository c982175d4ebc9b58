//! The user: the username for SECRET_HASH and the device key.

use clap::Args;

/// The user whose session is refreshed.
#[derive(Args, Debug)]
pub struct UserArgs {
    #[command(flatten)]
    pub name: UsernameArgs,

    #[command(flatten)]
    pub device: DeviceKeyArgs,
}

#[derive(Args, Debug)]
pub struct UsernameArgs {
    /// The user's Cognito username, for SECRET_HASH (the real username, not an email alias).
    /// Read from --access-token or --id-token when absent [env: COGNITO_USERNAME].
    #[arg(long, value_name = "NAME")]
    pub username: Option<String>,
}

#[derive(Args, Debug)]
pub struct DeviceKeyArgs {
    /// The device key, when the user pool tracks devices. Read from --access-token when absent
    /// [env: COGNITO_DEVICE_KEY].
    #[arg(long, value_name = "KEY")]
    pub device_key: Option<String>,
}
