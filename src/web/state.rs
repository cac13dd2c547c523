//! State of the web layer: the service context and the compiled templates, behind one `Arc`.
//! Every extractor and middleware clones the state per request: one reference count, not one
//! per field of the context (measured: those clones and drops were a fifth of the badge
//! endpoint's CPU time).
//!
//! Each thread that serves connections (`app::http`) has a state of its own
//! ([`AppState::for_another_thread`]): the same context, templates and metrics, but its own
//! reference count, badge snapshot hold, asset cache, request counters and badge sightings
//! table, so that a badge request writes to no memory another thread writes to.

use std::sync::{Arc, MutexGuard};

use minijinja::Environment;

use crate::badge::snapshot::{LocalSnapshot, Snapshot};
use crate::service::Context;

/// What every handler shares (cheap to clone).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The state's contents.
pub struct Shared {
    /// The service context.
    pub ctx: Context,
    /// The page templates.
    pub templates: Arc<Environment<'static>>,
    /// This thread's rendered and compressed badge scripts and images, and verification pages.
    pub assets: crate::badge::assets::AssetCache,
    /// This thread's hold on the public badge snapshot.
    badges: LocalSnapshot,
    /// Requests served: this thread's counters, and every thread's for `/metrics`.
    pub http_metrics: super::metrics::HttpMetrics,
}

impl AppState {
    /// The state of a service context and its templates, with an empty asset cache.
    pub fn new(ctx: Context, templates: Environment<'static>) -> Self {
        Self(Arc::new(Shared {
            ctx,
            templates: Arc::new(templates),
            assets: crate::badge::assets::AssetCache::default(),
            badges: LocalSnapshot::default(),
            http_metrics: super::metrics::HttpMetrics::default(),
        }))
    }

    /// The state for another thread serving connections: the same context, templates and
    /// metrics; its own asset cache, snapshot hold, request counters and sightings table.
    pub fn for_another_thread(&self) -> Self {
        let mut ctx = self.ctx.clone();
        ctx.sightings = Arc::new(self.ctx.sightings.for_another_thread());
        Self(Arc::new(Shared {
            ctx,
            templates: self.templates.clone(),
            assets: crate::badge::assets::AssetCache::default(),
            badges: LocalSnapshot::default(),
            http_metrics: self.http_metrics.for_another_thread(),
        }))
    }

    /// The public badge snapshot in force, through this thread's hold on it (drop the guard
    /// before any `.await`).
    pub fn badges(&self) -> MutexGuard<'_, Arc<Snapshot>> {
        self.badges.get(&self.ctx.badges)
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
