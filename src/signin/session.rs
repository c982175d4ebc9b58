//! Signing out: RevokeToken ends one session (a refresh token), GlobalSignOut all of a user's.

use crate::Error;
use crate::api::classify::{Context, Operation};
use crate::api::connection::Connection;
use secrecy::{ExposeSecret, SecretString};

/// RevokeToken: the refresh token, and the access tokens issued with it, stop working.
pub async fn revoke_token(
    connection: &Connection,
    client_id: &str,
    client_secret: Option<&SecretString>,
    refresh_token: &SecretString,
) -> Result<(), Error> {
    let mut secrets = vec![refresh_token];
    secrets.extend(client_secret);
    let ctx = Context::call(connection, Operation::Revoke, secrets);
    let mut call = connection
        .client()
        .revoke_token()
        .client_id(client_id)
        .token(refresh_token.expose_secret());
    if let Some(secret) = client_secret {
        call = call.client_secret(secret.expose_secret());
    }
    call.send().await.map_err(|e| ctx.error(e))?;
    Ok(())
}

/// GlobalSignOut: every refresh token of the user, on every device, stops working.
pub async fn global_sign_out(
    connection: &Connection,
    access_token: &SecretString,
) -> Result<(), Error> {
    let ctx = Context::call(connection, Operation::SignOut, vec![access_token]);
    connection
        .client()
        .global_sign_out()
        .access_token(access_token.expose_secret())
        .send()
        .await
        .map_err(|e| ctx.error(e))?;
    Ok(())
}
