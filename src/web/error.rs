//! The one HTTP error type: 4xx with a user-readable Chinese message (and per-field messages),
//! 5xx logged once here and never leaked. Rendered as a page or, for the API, as JSON.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::domain::application::FieldErrors;
use crate::markup::escape;
use crate::service::ServiceError;

#[derive(Debug)]
pub struct HttpError {
    pub status: StatusCode,
    pub message: String,
    pub fields: FieldErrors,
    pub json: bool,
}

impl HttpError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), fields: FieldErrors::new(), json: false }
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "您访问的页面不存在")
    }

    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "无权访问")
    }

    /// For API handlers: the same error as JSON.
    pub fn api(e: impl Into<HttpError>) -> Self {
        Self { json: true, ..e.into() }
    }
}

impl From<ServiceError> for HttpError {
    fn from(e: ServiceError) -> Self {
        let status = match &e {
            ServiceError::Invalid(_) | ServiceError::Denied(crate::domain::workflow::Denied::ReasonRequired) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ServiceError::Denied(crate::domain::workflow::Denied::WrongState(_)) | ServiceError::Conflict => {
                StatusCode::CONFLICT
            }
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
        Self { status, message, fields, json: false }
    }
}

/// An unexpected failure: logged, and shown as a generic message.
impl From<anyhow::Error> for HttpError {
    fn from(e: anyhow::Error) -> Self {
        ServiceError::Internal(e).into()
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

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        if self.json {
            let body = json!({ "error": self.message, "fields": self.fields });
            return (self.status, Json(body)).into_response();
        }
        let fields: String = self.fields.values().map(|m| format!("<li>{}</li>", escape(m))).collect();
        let page = format!(
            "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><main class=\"page\"><h1>{title}</h1><p class=\"error\">{message}</p><ul>{fields}</ul><p><a href=\"/\">返回首页</a></p></main></body></html>",
            title = "操作未完成",
            message = escape(&self.message),
        );
        (self.status, Html(page)).into_response()
    }
}
