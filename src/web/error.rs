//! The HTTP error types: 4xx with a user-readable Chinese message (and per-field messages),
//! 5xx logged once here and never leaked. `HttpError` renders the error page; `ApiError`, the
//! only error an API handler can return, always answers JSON.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::domain::application::FieldErrors;
use crate::markup::escape;
use crate::service::ServiceError;

/// A page's error: the status, a message and each field's message, rendered as an HTML page.
#[derive(Debug)]
pub struct HttpError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The message at the top.
    pub message: String,
    /// Each field's message.
    pub fields: FieldErrors,
}

impl HttpError {
    /// An error with a status and a message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), fields: FieldErrors::new() }
    }

    /// 404 页面不存在.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "您访问的页面不存在")
    }

    /// What a form shows beside its field: the first field message, else the general one.
    pub fn field_message(self) -> (StatusCode, String) {
        let message = self.fields.into_values().next().unwrap_or(self.message);
        (self.status, message)
    }

    /// 403 无权访问.
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "无权访问")
    }
}

impl From<ServiceError> for HttpError {
    fn from(e: ServiceError) -> Self {
        let status = match &e {
            ServiceError::Invalid(_) | ServiceError::Denied(crate::domain::workflow::Denied::ReasonRequired) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ServiceError::Denied(
                crate::domain::workflow::Denied::WrongState(_) | crate::domain::workflow::Denied::FilingRequired,
            )
            | ServiceError::Conflict => StatusCode::CONFLICT,
            ServiceError::Denied(_) | ServiceError::Forbidden => StatusCode::FORBIDDEN,
            ServiceError::NotFound => StatusCode::NOT_FOUND,
            ServiceError::BadCredentials => StatusCode::UNAUTHORIZED,
            ServiceError::Throttled | ServiceError::Busy | ServiceError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            ServiceError::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "internal error");
                return Self::new(StatusCode::INTERNAL_SERVER_ERROR, "系统繁忙，请稍后再试");
            }
        };
        let fields = match &e {
            ServiceError::Invalid(fields) => fields.clone(),
            _ => FieldErrors::new(),
        };
        let message = match &e {
            ServiceError::NotFound => "未找到该记录".to_owned(),
            other => other.to_string(),
        };
        Self { status, message, fields }
    }
}

/// An unexpected failure: logged, and shown as a generic message.
impl From<anyhow::Error> for HttpError {
    fn from(e: anyhow::Error) -> Self {
        ServiceError::Internal(e).into()
    }
}

impl From<crate::report::ReportError> for HttpError {
    fn from(e: crate::report::ReportError) -> Self {
        ServiceError::from(e).into()
    }
}

impl From<crate::store::StoreError> for HttpError {
    fn from(e: crate::store::StoreError) -> Self {
        ServiceError::from(e).into()
    }
}

impl From<minijinja::Error> for HttpError {
    fn from(e: minijinja::Error) -> Self {
        ServiceError::Internal(e.into()).into()
    }
}

/// The error a page answered with, kept on the response so that the `error_layout` middleware
/// can render it inside the site's layout, with the signed-in user's navigation.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    /// The message at the top.
    pub message: String,
    /// The fields' messages, listed below it.
    pub fields: Vec<String>,
}

impl ErrorPage {
    /// The page's heading for a status.
    pub fn title(status: StatusCode) -> &'static str {
        match status {
            StatusCode::NOT_FOUND => "页面不存在",
            StatusCode::FORBIDDEN => "无权访问",
            StatusCode::TOO_MANY_REQUESTS => "请求过于频繁",
            s if s.is_server_error() => "系统繁忙",
            _ => "操作未完成",
        }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let page = ErrorPage { message: self.message.clone(), fields: self.fields.values().cloned().collect() };
        let page_info = page;
        let fields: String = self.fields.values().map(|m| format!("<li>{}</li>", escape(m))).collect();
        let page = format!(
            "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><main class=\"page\"><h1>{title}</h1><p class=\"error\">{message}</p><ul>{fields}</ul><p><a href=\"/\">返回首页</a></p></main></body></html>",
            title = ErrorPage::title(self.status),
            message = escape(&self.message),
        );
        let mut response = (self.status, Html(page)).into_response();
        response.extensions_mut().insert(page_info);
        response
    }
}

/// The JSON API's error: the same status, message and field messages as [`HttpError`], always
/// as JSON (`{"error": …, "fields": {…}}`). API handlers and their extractors return only this,
/// so none can answer with the HTML error page.
#[derive(Debug)]
pub struct ApiError(pub HttpError);

impl ApiError {
    /// An error with a status and a message, as JSON.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self(HttpError::new(status, message))
    }

    /// 400 with a message, as JSON.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl<E: Into<HttpError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let HttpError { status, message, fields } = self.0;
        (status, Json(json!({ "error": message, "fields": fields }))).into_response()
    }
}
