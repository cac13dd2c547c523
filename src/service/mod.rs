//! The operations of the service, shared by the HTML pages and the JSON API: each checks who
//! may do it, runs the pure rules and writes through the store in one transaction.

pub mod account_lists;
pub mod accounts;
pub mod application_lists;
pub mod applications;
pub mod badges;
pub mod enforcement;
pub mod outbox;
pub mod oversight;
pub mod page_spool;
pub mod paging;
pub mod password_reset;
pub mod passwords;
pub mod public_sites;
pub mod red_pages;
pub mod register;
pub mod schedule;
pub mod self_check;
pub mod site_requests;
pub mod sweep;
pub mod throttle;
pub mod tipoffs;
pub mod turns;
pub mod worker;

use std::sync::Arc;

use crate::store::Pool;
use tokio::sync::Notify;

use crate::config::Config;
use crate::domain::application::FieldErrors;
use crate::domain::calendar::WorkingCalendar;
use crate::domain::workflow::Denied;
use crate::store::StoreError;

/// Uploaded files held in memory at once, 20 MB each at most; the others wait for a turn
/// (`Context::upload_turns`).
pub const UPLOADS_AT_ONCE: usize = 4;

/// Everything an operation needs.
#[derive(Clone)]
pub struct Context {
    /// The database.
    pub pool: Pool,
    /// The configuration, read once at start-up.
    pub config: Arc<Config>,
    /// The working-day calendar, for deadlines.
    pub calendar: Arc<WorkingCalendar>,
    /// Wakes the outbox sender after a commit that queued messages.
    pub outbox_wake: Arc<Notify>,
    /// Failed-login counts per account and address.
    pub throttle: Arc<throttle::LoginThrottle>,
    /// Password hashing on a bounded pool of its own.
    pub passwords: passwords::PasswordHasher,
    /// Fetches and checks pages: self-checks and scheduled checks.
    pub crawler: crate::crawl::Crawler,
    /// Self-check limits per unit: pages per hour, whole sites per day.
    pub self_check_pages: Arc<throttle::SharedWindow>,
    /// Whole-site self-checks per unit and day.
    pub self_check_sites: Arc<throttle::SharedWindow>,
    /// Dashboard views recently counted.
    pub dashboards: Arc<oversight::DashboardCache>,
    /// Public badge data in memory, reloaded after issuance and status changes.
    pub badges: crate::badge::snapshot::BadgeDirectory,
    /// Hosts seen carrying each badge.
    pub sightings: Arc<crate::badge::sightings::Sightings>,
    /// Mismatch beacons per client address.
    pub beacons: Arc<throttle::KeyedWindow>,
    /// The public list's CSV downloads, made one at a time.
    pub csv_turns: turns::Turns,
    /// Uploaded files (register and account files, 20 MB at most) held in memory at once:
    /// [`UPLOADS_AT_ONCE`].
    pub upload_turns: turns::Turns,
    /// Public reports (举报) per client address and hour.
    pub tipoffs: Arc<throttle::SharedWindow>,
    /// Password reset codes asked per account and per address, by the hour.
    pub password_resets: Arc<throttle::SharedWindow>,
    /// This instance among those sharing the database (host, process, a random part): the
    /// holder named in its leases.
    pub instance: Arc<str>,
    /// The runtime that runs work outliving the request that started it (a whole-site
    /// self-check): the service's main runtime, not the thread serving the connection
    /// (`app::http`).
    pub background: tokio::runtime::Handle,
}

impl Context {
    /// Reloads the public badge snapshot after a change committed, and tells the other
    /// instances sharing the database to do the same (logged, never fatal: the periodic
    /// reconcile catches up).
    pub async fn refresh_badges(&self) {
        if let Err(error) = self.badges.reload(&self.pool).await {
            tracing::error!(%error, "badge snapshot not reloaded");
        }
        if let Err(error) = crate::store::badges::announce_change(&self.pool, &self.instance).await {
            tracing::error!(%error, "badge change not announced to the other instances");
        }
    }
}

/// Why an operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Fields are missing or malformed; each field's message.
    #[error("输入有误")]
    Invalid(FieldErrors),
    /// The workflow does not allow the step.
    #[error("{0}")]
    Denied(#[from] Denied),
    /// The actor may not do this.
    #[error("无权访问")]
    Forbidden,
    /// No such record (or not one the actor may see).
    #[error("未找到")]
    NotFound,
    /// Someone else changed the record first.
    #[error("该记录已被他人处理或修改，请刷新后重试")]
    Conflict,
    /// The name or password is wrong.
    #[error("账号或密码错误")]
    BadCredentials,
    /// Too many failed logins for the account.
    #[error("登录失败次数过多，账号已暂时锁定，请稍后再试")]
    Throttled,
    /// The password hashing queue is full.
    #[error("登录请求过多，请稍候再试")]
    Busy,
    /// A rate limit was reached; the message says which.
    #[error("{0}")]
    TooMany(&'static str),
    /// An unexpected failure (database, I/O); logged, never shown in detail.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => ServiceError::Conflict,
            StoreError::NotFound => ServiceError::NotFound,
            other => ServiceError::Internal(other.into()),
        }
    }
}

impl From<crate::report::ReportError> for ServiceError {
    fn from(e: crate::report::ReportError) -> Self {
        match e {
            crate::report::ReportError::Store(store) => store.into(),
            other => ServiceError::Internal(other.into()),
        }
    }
}

impl From<sqlx::Error> for ServiceError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::from(e).into()
    }
}

/// A single-field validation error.
pub fn field_error(field: &'static str, message: &str) -> ServiceError {
    ServiceError::Invalid(FieldErrors::from([(field, message.to_owned())]))
}
