//! The background sender: drains due outbox messages, retries failures with exponential
//! backoff, parks a message as failed after the configured attempts. Logs carry the message id
//! and channel, never the recipient.

use std::sync::Arc;
use std::time::Duration;

use crate::store::Pool;
use chrono::Utc;
use tokio::sync::Notify;

use super::email::Mailer;
use super::sms::SmsGateway;
use super::NotifyError;
use crate::config::{Config, OutboxConfig};
use crate::store::outbox::{self, Message};

/// Messages claimed per round.
const BATCH: i64 = 20;

/// How long a claimed message is this instance's to deliver: a batch's deliveries finish well
/// within it (each send has its own timeout). Another instance sharing the database claims the
/// message only after it, i.e. only if this instance died while delivering.
const CLAIM_LEASE: chrono::Duration = chrono::Duration::minutes(10);

/// Delivers the outbox: due messages by channel, with retries and back-off.
pub struct Sender {
    pool: Pool,
    mailer: Option<Mailer>,
    sms: Option<SmsGateway>,
    config: OutboxConfig,
    wake: Arc<Notify>,
}

impl Sender {
    /// A sender over `pool`, woken early by `wake` when a notice is queued.
    pub fn new(pool: Pool, config: &Config, wake: Arc<Notify>) -> Result<Self, NotifyError> {
        Ok(Self {
            pool,
            mailer: config.mail.enabled.then(|| Mailer::new(&config.mail)).transpose()?,
            sms: config.sms.enabled.then(|| SmsGateway::new(&config.sms)).transpose()?,
            config: config.outbox.clone(),
            wake,
        })
    }

    /// Runs until the task is dropped.
    pub async fn run(self) {
        loop {
            if let Err(error) = self.drain().await {
                tracing::error!(%error, "outbox pass failed");
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(self.config.poll_seconds)) => {}
            }
        }
    }

    /// Sends every message due now; returns how many were sent.
    pub async fn drain(&self) -> Result<usize, crate::store::StoreError> {
        let mut sent = 0;
        loop {
            let now = Utc::now();
            let lease_until = now + CLAIM_LEASE;
            let batch =
                outbox::claim_due(&self.pool, now, lease_until, BATCH, self.mailer.is_some(), self.sms.is_some())
                    .await?;
            if batch.is_empty() {
                return Ok(sent);
            }
            let mut progress = false;
            for message in batch {
                let now = Utc::now();
                match self.deliver(&message).await {
                    Ok(()) => {
                        outbox::mark_sent(&self.pool, message.id, now).await?;
                        tracing::info!(outbox.id = message.id, outbox.channel = %message.channel, outbox.topic = %message.topic, "notification sent");
                        sent += 1;
                        progress = true;
                    }
                    Err(error) => {
                        let attempts = message.attempts + 1;
                        let retry_at =
                            (attempts < i64::from(self.config.max_attempts)).then(|| now + self.backoff(attempts));
                        let error = redact(&crate::errors::chain_text(&error));
                        outbox::mark_attempt_failed(&self.pool, message.id, &error, retry_at, now).await?;
                        tracing::warn!(outbox.id = message.id, outbox.channel = %message.channel, attempts, parked = retry_at.is_none(), %error, "notification not delivered");
                    }
                }
            }
            if !progress {
                return Ok(sent);
            }
        }
    }

    fn backoff(&self, attempts: i64) -> chrono::Duration {
        let exp = u32::try_from(attempts.saturating_sub(1)).unwrap_or(u32::MAX).min(20);
        let secs = self.config.backoff_seconds.saturating_mul(1 << exp).min(self.config.max_backoff_seconds);
        chrono::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX))
    }

    async fn deliver(&self, message: &Message) -> Result<(), NotifyError> {
        match message.channel.as_str() {
            "email" => match &self.mailer {
                Some(m) => m.send(&message.recipient, &message.subject, &message.body).await,
                None => Err(NotifyError::ChannelOff("e-mail")),
            },
            "sms" => match &self.sms {
                Some(g) => g.send(&message.recipient, &message.body).await,
                None => Err(NotifyError::ChannelOff("SMS")),
            },
            other => Err(NotifyError::UnknownChannel(other.to_owned())),
        }
    }
}

/// Removes e-mail addresses and phone numbers from an error text (an SMTP server's reply can
/// quote the recipient) before it is logged or stored.
fn redact(text: &str) -> String {
    let is_separator = |c: char| c.is_whitespace() || "<>()[],;:'\"".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| {
        let digits = token.chars().filter(char::is_ascii_digit).count();
        if token.contains('@') || digits >= 7 {
            out.push_str("[redacted]");
        } else {
            out.push_str(token);
        }
        token.clear();
    };
    for c in text.chars() {
        if is_separator(c) {
            flush(&mut token, &mut out);
            out.push(c);
        } else {
            token.push(c);
        }
    }
    flush(&mut token, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn personal_data_is_removed_from_errors() {
        assert_eq!(
            redact("permanent error (550): <jbr@qingfeng.gov.cn>: Recipient rejected, phone 13803932001"),
            "permanent error (550): <[redacted]>: Recipient rejected, phone [redacted]"
        );
        assert_eq!(redact("connection refused (os error 111)"), "connection refused (os error 111)");
    }
}
