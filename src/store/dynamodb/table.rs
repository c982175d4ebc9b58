//! Creating a store's table: keyed by profile name, on-demand capacity, encrypted at rest with
//! the AWS managed KMS key (`aws/dynamodb`).

use super::client::{DynamoStore, KEY};
use crate::{Error, ErrorKind};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    SseSpecification, SseType, TableStatus,
};
use std::time::{Duration, Instant};

/// How long a new table may take to become active.
const ACTIVE_WAIT: Duration = Duration::from_secs(120);

/// What [`DynamoStore::create_table`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TableCreated {
    /// The table was created, and is active.
    Created,
    /// A table of that name was there already, with the store's key.
    Existed,
}

/// The CreateTable request, as DynamoDB's API documents it (for a dry run): the same values
/// [`DynamoStore::create_table`] sends.
pub fn create_table_request(table: &str) -> serde_json::Value {
    serde_json::json!({
        "TableName": table,
        "AttributeDefinitions": [{"AttributeName": KEY, "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": KEY, "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
        "SSESpecification": {"Enabled": true, "SSEType": "KMS"},
    })
}

fn built<T>(value: Result<T, aws_sdk_dynamodb::error::BuildError>) -> Result<T, Error> {
    value.map_err(|e| Error::new(ErrorKind::Other, format!("cannot build CreateTable: {e}")))
}

impl DynamoStore {
    /// Creates the store's table and waits until it is active; a table of that name with the
    /// store's key is left as it is, one with another key is an error.
    pub fn create_table(&self) -> Result<TableCreated, Error> {
        self.block_on(async {
            let client = self.client().await;
            let created = client
                .create_table()
                .table_name(self.table())
                .attribute_definitions(built(
                    AttributeDefinition::builder()
                        .attribute_name(KEY)
                        .attribute_type(ScalarAttributeType::S)
                        .build(),
                )?)
                .key_schema(built(
                    KeySchemaElement::builder()
                        .attribute_name(KEY)
                        .key_type(KeyType::Hash)
                        .build(),
                )?)
                .billing_mode(BillingMode::PayPerRequest)
                // No key named: the AWS managed key, which costs nothing to keep.
                .sse_specification(
                    SseSpecification::builder()
                        .enabled(true)
                        .sse_type(SseType::Kms)
                        .build(),
                )
                .send()
                .await;
            let outcome = match created {
                Ok(_) => TableCreated::Created,
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|e| e.is_resource_in_use_exception()) =>
                {
                    TableCreated::Existed
                }
                Err(e) => return Err(self.error(e, &[])),
            };
            let deadline = Instant::now() + ACTIVE_WAIT;
            loop {
                let described = client
                    .describe_table()
                    .table_name(self.table())
                    .send()
                    .await
                    .map_err(|e| self.error(e, &[]))?;
                let Some(table) = described.table() else {
                    return Err(Error::new(
                        ErrorKind::Other,
                        "DescribeTable answered without the table",
                    ));
                };
                let keys: Vec<(&str, &KeyType)> = table
                    .key_schema()
                    .iter()
                    .map(|k| (k.attribute_name(), k.key_type()))
                    .collect();
                if keys != [(KEY, &KeyType::Hash)] {
                    return Err(Error::new(
                        ErrorKind::Misconfigured,
                        format!(
                            "the table {} exists with another key ({}): the token store needs a \
                             table whose only key is {KEY:?} (a string); choose another name",
                            self.table(),
                            keys.iter()
                                .map(|(name, kind)| format!("{name} {}", kind.as_str()))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
                if table.table_status() == Some(&TableStatus::Active) {
                    return Ok(outcome);
                }
                if Instant::now() >= deadline {
                    return Err(Error::new(
                        ErrorKind::Transient,
                        format!(
                            "the table {} is not active after {} s: look at it in the AWS console",
                            self.table(),
                            ACTIVE_WAIT.as_secs()
                        ),
                    ));
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        })?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dry_run_shows_the_key_capacity_and_encryption() {
        let request = create_table_request("cognito-tokens");
        assert_eq!(request["TableName"], "cognito-tokens");
        assert_eq!(request["KeySchema"][0]["AttributeName"], KEY);
        assert_eq!(request["BillingMode"], "PAY_PER_REQUEST");
        assert_eq!(request["SSESpecification"]["SSEType"], "KMS");
    }
}
