//! Login throttling: failed attempts per account and per client address in a sliding window.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Bounded in-memory failure counters.
pub struct LoginThrottle {
    window: Duration,
    per_account: usize,
    per_address: usize,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// Keys kept at most; the oldest entries go first when a flood of names arrives.
const MAX_KEYS: usize = 100_000;

impl LoginThrottle {
    pub fn new(window: Duration, per_account: u32, per_address: u32) -> Self {
        Self {
            window,
            per_account: per_account as usize,
            per_address: per_address as usize,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(account: &str, address: &str) -> [(String, bool); 2] {
        [(format!("a:{account}"), true), (format!("ip:{address}"), false)]
    }

    /// Whether a login for `account` from `address` may be tried now.
    pub fn allowed(&self, account: &str, address: &str, now: Instant) -> bool {
        let mut map = self.failures.lock().expect("throttle lock");
        Self::keys(account, address).into_iter().all(|(key, is_account)| {
            let limit = if is_account { self.per_account } else { self.per_address };
            match map.get_mut(&key) {
                Some(times) => {
                    while times.front().is_some_and(|t| now.duration_since(*t) > self.window) {
                        times.pop_front();
                    }
                    times.len() < limit
                }
                None => true,
            }
        })
    }

    pub fn record_failure(&self, account: &str, address: &str, now: Instant) {
        let mut map = self.failures.lock().expect("throttle lock");
        if map.len() >= MAX_KEYS {
            map.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) <= self.window));
            if map.len() >= MAX_KEYS {
                map.clear();
            }
        }
        for (key, _) in Self::keys(account, address) {
            let times = map.entry(key).or_default();
            times.push_back(now);
            if times.len() > 64 {
                times.pop_front();
            }
        }
    }

    /// A successful login clears the account's failures (not the address's).
    pub fn record_success(&self, account: &str) {
        self.failures.lock().expect("throttle lock").remove(&format!("a:{account}"));
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
}
