//! The notification outbox: messages written in the same transaction as the change they
//! announce, picked up by the background sender, retried with backoff, never lost.

use super::{Pool, Tx};
use chrono::{DateTime, Utc};

use super::StoreError;

/// Delivery channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Channel {
    /// E-mail.
    Email,
    /// SMS.
    Sms,
}

crate::domain::words!(Channel);

impl Channel {}

/// A message to send.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    /// The application it concerns, if any.
    pub application_id: Option<i64>,
    /// The notice's kind.
    pub topic: &'a str,
    /// E-mail or SMS.
    pub channel: Channel,
    /// The address or number.
    pub recipient: &'a str,
    /// The subject (e-mail).
    pub subject: &'a str,
    /// The text.
    pub body: &'a str,
}

/// A queued message.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Message {
    /// The row id.
    pub id: i64,
    /// The application it concerns, if any.
    pub application_id: Option<i64>,
    /// The notice's kind.
    pub topic: String,
    /// `email` or `sms`.
    pub channel: String,
    /// The address or number.
    pub recipient: String,
    /// The subject (e-mail).
    pub subject: String,
    /// The text.
    pub body: String,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// When it was delivered.
    pub sent_at: Option<DateTime<Utc>>,
    /// When it was given up.
    pub failed_at: Option<DateTime<Utc>>,
    /// The last delivery error.
    pub last_error: String,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
}

/// Queues a message in the caller's transaction, due at once.
pub async fn enqueue(conn: &mut Tx, m: &NewMessage<'_>, now: DateTime<Utc>) -> Result<(), StoreError> {
    crate::on_tx!(conn, conn => {
        sqlx::query(
            "INSERT INTO outbox (application_id, topic, channel, recipient, subject, body, next_attempt_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(m.application_id)
        .bind(m.topic)
        .bind(m.channel.as_str())
        .bind(m.recipient)
        .bind(m.subject)
        .bind(m.body)
        .bind(now)
        .bind(now)
        .execute(conn)
        .await?;
        Ok(())
    })
}

const COLUMNS: &str =
    "id, application_id, topic, channel, recipient, subject, body, attempts, sent_at, failed_at, last_error, created_at";

/// Claims the messages of the channels that are on (`email`, `sms`) that are due now, at most
/// `limit`, oldest first: each claimed message's next attempt moves to `lease_until`, so no
/// other instance sharing the database claims it while this one delivers it. The caller then
/// marks each sent or failed; a message whose claimant died is due again when the lease ends.
/// A message of a channel that is off waits for the channel.
pub async fn claim_due(
    pool: &Pool,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
    email_on: bool,
    sms_on: bool,
) -> Result<Vec<Message>, StoreError> {
    // The due condition is checked again on the locked row (PostgreSQL re-reads a row another
    // transaction changed before updating it), and PostgreSQL skips rows another instance is
    // claiming instead of waiting for them. SQLite has one writer at a time, so neither arises.
    const DUE: &str = "sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
                       AND ((channel = 'email' AND $2) OR (channel = 'sms' AND $3))";
    let lock = if pool.is_postgres() { "FOR UPDATE SKIP LOCKED" } else { "" };
    let sql = format!(
        "UPDATE outbox SET next_attempt_at = $4
         WHERE id IN (SELECT id FROM outbox WHERE {DUE} ORDER BY next_attempt_at, id LIMIT $5 {lock})
           AND {DUE}
         RETURNING {COLUMNS}"
    );
    let mut claimed: Vec<Message> = crate::on_pool!(pool, pool => {
        sqlx::query_as(&sql).bind(now).bind(email_on).bind(sms_on).bind(lease_until).bind(limit).fetch_all(pool).await?
    });
    claimed.sort_by_key(|m| m.id);
    Ok(claimed)
}

/// What the admins' outbox page filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// Every message.
    All,
    /// Not sent and not given up.
    Waiting,
    /// Delivered.
    Sent,
    /// Given up after the last attempt.
    Failed,
}

/// The latest messages matching `filter` (and `channel`, when given), newest first.
pub async fn list(
    pool: &Pool,
    filter: Filter,
    channel: Option<Channel>,
    limit: i64,
) -> Result<Vec<Message>, StoreError> {
    crate::on_pool!(pool, pool => {
        let condition = match filter {
            Filter::All => "1 = 1",
            Filter::Waiting => "sent_at IS NULL AND failed_at IS NULL",
            Filter::Sent => "sent_at IS NOT NULL",
            Filter::Failed => "failed_at IS NOT NULL",
        };
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM outbox WHERE {condition} AND ($1 IS NULL OR channel = $2) ORDER BY id DESC LIMIT $3"
        ))
        .bind(channel.map(Channel::as_str))
        .bind(channel.map(Channel::as_str))
        .bind(limit)
        .fetch_all(pool)
        .await?)
    })
}

/// Puts a message that was given up (or is waiting) back in line for an attempt now; a sent
/// message stays sent. Returns whether it was requeued.
pub async fn resend(pool: &Pool, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
    crate::on_pool!(pool, pool => {
        let done = sqlx::query(
            "UPDATE outbox SET failed_at = NULL, attempts = 0, next_attempt_at = $1 WHERE id = $2 AND sent_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(pool)
        .await?;
        Ok(done.rows_affected() == 1)
    })
}

/// Marks a message delivered.
pub async fn mark_sent(pool: &Pool, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
    crate::on_pool!(pool, pool => {
        sqlx::query("UPDATE outbox SET sent_at = $1, attempts = attempts + 1, last_error = '' WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?;
        Ok(())
    })
}

/// Records a failed attempt: retry at `retry_at`, or park the message as failed when `None`.
pub async fn mark_attempt_failed(
    pool: &Pool,
    id: i64,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    crate::on_pool!(pool, pool => {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $1,
                next_attempt_at = COALESCE($2, next_attempt_at),
                failed_at = CASE WHEN $3 IS NULL THEN $4 ELSE NULL END
         WHERE id = $5",
        )
        .bind(error)
        .bind(retry_at)
        .bind(retry_at)
        .bind(now)
        .bind(id)
        .execute(pool)
        .await?;
        Ok(())
    })
}

/// Every message about an application, for its history page and for tests.
pub async fn for_application(pool: &Pool, application_id: i64) -> Result<Vec<Message>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM outbox WHERE application_id = $1 ORDER BY id"))
            .bind(application_id)
            .fetch_all(pool)
            .await?)
    })
}
