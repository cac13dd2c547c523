//! What the searched lists read a page at a time share (the public list, the account lists,
//! the applications): the page asked for, the search text as typed, the number of pages, and
//! the reading of a page that falls back to the last one; and the page of a list held whole
//! (the offices' queues, which the workflow's rules decide in Rust).

use std::future::Future;

use crate::store::{Listed, StoreError};

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

/// One page of a list, read by [`read_page`].
pub struct ReadPage<T> {
    /// Its rows, and those that could not be read.
    pub rows: Listed<T>,
    /// Rows matching in all.
    pub total: i64,
    /// This page's number (the last one when a later page was asked for).
    pub page: i64,
    /// The last page's number.
    pub pages: i64,
}

/// The page `asked` of a list that `read(limit, offset)` answers with its rows and total, `size`
/// rows a page; the last page instead when there are fewer (an action on the last row of the
/// last page leaves it empty), read again only then.
pub async fn read_page<T, F, Fut>(asked: i64, size: i64, read: F) -> Result<ReadPage<T>, StoreError>
where
    F: Fn(i64, i64) -> Fut,
    Fut: Future<Output = Result<(Listed<T>, i64), StoreError>>,
{
    let (mut rows, total) = read(size, (asked - 1) * size).await?;
    let pages = page_count(total, size);
    let page = asked.min(pages);
    if page < asked {
        rows = read(size, (page - 1) * size).await?.0;
    }
    Ok(ReadPage { rows, total, page, pages })
}

/// One page of a list held whole.
pub struct Slice<T> {
    /// Its items, in the list's order.
    pub items: Vec<T>,
    /// Items in the whole list.
    pub total: usize,
    /// This page's number (the last one when a later page was asked for).
    pub page: i64,
    /// The last page's number.
    pub pages: i64,
}

/// The page `asked` of `all`, `size` items a page; the last page when there are fewer.
pub fn slice<T>(all: Vec<T>, asked: i64, size: i64) -> Slice<T> {
    let total = all.len();
    let pages = page_count(i64::try_from(total).unwrap_or(i64::MAX), size);
    let page = asked.clamp(1, pages);
    let first = usize::try_from((page - 1) * size).unwrap_or(usize::MAX);
    let items = all.into_iter().skip(first).take(usize::try_from(size).unwrap_or(0)).collect();
    Slice { items, total, page, pages }
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

    #[test]
    fn a_list_held_whole_is_sliced_into_pages() {
        let all: Vec<i64> = (0..120).collect();
        let second = slice(all.clone(), 2, 50);
        assert_eq!(
            (second.items.first(), second.items.len(), second.total, second.page, second.pages),
            (Some(&50), 50, 120, 2, 3)
        );
        let past = slice(all, 9, 50);
        assert_eq!((past.items.first(), past.items.len(), past.page), (Some(&100), 20, 3));
        let none = slice(Vec::<i64>::new(), 4, 50);
        assert_eq!((none.items.len(), none.total, none.page, none.pages), (0, 0, 1, 1));
    }

    #[tokio::test]
    async fn a_page_past_the_last_is_the_last_one_read_again() {
        // 120 rows, 50 a page: the rows are their own offsets.
        let offsets = std::sync::Mutex::new(Vec::new());
        let read = |limit: i64, offset: i64| {
            offsets.lock().unwrap().push(offset);
            let items = (offset..(offset + limit).min(120)).collect::<Vec<i64>>();
            async move { Ok((Listed { items, unreadable: Vec::new() }, 120)) }
        };
        let second = read_page(2, 50, &read).await.unwrap();
        assert_eq!((second.rows.items.first(), second.total, second.page, second.pages), (Some(&50), 120, 2, 3));
        let past = read_page(9, 50, &read).await.unwrap();
        assert_eq!((past.rows.items.len(), past.page, past.pages), (20, 3, 3));
        assert_eq!(*offsets.lock().unwrap(), [50, 400, 100], "read again only for the page past the last");
    }
}
