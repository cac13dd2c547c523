//! The badges the public endpoints serve without a database query per request: for each code
//! only what the badge script, the image and the host checks need (status, category, hosts),
//! packed so that half a million badges take tens of megabytes and reload in well under a
//! second. The verification page's details are read from the database (`badge::details`).
//! Reloaded whenever an issuance or a status change commits.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use crate::domain::badge::BadgeStatus;
use crate::store::Pool;

/// One badge of the snapshot, borrowed from it.
#[derive(Debug, Clone, Copy)]
pub struct Listed<'a> {
    /// The badge code.
    pub code: &'a str,
    /// Active, suspended or revoked.
    pub status: BadgeStatus,
    /// `party` (党政机关, red) or `institution` (事业单位, blue).
    pub category: &'static str,
    /// Registered host names, ASCII (punycode) and lower case, one per line.
    hosts: &'a str,
}

impl<'a> Listed<'a> {
    /// Registered host names, ASCII (punycode) and lower case, without `www.` aliases.
    pub fn hosts(&self) -> impl Iterator<Item = &'a str> {
        self.hosts.split('\n').filter(|h| !h.is_empty())
    }

    /// Whether `host` is one of the site's hosts or their `www.` aliases.
    pub fn is_registered_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let bare = host.strip_prefix("www.").unwrap_or(&host);
        self.hosts().any(|h| h == host || h == bare || h.strip_prefix("www.") == Some(bare))
    }
}

/// One badge's place in the snapshot: its code and hosts are `text[at..]`, code first.
#[derive(Debug, Clone, Copy)]
struct Entry {
    at: u32,
    code_len: u8,
    hosts_len: u16,
    status: BadgeStatus,
    institution: bool,
}

/// The snapshot: every badge's code and hosts in one text, entries sorted by code, and a host
/// index sorted by the host's hash.
#[derive(Debug, Default)]
pub struct Snapshot {
    text: String,
    entries: Vec<Entry>,
    /// (hash of a host name, entry index), sorted.
    by_host: Vec<(u64, u32)>,
    /// Bumped at every reload, so caches keyed on it go stale.
    pub generation: u64,
    /// The badge data's fingerprint taken just before the snapshot was read
    /// (`store::badges::fingerprint`): the periodic reconcile reloads when it differs.
    pub fingerprint: Option<String>,
}

/// FNV-1a: the host index's hash (keys come from the register, not from requests).
fn host_hash(host: &str) -> u64 {
    host.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// A snapshot row as read: code, status, whether it is a public institution, and its hosts.
pub struct Row<'a> {
    /// The badge code.
    pub code: &'a str,
    /// Its status.
    pub status: BadgeStatus,
    /// A public institution's badge (事业单位) rather than a party or government body's.
    pub institution: bool,
    /// Host names as registered (any case, possibly empty).
    pub hosts: [&'a str; 2],
}

/// Why a snapshot cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The database did not answer.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// More badge text than the snapshot's 32-bit offsets address.
    #[error("the badge snapshot would exceed 4 GiB")]
    TooLarge,
}

/// A snapshot being filled, row by row (a host registered for two badges resolves to the
/// active one, then to the one added later; one website has one application, so two badges
/// share a host only when all but one are suspended or revoked).
pub struct Builder {
    snapshot: Snapshot,
    error: Option<SnapshotError>,
}

impl Builder {
    /// An empty snapshot of this generation.
    pub fn new(generation: u64) -> Self {
        Builder { snapshot: Snapshot { generation, ..Snapshot::default() }, error: None }
    }

    /// Adds a badge (after an error, nothing more is added and `finish` reports it).
    pub fn push(&mut self, row: Row<'_>) {
        if self.error.is_none() {
            self.error = self.snapshot.push(row).err();
        }
    }

    /// The snapshot, sorted and indexed.
    pub fn finish(self) -> Result<Snapshot, SnapshotError> {
        match self.error {
            Some(error) => Err(error),
            None => Ok(self.snapshot.indexed()),
        }
    }
}

impl Snapshot {
    /// Sorts the entries by code and indexes the hosts.
    fn indexed(mut self) -> Self {
        let Snapshot { text, entries, by_host, .. } = &mut self;
        entries.sort_unstable_by(|a, b| code_of(text, a).cmp(code_of(text, b)));
        for (index, entry) in entries.iter().enumerate() {
            let listed = listed(text, entry);
            for host in listed.hosts() {
                by_host.push((host_hash(host), index as u32));
            }
        }
        self.by_host.sort_unstable();
        self.text.shrink_to_fit();
        self.entries.shrink_to_fit();
        self.by_host.shrink_to_fit();
        self
    }

    fn push(&mut self, row: Row<'_>) -> Result<(), SnapshotError> {
        let at = u32::try_from(self.text.len()).map_err(|_| SnapshotError::TooLarge)?;
        let code_len = u8::try_from(row.code.len()).map_err(|_| SnapshotError::TooLarge)?;
        self.text.push_str(row.code);
        let hosts_start = self.text.len();
        for host in row.hosts.iter().filter(|h| !h.is_empty()) {
            self.text.push('\n');
            self.text.extend(host.chars().map(|c| c.to_ascii_lowercase()));
        }
        let hosts_len = u16::try_from(self.text.len() - hosts_start).map_err(|_| SnapshotError::TooLarge)?;
        self.entries.push(Entry { at, code_len, hosts_len, status: row.status, institution: row.institution });
        Ok(())
    }

    /// The badges in the snapshot.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the snapshot has no badge.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The badge with this code (as stored: upper case).
    pub fn find(&self, code: &str) -> Option<Listed<'_>> {
        let index = self.entries.binary_search_by(|e| code_of(&self.text, e).cmp(code)).ok()?;
        Some(listed(&self.text, &self.entries[index]))
    }

    /// The badge registered for `host` (lower case, ASCII): the active one if several are,
    /// then the one added last.
    pub fn find_host(&self, host: &str) -> Option<Listed<'_>> {
        let hash = host_hash(host);
        let start = self.by_host.partition_point(|&(h, _)| h < hash);
        self.by_host[start..]
            .iter()
            .take_while(|&&(h, _)| h == hash)
            .map(|&(_, index)| &self.entries[index as usize])
            .filter(|entry| listed(&self.text, entry).hosts().any(|h| h == host))
            .max_by_key(|entry| (entry.status == BadgeStatus::Active, entry.at))
            .map(|entry| listed(&self.text, entry))
    }

    /// Bytes the snapshot holds on the heap (for the start-up log and the benchmark).
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity()
            + self.entries.capacity() * std::mem::size_of::<Entry>()
            + self.by_host.capacity() * std::mem::size_of::<(u64, u32)>()
    }
}

fn code_of<'a>(text: &'a str, entry: &Entry) -> &'a str {
    let at = entry.at as usize;
    &text[at..at + usize::from(entry.code_len)]
}

fn listed<'a>(text: &'a str, entry: &Entry) -> Listed<'a> {
    let hosts_at = entry.at as usize + usize::from(entry.code_len);
    Listed {
        code: code_of(text, entry),
        status: entry.status,
        category: if entry.institution { "institution" } else { "party" },
        hosts: &text[hosts_at..hosts_at + usize::from(entry.hosts_len)],
    }
}

/// The badges as the public endpoints see them: one snapshot, swapped whole on reload.
#[derive(Clone, Default)]
pub struct BadgeDirectory {
    inner: Arc<RwLock<Arc<Snapshot>>>,
    /// The generation of the snapshot in force, read without the lock by [`LocalSnapshot`].
    published: Arc<AtomicU64>,
}

/// One thread's hold on the snapshot in force. The badge endpoints read it at every request:
/// taking the directory's lock and a clone of its `Arc` there would write to memory that every
/// thread writes (the lock's and the count's), and those writes cost more than the look-up.
/// This lock and this `Arc` are the thread's own; the directory's generation is only read.
#[derive(Default)]
pub struct LocalSnapshot(Mutex<Arc<Snapshot>>);

impl LocalSnapshot {
    /// The snapshot in force, taken from `directory` again when it has been reloaded. Held
    /// while the guard lives (not across an `.await`: the guard cannot be sent).
    pub fn get(&self, directory: &BadgeDirectory) -> MutexGuard<'_, Arc<Snapshot>> {
        let mut held = self.0.lock().expect("local snapshot lock");
        if held.generation != directory.published.load(Ordering::Acquire) {
            *held = directory.current();
        }
        held
    }
}

impl BadgeDirectory {
    /// The snapshot in force (cheap: one `Arc` clone under a read lock).
    pub fn current(&self) -> Arc<Snapshot> {
        self.inner.read().expect("snapshot lock").clone()
    }

    /// Whether the snapshot in force has a badge with this code, and its status.
    pub fn status(&self, code: &str) -> Option<BadgeStatus> {
        self.current().find(code).map(|b| b.status)
    }

    /// Reloads every badge from the database (the latest issued application of each code).
    pub async fn reload(&self, pool: &Pool) -> Result<(), SnapshotError> {
        let fingerprint = crate::store::badges::fingerprint(pool).await?;
        let mut builder = Builder::new(self.current().generation + 1);
        crate::store::badges::listed_rows(pool, |row| builder.push(row)).await?;
        let snapshot = Snapshot { fingerprint: Some(fingerprint), ..builder.finish()? };
        self.publish(snapshot);
        Ok(())
    }

    /// Puts `snapshot` in force.
    fn publish(&self, snapshot: Snapshot) {
        let generation = snapshot.generation;
        let mut inner = self.inner.write().expect("snapshot lock");
        *inner = Arc::new(snapshot);
        self.published.store(generation, Ordering::Release);
    }

    /// The code of the site with this domain (English or Chinese, with or without `www.`, a
    /// scheme or a path).
    pub fn lookup(&self, domain: &str) -> Option<String> {
        let snapshot = self.current();
        let d = domain.trim().trim_end_matches(['.', '/']).to_lowercase();
        let d = d.strip_prefix("http://").or_else(|| d.strip_prefix("https://")).unwrap_or(&d).to_owned();
        let d = d.split('/').next().unwrap_or_default().to_owned();
        let ascii = idna::domain_to_ascii(&d).unwrap_or_else(|_| d.clone());
        let bare = ascii.strip_prefix("www.").unwrap_or(&ascii).to_owned();
        [ascii.clone(), bare.clone(), format!("www.{bare}")]
            .iter()
            .find_map(|k| snapshot.find_host(k))
            .map(|b| b.code.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row<'a>(code: &'a str, status: BadgeStatus, hosts: [&'a str; 2]) -> Row<'a> {
        Row { code, status, institution: code.ends_with('6'), hosts }
    }

    /// A snapshot of `rows`, built as a reload builds it.
    fn build<'a>(rows: impl IntoIterator<Item = Row<'a>>, generation: u64) -> Result<Snapshot, SnapshotError> {
        let mut builder = Builder::new(generation);
        rows.into_iter().for_each(|row| builder.push(row));
        builder.finish()
    }

    #[test]
    fn a_thread_s_snapshot_follows_each_reload() {
        let directory = BadgeDirectory::default();
        let local = LocalSnapshot::default();
        assert!(local.get(&directory).find("4109220000016").is_none());
        directory.publish(build([row("4109220000016", BadgeStatus::Active, ["a.gov.cn", ""])], 1).unwrap());
        assert_eq!(local.get(&directory).generation, 1);
        assert_eq!(local.get(&directory).find("4109220000016").map(|b| b.status), Some(BadgeStatus::Active));
        directory.publish(build([row("4109220000016", BadgeStatus::Suspended, ["a.gov.cn", ""])], 2).unwrap());
        let held = local.get(&directory);
        assert_eq!(held.generation, 2);
        assert_eq!(held.find("4109220000016").map(|b| b.status), Some(BadgeStatus::Suspended));
        // The thread holds the directory's snapshot, not a copy of it.
        assert!(Arc::ptr_eq(&held, &directory.current()));
    }

    #[test]
    fn finds_badges_by_code_and_by_host() {
        let snapshot = build(
            [
                row("4109220000016", BadgeStatus::Active, ["www.Example.gov.cn", "xn--fiqs8s.xn--zfr164b"]),
                row("1100000000012", BadgeStatus::Suspended, ["b.gov.cn", ""]),
                row("CA123456789012345678901", BadgeStatus::Active, ["", "xn--legacy.xn--zfr164b"]),
            ],
            7,
        )
        .unwrap();
        assert_eq!(snapshot.len(), 3);
        assert_eq!(snapshot.generation, 7);
        let a = snapshot.find("4109220000016").unwrap();
        assert_eq!(a.hosts().collect::<Vec<_>>(), ["www.example.gov.cn", "xn--fiqs8s.xn--zfr164b"]);
        assert_eq!((a.status, a.category), (BadgeStatus::Active, "institution"));
        assert!(a.is_registered_host("example.gov.cn") && a.is_registered_host("WWW.example.gov.cn."));
        assert!(!a.is_registered_host("evil.example"));
        assert_eq!(
            snapshot.find("1100000000012").map(|b| (b.status, b.category)),
            Some((BadgeStatus::Suspended, "party"))
        );
        assert_eq!(snapshot.find("CA123456789012345678901").unwrap().hosts().count(), 1);
        assert!(snapshot.find("410922000001").is_none() && snapshot.find("").is_none());
        assert_eq!(snapshot.find_host("b.gov.cn").map(|b| b.code), Some("1100000000012"));
        assert_eq!(snapshot.find_host("xn--fiqs8s.xn--zfr164b").map(|b| b.code), Some("4109220000016"));
        assert!(snapshot.find_host("c.gov.cn").is_none());
    }

    #[test]
    fn a_host_of_two_badges_resolves_to_the_active_then_the_latest() {
        let snapshot = build(
            [
                row("1100000000012", BadgeStatus::Active, ["a.gov.cn", ""]),
                row("1100000000020", BadgeStatus::Revoked, ["a.gov.cn", ""]),
                row("1100000000039", BadgeStatus::Active, ["b.gov.cn", ""]),
                row("1100000000047", BadgeStatus::Active, ["b.gov.cn", ""]),
            ],
            1,
        )
        .unwrap();
        assert_eq!(snapshot.find_host("a.gov.cn").map(|b| b.code), Some("1100000000012"));
        assert_eq!(snapshot.find_host("b.gov.cn").map(|b| b.code), Some("1100000000047"));
    }

    #[test]
    fn a_badge_takes_a_few_dozen_bytes() {
        let mut builder = Builder::new(1);
        for i in 0..10_000 {
            let hosts = [format!("www.site{i}.gov.cn"), format!("xn--site{i}-abc.xn--zfr164b")];
            let code = format!("41092200{i:05}");
            builder.push(Row {
                code: &code,
                status: BadgeStatus::Active,
                institution: false,
                hosts: [&hosts[0], &hosts[1]],
            });
        }
        let snapshot = builder.finish().unwrap();
        let per_badge = snapshot.heap_bytes() / snapshot.len();
        assert!(per_badge < 120, "{per_badge} bytes per badge");
        assert!(snapshot.find("4109220009999").is_some());
    }
}
