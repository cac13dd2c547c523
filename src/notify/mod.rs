//! Notifications: the texts of each event, and the background sender that drains the outbox
//! over SMTP and the SMS gateway with retry and backoff.

pub mod email;
pub mod messages;
pub mod queue;
pub mod sender;
pub mod sms;

/// Why a notice could not be sent, or a channel not set up.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("e-mail address: {0}")]
    Address(#[from] lettre::address::AddressError),
    #[error("e-mail message: {0}")]
    Message(#[from] lettre::error::Error),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("SMS gateway request: {0}")]
    Http(#[from] reqwest::Error),
    #[error("SMS gateway answered HTTP {0}")]
    Gateway(u16),
    #[error("SMS body template: {0}")]
    Template(#[from] serde_json::Error),
    #[error("{0} is not configured")]
    ChannelOff(&'static str),
    #[error("unknown channel {0}")]
    UnknownChannel(String),
}
