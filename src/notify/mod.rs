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
    /// The address is malformed.
    #[error("e-mail address: {0}")]
    Address(#[from] lettre::address::AddressError),
    /// The message could not be built.
    #[error("e-mail message: {0}")]
    Message(#[from] lettre::error::Error),
    /// The SMTP server refused or failed.
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    /// The SMS gateway could not be reached.
    #[error("SMS gateway request: {0}")]
    Http(#[from] reqwest::Error),
    /// The SMS gateway answered with this error status.
    #[error("SMS gateway answered HTTP {0}")]
    Gateway(u16),
    /// The SMS body template is malformed.
    #[error("SMS body template: {0}")]
    Template(#[from] serde_json::Error),
    /// The channel is turned off in the configuration.
    #[error("{0} is not configured")]
    ChannelOff(&'static str),
    /// A stored message names a channel this version does not know.
    #[error("unknown channel {0}")]
    UnknownChannel(String),
}
