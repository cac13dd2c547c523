//! Sightings: hosts seen loading a badge (the Referer of its script or image) or beaconing a
//! mismatch. Counted in memory on the request path and written out in batches, with hard
//! bounds on both, so a flood costs neither memory nor database growth; stored by
//! `store::sightings`, which ranks hosts so that a flood cannot push out a real counterfeit.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::store::Pool;
use chrono::{DateTime, Utc};

use crate::store::sightings as store;

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

/// Hosts seen carrying each badge, counted in memory and flushed to the store in batches.
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
                if source == "referer" {
                    p.source = source;
                }
            }
            None if !full => {
                pending.insert(key, Pending { registered, source, first: now, last: now, count: 1 });
            }
            None => {}
        }
    }

    /// Writes the pending counts. A code keeps at most [`MAX_HOSTS_PER_CODE`] hosts: a new one
    /// replaces the lowest-ranked only when it ranks higher (see `store::sightings`).
    pub async fn flush(&self, pool: &Pool) -> Result<usize, sqlx::Error> {
        let batch: Vec<((String, String), Pending)> =
            std::mem::take(&mut *self.pending.lock().expect("sightings lock")).into_iter().collect();
        if batch.is_empty() {
            return Ok(0);
        }
        let mut tx = pool.begin().await?;
        for ((code, host), p) in &batch {
            let seen = store::Observed {
                code,
                host,
                registered: p.registered,
                source: p.source,
                first: p.first,
                last: p.last,
                count: p.count,
            };
            store::store(&mut tx, &seen, MAX_HOSTS_PER_CODE).await?;
        }
        tx.commit().await?;
        Ok(batch.len())
    }
}
