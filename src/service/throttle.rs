//! Rate limits. Those that must hold across every instance sharing the database (login
//! attempts per account, failures per client address, the units' self-checks, public reports,
//! reset codes) are counted there ([`SharedWindow`]); the badge beacons, posted on the public
//! hot path, are counted in memory per instance ([`KeyedWindow`]), so a flood of them never
//! reaches the database.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::store::{throttle_counts, Pool, StoreError};

/// At most `limit` events per key within a sliding `window`, counted in the database, so every
/// instance sharing it enforces one limit. Counts are kept per fixed window; the previous
/// window's count weighs in by the share of it the sliding window still covers (a burst across
/// a boundary gains nothing). Two statements per event, the second atomic. Keys (account
/// names, client addresses) are stored as digests, never as they are.
pub struct SharedWindow {
    pool: Pool,
    scope: &'static str,
    window: i64,
    limit: i64,
    pruned_at: Mutex<i64>,
}

impl SharedWindow {
    /// At most `limit` events per key within `window` (at least a second), under `scope`.
    pub fn new(pool: Pool, scope: &'static str, window: Duration, limit: u32) -> Self {
        let window = i64::try_from(window.as_secs()).unwrap_or(i64::MAX / 4).max(1);
        Self { pool, scope, window, limit: i64::from(limit), pruned_at: Mutex::new(0) }
    }

    /// The fixed window `now` lies in, and the weight of the previous one's count.
    fn windows(&self, now: DateTime<Utc>) -> (i64, f64) {
        let at = now.timestamp();
        let start = at.div_euclid(self.window) * self.window;
        let covered = 1.0 - (now.timestamp_millis() - start * 1000) as f64 / (self.window * 1000) as f64;
        (start, covered.clamp(0.0, 1.0))
    }

    /// The previous and the current window's counts of `key` (a stored key).
    async fn counts(&self, key: &str, start: i64) -> Result<(i64, i64), StoreError> {
        let rows = throttle_counts::recent(&self.pool, self.scope, key, start - self.window).await?;
        let count = |at| rows.iter().find(|(s, _)| *s == at).map_or(0, |(_, c)| *c);
        Ok((count(start - self.window), count(start)))
    }

    /// Counts an event of `key` if the limit allows it; returns whether it did.
    pub async fn try_take(&self, key: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let key = &stored_key(key);
        let (start, weight) = self.windows(now);
        let (previous, _) = self.counts(key, start).await?;
        // The sliding estimate previous × weight + current must stay below the limit.
        let cap = (self.limit as f64 - previous as f64 * weight).ceil() as i64;
        self.prune(start).await?;
        throttle_counts::take(&self.pool, self.scope, key, start, cap).await
    }

    /// Counts an event of `key`, whatever the limit.
    pub async fn record(&self, key: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let key = &stored_key(key);
        let (start, _) = self.windows(now);
        self.prune(start).await?;
        throttle_counts::add(&self.pool, self.scope, key, start).await
    }

    /// Whether `key` has reached the limit (the sliding estimate of its events).
    pub async fn reached(&self, key: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let key = &stored_key(key);
        let (start, weight) = self.windows(now);
        let (previous, current) = self.counts(key, start).await?;
        Ok(previous as f64 * weight + current as f64 >= self.limit as f64)
    }

    /// Takes back an event of `key` counted at `now` (one that never happened after all).
    pub async fn release(&self, key: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        throttle_counts::give_back(&self.pool, self.scope, &stored_key(key), self.windows(now).0).await
    }

    /// Forgets `key`'s events.
    pub async fn clear(&self, key: &str) -> Result<(), StoreError> {
        throttle_counts::clear(&self.pool, self.scope, &stored_key(key)).await
    }

    /// Deletes counts too old to matter, at most once a window per instance.
    async fn prune(&self, start: i64) -> Result<(), StoreError> {
        {
            let mut pruned = self.pruned_at.lock().expect("prune lock");
            if *pruned == start {
                return Ok(());
            }
            *pruned = start;
        }
        throttle_counts::prune(&self.pool, self.scope, start - self.window).await.map(|_| ())
    }
}

/// How a key is stored: the first 16 bytes of its SHA-256, hex.
fn stored_key(key: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(key.as_bytes())[..16])
}

/// At most `limit` events per key within `window`.
pub struct KeyedWindow {
    window: Duration,
    limit: usize,
    events: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// Keys kept at most; a flood of new keys clears the stale ones first.
const MAX_KEYS: usize = 100_000;

impl KeyedWindow {
    /// At most `limit` events per key within `window`.
    pub fn new(window: Duration, limit: u32) -> Self {
        Self { window, limit: limit as usize, events: Mutex::new(HashMap::new()) }
    }

    fn push(&self, map: &mut HashMap<String, VecDeque<Instant>>, key: &str, now: Instant) {
        if map.len() >= MAX_KEYS && !map.contains_key(key) {
            map.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) <= self.window));
            if map.len() >= MAX_KEYS {
                map.clear();
            }
        }
        let times = map.entry(key.to_owned()).or_default();
        times.push_back(now);
        if times.len() > self.limit.max(1) * 2 {
            times.pop_front();
        }
    }

    /// Records the event if it is allowed; returns whether it was. One lock for both, so
    /// concurrent callers can never take more than the limit between them.
    pub fn try_take(&self, key: &str, now: Instant) -> bool {
        let mut map = self.events.lock().expect("throttle lock");
        if let Some(times) = map.get_mut(key) {
            while times.front().is_some_and(|t| now.duration_since(*t) > self.window) {
                times.pop_front();
            }
            if times.len() >= self.limit {
                return false;
            }
        } else if self.limit == 0 {
            return false;
        }
        self.push(&mut map, key, now);
        true
    }
}

/// How long an attempt from an address past its failure limit waits before it is checked.
pub const ADDRESS_DELAY: Duration = Duration::from_secs(2);

/// Login attempts: accounts are locked, addresses are slowed down; counted in the database,
/// so an attacker gains nothing by spreading guesses over the instances.
///
/// An account has `per_account` attempts per window; each attempt is counted *before* its
/// password is hashed, so parallel guesses cannot slip past the limit, and a right password
/// gives the account its attempts back. An address is never locked out (an office behind NAT
/// or a proxy shares one): once it has `per_address` failures in the window, each of its
/// attempts waits [`ADDRESS_DELAY`] first, and a right password still signs in.
pub struct LoginThrottle {
    per_account: SharedWindow,
    per_address: SharedWindow,
}

/// An attempt that was let through for its account.
#[derive(Debug)]
pub struct Attempt {
    /// How long to wait before checking the password (the address is past its limit).
    pub delay: Duration,
    /// When it was counted (to give it back in the same window).
    at: DateTime<Utc>,
}

impl LoginThrottle {
    /// Counts attempts per account and failed logins per address over `window`.
    pub fn new(pool: Pool, window: Duration, per_account: u32, per_address: u32) -> Self {
        Self {
            per_account: SharedWindow::new(pool.clone(), "login_account", window, per_account),
            per_address: SharedWindow::new(pool, "login_address", window, per_address),
        }
    }

    /// Counts an attempt for `account`; `None` when the account is locked for now.
    pub async fn begin(&self, account: &str, address: &str, now: DateTime<Utc>) -> Result<Option<Attempt>, StoreError> {
        if !self.per_account.try_take(account, now).await? {
            return Ok(None);
        }
        let over = self.per_address.reached(address, now).await?;
        Ok(Some(Attempt { delay: if over { ADDRESS_DELAY } else { Duration::ZERO }, at: now }))
    }

    /// The password was wrong: the account's attempt stays counted; the address gets a failure.
    pub async fn failed(&self, address: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.per_address.record(address, now).await
    }

    /// The password was right: the account's attempts are given back (the address's failures stay).
    pub async fn succeeded(&self, account: &str) -> Result<(), StoreError> {
        self.per_account.clear(account).await
    }

    /// The attempt was not checked (the service was busy): it does not count.
    pub async fn abandoned(&self, account: &str, attempt: &Attempt) -> Result<(), StoreError> {
        self.per_account.release(account, attempt.at).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn pool() -> (tempfile::TempDir, Pool) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("throttle.db").display());
        (dir, crate::store::connect(&url, 4).await.unwrap())
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 / 60 * 60 + seconds, 0).unwrap()
    }

    #[tokio::test]
    async fn locks_the_account_after_its_attempts_and_frees_it_after_the_window() {
        let (_dir, pool) = pool().await;
        let t = LoginThrottle::new(pool, Duration::from_secs(60), 3, 10);
        for _ in 0..3 {
            assert!(t.begin("u", "1.1.1.1", at(0)).await.unwrap().is_some());
            t.failed("1.1.1.1", at(0)).await.unwrap();
        }
        assert!(t.begin("u", "1.1.1.1", at(0)).await.unwrap().is_none());
        assert!(t.begin("u", "2.2.2.2", at(30)).await.unwrap().is_none(), "the account is locked from anywhere");
        assert!(t.begin("v", "1.1.1.1", at(0)).await.unwrap().is_some());
        assert!(t.begin("u", "1.1.1.1", at(121)).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn attempts_are_counted_before_their_outcome_is_known() {
        let (_dir, pool) = pool().await;
        let t = std::sync::Arc::new(LoginThrottle::new(pool, Duration::from_secs(60), 5, 100));
        // 60 attempts begun at once, none finished yet: exactly five get through.
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..60 {
            let t = t.clone();
            tasks.spawn(async move { t.begin("u", "9.9.9.9", at(0)).await.unwrap() });
        }
        let through: Vec<Attempt> = tasks.join_all().await.into_iter().flatten().collect();
        assert_eq!(through.len(), 5);
        t.abandoned("u", &through[0]).await.unwrap();
        assert!(t.begin("u", "9.9.9.9", at(1)).await.unwrap().is_some(), "an abandoned attempt gives its place back");
        assert!(t.begin("u", "9.9.9.9", at(1)).await.unwrap().is_none());
        t.succeeded("u").await.unwrap();
        assert!(t.begin("u", "9.9.9.9", at(1)).await.unwrap().is_some(), "a right password unlocks the account");
    }

    #[tokio::test]
    async fn an_address_past_its_limit_is_slowed_never_refused() {
        let (_dir, pool) = pool().await;
        let t = LoginThrottle::new(pool, Duration::from_secs(60), 100, 2);
        t.failed("9.9.9.9", at(0)).await.unwrap();
        assert_eq!(t.begin("a", "9.9.9.9", at(0)).await.unwrap().unwrap().delay, Duration::ZERO);
        for _ in 0..50 {
            t.failed("9.9.9.9", at(0)).await.unwrap();
        }
        let attempt = t.begin("c", "9.9.9.9", at(0)).await.unwrap().expect("an address alone never locks");
        assert_eq!(attempt.delay, ADDRESS_DELAY);
        assert_eq!(t.begin("c", "8.8.8.8", at(0)).await.unwrap().unwrap().delay, Duration::ZERO);
    }

    #[tokio::test]
    async fn a_burst_across_a_window_boundary_gains_nothing() {
        let (_dir, pool) = pool().await;
        let w = SharedWindow::new(pool.clone(), "test", Duration::from_secs(60), 10);
        let mut taken = 0;
        for _ in 0..20 {
            taken += usize::from(w.try_take("k", at(59)).await.unwrap());
        }
        assert_eq!(taken, 10, "the limit within one window");
        // One second into the next window the previous one still counts 59/60: one more at most.
        let mut taken = 0;
        for _ in 0..20 {
            taken += usize::from(w.try_take("k", at(61)).await.unwrap());
        }
        assert!(taken <= 1, "{taken} taken across the boundary");
        // Half-way through, half of the previous window has slid out.
        let mut taken = 0;
        for _ in 0..20 {
            taken += usize::from(w.try_take("k", at(90)).await.unwrap());
        }
        assert!((4..=5).contains(&taken), "{taken} taken half-way");
        // Two windows on, the old counts are gone from the table too.
        assert!(w.try_take("k", at(200)).await.unwrap());
        assert_eq!(throttle_counts::recent(&pool, "test", &stored_key("k"), 0).await.unwrap().len(), 1);
        assert!(throttle_counts::recent(&pool, "test", "k", 0).await.unwrap().is_empty(), "keys are stored as digests");
    }

    #[test]
    fn try_take_counts_only_allowed_events() {
        let w = KeyedWindow::new(Duration::from_secs(60), 2);
        let now = Instant::now();
        assert!(w.try_take("k", now) && w.try_take("k", now));
        assert!(!w.try_take("k", now));
        assert!(w.try_take("k", now + Duration::from_secs(61)));
    }
}
