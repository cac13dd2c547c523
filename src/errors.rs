//! The text of an error and its sources, one message after the other, for logs and for the
//! failure details that are stored (a crawl's page detail, an outbox message's last error). A
//! source whose message the text already holds is left out (libraries often repeat their
//! source in their own message).

/// `outer: inner: innermost`, without repeats.
pub fn chain_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let part = e.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    #[derive(Debug, thiserror::Error)]
    #[error("sending failed: {0}")]
    struct Repeats(#[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] Repeats);

    #[test]
    fn sources_follow_and_repeats_are_left_out() {
        let e = Outer(Repeats(std::io::Error::other("connection reset")));
        assert_eq!(super::chain_text(&e), "outer: sending failed: connection reset");
    }
}
