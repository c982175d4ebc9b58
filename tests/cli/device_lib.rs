//! The library's device calls against the stub, without the command line: a sign-in that
//! returns NewDeviceMetadata, ConfirmDevice with a fresh verifier, a refresh with the device
//! key, a sign-in that answers DEVICE_SRP_AUTH (checked against the verifier the stub kept),
//! and ForgetDevice.

use crate::support::cognito_stub::{CLIENT, PASSWORD, POOL, Stub, USERNAME};
use cognito_refresh::signin::{
    self, Flow, LoginOptions, Prompter, Question, RememberedDevice, Target,
};
use cognito_refresh::{Error, ExposeSecret, RefreshOptions, SecretString};

struct Password;

impl Prompter for Password {
    fn answer(&mut self, q: &Question) -> Result<SecretString, Error> {
        match q {
            Question::Password => Ok(SecretString::from(PASSWORD)),
            other => Err(Error::usage(format!("unexpected question {other:?}"))),
        }
    }
}

fn options(stub: &Stub, device: Option<RememberedDevice>) -> LoginOptions {
    let target = Target::default()
        .set_user_pool_id(Some(POOL.into()))
        .set_endpoint_url(Some(stub.uri()))
        .use_aws_profile_region(false);
    LoginOptions::new(CLIENT, USERNAME, target)
        .flow(Flow::Srp)
        .set_device(device)
}

#[tokio::test]
async fn remember_refresh_sign_in_again_and_forget() {
    let stub = Stub::start(true).await;
    let first = signin::login(&options(&stub, None), &mut Password)
        .await
        .unwrap();
    let offered = first.tokens.new_device.clone().expect("NewDeviceMetadata");
    let connection = options(&stub, None).target.connection().await.unwrap();

    let device = signin::confirm_device(
        &connection,
        &first.tokens.access_token,
        &offered,
        Some("test device"),
    )
    .await
    .unwrap();
    assert_eq!(Some(&device.device_key), offered.device_key.as_ref());
    let confirm = &stub.bodies("ConfirmDevice")[0];
    assert_eq!(confirm["DeviceKey"], device.device_key.as_str());
    assert_eq!(confirm["DeviceName"], "test device");
    let config = &confirm["DeviceSecretVerifierConfig"];
    assert!(config["PasswordVerifier"].as_str().unwrap().len() > 400);
    assert!(!config["Salt"].as_str().unwrap().is_empty());
    // The device password stays here.
    assert!(
        !confirm
            .to_string()
            .contains(device.device_password.expose_secret())
    );

    // A refresh without the device key is refused, with it accepted.
    let rt = first.tokens.refresh_token.clone().unwrap();
    let refresh = |key: Option<&str>| {
        let o = RefreshOptions::new(CLIENT, rt.clone())
            .region("eu-west-1")
            .endpoint_url(stub.uri())
            .use_aws_profile_region(false)
            .set_device_key(key.map(str::to_string));
        async move {
            let plan = cognito_refresh::plan(o).await?;
            cognito_refresh::refresh(&plan).await
        }
    };
    assert!(refresh(None).await.is_err());
    refresh(Some(&device.device_key)).await.unwrap();

    // The next sign-in answers the device challenge with the device password.
    let second = signin::login(&options(&stub, Some(device.clone())), &mut Password)
        .await
        .unwrap();
    assert_eq!(
        second.challenges,
        [
            "PASSWORD_VERIFIER",
            "DEVICE_SRP_AUTH",
            "DEVICE_PASSWORD_VERIFIER"
        ]
    );
    assert!(second.tokens.new_device.is_none());

    // A wrong device password fails the device challenge.
    let wrong = RememberedDevice::new(
        device.device_key.clone(),
        device.device_group_key.clone(),
        SecretString::from("not-the-device-password"),
    );
    let e = signin::login(&options(&stub, Some(wrong)), &mut Password)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("NotAuthorizedException"));

    signin::forget_device(&connection, &second.tokens.access_token, &device.device_key)
        .await
        .unwrap();
    assert_eq!(
        stub.bodies("ForgetDevice")[0]["DeviceKey"],
        device.device_key.as_str()
    );
    assert!(!stub.state().devices.contains_key(&device.device_key));
}
