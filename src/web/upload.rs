//! A file uploaded through a page's form (multipart) by a signed-in user: its text fields, the
//! one file part, and the CSRF token checked against the session, as `CsrfForm` checks a
//! urlencoded form. The file is held in memory, so only a few are taken in at once
//! (`Context::upload_turns`); the others wait for a turn before their body is read.

use std::collections::BTreeMap;

use axum::extract::Multipart;
use axum::http::StatusCode;

use crate::service::turns::Turn;
use crate::web::auth::{constant_time_eq, SessionUser};
use crate::web::error::HttpError;
use crate::web::state::AppState;

/// The largest file a form takes (the national register as CSV is a few megabytes); the
/// routes' body limit is set from it.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;

/// How long an upload waits for its turn before it is refused.
const TURN_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// What the form posted, holding its turn until it is dropped.
#[derive(Default)]
pub struct Upload {
    /// The text fields (the CSRF token left out).
    pub fields: BTreeMap<String, String>,
    /// The file part's name, as the browser gave it.
    pub file_name: String,
    /// The file part's bytes (empty when no file was chosen).
    pub bytes: Vec<u8>,
    _turn: Option<Turn>,
}

impl Upload {
    /// Whether the form's check box `name` was ticked (value `1`).
    pub fn ticked(&self, name: &str) -> bool {
        self.fields.get(name).is_some_and(|v| v == "1")
    }
}

/// Reads the form once a turn comes; a body over the limit is 413, one that does not parse 400,
/// a missing or wrong CSRF token 403, no turn within 30 s 429.
pub async fn read(state: &AppState, user: &SessionUser, mut multipart: Multipart) -> Result<Upload, HttpError> {
    // Taken before the first byte of the body: 32 uploads at once of an 11 MB file took a
    // server from 65 to 577 MB with every body held; four at a time, to 269 MB (BENCHMARKS.md §5).
    let turn =
        state.ctx.upload_turns.take(TURN_WAIT).await.ok_or_else(|| {
            HttpError::new(StatusCode::TOO_MANY_REQUESTS, "上传的文件较多，系统正在逐个接收，请稍后再试")
        })?;
    let too_large =
        || HttpError::new(StatusCode::PAYLOAD_TOO_LARGE, format!("文件不能超过{}MB", MAX_FILE_BYTES / 1024 / 1024));
    let malformed = || HttpError::new(StatusCode::BAD_REQUEST, "上传的内容格式不正确，请重新选择文件上传");
    let failed = |status: StatusCode| if status == StatusCode::PAYLOAD_TOO_LARGE { too_large() } else { malformed() };
    let mut upload = Upload { _turn: Some(turn), ..Upload::default() };
    let mut csrf = String::new();
    while let Some(field) = multipart.next_field().await.map_err(|e| failed(e.status()))? {
        match field.name().unwrap_or_default().to_owned().as_str() {
            "file" => {
                upload.file_name = field.file_name().unwrap_or_default().to_owned();
                upload.bytes = field.bytes().await.map_err(|e| failed(e.status()))?.to_vec();
            }
            "csrf" => csrf = field.text().await.map_err(|_| malformed())?,
            name => {
                let value = field.text().await.map_err(|_| malformed())?;
                upload.fields.insert(name.to_owned(), value);
            }
        }
    }
    if !constant_time_eq(csrf.as_bytes(), user.csrf.as_bytes()) {
        tracing::warn!(account.id = user.account.id, "upload refused: CSRF token missing or wrong");
        return Err(HttpError::new(StatusCode::FORBIDDEN, "页面已过期或请求来源无效，请刷新页面后重试"));
    }
    Ok(upload)
}
