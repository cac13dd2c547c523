//! Observability endpoints: `/metrics` in the Prometheus text format (requests by route and
//! status, latency histograms, the outbox, sweeps under way, the badge snapshot) and
//! `/readyz` (the database answers). `/healthz` (the process answers) is in `pages::home`.
//!
//! `/metrics` is answered only to a bearer of `server.metrics_token`; without one configured
//! it does not exist (404), so nothing internal is public by default.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::state::AppState;
use crate::per_thread::PerThread;

/// Upper bounds (seconds) of the latency histogram's buckets.
const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

/// How long `/readyz` waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// Methods with series of their own; anything else is `OTHER` (a client can send any token
/// as a method: it must not make series without end).
const METHODS: [&str; 8] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "OTHER"];

/// Status codes counted one by one (100-599); others count as 599.
const STATUS_FIRST: u16 = 100;
const STATUS_LAST: u16 = 599;

/// The counters of one route and method: plain atomics, no lock or allocation per request.
struct Series {
    /// Answers by status code, from [`STATUS_FIRST`].
    statuses: Box<[AtomicU64]>,
    /// Requests per latency bucket (the last is +Inf).
    buckets: [AtomicU64; BUCKETS.len() + 1],
    /// Total latency, microseconds.
    sum_micros: AtomicU64,
}

impl Default for Series {
    fn default() -> Self {
        Self {
            statuses: (STATUS_FIRST..=STATUS_LAST).map(|_| AtomicU64::new(0)).collect(),
            buckets: Default::default(),
            sum_micros: AtomicU64::new(0),
        }
    }
}

/// A route's series, one per method, made on first use.
#[derive(Default)]
struct RouteSeries {
    by_method: [OnceLock<Series>; METHODS.len()],
}

/// Requests served, by route template (`/badge/{file}`, never the raw path: the label set
/// stays as small as the router) and method. Each thread serving connections counts in its
/// own `Counters` (no memory written by two threads per request); `/metrics` sums them.
#[derive(Default)]
pub struct HttpMetrics(PerThread<Counters>);

/// One thread's counters, by route and method.
#[derive(Default)]
struct Counters {
    routes: RwLock<HashMap<String, Arc<RouteSeries>>>,
}

/// One route and method's counts, summed over the threads.
struct Totals {
    statuses: Vec<u64>,
    buckets: [u64; BUCKETS.len() + 1],
    sum_micros: u64,
}

impl Totals {
    fn add(&mut self, series: &Series) {
        for (total, n) in self.statuses.iter_mut().zip(series.statuses.iter()) {
            *total += n.load(Ordering::Relaxed);
        }
        for (total, n) in self.buckets.iter_mut().zip(&series.buckets) {
            *total += n.load(Ordering::Relaxed);
        }
        self.sum_micros += series.sum_micros.load(Ordering::Relaxed);
    }
}

impl Default for Totals {
    fn default() -> Self {
        Self {
            statuses: vec![0; usize::from(STATUS_LAST - STATUS_FIRST) + 1],
            buckets: [0; BUCKETS.len() + 1],
            sum_micros: 0,
        }
    }
}

impl HttpMetrics {
    /// Counters for another thread, counted with these in `/metrics`.
    pub fn for_another_thread(&self) -> Self {
        Self(self.0.for_another_thread())
    }

    /// Counts one answered request (`method`: an index into `METHODS`).
    pub fn observe(&self, route: &str, method: usize, status: u16, elapsed: Duration) {
        let routes = self.0.own().routes.read().expect("metrics lock");
        if let Some(route) = routes.get(route) {
            Self::count(route, method, status, elapsed);
            return;
        }
        drop(routes);
        let route = self.0.own().routes.write().expect("metrics lock").entry(route.to_owned()).or_default().clone();
        Self::count(&route, method, status, elapsed);
    }

    fn count(route: &RouteSeries, method: usize, status: u16, elapsed: Duration) {
        let series = route.by_method[method.min(METHODS.len() - 1)].get_or_init(Series::default);
        let seconds = elapsed.as_secs_f64();
        let bucket = BUCKETS.iter().position(|&b| seconds <= b).unwrap_or(BUCKETS.len());
        series.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        series.sum_micros.fetch_add(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
        let status = status.clamp(STATUS_FIRST, STATUS_LAST);
        series.statuses[usize::from(status - STATUS_FIRST)].fetch_add(1, Ordering::Relaxed);
    }

    /// Every thread's counts, summed, by route and then method.
    fn totals(&self) -> BTreeMap<(String, usize), Totals> {
        let mut totals = BTreeMap::<(String, usize), Totals>::new();
        for counters in self.0.every() {
            for (name, route) in counters.routes.read().expect("metrics lock").iter() {
                for (method, series) in route.by_method.iter().enumerate() {
                    if let Some(series) = series.get() {
                        totals.entry((name.clone(), method)).or_default().add(series);
                    }
                }
            }
        }
        totals
    }

    /// The counters in the Prometheus text format.
    fn render(&self, out: &mut String) {
        let series: Vec<(String, Totals)> = self
            .totals()
            .into_iter()
            .map(|((name, method), totals)| {
                (format!("route=\"{}\",method=\"{}\"", label(&name), METHODS[method]), totals)
            })
            .collect();
        out.push_str("# HELP govbadge_http_requests_total Requests answered, by route, method and status.\n");
        out.push_str("# TYPE govbadge_http_requests_total counter\n");
        for (labels, s) in &series {
            for (status, &n) in (STATUS_FIRST..).zip(&s.statuses) {
                if n > 0 {
                    let _ = writeln!(out, "govbadge_http_requests_total{{{labels},status=\"{status}\"}} {n}");
                }
            }
        }
        out.push_str("# HELP govbadge_http_request_duration_seconds Time to answer, by route and method.\n");
        out.push_str("# TYPE govbadge_http_request_duration_seconds histogram\n");
        for (labels, s) in &series {
            let mut cumulative = 0;
            for (i, n) in s.buckets.iter().enumerate() {
                cumulative += n;
                let le = BUCKETS.get(i).map_or_else(|| "+Inf".to_owned(), f64::to_string);
                let _ =
                    writeln!(out, "govbadge_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {cumulative}");
            }
            let sum = s.sum_micros as f64 / 1e6;
            let _ = writeln!(out, "govbadge_http_request_duration_seconds_sum{{{labels}}} {sum}");
            let _ = writeln!(out, "govbadge_http_request_duration_seconds_count{{{labels}}} {cumulative}");
        }
    }
}

/// A label value with `\`, `"` and line ends escaped, as the text format asks.
fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// The method's index in `METHODS` (the last, "other", for any method not listed).
pub fn method_index(method: &axum::http::Method) -> usize {
    METHODS.iter().position(|m| *m == method.as_str()).unwrap_or(METHODS.len() - 1)
}

/// `GET /metrics`: for the bearer of `server.metrics_token` only.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = state.ctx.config.server.metrics_token.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !crate::service::accounts::constant_time_eq(given.as_bytes(), token.as_bytes()) {
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "unauthorized\n").into_response();
    }
    let mut out = String::with_capacity(16 * 1024);
    state.http_metrics.render(&mut out);
    let snapshot = state.ctx.badges.current();
    out.push_str("# HELP govbadge_badges_published Badges in the public snapshot.\n");
    out.push_str("# TYPE govbadge_badges_published gauge\n");
    let _ = writeln!(out, "govbadge_badges_published {}", snapshot.len());
    let _ = writeln!(out, "# HELP govbadge_badge_snapshot_generation Reloads of the public snapshot.");
    let _ = writeln!(out, "# TYPE govbadge_badge_snapshot_generation counter");
    let _ = writeln!(out, "govbadge_badge_snapshot_generation {}", snapshot.generation);
    let pool = &state.ctx.pool;
    let database_up = match database_gauges(pool, &mut out).await {
        Ok(()) => 1,
        Err(error) => {
            tracing::warn!(%error, "metrics: database gauges unavailable");
            0
        }
    };
    out.push_str("# HELP govbadge_database_up Whether the database answered this scrape.\n");
    out.push_str("# TYPE govbadge_database_up gauge\n");
    let _ = writeln!(out, "govbadge_database_up {database_up}");
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], out)
        .into_response()
}

async fn database_gauges(pool: &crate::store::Pool, out: &mut String) -> Result<(), crate::store::StoreError> {
    let outbox = crate::store::gauges::outbox(pool).await?;
    let sweeps = crate::store::gauges::running_sweeps(pool).await?;
    out.push_str("# HELP govbadge_outbox_messages Notices in the outbox, by state.\n");
    out.push_str("# TYPE govbadge_outbox_messages gauge\n");
    for (state, n) in
        [("pending", outbox.pending), ("retrying", outbox.retrying), ("sent", outbox.sent), ("failed", outbox.failed)]
    {
        let _ = writeln!(out, "govbadge_outbox_messages{{state=\"{state}\"}} {n}");
    }
    out.push_str("# HELP govbadge_sweeps_running Sweeps under way.\n");
    out.push_str("# TYPE govbadge_sweeps_running gauge\n");
    let _ = writeln!(out, "govbadge_sweeps_running {}", sweeps.len());
    out.push_str("# HELP govbadge_sweep_sites Sites of a sweep under way: its total and those done.\n");
    out.push_str("# TYPE govbadge_sweep_sites gauge\n");
    for s in &sweeps {
        let labels = format!("sweep=\"{}\",kind=\"{}\"", s.id, label(&s.kind));
        let _ = writeln!(out, "govbadge_sweep_sites{{{labels},state=\"total\"}} {}", s.sites_total);
        let _ = writeln!(out, "govbadge_sweep_sites{{{labels},state=\"done\"}} {}", s.sites_done);
    }
    out.push_str("# HELP govbadge_sweep_pages Pages recorded by a sweep under way.\n");
    out.push_str("# TYPE govbadge_sweep_pages gauge\n");
    for s in &sweeps {
        let _ =
            writeln!(out, "govbadge_sweep_pages{{sweep=\"{}\",kind=\"{}\"}} {}", s.id, label(&s.kind), s.pages_done);
    }
    let now = chrono::Utc::now();
    let holders = crate::store::sweep_claims::holders(pool, now).await?;
    out.push_str("# HELP govbadge_worker_sites_claimed Sites a sweep worker holds under a lease now.\n");
    out.push_str("# TYPE govbadge_worker_sites_claimed gauge\n");
    for (worker, sites, _) in &holders {
        let _ = writeln!(out, "govbadge_worker_sites_claimed{{worker=\"{}\"}} {sites}", label(worker));
    }
    out.push_str("# HELP govbadge_worker_lease_seconds_left Seconds until a worker's lease runs out unrenewed.\n");
    out.push_str("# TYPE govbadge_worker_lease_seconds_left gauge\n");
    for (worker, _, until) in &holders {
        let left = (*until - now).num_milliseconds() as f64 / 1000.0;
        let _ = writeln!(out, "govbadge_worker_lease_seconds_left{{worker=\"{}\"}} {left:.1}", label(worker));
    }
    Ok(())
}

/// `GET /readyz`: 200 when the database answers within two seconds, else 503 (a load
/// balancer takes the instance out of rotation). Public, and says nothing more.
pub async fn ready(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(READY_TIMEOUT, crate::store::gauges::ping(&state.ctx.pool)).await {
        Ok(Ok(())) => (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")], "ready\n").into_response(),
        Ok(Err(error)) => {
            tracing::warn!(%error, "not ready: the database did not answer");
            (StatusCode::SERVICE_UNAVAILABLE, [(header::CACHE_CONTROL, "no-store")], "database unavailable\n")
                .into_response()
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, [(header::CACHE_CONTROL, "no-store")], "database timed out\n")
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_fall_in_cumulative_buckets_and_labels_are_escaped() {
        let metrics = HttpMetrics::default();
        metrics.observe("/badge/{file}", 0, 200, Duration::from_micros(300));
        metrics.observe("/badge/{file}", 0, 200, Duration::from_millis(3));
        metrics.observe("/badge/{file}", 0, 404, Duration::from_secs(9));
        metrics.observe("/odd\"route", 0, 200, Duration::from_micros(1));
        metrics.observe("/odd\"route", 7, 1000, Duration::from_micros(1));
        let mut out = String::new();
        metrics.render(&mut out);
        assert!(out.contains("govbadge_http_requests_total{route=\"/badge/{file}\",method=\"GET\",status=\"200\"} 2\n"));
        assert!(out.contains("govbadge_http_requests_total{route=\"/badge/{file}\",method=\"GET\",status=\"404\"} 1\n"));
        let bucket = |le: &str| {
            format!("govbadge_http_request_duration_seconds_bucket{{route=\"/badge/{{file}}\",method=\"GET\",le=\"{le}\"}} ")
        };
        assert!(out.contains(&format!("{}1\n", bucket("0.0005"))), "{out}");
        assert!(out.contains(&format!("{}1\n", bucket("0.0025"))));
        assert!(out.contains(&format!("{}2\n", bucket("0.005"))));
        assert!(out.contains(&format!("{}2\n", bucket("5"))));
        assert!(out.contains(&format!("{}3\n", bucket("+Inf"))));
        assert!(
            out.contains("govbadge_http_request_duration_seconds_count{route=\"/badge/{file}\",method=\"GET\"} 3\n")
        );
        assert!(out.contains("route=\"/odd\\\"route\""), "{out}");
        assert!(out.contains("route=\"/odd\\\"route\",method=\"OTHER\",status=\"599\"} 1\n"), "{out}");
    }

    #[test]
    fn every_thread_s_counts_are_summed() {
        let first = HttpMetrics::default();
        let second = first.for_another_thread();
        first.observe("/badge/{file}", 0, 200, Duration::from_micros(300));
        second.observe("/badge/{file}", 0, 200, Duration::from_millis(3));
        second.observe("/verify/{file}", 0, 404, Duration::from_millis(3));
        for metrics in [&first, &second] {
            let mut out = String::new();
            metrics.render(&mut out);
            assert!(
                out.contains("govbadge_http_requests_total{route=\"/badge/{file}\",method=\"GET\",status=\"200\"} 2\n"),
                "{out}"
            );
            assert!(out
                .contains("govbadge_http_requests_total{route=\"/verify/{file}\",method=\"GET\",status=\"404\"} 1\n"));
            assert!(
                out.contains(
                    "govbadge_http_request_duration_seconds_sum{route=\"/badge/{file}\",method=\"GET\"} 0.0033\n"
                ),
                "{out}"
            );
            // One series per route and method, not one per thread.
            assert_eq!(out.matches("govbadge_http_request_duration_seconds_count{route=\"/badge/{file}\"").count(), 1);
        }
    }
}
