//! Politeness: a global cap on requests in flight, and per host **and per IP address** a pace
//! (when requests may start) plus a cap on requests in flight (how many run). Hundreds of county
//! sites often sit behind one provincial platform's address: each host alone would be crawled
//! politely while the platform is hammered, so a request waits for both its host's turn and its
//! address's turn. A robots.txt Crawl-delay slows a host down, never speeds it up.
//!
//! The pace is kept in this process (governor) unless a [`PaceLedger`] is given: then workers on
//! several machines share it. Each gate reserves from the ledger a window of request slots at a
//! time (one per request waiting at the gate, up to half a second's worth: at real-world rates
//! of a request a second, one reservation per request) and spends them in order; slots it did
//! not use are skipped, never spent late. In-flight caps stay per process.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A reservation's answer: when the first reserved slot may start (wall clock, shared by every
/// machine), or `None` when the ledger could not answer (the gate then paces by itself).
pub type Reserved<'a> = Pin<Box<dyn Future<Output = Option<SystemTime>> + Send + 'a>>;

/// Where several crawling processes share their pace, e.g. a table of the database.
pub trait PaceLedger: Send + Sync {
    /// Reserves `slots` request starts `interval` apart for `key`, after every slot reserved
    /// before by anyone; returns when the first may start.
    fn reserve<'a>(&'a self, key: &'a str, interval: Duration, slots: u32) -> Reserved<'a>;
}

/// The longest stretch of slots reserved at once from a ledger.
const SHARED_WINDOW: Duration = Duration::from_millis(500);
/// Paces quicker than this (a thousand requests a second: politeness turned off, as in a lab)
/// stay local even with a ledger: a reservation would cost more than the request.
const SHARED_FROM: Duration = Duration::from_millis(1);
/// Address gates kept before unused ones are dropped.
const MAX_IDLE_ADDRESS_GATES: usize = 4096;

/// The limits of a crawl.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Requests per second to one host.
    pub per_host_rate: f64,
    /// Requests in flight to one host.
    pub per_host_concurrency: usize,
    /// Requests per second to one IP address, whatever the host.
    pub per_ip_rate: f64,
    /// Requests in flight to one IP address.
    pub per_ip_concurrency: usize,
    /// Requests in flight in all.
    pub global_concurrency: usize,
}

/// When a gate's requests may start.
enum Pace {
    /// Kept here.
    Local(DefaultDirectRateLimiter),
    /// Reserved from the ledger, a window of slots at a time.
    Shared { key: String, window: tokio::sync::Mutex<Window> },
}

/// Slots reserved from the ledger and not yet spent: the next one, and the end.
#[derive(Default)]
struct Window {
    next: Option<SystemTime>,
    end: Option<SystemTime>,
}

struct Gate {
    pace: Pace,
    interval: Duration,
    in_flight: Arc<Semaphore>,
    /// Requests waiting for a turn here: a reservation takes as many slots as are wanted.
    waiting: AtomicU32,
}

impl Gate {
    fn new(key: String, interval: Duration, in_flight: Arc<Semaphore>, ledger: bool) -> Self {
        let pace = if ledger && interval >= SHARED_FROM {
            Pace::Shared { key, window: tokio::sync::Mutex::new(Window::default()) }
        } else {
            let quota = Quota::with_period(interval.max(Duration::from_micros(1)))
                .expect("non-zero period")
                .allow_burst(NonZeroU32::MIN);
            Pace::Local(RateLimiter::direct(quota))
        };
        Self { pace, interval, in_flight, waiting: AtomicU32::new(0) }
    }

    /// Waits for this gate's next slot.
    async fn turn(&self, ledger: Option<&dyn PaceLedger>) {
        match (&self.pace, ledger) {
            (Pace::Shared { key, window }, Some(ledger)) => {
                let waiting = Waiting::enter(&self.waiting);
                let start = {
                    let mut window = window.lock().await;
                    let now = SystemTime::now();
                    let stale = window.next.is_none_or(|next| next + self.interval < now);
                    if stale || window.next >= window.end {
                        // As many slots as requests wait here, up to the window: a slot taken
                        // and not used holds the other workers back for nothing.
                        let wanted = self.waiting.load(Ordering::Relaxed).max(1);
                        let slots = wanted.min(slots_per_window(self.interval));
                        let first = ledger.reserve(key, self.interval, slots).await;
                        // Without the ledger, pace alone: one interval from now.
                        let first = first.unwrap_or(now + self.interval).max(now);
                        window.next = Some(first);
                        window.end = Some(first + self.interval * slots);
                    }
                    let start = window.next.unwrap_or(now);
                    window.next = Some(start + self.interval);
                    drop(waiting);
                    start
                };
                if let Ok(wait) = start.duration_since(SystemTime::now()) {
                    tokio::time::sleep(wait).await;
                }
            }
            (Pace::Local(limiter), _) => limiter.until_ready().await,
            // A shared gate is only made when there is a ledger.
            (Pace::Shared { .. }, None) => {}
        }
    }
}

/// Counts a request waiting at a gate until it has its slot, or gives up (a dropped future).
struct Waiting<'a>(&'a AtomicU32);

impl<'a> Waiting<'a> {
    fn enter(count: &'a AtomicU32) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Self(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// How many slots `interval` apart one reservation takes: as many as fit in
/// [`SHARED_WINDOW`], at least one.
fn slots_per_window(interval: Duration) -> u32 {
    let per_window = SHARED_WINDOW.as_nanos() / interval.as_nanos().max(1);
    u32::try_from(per_window).unwrap_or(u32::MAX).clamp(1, 1000)
}

/// Gates every request of a crawl or a sweep.
pub struct Politeness {
    limits: Limits,
    global: Arc<Semaphore>,
    per_host_interval: Duration,
    per_ip_interval: Duration,
    hosts: Mutex<HashMap<String, Arc<Gate>>>,
    addresses: Mutex<HashMap<IpAddr, Arc<Gate>>>,
    ledger: Option<Arc<dyn PaceLedger>>,
}

/// Held while a request runs, from its turn until its body is read.
pub struct Pass {
    _global: OwnedSemaphorePermit,
    _host: OwnedSemaphorePermit,
    _address: Option<OwnedSemaphorePermit>,
}

impl Politeness {
    /// Paced in this process only.
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            global: Arc::new(Semaphore::new(limits.global_concurrency)),
            per_host_interval: Duration::from_secs_f64(1.0 / limits.per_host_rate),
            per_ip_interval: Duration::from_secs_f64(1.0 / limits.per_ip_rate),
            hosts: Mutex::new(HashMap::new()),
            addresses: Mutex::new(HashMap::new()),
            ledger: None,
        }
    }

    /// Paced together with every other process sharing `ledger`.
    pub fn shared(limits: Limits, ledger: Arc<dyn PaceLedger>) -> Self {
        Self { ledger: Some(ledger), ..Self::new(limits) }
    }

    fn host_gate(&self, host: &str, crawl_delay: Option<Duration>) -> Arc<Gate> {
        let interval = crawl_delay.map_or(self.per_host_interval, |d| d.max(self.per_host_interval));
        let mut hosts = self.hosts.lock().expect("politeness lock");
        match hosts.get(host) {
            // A Crawl-delay learnt after the first request only ever slows the host down.
            Some(gate) if gate.interval >= interval => gate.clone(),
            existing => {
                let in_flight = existing.map_or_else(
                    || Arc::new(Semaphore::new(self.limits.per_host_concurrency)),
                    |g| g.in_flight.clone(),
                );
                let gate = Arc::new(Gate::new(format!("host:{host}"), interval, in_flight, self.ledger.is_some()));
                if let (Some(_), Pace::Local(limiter)) = (existing, &gate.pace) {
                    // The host was just visited: the new, slower pace starts with a full wait.
                    let _ = limiter.check();
                }
                hosts.insert(host.to_owned(), gate.clone());
                gate
            }
        }
    }

    /// The gate of the server at `ip`: of its address, or of its /64 for IPv6, where a server
    /// may answer for each site at an address of its own ([`crate::ip_network`]).
    fn address_gate(&self, ip: IpAddr) -> Arc<Gate> {
        let network = crate::ip_network::network(ip);
        let mut addresses = self.addresses.lock().expect("politeness lock");
        if let Some(gate) = addresses.get(&network) {
            return gate.clone();
        }
        if addresses.len() >= MAX_IDLE_ADDRESS_GATES {
            // Forget the addresses nobody is waiting on (their pace is at most one interval old
            // in the ledger, or lost locally only for addresses unused long enough to matter
            // little).
            addresses.retain(|_, gate| Arc::strong_count(gate) > 1);
        }
        let in_flight = Arc::new(Semaphore::new(self.limits.per_ip_concurrency));
        let key = format!("ip:{}", crate::ip_network::label(network));
        let gate = Arc::new(Gate::new(key, self.per_ip_interval, in_flight, self.ledger.is_some()));
        addresses.insert(network, gate.clone());
        gate
    }

    /// Waits until a request to `host` (at address `ip`, when known) may start: no sooner than
    /// `crawl_delay` after the host's last request, and in turn with every host at that address.
    pub async fn enter(&self, host: &str, ip: Option<IpAddr>, crawl_delay: Option<Duration>) -> Pass {
        let host_gate = self.host_gate(host, crawl_delay);
        let address_gate = ip.map(|ip| self.address_gate(ip));
        let host_permit = host_gate.in_flight.clone().acquire_owned().await.expect("never closed");
        let address_permit = match &address_gate {
            Some(gate) => Some(gate.in_flight.clone().acquire_owned().await.expect("never closed")),
            None => None,
        };
        let global = self.global.clone().acquire_owned().await.expect("never closed");
        let ledger = self.ledger.as_deref();
        host_gate.turn(ledger).await;
        if let Some(gate) = &address_gate {
            gate.turn(ledger).await;
        }
        Pass { _global: global, _host: host_permit, _address: address_permit }
    }

    /// Forgets a host's gate once its site is done, so memory follows the work in flight.
    pub fn forget(&self, host: &str) {
        self.hosts.lock().expect("politeness lock").remove(host);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn limits(per_host_rate: f64, per_ip_rate: f64) -> Limits {
        Limits { per_host_rate, per_host_concurrency: 4, per_ip_rate, per_ip_concurrency: 4, global_concurrency: 64 }
    }

    #[tokio::test]
    async fn hosts_behind_one_address_take_turns_at_the_address_pace() {
        // Five hosts, each allowed 1000 requests a second, behind one address allowed 20.
        let politeness = Politeness::new(limits(1000.0, 20.0));
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let started = Instant::now();
        for i in 0..5 {
            drop(politeness.enter(&format!("county{i}.example.gov.cn"), Some(ip), None).await);
        }
        // The first goes at once, the next four each 50 ms after the one before.
        assert!(started.elapsed() >= Duration::from_millis(195), "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn sites_at_addresses_of_one_ipv6_64_are_one_server() {
        // A hosting platform giving each county's site its own address of one /64.
        let politeness = Politeness::new(limits(1000.0, 20.0));
        let started = Instant::now();
        for i in 1..=5u16 {
            let ip = IpAddr::from([0x2001, 0xdb8, 5, 6, 0, 0, 0, i]);
            drop(politeness.enter(&format!("county{i}.example.gov.cn"), Some(ip), None).await);
        }
        assert!(started.elapsed() >= Duration::from_millis(195), "paced as one server: {:?}", started.elapsed());
        // The next /64 is another server.
        let politeness = Politeness::new(limits(1000.0, 1.0));
        let started = Instant::now();
        for i in 1..=5u16 {
            let ip = IpAddr::from([0x2001, 0xdb8, 5, i, 0, 0, 0, 1]);
            drop(politeness.enter(&format!("county{i}.example.gov.cn"), Some(ip), None).await);
        }
        assert!(started.elapsed() < Duration::from_millis(900), "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn hosts_at_different_addresses_do_not_wait_for_each_other() {
        let politeness = Politeness::new(limits(1000.0, 1.0));
        let started = Instant::now();
        for i in 0..5u8 {
            drop(politeness.enter(&format!("site{i}.example.gov.cn"), Some(IpAddr::from([192, 0, 2, i])), None).await);
        }
        // At one request a second per address, any wait would show as a second.
        assert!(started.elapsed() < Duration::from_millis(900), "{:?}", started.elapsed());
    }

    /// A ledger in memory, as the database keeps it: per key, the end of the last reservation
    /// (and every reservation's size, for the tests).
    #[derive(Default)]
    struct MemoryLedger(Mutex<HashMap<String, SystemTime>>, Mutex<Vec<u32>>);

    impl PaceLedger for MemoryLedger {
        fn reserve<'a>(&'a self, key: &'a str, interval: Duration, slots: u32) -> Reserved<'a> {
            self.1.lock().unwrap().push(slots);
            let mut ends = self.0.lock().unwrap();
            let now = SystemTime::now();
            let first = ends.get(key).copied().filter(|end| *end > now).unwrap_or(now);
            ends.insert(key.to_owned(), first + interval * slots);
            Box::pin(async move { Some(first) })
        }
    }

    #[tokio::test]
    async fn processes_sharing_a_ledger_share_one_pace_per_host() {
        // Two crawlers (two workers) with one ledger: a host allowed 10 requests a second gets
        // 10 a second from both together, not 10 from each.
        let ledger: Arc<dyn PaceLedger> = Arc::new(MemoryLedger::default());
        let a = Arc::new(Politeness::shared(limits(10.0, 1000.0), ledger.clone()));
        let b = Arc::new(Politeness::shared(limits(10.0, 1000.0), ledger));
        let started = Instant::now();
        let mut starts = Vec::new();
        let tasks: Vec<_> = (0..6)
            .map(|i| {
                let crawler = if i % 2 == 0 { a.clone() } else { b.clone() };
                tokio::spawn(async move {
                    drop(crawler.enter("www.example.gov.cn", Some("192.0.2.9".parse().unwrap()), None).await);
                    Instant::now()
                })
            })
            .collect();
        for task in tasks {
            starts.push(task.await.unwrap().duration_since(started));
        }
        starts.sort();
        for (k, start) in starts.iter().enumerate() {
            // The k-th no sooner than k × 100 ms after the first could start (5 ms for the
            // two clocks): a lower bound, whatever the scheduling delays.
            assert!(*start + Duration::from_millis(5) >= Duration::from_millis(100) * k as u32, "{starts:?}");
        }
    }

    #[tokio::test]
    async fn one_request_at_a_time_reserves_one_slot_at_a_time() {
        // A slot reserved and not used would hold every other worker back for nothing.
        let ledger = Arc::new(MemoryLedger::default());
        let politeness = Politeness::shared(limits(1000.0, 10.0), ledger.clone());
        for _ in 0..3 {
            drop(politeness.enter("www.example.gov.cn", Some("192.0.2.9".parse().unwrap()), None).await);
        }
        // Per request: the host (one slot of a millisecond) and the address (one of 100 ms).
        assert_eq!(*ledger.1.lock().unwrap(), vec![1; 6]);
    }

    #[test]
    fn a_reservation_covers_half_a_second_and_at_least_one_request() {
        assert_eq!(slots_per_window(Duration::from_secs(1)), 1);
        assert_eq!(slots_per_window(Duration::from_millis(500)), 1);
        assert_eq!(slots_per_window(Duration::from_millis(50)), 10);
        assert_eq!(slots_per_window(Duration::from_nanos(1)), 1000);
    }
}
