//! Sliding-window rate limits kept in memory: login attempts per account, failures per client
//! address, beacons per address, and the units' self-checks.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

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

    /// Counts an event of `key` at `now`.
    pub fn record(&self, key: &str, now: Instant) {
        let mut map = self.events.lock().expect("throttle lock");
        self.push(&mut map, key, now);
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

    /// Events for `key` within the window.
    pub fn count(&self, key: &str, now: Instant) -> usize {
        let map = self.events.lock().expect("throttle lock");
        map.get(key).map_or(0, |times| times.iter().filter(|t| now.duration_since(**t) <= self.window).count())
    }

    /// Gives back the latest event of `key` (an attempt that never happened after all).
    pub fn release(&self, key: &str) {
        if let Some(times) = self.events.lock().expect("throttle lock").get_mut(key) {
            times.pop_back();
        }
    }

    /// Forgets `key`'s events.
    pub fn clear(&self, key: &str) {
        self.events.lock().expect("throttle lock").remove(key);
    }
}

/// How long an attempt from an address past its failure limit waits before it is checked.
pub const ADDRESS_DELAY: Duration = Duration::from_secs(2);

/// Login attempts: accounts are locked, addresses are slowed down.
///
/// An account has `per_account` attempts per window; each attempt is counted *before* its
/// password is hashed, so parallel guesses cannot slip past the limit, and a right password
/// gives the account its attempts back. An address is never locked out (an office behind NAT
/// or a proxy shares one): once it has `per_address` failures in the window, each of its
/// attempts waits [`ADDRESS_DELAY`] first, and a right password still signs in.
pub struct LoginThrottle {
    per_account: KeyedWindow,
    per_address: KeyedWindow,
    address_limit: usize,
}

/// An attempt that was let through for its account.
#[derive(Debug)]
pub struct Attempt {
    /// How long to wait before checking the password (the address is past its limit).
    pub delay: Duration,
}

impl LoginThrottle {
    /// Counts failed logins per account and per address over `window`.
    pub fn new(window: Duration, per_account: u32, per_address: u32) -> Self {
        Self {
            per_account: KeyedWindow::new(window, per_account),
            // Failures per address are remembered up to twice the limit (`record` trims).
            per_address: KeyedWindow::new(window, per_address),
            address_limit: per_address as usize,
        }
    }

    /// Counts an attempt for `account`; `None` when the account is locked for now.
    pub fn begin(&self, account: &str, address: &str, now: Instant) -> Option<Attempt> {
        if !self.per_account.try_take(account, now) {
            return None;
        }
        let over = self.per_address.count(address, now) >= self.address_limit;
        Some(Attempt { delay: if over { ADDRESS_DELAY } else { Duration::ZERO } })
    }

    /// The password was wrong: the account's attempt stays counted; the address gets a failure.
    pub fn failed(&self, address: &str, now: Instant) {
        self.per_address.record(address, now);
    }

    /// The password was right: the account's attempts are given back (the address's failures stay).
    pub fn succeeded(&self, account: &str) {
        self.per_account.clear(account);
    }

    /// The attempt was not checked (the service was busy): it does not count.
    pub fn abandoned(&self, account: &str) {
        self.per_account.release(account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_the_account_after_its_attempts_and_frees_it_after_the_window() {
        let t = LoginThrottle::new(Duration::from_secs(60), 3, 10);
        let start = Instant::now();
        for _ in 0..3 {
            assert!(t.begin("u", "1.1.1.1", start).is_some());
            t.failed("1.1.1.1", start);
        }
        assert!(t.begin("u", "1.1.1.1", start).is_none());
        assert!(t.begin("u", "2.2.2.2", start).is_none(), "the account is locked from anywhere");
        assert!(t.begin("v", "1.1.1.1", start).is_some());
        assert!(t.begin("u", "1.1.1.1", start + Duration::from_secs(61)).is_some());
    }

    #[test]
    fn attempts_are_counted_before_their_outcome_is_known() {
        let t = LoginThrottle::new(Duration::from_secs(60), 5, 100);
        let now = Instant::now();
        // 300 attempts begun at once, none finished yet: exactly five get through.
        let through = (0..300).filter(|_| t.begin("u", "9.9.9.9", now).is_some()).count();
        assert_eq!(through, 5);
        t.abandoned("u");
        assert!(t.begin("u", "9.9.9.9", now).is_some(), "an abandoned attempt gives its place back");
        t.succeeded("u");
        assert!(t.begin("u", "9.9.9.9", now).is_some(), "a right password unlocks the account");
    }

    #[test]
    fn an_address_past_its_limit_is_slowed_never_refused() {
        let t = LoginThrottle::new(Duration::from_secs(60), 100, 2);
        let now = Instant::now();
        t.failed("9.9.9.9", now);
        assert_eq!(t.begin("a", "9.9.9.9", now).unwrap().delay, Duration::ZERO);
        t.failed("9.9.9.9", now);
        for _ in 0..50 {
            t.failed("9.9.9.9", now);
        }
        let attempt = t.begin("c", "9.9.9.9", now).expect("an address alone never locks");
        assert_eq!(attempt.delay, ADDRESS_DELAY);
        assert_eq!(t.begin("c", "8.8.8.8", now).unwrap().delay, Duration::ZERO);
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
