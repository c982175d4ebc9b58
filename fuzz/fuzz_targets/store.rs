//! The token store file's parser: any bytes give an entry or an error naming the file, and
//! never a panic; an error never quotes the content.
#![no_main]

use cognito_refresh::store::{Need, parse_entry};
use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    match parse_entry(data, Path::new("ci.json"), "ci") {
        Ok(entry) => {
            for need in [Need::Access, Need::Id, Need::All] {
                let _ = entry.expires_at_for(need);
                let _ = entry.is_fresh(need, Duration::from_secs(300), 1_900_000_000);
            }
            let _ = format!("{entry:?}");
        }
        Err(e) => {
            let message = e.to_string();
            assert!(!message.contains('\n'), "{message}");
            assert!(message.contains("ci.json"), "{message}");
        }
    }
});
