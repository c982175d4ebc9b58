//! `cognito-refresh init-store dynamodb://TABLE`: creates the table a shared token store keeps
//! sessions in, or prints the request that would.

use super::{Ctx, write_stdout};
use crate::cli::args::InitStoreArgs;
use crate::cli::profile::aws_region_from_env;
use anyhow::Result;
use cognito_refresh::Error as CoreError;
use cognito_refresh::endpoint::parse_endpoint;
use cognito_refresh::region::is_region;
use cognito_refresh::store::{
    DYNAMODB_SCHEME, DynamoDbSettings, DynamoStore, TableCreated, create_table_request,
    parse_store_url,
};

pub fn run(args: InitStoreArgs, ctx: &Ctx) -> Result<()> {
    let table = match parse_store_url(args.store.trim()) {
        Some(table) => table?,
        None => {
            return Err(CoreError::usage(format!(
                "init-store creates a shared store: give {DYNAMODB_SCHEME}TABLE (a directory \
                 store needs no set-up)"
            ))
            .into());
        }
    };
    let region = args.region.or_else(aws_region_from_env);
    if let Some(region) = region.as_deref().filter(|r| !is_region(r)) {
        return Err(CoreError::usage(format!(
            "invalid region {region:?}: expected a name like eu-west-1"
        ))
        .into());
    }
    let endpoint = args
        .endpoint_url
        .as_deref()
        .map(parse_endpoint)
        .transpose()?;
    if args.dry_run {
        let request = create_table_request(&table);
        write_stdout(&format!("{}\n", serde_json::to_string_pretty(&request)?))?;
        ctx.log.notice(&format!(
            "dry run: nothing was created; without --dry-run, this request goes to DynamoDB in {}",
            region
                .as_deref()
                .unwrap_or("the region --region or AWS_REGION names")
        ));
        return Ok(());
    }
    let region = region.ok_or_else(|| {
        CoreError::usage("no region for the table: pass --region REGION or set AWS_REGION")
    })?;
    let store = DynamoStore::new(
        DynamoDbSettings::new(table.clone(), region.clone())
            .endpoint(endpoint)
            .aws_profile(args.aws.aws_profile),
    );
    let done = match store.create_table()? {
        TableCreated::Created => format!(
            "created the table {table} in {region}: keyed by profile, on-demand capacity, \
             encrypted with the AWS managed key"
        ),
        _ => format!("the table {table} in {region} exists already, with the store's key"),
    };
    ctx.log.notice(&format!(
        "{done}; a profile keeps its session there with store = \"{DYNAMODB_SCHEME}{table}\" \
         (and store_region = \"{region}\" when its user pool is elsewhere)"
    ));
    Ok(())
}
