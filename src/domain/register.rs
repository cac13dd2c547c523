//! The register of existing sites (网站注册库) as an office keeps it: one row per website with
//! its unit, domains, region and the national (CONAC) badge code it already carries. This
//! module reads one row's cells into a checked entry, with every problem named by its column
//! and said in Chinese; reading files and writing the database are elsewhere.

use chrono::NaiveDate;

use super::application::SYSTEM_CATEGORIES;
use super::badge::LegacyCode;
use super::fields::{parse_site_id_code, plain_text, ChineseDomain, CreditCode, Email, HostName, Mobile};
use super::region::{resolve_region, RegionCode};

/// One column of the register: its key, its heading in the file, whether it must be filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The key rows are read by.
    pub key: &'static str,
    /// The heading in the file's first row (Chinese).
    pub heading: &'static str,
    /// Whether every row must give it.
    pub required: bool,
}

const fn column(key: &'static str, heading: &'static str, required: bool) -> Column {
    Column { key, heading, required }
}

/// The register's columns, in the order of the template file.
pub const COLUMNS: [Column; 15] = [
    column("unit_name", "单位名称", true),
    column("credit_code", "统一社会信用代码", true),
    column("category", "系统类别", true),
    column("region", "行政区划", true),
    column("address", "单位地址", false),
    column("unit_functions", "单位职能", false),
    column("site_name", "网站名称", true),
    column("domain_cn", "中文域名", false),
    column("domain_en", "英文域名", false),
    column("legacy_code", "网站标识代码", true),
    column("legacy_link_id", "标识验证编号", false),
    column("site_id_code", "网站标识码", false),
    column("email", "联系邮箱", false),
    column("mobile", "联系手机", false),
    column("issued_on", "标识发放日期", false),
];

/// The heading of a column key (the key itself if unknown).
pub fn heading(key: &str) -> &str {
    COLUMNS.iter().find(|c| c.key == key).map_or(key, |c| c.heading)
}

/// The column a heading names: its Chinese heading or its key, ignoring surrounding space.
pub fn column_of(heading: &str) -> Option<&'static Column> {
    let h = heading.trim().trim_start_matches('\u{feff}').trim();
    COLUMNS.iter().find(|c| c.heading == h || c.key == h)
}

/// A checked row of the register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterEntry {
    /// 单位名称.
    pub unit_name: String,
    /// 统一社会信用代码: identifies the unit (and names its account).
    pub credit_code: CreditCode,
    /// 系统类别, one of [`SYSTEM_CATEGORIES`].
    pub category: &'static str,
    /// The unit's region.
    pub region: RegionCode,
    /// 单位地址.
    pub address: String,
    /// 单位职能.
    pub unit_functions: String,
    /// 网站名称.
    pub site_name: String,
    /// 中文域名.
    pub domain_cn: Option<ChineseDomain>,
    /// 英文域名.
    pub domain_en: Option<HostName>,
    /// The national badge code the site carries: the row's identity in the register.
    pub legacy_code: LegacyCode,
    /// The id of the badge's static verification link (`bszs.conac.cn/…&id=…`).
    pub legacy_link_id: Option<String>,
    /// 网站标识码 (`SiteIDCode`): 10 digits, or `bm` and 8 digits for central bodies.
    pub site_id_code: Option<String>,
    /// The unit's e-mail for notices.
    pub email: Option<Email>,
    /// The unit's mobile number for notices.
    pub mobile: Option<Mobile>,
    /// When the national badge was issued.
    pub issued_on: Option<NaiveDate>,
}

/// A problem with one cell: the column's key and the reason, in Chinese.
pub type CellError = (&'static str, String);

/// Field limits, in characters.
const NAME_MAX: usize = 100;
const TEXT_MAX: usize = 1000;
const ADDRESS_MAX: usize = 200;

/// Reads one row. `cell` gives a column's text by key ("" when absent).
pub fn read_row<'a>(cell: impl Fn(&str) -> &'a str) -> Result<RegisterEntry, Vec<CellError>> {
    let mut errors: Vec<CellError> = Vec::new();
    for c in COLUMNS.iter().filter(|c| c.required) {
        if cell(c.key).trim().is_empty() {
            errors.push((c.key, format!("请填写{}", c.heading)));
        }
    }
    let mut text = |key: &'static str, max: usize, multiline: bool| match plain_text(cell(key), max, multiline) {
        Ok(t) => t,
        Err(message) => {
            errors.push((key, message));
            String::new()
        }
    };
    let unit_name = text("unit_name", NAME_MAX, false);
    let address = text("address", ADDRESS_MAX, false);
    let unit_functions = text("unit_functions", TEXT_MAX, true);
    let site_name = text("site_name", NAME_MAX, false);
    let optional = |key: &'static str| Some(cell(key).trim()).filter(|t| !t.is_empty());
    let credit_code = optional("credit_code").and_then(|t| keep(&mut errors, "credit_code", CreditCode::parse(t)));
    let category = optional("category").and_then(|t| {
        let found = SYSTEM_CATEGORIES.iter().copied().find(|c| *c == t);
        if found.is_none() {
            errors.push(("category", format!("系统类别应为以下之一：{}", SYSTEM_CATEGORIES.join("、"))));
        }
        found
    });
    let region = optional("region").and_then(|t| keep(&mut errors, "region", region_of(t)));
    let domain_cn = optional("domain_cn").and_then(|t| keep(&mut errors, "domain_cn", ChineseDomain::parse(t)));
    let domain_en = optional("domain_en").and_then(|t| keep(&mut errors, "domain_en", HostName::parse(t)));
    if cell("domain_cn").trim().is_empty() && cell("domain_en").trim().is_empty() {
        errors.push(("domain_en", "中文域名和英文域名至少填写一个".to_owned()));
    }
    let legacy_code = optional("legacy_code").and_then(|t| {
        let code = LegacyCode::parse(t);
        if code.is_none() {
            errors.push(("legacy_code", "网站标识代码应为CA加21位数字，如CA010000000604412140001".to_owned()));
        }
        code
    });
    let legacy_link_id = optional("legacy_link_id").and_then(|t| {
        let ok = t.len() <= 64 && t.bytes().all(|b| b.is_ascii_alphanumeric());
        if !ok {
            errors.push(("legacy_link_id", "标识验证编号应为字母和数字（验证链接中id=后的部分）".to_owned()));
        }
        ok.then(|| t.to_ascii_uppercase())
    });
    let site_id_code = optional("site_id_code").and_then(|t| keep(&mut errors, "site_id_code", parse_site_id_code(t)));
    let email = optional("email").and_then(|t| keep(&mut errors, "email", Email::parse(t)));
    let mobile = optional("mobile").and_then(|t| keep(&mut errors, "mobile", Mobile::parse(t)));
    let issued_on = optional("issued_on").and_then(|t| {
        let date = parse_date(t);
        if date.is_none() {
            errors.push(("issued_on", "标识发放日期应为年-月-日，如2018-06-30".to_owned()));
        }
        date
    });
    match (credit_code, category, region, legacy_code) {
        (Some(credit_code), Some(category), Some(region), Some(legacy_code)) if errors.is_empty() => {
            Ok(RegisterEntry {
                unit_name,
                credit_code,
                category,
                region,
                address,
                unit_functions,
                site_name,
                domain_cn,
                domain_en,
                legacy_code,
                legacy_link_id,
                site_id_code,
                email,
                mobile,
                issued_on,
            })
        }
        _ => {
            errors.sort_by_key(|(key, _)| COLUMNS.iter().position(|c| c.key == *key));
            errors.dedup_by_key(|(key, _)| *key);
            Err(errors)
        }
    }
}

fn keep<T, E: ToString>(errors: &mut Vec<CellError>, key: &'static str, parsed: Result<T, E>) -> Option<T> {
    parsed.map_err(|e| errors.push((key, e.to_string()))).ok()
}

/// A region by its six-digit code, or by its name in the region table.
fn region_of(text: &str) -> Result<RegionCode, String> {
    resolve_region(text).map_err(|m| m.replace("请从列表中选择", "请填写6位行政区划代码"))
}

/// `2018-06-30`, `2018/6/30` or `2018.6.30`.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let parts: Vec<&str> = text.split(['-', '/', '.']).collect();
    let [y, m, d] = parts.as_slice() else { return None };
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, &str)]) -> Result<RegisterEntry, Vec<CellError>> {
        read_row(|key| pairs.iter().find(|(k, _)| *k == key).map_or("", |(_, v)| *v))
    }

    const GOOD: [(&str, &str); 10] = [
        ("unit_name", "清丰县人民政府办公室"),
        ("credit_code", "114109220055291383"),
        ("category", "政府"),
        ("region", "410922"),
        ("site_name", "清丰县人民政府"),
        ("domain_cn", "清丰县人民政府.政务"),
        ("domain_en", "www.qingfeng.gov.cn"),
        ("legacy_code", "CA410000000600000000001"),
        ("legacy_link_id", "081d1d6883441a53e053012819ac0daa"),
        ("issued_on", "2016/5/3"),
    ];

    #[test]
    fn a_complete_row_reads_into_an_entry() {
        let e = row(&GOOD).unwrap();
        assert_eq!(e.legacy_code.as_str(), "CA410000000600000000001");
        assert_eq!(e.region.as_str(), "410922");
        assert_eq!(e.legacy_link_id.as_deref(), Some("081D1D6883441A53E053012819AC0DAA"));
        assert_eq!(e.issued_on, NaiveDate::from_ymd_opt(2016, 5, 3));
        assert_eq!(e.domain_cn.unwrap().ascii(), "xn--iiqymo2k4sny6hktk5md.xn--zfr164b");
    }

    #[test]
    fn regions_by_name_and_every_problem_by_column() {
        let mut by_name = GOOD.to_vec();
        by_name[3] = ("region", "清丰县");
        assert_eq!(row(&by_name).unwrap().region.as_str(), "410922");
        let bad = [
            ("unit_name", "某单位"),
            ("credit_code", "11410922005529138X"),
            ("category", "公司"),
            ("region", "火星"),
            ("legacy_code", "4109220000016"),
            ("site_id_code", "12345"),
            ("issued_on", "去年"),
        ];
        let errors = row(&bad).unwrap_err();
        let keys: Vec<&str> = errors.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            keys,
            ["credit_code", "category", "region", "site_name", "domain_en", "legacy_code", "site_id_code", "issued_on"]
        );
        assert!(errors.iter().all(|(_, m)| !m.is_empty() && !m.is_ascii()), "{errors:?}");
    }

    #[test]
    fn headings_or_keys_name_columns() {
        assert_eq!(column_of(" 网站标识代码 ").map(|c| c.key), Some("legacy_code"));
        assert_eq!(column_of("\u{feff}单位名称").map(|c| c.key), Some("unit_name"));
        assert_eq!(column_of("domain_en").map(|c| c.key), Some("domain_en"));
        assert_eq!(column_of("备注"), None);
    }
}
