//! Sliding-window rate limits kept in memory: login failures per account and per client
//! address, and the units' self-checks.

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
    pub fn new(window: Duration, limit: u32) -> Self {
        Self { window, limit: limit as usize, events: Mutex::new(HashMap::new()) }
    }

    /// Whether another event for `key` is within the limit now.
    pub fn allowed(&self, key: &str, now: Instant) -> bool {
        let mut map = self.events.lock().expect("throttle lock");
        match map.get_mut(key) {
            Some(times) => {
                while times.front().is_some_and(|t| now.duration_since(*t) > self.window) {
                    times.pop_front();
                }
                times.len() < self.limit
            }
            None => self.limit > 0,
        }
    }

    pub fn record(&self, key: &str, now: Instant) {
        let mut map = self.events.lock().expect("throttle lock");
        if map.len() >= MAX_KEYS {
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

    /// Records the event if it is allowed; returns whether it was.
    pub fn try_take(&self, key: &str, now: Instant) -> bool {
        let ok = self.allowed(key, now);
        if ok {
            self.record(key, now);
        }
        ok
    }

    pub fn clear(&self, key: &str) {
        self.events.lock().expect("throttle lock").remove(key);
    }
}

/// Failed logins per account and per client address.
pub struct LoginThrottle {
    per_account: KeyedWindow,
    per_address: KeyedWindow,
}

impl LoginThrottle {
    pub fn new(window: Duration, per_account: u32, per_address: u32) -> Self {
        Self { per_account: KeyedWindow::new(window, per_account), per_address: KeyedWindow::new(window, per_address) }
    }

    /// Whether a login for `account` from `address` may be tried now.
    pub fn allowed(&self, account: &str, address: &str, now: Instant) -> bool {
        self.per_account.allowed(account, now) && self.per_address.allowed(address, now)
    }

    pub fn record_failure(&self, account: &str, address: &str, now: Instant) {
        self.per_account.record(account, now);
        self.per_address.record(address, now);
    }

    /// A successful login clears the account's failures (not the address's).
    pub fn record_success(&self, account: &str) {
        self.per_account.clear(account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_limit_and_frees_after_window() {
        let t = LoginThrottle::new(Duration::from_secs(60), 3, 10);
        let start = Instant::now();
        for _ in 0..3 {
            assert!(t.allowed("u", "1.1.1.1", start));
            t.record_failure("u", "1.1.1.1", start);
        }
        assert!(!t.allowed("u", "1.1.1.1", start));
        assert!(!t.allowed("u", "2.2.2.2", start), "the account is locked from anywhere");
        assert!(t.allowed("v", "1.1.1.1", start));
        assert!(t.allowed("u", "1.1.1.1", start + Duration::from_secs(61)));
    }

    #[test]
    fn address_limit_spans_accounts() {
        let t = LoginThrottle::new(Duration::from_secs(60), 100, 2);
        let now = Instant::now();
        t.record_failure("a", "9.9.9.9", now);
        t.record_failure("b", "9.9.9.9", now);
        assert!(!t.allowed("c", "9.9.9.9", now));
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
