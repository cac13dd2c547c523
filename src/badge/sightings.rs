//! Sightings: hosts seen loading a badge (the Referer of its script or image) or beaconing a
//! mismatch. Counted in memory on the request path and written out in batches, with hard
//! bounds on both, so a flood costs neither memory nor database growth; stored by
//! `store::sightings`, which ranks hosts so that a flood cannot push out a real counterfeit.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::per_thread::PerThread;
use crate::store::Pool;
use chrono::{DateTime, Utc};

use crate::store::sightings as store;

/// Pending (code, host) pairs held between flushes at most, every thread's together.
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

impl Pending {
    /// Adds another thread's count of the same code and host.
    fn merge(&mut self, other: &Pending) {
        self.registered |= other.registered;
        if other.source == "referer" {
            self.source = other.source;
        }
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        self.count += other.count;
    }
}

/// One thread's pending counts, keyed by `code` and `host` joined by a line feed (neither can
/// hold one), with a buffer to build the key of a look-up in.
#[derive(Default)]
struct Table {
    pending: HashMap<Box<str>, Pending>,
    key: String,
}

/// Hosts seen carrying each badge, counted in memory and flushed to the store in batches.
///
/// Every badge request with a Referer counts here. Each thread serving connections counts in a
/// table of its own ([`Sightings::for_another_thread`]): a shared table's lock would be taken
/// by every thread at every such request. A flush takes every thread's table.
#[derive(Default)]
pub struct Sightings {
    /// This thread's table, and every thread's.
    tables: PerThread<Mutex<Table>>,
    /// Pairs pending in all the tables: written only when a pair is new or flushed.
    held: Arc<AtomicUsize>,
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
    /// A table for another thread, flushed with this one.
    pub fn for_another_thread(&self) -> Self {
        Self { tables: self.tables.for_another_thread(), held: self.held.clone() }
    }

    /// Counts a sighting; dropped when `MAX_PENDING` pairs are already pending.
    pub fn record(&self, code: &str, host: &str, registered: bool, source: &'static str, now: DateTime<Utc>) {
        let Some(host) = clean_host(host) else { return };
        let mut table = self.tables.own().lock().expect("sightings lock");
        let Table { pending, key } = &mut *table;
        key.clear();
        key.push_str(code);
        key.push('\n');
        key.push_str(&host);
        if let Some(p) = pending.get_mut(key.as_str()) {
            p.last = now;
            p.count += 1;
            if source == "referer" {
                p.source = source;
            }
        } else if self.held.fetch_add(1, Ordering::Relaxed) < MAX_PENDING {
            pending.insert(key.as_str().into(), Pending { registered, source, first: now, last: now, count: 1 });
        } else {
            self.held.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Every thread's pending counts, taken out of the tables; one entry per code and host.
    fn take(&self) -> Vec<((String, String), Pending)> {
        let mut merged = HashMap::<Box<str>, Pending>::new();
        for table in self.tables.every() {
            let taken = std::mem::take(&mut table.lock().expect("sightings lock").pending);
            self.held.fetch_sub(taken.len(), Ordering::Relaxed);
            for (key, p) in taken {
                match merged.entry(key) {
                    Entry::Occupied(seen) => seen.into_mut().merge(&p),
                    Entry::Vacant(new) => {
                        new.insert(p);
                    }
                }
            }
        }
        merged
            .into_iter()
            .map(|(key, p)| {
                let (code, host) = key.split_once('\n').expect("a key joins code and host");
                ((code.to_owned(), host.to_owned()), p)
            })
            .collect()
    }

    /// Writes the pending counts. A code keeps at most [`MAX_HOSTS_PER_CODE`] hosts: a new one
    /// replaces the lowest-ranked only when it ranks higher (see `store::sightings`).
    pub async fn flush(&self, pool: &Pool) -> Result<usize, sqlx::Error> {
        let batch = self.take();
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

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(second: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, second).unwrap()
    }

    #[test]
    fn every_thread_s_counts_are_merged_per_code_and_host() {
        let first = Sightings::default();
        let second = first.for_another_thread();
        first.record("4109220000016", "Fake.Example.com.", false, "beacon", at(1));
        second.record("4109220000016", "fake.example.com", false, "referer", at(3));
        second.record("4109220000016", "fake.example.com", false, "referer", at(5));
        second.record("4109220000016", "www.a.gov.cn", true, "referer", at(2));
        first.record("4109220000016", "<bad host>", false, "referer", at(2));
        // Either table flushes them all.
        let mut taken = second.take();
        taken.sort_by(|a, b| a.0.cmp(&b.0));
        let hosts: Vec<&str> = taken.iter().map(|((_, host), _)| host.as_str()).collect();
        assert_eq!(hosts, ["fake.example.com", "www.a.gov.cn"]);
        let (_, fake) = &taken[0];
        assert_eq!((fake.count, fake.source, fake.registered), (3, "referer", false));
        assert_eq!((fake.first, fake.last), (at(1), at(5)));
        assert_eq!(taken[1].0 .0, "4109220000016");
        assert!(first.take().is_empty(), "taken once");
        assert_eq!(first.held.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn the_bound_holds_across_threads() {
        let first = Sightings::default();
        let second = first.for_another_thread();
        for n in 0..MAX_PENDING {
            let table = if n % 2 == 0 { &first } else { &second };
            table.record("4109220000016", &format!("h{n}.example.com"), false, "referer", at(0));
        }
        first.record("4109220000016", "one-more.example.com", false, "referer", at(0));
        second.record("4109220000016", "and-another.example.com", false, "referer", at(0));
        // A pair already pending is still counted.
        second.record("4109220000016", "h1.example.com", false, "referer", at(1));
        let taken = first.take();
        assert_eq!(taken.len(), MAX_PENDING);
        assert!(taken
            .iter()
            .all(|((_, host), _)| !host.ends_with("more.example.com") && host != "and-another.example.com"));
        let h1 = taken.iter().find(|((_, host), _)| host == "h1.example.com").unwrap();
        assert_eq!(h1.1.count, 2);
        // Room again after the flush.
        first.record("4109220000016", "one-more.example.com", false, "referer", at(2));
        assert_eq!(second.take().len(), 1);
    }
}
