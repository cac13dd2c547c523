//! Who is asking: session cookies for pages (with a CSRF token per session, checked on every
//! form), bearer tokens for the API, and the anonymous login form's double-submit cookie.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

use axum::extract::{ConnectInfo, FromRef, FromRequest, FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::de::DeserializeOwned;

use super::error::{ApiError, HttpError};
use super::state::AppState;
use crate::domain::account::{Actor, Role};
use crate::domain::badge::SiteCode;
use crate::service::accounts;
use crate::store::accounts::Account;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "govbadge_session";
/// The cookie carrying the login form's CSRF token (before any session exists).
pub const LOGIN_CSRF_COOKIE: &str = "govbadge_login_csrf";

/// A signed-in user of the pages.
#[derive(Clone)]
pub struct SessionUser {
    /// The account signed in.
    pub account: Account,
    /// The session's CSRF token, put in every form.
    pub csrf: String,
    /// The session token (to end the session).
    pub token: String,
}

impl SessionUser {
    /// The account as the workflow's rules see it.
    pub fn actor(&self) -> Actor {
        self.account.actor()
    }
}

/// The value of cookie `name` in the request, if present.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax`, `Secure` when asked, expiring after `max_age` seconds if given.
pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> HeaderValue {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie).expect("cookie values are base64url")
}

/// The signed-in user, if any.
pub struct MaybeUser(pub Option<SessionUser>);

impl<S> FromRequestParts<S> for MaybeUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, HttpError> {
        if let Some(user) = parts.extensions.get::<SessionUser>() {
            return Ok(MaybeUser(Some(user.clone())));
        }
        let user = session_user(&AppState::from_ref(state), &parts.headers).await?;
        if let Some(u) = &user {
            parts.extensions.insert(u.clone());
        }
        Ok(MaybeUser(user))
    }
}

/// The live session of the request's session cookie, if any.
pub async fn session_user(state: &AppState, headers: &HeaderMap) -> Result<Option<SessionUser>, HttpError> {
    let Some(token) = cookie_value(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let found = accounts::session(&state.ctx, &token).await?;
    Ok(found.map(|(account, csrf)| SessionUser { account, csrf, token }))
}

/// A signed-in user; anonymous requests are sent to the login page.
pub struct User(pub SessionUser);

/// To the login page, which returns to `next` (the page asked for) after signing in.
pub struct LoginRedirect {
    /// The local path to return to.
    pub next: Option<String>,
}

impl IntoResponse for LoginRedirect {
    fn into_response(self) -> Response {
        match self.next.as_deref().filter(|n| is_local_path(n) && *n != "/") {
            Some(next) => {
                let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
                Redirect::to(&format!("/login?{query}")).into_response()
            }
            None => Redirect::to("/login").into_response(),
        }
    }
}

/// A path of this site (`/…`, not `//host` nor a backslash trick), safe to redirect to.
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') && path.len() <= 2000
}

/// Why a page for signed-in users was not served.
pub enum UserRejection {
    /// Not signed in; the page that was asked for.
    Login(Option<String>),
    /// The session could not be read.
    Error(HttpError),
}

impl IntoResponse for UserRejection {
    fn into_response(self) -> Response {
        match self {
            UserRejection::Login(next) => LoginRedirect { next }.into_response(),
            UserRejection::Error(e) => e.into_response(),
        }
    }
}

impl<S> FromRequestParts<S> for User
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = UserRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, UserRejection> {
        match MaybeUser::from_request_parts(parts, state).await {
            Ok(MaybeUser(Some(user))) => Ok(User(user)),
            Ok(MaybeUser(None)) => {
                // Only a page a GET can show again is worth returning to.
                let next = (parts.method == axum::http::Method::GET)
                    .then(|| parts.uri.path_and_query().map(|p| p.as_str().to_owned()))
                    .flatten();
                Err(UserRejection::Login(next))
            }
            Err(e) => Err(UserRejection::Error(e)),
        }
    }
}

/// A form with no fields but its CSRF token (a button: log out, resend).
#[derive(serde::Deserialize)]
pub struct NoFields {}

/// A form posted by a signed-in user, with its CSRF token checked against the session.
pub struct CsrfForm<T> {
    /// Who posted it.
    pub user: SessionUser,
    /// The form's fields.
    pub form: T,
}

impl<S, T> FromRequest<S> for CsrfForm<T>
where
    AppState: FromRef<S>,
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = UserRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, UserRejection> {
        let (mut parts, body) = req.into_parts();
        let User(user) = User::from_request_parts(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, 256 * 1024)
            .await
            .map_err(|_| UserRejection::Error(HttpError::new(StatusCode::PAYLOAD_TOO_LARGE, "提交的内容过大")))?;
        let token = form_field(&bytes, "csrf");
        if !token.is_some_and(|t| constant_time_eq(t.as_bytes(), user.csrf.as_bytes())) {
            tracing::warn!(account.id = user.account.id, "form refused: CSRF token missing or wrong");
            return Err(UserRejection::Error(HttpError::new(
                StatusCode::FORBIDDEN,
                "页面已过期或请求来源无效，请刷新页面后重试",
            )));
        }
        let form = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| UserRejection::Error(HttpError::new(StatusCode::BAD_REQUEST, "提交的内容格式不正确")))?;
        Ok(CsrfForm { user, form })
    }
}

/// A urlencoded form posted without a session (the login form). A body over the limit or one
/// that does not parse gets the error page, not axum's plain-text rejection.
pub struct PageForm<T>(pub T);

/// Bytes a sessionless form may post.
const PAGE_FORM_LIMIT: usize = 64 * 1024;

impl<S, T> FromRequest<S> for PageForm<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = HttpError;

    async fn from_request(req: Request, _: &S) -> Result<Self, HttpError> {
        let bytes = axum::body::to_bytes(req.into_body(), PAGE_FORM_LIMIT)
            .await
            .map_err(|_| HttpError::new(StatusCode::PAYLOAD_TOO_LARGE, "提交的内容过大"))?;
        serde_urlencoded::from_bytes(&bytes)
            .map(PageForm)
            .map_err(|_| HttpError::new(StatusCode::BAD_REQUEST, "提交的内容格式不正确"))
    }
}

/// A site's code in the path, parsed at the edge (a govbadge code with its check character
/// verified, or a national legacy code); anything else is the 404 page.
pub struct CodePath(pub SiteCode);

impl<S: Send + Sync> FromRequestParts<S> for CodePath {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, HttpError> {
        let axum::extract::Path(text) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| HttpError::not_found())?;
        SiteCode::parse(&text).map(CodePath).ok_or_else(HttpError::not_found)
    }
}

/// One field of a urlencoded body.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

pub use crate::service::accounts::constant_time_eq;

/// A sessionless form's CSRF token (login, 举报, 找回密码): a fresh token for the form, and the
/// `Set-Cookie` that carries the same token for an hour (double submit).
pub fn issue_form_token(cookie: &str, secure: bool) -> (String, HeaderValue) {
    let token = crate::service::accounts::random_token();
    let header = set_cookie(cookie, &token, Some(3600), secure);
    (token, header)
}

/// Whether a sessionless form's token matches its cookie (an absent cookie never does).
pub fn form_token_matches(headers: &HeaderMap, cookie: &str, given: &str) -> bool {
    let expected = cookie_value(headers, cookie).unwrap_or_default();
    !expected.is_empty() && constant_time_eq(expected.as_bytes(), given.as_bytes())
}

/// An API caller, identified by `Authorization: Bearer <token>` (no cookies, so no CSRF).
pub struct ApiUser(pub Account);

impl ApiUser {
    /// The account as the workflow's rules see it.
    pub fn actor(&self) -> Actor {
        self.0.actor()
    }
}

impl<S> FromRequestParts<S> for ApiUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let state = AppState::from_ref(state);
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let unauthorized = || ApiError::new(StatusCode::UNAUTHORIZED, "请先登录");
        let token = token.ok_or_else(unauthorized)?;
        match accounts::session(&state.ctx, token).await? {
            Some((account, _)) => Ok(ApiUser(account)),
            None => Err(unauthorized()),
        }
    }
}

/// The client's address as the per-address limits count it (login failures, password reset
/// codes, tip-offs, beacons): an IPv4 address or an IPv6 /64 ([`crate::ip_network`]);
/// "unknown" when the server runs without connection info. A forwarded address is believed
/// only from a configured proxy.
pub struct ClientAddress(pub String);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let trusted = &state.ctx.config.server.trusted_proxies;
        let address = peer.map(|peer| crate::ip_network::label(client_ip(peer, &parts.headers, trusted)));
        Ok(ClientAddress(address.unwrap_or_else(|| "unknown".into())))
    }
}

/// The client behind `peer`: when `peer` is a trusted proxy, the right-most address of
/// `X-Forwarded-For` that is not itself a trusted proxy (the left part of the header is the
/// client's own word and may be forged).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    // A server listening on both stacks sees an IPv4 peer as an IPv4-mapped IPv6 address.
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
            Ok(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

/// The response that signs a user in: the session cookie, then the page they asked for (`next`,
/// a path of this site) or the home of their role.
pub fn signed_in_response(token: &str, account: &Account, secure: bool, max_age: i64, next: Option<&str>) -> Response {
    let home = match account.role {
        Role::Unit => "/portal",
        Role::Reviewer | Role::Supervisor => "/applications",
        Role::Admin => "/admin/accounts",
    };
    let target = next.filter(|n| is_local_path(n)).unwrap_or(home);
    let mut response = Redirect::to(target).into_response();
    let headers = response.headers_mut();
    headers.append(SET_COOKIE, set_cookie(SESSION_COOKIE, token, Some(max_age), secure));
    headers.append(SET_COOKIE, set_cookie(LOGIN_CSRF_COOKIE, "", Some(0), secure));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_str(xff).unwrap());
        h
    }

    #[test]
    fn forwarded_addresses_only_from_trusted_proxies() {
        let proxies: Vec<IpNet> = vec!["127.0.0.1/32".parse().unwrap(), "10.0.0.0/8".parse().unwrap()];
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        let h = headers("198.51.100.1, 203.0.113.7, 10.1.2.3");
        assert_eq!(client_ip(proxy, &h, &proxies), "203.0.113.7".parse::<IpAddr>().unwrap());
        assert_eq!(client_ip(stranger, &h, &proxies), stranger, "a client cannot forge its address");
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &proxies), proxy);
        assert_eq!(client_ip(proxy, &headers("junk"), &proxies), proxy);
        assert_eq!(client_ip(proxy, &h, &[]), proxy, "no proxies configured: the peer is the client");
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert_eq!(client_ip(mapped, &h, &proxies), "203.0.113.7".parse::<IpAddr>().unwrap(), "a dual-stack peer");
    }
}
