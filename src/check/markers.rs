//! The words the check looks for in a page's bytes besides its markup: the footer keywords
//! next to the filing numbers, in the page's own encoding, and the names of the national
//! (CONAC) badge. One pass of one automaton finds them all, built once per encoding.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use aho_corasick::{AhoCorasick, MatchKind};
use encoding_rs::Encoding;

/// The footer keywords: the ICP filing number, the public-security filing number (`安备`, or
/// `安网备` in some provinces) and the government website identifier (`标识码`).
const FOOTER_KEYWORDS: [&str; 4] = ["ICP", "安备", "安网备", "标识码"];

/// The national badge's script host and its inline loader's name (ASCII in every encoding the
/// check reads bytes of).
const LEGACY_MARKERS: [&[u8]; 2] = [b"conac.cn", b"_ideConac"];

/// What one pass found.
#[derive(Debug, Default)]
pub struct Markers {
    /// Where a footer keyword starts, in order.
    pub footer: Vec<usize>,
    /// Where the national badge's names start, in order.
    pub legacy: Vec<usize>,
}

/// Finds the footer keywords, encoded as the page is, and the national badge's names.
pub fn find(bytes: &[u8], encoding: &'static Encoding) -> Markers {
    let automaton = automaton(encoding);
    let mut markers = Markers::default();
    // No two of the words overlap in a page (none ends with another's start), so the fast
    // leftmost search finds every one.
    for found in automaton.find_iter(bytes) {
        if found.pattern().as_usize() < FOOTER_KEYWORDS.len() {
            markers.footer.push(found.start());
        } else {
            markers.legacy.push(found.start());
        }
    }
    markers
}

/// The automaton of an encoding's patterns (the footer keywords first), built on first use.
fn automaton(encoding: &'static Encoding) -> Arc<AhoCorasick> {
    static BUILT: OnceLock<Mutex<HashMap<&'static str, Arc<AhoCorasick>>>> = OnceLock::new();
    let built = BUILT.get_or_init(Mutex::default);
    let mut built = built.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    built
        .entry(encoding.name())
        .or_insert_with(|| {
            let mut patterns: Vec<Vec<u8>> =
                FOOTER_KEYWORDS.iter().map(|keyword| encoding.encode(keyword).0.into_owned()).collect();
            patterns.extend(LEGACY_MARKERS.iter().map(|marker| marker.to_vec()));
            Arc::new(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(patterns)
                    .expect("a few short literal patterns always build"),
            )
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_in_the_pages_encoding_and_the_legacy_names() {
        let page = "<p>京ICP备05070218号 京公网安备11010202000001号</p><script src=//dcs.conac.cn/js/x.js>";
        for encoding in [encoding_rs::UTF_8, encoding_rs::GBK] {
            let bytes = encoding.encode(page).0;
            let found = find(&bytes, encoding);
            assert_eq!(found.footer.len(), 2, "{}", encoding.name());
            assert_eq!(&bytes[found.legacy[0]..found.legacy[0] + 8], b"conac.cn");
            assert_eq!(&bytes[found.footer[0]..found.footer[0] + 3], b"ICP");
        }
        let plain = find(b"<p>no footer here</p>", encoding_rs::UTF_8);
        assert!(plain.footer.is_empty() && plain.legacy.is_empty());
    }
}
