//! Remembered devices: ConfirmDevice (with UpdateDeviceStatus when Cognito leaves remembering to
//! the user) after a sign-in that returned NewDeviceMetadata, and ForgetDevice.

use super::srp::DeviceVerifier;
use crate::api::classify::{Context, Operation};
use crate::api::connection::Connection;
use crate::tokens::NewDevice;
use crate::{Error, ErrorKind};
use aws_sdk_cognitoidentityprovider::types::{
    DeviceRememberedStatusType, DeviceSecretVerifierConfigType,
};
use secrecy::{ExposeSecret, SecretString};

/// A device Cognito remembers: what DEVICE_SRP_AUTH needs. The password is the device's
/// credential and must be kept like a refresh token (`Debug` shows none of it).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RememberedDevice {
    pub device_key: String,
    pub device_group_key: String,
    pub device_password: SecretString,
}

impl RememberedDevice {
    /// The device `device_key` of the group `device_group_key`, with the password it was
    /// confirmed with.
    pub fn new(
        device_key: impl Into<String>,
        device_group_key: impl Into<String>,
        device_password: SecretString,
    ) -> Self {
        RememberedDevice {
            device_key: device_key.into(),
            device_group_key: device_group_key.into(),
            device_password,
        }
    }
}

/// Confirms the device a sign-in returned (NewDeviceMetadata): a fresh device password and its
/// SRP verifier go to ConfirmDevice, and the device is marked remembered when Cognito leaves that
/// to the user. Returns what a later DEVICE_SRP_AUTH needs; keep it like a refresh token.
pub async fn confirm_device(
    connection: &Connection,
    access_token: &SecretString,
    device: &NewDevice,
    device_name: Option<&str>,
) -> Result<RememberedDevice, Error> {
    let (Some(key), Some(group)) = (&device.device_key, &device.device_group_key) else {
        return Err(Error::new(
            ErrorKind::Other,
            "NewDeviceMetadata lacks the device key or the device group key",
        ));
    };
    let verifier = DeviceVerifier::generate(group, key)?;
    let client = connection.client();
    let ctx = Context::call(
        connection,
        Operation::Device,
        vec![access_token, &verifier.password],
    );
    let mut call = client
        .confirm_device()
        .access_token(access_token.expose_secret())
        .device_key(key)
        .device_secret_verifier_config(
            DeviceSecretVerifierConfigType::builder()
                .password_verifier(&verifier.verifier)
                .salt(&verifier.salt)
                .build(),
        );
    if let Some(name) = device_name {
        call = call.device_name(name);
    }
    let out = call.send().await.map_err(|e| ctx.error(e))?;
    if out.user_confirmation_necessary {
        client
            .update_device_status()
            .access_token(access_token.expose_secret())
            .device_key(key)
            .device_remembered_status(DeviceRememberedStatusType::Remembered)
            .send()
            .await
            .map_err(|e| ctx.error(e))?;
    }
    Ok(RememberedDevice::new(key, group, verifier.password))
}

/// ForgetDevice: Cognito stops remembering the device.
pub async fn forget_device(
    connection: &Connection,
    access_token: &SecretString,
    device_key: &str,
) -> Result<(), Error> {
    let ctx = Context::call(connection, Operation::Device, vec![access_token]);
    connection
        .client()
        .forget_device()
        .access_token(access_token.expose_secret())
        .device_key(device_key)
        .send()
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_debug_hides_the_password() {
        let d = RememberedDevice::new(
            "eu-west-1_k",
            "-g",
            SecretString::from("device-password-xyz"),
        );
        let debug = format!("{d:?}");
        assert!(debug.contains("eu-west-1_k"));
        assert!(!debug.contains("device-password-xyz"));
    }
}
