//! What every response passes through, in one tower layer: an error page rendered inside the
//! site's layout, the security headers, `Connection: close` after a large request body, and
//! the request's metrics.
//!
//! One hand-written layer instead of three `from_fn` middlewares: each of those cloned and
//! boxed the service under it and boxed its own future, on every request, the badge requests
//! included. Here a request costs a few header clones and one future on the stack; only an
//! error page, which must look up the signed-in user, is rendered in a boxed future of its own.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::response::Response;
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use super::error::ErrorPage;
use super::metrics::method_index;
use super::state::AppState;
use super::{auth, pages};

/// The policy of every page that sets none of its own.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Puts [`Frame`] around a service.
#[derive(Clone)]
pub struct FrameLayer {
    state: AppState,
}

impl FrameLayer {
    /// The layer for the service's state.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

impl<S> Layer<S> for FrameLayer {
    type Service = Frame<S>;

    fn layer(&self, inner: S) -> Frame<S> {
        Frame { inner, state: self.state.clone() }
    }
}

/// A route's service inside the frame every response gets.
#[derive(Clone)]
pub struct Frame<S> {
    inner: S,
    state: AppState,
}

/// What the request said that an error page needs: who is signed in and where they came from.
struct Asked {
    cookie: Option<HeaderValue>,
    referer: Option<HeaderValue>,
    host: Option<HeaderValue>,
}

impl<S> Service<Request> for Frame<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = FrameFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let started = Instant::now();
        // A clone of the router's own `Arc<str>`, not a copy of the path.
        let route = request.extensions().get::<MatchedPath>().cloned();
        let method = method_index(request.method());
        let is_static = request.uri().path().starts_with("/static/");
        let large_body = carries_a_large_body(request.headers());
        // Kept as they came (cheap clones); read only when there is an error page to render.
        let headers = request.headers();
        let asked = Asked {
            cookie: headers.get(header::COOKIE).cloned(),
            referer: headers.get(header::REFERER).cloned(),
            host: headers.get(header::HOST).cloned(),
        };
        FrameFuture {
            inner: self.inner.call(request),
            state: self.state.clone(),
            started,
            route,
            method,
            is_static,
            large_body,
            asked: Some(asked),
            rendering: None,
        }
    }
}

pin_project! {
    /// The response of a [`Frame`]d service.
    pub struct FrameFuture<F> {
        #[pin]
        inner: F,
        state: AppState,
        started: Instant,
        route: Option<MatchedPath>,
        method: usize,
        is_static: bool,
        large_body: bool,
        asked: Option<Asked>,
        rendering: Option<Pin<Box<dyn Future<Output = Response> + Send>>>,
    }
}

impl<F> Future for FrameFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = if let Some(rendering) = this.rendering {
            ready!(rendering.as_mut().poll(cx))
        } else {
            let Ok(response) = ready!(this.inner.poll(cx));
            let page = response.extensions().get::<ErrorPage>().cloned();
            match (page, this.asked.take()) {
                (Some(page), Some(asked)) => {
                    let mut rendering = Box::pin(error_page(this.state.clone(), asked, page, response));
                    let Poll::Ready(response) = rendering.as_mut().poll(cx) else {
                        *this.rendering = Some(rendering);
                        return Poll::Pending;
                    };
                    response
                }
                _ => response,
            }
        };
        dress(&mut response, *this.is_static, *this.large_body);
        let route = this.route.as_ref().map_or("unmatched", MatchedPath::as_str);
        this.state.http_metrics.observe(route, *this.method, response.status().as_u16(), this.started.elapsed());
        Poll::Ready(Ok(response))
    }
}

/// Renders a page's error ([`ErrorPage`] on the response) inside the site's layout, with the
/// signed-in user's navigation and a way back. The JSON API's errors carry no `ErrorPage` and
/// pass unchanged, as does everything else.
async fn error_page(state: AppState, asked: Asked, page: ErrorPage, response: Response) -> Response {
    let mut seen = HeaderMap::new();
    if let Some(cookie) = asked.cookie {
        seen.insert(header::COOKIE, cookie);
    }
    // A link back only to a page of this site.
    let host = asked.host.as_ref().and_then(|h| h.to_str().ok()).map(|h| h.split(':').next().unwrap_or(h).to_owned());
    let back = asked
        .referer
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .filter(|r| r.host_str().is_some() && r.host_str() == host.as_deref())
        .map(|r| r[url::Position::BeforePath..].to_owned());
    let user = auth::session_user(&state, &seen).await.ok().flatten();
    let status = response.status();
    let data = serde_json::json!({
        "title": ErrorPage::title(status), "message": page.message, "fields": page.fields, "back": back,
    });
    match pages::render(&state, user.as_ref(), "error.html", data) {
        Ok(html) => {
            let (mut parts, _) = response.into_parts();
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, axum::body::Body::from(html.0))
        }
        Err(_) => response,
    }
}

/// What the frame adds to a response, whoever made it (a route, or `web::shortcut` without
/// one): the security headers, and `Connection: close` after a large request body.
pub fn dress(response: &mut Response, is_static: bool, large_body: bool) {
    security_headers(response.headers_mut(), is_static);
    if large_body {
        // The body may have been left unread (413 over the limit, a redirect to the login
        // page before an upload was read): then the connection cannot be reused, and the
        // client must be told so before it sends its next request on it. Large bodies are
        // rare uploads; a new connection after each costs nothing worth keeping.
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
}

/// A request body bigger than a server reads ahead to keep a connection open (declared over
/// 64 KiB, or chunked and of unknown length).
pub fn carries_a_large_body(headers: &HeaderMap) -> bool {
    const LARGE: u64 = 64 * 1024;
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|length| length > LARGE)
}

/// Headers on every response: no sniffing, no framing, a strict CSP, and no caching of pages
/// that may carry personal data.
fn security_headers(h: &mut HeaderMap, is_static: bool) {
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    // A page with a policy of its own (the hosted red page) keeps it.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    }
    if !is_static && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}
