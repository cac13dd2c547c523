//! What the searched lists read a page at a time share (the public list, the account lists,
//! the applications): the page asked for, the search text as typed, the number of pages.

/// The page asked for, from 1 (1 when absent, malformed or past 100,000).
pub fn page_number(asked: &str) -> i64 {
    asked.trim().parse::<i64>().ok().filter(|p| (1..=100_000).contains(p)).unwrap_or(1)
}

/// The search text: trimmed, without control characters, 50 characters at most.
pub fn search_text(typed: &str) -> String {
    typed.trim().chars().filter(|c| !c.is_control()).take(50).collect()
}

/// How many pages of `size` hold `total` rows (one when there are none).
pub fn page_count(total: i64, size: i64) -> i64 {
    ((total + size - 1) / size).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_text() {
        assert_eq!([" 3 ", "0", "-1", "x", "100001", ""].map(page_number), [3, 1, 1, 1, 1, 1]);
        assert_eq!(search_text(" 清丰\u{7}县 "), "清丰县");
        assert_eq!(search_text(&"长".repeat(80)).chars().count(), 50);
        assert_eq!([0, 1, 50, 51].map(|t| page_count(t, 50)), [1, 1, 1, 2]);
    }
}
