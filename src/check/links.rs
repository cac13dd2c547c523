//! Links out of a page (`<a href>`, `<area href>`, `<frame src>`, `<iframe src>`), resolved
//! against the page and its `<base href>`, and canonicalised for de-duplication; and the link
//! values a crawl of one site has already resolved ([`KnownLinks`]), which its pages' checks
//! skip.

use std::collections::HashSet;
use std::hash::{BuildHasher, BuildHasherDefault};
use std::sync::Mutex;

use url::{Position, Url};

use super::key_hash::KeyHasher;
use crate::check::attribute_text;
use crate::check::names::{key, link_attribute};
use crate::check::tokenizer::{Kept, Tag, Token, Tokenizer};

/// Absolute, canonical links of a page.
pub fn extract(body: &[u8], page: &Url, encoding: &'static encoding_rs::Encoding) -> Vec<Url> {
    let mut base = page.clone();
    let mut base_seen = false;
    let mut out = Vec::new();
    for token in Tokenizer::new(body) {
        let Token::StartTag(tag) = token else {
            continue;
        };
        if tag.name.key() == key::BASE && !base_seen {
            if let Some(b) = tag.kept(Kept::Href).and_then(|h| base.join(&attribute_text(h, encoding)).ok()) {
                base = b;
                base_seen = true;
            }
            continue;
        }
        out.extend(link_of(&tag, &base, encoding));
    }
    out
}

/// The canonical link a start tag makes (`<a href>`, `<area href>`, `<frame src>`,
/// `<iframe src>`), resolved against `base`.
pub fn link_of(tag: &Tag<'_>, base: &Url, encoding: &'static encoding_rs::Encoding) -> Option<Url> {
    resolve(tag.kept(link_attribute(tag.class)?)?, base, encoding)
}

/// A link's raw attribute value, resolved against `base` and made canonical.
pub fn resolve(raw: &[u8], base: &Url, encoding: &'static encoding_rs::Encoding) -> Option<Url> {
    canonical(base.join(attribute_text(raw, encoding).trim()).ok()?)
}

/// The link values a crawl of one site has already resolved, shared by the checks of its
/// pages: a page's menu, header and footer link to the same pages as every other page's, and a
/// value seen before need not be resolved again (a crawl spent a tenth of its time parsing
/// those URLs).
///
/// A value is known with what its resolution depends on: nothing for an absolute `http(s)://`
/// URL, the base's origin for a path from the root (`/…`), the whole base otherwise. Only plain
/// ASCII values in an ASCII-compatible encoding are remembered (any other depends on the page's
/// encoding too), and at most [`KnownLinks::CAPACITY`] of them, so a site of endless distinct
/// links costs a bounded set. Keys are hashes under a random key per crawl, so a page cannot
/// choose values that collide.
#[derive(Debug, Default)]
pub struct KnownLinks {
    keys: Mutex<Fingerprints>,
    hasher: foldhash::quality::RandomState,
}

/// A set of fingerprints: 64-bit hashes of values under a key drawn at random for the set's
/// owner, which a page cannot know, so it cannot choose values whose fingerprints collide. The
/// table hashes a fingerprint with a multiply (`key_hash::KeyHasher`): hashing it again with
/// the standard table's `SipHash` cost more than the fingerprint itself.
pub type Fingerprints = HashSet<u64, BuildHasherDefault<KeyHasher>>;

impl KnownLinks {
    /// The most values remembered: about 600 KB of table at most, per site being crawled.
    pub const CAPACITY: usize = 1 << 15;

    /// Whether `raw` (a link value, read against `base` in `encoding`) is seen here for the first
    /// time, remembering it; also true when it cannot be remembered.
    pub fn first_sighting(&self, raw: &[u8], base: &Url, encoding: &'static encoding_rs::Encoding) -> bool {
        let Some(context) = resolution_context(raw, base, encoding) else {
            return true;
        };
        let key = self.hasher.hash_one((context, raw));
        let Ok(mut keys) = self.keys.lock() else {
            return true;
        };
        if keys.len() >= Self::CAPACITY {
            return !keys.contains(&key);
        }
        keys.insert(key)
    }
}

/// The part of `base` that resolving `raw` depends on, or `None` when the value depends on more
/// than its bytes and the base (the page's encoding) or is not worth remembering.
fn resolution_context<'u>(raw: &[u8], base: &'u Url, encoding: &'static encoding_rs::Encoding) -> Option<&'u str> {
    if !raw.is_ascii() || !encoding.is_ascii_compatible() {
        return None;
    }
    if !matches!(base.scheme(), "http" | "https") {
        // Other schemes resolve paths their own ways (a `file:` drive letter stays).
        return Some(base.as_str());
    }
    let value = raw.trim_ascii_start();
    let starts_with = |prefix: &[u8]| value.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix));
    if raw.contains(&b'\\') {
        // A backslash reads as a slash in http(s) URLs: leave such values to the whole base.
        Some(base.as_str())
    } else if starts_with(b"http://") || starts_with(b"https://") {
        Some("")
    } else if value.first() == Some(&b'/') && value.get(1) != Some(&b'/') {
        Some(&base[..Position::BeforePath])
    } else {
        Some(base.as_str())
    }
}

/// http(s) only, without the fragment. (The url crate already lower-cases the host, drops a
/// default port and normalises the path.)
pub fn canonical(mut url: Url) -> Option<Url> {
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    url.set_fragment(None);
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_value_is_known_with_what_its_resolution_depends_on() {
        let known = KnownLinks::default();
        let utf8 = encoding_rs::UTF_8;
        let page = |u: &str| Url::parse(u).unwrap();
        let news = page("https://www.example.gov.cn/news/a.html");
        let other_dir = page("https://www.example.gov.cn/about/b.html");
        let other_host = page("https://other.example.gov.cn/news/a.html");
        let plain_http = page("http://www.example.gov.cn/news/a.html");
        // A path from the root: the same on every page of the origin, not on another origin or scheme.
        assert!(known.first_sighting(b"/index.html", &news, utf8));
        assert!(!known.first_sighting(b"/index.html", &news, utf8));
        assert!(!known.first_sighting(b"/index.html", &other_dir, utf8));
        assert!(known.first_sighting(b"/index.html", &other_host, utf8));
        assert!(known.first_sighting(b"/index.html", &plain_http, utf8));
        // An absolute URL: the same on every page.
        assert!(known.first_sighting(b" HTTPS://www.example.gov.cn/x", &news, utf8));
        assert!(!known.first_sighting(b" HTTPS://www.example.gov.cn/x", &other_host, utf8));
        // Relative to the page, from another host, a query alone, a backslash: only on the same page.
        for raw in [&b"c.html"[..], b"//other.example.gov.cn/", b"?page=2", b"/\\evil.example/", b"http:c.html"] {
            assert!(known.first_sighting(raw, &news, utf8), "{raw:?}");
            assert!(!known.first_sighting(raw, &news, utf8), "{raw:?}");
            assert!(known.first_sighting(raw, &other_dir, utf8), "{raw:?}");
        }
        // Not ASCII, or an encoding that is not ASCII-compatible: never remembered.
        for _ in 0..2 {
            assert!(known.first_sighting("/新闻.html".as_bytes(), &news, utf8));
            assert!(known.first_sighting(b"/index.html", &news, encoding_rs::ISO_2022_JP));
        }
    }

    #[test]
    fn past_its_capacity_a_crawl_remembers_no_more_values_but_keeps_those_it_has() {
        let known = KnownLinks::default();
        let page = Url::parse("https://www.example.gov.cn/").unwrap();
        for n in 0..KnownLinks::CAPACITY {
            assert!(known.first_sighting(format!("/{n}.html").as_bytes(), &page, encoding_rs::UTF_8));
        }
        for _ in 0..2 {
            assert!(known.first_sighting(b"/one-more.html", &page, encoding_rs::UTF_8));
        }
        assert!(!known.first_sighting(b"/0.html", &page, encoding_rs::UTF_8));
    }

    #[test]
    fn a_known_value_resolves_as_it_did_where_it_was_first_seen() {
        // For every value and pair of pages where the second sighting is skipped, resolving it
        // on the second page gives the link of the first.
        let values = [
            "/a.html",
            "/./b/../c.html",
            "b.html",
            "../d.html",
            "//h.example/e",
            "?q=1",
            "#top",
            "",
            "https://x.example/f",
            "http:g.html",
            "/h&#47;i",
            "/&#47;j.example/",
            "\\k",
            " /l.html ",
            "/m\tn",
        ];
        let pages = [
            "https://www.example.gov.cn/news/a.html",
            "https://www.example.gov.cn/about/",
            "https://user@www.example.gov.cn/p?x=1",
            "http://www.example.gov.cn:8080/news/a.html",
            "https://other.example.gov.cn/news/a.html",
        ];
        for value in values {
            for first in pages {
                for second in pages {
                    let known = KnownLinks::default();
                    let (first, second) = (Url::parse(first).unwrap(), Url::parse(second).unwrap());
                    assert!(known.first_sighting(value.as_bytes(), &first, encoding_rs::UTF_8));
                    if !known.first_sighting(value.as_bytes(), &second, encoding_rs::UTF_8) {
                        assert_eq!(
                            resolve(value.as_bytes(), &first, encoding_rs::UTF_8),
                            resolve(value.as_bytes(), &second, encoding_rs::UTF_8),
                            "{value:?} on {first} and {second}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn links_resolved_and_canonical() {
        let page = Url::parse("https://www.example.gov.cn/news/a.html").unwrap();
        let html = b"<a href='b.html#top'>x</a><a href=\"/c?x=1&amp;y=2\">y</a><a href='mailto:x@y'>m</a><iframe src=//WWW.EXAMPLE.GOV.CN:443/d></iframe><script>'<a href=e.html>'</script>";
        let links: Vec<String> = extract(html, &page, encoding_rs::UTF_8).iter().map(Url::to_string).collect();
        assert_eq!(
            links,
            [
                "https://www.example.gov.cn/news/b.html",
                "https://www.example.gov.cn/c?x=1&y=2",
                "https://www.example.gov.cn/d"
            ]
        );
    }
}
