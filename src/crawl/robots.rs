//! robots.txt (RFC 9309): the group for our user agent (or `*`), Allow/Disallow with `*` and
//! `$`, longest match wins and Allow wins ties; Crawl-delay; Sitemap lines.

use std::time::Duration;

/// The rules of one robots.txt for our user agent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Robots {
    rules: Vec<(bool, String)>,
    /// The Crawl-delay asked for, if any.
    pub crawl_delay: Option<Duration>,
    /// Sitemap URLs listed.
    pub sitemaps: Vec<String>,
}

/// One `User-agent` group: its agents, Allow (true) / Disallow (false) rules, Crawl-delay.
#[derive(Default)]
struct Group {
    agents: Vec<String>,
    rules: Vec<(bool, String)>,
    crawl_delay: Option<Duration>,
}

impl Robots {
    /// Everything allowed (no robots.txt, or one that could not be read as text).
    pub fn allow_all() -> Self {
        Self::default()
    }

    /// Parses robots.txt for the user agent whose product token is `agent`.
    pub fn parse(text: &str, agent: &str) -> Self {
        let agent = agent.split('/').next().unwrap_or(agent).to_ascii_lowercase();
        let mut groups: Vec<Group> = Vec::new();
        let mut sitemaps = Vec::new();
        let mut in_agents = false;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or_default().trim();
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            match key.as_str() {
                "user-agent" => {
                    if !in_agents {
                        groups.push(Group::default());
                    }
                    in_agents = true;
                    if let Some(g) = groups.last_mut() {
                        g.agents.push(value.to_ascii_lowercase());
                    }
                }
                "allow" | "disallow" => {
                    in_agents = false;
                    if let Some(g) = groups.last_mut() {
                        if !(key == "disallow" && value.is_empty()) {
                            g.rules.push((key == "allow", value.to_owned()));
                        }
                    }
                }
                "crawl-delay" => {
                    in_agents = false;
                    if let (Some(g), Ok(secs)) = (groups.last_mut(), value.parse::<f64>()) {
                        if secs.is_finite() && secs >= 0.0 {
                            g.crawl_delay = Some(Duration::from_secs_f64(secs.min(3600.0)));
                        }
                    }
                }
                "sitemap" => sitemaps.push(value.to_owned()),
                _ => {}
            }
        }
        let specific = groups
            .iter()
            .filter(|g| g.agents.iter().any(|a| a != "*" && agent.contains(a.as_str())))
            .collect::<Vec<_>>();
        let chosen = if specific.is_empty() {
            groups.iter().filter(|g| g.agents.iter().any(|a| a == "*")).collect()
        } else {
            specific
        };
        let mut rules = Vec::new();
        let mut crawl_delay = None;
        for g in chosen {
            rules.extend(g.rules.iter().cloned());
            crawl_delay = crawl_delay.or(g.crawl_delay);
        }
        Self { rules, crawl_delay, sitemaps }
    }

    /// Whether `path` (with its query) may be fetched.
    pub fn allowed(&self, path: &str) -> bool {
        if path == "/robots.txt" {
            return true;
        }
        let mut best: Option<(usize, bool)> = None;
        for (allow, pattern) in &self.rules {
            if matches(pattern, path) {
                let len = pattern.len();
                best = match best {
                    Some((l, a)) if l > len || (l == len && a) => Some((l, a)),
                    _ => Some((len, *allow)),
                };
            }
        }
        best.is_none_or(|(_, allow)| allow)
    }
}

/// Robots pattern match: `*` any sequence, a trailing `$` anchors the end.
fn matches(pattern: &str, path: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return if anchored { path == first } else { path.starts_with(first) };
    }
    if !path.starts_with(first) {
        return false;
    }
    let mut pos = first.len();
    for part in &parts[1..parts.len() - 1] {
        match path[pos..].find(part) {
            Some(found) => pos += found + part.len(),
            None => return false,
        }
    }
    if anchored {
        path.len() >= pos + last.len() && path.ends_with(last)
    } else {
        path[pos..].contains(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TXT: &str = "User-agent: *\nDisallow: /private/\nAllow: /private/open.html\nCrawl-delay: 2\n\nUser-agent: otherbot\nDisallow: /\n\nSitemap: https://www.example.gov.cn/sitemap.xml\n";

    #[test]
    fn groups_rules_delay_and_sitemaps() {
        let r = Robots::parse(TXT, "govbadge-checker/0.1.0");
        assert!(r.allowed("/index.html"));
        assert!(!r.allowed("/private/a.html"));
        assert!(r.allowed("/private/open.html"));
        assert_eq!(r.crawl_delay, Some(Duration::from_secs(2)));
        assert_eq!(r.sitemaps, ["https://www.example.gov.cn/sitemap.xml"]);
        let other = Robots::parse(TXT, "otherbot/1.0");
        assert!(!other.allowed("/index.html"));
    }

    #[test]
    fn wildcards_and_anchors() {
        let r = Robots::parse("User-agent: *\nDisallow: /*.pdf$\nDisallow: /search*q=\n", "govbadge-checker");
        assert!(!r.allowed("/files/a.pdf"));
        assert!(r.allowed("/files/a.pdf.html"));
        assert!(!r.allowed("/search?q=1"));
        assert!(r.allowed("/search"));
        assert!(Robots::parse("User-agent: *\nDisallow:\n", "x").allowed("/"));
    }
}
