//! A fixed set of badged sites and two stored sweeps of 濮阳市 (scope 4109), with fixed codes,
//! dates and results, for snapshot, trend, scoping and notice tests.
//!
//! | site | region | due        | sweep 1 (11-23)  | sweep 2 (11-30)   |
//! |------|--------|------------|------------------|-------------------|
//! | A    | 清丰县 | 2026-11-27 | compliant        | non_compliant     | (a regression)
//! | B    | 清丰县 | 2026-11-27 | non_compliant    | non_compliant     | (overdue at sweep 2)
//! | C    | 清丰县 | 2026-12-04 | non_compliant    | compliant         |
//! | F    | 清丰县 | 2026-11-20 | unreachable      | unreachable       |
//! | D    | 南乐县 | 2026-11-27 | non_compliant    | compliant         |
//! | E    | 南乐县 | 2026-11-27 | (suspended)      | (suspended)       |

use chrono::{DateTime, NaiveDate, Utc};
use govbadge::domain::badge::BadgeCode;
use govbadge::domain::region::RegionCode;
use govbadge::store::Pool;

/// A fixed instant, as both databases store it.
fn ts(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&Utc)
}

/// A fixed day.
fn day(iso: &str) -> NaiveDate {
    NaiveDate::parse_from_str(iso, "%Y-%m-%d").unwrap()
}

/// A stored page: URL, HTTP status, outcome, verdict, warnings, encoding.
type PageFixture<'a> = (&'a str, Option<i64>, &'a str, Option<&'a str>, &'a str, Option<&'a str>);

pub struct Site {
    pub key: &'static str,
    pub region: &'static str,
    pub serial: u32,
    pub unit: &'static str,
    pub site_name: &'static str,
    pub category: &'static str,
    pub domain: &'static str,
    pub due: &'static str,
    pub status: &'static str,
    /// Verdicts in sweep 1 and sweep 2.
    pub verdicts: [&'static str; 2],
}

pub const SITES: [Site; 6] = [
    Site {
        key: "A",
        region: "410922",
        serial: 1,
        unit: "清丰县人民政府办公室",
        site_name: "清丰县人民政府",
        category: "政府门户网站",
        domain: "www.qingfeng.gov.cn",
        due: "2026-11-27",
        status: "active",
        verdicts: ["compliant", "non_compliant"],
    },
    Site {
        key: "B",
        region: "410922",
        serial: 2,
        unit: "清丰县教育局",
        site_name: "清丰县教育局网站",
        category: "部门网站",
        domain: "jyj.qingfeng.gov.cn",
        due: "2026-11-27",
        status: "active",
        verdicts: ["non_compliant", "non_compliant"],
    },
    Site {
        key: "C",
        region: "410922",
        serial: 3,
        unit: "清丰县卫生健康委员会",
        site_name: "清丰县卫生健康委员会网站",
        category: "部门网站",
        domain: "wjw.qingfeng.gov.cn",
        due: "2026-12-04",
        status: "active",
        verdicts: ["non_compliant", "compliant"],
    },
    Site {
        key: "F",
        region: "410922",
        serial: 4,
        unit: "清丰县水利局",
        site_name: "清丰县水利局网站",
        category: "部门网站",
        domain: "slj.qingfeng.gov.cn",
        due: "2026-11-20",
        status: "active",
        verdicts: ["unreachable", "unreachable"],
    },
    Site {
        key: "D",
        region: "410923",
        serial: 1,
        unit: "南乐县人民政府办公室",
        site_name: "南乐县人民政府",
        category: "政府门户网站",
        domain: "www.nanle.gov.cn",
        due: "2026-11-27",
        status: "active",
        verdicts: ["non_compliant", "compliant"],
    },
    Site {
        key: "E",
        region: "410923",
        serial: 2,
        unit: "南乐县公安局",
        site_name: "南乐县公安局网站",
        category: "部门网站",
        domain: "gaj.nanle.gov.cn",
        due: "2026-11-27",
        status: "suspended",
        verdicts: ["suspended", "suspended"],
    },
];

pub fn code(key: &str) -> String {
    let site = SITES.iter().find(|s| s.key == key).unwrap();
    BadgeCode::new(&RegionCode::parse(site.region).unwrap(), site.serial).unwrap().as_str().to_owned()
}

/// The sites, their units (accounts 901…) and applications, badges issued on 2026-11-20.
pub async fn sites(pool: &Pool) {
    let at = "2026-11-20T02:00:00+00:00";
    for (i, s) in SITES.iter().enumerate() {
        let id = 901 + i as i64;
        govbadge::on_pool!(pool, p => sqlx::query(
            "INSERT INTO accounts (id, name, display_name, role, level, region, password_hash, created_at)
             VALUES ($1, $2, $3, 'unit', 'county', $4, 'x', $5)",
        )
        .bind(id)
        .bind(format!("{}.政务", s.unit))
        .bind(s.unit)
        .bind(s.region)
        .bind(ts(at))
        .execute(p).await.map(|r| r.rows_affected()))
        .unwrap();
        govbadge::on_pool!(pool, p => sqlx::query(
            "INSERT INTO applications (id, unit_id, kind, state, state_since, unit_name, category, site_name,
                domain_en, handler_name, handler_mobile, handler_email, created_at, updated_at)
             VALUES ($1, $2, 'new', 'issued', $3, $4, $5, $6, $7, '王明', $8, $9, $10, $11)",
        )
        .bind(id)
        .bind(id)
        .bind(ts(at))
        .bind(s.unit)
        .bind(s.category)
        .bind(s.site_name)
        .bind(s.domain)
        .bind(format!("1390393{:04}", i + 1))
        .bind(format!("site{}@unit.example", s.key.to_ascii_lowercase()))
        .bind(ts(at))
        .bind(ts(at))
        .execute(p).await.map(|r| r.rows_affected()))
        .unwrap();
        govbadge::on_pool!(pool, p => sqlx::query(
            "INSERT INTO badges (code, application_id, unit_id, region, serial, status, issued_at, install_due,
                status_changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(code(s.key))
        .bind(id)
        .bind(id)
        .bind(s.region)
        .bind(i64::from(s.serial))
        .bind(s.status)
        .bind(ts(at))
        .bind(day(s.due))
        .bind(ts(at))
        .execute(p).await.map(|r| r.rows_affected()))
        .unwrap();
    }
    // A counterfeit sighting of A's badge, and A seen on its own site.
    for (host, registered) in [("fake-qingfeng.example.com", false), ("www.qingfeng.gov.cn", true)] {
        govbadge::on_pool!(pool, p => sqlx::query(
            "INSERT INTO badge_sightings (code, host, registered, source, first_seen, last_seen, count)
             VALUES ($1, $2, $3, 'referer', '2026-11-22T03:00:00+00:00', '2026-11-29T03:00:00+00:00', 12)",
        )
        .bind(code("A"))
        .bind(host)
        .bind(registered)
        .execute(p).await.map(|r| r.rows_affected()))
        .unwrap();
    }
}

/// Sweep `n` (1 or 2) of scope 4109, finished, with two pages per crawled site.
pub async fn sweep(pool: &Pool, n: usize) -> i64 {
    let (started, finished) = match n {
        1 => ("2026-11-23T01:00:00+00:00", "2026-11-23T01:30:00+00:00"),
        _ => ("2026-11-30T01:00:00+00:00", "2026-11-30T01:40:00+00:00"),
    };
    let id: i64 = govbadge::on_pool!(pool, p => sqlx::query_scalar(
        "INSERT INTO sweeps (kind, scope, status, sites_total, started_at, finished_at)
         VALUES ('sweep', '4109', 'finished', $1, $2, $3) RETURNING id",
    )
    .bind(SITES.len() as i64)
    .bind(ts(started))
    .bind(ts(finished))
    .fetch_one(p).await)
    .unwrap();
    for s in &SITES {
        let verdict = s.verdicts[n - 1];
        let code = code(s.key);
        let home = format!("http://{}/", s.domain);
        let inner = format!("http://{}/xwzx/index.html", s.domain);
        let (pages, compliant, failing): (i64, i64, Option<(&str, &str)>) = match verdict {
            "compliant" => (2, 2, None),
            "non_compliant" => (2, 1, Some((inner.as_str(), "missing"))),
            "unreachable" => (1, 0, None),
            _ => (0, 0, None),
        };
        govbadge::on_pool!(pool, p => sqlx::query(
            "INSERT INTO sweep_sites (sweep_id, badge_code, site_verdict, pages, compliant, urls,
                first_failing_url, first_failing_verdict, checked_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(&code)
        .bind(verdict)
        .bind(pages)
        .bind(compliant)
        .bind(pages)
        .bind(failing.map(|f| f.0))
        .bind(failing.map(|f| f.1))
        .bind(ts(finished))
        .execute(p).await.map(|r| r.rows_affected()))
        .unwrap();
        let footer = format!(
            r#"{{"icp":"豫ICP备0501{:04}号","police":"豫公网安备{}02000{:03}号","site_id_code":"{}0001","legacy_badge":null}}"#,
            s.serial, s.region, s.serial, s.region
        );
        let page_rows: Vec<PageFixture<'_>> = match verdict {
            "compliant" => vec![
                (home.as_str(), Some(200), "ok", Some("compliant"), "", Some("UTF-8")),
                (inner.as_str(), Some(200), "ok", Some("compliant"), "not_at_bottom", Some("GBK")),
            ],
            "non_compliant" => vec![
                (home.as_str(), Some(200), "ok", Some("compliant"), "", Some("UTF-8")),
                (inner.as_str(), Some(200), "ok", Some("missing"), "", Some("GBK")),
            ],
            "unreachable" => vec![(home.as_str(), None, "timeout", None, "", None)],
            _ => vec![],
        };
        for (url, http, outcome, page_verdict, warnings, encoding) in page_rows {
            govbadge::on_pool!(pool, p => sqlx::query(
                "INSERT INTO sweep_pages (sweep_id, badge_code, url, http_status, outcome, verdict, warnings, title,
                    encoding, footer) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(id)
            .bind(&code)
            .bind(url)
            .bind(http)
            .bind(outcome)
            .bind(page_verdict)
            .bind(warnings)
            .bind(page_verdict.map(|_| format!("{} - 首页", s.site_name)))
            .bind(encoding)
            .bind(page_verdict.map(|_| footer.clone()))
            .execute(p).await.map(|r| r.rows_affected()))
            .unwrap();
        }
    }
    id
}
