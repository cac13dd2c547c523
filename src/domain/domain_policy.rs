//! Which domain names a website of each category may use (管理办法 and the 2018 notice on
//! government website domains): party and government bodies use `.政务` Chinese names and
//! government websites `.gov.cn` English names; public institutions use `.公益`; public
//! institutions without administrative functions may not use `.gov.cn`. Configurable per
//! category; the defaults are those rules.

use serde::Deserialize;

use super::fields::{ChineseDomain, HostName};

/// One rule: the categories it covers and the domain endings it asks for or refuses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainRule {
    /// 系统类别 the rule covers.
    pub categories: Vec<String>,
    /// A Chinese domain must end with one of these (none: any).
    #[serde(default)]
    pub chinese_suffixes: Vec<String>,
    /// An English domain must end with one of these (none: any).
    #[serde(default)]
    pub english_suffixes: Vec<String>,
    /// An English domain may not end with any of these.
    #[serde(default)]
    pub english_forbidden: Vec<String>,
    /// The rule's source, quoted in the field message.
    pub basis: String,
}

/// The rules, first match per category.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DomainPolicy {
    /// The rules in force.
    pub rules: Vec<DomainRule>,
}

const BASIS_ORGANS: &str = "《党政机关和事业单位网站标识管理办法》：党政机关网站使用“.政务”中文域名";
const BASIS_GOVERNMENT: &str =
    "国务院办公厅关于加强政府网站域名管理的通知：政府网站英文域名应以“.gov.cn”结尾，并使用“.政务”中文域名";
const BASIS_INSTITUTIONS: &str =
    "《党政机关和事业单位网站标识管理办法》：事业单位网站使用“.公益”中文域名；非行政机构不得使用“.gov.cn”英文域名";

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

impl Default for DomainPolicy {
    fn default() -> Self {
        Self {
            rules: vec![
                DomainRule {
                    categories: strings(&["政府"]),
                    chinese_suffixes: strings(&[".政务", ".政务.cn"]),
                    english_suffixes: strings(&[".gov.cn"]),
                    english_forbidden: Vec::new(),
                    basis: BASIS_GOVERNMENT.to_owned(),
                },
                DomainRule {
                    categories: strings(&["党委", "人大", "政协", "监察", "法院", "检察院", "民主党派", "群团组织"]),
                    chinese_suffixes: strings(&[".政务", ".政务.cn"]),
                    english_suffixes: Vec::new(),
                    english_forbidden: Vec::new(),
                    basis: BASIS_ORGANS.to_owned(),
                },
                DomainRule {
                    categories: strings(&["事业单位"]),
                    chinese_suffixes: strings(&[".公益", ".公益.cn"]),
                    english_suffixes: Vec::new(),
                    english_forbidden: strings(&[".gov.cn"]),
                    basis: BASIS_INSTITUTIONS.to_owned(),
                },
            ],
        }
    }
}

/// `“.政务”或“.政务.cn”`.
fn either(suffixes: &[String]) -> String {
    suffixes.iter().map(|s| format!("“{s}”")).collect::<Vec<_>>().join("或")
}

fn ends_with_any(domain: &str, suffixes: &[String]) -> bool {
    suffixes.iter().any(|s| domain.ends_with(s.as_str()) || domain.ends_with(&s.to_lowercase()))
}

impl DomainPolicy {
    /// The rule for a category, if any.
    pub fn rule_for(&self, category: &str) -> Option<&DomainRule> {
        self.rules.iter().find(|r| r.categories.iter().any(|c| c == category))
    }

    /// The field messages for domains a website of `category` may not use: (field, message).
    pub fn check(
        &self,
        category: &str,
        domain_cn: Option<&ChineseDomain>,
        domain_en: Option<&HostName>,
    ) -> Vec<(&'static str, String)> {
        let Some(rule) = self.rule_for(category) else { return Vec::new() };
        let mut problems = Vec::new();
        if let Some(cn) = domain_cn {
            if !rule.chinese_suffixes.is_empty() && !ends_with_any(cn.unicode(), &rule.chinese_suffixes) {
                problems.push((
                    "domain_cn",
                    format!(
                        "系统类别为“{category}”的网站，中文域名应以{}结尾（依据：{}）",
                        either(&rule.chinese_suffixes),
                        rule.basis
                    ),
                ));
            }
        }
        if let Some(en) = domain_en {
            let en = en.as_str();
            if let Some(bad) = rule.english_forbidden.iter().find(|s| en.ends_with(s.as_str())) {
                problems.push((
                    "domain_en",
                    format!("系统类别为“{category}”的网站不得使用以“{bad}”结尾的英文域名（依据：{}）", rule.basis),
                ));
            } else if !rule.english_suffixes.is_empty() && !ends_with_any(en, &rule.english_suffixes) {
                problems.push((
                    "domain_en",
                    format!(
                        "系统类别为“{category}”的网站，英文域名应以{}结尾（依据：{}）",
                        either(&rule.english_suffixes),
                        rule.basis
                    ),
                ));
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(category: &str, cn: &str, en: &str) -> Vec<&'static str> {
        let cn = (!cn.is_empty()).then(|| ChineseDomain::parse(cn).unwrap());
        let en = (!en.is_empty()).then(|| HostName::parse(en).unwrap());
        DomainPolicy::default().check(category, cn.as_ref(), en.as_ref()).into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn the_default_rules() {
        assert!(check("政府", "清丰县人民政府.政务", "www.qingfeng.gov.cn").is_empty());
        assert_eq!(check("政府", "清丰县人民政府.公益", "www.qingfeng.com.cn"), ["domain_cn", "domain_en"]);
        assert!(check("党委", "清丰县委.政务", "www.12371.cn").is_empty());
        assert!(check("事业单位", "清丰县人民医院.公益", "www.qfxrmyy.cn").is_empty());
        assert_eq!(check("事业单位", "清丰县人民医院.政务", "yy.qingfeng.gov.cn"), ["domain_cn", "domain_en"]);
        assert!(check("其他", "某单位.公益", "x.gov.cn").is_empty(), "no rule, no refusal");
        let message =
            &DomainPolicy::default().check("事业单位", None, Some(&HostName::parse("yy.qingfeng.gov.cn").unwrap()))[0]
                .1;
        assert!(message.contains("不得使用以“.gov.cn”结尾") && message.contains("依据"), "{message}");
    }
}
