//! Fuzzes the page check: any bytes give a report without panicking, the same report twice,
//! and the tokenizer's spans stay inside the input and in order.
//! Run with `cargo +nightly fuzz run page_check -- -max_total_time=600` from the repository root.
#![no_main]

use govbadge::check::tokenizer::{Token, Tokenizer};
use govbadge::check::{check, PageInput};
use libfuzzer_sys::fuzz_target;
use url::Url;

fuzz_target!(|bytes: &[u8]| {
    let base = Url::parse("http://bs.example.gov.cn").unwrap();
    let run = || {
        check(&PageInput {
            bytes,
            content_type: None,
            page_url: None,
            expected_code: "4109220000016",
            legacy: None,
            badge_base: &base,
        })
    };
    let (a, b) = (run(), run());
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    let mut last = 0;
    for token in Tokenizer::new(bytes) {
        let span = match &token {
            Token::StartTag(tag) => tag.span.clone(),
            Token::EndTag { span, .. } | Token::Comment { span, .. } | Token::Text { span, .. } | Token::Doctype { span } => {
                span.clone()
            }
        };
        assert!(span.start >= last && span.end <= bytes.len() && span.start <= span.end);
        last = span.end;
    }
});
