//! Notifications: the texts of each event, and the background sender that drains the outbox
//! over SMTP and the SMS gateway with retry and backoff.

pub mod email;
pub mod messages;
pub mod queue;
pub mod sender;
pub mod sms;
