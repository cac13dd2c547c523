//! Sightings: hosts seen loading a badge (the Referer of its script or image) or beaconing a
//! mismatch. Counted in memory on the request path and written out in batches, with hard
//! bounds on both, so a flood costs neither memory nor database growth.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

/// Pending (code, host) pairs held between flushes at most.
const MAX_PENDING: usize = 10_000;
/// Hosts stored per code at most.
pub const MAX_HOSTS_PER_CODE: i64 = 200;

#[derive(Debug, Clone)]
struct Pending {
    registered: bool,
    source: &'static str,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    count: i64,
}

#[derive(Default)]
pub struct Sightings {
    pending: Mutex<HashMap<(String, String), Pending>>,
}

/// A host name worth recording: ASCII host characters, at most 253 of them.
pub fn clean_host(host: &str) -> Option<String> {
    let h = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let ok = !h.is_empty()
        && h.len() <= 253
        && h.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    ok.then_some(h)
}

impl Sightings {
    /// Counts a sighting; dropped when the pending table is full.
    pub fn record(&self, code: &str, host: &str, registered: bool, source: &'static str, now: DateTime<Utc>) {
        let Some(host) = clean_host(host) else { return };
        let mut pending = self.pending.lock().expect("sightings lock");
        let key = (code.to_owned(), host);
        let full = pending.len() >= MAX_PENDING;
        match pending.get_mut(&key) {
            Some(p) => {
                p.last = now;
                p.count += 1;
            }
            None if !full => {
                pending.insert(key, Pending { registered, source, first: now, last: now, count: 1 });
            }
            None => {}
        }
    }

    /// Writes the pending counts; new hosts beyond the per-code cap are not stored.
    pub async fn flush(&self, pool: &SqlitePool) -> Result<usize, sqlx::Error> {
        let batch: Vec<((String, String), Pending)> =
            std::mem::take(&mut *self.pending.lock().expect("sightings lock")).into_iter().collect();
        if batch.is_empty() {
            return Ok(0);
        }
        let mut tx = pool.begin().await?;
        for ((code, host), p) in &batch {
            let updated =
                sqlx::query("UPDATE badge_sightings SET last_seen = ?, count = count + ? WHERE code = ? AND host = ?")
                    .bind(p.last)
                    .bind(p.count)
                    .bind(code)
                    .bind(host)
                    .execute(&mut *tx)
                    .await?;
            if updated.rows_affected() == 0 {
                sqlx::query(
                    "INSERT INTO badge_sightings (code, host, registered, source, first_seen, last_seen, count)
                     SELECT ?, ?, ?, ?, ?, ?, ?
                     WHERE (SELECT COUNT(*) FROM badge_sightings WHERE code = ?) < ?
                       AND EXISTS (SELECT 1 FROM badges WHERE code = ?)",
                )
                .bind(code)
                .bind(host)
                .bind(p.registered)
                .bind(p.source)
                .bind(p.first)
                .bind(p.last)
                .bind(p.count)
                .bind(code)
                .bind(MAX_HOSTS_PER_CODE)
                .bind(code)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(batch.len())
    }
}

/// A stored sighting.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Sighting {
    pub code: String,
    pub host: String,
    pub registered: bool,
    pub source: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub count: i64,
}

/// Sightings of badges whose region starts with `prefix` ("" for all); unregistered hosts first.
pub async fn list(pool: &SqlitePool, prefix: &str) -> Result<Vec<Sighting>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.code, s.host, s.registered, s.source, s.first_seen, s.last_seen, s.count
         FROM badge_sightings s JOIN badges b ON b.code = s.code
         WHERE b.region LIKE ? || '%'
         ORDER BY s.registered, s.last_seen DESC LIMIT 1000",
    )
    .bind(prefix)
    .fetch_all(pool)
    .await
}
