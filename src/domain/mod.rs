//! Pure types and rules, no I/O: validated form fields, the workflow state machine, badge
//! codes, accounts and regions, and the working-day calendar.

pub mod account;
pub mod application;
pub mod badge;
pub mod calendar;
pub mod check_digits;
pub mod fields;
pub mod red_page;
pub mod region;
pub mod site_status;
pub mod workflow;
