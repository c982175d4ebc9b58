//! What goes to stdout: the tokens in the format asked for, and decoded tokens.
//! The output structs are the contract the integration tests deserialize.

use crate::cli::args::OutputFormat;
use anyhow::Result;
use cognito_refresh::jwt::{self, Shape};
use cognito_refresh::tokens::{now_unix, rfc3339};
use cognito_refresh::{ExposeSecret, RefreshApi, Tokens};
use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Serialize)]
struct JsonTokens<'a> {
    access_token: &'a str,
    id_token: Option<&'a str>,
    token_type: &'a str,
    expires_in: i64,
    expires_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_device: Option<JsonDevice<'a>>,
}

#[derive(Serialize)]
struct JsonDevice<'a> {
    device_key: Option<&'a str>,
    device_group_key: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AwsOutput<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    challenge_parameters: Option<Map<String, Value>>,
    authentication_result: AwsResult<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AwsResult<'a> {
    access_token: &'a str,
    expires_in: i64,
    token_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_device_metadata: Option<AwsDevice<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AwsDevice<'a> {
    device_key: Option<&'a str>,
    device_group_key: Option<&'a str>,
}

/// Renders the tokens in `format`, ending with a newline.
pub fn render_tokens(tokens: &Tokens, format: OutputFormat, api: RefreshApi) -> Result<String> {
    let access = tokens.access_token.expose_secret();
    let id = tokens.id_token.as_ref().map(|t| t.expose_secret());
    let refresh = tokens.refresh_token.as_ref().map(|t| t.expose_secret());
    // Cognito always answers "Bearer"; emulators may leave it out.
    let token_type = tokens.token_type.as_deref().unwrap_or("Bearer");
    let expires_in = tokens.expires_in().ok_or_else(|| {
        anyhow::anyhow!("the answer gives no expiry: no ExpiresIn and no exp claim")
    })?;
    let expires_at = tokens.expires_at()?;
    let device = tokens.new_device.as_ref();
    let mut out = match format {
        OutputFormat::Json => serde_json::to_string_pretty(&JsonTokens {
            access_token: access,
            id_token: id,
            token_type,
            expires_in,
            expires_at,
            refresh_token: refresh,
            new_device: device.map(|d| JsonDevice {
                device_key: d.device_key.as_deref(),
                device_group_key: d.device_group_key.as_deref(),
            }),
        })?,
        OutputFormat::Aws => serde_json::to_string_pretty(&AwsOutput {
            // InitiateAuth answers with (empty) ChallengeParameters; GetTokensFromRefreshToken doesn't.
            challenge_parameters: (api == RefreshApi::InitiateAuth).then(Map::new),
            authentication_result: AwsResult {
                access_token: access,
                expires_in,
                token_type,
                refresh_token: refresh,
                id_token: id,
                new_device_metadata: device.map(|d| AwsDevice {
                    device_key: d.device_key.as_deref(),
                    device_group_key: d.device_group_key.as_deref(),
                }),
            },
        })?,
        OutputFormat::Env => {
            let mut lines = vec![export("COGNITO_ACCESS_TOKEN", access)];
            if let Some(id) = id {
                lines.push(export("COGNITO_ID_TOKEN", id));
            }
            lines.push(export("COGNITO_TOKEN_EXPIRES_AT", &expires_at));
            if let Some(refresh) = refresh {
                lines.push(export("COGNITO_REFRESH_TOKEN", refresh));
            }
            lines.join("\n")
        }
        OutputFormat::AccessToken => access.to_string(),
        OutputFormat::IdToken => id
            .ok_or_else(|| anyhow::anyhow!("Cognito returned no ID token"))?
            .to_string(),
    };
    out.push('\n');
    Ok(out)
}

/// `export NAME='value'`, quoted so that `eval` sets exactly the value.
pub fn export(name: &str, value: &str) -> String {
    format!("export {name}='{}'", value.replace('\'', r"'\''"))
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Decoded {
    Jwt {
        token_use: Option<String>,
        header: Map<String, Value>,
        claims: Map<String, Value>,
        expires_at: Option<String>,
        expired: Option<bool>,
        signature_checked: bool,
    },
    Jwe {
        header: Map<String, Value>,
        cognito_refresh_token_shape: bool,
        note: &'static str,
    },
    Opaque {
        parts: usize,
        cognito_refresh_token_shape: bool,
        note: &'static str,
    },
}

/// Decodes a token for `decode`: claims of a JWT, the shape of anything else.
pub fn render_decoded(token: &str) -> Result<String> {
    let decoded = match (jwt::decode(token), Shape::of(token)) {
        (Ok(jwt), _) => {
            let exp = jwt.claims.expires();
            Decoded::Jwt {
                token_use: jwt.claims.token_use().map(str::to_string),
                expires_at: exp.map(rfc3339).transpose()?,
                expired: exp.map(|e| e <= now_unix()),
                header: jwt.header,
                claims: jwt.claims.0,
                signature_checked: false,
            }
        }
        // Three parts that do not decode: a damaged JWT, worth a precise error.
        (Err(e), Shape::Jwt | Shape::Opaque { parts: 3 }) => return Err(e.into()),
        (_, Shape::Jwe { header }) => Decoded::Jwe {
            cognito_refresh_token_shape: jwt::is_cognito_jwe_header(&header),
            header,
            note: "an encrypted token (JWE), opaque to clients: Cognito issues refresh tokens of \
                   this shape, and only Cognito can read them",
        },
        (_, Shape::Opaque { parts }) => Decoded::Opaque {
            parts,
            cognito_refresh_token_shape: false,
            note: "neither a JWT nor a JWE: if this is a refresh token, it is opaque; Cognito's \
                   own are five-part JWEs, emulators issue other shapes",
        },
        (Err(e), _) => return Err(e.into()),
    };
    let mut out = serde_json::to_string_pretty(&decoded)?;
    out.push('\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_quotes_for_eval() {
        assert_eq!(export("A", "x.y-z_"), "export A='x.y-z_'");
        assert_eq!(export("A", "it's"), r"export A='it'\''s'");
    }
}
