//! Which character encoding a page is in, in the WHATWG order a browser uses: byte-order mark,
//! then the Content-Type header's charset, then a `<meta>` prescan of the first 1024 bytes,
//! then a statistical guess (chardetng) informed by the site's top-level domain.
//! GB2312 and GBK labels decode as GB18030 (`encoding_rs`'s GBK decoder is the gb18030 one).

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252, X_USER_DEFINED};

use super::tokenizer::{Token, Tokenizer};

/// Where the encoding came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A byte-order mark.
    Bom,
    /// The `Content-Type` header's charset.
    Header,
    /// A `<meta>` in the first 1024 bytes.
    Meta,
    /// chardetng's guess, informed by the top-level domain.
    Guess,
    /// The declared encoding could not decode the bytes, which are valid UTF-8.
    Utf8Fallback,
}

/// The encoding a page is read in, and why.
#[derive(Debug, Clone, Copy)]
pub struct Detected {
    /// The encoding to decode with.
    pub encoding: &'static Encoding,
    /// Where it came from.
    pub source: Source,
    /// What the header or `<meta>` declared, when it was overruled.
    pub declared: Option<&'static Encoding>,
}

/// The charset parameter of a Content-Type header value.
pub fn header_charset(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| Encoding::for_label(value.trim().trim_matches(['"', '\'']).as_bytes()))?
    })
}

/// The `<meta charset>` or `<meta http-equiv="content-type" content="…charset=…">` within the
/// first 1024 bytes. UTF-16 declared in a meta means UTF-8; x-user-defined means windows-1252.
pub fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(1024)];
    for token in Tokenizer::new(head) {
        let Token::StartTag(tag) = token else {
            continue;
        };
        if tag.name.as_ref() != b"meta" {
            continue;
        }
        let found = if let Some(label) = tag.attr(b"charset") {
            Encoding::for_label(trim(label))
        } else {
            let http_equiv = tag.attr(b"http-equiv").is_some_and(|v| trim(v).eq_ignore_ascii_case(b"content-type"));
            let content = tag.attr(b"content").filter(|_| http_equiv);
            content.and_then(|c| header_charset(&format!("x;{}", String::from_utf8_lossy(c).replace(' ', ""))))
        };
        if let Some(encoding) = found {
            return Some(if encoding == UTF_16BE || encoding == UTF_16LE {
                UTF_8
            } else if encoding == X_USER_DEFINED {
                WINDOWS_1252
            } else {
                encoding
            });
        }
    }
    None
}

fn trim(v: &[u8]) -> &[u8] {
    let start = v.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(v.len());
    let end = v.iter().rposition(|c| !c.is_ascii_whitespace()).map_or(start, |e| e + 1);
    &v[start..end]
}

/// Decides the encoding of `bytes`.
pub fn detect(bytes: &[u8], content_type: Option<&str>, tld: Option<&str>) -> Detected {
    if let Some((encoding, _)) = Encoding::for_bom(bytes) {
        return Detected { encoding, source: Source::Bom, declared: None };
    }
    let declared = content_type
        .and_then(header_charset)
        .map(|e| (e, Source::Header))
        .or_else(|| meta_charset(bytes).map(|e| (e, Source::Meta)));
    if let Some((encoding, source)) = declared {
        // A page that declares a legacy encoding but is really UTF-8 (common after a CMS
        // migration) would decode to garbage; its bytes decide.
        if encoding != UTF_8
            && !bytes.is_ascii()
            && Encoding::utf8_valid_up_to(bytes) == bytes.len()
            && encoding.decode_without_bom_handling_and_without_replacement(bytes).is_none()
        {
            return Detected { encoding: UTF_8, source: Source::Utf8Fallback, declared: Some(encoding) };
        }
        return Detected { encoding, source, declared: None };
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(&bytes[..bytes.len().min(64 * 1024)], bytes.len() <= 64 * 1024);
    let tld = tld.map(|t| t.trim_matches('.').as_bytes());
    Detected { encoding: detector.guess(tld, chardetng::Utf8Detection::Allow), source: Source::Guess, declared: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gbk(text: &str) -> Vec<u8> {
        encoding_rs::GBK.encode(text).0.into_owned()
    }

    #[test]
    fn order_bom_header_meta_guess() {
        let mut with_bom = b"\xEF\xBB\xBF".to_vec();
        with_bom.extend(b"<meta charset=gbk>");
        assert_eq!(detect(&with_bom, Some("text/html; charset=gbk"), None).source, Source::Bom);
        let page = [b"<meta charset=\"utf-8\">".as_slice(), &gbk("<title>濮阳市编办</title>")].concat();
        let d = detect(&page, Some("text/html; charset=GB2312"), None);
        assert_eq!((d.encoding.name(), d.source), ("GBK", Source::Header));
        let d = detect(&page, Some("text/html"), None);
        // The meta says UTF-8 but the bytes are GBK: not valid UTF-8, so the meta stands.
        assert_eq!((d.encoding.name(), d.source), ("UTF-8", Source::Meta));
        let page =
            [b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">".as_slice(), &gbk("濮阳")]
                .concat();
        assert_eq!(detect(&page, None, None).encoding.name(), "GBK");
    }

    #[test]
    fn undeclared_gbk_is_guessed_with_the_tld() {
        let page = gbk("<html><body><p>濮阳市机构编制委员会办公室欢迎您。党政机关网站标识管理平台。</p></body></html>");
        let d = detect(&page, None, Some("cn"));
        assert_eq!((d.encoding.name(), d.source), ("GBK", Source::Guess));
    }

    #[test]
    fn declared_gb2312_on_utf8_bytes_falls_back_to_utf8() {
        let page = "<meta charset=gb2312><title>中华人民共和国科学技术部</title><p>科技部门户网站</p>".as_bytes();
        let d = detect(page, None, None);
        assert_eq!(
            (d.encoding.name(), d.source, d.declared.map(Encoding::name)),
            ("UTF-8", Source::Utf8Fallback, Some("GBK"))
        );
    }
}
