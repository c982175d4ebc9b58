//! The config file's parser: any text gives profiles or a one-line error naming the file, and
//! never a panic.
#![no_main]

use cognito_refresh::config::parse_profiles;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_profiles(text, Path::new("config.toml")) {
        Ok(profiles) => {
            for (name, profile) in &profiles {
                let _ = cognito_refresh::config::check_profile_name(name);
                let _ = format!("{profile:?}");
            }
        }
        Err(e) => {
            let message = e.to_string();
            assert!(!message.contains('\n'), "{message}");
            assert!(message.starts_with("config file config.toml"), "{message}");
        }
    }
});
