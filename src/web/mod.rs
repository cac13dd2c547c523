//! The HTTP layer (axum): router, shared state, the error type, authentication, pages and the
//! JSON API. Handlers extract, call the service, and respond.

pub mod api;
pub mod assets;
pub mod auth;
pub mod badge;
pub mod error;
pub mod frame;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod shortcut;
pub mod state;
pub mod templates;
pub mod upload;
pub mod view;

use axum::routing::{get, post};
use axum::{Json, Router};

use self::error::{ApiError, HttpError};
use self::pages::{
    accounts, applications, badges, dashboard, home, office_units, outbox, password_reset, print, red_pages, register,
    self_check, session, sightings, site_requests, sites, tipoffs, verify,
};
use self::state::AppState;

/// Every route: the JSON API under `/api`, the pages, the badge endpoints, and the middleware.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/sessions", post(api::login).delete(api::logout))
        .route("/applications", get(api::list).post(api::create))
        .route("/queue", get(api::queue))
        .route("/applications/{id}", get(api::get).put(api::update))
        .route("/applications/{id}/submit", post(api::submit))
        .route("/applications/{id}/review", post(api::review))
        .route("/applications/{id}/paper", post(api::paper))
        .route("/badges/{code}/status", post(api::badge_status))
        .route("/badges/{code}/change", post(api::request_change))
        .route("/badges/{code}/cancel", post(api::request_cancel))
        .route("/badges/{code}/requests", get(api::site_request_list))
        .route("/site-requests/{id}/decision", post(api::decide_site_request))
        .route("/deadline", get(api::deadline))
        .route("/accounts", get(api::accounts).post(api::create_account))
        .route("/accounts/{id}/disabled", post(api::set_account_disabled))
        .fallback(|| async { ApiError(HttpError::not_found()) });

    Router::new()
        .route("/", get(home::home))
        .route("/healthz", get(home::health))
        .route("/readyz", get(metrics::ready))
        .route("/metrics", get(metrics::metrics))
        .route("/static/app.css", get(assets::stylesheet))
        .route("/static/app.js", get(assets::script))
        .route("/static/regions.json", get(assets::regions))
        .route("/badge/{file}", get(badge::asset))
        .route("/badge/{code}/sighting", post(badge::sighting))
        .route("/verify/{file}", get(verify::verify))
        .route("/verify/{code}/report", get(tipoffs::form).post(tipoffs::submit))
        .route("/lookup", get(verify::lookup))
        .route("/sites", get(sites::list))
        .route("/sites.csv", get(sites::download))
        .route("/sightings", get(sightings::list))
        .route("/dashboard", get(dashboard::index))
        .route("/dashboard/sites/{code}", get(dashboard::site))
        .route("/dashboard/sites/{code}/screenshots/{id}", get(dashboard::screenshot))
        .route("/dashboard/download/{file}", get(dashboard::download))
        .route("/red/{code}", get(red_pages::public))
        .route("/portal/red-page", get(red_pages::edit).post(red_pages::save))
        .route("/login", get(session::login_page).post(session::login))
        .route("/logout", post(session::logout))
        .route("/password/reset", get(password_reset::form).post(password_reset::ask))
        .route("/password/reset/confirm", post(password_reset::confirm))
        .route("/portal", get(applications::portal))
        .route("/applications", get(applications::list).post(applications::create))
        .route("/applications/new", get(applications::new_form))
        .route("/applications/{id}", get(applications::detail))
        .route("/applications/{id}/edit", get(applications::edit_form).post(applications::update))
        .route("/applications/{id}/submit", post(applications::submit))
        .route("/applications/{id}/delete", post(applications::delete))
        .route("/applications/{id}/review", post(applications::review))
        .route("/applications/{id}/paper", post(applications::paper))
        .route("/applications/{id}/print", get(print::form))
        .route("/print/letter", get(print::letter))
        .route("/badges/{code}", get(badges::show))
        .route("/badges/{code}/status", post(badges::change_status))
        .route("/badges/{code}/certificate", get(print::certificate))
        .route("/badges/{code}/change", post(site_requests::change))
        .route("/badges/{code}/cancel", post(site_requests::cancel))
        .route("/site-requests/{id}/decision", post(site_requests::decide))
        .route("/self-check", get(self_check::form))
        .route("/self-check/page", post(self_check::check_page))
        .route("/self-check/site", post(self_check::check_site))
        .route("/self-check/runs/{id}", get(self_check::run))
        .route("/self-check/runs/{id}/screenshots/{shot}", get(self_check::run_screenshot))
        .route("/admin/accounts", get(accounts::list).post(accounts::create))
        .route("/admin/accounts/{id}/disabled", post(accounts::set_disabled))
        .route("/admin/accounts/{id}/activate", post(accounts::activate))
        .route(
            "/admin/register",
            get(register::form)
                .post(register::upload)
                .layer(axum::extract::DefaultBodyLimit::max(crate::web::upload::MAX_FILE_BYTES + 64 * 1024)),
        )
        .route("/admin/register/template.csv", get(register::template))
        .route("/office/units", get(office_units::list).post(office_units::create))
        .route("/office/units/{id}/activate", post(office_units::activate))
        .route(
            "/office/units/import",
            post(office_units::import)
                .layer(axum::extract::DefaultBodyLimit::max(crate::web::upload::MAX_FILE_BYTES + 64 * 1024)),
        )
        .route("/admin/outbox", get(outbox::list))
        .route("/admin/outbox/{id}/resend", post(outbox::resend))
        .route("/api/openapi.json", get(|| async { Json(openapi::document()) }))
        .nest("/api/v1", api)
        .fallback(|| async { HttpError::not_found() })
        .layer(frame::FrameLayer::new(state.clone()))
        .with_state(state)
}
