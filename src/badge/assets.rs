//! The badge's script and image for a code, rendered from the snapshot, with strong `ETags` and
//! gzip / brotli variants kept in a bounded cache that a snapshot reload invalidates.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;

use axum::body::Bytes;
use axum::http::HeaderValue;
use sha2::{Digest, Sha256};

use super::snapshot::Listed;
use super::snippet::{BADGE_HEIGHT, BADGE_WIDTH};
use crate::domain::badge::BadgeStatus;

/// The script source, with `__DATA__` where each code's data goes.
const SCRIPT: &str = include_str!("../../badge-js/badge.js");

/// Which image to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Variant {
    /// A party or government body's badge (the red one).
    Party,
    /// A public institution's badge.
    Institution,
    /// A suspended badge: grey, reading 已暂停.
    Suspended,
    /// A revoked badge: grey, reading 已撤销.
    Revoked,
    /// Loaded on a host the badge is not registered for.
    Mismatch,
    /// Unknown or malformed code.
    Invalid,
}

impl Variant {
    /// The variant for a badge, or the one a `?v=` query asks for (only `mismatch` is honoured
    /// beyond the badge's own state, so nobody can make a revoked badge look active).
    pub fn for_badge(badge: &Listed<'_>, requested: Option<&str>) -> Self {
        match (badge.status, requested) {
            (BadgeStatus::Suspended, _) => Variant::Suspended,
            (BadgeStatus::Revoked, _) => Variant::Revoked,
            (_, Some("mismatch")) => Variant::Mismatch,
            _ if badge.category == "institution" => Variant::Institution,
            _ => Variant::Party,
        }
    }

    fn colours(self) -> (&'static str, &'static str) {
        match self {
            Variant::Party => ("#c8161d", "#ffffff"),
            Variant::Institution => ("#1d5aa6", "#ffffff"),
            Variant::Suspended | Variant::Revoked => ("#8c8c8c", "#ffffff"),
            Variant::Mismatch | Variant::Invalid => ("#fff4e5", "#b33c00"),
        }
    }

    fn words(self) -> (&'static str, &'static str) {
        match self {
            Variant::Party => ("党政机关", "网站标识"),
            Variant::Institution => ("事业单位", "网站标识"),
            Variant::Suspended => ("网站标识", "已暂停"),
            Variant::Revoked => ("网站标识", "已撤销"),
            Variant::Mismatch => ("标识不符", "非登记网站"),
            Variant::Invalid => ("网站标识", "无效"),
        }
    }

    /// The text alternative.
    pub fn label(self) -> &'static str {
        match self {
            Variant::Party => "党政机关网站标识",
            Variant::Institution => "事业单位网站标识",
            Variant::Suspended => "网站标识已暂停",
            Variant::Revoked => "网站标识已撤销",
            Variant::Mismatch => "本网站标识与所在网站不符",
            Variant::Invalid => "网站标识无效",
        }
    }
}

/// Our own design: a rounded badge with a ringed star mark and two lines of text.
pub fn svg(variant: Variant) -> String {
    let (bg, fg) = variant.colours();
    let (line1, line2) = variant.words();
    let label = variant.label();
    let border = if matches!(variant, Variant::Mismatch | Variant::Invalid) { fg } else { bg };
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{BADGE_WIDTH}" height="{BADGE_HEIGHT}" viewBox="0 0 110 55" role="img" aria-label="{label}"><title>{label}</title><rect x="1" y="1" width="108" height="53" rx="7" fill="{bg}" stroke="{border}" stroke-width="2"/><circle cx="27.5" cy="27.5" r="17" fill="none" stroke="{fg}" stroke-width="2"/><circle cx="27.5" cy="27.5" r="13.5" fill="none" stroke="{fg}" stroke-width="0.8" stroke-dasharray="2 1.6"/><polygon points="27.5,17.5 29.9,24.3 37.0,24.4 31.3,28.7 33.4,35.6 27.5,31.5 21.6,35.6 23.7,28.7 18.0,24.4 25.1,24.3" fill="{fg}"/><text x="76" y="25" font-family="'Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif" font-size="13" font-weight="700" fill="{fg}" text-anchor="middle">{line1}</text><text x="76" y="42" font-family="'Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif" font-size="11" fill="{fg}" text-anchor="middle">{line2}</text></svg>"#
    )
}

/// The script for a badge: its data, then the shared code.
pub fn script(badge: &Listed<'_>, base: &str) -> String {
    let data = serde_json::json!({
        "c": badge.code,
        "s": match badge.status { BadgeStatus::Active => badge.category, BadgeStatus::Suspended => "suspended", BadgeStatus::Revoked => "revoked" },
        "h": badge.hosts().collect::<Vec<_>>(),
        "b": base.trim_end_matches('/'),
        "a": Variant::for_badge(badge, None).label(),
        "w": BADGE_WIDTH,
        "t": BADGE_HEIGHT,
    });
    SCRIPT.replace("__DATA__", &data.to_string())
}

/// Content codings a client accepts, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Coding {
    /// `br`.
    Brotli,
    /// `gzip`.
    Gzip,
    /// No coding.
    Identity,
}

impl Coding {
    /// The best coding an `Accept-Encoding` header allows (brotli, then gzip, then none).
    pub fn negotiate(accept_encoding: &str) -> Self {
        let accepts = |name: &str| {
            accept_encoding.split(',').any(|part| {
                let mut it = part.split(';');
                let coding = it.next().unwrap_or_default().trim();
                let q_zero = it.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
                coding.eq_ignore_ascii_case(name) && !q_zero
            })
        };
        if accepts("br") {
            Coding::Brotli
        } else if accepts("gzip") {
            Coding::Gzip
        } else {
            Coding::Identity
        }
    }

    /// The `Content-Encoding` value, `None` for the identity.
    pub fn header(self) -> Option<&'static str> {
        match self {
            Coding::Brotli => Some("br"),
            Coding::Gzip => Some("gzip"),
            Coding::Identity => None,
        }
    }
}

/// A representation ready to send (cloned per request: both fields are reference-counted).
#[derive(Debug, Clone)]
pub struct Encoded {
    /// The encoded bytes.
    pub body: Bytes,
    /// Strong `ETag` of exactly these bytes, ready as a header value (`None` for pages that
    /// are not validated).
    pub etag: Option<HeaderValue>,
}

/// Encodes `plain` with `coding` at the best compression (done once per cache entry).
pub fn encode(plain: &[u8], coding: Coding) -> Encoded {
    let body: Vec<u8> = match coding {
        Coding::Identity => plain.to_vec(),
        Coding::Gzip => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            gz.write_all(plain).expect("writing to memory");
            gz.finish().expect("writing to memory")
        }
        Coding::Brotli => {
            let mut out = Vec::new();
            {
                let mut w = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
                w.write_all(plain).expect("writing to memory");
            }
            out
        }
    };
    let digest = Sha256::digest(&body);
    let etag = HeaderValue::from_str(&format!("\"{}\"", hex::encode(&digest[..12]))).ok();
    Encoded { etag, body: Bytes::from(body) }
}

/// A badge code held inline (codes are 13 or 23 characters), so a cache look-up allocates
/// nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CodeKey {
    len: u8,
    bytes: [u8; 23],
}

impl CodeKey {
    /// The key of `code`, `None` if it is longer than any badge code.
    pub fn new(code: &str) -> Option<Self> {
        let mut bytes = [0; 23];
        bytes.get_mut(..code.len())?.copy_from_slice(code.as_bytes());
        Some(CodeKey { len: code.len() as u8, bytes })
    }
}

/// A page the verification endpoint caches per badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Page {
    /// The verification page.
    Verify,
    /// The verification page with the counterfeit warning (a placeholder for the host).
    VerifyWarning,
    /// The verification JSON.
    VerifyJson,
}

/// What a cached representation is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssetKey {
    /// A badge's script.
    Script(CodeKey),
    /// An image (the same for every badge of a variant).
    Image(Variant),
    /// A badge's page.
    Page(Page, CodeKey),
}

/// Rendered and encoded assets, keyed by what they depend on; bounded, cleared when the
/// snapshot changes.
#[derive(Default)]
pub struct AssetCache {
    entries: Mutex<CacheState>,
}

/// The snapshot generation the entries were made for, and the entries.
#[derive(Default)]
struct CacheState {
    generation: u64,
    map: HashMap<(AssetKey, Coding), Encoded>,
}

/// Entries kept at most (each a few hundred bytes to 2 KB).
const CACHE_ENTRIES: usize = 20_000;

impl AssetCache {
    /// The cached encoding of `key`, made by `make` when absent or built for an older snapshot generation.
    pub fn get_or_insert(&self, generation: u64, key: (AssetKey, Coding), make: impl FnOnce() -> Encoded) -> Encoded {
        if let Some(hit) = self.get(generation, &key) {
            return hit;
        }
        let value = make();
        self.insert(generation, key, value.clone());
        value
    }

    /// The entry of `key` made for snapshot `generation`, if cached.
    pub fn get(&self, generation: u64, key: &(AssetKey, Coding)) -> Option<Encoded> {
        let guard = self.entries.lock().expect("asset cache lock");
        (guard.generation == generation).then(|| guard.map.get(key).cloned()).flatten()
    }

    /// Caches `value` for snapshot `generation` (older entries, or a full cache, are dropped).
    pub fn insert(&self, generation: u64, key: (AssetKey, Coding), value: Encoded) {
        let mut guard = self.entries.lock().expect("asset cache lock");
        if guard.generation != generation || guard.map.len() >= CACHE_ENTRIES {
            *guard = CacheState { generation, map: HashMap::new() };
        }
        guard.map.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svgs_are_well_formed_and_labelled() {
        for v in [
            Variant::Party,
            Variant::Institution,
            Variant::Suspended,
            Variant::Revoked,
            Variant::Mismatch,
            Variant::Invalid,
        ] {
            let s = svg(v);
            assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
            assert!(s.contains(&format!("<title>{}</title>", v.label())));
            assert!(s.contains("width=\"110\" height=\"55\""));
        }
    }

    #[test]
    fn the_script_is_small_and_safe() {
        let plain = SCRIPT.replace("__DATA__", "{}");
        assert!(!plain.contains("document.write") && !plain.contains("document.cookie"));
        let gz = encode(plain.as_bytes(), Coding::Gzip);
        assert!(gz.body.len() <= 2048, "{} bytes gzipped", gz.body.len());
    }

    #[test]
    fn code_keys_hold_both_kinds_of_code_and_nothing_longer() {
        let badge = CodeKey::new("4109220000016").unwrap();
        assert_eq!(Some(badge), CodeKey::new("4109220000016"));
        assert_ne!(Some(badge), CodeKey::new("410922000001"), "a prefix is another key");
        assert!(CodeKey::new("CA123456789012345678901").is_some(), "a 23-character national code");
        assert!(CodeKey::new("CA1234567890123456789012").is_none());
    }

    #[test]
    fn coding_negotiation() {
        assert_eq!(Coding::negotiate("gzip, deflate, br"), Coding::Brotli);
        assert_eq!(Coding::negotiate("gzip"), Coding::Gzip);
        assert_eq!(Coding::negotiate("br;q=0, gzip"), Coding::Gzip);
        assert_eq!(Coding::negotiate(""), Coding::Identity);
    }
}
