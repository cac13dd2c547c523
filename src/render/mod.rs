//! The rendered check: a page loaded in Debian's headless chromium with its own scripts, and the
//! badge judged as a visitor sees it (in the DOM, visible, at least its nominal size, at the
//! bottom centre, not covered). It stands beside the static check of `check`, which stays the
//! reference for "before `</body>`": it tells a footer written by script from a missing badge,
//! and a badge that is present but tiny, off to one side or covered from a good one.
//!
//! Pages are rendered in a pool of at most `crawl.render_tabs` tabs, each in a browser context
//! of its own, reused page after page and replaced after a failure or `PAGES_PER_TAB` pages.
//! Each page gets a time budget, a JavaScript heap cap, no downloads, no pop-ups, and requests
//! only to the site's hosts and the badge service: anything else is failed before it leaves the
//! browser. The browser starts on first use and again if it dies.

pub mod browser;
pub mod cdp;
pub mod verdict;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::{watch, Mutex, Semaphore};
use tokio::time::Instant;
use url::Url;

use self::browser::{Browser, VIEWPORT};
use self::cdp::{CdpError, Connection};
pub use self::verdict::{Expected, MeasuredBadge, Measurement, RenderVerdict};
use crate::check::Verdict;
use crate::config::CrawlConfig;

/// When pages are rendered (`crawl.render`).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, Serialize, strum::EnumString, strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum RenderMode {
    /// Never: the static check only.
    Never,
    /// Pages whose static verdict is `missing` or `hidden` and that load scripts.
    #[default]
    WhenNeeded,
    /// Every checked page.
    Always,
}

impl RenderMode {
    /// Whether a page with this static verdict is rendered.
    pub fn wants(self, static_verdict: Verdict, has_scripts: bool) -> bool {
        match self {
            RenderMode::Never => false,
            RenderMode::WhenNeeded => verdict::needed(static_verdict, has_scripts),
            RenderMode::Always => true,
        }
    }
}

/// Whether a page complies, by its static verdict and its rendered check (when it was
/// rendered). The static verdict decides, except where the page was also rendered: a badge a
/// script wrote (or showed) counts when a visitor sees it at the bottom centre, and a badge that
/// is in the markup counts only if the rendered page shows it so. A page the browser could not
/// render keeps its static verdict; markup after `</body>`, in `<head>`, commented out or of
/// another code is non-compliant however it renders.
pub fn page_compliant(static_verdict: Verdict, rendered: Option<RenderVerdict>) -> bool {
    match rendered_decides(static_verdict, rendered) {
        Some(rendered) => rendered.is_compliant(),
        None => static_verdict == Verdict::Compliant,
    }
}

/// The rendered verdict, where it (and not the static one) decides the page: it was rendered
/// without failing, and its markup either carries the badge or lacks it (`missing`, `hidden`).
pub fn rendered_decides(static_verdict: Verdict, rendered: Option<RenderVerdict>) -> Option<RenderVerdict> {
    let decisive = matches!(static_verdict, Verdict::Compliant | Verdict::Missing | Verdict::Hidden);
    rendered.filter(|r| decisive && *r != RenderVerdict::RenderFailed)
}

/// The rendered check of one page.
#[derive(Debug, Clone, Serialize)]
pub struct RenderedCheck {
    /// The verdict.
    pub verdict: RenderVerdict,
    /// The badge is in the rendered page but not in the served markup: a script wrote it.
    pub script_inserted: bool,
    /// The badge that decided, as measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub badge: Option<MeasuredBadge>,
    /// The page's laid-out width and height, in CSS pixels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_size: Option<(f64, f64)>,
    /// Requests the page made outside the site and the badge service, refused.
    pub blocked_requests: usize,
    /// Why the page could not be rendered, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// A PNG of the page's bottom, for a non-compliant page when one was asked for.
    #[serde(skip)]
    pub screenshot: Option<Vec<u8>>,
}

impl RenderedCheck {
    fn failed(detail: impl Into<String>) -> Self {
        Self {
            verdict: RenderVerdict::RenderFailed,
            script_inserted: false,
            badge: None,
            page_size: None,
            blocked_requests: 0,
            detail: Some(detail.into()),
            screenshot: None,
        }
    }
}

/// What to render and how to judge it.
#[derive(Debug, Clone)]
pub struct RenderRequest<'a> {
    /// The page (after redirects).
    pub url: &'a Url,
    /// The site's hosts (lower case, `www.` aliases included: `SiteSpec::host_set`), which
    /// the page may load from besides its own host and the badge service.
    pub hosts: &'a [String],
    /// The codes the badge must carry.
    pub expected: Expected<'a>,
    /// The static check's verdict on the same page.
    pub static_verdict: Verdict,
    /// Take a screenshot of the page's bottom if the verdict is not compliant.
    pub screenshot: bool,
}

/// The height of a screenshot of the page's bottom, in CSS pixels.
const SCREENSHOT_HEIGHT: f64 = 600.0;
/// The network is taken as settled after this long without a request in flight.
const NETWORK_IDLE: Duration = Duration::from_millis(300);
/// A tab (and its browser context) is closed and a fresh one opened after this many pages, so
/// that what pages leave behind (caches, service workers, leaks) stays bounded.
const PAGES_PER_TAB: usize = 50;
/// After the load event, scripts get at most this long to finish their requests.
const SETTLE_MAX: Duration = Duration::from_secs(3);
/// Closing a tab and its context, at most.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// Opening a tab and its context, at most.
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);
/// After the browser failed to start, pages are not rendered (`render_failed`) for this long.
const RELAUNCH_AFTER: Duration = Duration::from_secs(60);

/// Renders pages in a pool of browser tabs.
pub struct Renderer {
    config: CrawlConfig,
    badge_base: Url,
    /// `probe.js` with the badge service's base filled in.
    probe: String,
    tabs: Semaphore,
    /// Tabs between pages, ready for the next one.
    idle: std::sync::Mutex<Vec<Tab>>,
    browser: Mutex<Option<Arc<Browser>>>,
    /// When and why the browser last failed to start.
    launch_failed: std::sync::Mutex<Option<(Instant, String)>>,
}

impl Renderer {
    /// A renderer for `config` (`render_browser`, `render_tabs`, budgets); the browser starts
    /// when the first page is rendered.
    pub fn new(config: &CrawlConfig, badge_base: Url) -> Self {
        let base = serde_json::to_string(badge_base.as_str().trim_end_matches('/')).expect("a string");
        Self {
            config: config.clone(),
            probe: include_str!("probe.js").replace("__BASE__", &base),
            badge_base,
            tabs: Semaphore::new(config.render_tabs.max(1)),
            idle: std::sync::Mutex::new(Vec::new()),
            browser: Mutex::new(None),
            launch_failed: std::sync::Mutex::new(None),
        }
    }

    /// Renders and judges one page; never fails (a page that cannot be rendered is
    /// [`RenderVerdict::RenderFailed`] with the reason).
    pub async fn render(&self, request: &RenderRequest<'_>) -> RenderedCheck {
        let Ok(_slot) = self.tabs.acquire().await else { return RenderedCheck::failed("renderer closed") };
        let started = Instant::now();
        let mut tab = match self.idle_tab() {
            Some(tab) => tab,
            None => match self.running_browser().await {
                // A browser that stops answering must not hold the page: opening a tab has a
                // budget of its own.
                Ok(browser) => match tokio::time::timeout(OPEN_TIMEOUT, Tab::open(&browser.connection)).await {
                    Ok(Ok(tab)) => tab,
                    Ok(Err(e)) => return RenderedCheck::failed(e.to_string()),
                    Err(_) => return RenderedCheck::failed("the browser did not open a tab in time"),
                },
                Err(e) => return RenderedCheck::failed(e),
            },
        };
        let opened = started.elapsed();
        let budget = Duration::from_secs(self.config.render_page_seconds.max(1));
        let outcome = tokio::time::timeout(budget, self.render_in(&tab, request)).await;
        tab.pages += 1;
        tracing::debug!(
            url = %request.url,
            open_ms = opened.as_millis(),
            render_ms = (started.elapsed() - opened).as_millis(),
            "page rendered"
        );
        let check = match outcome {
            Ok(Ok(check)) => check,
            Ok(Err(e)) => RenderedCheck::failed(e.to_string()),
            Err(_) => RenderedCheck::failed(format!("not rendered within {} s", budget.as_secs())),
        };
        // A tab that failed (a page still spinning, a crashed renderer) or has served its
        // share of pages is closed with its context; the others wait for the next page.
        if check.verdict == RenderVerdict::RenderFailed || tab.pages >= PAGES_PER_TAB {
            tab.close().await;
        } else {
            self.idle.lock().expect("not poisoned").push(tab);
        }
        check
    }

    /// A tab left by an earlier page, if its browser still runs.
    fn idle_tab(&self) -> Option<Tab> {
        let mut idle = self.idle.lock().expect("not poisoned");
        while let Some(tab) = idle.pop() {
            if tab.connection.is_open() {
                return Some(tab);
            }
        }
        None
    }

    async fn running_browser(&self) -> Result<Arc<Browser>, String> {
        let mut slot = self.browser.lock().await;
        if let Some(browser) = slot.as_ref().filter(|b| b.connection.is_open()) {
            return Ok(browser.clone());
        }
        // A browser that cannot start is not tried again for every page of a sweep.
        if let Some(why) = self.recent_launch_failure() {
            return Err(why);
        }
        match Browser::launch(&self.config).await {
            Ok(browser) => {
                let browser = Arc::new(browser);
                *slot = Some(browser.clone());
                Ok(browser)
            }
            Err(e) => {
                tracing::warn!(error = %e, "the rendered check's browser did not start");
                *self.launch_failed.lock().expect("not poisoned") = Some((Instant::now(), e.to_string()));
                Err(e.to_string())
            }
        }
    }

    /// Why the browser failed to start, if it did within [`RELAUNCH_AFTER`].
    fn recent_launch_failure(&self) -> Option<String> {
        let failed = self.launch_failed.lock().expect("not poisoned");
        let (at, why) = failed.as_ref().filter(|(at, _)| at.elapsed() < RELAUNCH_AFTER)?;
        Some(format!("{why} ({} s ago)", at.elapsed().as_secs()))
    }

    async fn render_in(&self, tab: &Tab, request: &RenderRequest<'_>) -> Result<RenderedCheck, CdpError> {
        let mut allowed: HashSet<String> = request.hosts.iter().cloned().collect();
        allowed.extend(request.url.host_str().map(str::to_owned));
        allowed.extend(self.badge_base.host_str().map(str::to_owned));
        tab.state.send_replace(TabState { allowed, ..TabState::default() });
        let mut state = tab.state.subscribe();
        let navigated = tab.call("Page.navigate", json!({ "url": request.url.as_str() })).await?;
        if let Some(error) = navigated.get("errorText").and_then(Value::as_str) {
            return Ok(RenderedCheck::failed(format!("navigation failed: {error}")));
        }
        let navigated_at = Instant::now();
        wait_until_settled(&mut state).await;
        let settled_at = Instant::now();
        if state.borrow().crashed {
            return Ok(RenderedCheck::failed("the page's renderer crashed (memory budget?)"));
        }
        let measurement = self.measure(tab).await?;
        let (verdict, badge) = verdict::decide(&measurement, &request.expected);
        let measured_at = Instant::now();
        let screenshot = if request.screenshot && !verdict.is_compliant() {
            screenshot(tab, &measurement, badge.as_ref()).await
        } else {
            None
        };
        tracing::debug!(
            settle_ms = (settled_at - navigated_at).as_millis(),
            measure_ms = (measured_at - settled_at).as_millis(),
            screenshot_ms = measured_at.elapsed().as_millis(),
            "rendered page's phases"
        );
        let blocked_requests = state.borrow().blocked;
        Ok(RenderedCheck {
            verdict,
            script_inserted: badge.is_some() && request.static_verdict == Verdict::Missing,
            badge,
            page_size: Some((measurement.page_width, measurement.page_height)),
            blocked_requests,
            detail: None,
            screenshot,
        })
    }

    async fn measure(&self, tab: &Tab) -> Result<Measurement, CdpError> {
        let answer = tab.call("Runtime.evaluate", json!({ "expression": self.probe, "returnByValue": true })).await?;
        if let Some(exception) = answer.get("exceptionDetails") {
            let text = exception.get("text").and_then(Value::as_str).unwrap_or("exception");
            return Err(CdpError::Command { method: "Runtime.evaluate".into(), message: text.to_owned() });
        }
        let value = answer.pointer("/result/value").cloned().unwrap_or(Value::Null);
        serde_json::from_value(value)
            .map_err(|e| CdpError::Command { method: "Runtime.evaluate".into(), message: format!("probe result: {e}") })
    }
}

/// A PNG of the page's bottom (around the badge, when there is one).
async fn screenshot(tab: &Tab, m: &Measurement, badge: Option<&MeasuredBadge>) -> Option<Vec<u8>> {
    let height = SCREENSHOT_HEIGHT.min(m.page_height).max(1.0);
    let focus = badge.map_or(m.content_bottom.max(height), |b| b.y + b.height / 2.0 + height / 2.0);
    let top = (focus - height).clamp(0.0, (m.page_height - height).max(0.0));
    let clip = json!({ "x": 0, "y": top, "width": m.viewport_width.max(1.0), "height": height, "scale": 1 });
    let answer = tab
        .call("Page.captureScreenshot", json!({ "format": "png", "clip": clip, "captureBeyondViewport": true }))
        .await
        .ok()?;
    base64::engine::general_purpose::STANDARD.decode(answer.get("data")?.as_str()?).ok()
}

/// What the tab's event watcher has seen of the page being rendered (reset for each page).
#[derive(Debug, Clone, Default)]
struct TabState {
    /// Hosts the page may load from.
    allowed: HashSet<String>,
    loaded: bool,
    in_flight: HashSet<String>,
    last_activity: Option<Instant>,
    blocked: usize,
    crashed: bool,
}

/// Waits for the load event, then for the network to go quiet (scripts fetching a footer), at
/// most [`SETTLE_MAX`] after load; the caller's budget bounds the whole wait.
async fn wait_until_settled(state: &mut watch::Receiver<TabState>) {
    let _ = state.wait_for(|s| s.loaded || s.crashed).await;
    let settle_deadline = Instant::now() + SETTLE_MAX;
    loop {
        let (quiet_since, crashed) = {
            let s = state.borrow_and_update();
            let quiet = s.in_flight.is_empty().then(|| s.last_activity.unwrap_or_else(Instant::now));
            (quiet, s.crashed)
        };
        if crashed || Instant::now() >= settle_deadline {
            return;
        }
        let wake = match quiet_since {
            Some(since) if since + NETWORK_IDLE <= Instant::now() => return,
            Some(since) => (since + NETWORK_IDLE).min(settle_deadline),
            None => settle_deadline,
        };
        let _ = tokio::time::timeout_at(wake, state.changed()).await;
    }
}

/// Answers the tab's paused requests (the allowed hosts only), follows requests in flight, and
/// notes the load event, crashes and dialogs. Runs as long as the tab.
async fn watch_tab(
    connection: Arc<Connection>,
    session: String,
    mut events: tokio::sync::mpsc::UnboundedReceiver<cdp::Event>,
    state: Arc<watch::Sender<TabState>>,
) {
    while let Some(event) = events.recv().await {
        let p = &event.params;
        let request_id = || p.get("requestId").and_then(Value::as_str).unwrap_or_default().to_owned();
        match event.method.as_str() {
            "Fetch.requestPaused" => {
                let url = p.pointer("/request/url").and_then(Value::as_str).unwrap_or_default();
                if request_allowed(url, &state.borrow().allowed) {
                    connection.send(&session, "Fetch.continueRequest", json!({ "requestId": request_id() }));
                } else {
                    connection.send(
                        &session,
                        "Fetch.failRequest",
                        json!({ "requestId": request_id(), "errorReason": "BlockedByClient" }),
                    );
                    state.send_modify(|s| s.blocked += 1);
                }
            }
            "Network.requestWillBeSent" => state.send_modify(|s| {
                s.in_flight.insert(request_id());
                s.last_activity = Some(Instant::now());
            }),
            "Network.loadingFinished" | "Network.loadingFailed" => state.send_modify(|s| {
                s.in_flight.remove(&request_id());
                s.last_activity = Some(Instant::now());
            }),
            "Page.loadEventFired" => state.send_modify(|s| s.loaded = true),
            "Inspector.targetCrashed" => state.send_modify(|s| s.crashed = true),
            "Page.javascriptDialogOpening" => {
                // Leaving a page is allowed (`beforeunload`); alerts and prompts are dismissed.
                let leaving = p.get("type").and_then(Value::as_str) == Some("beforeunload");
                connection.send(&session, "Page.handleJavaScriptDialog", json!({ "accept": leaving }));
            }
            _ => {}
        }
    }
    // The browser went away.
    state.send_modify(|s| s.crashed = true);
}

/// Data, blob and about URLs, and http(s) to an allowed host.
fn request_allowed(url: &str, allowed: &HashSet<String>) -> bool {
    let Ok(url) = Url::parse(url) else { return false };
    match url.scheme() {
        "data" | "blob" | "about" => true,
        "http" | "https" => {
            url.host_str().is_some_and(|h| allowed.contains(&h.trim_end_matches('.').to_ascii_lowercase()))
        }
        _ => false,
    }
}

/// A tab in a browser context of its own, attached over the browser's connection, with its
/// event watcher. It renders pages one after another until it is closed.
struct Tab {
    connection: Arc<Connection>,
    context: String,
    session: String,
    state: Arc<watch::Sender<TabState>>,
    watcher: tokio::task::JoinHandle<()>,
    /// Pages rendered in it so far.
    pages: usize,
    /// Closed by [`Tab::close`]; otherwise dropping it closes it in the background.
    closed: bool,
}

impl Tab {
    async fn open(connection: &Arc<Connection>) -> Result<Self, CdpError> {
        let context = connection.call(None, "Target.createBrowserContext", json!({ "disposeOnDetach": true })).await?;
        let context = context.get("browserContextId").and_then(Value::as_str).unwrap_or_default().to_owned();
        let attached = async {
            connection
                .call(None, "Browser.setDownloadBehavior", json!({ "behavior": "deny", "browserContextId": context }))
                .await?;
            let target = connection
                .call(
                    None,
                    "Target.createTarget",
                    json!({ "url": "about:blank", "browserContextId": context, "width": VIEWPORT.0, "height": VIEWPORT.1 }),
                )
                .await?;
            let target = target.get("targetId").and_then(Value::as_str).unwrap_or_default().to_owned();
            let attached =
                connection.call(None, "Target.attachToTarget", json!({ "targetId": target, "flatten": true })).await?;
            Ok::<_, CdpError>(attached.get("sessionId").and_then(Value::as_str).unwrap_or_default().to_owned())
        }
        .await;
        let session = match attached {
            Ok(session) => session,
            Err(e) => {
                let _ =
                    connection.call(None, "Target.disposeBrowserContext", json!({ "browserContextId": context })).await;
                return Err(e);
            }
        };
        let state = Arc::new(watch::channel(TabState::default()).0);
        let events = connection.subscribe(&session);
        let watcher = tokio::spawn(watch_tab(connection.clone(), session.clone(), events, state.clone()));
        let tab = Self { connection: connection.clone(), context, session, state, watcher, pages: 0, closed: false };
        match tab.prepare().await {
            Ok(()) => Ok(tab),
            Err(e) => {
                tab.close().await;
                Err(e)
            }
        }
    }

    /// Every request paused for the allow list, network and page events on, pop-ups off, the
    /// desktop window size.
    async fn prepare(&self) -> Result<(), CdpError> {
        self.call("Fetch.enable", json!({ "patterns": [{ "urlPattern": "*", "requestStage": "Request" }] })).await?;
        self.call("Network.enable", json!({})).await?;
        self.call("Page.enable", json!({})).await?;
        self.call(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": "window.open = function () { return null; };" }),
        )
        .await?;
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": VIEWPORT.0, "height": VIEWPORT.1, "deviceScaleFactor": 1, "mobile": false }),
        )
        .await?;
        Ok(())
    }

    async fn call(&self, method: &str, params: Value) -> Result<Value, CdpError> {
        self.connection.call(Some(&self.session), method, params).await
    }

    /// Closes the tab with its context (cookies, storage, any window it opened).
    async fn close(mut self) {
        self.closed = true;
        self.connection.unsubscribe(&self.session);
        self.watcher.abort();
        let dispose =
            self.connection.call(None, "Target.disposeBrowserContext", json!({ "browserContextId": self.context }));
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, dispose).await;
    }
}

/// A tab dropped unclosed (its page's future was cancelled: the site's time budget ran out, a
/// sweep was stopped) is closed in the background, so no browser context is left behind.
impl Drop for Tab {
    fn drop(&mut self) {
        if self.closed {
            return;
        }
        self.connection.unsubscribe(&self.session);
        self.watcher.abort();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let connection = self.connection.clone();
        let context = std::mem::take(&mut self.context);
        runtime.spawn(async move {
            let dispose = connection.call(None, "Target.disposeBrowserContext", json!({ "browserContextId": context }));
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, dispose).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_site_and_the_badge_service_are_reachable() {
        let allowed: HashSet<String> = ["site.example".to_owned(), "bszs.example".to_owned()].into();
        assert!(request_allowed("https://site.example/footer.html", &allowed));
        assert!(request_allowed("http://bszs.example/badge/1.js", &allowed));
        assert!(request_allowed("data:image/png;base64,AAAA", &allowed));
        assert!(!request_allowed("https://tracker.example/x.js", &allowed));
        assert!(!request_allowed("http://169.254.169.254/latest/meta-data", &allowed));
        assert!(!request_allowed("file:///etc/passwd", &allowed));
        assert!(!request_allowed("not a url", &allowed));
    }

    #[test]
    fn a_rendered_check_decides_only_where_the_markup_rules_allow() {
        use RenderVerdict::*;
        assert!(page_compliant(Verdict::Compliant, None));
        assert!(page_compliant(Verdict::Compliant, Some(RenderFailed)), "a failed render keeps the static verdict");
        assert!(!page_compliant(Verdict::Compliant, Some(NotCentred)));
        assert!(page_compliant(Verdict::Missing, Some(RenderedCompliant)), "a footer written by script");
        assert!(!page_compliant(Verdict::Missing, Some(RenderFailed)));
        assert!(
            !page_compliant(Verdict::AfterBody, Some(RenderedCompliant)),
            "the static rules stay the reference for </body>"
        );
        assert!(!page_compliant(Verdict::WrongCode, Some(RenderedCompliant)));
        assert_eq!(rendered_decides(Verdict::AfterBody, Some(RenderedCompliant)), None);
        assert_eq!(rendered_decides(Verdict::Missing, Some(RenderFailed)), None);
        assert_eq!(rendered_decides(Verdict::Hidden, Some(Covered)), Some(Covered));
    }

    #[test]
    fn when_needed_renders_only_pages_without_a_visible_badge_that_load_scripts() {
        assert!(RenderMode::WhenNeeded.wants(Verdict::Missing, true));
        assert!(RenderMode::WhenNeeded.wants(Verdict::Hidden, true));
        assert!(!RenderMode::WhenNeeded.wants(Verdict::Missing, false));
        assert!(!RenderMode::WhenNeeded.wants(Verdict::Compliant, true));
        assert!(RenderMode::Always.wants(Verdict::Compliant, false));
        assert!(!RenderMode::Never.wants(Verdict::Missing, true));
    }
}
