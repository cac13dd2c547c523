//! Validated field types of the application form: each parses from user text at the edge and
//! carries a Chinese message naming what is wrong.

use std::fmt;
use std::net::IpAddr;

use chrono::NaiveDate;

use super::check_digits::{is_uscc_char, mod11_2_check, uscc_check};

/// A field-level validation failure: the message is shown to the user beside the field.
pub type FieldMessage = &'static str;

/// Rejects text that carries markup or control characters, and text over `max` characters
/// (the message says the limit and how far over it the text is).
pub fn plain_text(text: &str, max: usize, multiline: bool) -> Result<String, String> {
    let text = text.trim();
    let count = text.chars().count();
    if count > max {
        return Err(format!("内容过长：最多{max}个字，现有{count}个字"));
    }
    if text.contains(['<', '>']) {
        return Err("不得包含尖括号等标记或脚本字符".into());
    }
    if text.chars().any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t'))) {
        return Err("不得包含控制字符".into());
    }
    if text.chars().any(is_reordering) {
        return Err("不得包含改变文字显示方向或分行的特殊字符（如U+202E）".into());
    }
    Ok(text.to_owned())
}

/// Characters that make text display in another order or break it where no line break is seen:
/// the bidirectional embeddings and overrides (U+202A-202E), isolates (U+2066-2069), and the
/// line and paragraph separators (U+2028, U+2029).
pub fn is_reordering(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

macro_rules! string_newtype {
    ($name:ident) => {
        /// A validated form field (see its `parse`).
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_newtype!(Postcode);
string_newtype!(Mobile);
string_newtype!(FixedPhone);
string_newtype!(Email);
string_newtype!(IdNumber);
string_newtype!(CreditCode);

impl Postcode {
    /// Parses a six-digit postcode.
    pub fn parse(text: &str) -> Result<Self, FieldMessage> {
        let t = text.trim();
        if t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(t.to_owned()))
        } else {
            Err("邮编应为6位数字")
        }
    }
}

impl Mobile {
    /// Parses a mainland mobile number: 11 digits starting with 1.
    pub fn parse(text: &str) -> Result<Self, FieldMessage> {
        let t = text.trim();
        if t.len() == 11 && t.starts_with('1') && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(t.to_owned()))
        } else {
            Err("手机号码应为以1开头的11位数字")
        }
    }

    /// `138****5678`: for lists and logs.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

impl FixedPhone {
    /// Area code (0 + 2-3 digits), optional hyphen, 7-8 digits, optional `-` extension.
    pub fn parse(text: &str) -> Result<Self, FieldMessage> {
        const MSG: &str = "固定电话格式应为“区号-号码”，如 0393-4412345";
        let t = text.trim();
        let (main, ext) = match t.split_once(['转', '#']) {
            Some((m, e)) => (m, Some(e)),
            None => (t, None),
        };
        let digits_only = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if let Some(e) = ext {
            if !digits_only(e) || e.len() > 6 {
                return Err(MSG);
            }
        }
        let (area, number) = match main.split_once('-') {
            Some((a, n)) => (a, n),
            None if main.len() >= 10 => {
                main.split_at(if main.starts_with("01") || main.starts_with("02") { 3 } else { 4 })
            }
            None => return Err(MSG),
        };
        let (number, ext2) = match number.split_once('-') {
            Some((n, e)) => (n, Some(e)),
            None => (number, None),
        };
        let area_ok = digits_only(area) && area.starts_with('0') && (3..=4).contains(&area.len());
        let number_ok = digits_only(number) && (7..=8).contains(&number.len());
        let ext_ok = ext2.is_none_or(|e| digits_only(e) && e.len() <= 6);
        if area_ok && number_ok && ext_ok {
            Ok(Self(t.to_owned()))
        } else {
            Err(MSG)
        }
    }
}

impl Email {
    /// Parses an e-mail address.
    pub fn parse(text: &str) -> Result<Self, FieldMessage> {
        const MSG: &str = "电子邮箱格式不正确";
        let t = text.trim();
        if t.len() > 254 || t.contains(char::is_whitespace) {
            return Err(MSG);
        }
        let Some((local, domain)) = t.rsplit_once('@') else {
            return Err(MSG);
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        if !local_ok {
            return Err(MSG);
        }
        match HostName::parse(domain) {
            Ok(_) => Ok(Self(t.to_owned())),
            Err(_) => Err(MSG),
        }
    }
}

impl IdNumber {
    /// Resident identity number (GB 11643): 17 digits, birth date, check character.
    pub fn parse(text: &str) -> Result<Self, FieldMessage> {
        let t = text.trim().to_ascii_uppercase();
        if t.len() != 18 || !t.is_ascii() {
            return Err("身份证号应为18位");
        }
        let (body, check) = t.split_at(17);
        if !body.bytes().all(|b| b.is_ascii_digit()) {
            return Err("身份证号前17位应为数字");
        }
        if NaiveDate::parse_from_str(&body[6..14], "%Y%m%d").is_err() || &body[6..8] < "19" {
            return Err("身份证号中的出生日期无效");
        }
        if mod11_2_check(body).map(String::from).as_deref() != Some(check) {
            return Err("身份证号校验码不正确");
        }
        Ok(Self(t))
    }

    /// First 6 and last 4 characters, the rest starred: `410922********123X`.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[..6], &self.0[14..])
    }
}

impl CreditCode {
    /// Unified social credit code (GB 32100-2015): 18 characters with a check character.
    pub fn parse(text: &str) -> Result<Self, FieldMessage> {
        let t = text.trim().to_ascii_uppercase();
        if t.chars().count() != 18 {
            return Err("统一社会信用代码应为18位");
        }
        if !t.chars().all(is_uscc_char) {
            return Err("统一社会信用代码含有无效字符（不使用I、O、S、V、Z）");
        }
        let (body, check) = t.split_at(17);
        if uscc_check(body).map(String::from).as_deref() != Some(check) {
            return Err("统一社会信用代码校验码不正确");
        }
        Ok(Self(t))
    }
}

/// An ASCII host name such as `www.pybb.gov.cn` (lower case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostName(String);

impl HostName {
    /// Parses a host name: dot-separated labels of letters, digits and hyphens, an alphabetic
    /// (or punycode) top-level label; lower-cased, a trailing dot dropped.
    pub fn parse(text: &str) -> Result<Self, FieldMessage> {
        const MSG: &str = "英文域名格式不正确，应如 www.example.gov.cn";
        let t = text.trim().trim_end_matches('.').to_ascii_lowercase();
        if t.is_empty() || t.len() > 253 || !t.is_ascii() {
            return Err(MSG);
        }
        let labels: Vec<&str> = t.split('.').collect();
        if labels.len() < 2 {
            return Err(MSG);
        }
        for label in &labels {
            let ok = !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !ok {
                return Err(MSG);
            }
        }
        let tld = labels[labels.len() - 1];
        if !(tld.bytes().all(|b| b.is_ascii_alphabetic()) || tld.starts_with("xn--")) {
            return Err(MSG);
        }
        Ok(Self(t))
    }

    /// The host name as text (lower case, ASCII).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A Chinese (internationalised) domain name such as `濮阳市编办.政务`, kept in both forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChineseDomain {
    unicode: String,
    ascii: String,
}

impl ChineseDomain {
    /// Parses a Chinese domain name such as 濮阳市编办.政务 (kept in both forms).
    pub fn parse(text: &str) -> Result<Self, FieldMessage> {
        const MSG: &str = "中文域名格式不正确，应如 濮阳市编办.政务";
        let t = text.trim().trim_end_matches(['.', '。']).replace('。', ".");
        if t.is_empty() || t.chars().count() > 100 {
            return Err(MSG);
        }
        let ascii = idna::domain_to_ascii_strict(&t).map_err(|_| MSG)?;
        if !ascii.split('.').any(|l| l.starts_with("xn--")) {
            return Err("中文域名应至少含有一个中文标签");
        }
        let host = HostName::parse(&ascii).map_err(|_| MSG)?;
        let (unicode, result) = idna::domain_to_unicode(host.as_str());
        result.map_err(|_| MSG)?;
        Ok(Self { unicode, ascii: host.0 })
    }

    /// The name as people write it.
    pub fn unicode(&self) -> &str {
        &self.unicode
    }

    /// The punycode (`xn--`) form used on the wire.
    pub fn ascii(&self) -> &str {
        &self.ascii
    }
}

/// One or more IP addresses separated by commas, semicolons, 、 or white space.
pub fn parse_ip_list(text: &str) -> Result<Vec<IpAddr>, FieldMessage> {
    let mut out = Vec::new();
    for part in text.split([',', ';', '、', '，', '；', ' ', '\n', '\r', '\t']) {
        if part.is_empty() {
            continue;
        }
        let ip: IpAddr = part.parse().map_err(|_| "IP地址格式不正确（IPv4或IPv6，多个以逗号分隔）")?;
        if !out.contains(&ip) {
            out.push(ip);
        }
    }
    if out.len() > 16 {
        return Err("IP地址最多填写16个");
    }
    Ok(out)
}

/// A government website identifier (网站标识码, `<meta name="SiteIDCode">`): 10 digits (a
/// 6-digit region code and 4 digits), or `bm` and 8 digits for central departments; lower-cased.
pub fn parse_site_id_code(text: &str) -> Result<String, FieldMessage> {
    let t = text.trim();
    let bm = t.len() == 10
        && t.is_ascii()
        && t[..2].eq_ignore_ascii_case("bm")
        && t[2..].bytes().all(|b| b.is_ascii_digit());
    let local = t.len() == 10 && t.bytes().all(|b| b.is_ascii_digit());
    if bm || local {
        Ok(t.to_ascii_lowercase())
    } else {
        Err("网站标识码应为10位数字，中央部门为bm加8位数字")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers() {
        let id = IdNumber::parse("11010519491231002x").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.masked(), "110105********002X");
        assert_eq!(IdNumber::parse("11010519491231002").unwrap_err(), "身份证号应为18位");
        assert_eq!(IdNumber::parse("110105194912310021").unwrap_err(), "身份证号校验码不正确");
        // 1949-02-30 is not a date.
        assert_eq!(IdNumber::parse("110105194902300021").unwrap_err(), "身份证号中的出生日期无效");
    }

    #[test]
    fn credit_codes() {
        assert!(CreditCode::parse("91350100M000100Y43").is_ok());
        assert!(CreditCode::parse("91350100m000100y43").is_ok());
        assert_eq!(CreditCode::parse("91350100M000100Y44").unwrap_err(), "统一社会信用代码校验码不正确");
        assert!(CreditCode::parse("91350100O000100Y43").is_err());
    }

    #[test]
    fn phones_and_mail() {
        assert!(Mobile::parse("13812345678").is_ok());
        assert!(Mobile::parse("23812345678").is_err());
        assert!(Mobile::parse("1381234567").is_err());
        assert_eq!(Mobile::parse("13812345678").unwrap().masked(), "138****5678");
        for ok in ["0393-4412345", "010-12345678", "03934412345", "0393-4412345-801", "0393-4412345转801"] {
            assert!(FixedPhone::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["4412345", "0393-44", "abc-4412345", "0393-4412345-"] {
            assert!(FixedPhone::parse(bad).is_err(), "{bad}");
        }
        assert!(Email::parse("wangban@pybb.gov.cn").is_ok());
        for bad in ["a@b", "@pybb.gov.cn", "a b@x.cn", "a@@x.cn", "<a>@x.cn"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn domains() {
        let d = ChineseDomain::parse("濮阳市编办.政务").unwrap();
        assert_eq!(d.unicode(), "濮阳市编办.政务");
        assert!(d.ascii().starts_with("xn--") && d.ascii().ends_with(".xn--zfr164b"));
        assert_eq!(ChineseDomain::parse(d.ascii()).unwrap().unicode(), "濮阳市编办.政务");
        assert!(ChineseDomain::parse("中文.cn").is_ok());
        assert!(ChineseDomain::parse("example.cn").is_err());
        assert!(ChineseDomain::parse("<script>.政务").is_err());
        assert_eq!(HostName::parse("WWW.PYBB.gov.cn.").unwrap().as_str(), "www.pybb.gov.cn");
        for bad in ["localhost", "-a.cn", "a..cn", "a_b.cn", "濮阳.cn", "a.123"] {
            assert!(HostName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ip_lists() {
        let ips = parse_ip_list("1.2.3.4, 2001:db8::1、1.2.3.4").unwrap();
        assert_eq!(ips.len(), 2);
        assert!(parse_ip_list("1.2.3").is_err());
        assert!(parse_ip_list("").unwrap().is_empty());
    }

    #[test]
    fn plain_text_rules() {
        assert_eq!(plain_text("  清丰县  ", 10, false).unwrap(), "清丰县");
        assert!(plain_text("<b>x</b>", 100, false).is_err());
        assert_eq!(plain_text("一二三", 2, false).unwrap_err(), "内容过长：最多2个字，现有3个字");
        assert!(plain_text("a\nb", 10, false).is_err());
        assert!(plain_text("a\nb", 10, true).is_ok());
        for c in ['\u{202e}', '\u{202a}', '\u{2066}', '\u{2069}', '\u{2028}', '\u{2029}'] {
            assert!(plain_text(&format!("清丰{c}县"), 100, true).is_err(), "{c:?}");
        }
    }
}
