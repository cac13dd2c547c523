//! The application form (党政机关网站开办审核/资格复核申请表): the raw input as typed, and the
//! validated form the rest of the system works with. A draft may leave fields empty; a
//! submission needs every required field. Malformed text is refused in both.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::badge::SiteCode;

use super::fields::{
    parse_ip_list, plain_text, ChineseDomain, CreditCode, Email, FieldMessage, FixedPhone, HostName, IdNumber, Mobile,
    Postcode,
};

/// 申请类型.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumString)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ApplicationKind {
    /// 新开办网站申请 (开办审核).
    New,
    /// 已开办网站复核 (资格复核).
    Recheck,
}

crate::domain::words!(ApplicationKind);

impl ApplicationKind {
    /// The kind's name in the UI.
    pub fn label(self) -> &'static str {
        match self {
            Self::New => "新开办网站申请",
            Self::Recheck => "已开办网站复核",
        }
    }

    /// The word in the printed titles: 开办审核 or 资格复核.
    pub fn review_label(self) -> &'static str {
        match self {
            Self::New => "开办审核",
            Self::Recheck => "资格复核",
        }
    }
}

/// What the office decided, on a re-check, about the site's national legacy code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr, strum::EnumString)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum LegacyDecision {
    /// The legacy code stays the site's code; its badge stays on the pages.
    Keep,
    /// A new govbadge code replaces it; the unit installs the new badge.
    Replace,
}

crate::domain::words!(LegacyDecision);

impl LegacyDecision {
    /// The decision's name in the UI.
    pub fn label(self) -> &'static str {
        match self {
            Self::Keep => "保留原网站标识代码",
            Self::Replace => "换发新网站标识代码",
        }
    }
}

/// 系统类别: the fixed list.
pub const SYSTEM_CATEGORIES: [&str; 11] =
    ["党委", "人大", "政府", "政协", "监察", "法院", "检察院", "民主党派", "群团组织", "事业单位", "其他"];

/// Per-field messages, keyed by the form's field names.
pub type FieldErrors = BTreeMap<&'static str, String>;

/// The names of the form's fields, in the order of the printed form (and of the JSON API).
pub const FORM_FIELDS: [&str; 23] = [
    "kind",
    "unit_name",
    "parent_unit",
    "unit_functions",
    "category",
    "address",
    "postcode",
    "site_name",
    "site_intro",
    "domain_cn",
    "domain_en",
    "ips",
    "principal_name",
    "principal_phone",
    "principal_mobile",
    "principal_email",
    "handler_name",
    "handler_phone",
    "handler_mobile",
    "handler_email",
    "handler_id_number",
    "credit_code",
    "recheck_code",
];

/// The form as typed: every field a string, as it arrives from an HTML form or JSON.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct ApplicationInput {
    /// 申请类型: `new` (开办审核) or `recheck` (资格复核).
    pub kind: String,
    /// 开办主体名称.
    pub unit_name: String,
    /// 上级主管单位.
    pub parent_unit: String,
    /// 开办主体职能.
    pub unit_functions: String,
    /// 系统类别 (one of `SYSTEM_CATEGORIES`).
    pub category: String,
    /// 通讯地址.
    pub address: String,
    /// 邮编.
    pub postcode: String,
    /// 网站名称.
    pub site_name: String,
    /// 网站简介.
    pub site_intro: String,
    /// 中文域名, e.g. 濮阳市编办.政务.
    pub domain_cn: String,
    /// 英文域名, e.g. www.qingfeng.gov.cn.
    pub domain_en: String,
    /// 网站IP地址.
    pub ips: String,
    /// 网站主要负责人.
    pub principal_name: String,
    /// 负责人固定电话.
    pub principal_phone: String,
    /// 负责人手机.
    pub principal_mobile: String,
    /// 负责人电子邮箱.
    pub principal_email: String,
    /// 网站申请经办人.
    pub handler_name: String,
    /// 经办人固定电话.
    pub handler_phone: String,
    /// 经办人手机.
    pub handler_mobile: String,
    /// 经办人电子邮箱.
    pub handler_email: String,
    /// 经办人身份证号 (personal data).
    pub handler_id_number: String,
    /// 统一社会信用代码.
    pub credit_code: String,
    /// For a re-check: the badge code of the site being re-checked.
    pub recheck_code: String,
}

/// Contact details of the site's responsible person or of the handler: personal data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Contact {
    /// Name.
    pub name: String,
    /// Fixed telephone.
    pub phone: Option<FixedPhone>,
    /// Mobile number.
    pub mobile: Option<Mobile>,
    /// E-mail address.
    pub email: Option<Email>,
}

/// The validated form. Optional fields are `None` only in a draft (or where the form allows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationForm {
    /// 申请类型: `new` (开办审核) or `recheck` (资格复核).
    pub kind: ApplicationKind,
    /// 开办主体名称.
    pub unit_name: String,
    /// 上级主管单位.
    pub parent_unit: String,
    /// 开办主体职能.
    pub unit_functions: String,
    /// 系统类别 (one of `SYSTEM_CATEGORIES`).
    pub category: Option<&'static str>,
    /// 通讯地址.
    pub address: String,
    /// 邮编.
    pub postcode: Option<Postcode>,
    /// 网站名称.
    pub site_name: String,
    /// 网站简介.
    pub site_intro: String,
    /// 中文域名, e.g. 濮阳市编办.政务.
    pub domain_cn: Option<ChineseDomain>,
    /// 英文域名, e.g. www.qingfeng.gov.cn.
    pub domain_en: Option<HostName>,
    /// 网站IP地址.
    pub ips: Vec<IpAddr>,
    /// 网站主要负责人 and their contact details.
    pub principal: Contact,
    /// 网站申请经办人 and their contact details.
    pub handler: Contact,
    /// 经办人身份证号 (personal data).
    pub handler_id_number: Option<IdNumber>,
    /// 统一社会信用代码.
    pub credit_code: Option<CreditCode>,
    /// 资格复核: the code the site already holds, a govbadge code or a national legacy code
    /// (`CA` and 21 digits); none for a site opened before either was issued to it.
    pub recheck_code: Option<SiteCode>,
}

/// Field limits, in characters.
const NAME_MAX: usize = 100;
const LONG_TEXT_MAX: usize = 1000;
const ADDRESS_MAX: usize = 200;
const PERSON_MAX: usize = 30;

struct Collector {
    errors: FieldErrors,
}

impl Collector {
    fn text(&mut self, field: &'static str, value: &str, max: usize, multiline: bool) -> String {
        match plain_text(value, max, multiline) {
            Ok(v) => v,
            Err(msg) => {
                self.errors.insert(field, msg.to_owned());
                String::new()
            }
        }
    }

    fn optional<T>(
        &mut self,
        field: &'static str,
        value: &str,
        parse: impl FnOnce(&str) -> Result<T, FieldMessage>,
    ) -> Option<T> {
        if value.trim().is_empty() {
            return None;
        }
        match parse(value) {
            Ok(v) => Some(v),
            Err(msg) => {
                self.errors.insert(field, msg.to_owned());
                None
            }
        }
    }

    fn contact(&mut self, fields: [&'static str; 4], values: [&str; 4]) -> Contact {
        Contact {
            name: self.text(fields[0], values[0], PERSON_MAX, false),
            phone: self.optional(fields[1], values[1], FixedPhone::parse),
            mobile: self.optional(fields[2], values[2], Mobile::parse),
            email: self.optional(fields[3], values[3], Email::parse),
        }
    }
}

impl ApplicationInput {
    /// Parses every field; malformed values are errors even in a draft.
    pub fn parse(&self) -> Result<ApplicationForm, FieldErrors> {
        let mut c = Collector { errors: FieldErrors::new() };
        let kind = if let Some(k) = ApplicationKind::parse(self.kind.trim()) {
            k
        } else {
            c.errors.insert("kind", "请选择申请类型".to_owned());
            ApplicationKind::New
        };
        let category = match self.category.trim() {
            "" => None,
            other => {
                if let Some(found) = SYSTEM_CATEGORIES.iter().find(|c| **c == other) {
                    Some(*found)
                } else {
                    c.errors.insert("category", "请从列表中选择系统类别".to_owned());
                    None
                }
            }
        };
        let recheck_code = match self.recheck_code.trim() {
            "" => None,
            code => {
                if let Some(code) = SiteCode::parse(code) {
                    Some(code)
                } else {
                    c.errors.insert(
                        "recheck_code",
                        "网站标识代码应为13位且末位校验码正确，或为原网站标识代码（CA加21位数字）".to_owned(),
                    );
                    None
                }
            }
        };
        let form = ApplicationForm {
            kind,
            unit_name: c.text("unit_name", &self.unit_name, NAME_MAX, false),
            parent_unit: c.text("parent_unit", &self.parent_unit, NAME_MAX, false),
            unit_functions: c.text("unit_functions", &self.unit_functions, LONG_TEXT_MAX, true),
            category,
            address: c.text("address", &self.address, ADDRESS_MAX, false),
            postcode: c.optional("postcode", &self.postcode, Postcode::parse),
            site_name: c.text("site_name", &self.site_name, NAME_MAX, false),
            site_intro: c.text("site_intro", &self.site_intro, LONG_TEXT_MAX, true),
            domain_cn: c.optional("domain_cn", &self.domain_cn, ChineseDomain::parse),
            domain_en: c.optional("domain_en", &self.domain_en, HostName::parse),
            ips: match parse_ip_list(&self.ips) {
                Ok(ips) => ips,
                Err(msg) => {
                    c.errors.insert("ips", msg.to_owned());
                    Vec::new()
                }
            },
            principal: c.contact(
                ["principal_name", "principal_phone", "principal_mobile", "principal_email"],
                [&self.principal_name, &self.principal_phone, &self.principal_mobile, &self.principal_email],
            ),
            handler: c.contact(
                ["handler_name", "handler_phone", "handler_mobile", "handler_email"],
                [&self.handler_name, &self.handler_phone, &self.handler_mobile, &self.handler_email],
            ),
            handler_id_number: c.optional("handler_id_number", &self.handler_id_number, IdNumber::parse),
            credit_code: c.optional("credit_code", &self.credit_code, CreditCode::parse),
            recheck_code,
        };
        if c.errors.is_empty() {
            Ok(form)
        } else {
            Err(c.errors)
        }
    }

    /// Parses and also demands every field a submission needs.
    pub fn parse_complete(&self) -> Result<ApplicationForm, FieldErrors> {
        let form = self.parse();
        let mut errors = match &form {
            Ok(_) => FieldErrors::new(),
            Err(e) => e.clone(),
        };
        for (field, message) in self.missing_fields() {
            errors.entry(field).or_insert_with(|| message.to_owned());
        }
        if errors.is_empty() {
            form
        } else {
            Err(errors)
        }
    }

    fn missing_fields(&self) -> Vec<(&'static str, &'static str)> {
        let required: [(&'static str, &str, &'static str); 18] = [
            ("unit_name", &self.unit_name, "请填写开办主体名称"),
            ("parent_unit", &self.parent_unit, "请填写上级主管单位"),
            ("unit_functions", &self.unit_functions, "请填写开办主体职能"),
            ("category", &self.category, "请选择系统类别"),
            ("address", &self.address, "请填写通讯地址"),
            ("postcode", &self.postcode, "请填写邮编"),
            ("site_name", &self.site_name, "请填写网站名称"),
            ("site_intro", &self.site_intro, "请填写网站简介"),
            ("domain_en", &self.domain_en, "请填写英文域名"),
            ("ips", &self.ips, "请填写网站IP地址"),
            ("principal_name", &self.principal_name, "请填写网站主要负责人"),
            ("principal_mobile", &self.principal_mobile, "请填写负责人手机"),
            ("principal_email", &self.principal_email, "请填写负责人电子邮箱"),
            ("handler_name", &self.handler_name, "请填写网站申请经办人"),
            ("handler_mobile", &self.handler_mobile, "请填写经办人手机"),
            ("handler_email", &self.handler_email, "请填写经办人电子邮箱"),
            ("handler_id_number", &self.handler_id_number, "请填写经办人身份证号"),
            ("credit_code", &self.credit_code, "请填写统一社会信用代码"),
        ];
        let missing: Vec<_> = required
            .into_iter()
            .filter(|(_, value, _)| value.trim().is_empty())
            .map(|(field, _, message)| (field, message))
            .collect();
        missing
    }
}

impl ApplicationForm {
    /// The form back as raw input, to refill an edit page.
    pub fn to_input(&self) -> ApplicationInput {
        let opt = |v: Option<&str>| v.unwrap_or_default().to_owned();
        ApplicationInput {
            kind: self.kind.as_str().to_owned(),
            unit_name: self.unit_name.clone(),
            parent_unit: self.parent_unit.clone(),
            unit_functions: self.unit_functions.clone(),
            category: opt(self.category),
            address: self.address.clone(),
            postcode: opt(self.postcode.as_ref().map(super::fields::Postcode::as_str)),
            site_name: self.site_name.clone(),
            site_intro: self.site_intro.clone(),
            domain_cn: opt(self.domain_cn.as_ref().map(super::fields::ChineseDomain::unicode)),
            domain_en: opt(self.domain_en.as_ref().map(super::fields::HostName::as_str)),
            ips: self.ips.iter().map(std::string::ToString::to_string).collect::<Vec<_>>().join(", "),
            principal_name: self.principal.name.clone(),
            principal_phone: opt(self.principal.phone.as_ref().map(super::fields::FixedPhone::as_str)),
            principal_mobile: opt(self.principal.mobile.as_ref().map(super::fields::Mobile::as_str)),
            principal_email: opt(self.principal.email.as_ref().map(super::fields::Email::as_str)),
            handler_name: self.handler.name.clone(),
            handler_phone: opt(self.handler.phone.as_ref().map(super::fields::FixedPhone::as_str)),
            handler_mobile: opt(self.handler.mobile.as_ref().map(super::fields::Mobile::as_str)),
            handler_email: opt(self.handler.email.as_ref().map(super::fields::Email::as_str)),
            handler_id_number: opt(self.handler_id_number.as_ref().map(super::fields::IdNumber::as_str)),
            credit_code: opt(self.credit_code.as_ref().map(super::fields::CreditCode::as_str)),
            recheck_code: opt(self.recheck_code.as_ref().map(SiteCode::as_str)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn complete_input() -> ApplicationInput {
        ApplicationInput {
            kind: "new".into(),
            unit_name: "清丰县人民政府办公室".into(),
            parent_unit: "清丰县人民政府".into(),
            unit_functions: "负责县政府日常运转。".into(),
            category: "政府".into(),
            address: "河南省濮阳市清丰县中州路1号".into(),
            postcode: "457300".into(),
            site_name: "清丰县人民政府网".into(),
            site_intro: "发布政务信息。".into(),
            domain_cn: "清丰县政府.政务".into(),
            domain_en: "www.qingfeng.gov.cn".into(),
            ips: "1.2.3.4".into(),
            principal_name: "张三".into(),
            principal_phone: "0393-7221234".into(),
            principal_mobile: "13800000001".into(),
            principal_email: "zhang@qingfeng.gov.cn".into(),
            handler_name: "李四".into(),
            handler_phone: "".into(),
            handler_mobile: "13800000002".into(),
            handler_email: "li@qingfeng.gov.cn".into(),
            handler_id_number: "11010519491231002X".into(),
            credit_code: "91350100M000100Y43".into(),
            recheck_code: "".into(),
        }
    }

    #[test]
    fn field_names_match_the_input_struct() {
        let value = serde_json::to_value(ApplicationInput::default()).unwrap();
        let keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
        let mut names = FORM_FIELDS.to_vec();
        names.sort_unstable();
        let mut keys = keys;
        keys.sort_unstable();
        assert_eq!(keys, names);
    }

    #[test]
    fn complete_form_round_trips() {
        let form = complete_input().parse_complete().unwrap();
        assert_eq!(form.to_input(), complete_input());
    }

    #[test]
    fn empty_draft_parses_but_cannot_be_submitted() {
        let draft = ApplicationInput { kind: "new".into(), ..Default::default() };
        assert!(draft.parse().is_ok());
        let errors = draft.parse_complete().unwrap_err();
        assert_eq!(errors.len(), 18);
        assert_eq!(errors["unit_name"], "请填写开办主体名称");
    }

    #[test]
    fn malformed_fields_each_get_their_message() {
        let mut input = complete_input();
        input.postcode = "4573".into();
        input.site_name = "<script>alert(1)</script>".into();
        input.category = "公司".into();
        input.handler_mobile = "2380000000".into();
        let errors = input.parse().unwrap_err();
        assert_eq!(errors.keys().copied().collect::<Vec<_>>(), ["category", "handler_mobile", "postcode", "site_name"]);
    }

    #[test]
    fn recheck_takes_either_code_or_none() {
        let mut input = complete_input();
        input.kind = "recheck".into();
        // A site opened before any badge was issued to it.
        assert!(input.parse_complete().unwrap().recheck_code.is_none());
        input.recheck_code = "CA410000000600000000001".into();
        assert!(matches!(input.parse_complete().unwrap().recheck_code, Some(SiteCode::Legacy(_))));
        input.recheck_code = "4109220000016".into();
        assert!(matches!(input.parse_complete().unwrap().recheck_code, Some(SiteCode::Badge(_))));
        input.recheck_code = "4109220000017".into();
        assert!(input.parse_complete().unwrap_err().contains_key("recheck_code"));
    }
}
