//! Queuing a notice in the outbox for a recipient, by each channel the recipient has an address
//! for, inside the caller's transaction. Every notice is recorded, whether its channel is on or
//! not: the sender delivers what its enabled channels can, and a channel turned on later sends
//! what is still waiting; the pages show which notices went out and which did not.

use crate::store::Tx;
use chrono::{DateTime, Utc};

use super::messages::Notice;
use crate::store::outbox::{self, Channel, NewMessage};
use crate::store::StoreError;

/// Where a notice goes: an e-mail address and a mobile number, either possibly absent.
pub struct Recipient<'a> {
    /// The application the notice is about, if any.
    pub application_id: Option<i64>,
    /// Where to e-mail it.
    pub email: Option<&'a str>,
    /// Where to text it.
    pub mobile: Option<&'a str>,
}

/// Queues `notice`; returns how many messages were queued.
pub async fn queue(conn: &mut Tx, to: &Recipient<'_>, notice: &Notice, now: DateTime<Utc>) -> Result<i64, StoreError> {
    let mut queued = 0;
    let channels = [(to.email, Channel::Email, &notice.email), (to.mobile, Channel::Sms, &notice.sms)];
    for (address, channel, body) in channels {
        let Some(address) = address.filter(|a| !a.is_empty()) else { continue };
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
