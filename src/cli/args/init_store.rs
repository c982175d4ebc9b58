//! The options of `init-store`.

use super::api::AwsProfileArgs;
use clap::Args;

#[derive(Args, Debug)]
pub struct InitStoreArgs {
    /// The store to create: dynamodb://TABLE.
    #[arg(value_name = "dynamodb://TABLE")]
    pub store: String,

    /// The table's region [env: AWS_REGION, AWS_DEFAULT_REGION].
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// DynamoDB's endpoint: DynamoDB Local or an emulator (https, or http on loopback).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Print the CreateTable request as JSON, and create nothing.
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub aws: AwsProfileArgs,
}
