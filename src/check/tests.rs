//! Unit tests of the page check: every verdict and warning, and the markup that fools a
//! regular expression.

use url::Url;

use super::*;

const CODE: &str = "4109220000016";
const OTHER: &str = "4109230000012";

fn base() -> Url {
    Url::parse("https://bs.example.gov.cn").unwrap()
}

fn run(html: &str) -> PageReport {
    run_bytes(html.as_bytes(), None)
}

fn run_bytes(bytes: &[u8], content_type: Option<&str>) -> PageReport {
    let page = Url::parse("https://www.qingfeng.gov.cn/news/index.html").unwrap();
    check(&PageInput {
        bytes,
        content_type,
        page_url: Some(&page),
        expected_code: CODE,
        legacy: None,
        badge_base: &base(),
    })
}

fn script(code: &str) -> String {
    format!("<script async src=\"https://bs.example.gov.cn/badge/{code}.js\"></script>")
}

fn link(code: &str) -> String {
    format!("<a href=\"https://bs.example.gov.cn/verify/{code}\"><img src=\"https://bs.example.gov.cn/badge/{code}.svg\" alt=\"党政机关网站标识\"></a>")
}

fn page(head: &str, body: &str, after: &str) -> String {
    format!("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>清丰县人民政府网</title>{head}</head><body><p>正文</p>{body}</body></html>{after}")
}

#[test]
fn the_static_link_alone_counts_and_so_does_the_script_alone() {
    assert_eq!(run(&page("", &link(CODE), "")).verdict, Verdict::Compliant);
    assert_eq!(run(&page("", &script(CODE), "")).verdict, Verdict::Compliant);
}

#[test]
fn url_forms_http_protocol_relative_relative_and_base() {
    let http = "<a href=\"http://bs.example.gov.cn/verify/4109220000016\">标识</a>";
    assert_eq!(run(&page("", http, "")).verdict, Verdict::Compliant);
    let relative_proto = "<SCRIPT SRC='//bs.example.gov.cn/badge/4109220000016.js'></SCRIPT>";
    assert_eq!(run(&page("", relative_proto, "")).verdict, Verdict::Compliant);
    // A relative URL resolves against <base href>.
    let with_base = page("<base href=\"https://bs.example.gov.cn/\">", "<a href=\"verify/4109220000016\">标识</a>", "");
    assert_eq!(run(&with_base).verdict, Verdict::Compliant);
    // Without the base it resolves against the page, another host: not a badge.
    assert_eq!(run(&page("", "<a href=\"verify/4109220000016\">标识</a>", "")).verdict, Verdict::Missing);
    // Entities in attributes are decoded; a lower-case check character is the same code.
    let lower = "<a href=\"https&#58;//bs.example.gov.cn/verify/410922000001x\">x</a>";
    assert_eq!(run(&page("", lower, "")).codes_found, ["410922000001X"]);
}

#[test]
fn missing_and_wrong_code() {
    assert_eq!(run(&page("", "<p>无标识</p>", "")).verdict, Verdict::Missing);
    let r = run(&page("", &link(OTHER), ""));
    assert_eq!(r.verdict, Verdict::WrongCode);
    assert_eq!(r.codes_found, [OTHER]);
    // Another host's verify link is not a badge at all.
    assert_eq!(
        run(&page("", "<a href=\"https://evil.example/verify/4109220000016\">x</a>", "")).verdict,
        Verdict::Missing
    );
}

#[test]
fn after_body_and_after_html() {
    let r = run(&page("", "", &link(CODE)));
    assert_eq!(r.verdict, Verdict::AfterBody);
    // No </body> but a </html>: after it is after the body too.
    let no_body_end = format!("<html><body><p>x</p></html>{}", script(CODE));
    let r = run(&no_body_end);
    assert_eq!(r.verdict, Verdict::AfterBody);
    assert_eq!(r.warnings, [Warning::NoBodyEndTag]);
}

#[test]
fn in_head_and_commented_out() {
    assert_eq!(run(&page(&script(CODE), "", "")).verdict, Verdict::InHead);
    let commented = format!("<!--{}-->", link(CODE));
    assert_eq!(run(&page("", &commented, "")).verdict, Verdict::CommentedOut);
    // A commented-out copy beside a real one does not matter.
    let both = format!("<!--{}-->{}", link(CODE), link(CODE));
    assert_eq!(run(&page("", &both, "")).verdict, Verdict::Compliant);
}

#[test]
fn hidden_by_attribute_style_or_ancestor() {
    let own = format!("<a hidden href=\"https://bs.example.gov.cn/verify/{CODE}\">x</a>");
    assert_eq!(run(&page("", &own, "")).verdict, Verdict::Hidden);
    let styled = format!("<div style=\"DISPLAY: none\"><div>{}</div></div>", link(CODE));
    assert_eq!(run(&page("", &styled, "")).verdict, Verdict::Hidden);
    let invisible = format!("<span style=\"color:red; visibility : hidden\">{}</span>", script(CODE));
    assert_eq!(run(&page("", &invisible, "")).verdict, Verdict::Hidden);
    // Once the hidden ancestor is closed, a later badge is visible.
    let closed = format!("<div hidden>x</div>{}", link(CODE));
    assert_eq!(run(&page("", &closed, "")).verdict, Verdict::Compliant);
}

#[test]
fn body_end_inside_script_comment_textarea_or_attribute_is_not_the_end() {
    // A `</body>` in a script string, a comment, a textarea or an attribute: the badge after
    // them is still inside the body.
    let tricks = "<script>var s = '</body></html>';</script><!-- </body> --><textarea></body></textarea><p title=\"</body>\">x</p>";
    let r = run(&page("", &format!("{tricks}{}", link(CODE)), ""));
    assert_eq!(r.verdict, Verdict::Compliant);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn uppercase_tags_and_attributes() {
    let html = format!("<HTML><HEAD><TITLE>Ｔ</TITLE></HEAD><BODY><A HREF=\"https://BS.EXAMPLE.GOV.CN/verify/{CODE}\">x</A></BODY></HTML>");
    let r = run(&html);
    assert_eq!(r.verdict, Verdict::Compliant);
    assert_eq!(r.title.as_deref(), Some("Ｔ"));
}

#[test]
fn escaped_snippet_shown_as_text_is_not_a_badge() {
    let shown =
        "<pre>&lt;script async src=\"https://bs.example.gov.cn/badge/4109220000016.js\"&gt;&lt;/script&gt;</pre>";
    assert_eq!(run(&page("", shown, "")).verdict, Verdict::Missing);
    let in_textarea = format!("<textarea>{}</textarea>", link(CODE));
    assert_eq!(run(&page("", &in_textarea, "")).verdict, Verdict::Missing);
    let in_title = format!("<!DOCTYPE html><html><head><title>{}</title></head><body></body></html>", link(CODE));
    assert_eq!(run(&in_title).verdict, Verdict::Missing);
    // Written by a script: not markup of the page.
    let written = format!("<script>document.write('{}');</script>", script(CODE).replace('/', "\\/"));
    assert_eq!(run(&page("", &written, "")).verdict, Verdict::Missing);
}

#[test]
fn warnings() {
    let r = run(&format!("<html><body><p>x</p>{}", link(CODE)));
    assert_eq!((r.verdict, r.warnings), (Verdict::Compliant, vec![Warning::NoBodyEndTag]));
    let two = format!("<html><body><p>x</p></body><body>{}</body></html>", link(CODE));
    assert_eq!(run(&two).warnings, [Warning::MultipleBodyEndTags]);
    let long_tail = format!("{}<p>{}</p><script>{}</script>", link(CODE), "字".repeat(2001), "x".repeat(5000));
    assert_eq!(run(&page("", &long_tail, "")).warnings, [Warning::NotAtBottom]);
    let short_tail = format!("{}<p>{}</p><script>{}</script>", link(CODE), "字".repeat(1999), "x".repeat(5000));
    assert!(run(&page("", &short_tail, "")).warnings.is_empty());
}

#[test]
fn gbk_pages_by_header_and_by_meta() {
    let html = page("", &link(CODE), "").replace("<meta charset=\"utf-8\">", "");
    let gbk = encoding_rs::GBK.encode(&html).0.into_owned();
    let r = run_bytes(&gbk, Some("text/html; charset=gb2312"));
    assert_eq!((r.verdict, r.encoding, r.title.as_deref()), (Verdict::Compliant, "GBK", Some("清丰县人民政府网")));
    let with_meta = page("", &link(CODE), "")
        .replace("charset=\"utf-8\"", "http-equiv=\"Content-Type\" content=\"text/html; charset=GBK\"");
    let r = run_bytes(&encoding_rs::GBK.encode(&with_meta).0, Some("text/html"));
    assert_eq!((r.encoding, r.title.as_deref()), ("GBK", Some("清丰县人民政府网")));
    // GB18030 four-byte characters decode too.
    let rare = page("", &link(CODE), "")
        .replace("清丰县人民政府网", "𠀀网")
        .replace("<meta charset=\"utf-8\">", "<meta charset=gbk>");
    let r = run_bytes(&encoding_rs::GB18030.encode(&rare).0, None);
    assert_eq!(r.title.as_deref(), Some("𠀀网"));
}

#[test]
fn utf16_pages_are_decoded_first() {
    let html = page("", &link(CODE), "");
    let mut bytes = vec![0xFF, 0xFE];
    for unit in html.encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    let r = run_bytes(&bytes, None);
    assert_eq!((r.verdict, r.encoding), (Verdict::Compliant, "UTF-16LE"));
}

#[test]
fn broken_markup_does_not_panic() {
    for html in [
        "<",
        "<a",
        "<a href=",
        "<a href='",
        "<!--",
        "<!",
        "</",
        "<script>",
        "<textarea>",
        "\u{feff}<body",
        "<a href=\"https://bs.example.gov.cn/verify/",
    ] {
        let r = run(html);
        assert_eq!(r.verdict, Verdict::Missing, "{html}");
    }
    let r = run_bytes(&[0xff, 0xfe, 0x00, b'<', 0xc3], None);
    assert_eq!(r.verdict, Verdict::Missing);
}

#[test]
fn links_read_with_the_check_equal_a_separate_extraction() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/real-pages");
    let page = Url::parse("https://www.qingfeng.gov.cn/news/index.html").unwrap();
    let mut pages = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "html") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let input = PageInput {
            bytes: &bytes,
            content_type: None,
            page_url: Some(&page),
            expected_code: CODE,
            legacy: None,
            badge_base: &base(),
        };
        let (report, links) = check_with_links(&input, None);
        let encoding = Encoding::for_label(report.encoding.as_bytes()).unwrap();
        // The check resolves a repeated value once, so it lists fewer repeats; the links are the same.
        let extracted = super::links::extract(&bytes, &page, encoding);
        assert_eq!(first_of_each(&links), first_of_each(&extracted), "{}", path.display());
        assert_eq!(report.verdict, check(&input).verdict);
        pages += usize::from(!links.is_empty());
    }
    assert!(pages >= 5, "the real pages have links");
}

/// Each URL of `links` once, where it first stands.
fn first_of_each(links: &[Url]) -> Vec<&Url> {
    let mut seen = HashSet::new();
    links.iter().filter(|url| seen.insert(*url)).collect()
}

/// The links the check reads on the page at `url`, with what the crawl `known` of the site.
fn links_of(url: &str, html: &str, known: Option<&super::links::KnownLinks>) -> Vec<String> {
    let page = Url::parse(url).unwrap();
    let input = PageInput {
        bytes: html.as_bytes(),
        content_type: None,
        page_url: Some(&page),
        expected_code: CODE,
        legacy: None,
        badge_base: &base(),
    };
    check_with_links(&input, known).1.iter().map(Url::to_string).collect()
}

#[test]
fn a_repeated_link_value_is_listed_once_unless_a_base_comes_between() {
    let html = "<a href=a.html>1</a><a href='a.html'>2</a><a href=./a.html>3</a>\
                <base href=/docs/><a href=a.html>4</a><a href=a.html>5</a>";
    assert_eq!(
        links_of("https://www.qingfeng.gov.cn/news/index.html", html, None),
        [
            "https://www.qingfeng.gov.cn/news/a.html",
            "https://www.qingfeng.gov.cn/news/a.html",
            "https://www.qingfeng.gov.cn/docs/a.html"
        ]
    );
}

#[test]
fn links_a_crawl_already_knows_are_left_out_of_the_next_page() {
    let known = super::links::KnownLinks::default();
    let menu = "<a href=/index.html>首页</a><a href=/news/>新闻</a><a href=list.html>列表</a>";
    let page = format!("{menu}<a href=2.html>2</a>");
    assert_eq!(
        links_of("https://www.example.gov.cn/news/1.html", &page, Some(&known)),
        [
            "https://www.example.gov.cn/index.html",
            "https://www.example.gov.cn/news/",
            "https://www.example.gov.cn/news/list.html",
            "https://www.example.gov.cn/news/2.html"
        ]
    );
    // The menu's paths from the root are known; its relative link is another page's.
    assert_eq!(
        links_of("https://www.example.gov.cn/about/1.html", &page, Some(&known)),
        ["https://www.example.gov.cn/about/list.html", "https://www.example.gov.cn/about/2.html"]
    );
}

/// Whether `needle` (lower case ASCII) occurs in `hay`, ignoring ASCII case, byte by byte:
/// what [`may_hold_a_word`] must agree with.
fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|window| window.eq_ignore_ascii_case(needle))
}

#[test]
fn the_word_filters_find_words_anywhere_and_only_whole() {
    assert!(may_name_a_badge(b"https://bs.example.gov.cn/VERIFY/4109"));
    assert!(may_name_a_badge(b"vverify"), "a false start before the match");
    assert!(may_name_a_badge(b"/Badge/") && may_name_a_badge(b"badge"));
    assert!(!may_name_a_badge(b"/verif") && !may_name_a_badge(b"") && !may_name_a_badge(b"conA"));
    assert!(!may_name_a_badge(b"v-e-r-i-f-y") && may_name_a_badge(b"v&e"));
    let badge_base = base();
    let scan = Scan::new(encoding_rs::UTF_8, Url::parse("https://a.example/").unwrap(), &badge_base);
    assert!(hides(b"display:NONE", &scan), "at the very end");
    assert!(hides(b"color:red; visibility : Hidden", &scan) && hides(b"display:&#110;one", &scan));
    assert!(!hides(b"display:block;border:none", &scan), "a word, but no hiding declaration");
    assert!(!hides(b"display:non", &scan) && !hides(b"", &scan));
}

#[test]
fn the_word_filter_reads_eight_bytes_at_a_time_as_one_would_byte_by_byte() {
    const BADGE_WORDS: [&[u8]; 3] = [b"verify", b"badge", b"conac"];
    const HIDING_WORDS: [&[u8]; 2] = [b"none", b"hidden"];
    let byte_by_byte =
        |raw: &[u8], words: &[&[u8]]| raw.contains(&b'&') || words.iter().any(|word| contains_ignore_case(raw, word));
    // Each word (and `&`) in either case at every place of a URL or style, across the
    // eight-byte steps and in the tail after them; words cut short; bytes that fold onto the
    // letters.
    let mut values: Vec<Vec<u8>> = Vec::new();
    let words = [&b"verify"[..], b"VeRiFy", b"badge", b"BADGE", b"conac", b"Conac", b"&", b"verif", b"badg", b"cona"];
    let style_words = [&b"none"[..], b"NoNe", b"hidden", b"HIDDEN", b"non", b"hidde"];
    for word in words.into_iter().chain(style_words) {
        for at in 0..20 {
            let mut value = b"https://www.example.gov.cn/".to_vec();
            value.truncate(at);
            value.extend_from_slice(word);
            value.extend_from_slice(&b"/x/index.html"[..(at % 7)]);
            values.push(value);
        }
    }
    let odd: [&[u8]; 7] = [b"", b"\x16erify", b"\x02adge\x06", b"vbc", b"/cCbBvV/", b"\x0eone", b"\x08Idden"];
    values.extend(odd.map(<[u8]>::to_vec));
    for value in &values {
        let shown = String::from_utf8_lossy(value);
        assert_eq!(may_hold_a_word(value, &BADGE_WORDS), byte_by_byte(value, &BADGE_WORDS), "{shown}");
        assert_eq!(may_hold_a_word(value, &HIDING_WORDS), byte_by_byte(value, &HIDING_WORDS), "{shown}");
    }
    for words in [&BADGE_WORDS[..], &HIDING_WORDS] {
        assert!(values.iter().any(|value| may_hold_a_word(value, words)));
        assert!(values.iter().any(|value| !may_hold_a_word(value, words)));
    }
}

#[test]
fn character_references_decoded_and_stray_ampersands_kept() {
    assert_eq!(decode_entities("a&amp;b&lt;&#x4e2d;&#25991;&nbsp;"), "a&b<中文\u{a0}");
    assert!(matches!(decode_entities("no references"), Cow::Borrowed(_)));
    // Not references: unknown names, no `;` near enough, a `&` inside, out-of-range numbers.
    assert_eq!(decode_entities("&copy; &amp &&amp; &#x110000; & ;"), "&copy; &amp && &#x110000; & ;");
    assert_eq!(decode_entities("&&&&lt;&"), "&&&<&");
    assert_eq!(decode_entities("&verylongname;&#000065;&#00000000065;"), "&verylongname;A&#00000000065;");
}

#[test]
fn plain_badge_urls_read_as_the_url_parser_reads_them() {
    let page = Url::parse("https://www.qingfeng.gov.cn/news/index.html").unwrap();
    let parsed = |raw: &str, script: bool| {
        let url = page.join(decode_entities(raw).trim()).ok()?;
        badge_code_in(&url, &base(), script)
    };
    let plain = [
        ("https://bs.example.gov.cn/verify/4109220000016", false),
        ("HTTP://BS.Example.gov.cn/verify/410922000001x/", false),
        ("//bs.example.gov.cn/verify/4109220000016?from=footer#top", false),
        ("https://bs.example.gov.cn/badge/4109220000016.js", true),
        ("https://bs.example.gov.cn/badge/4109220000016.js?v=2", true),
    ];
    for (raw, script) in plain {
        let fast = plain_badge_code(raw.as_bytes(), &page, &base(), script);
        assert!(fast.is_some(), "{raw}");
        assert_eq!(fast, parsed(raw, script), "{raw}");
    }
    // Anything less plain is left to the URL parser, which may or may not find a code.
    let not_plain = [
        (" https://bs.example.gov.cn/verify/4109220000016", false),
        ("https://bs.example.gov.cn:443/verify/4109220000016", false),
        ("https://bs.example.gov.cn/verify/4109220000016 ", false),
        ("https://bs.example.gov.cn/verify/41092200\t00016", false),
        ("https://bs.example.gov.cn/verify/4109220000016/../4109230000012", false),
        ("https://bs.example.gov.cn/verify/4109220000016&#47;", false),
        ("https://evil@bs.example.gov.cn/verify/4109220000016", false),
        ("https://bs.example.gov.cn.evil.cn/verify/4109220000016", false),
        ("https:&#47;&#47;bs.example.gov.cn/verify/4109220000016", false),
        ("https://bs.example.gov.cn/badge/4109220000016.jsx", true),
        ("/verify/4109220000016", false),
    ];
    for (raw, script) in not_plain {
        assert_eq!(plain_badge_code(raw.as_bytes(), &page, &base(), script), None, "{raw}");
    }
    // The parser still reads some of them as badges: the check does not lose them.
    assert_eq!(parsed(" https://bs.example.gov.cn:443/verify/4109220000016 ", false).as_deref(), Some(CODE));
    assert_eq!(parsed("https://bs.example.gov.cn/verify/41092200\t00016", false).as_deref(), Some(CODE));
}

#[test]
fn the_legacy_badge_read_around_its_names_equals_a_search_of_the_whole_markup() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/real-pages");
    let mut pages: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "html"))
        .map(|path| std::fs::read(path).unwrap())
        .collect();
    let script = "<script src=\"https://dcs.conac.cn/js/17/000/0000/60412140/CA170000000604121400001.js\"></script>";
    let filler = "<p>正文</p>".repeat(2000);
    pages.push(page("", &format!("<p>见conac.cn说明</p>{filler}{script}"), "").into_bytes());
    pages.push(page("", &format!("{filler}<span id=\"_ideConac\"></span>"), "").into_bytes());
    let static_copy = page("", &format!("{filler}<a href='//bszs.conac.cn/sitename?method=show&amp;id=1'>"), "");
    pages.push(encoding_rs::GBK.encode(&static_copy.replace("charset=\"utf-8\"", "charset=\"gbk\"")).0.into_owned());
    let mut found = 0;
    for bytes in &pages {
        let report = run_bytes(bytes, None);
        let encoding = Encoding::for_label(report.encoding.as_bytes()).unwrap();
        let whole = footer::find("", &encoding.decode_without_bom_handling(bytes).0, None).legacy_badge;
        assert_eq!(report.footer.legacy_badge, whole);
        found += usize::from(whole.is_some());
    }
    assert!(found >= 10, "{found}");
}
