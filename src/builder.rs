//! Builder methods, written once: the option and sign-in types' setters are all alike.

/// For each `Option` field: `name(value)` sets it, and `set_name(option)` sets or clears it
/// (as resolved settings, which may be absent, are given). A field may sit inside another
/// (`target.region`).
macro_rules! optional_setters {
    ($($(#[$doc:meta])* $name:ident, $set:ident: $ty:ty => $($field:ident).+;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: impl Into<$ty>) -> Self {
                self.$($field).+ = Some(value.into());
                self
            }

            $(#[$doc])*
            pub fn $set(mut self, value: Option<$ty>) -> Self {
                self.$($field).+ = value;
                self
            }
        )*
    };
}

/// For each field that always has a value: `name(value)` sets it.
macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty => $($field:ident).+;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: $ty) -> Self {
                self.$($field).+ = value;
                self
            }
        )*
    };
}

pub(crate) use {optional_setters, setters};
