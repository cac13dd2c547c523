//! Starting Debian's headless chromium for the rendered check: a private profile directory, no
//! extensions, background traffic or downloads, a JavaScript heap cap, the crawler's own host
//! mappings, and its `DevTools` WebSocket read from stderr. chromium runs in a process group of
//! its own; when the [`Browser`] is dropped the whole group is killed (its renderer, network and
//! storage helpers write to the profile too) and then the profile is removed.

use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustix::process::{kill_process_group, Pid, Signal};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::cdp::{CdpError, Connection};
use crate::config::CrawlConfig;

/// How long chromium may take to start and print its `DevTools` address.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a dropped browser's main process is given to be reaped after it was killed.
const EXIT_WAIT: Duration = Duration::from_secs(2);
/// The window every page is laid out in (a common desktop size).
pub const VIEWPORT: (u32, u32) = (1280, 800);

/// A running chromium and its `DevTools` connection.
pub struct Browser {
    /// The `DevTools` connection.
    pub connection: Arc<Connection>,
    /// Held for its `Drop`: the process group killed and the profile removed.
    _process: BrowserProcess,
}

/// chromium's process group and its profile directory, both gone when this is dropped (the
/// group is killed first; the profile, a field, is removed after).
struct BrowserProcess {
    child: Child,
    /// Held for its `Drop`, which runs after this struct's own.
    _profile: ProfileDir,
}

/// A private profile directory govbadge made for one browser, with the `tmp` directory inside
/// it that chromium is given as its `TMPDIR`; removed, whatever is in it, when dropped.
struct ProfileDir {
    path: PathBuf,
}

impl ProfileDir {
    /// Makes a new directory at `path` (0700) and its `tmp`. A path that already exists is not
    /// ours: that fails, and the path is left alone.
    fn create(path: PathBuf) -> Result<Self, LaunchError> {
        let private_dir = |path: &Path| {
            std::fs::DirBuilder::new()
                .mode(0o700)
                .create(path)
                .map_err(|source| LaunchError::Profile { path: path.display().to_string(), source })
        };
        private_dir(&path)?;
        // From here on the directory is ours, and dropping `made` removes it.
        let made = Self { path };
        private_dir(&made.temp())?;
        Ok(made)
    }

    /// The directory for chromium's temporary files.
    fn temp(&self) -> PathBuf {
        self.path.join("tmp")
    }
}

impl Drop for ProfileDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Why the browser could not be started.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// The executable could not be run.
    #[error("starting {path}: {source}")]
    Spawn {
        /// The configured executable.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Its private profile directory could not be made.
    #[error("making the browser's profile directory {path}: {source}")]
    Profile {
        /// The directory.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// It ran but never printed its `DevTools` address.
    #[error("chromium printed no DevTools address within {0:?}")]
    NoDevTools(Duration),
    /// Its `DevTools` WebSocket could not be opened.
    #[error(transparent)]
    Connect(#[from] CdpError),
}

impl Browser {
    /// Starts chromium as `crawl.render_browser` says.
    pub async fn launch(config: &CrawlConfig) -> Result<Self, LaunchError> {
        let profile =
            std::env::temp_dir().join(format!("govbadge-render-{}-{}", std::process::id(), rand::random::<u64>()));
        Self::launch_with_profile(config, profile).await
    }

    /// [`Browser::launch`] with its profile at `profile`, a path that must not exist yet.
    async fn launch_with_profile(config: &CrawlConfig, profile: PathBuf) -> Result<Self, LaunchError> {
        // chromium's temporary files (the directory of its single-instance socket, which it
        // leaves in the system's temporary directory when killed) go inside the profile, so
        // that they are removed with it. The profile is made here, private, and never reused;
        // every early return below drops it, and with it the directory.
        let profile = ProfileDir::create(profile)?;
        let mut command = Command::new(&config.render_browser);
        command
            .args([
                "--headless",
                "--remote-debugging-port=0",
                "--remote-debugging-address=127.0.0.1",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-gpu",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-default-apps",
                "--disable-dev-shm-usage",
                "--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication",
                "--mute-audio",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                "--no-pings",
                "--deny-permission-prompts",
            ])
            .arg(format!("--window-size={},{}", VIEWPORT.0, VIEWPORT.1))
            .arg(format!("--user-data-dir={}", profile.path.display()))
            .env("TMPDIR", profile.temp())
            .arg(format!("--js-flags=--max-old-space-size={}", config.render_memory_mb.max(16)))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        if running_as_root() {
            // chromium's sandbox cannot run as root; the page runs in its renderer without it.
            command.arg("--no-sandbox");
        }
        if let Some(rules) = resolver_rules(config) {
            command.arg(format!("--host-resolver-rules={rules}"));
        }
        let child = command
            .spawn()
            .map_err(|source| LaunchError::Spawn { path: config.render_browser.display().to_string(), source })?;
        let mut process = BrowserProcess { child, _profile: profile };
        let stderr = process.child.stderr.take().expect("piped");
        let mut lines = BufReader::new(stderr).lines();
        let ws_url = tokio::time::timeout(START_TIMEOUT, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(at) = line.find("ws://") {
                    return Some(line[at..].trim().to_owned());
                }
            }
            None
        })
        .await
        .ok()
        .flatten();
        let Some(ws_url) = ws_url else { return Err(LaunchError::NoDevTools(START_TIMEOUT)) };
        // The rest of stderr is read and dropped, so chromium never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let connection = Connection::connect(&ws_url).await?;
        Ok(Self { connection, _process: process })
    }
}

impl Drop for BrowserProcess {
    fn drop(&mut self) {
        // The group's id is chromium's pid (`process_group(0)`); its helpers stay in it.
        if let Some(pid) = self.child.id().and_then(|id| Pid::from_raw(i32::try_from(id).ok()?)) {
            let _ = kill_process_group(pid, Signal::KILL);
        }
        let _ = self.child.start_kill();
        // Reaping takes milliseconds; the wait is bounded so a stuck exit cannot hold the caller.
        let deadline = std::time::Instant::now() + EXIT_WAIT;
        while matches!(self.child.try_wait(), Ok(None)) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        // `_profile` is dropped after this, with the group gone: nothing writes to it any more.
    }
}

/// `/proc/self` belongs to the process's effective user.
fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The crawler's fixed host addresses (`crawl.resolve`) as chromium's resolver rules, so the
/// browser reaches the same servers the crawler fetched from (a port of 0 keeps the URL's).
fn resolver_rules(config: &CrawlConfig) -> Option<String> {
    let rules: Vec<String> = config
        .resolve
        .iter()
        .map(|(host, addr)| match addr.port() {
            0 => format!("MAP {host} {}", addr.ip()),
            _ => format!("MAP {host} {addr}"),
        })
        .collect();
    (!rules.is_empty()).then(|| rules.join(", "))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn scratch_path(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!(
            "govbadge-profile-test-{name}-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ))
    }

    #[test]
    fn a_profile_is_made_private_and_removed_with_what_is_in_it() {
        let path = scratch_path("made");
        let profile = ProfileDir::create(path.clone()).expect("a new path");
        assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o700);
        assert!(profile.temp().is_dir());
        std::fs::write(profile.temp().join("socket"), b"x").unwrap();
        drop(profile);
        assert!(!path.exists());
    }

    #[test]
    fn a_path_that_already_exists_is_refused_and_left_alone() {
        let path = scratch_path("taken");
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("theirs"), b"x").unwrap();
        let refused = ProfileDir::create(path.clone());
        assert!(matches!(refused, Err(LaunchError::Profile { .. })));
        assert!(path.join("theirs").exists(), "a directory govbadge did not make is not removed");
        std::fs::remove_dir_all(&path).unwrap();
    }

    #[tokio::test]
    async fn a_browser_that_cannot_be_started_leaves_no_profile_behind() {
        let config = CrawlConfig { render_browser: scratch_path("no-such-browser"), ..CrawlConfig::default() };
        let profile = scratch_path("unstarted");
        let launched = Browser::launch_with_profile(&config, profile.clone()).await;
        assert!(matches!(launched, Err(LaunchError::Spawn { .. })));
        assert!(!profile.exists(), "the profile made for a browser that never started is removed");
    }

    /// A page is loaded, so chromium has started its helper processes (renderer, network and
    /// storage services) that write to the profile; once the browser is dropped, none of them may
    /// leave anything behind.
    #[tokio::test]
    async fn a_dropped_browser_leaves_no_profile_behind() {
        let config = CrawlConfig::default();
        if !config.render_browser.exists() {
            panic!("the rendered check's tests need {}", config.render_browser.display());
        }
        let browser = Browser::launch(&config).await.expect("chromium starts");
        let profile = browser._process._profile.path.clone();
        let page = "data:text/html,<script>localStorage.setItem('k','v');document.cookie='a=b'</script><p>x";
        browser.connection.call(None, "Target.createTarget", json!({ "url": page })).await.expect("a tab opens");
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(profile.exists(), "chromium writes its profile while it runs");
        // Its single-instance socket's directory, which a killed chromium leaves behind, is in
        // the profile's own temporary directory, not the system's.
        let socket = std::fs::read_link(profile.join("SingletonSocket")).expect("chromium's socket link");
        assert!(socket.starts_with(profile.join("tmp")), "{} is outside the profile", socket.display());
        drop(browser);
        // Helper processes that outlived the browser would write again within this time.
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(
            !profile.exists(),
            "{} is left behind: {:?}",
            profile.display(),
            std::fs::read_dir(&profile).map(Iterator::count)
        );
    }
}
