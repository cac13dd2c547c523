//! Politeness: a global cap on requests in flight, and per host a rate limiter (governor: it
//! limits when requests start) plus a cap on requests in flight (it limits how many run).
//! A robots.txt Crawl-delay slows a host down, never speeds it up.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

struct HostGate {
    limiter: DefaultDirectRateLimiter,
    interval: Duration,
    in_flight: Arc<Semaphore>,
}

/// Gates every request of a crawl or a sweep.
pub struct Politeness {
    global: Arc<Semaphore>,
    per_host_interval: Duration,
    per_host_concurrency: usize,
    hosts: Mutex<HashMap<String, Arc<HostGate>>>,
}

/// Held while a request runs.
pub struct Pass {
    _global: OwnedSemaphorePermit,
    _host: OwnedSemaphorePermit,
}

impl Politeness {
    /// Limits of `per_host_rate` requests per second and `per_host_concurrency` in flight per host, `global_concurrency` in all.
    pub fn new(per_host_rate: f64, per_host_concurrency: usize, global_concurrency: usize) -> Self {
        Self {
            global: Arc::new(Semaphore::new(global_concurrency)),
            per_host_interval: Duration::from_secs_f64(1.0 / per_host_rate),
            per_host_concurrency,
            hosts: Mutex::new(HashMap::new()),
        }
    }

    fn gate(&self, host: &str, crawl_delay: Option<Duration>) -> Arc<HostGate> {
        let interval = crawl_delay.map_or(self.per_host_interval, |d| d.max(self.per_host_interval));
        let mut hosts = self.hosts.lock().expect("politeness lock");
        match hosts.get(host) {
            // A Crawl-delay learnt after the first request only ever slows the host down.
            Some(gate) if gate.interval >= interval => gate.clone(),
            existing => {
                let in_flight = existing
                    .map_or_else(|| Arc::new(Semaphore::new(self.per_host_concurrency)), |g| g.in_flight.clone());
                let quota = Quota::with_period(interval.max(Duration::from_micros(1)))
                    .expect("non-zero period")
                    .allow_burst(NonZeroU32::MIN);
                let gate = Arc::new(HostGate { limiter: RateLimiter::direct(quota), interval, in_flight });
                if existing.is_some() {
                    // The host was just visited: the new, slower pace starts with a full wait.
                    let _ = gate.limiter.check();
                }
                hosts.insert(host.to_owned(), gate.clone());
                gate
            }
        }
    }

    /// Waits until a request to `host` may start, no sooner than `crawl_delay` after the last.
    pub async fn enter(&self, host: &str, crawl_delay: Option<Duration>) -> Pass {
        let gate = self.gate(host, crawl_delay);
        let host_permit = gate.in_flight.clone().acquire_owned().await.expect("never closed");
        let global = self.global.clone().acquire_owned().await.expect("never closed");
        gate.limiter.until_ready().await;
        Pass { _global: global, _host: host_permit }
    }

    /// Forgets a host's gate once its site is done, so memory follows the work in flight.
    pub fn forget(&self, host: &str) {
        self.hosts.lock().expect("politeness lock").remove(host);
    }
}
