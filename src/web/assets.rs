//! The portal's own static files: the stylesheet, the script, and the divisions the region
//! pickers offer. Each is served at a fixed path, and pages link it with a version of its
//! content (`/static/app.js?v=…`): a browser keeps a linked copy for a year, and a release that
//! changes a file changes its link. An address without the current version (an old page, a
//! hand-typed one) is still answered, and kept for an hour only.

use std::sync::LazyLock;

use axum::extract::RawQuery;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One static file: its bytes, its media type and the version pages link it with.
pub struct Asset {
    path: &'static str,
    body: Vec<u8>,
    content_type: &'static str,
    version: String,
}

impl Asset {
    fn new(path: &'static str, body: Vec<u8>, content_type: &'static str) -> Self {
        let version = hex::encode(&Sha256::digest(&body)[..6]);
        Self { path, body, content_type, version }
    }

    /// The address pages link: the path with the content's version.
    pub fn url(&self) -> String {
        format!("{}?v={}", self.path, self.version)
    }

    /// The file, kept a year by browsers when asked for at its current version.
    fn respond(&'static self, query: Option<&str>) -> Response {
        let current = query.is_some_and(|q| q.split('&').any(|pair| pair.strip_prefix("v=") == Some(&self.version)));
        let cache = if current { "public, max-age=31536000, immutable" } else { "public, max-age=3600" };
        ([(CONTENT_TYPE, self.content_type), (CACHE_CONTROL, cache)], self.body.as_slice()).into_response()
    }
}

/// The stylesheet, `/static/app.css`.
pub static STYLESHEET: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new("/static/app.css", include_bytes!("templates/app.css").to_vec(), "text/css; charset=utf-8")
});

/// The portal's small script (copy buttons, the region pickers' list), `/static/app.js`.
pub static SCRIPT: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new("/static/app.js", include_bytes!("templates/app.js").to_vec(), "text/javascript; charset=utf-8")
});

/// Every division a region picker may offer, `/static/regions.json`: `[code, label]` pairs in
/// code order (`["410922", "清丰县（410922）"]`), for pickers whose lists are too long to carry
/// in each page ([`crate::web::pages::region_picker`]). The central pseudo-region is left out.
pub static REGIONS: LazyLock<Asset> = LazyLock::new(|| {
    let pairs: Vec<(&str, String)> = crate::domain::region::known_regions()
        .filter(|(code, _)| *code != "100000")
        .map(|(code, _)| (code, crate::domain::region::region_label(code)))
        .collect();
    let body = serde_json::to_vec(&pairs).expect("strings serialise");
    Asset::new("/static/regions.json", body, "application/json")
});

/// `GET /static/app.css`.
pub async fn stylesheet(RawQuery(query): RawQuery) -> Response {
    STYLESHEET.respond(query.as_deref())
}

/// `GET /static/app.js`.
pub async fn script(RawQuery(query): RawQuery) -> Response {
    SCRIPT.respond(query.as_deref())
}

/// `GET /static/regions.json`.
pub async fn regions(RawQuery(query): RawQuery) -> Response {
    REGIONS.respond(query.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_follows_the_content() {
        let a = Asset::new("/static/a.js", b"one".to_vec(), "text/javascript");
        let b = Asset::new("/static/a.js", b"two".to_vec(), "text/javascript");
        assert_ne!(a.url(), b.url());
        assert_eq!(a.url(), Asset::new("/static/a.js", b"one".to_vec(), "text/javascript").url());
        assert!(a.url().starts_with("/static/a.js?v=") && a.version.len() == 12, "{}", a.url());
    }

    #[test]
    fn the_regions_are_code_and_label_pairs() {
        let pairs: Vec<(String, String)> = serde_json::from_slice(&REGIONS.body).unwrap();
        assert!(pairs.contains(&("410922".to_owned(), "清丰县（410922）".to_owned())));
        assert!(pairs.iter().all(|(code, _)| code != "100000"));
        assert!(pairs.len() > 3000, "every GB/T 2260 division: {}", pairs.len());
    }
}
