//! Building the service from its configuration and running it: the database, the calendar,
//! the outbox sender and the HTTP listener. Tests call [`build`] and [`run_on`] directly.

mod badge_sync;
pub mod demo;
pub mod http;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::config::Config;
use crate::domain::calendar::WorkingCalendar;
use crate::notify::sender::Sender;
use crate::service::throttle::{KeyedWindow, LoginThrottle, SharedWindow};
use crate::service::Context;

/// Public reports (举报) accepted per client address and hour.
const TIPOFFS_PER_HOUR: u32 = 5;

/// Password reset codes sent per account, and asked per client address, each hour.
const RESETS_PER_HOUR: u32 = 5;
use crate::web::state::AppState;

/// Installs the log subscriber on stderr: JSON lines when `GOVBADGE_LOG_FORMAT=json`, text otherwise, filtered by `RUST_LOG` (default `info,sqlx=warn`).
pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let json = std::env::var("GOVBADGE_LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}

/// Connects, migrates and assembles the service context.
pub async fn build(config: Config) -> anyhow::Result<Context> {
    let pool = crate::store::connect(&config.database.effective_url(), config.database.max_connections).await?;
    let calendar = WorkingCalendar::embedded()?;
    let years: Vec<i32> = calendar.known_years().collect();
    tracing::info!(?years, "working-day calendar loaded");
    let auth = &config.auth;
    let throttle = LoginThrottle::new(
        pool.clone(),
        Duration::from_secs(auth.failure_window_minutes * 60),
        auth.max_failures_per_account,
        auth.max_failures_per_address,
    );
    let badge_base = config.badge.base_url.url().clone();
    let crawler = crate::crawl::Crawler::new(&config.crawl, badge_base)?;
    let limits = &config.self_check;
    let badges = crate::badge::snapshot::BadgeDirectory::default();
    let loading = std::time::Instant::now();
    badges.reload(&pool).await?;
    tracing::info!(
        badges = badges.current().len(),
        heap_bytes = badges.current().heap_bytes(),
        elapsed_ms = loading.elapsed().as_millis() as u64,
        "badge snapshot loaded"
    );
    Ok(Context {
        badges,
        sightings: Default::default(),
        dashboards: Default::default(),
        csv_turns: Default::default(),
        upload_turns: crate::service::turns::Turns::new(crate::service::UPLOADS_AT_ONCE),
        beacons: Arc::new(KeyedWindow::new(Duration::from_secs(60), config.badge.beacons_per_minute)),
        tipoffs: Arc::new(SharedWindow::new(pool.clone(), "tipoffs", Duration::from_secs(3600), TIPOFFS_PER_HOUR)),
        password_resets: Arc::new(SharedWindow::new(
            pool.clone(),
            "password_resets",
            Duration::from_secs(3600),
            RESETS_PER_HOUR,
        )),
        crawler,
        self_check_pages: Arc::new(SharedWindow::new(
            pool.clone(),
            "self_check_pages",
            Duration::from_secs(3600),
            limits.page_checks_per_hour,
        )),
        self_check_sites: Arc::new(SharedWindow::new(
            pool.clone(),
            "self_check_sites",
            Duration::from_secs(86_400),
            limits.site_checks_per_day,
        )),
        pool,
        calendar: Arc::new(calendar),
        outbox_wake: Arc::new(Notify::new()),
        throttle: Arc::new(throttle),
        passwords: crate::service::passwords::PasswordHasher::for_this_machine(),
        config: Arc::new(config),
        instance: instance_name().into(),
        background: tokio::runtime::Handle::current(),
    })
}

/// A name for this instance (or worker) that no other running one has: host, process id,
/// random.
pub fn instance_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    format!("{}-{}-{:08x}", host.trim(), std::process::id(), rand::random::<u32>())
}

/// Starts the outbox sender and serves HTTP on `listener` until the future is dropped or a
/// shutdown signal arrives.
pub async fn run_on(ctx: Context, listener: TcpListener, shutdown_on_signal: bool) -> anyhow::Result<()> {
    let sender = Sender::new(ctx.pool.clone(), &ctx.config, ctx.outbox_wake.clone())?;
    let sender_task = tokio::spawn(sender.run());
    let schedule_task = tokio::spawn(crate::service::schedule::run(ctx.clone()));
    let sightings_task = tokio::spawn(flush_sightings(ctx.clone()));
    let badge_sync_task = tokio::spawn(badge_sync::follow_badge_changes(ctx.clone()));
    let templates = crate::web::templates::environment_for(&ctx.config);
    let state = AppState::new(ctx, templates);
    let app_for_a_thread = || {
        let state = state.for_another_thread();
        let router = crate::web::router(state.clone());
        let shortcut: http::Shortcut = Arc::new(move |request| crate::web::shortcut::answer(&state, request));
        http::ThreadApp { router, shortcut: Some(shortcut) }
    };
    let result = if shutdown_on_signal {
        http::serve(listener, app_for_a_thread, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
    } else {
        http::serve(listener, app_for_a_thread, std::future::pending()).await
    };
    sender_task.abort();
    schedule_task.abort();
    sightings_task.abort();
    badge_sync_task.abort();
    result
}

/// Writes the badge sightings counted in memory every few seconds.
async fn flush_sightings(ctx: Context) {
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        if let Err(error) = ctx.sightings.flush(&ctx.pool).await {
            tracing::error!(%error, "sightings not written");
        }
    }
}

/// `govbadge serve`.
pub async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    let bind = config.server.bind;
    let ctx = build(config).await?;
    if demo {
        match demo::load(&ctx).await? {
            Some(logins) => {
                println!("{logins}");
            }
            None => println!("数据库已有数据，未重复加载演示数据（demo data not loaded: the database is not empty）。"),
        }
    }
    let listener = TcpListener::bind(&bind).await?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "govbadge listening");
    println!("govbadge 已启动：http://{addr}/");
    run_on(ctx, listener, true).await
}
