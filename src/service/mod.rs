//! The operations of the service, shared by the HTML pages and the JSON API: each checks who
//! may do it, runs the pure rules and writes through the store in one transaction.

pub mod accounts;
pub mod applications;
pub mod badges;
pub mod enforcement;
pub mod outbox;
pub mod oversight;
pub mod passwords;
pub mod red_pages;
pub mod schedule;
pub mod self_check;
pub mod sweep;
pub mod throttle;

use std::sync::Arc;

use crate::store::Pool;
use tokio::sync::Notify;

use crate::config::Config;
use crate::domain::application::FieldErrors;
use crate::domain::calendar::WorkingCalendar;
use crate::domain::workflow::Denied;
use crate::store::StoreError;

/// Everything an operation needs.
#[derive(Clone)]
pub struct Context {
    pub pool: Pool,
    pub config: Arc<Config>,
    pub calendar: Arc<WorkingCalendar>,
    /// Wakes the outbox sender after a commit that queued messages.
    pub outbox_wake: Arc<Notify>,
    pub throttle: Arc<throttle::LoginThrottle>,
    /// Password hashing on a bounded pool of its own.
    pub passwords: passwords::PasswordHasher,
    /// Fetches and checks pages: self-checks and scheduled checks.
    pub crawler: crate::crawl::Crawler,
    /// Self-check limits per unit: pages per hour, whole sites per day.
    pub self_check_pages: Arc<throttle::KeyedWindow>,
    pub self_check_sites: Arc<throttle::KeyedWindow>,
    /// Public badge data in memory, reloaded after issuance and status changes.
    pub badges: crate::badge::snapshot::BadgeDirectory,
    pub sightings: Arc<crate::badge::sightings::Sightings>,
    /// Mismatch beacons per client address.
    pub beacons: Arc<throttle::KeyedWindow>,
}

impl Context {
    /// Reloads the public badge snapshot after a change committed (logged, never fatal: the
    /// next reload catches up).
    pub async fn refresh_badges(&self) {
        if let Err(error) = self.badges.reload(&self.pool).await {
            tracing::error!(%error, "badge snapshot not reloaded");
        }
    }
}

/// Why an operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("输入有误")]
    Invalid(FieldErrors),
    #[error("{0}")]
    Denied(#[from] Denied),
    #[error("无权访问")]
    Forbidden,
    #[error("未找到")]
    NotFound,
    #[error("该记录已被他人处理或修改，请刷新后重试")]
    Conflict,
    #[error("账号或密码错误")]
    BadCredentials,
    #[error("登录失败次数过多，账号已暂时锁定，请稍后再试")]
    Throttled,
    #[error("登录请求过多，请稍候再试")]
    Busy,
    #[error("{0}")]
    TooMany(&'static str),
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
