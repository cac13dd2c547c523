//! Shared state of the web layer: the service context and the compiled templates, behind one
//! `Arc`. Every extractor and middleware clones the state per request: one reference count,
//! not one per field of the context (measured: those clones and drops were a fifth of the
//! badge endpoint's CPU time).

use std::sync::Arc;

use minijinja::Environment;

use crate::service::Context;

/// What every handler shares (cheap to clone).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The state's contents.
pub struct Shared {
    /// The service context.
    pub ctx: Context,
    /// The page templates.
    pub templates: Environment<'static>,
    /// Rendered and compressed badge scripts and images, and verification pages.
    pub assets: crate::badge::assets::AssetCache,
    /// Requests served, for `/metrics`.
    pub http_metrics: super::metrics::HttpMetrics,
}

impl AppState {
    /// The state of a service context and its templates, with an empty asset cache.
    pub fn new(ctx: Context, templates: Environment<'static>) -> Self {
        Self(Arc::new(Shared {
            ctx,
            templates,
            assets: crate::badge::assets::AssetCache::default(),
            http_metrics: super::metrics::HttpMetrics::default(),
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
