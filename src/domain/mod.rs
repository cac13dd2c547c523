//! Pure types and rules, no I/O: validated form fields, the workflow state machine, badge
//! codes, accounts and regions, and the working-day calendar.

pub mod account;
pub mod application;
pub mod badge;
pub mod calendar;
pub mod check_digits;
pub mod domain_policy;
pub mod fields;
pub mod red_page;
pub mod region;
pub mod register;
pub mod site_request;
pub mod site_status;
pub mod workflow;

/// `as_str` and `parse` for an enum whose stored and printed words strum derives
/// (`IntoStaticStr`, `EnumString`, `serialize_all = "snake_case"`): inherent methods, so callers
/// need no trait in scope, written once here.
macro_rules! words {
    ($name:ty) => {
        impl $name {
            /// The stored word (`snake_case`).
            pub fn as_str(self) -> &'static str {
                self.into()
            }

            /// The value of a stored word.
            pub fn parse(text: &str) -> Option<Self> {
                text.parse().ok()
            }
        }
    };
}
pub(crate) use words;
