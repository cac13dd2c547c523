//! The page check's tokenizer against html5ever's (the WHATWG tokenizer under scraper): the real
//! pages of `tests/fixtures/`, with badges placed at random and random markup mutations, must
//! give the same tags, comments and doctypes in the same order. Then a bounded random run over
//! the check itself: no panic, the same report twice.

use std::cell::RefCell;

use govbadge::check::tokenizer::{Token, Tokenizer};
use govbadge::check::{check, PageInput, Verdict};
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token as HtmlToken, TokenSink, TokenSinkResult, Tokenizer as HtmlTokenizer, TokenizerOpts,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use url::Url;

const CODE: &str = "4109220000016";

/// What both tokenizers are compared on: markup tokens, text left out.
fn ours(html: &str) -> Vec<String> {
    let bytes = html.as_bytes();
    Tokenizer::new(bytes)
        .filter_map(|t| match t {
            Token::StartTag(tag) => Some(format!("<{}>", String::from_utf8_lossy(&tag.name))),
            Token::EndTag { name, .. } => Some(format!("</{}>", String::from_utf8_lossy(&name))),
            Token::Comment { content, .. } => Some(format!("#{}", normalise(&html[content]))),
            Token::Doctype { .. } => Some("doctype".into()),
            Token::Text { .. } => None,
        })
        .collect()
}

/// The input stream preprocessing of the standard: CR LF and CR become LF, NUL becomes U+FFFD.
fn normalise(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n").replace('\0', "\u{fffd}")
}

#[derive(Default)]
struct Sink {
    tokens: RefCell<Vec<String>>,
}

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: HtmlToken, _line: u64) -> TokenSinkResult<()> {
        let mut tokens = self.tokens.borrow_mut();
        match token {
            HtmlToken::TagToken(tag) => {
                let name = tag.name.to_string();
                if tag.kind == TagKind::EndTag {
                    tokens.push(format!("</{name}>"));
                    return TokenSinkResult::Continue;
                }
                tokens.push(format!("<{name}>"));
                // What the tree builder tells the tokenizer after these start tags.
                return match name.as_str() {
                    "script" => TokenSinkResult::RawData(RawKind::ScriptData),
                    "style" | "xmp" | "iframe" | "noembed" | "noframes" => TokenSinkResult::RawData(RawKind::Rawtext),
                    "textarea" | "title" => TokenSinkResult::RawData(RawKind::Rcdata),
                    "plaintext" => TokenSinkResult::Plaintext,
                    _ => TokenSinkResult::Continue,
                };
            }
            HtmlToken::CommentToken(text) => tokens.push(format!("#{text}")),
            HtmlToken::DoctypeToken(_) => tokens.push("doctype".into()),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

fn theirs(html: &str) -> Vec<String> {
    let tokenizer = HtmlTokenizer::new(Sink::default(), TokenizerOpts::default());
    let queue = BufferQueue::default();
    queue.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&queue);
    tokenizer.end();
    tokenizer.sink.tokens.take()
}

fn assert_same_tokens(html: &str, what: &str) {
    let (a, b) = (ours(html), theirs(html));
    if a != b {
        let at = a.iter().zip(&b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
        let from = at.saturating_sub(3);
        panic!(
            "{what}: token {at} differs\n ours:   {:?}\n theirs: {:?}",
            &a[from..(at + 3).min(a.len())],
            &b[from..(at + 3).min(b.len())]
        );
    }
}

fn real_pages() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/real-pages");
    let mut pages: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let path = e.ok()?.path();
            (path.extension()? == "html").then(|| {
                let bytes = std::fs::read(&path).unwrap();
                (path.file_name().unwrap().to_string_lossy().into_owned(), String::from_utf8_lossy(&bytes).into_owned())
            })
        })
        .collect();
    pages.sort();
    pages
}

/// Fragments that move tokenizer states: comment and script-escape openers and closers, raw
/// text elements, bogus comments, CDATA, quotes, stray brackets, the badge itself.
const FRAGMENTS: &[&str] = &[
    "<!--",
    "-->",
    "--!>",
    "<!-->",
    "<!--->",
    "<!",
    "<?",
    "</",
    "</>",
    "<",
    ">",
    "\"",
    "'",
    "=",
    "<script>",
    "</script>",
    "<script>/* <!-- */",
    "<!-- <script>",
    "<style>",
    "</style>",
    "<textarea>",
    "</textarea>",
    "<title>",
    "</title>",
    "<![CDATA[",
    "]]>",
    "</body>",
    "<body>",
    "<!DOCTYPE html>",
    "<a href=x",
    "<svg><![CDATA[<b>]]></svg>",
    "<script src=\"http://bs.example.gov.cn/badge/4109220000016.js\"></script>",
    "<a href='http://bs.example.gov.cn/verify/4109220000016'>标识</a>",
];

/// A char boundary at or before `at`.
fn boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn mutate(page: &str, rng: &mut StdRng) -> String {
    let mut text = page.to_owned();
    for _ in 0..rng.gen_range(1..8) {
        let at = boundary(&text, rng.gen_range(0..=text.len()));
        if rng.gen_bool(0.2) {
            let end = boundary(&text, at + rng.gen_range(0..200));
            text.replace_range(at..end, "");
        } else {
            text.insert_str(at, FRAGMENTS[rng.gen_range(0..FRAGMENTS.len())]);
        }
    }
    text
}

#[test]
fn tokenizer_agrees_with_html5ever_on_real_pages() {
    for (name, page) in real_pages() {
        assert_same_tokens(&page, &name);
    }
}

#[test]
fn tokenizer_agrees_with_html5ever_on_mutated_pages() {
    let pages = real_pages();
    let mut rng = StdRng::seed_from_u64(20261201);
    for round in 0..400 {
        let (name, page) = &pages[round % pages.len()];
        let mutated = mutate(page, &mut rng);
        assert_same_tokens(&mutated, &format!("{name}, round {round}"));
    }
}

#[test]
fn tokenizer_agrees_with_html5ever_on_fragment_soup() {
    let mut rng = StdRng::seed_from_u64(7);
    for round in 0..3000 {
        let soup: String = (0..rng.gen_range(1..12)).map(|_| FRAGMENTS[rng.gen_range(0..FRAGMENTS.len())]).collect();
        assert_same_tokens(&soup, &format!("soup {round}: {soup:?}"));
    }
}

/// Random placements and mutations through the whole check: it never panics, and the same
/// input gives the same report.
#[test]
fn check_is_total_and_deterministic_on_random_pages() {
    let base = Url::parse("http://bs.example.gov.cn").unwrap();
    let page_url = Url::parse("http://www.example.gov.cn/").unwrap();
    let pages = real_pages();
    let mut rng = StdRng::seed_from_u64(99);
    let run = |bytes: &[u8]| {
        check(&PageInput {
            bytes,
            content_type: None,
            page_url: Some(&page_url),
            expected_code: CODE,
            legacy: None,
            badge_base: &base,
        })
    };
    for round in 0..120 {
        let (_, page) = &pages[round % pages.len()];
        let mut bytes = mutate(page, &mut rng).into_bytes();
        // Some rounds get raw bytes that are not UTF-8 at all.
        if round % 5 == 0 {
            for _ in 0..20 {
                let at = rng.gen_range(0..bytes.len());
                bytes[at] = rng.gen();
            }
        }
        let first = run(&bytes);
        let again = run(&bytes);
        assert_eq!(serde_json::to_string(&first).unwrap(), serde_json::to_string(&again).unwrap());
    }
}

#[test]
fn a_comment_opener_inside_a_comment_does_not_hide_the_badge_in_it() {
    let base = Url::parse("http://bs.example.gov.cn").unwrap();
    let html = format!(
        "<html><body><p>x</p><!-- old footer <!-- <script src=\"http://bs.example.gov.cn/badge/{CODE}.js\"></script> --></body></html>"
    );
    let report = check(&PageInput {
        bytes: html.as_bytes(),
        content_type: None,
        page_url: None,
        expected_code: CODE,
        legacy: None,
        badge_base: &base,
    });
    assert_eq!(report.verdict, Verdict::CommentedOut);
}
