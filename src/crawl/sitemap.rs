//! sitemap.xml: URL sets and sitemap indexes, plain or gzip-compressed, read as loose XML (the
//! `<loc>` elements), with the decompressed size capped.

use std::io::Read;

/// What a sitemap lists.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sitemap {
    pub pages: Vec<String>,
    /// Further sitemaps, from a sitemap index.
    pub sitemaps: Vec<String>,
}

/// Parses a sitemap body; gzip is detected by its magic bytes. At most `cap` bytes are
/// decompressed.
pub fn parse(body: &[u8], cap: usize) -> Sitemap {
    let text = if body.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        let decoder = flate2::read::GzDecoder::new(body);
        if decoder.take(cap as u64).read_to_end(&mut out).is_err() {
            return Sitemap::default();
        }
        String::from_utf8_lossy(&out).into_owned()
    } else {
        String::from_utf8_lossy(body).into_owned()
    };
    let is_index = text.contains("<sitemapindex");
    let mut locs = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("<loc>") {
        let after = &rest[start + 5..];
        let Some(end) = after.find("</loc>") else {
            break;
        };
        let loc = after[..end].trim().replace("&amp;", "&");
        if !loc.is_empty() {
            locs.push(loc);
        }
        rest = &after[end + 6..];
    }
    if is_index {
        Sitemap { pages: Vec::new(), sitemaps: locs }
    } else {
        Sitemap { pages: locs, sitemaps: Vec::new() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn urlsets_indexes_and_gzip() {
        let set = "<urlset><url><loc> https://a.gov.cn/1.html </loc></url><url><loc>https://a.gov.cn/?a=1&amp;b=2</loc></url></urlset>";
        assert_eq!(parse(set.as_bytes(), 1 << 20).pages, ["https://a.gov.cn/1.html", "https://a.gov.cn/?a=1&b=2"]);
        let index = "<sitemapindex><sitemap><loc>https://a.gov.cn/s1.xml.gz</loc></sitemap></sitemapindex>";
        assert_eq!(parse(index.as_bytes(), 1 << 20).sitemaps, ["https://a.gov.cn/s1.xml.gz"]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(set.as_bytes()).unwrap();
        assert_eq!(parse(&gz.finish().unwrap(), 1 << 20).pages.len(), 2);
    }
}
