//! Simulated machines: each its own home and XDG directories (so its own config file and, for
//! the file store, its own token store, at their default places), the AWS credentials the
//! standard chain finds in the environment, and nothing else. Several of them naming the same
//! DynamoDB table share one session, as a fleet of CI runners would.

use super::dynamodb::Table;
use super::wire;
use crate::util::{bin, write_private};
use std::path::PathBuf;
use tempfile::TempDir;

/// The AWS credentials every machine signs its DynamoDB requests with (moto accepts any).
pub const AWS_ACCESS_KEY_ID: &str = "AKIADYNAMODBTESTS0001";
pub const AWS_SECRET_ACCESS_KEY: &str = "dynamodb/tests/secret/KEY0000000000000000";

/// The profile every machine uses.
pub const PROFILE: &str = "ci";

/// Where a profile keeps its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The default: a file under `$XDG_STATE_HOME/cognito-refresh`.
    File,
    /// `store = "dynamodb://TABLE"`.
    DynamoDb,
}

#[derive(Debug)]
pub struct Machine {
    dir: TempDir,
}

impl Machine {
    pub fn new() -> Machine {
        let dir = tempfile::tempdir().expect("a temporary directory");
        for sub in ["home", "config", "state", "cache"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        Machine { dir }
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("config/cognito-refresh/config.toml")
    }

    /// The file store's session file of `profile`, at its default place.
    pub fn store_file(&self, profile: &str) -> PathBuf {
        self.dir
            .path()
            .join(format!("state/cognito-refresh/{profile}.json"))
    }

    /// Writes profile `ci`: the stubs' app client in eu-west-1, refreshed through
    /// GetTokensFromRefreshToken at `stub`; with a DynamoDB table, its session is kept there
    /// (`store_endpoint_url` the table's endpoint unless `store_endpoint` names another;
    /// `store_region` only when the table is not in the profile's region).
    pub fn configure(&self, stub: &str, table: Option<&Table>, store_endpoint: Option<&str>) {
        let mut text = format!(
            "[profiles.{PROFILE}]\nclient_id = \"{}\"\nregion = \"eu-west-1\"\n\
             endpoint_url = \"{stub}\"\napi = \"get-tokens\"\n",
            wire::CLIENT
        );
        if let Some(table) = table {
            text.push_str(&format!(
                "store = \"{}\"\nstore_endpoint_url = \"{}\"\n",
                table.url(),
                store_endpoint.unwrap_or(&table.endpoint)
            ));
            if table.region != "eu-west-1" {
                text.push_str(&format!("store_region = \"{}\"\n", table.region));
            }
        }
        self.write_config(&text);
    }

    /// Writes the config file, 0600 in a 0700 directory.
    pub fn write_config(&self, text: &str) {
        write_private(&self.config(), text);
    }

    /// The binary on this machine: its home and XDG directories, AWS credentials in the
    /// environment, and no AWS config or credentials file (their variables name files that do
    /// not exist), nor the instance metadata service.
    pub fn cmd(&self) -> assert_cmd::Command {
        let d = self.dir.path();
        let mut cmd = bin();
        cmd.env("HOME", d.join("home"))
            .env("XDG_CONFIG_HOME", d.join("config"))
            .env("XDG_STATE_HOME", d.join("state"))
            .env("XDG_CACHE_HOME", d.join("cache"))
            .env("AWS_ACCESS_KEY_ID", AWS_ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", AWS_SECRET_ACCESS_KEY)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", d.join("no-aws-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", d.join("no-aws-credentials"));
        cmd
    }

    /// `token --profile ci` and `extra`.
    pub fn token(&self, extra: &[&str]) -> assert_cmd::Command {
        let mut cmd = self.cmd();
        cmd.args(["token", "--profile", PROFILE]).args(extra);
        cmd
    }
}

impl Machine {
    /// `init-store` for `table`, in its region, at its endpoint: the table exists after it.
    pub fn init_store(&self, table: &Table) -> std::process::Output {
        crate::util::run(
            self.cmd()
                .args(["init-store", &table.url(), "--region", &table.region])
                .args(["--endpoint-url", &table.endpoint]),
            0,
        )
    }

    /// Saves a session for profile `ci`: `refresh_token`, with `access_token` as its tokens.
    pub fn store_session(&self, refresh_token: &str, access_token: &str) {
        crate::util::run(
            self.cmd()
                .args([
                    "store",
                    "--profile",
                    PROFILE,
                    "--access-token",
                    access_token,
                ])
                .env("COGNITO_REFRESH_TOKEN", refresh_token),
            0,
        );
    }
}

/// An access token of the stubs' app client that expired a minute ago.
pub fn expired_access_token() -> String {
    let exp = time::OffsetDateTime::now_utc().unix_timestamp() - 60;
    super::jwt::access_token(serde_json::json!({"exp": exp, "jti": "expired"}))
}
