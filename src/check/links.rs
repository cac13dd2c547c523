//! Links out of a page (`<a href>`, `<area href>`, `<frame src>`, `<iframe src>`), resolved
//! against the page and its `<base href>`, and canonicalised for de-duplication.

use url::Url;

use crate::check::attribute_text;
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
        if tag.name.as_ref() == b"base" && !base_seen {
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
    resolve(tag.kept(link_attribute(&tag.name)?)?, base, encoding)
}

/// The attribute that holds the link of a tag named `name`, if it makes one.
pub fn link_attribute(name: &[u8]) -> Option<Kept> {
    match name {
        b"a" | b"area" => Some(Kept::Href),
        b"frame" | b"iframe" => Some(Kept::Src),
        _ => None,
    }
}

/// A link's raw attribute value, resolved against `base` and made canonical.
pub fn resolve(raw: &[u8], base: &Url, encoding: &'static encoding_rs::Encoding) -> Option<Url> {
    canonical(base.join(attribute_text(raw, encoding).trim()).ok()?)
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
