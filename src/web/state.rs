//! Shared state of the web layer: the service context and the compiled templates.

use std::sync::Arc;

use minijinja::Environment;

use crate::service::Context;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The service context.
    pub ctx: Context,
    /// The page templates.
    pub templates: Arc<Environment<'static>>,
    /// Rendered and compressed badge scripts and images.
    pub assets: Arc<crate::badge::assets::AssetCache>,
}
