//! The token store on DynamoDB: one item per profile in a table that several machines share, so
//! that they make one refresh between them.
//!
//! The item, keyed by the profile's name (`profile`, a string):
//! - `session`: the profile's entry, the same JSON document the file store writes;
//! - `version`: one more at every write of `session`. Every write is conditional on the version
//!   this process read and on no other process holding the lease, so an older session never
//!   overwrites a newer one;
//! - `lease_owner` (`HOST:PID:RANDOM`) and `lease_until` (Unix milliseconds): while a process
//!   refreshes, the lease it took with a conditional write. Others wait until it is released,
//!   or has run out (its holder died), then take it and read the item again before anything else.
//!
//! A lease lasts one call's timeout and 5 s more: long enough for the holder's refresh (one
//! call, bounded by the timeout) and its write. Others wait for it at most as long as the
//! caller says (the file store's lock wait), which is longer.

mod client;
mod lease;
mod table;

pub use client::{DynamoDbSettings, DynamoStore, SCHEME, parse_store_url};
pub(crate) use lease::Lease;
pub use table::{TableCreated, create_table_request};
