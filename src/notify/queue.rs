//! Queuing a notice in the outbox for a recipient, by each channel that is enabled and has an
//! address, inside the caller's transaction.

use crate::store::Connection;
use chrono::{DateTime, Utc};

use super::messages::Notice;
use crate::config::Config;
use crate::store::outbox::{self, Channel, NewMessage};
use crate::store::StoreError;

/// Where a notice goes: an e-mail address and a mobile number, either possibly absent.
pub struct Recipient<'a> {
    pub application_id: Option<i64>,
    pub email: Option<&'a str>,
    pub mobile: Option<&'a str>,
}

/// Queues `notice`; returns how many messages were queued.
pub async fn queue(
    conn: &mut Connection,
    config: &Config,
    to: &Recipient<'_>,
    notice: &Notice,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let mut queued = 0;
    let channels = [
        (config.mail.enabled, to.email, Channel::Email, &notice.email),
        (config.sms.enabled, to.mobile, Channel::Sms, &notice.sms),
    ];
    for (enabled, address, channel, body) in channels {
        let Some(address) = address.filter(|a| enabled && !a.is_empty()) else { continue };
        let m = NewMessage {
            application_id: to.application_id,
            topic: notice.topic,
            channel,
            recipient: address,
            subject: &notice.subject,
            body,
        };
        outbox::enqueue(conn, &m, now).await?;
        queued += 1;
    }
    Ok(queued)
}
