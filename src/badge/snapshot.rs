//! The public badge data, held in memory and served without a database query per request:
//! reloaded whenever an issuance or a status change commits.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::badge::BadgeStatus;
use crate::store::Pool;

/// What the verification page and the badge show of one badge: public data only.
#[derive(Debug, Clone, Serialize)]
pub struct PublicBadge {
    /// The badge code.
    pub code: String,
    /// Active, suspended or revoked.
    pub status: BadgeStatus,
    /// `party` (党政机关, red) or `institution` (事业单位, blue).
    pub category: &'static str,
    /// The unit's name as approved.
    pub unit_name: String,
    /// The unit's category label (党政机关, 事业单位 …).
    pub unit_type: String,
    /// The unit's address.
    pub address: String,
    /// The unit's functions, as the verification page shows them.
    pub functions: String,
    /// The website's name.
    pub site_name: String,
    /// The Chinese domain name (`.政务`/`.公益`), as typed.
    pub domain_cn: String,
    /// The English domain name.
    pub domain_en: String,
    /// The office that issued the badge.
    pub issuer: String,
    /// When the badge was issued.
    pub issued_at: DateTime<Utc>,
    /// When the site was closed (注销), if it was.
    pub closed_at: Option<DateTime<Utc>>,
    /// Registered host names, ASCII (punycode) and lower case, without `www.` aliases.
    pub hosts: Vec<String>,
}

impl PublicBadge {
    /// Whether `host` is one of the site's hosts or their `www.` aliases.
    pub fn is_registered_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let bare = host.strip_prefix("www.").unwrap_or(&host);
        self.hosts.iter().any(|h| h == &host || h == bare || h.strip_prefix("www.") == Some(bare))
    }
}

/// The snapshot: by code, and by host for the public look-up.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Every badge by code.
    pub by_code: HashMap<String, Arc<PublicBadge>>,
    /// Registered host name (lower case, ASCII) to badge code.
    pub by_host: HashMap<String, String>,
    /// Bumped at every reload, so caches keyed on it go stale.
    pub generation: u64,
}

/// The badges as the public endpoints see them: one snapshot, swapped whole on reload.
#[derive(Clone, Default)]
pub struct BadgeDirectory {
    inner: Arc<RwLock<Arc<Snapshot>>>,
}

impl BadgeDirectory {
    /// The snapshot in force (cheap: one `Arc` clone under a read lock).
    pub fn current(&self) -> Arc<Snapshot> {
        self.inner.read().expect("snapshot lock").clone()
    }

    /// One badge of the snapshot in force.
    pub fn get(&self, code: &str) -> Option<Arc<PublicBadge>> {
        self.current().by_code.get(code).cloned()
    }

    /// Reloads every badge from the database (the latest issued application of each code).
    pub async fn reload(&self, pool: &Pool) -> Result<(), sqlx::Error> {
        let rows = crate::store::badges::public_rows(pool).await?;
        let previous = self.current().generation;
        let mut snapshot = Snapshot { generation: previous + 1, ..Snapshot::default() };
        for r in rows {
            let mut hosts = Vec::new();
            for h in [&r.domain_en, &r.domain_cn_ascii] {
                if !h.is_empty() {
                    hosts.push(h.to_ascii_lowercase());
                }
            }
            for h in &hosts {
                snapshot.by_host.insert(h.clone(), r.code.clone());
            }
            if !r.domain_cn.is_empty() {
                snapshot.by_host.insert(r.domain_cn.clone(), r.code.clone());
            }
            let badge = PublicBadge {
                code: r.code.clone(),
                status: r.status,
                category: if r.category == "事业单位" { "institution" } else { "party" },
                unit_name: r.unit_name,
                unit_type: r.category,
                address: r.address,
                functions: r.unit_functions,
                site_name: r.site_name,
                domain_cn: r.domain_cn,
                domain_en: r.domain_en,
                issuer: r.issuer.unwrap_or_default(),
                issued_at: r.issued_at,
                closed_at: r.closed_at,
                hosts,
            };
            snapshot.by_code.insert(r.code, Arc::new(badge));
        }
        *self.inner.write().expect("snapshot lock") = Arc::new(snapshot);
        Ok(())
    }

    /// The badge of a site by domain (English or Chinese, with or without `www.`).
    pub fn lookup(&self, domain: &str) -> Option<Arc<PublicBadge>> {
        let snapshot = self.current();
        let d = domain.trim().trim_end_matches(['.', '/']).to_lowercase();
        let d = d.strip_prefix("http://").or_else(|| d.strip_prefix("https://")).unwrap_or(&d).to_owned();
        let d = d.split('/').next().unwrap_or_default().to_owned();
        let ascii = idna::domain_to_ascii(&d).unwrap_or_else(|_| d.clone());
        let bare = ascii.strip_prefix("www.").unwrap_or(&ascii).to_owned();
        [d.clone(), ascii.clone(), bare.clone(), format!("www.{bare}")]
            .iter()
            .find_map(|k| snapshot.by_host.get(k))
            .and_then(|code| snapshot.by_code.get(code).cloned())
    }
}
