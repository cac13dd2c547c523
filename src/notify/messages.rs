//! The texts of the notices sent to a unit, one function per event. Plain text, formal Chinese.

use chrono::NaiveDate;

/// A notice: the e-mail subject, the e-mail body and the (shorter) SMS text.
pub struct Notice {
    /// The notice's kind, stored with each message.
    pub topic: &'static str,
    /// The e-mail subject.
    pub subject: String,
    /// The e-mail body.
    pub email: String,
    /// The SMS text.
    pub sms: String,
}

/// What every notice names.
pub struct About<'a> {
    /// The unit's name.
    pub unit_name: &'a str,
    /// The website's name.
    pub site_name: &'a str,
    /// 开办审核 or 资格复核.
    pub review_label: &'a str,
    /// The service's base URL, for links.
    pub portal_url: &'a str,
}

const SIGNATURE: &str = "\n\n党政机关网站标识管理平台（本邮件由系统自动发送，请勿回复）";

/// The application was sent back at `step`, with the reviewer's reason.
pub fn rejected(a: &About<'_>, step: &str, reason: &str) -> Notice {
    Notice {
        topic: "rejected",
        subject: format!("【网站{}】“{}”申请未通过审核", a.review_label, a.site_name),
        email: format!(
            "{unit}：\n\n贵单位“{site}”的网站{label}申请未通过{step}审核。\n\n原因：{reason}\n\n请登录平台（{url}）查看并修改申请后重新提交。{SIGNATURE}",
            unit = a.unit_name, site = a.site_name, label = a.review_label, url = a.portal_url
        ),
        sms: format!("【网站标识】贵单位“{}”网站{}申请未通过{step}审核，原因：{reason}。请登录平台修改后重新提交。", a.site_name, a.review_label),
    }
}

/// The online review passed: print and hand in `copies` copies of the letter and form.
pub fn approved_online(a: &About<'_>, copies: u32) -> Notice {
    Notice {
        topic: "approved_online",
        subject: format!("【网站{}】“{}”申请已通过在线审核", a.review_label, a.site_name),
        email: format!(
            "{unit}：\n\n贵单位“{site}”的网站{label}申请已通过机构编制部门和中央编办在线审核。\n\n请登录平台（{url}），打印《关于申请对我单位开办的网站进行开办审核/资格复核的函》和《党政机关网站开办审核/资格复核申请表》（一式{copies}份），加盖单位公章，连同申请经办人身份证复印件、统一社会信用代码证书原件及复印件，报送同级机构编制部门。{SIGNATURE}",
            unit = a.unit_name, site = a.site_name, label = a.review_label, url = a.portal_url
        ),
        sms: format!("【网站标识】贵单位“{}”网站{}申请已通过在线审核，请登录平台打印申请函和申请表（一式{copies}份），盖章后报送同级编办。", a.site_name, a.review_label),
    }
}

/// The paper materials have a problem.
pub fn paper_problem(a: &About<'_>, reason: &str) -> Notice {
    Notice {
        topic: "paper_problem",
        subject: format!("【网站{}】“{}”报送的书面材料存在问题", a.review_label, a.site_name),
        email: format!(
            "{unit}：\n\n贵单位“{site}”报送的书面材料存在问题：{reason}\n\n请登录平台（{url}）重新提交网站{label}申请。{SIGNATURE}",
            unit = a.unit_name, site = a.site_name, label = a.review_label, url = a.portal_url
        ),
        sms: format!("【网站标识】贵单位“{}”报送的书面材料存在问题：{reason}。请登录平台重新提交申请。", a.site_name),
    }
}

/// The badge was issued: its code and the install deadline.
pub fn issued(
    a: &About<'_>,
    code: &str,
    deadline: NaiveDate,
    install_days: u32,
    provisional: bool,
    snippet: &str,
) -> Notice {
    let note = if provisional { "（该年度节假日安排尚未公布，期限为暂定）" } else { "" };
    Notice {
        topic: "issued",
        subject: format!("【网站标识】“{}”网站标识代码：{code}", a.site_name),
        email: format!(
            "{unit}：\n\n贵单位“{site}”的书面材料已确认，网站标识代码为：{code}\n\n请自收到本通知之日起{install_days}个工作日内，即于{deadline}{note}前，将网站标识加挂在网站所有页面底部中间显著位置：将下列代码复制并粘贴到网站所有页面代码的</body>前。\n\n{snippet}\n\n无自建网站的单位请通过网络红页完成挂标。详情请登录平台（{url}）查看。{SIGNATURE}",
            unit = a.unit_name, site = a.site_name, url = a.portal_url
        ),
        sms: format!("【网站标识】贵单位“{}”网站标识代码为{code}，请于{deadline}{note}前将标识加挂在网站所有页面底部中间位置，代码详见邮件或登录平台获取。", a.site_name),
    }
}

/// The office decided a change or cancellation request of a site (`kind`: 变更申请 or 注销申请).
pub fn site_request_decided(
    unit_name: &str,
    site_name: &str,
    code: &str,
    kind: &str,
    approved: bool,
    reason: &str,
) -> Notice {
    let outcome = if approved { "已审核通过".to_owned() } else { format!("未通过审核，原因：{reason}") };
    Notice {
        topic: "site_request",
        subject: format!("【网站标识】“{site_name}”{kind}{}", if approved { "已通过" } else { "未通过" }),
        email: format!("{unit_name}：\n\n贵单位“{site_name}”（网站标识代码{code}）的{kind}{outcome}。{SIGNATURE}"),
        sms: format!("【网站标识】贵单位“{site_name}”的{kind}{outcome}。"),
    }
}

/// Why a site is not compliant, for the notices: the first failing page and its verdict.
pub struct Finding<'a> {
    /// The page that failed.
    pub url: &'a str,
    /// Its verdict, in Chinese.
    pub reason: &'a str,
}

fn finding_text(f: Option<&Finding<'_>>) -> String {
    match f {
        Some(f) => format!("\n\n检查发现的问题：{}（{}）", f.reason, f.url),
        None => String::new(),
    }
}

/// The install deadline is near and the site is not yet compliant.
pub fn install_reminder(a: &About<'_>, code: &str, deadline: NaiveDate, left: u32, f: Option<&Finding<'_>>) -> Notice {
    Notice {
        topic: "install_reminder",
        subject: format!("【网站标识】“{}”请于{deadline}前完成挂标", a.site_name),
        email: format!(
            "{unit}：\n\n贵单位“{site}”（网站标识代码{code}）的挂标期限为{deadline}，距期限还有{left}个工作日。最近一次检查显示网站尚未按要求加挂网站标识。{finding}\n\n请将网站标识代码粘贴到网站所有页面代码的</body>前，挂标后可登录平台（{url}）进行网站自查。{SIGNATURE}",
            unit = a.unit_name, site = a.site_name, finding = finding_text(f), url = a.portal_url
        ),
        sms: format!("【网站标识】贵单位“{}”（标识代码{code}）尚未按要求挂标，挂标期限为{deadline}，请尽快完成。", a.site_name),
    }
}

/// The install deadline passed and the site is not compliant.
pub fn overdue(a: &About<'_>, code: &str, deadline: NaiveDate, f: Option<&Finding<'_>>) -> Notice {
    Notice {
        topic: "overdue",
        subject: format!("【网站标识】“{}”逾期未挂标", a.site_name),
        email: format!(
            "{unit}：\n\n贵单位“{site}”（网站标识代码{code}）的挂标期限{deadline}已过，检查显示网站仍未按要求加挂网站标识。{finding}\n\n请立即整改，整改后登录平台（{url}）进行网站自查。逾期未整改的，机构编制部门将依规处理。{SIGNATURE}",
            unit = a.unit_name, site = a.site_name, finding = finding_text(f), url = a.portal_url
        ),
        sms: format!("【网站标识】贵单位“{}”（标识代码{code}）挂标期限{deadline}已过，仍未按要求挂标，请立即整改。", a.site_name),
    }
}

/// A site that was compliant is no longer.
pub fn regression(a: &About<'_>, code: &str, f: Option<&Finding<'_>>) -> Notice {
    Notice {
        topic: "regression",
        subject: format!("【网站标识】“{}”网站标识已缺失", a.site_name),
        email: format!(
            "{unit}：\n\n贵单位“{site}”（网站标识代码{code}）此前已按要求挂标，但最近一次检查发现网站标识已缺失或不符合要求。{finding}\n\n请尽快恢复，恢复后登录平台（{url}）进行网站自查。{SIGNATURE}",
            unit = a.unit_name, site = a.site_name, finding = finding_text(f), url = a.portal_url
        ),
        sms: format!("【网站标识】贵单位“{}”（标识代码{code}）的网站标识已缺失或不符合要求，请尽快恢复。", a.site_name),
    }
}

/// A line of a supervisors' digest.
pub struct DigestLine<'a> {
    /// The badge code.
    pub code: &'a str,
    /// The unit's name.
    pub unit_name: &'a str,
    /// The website's name.
    pub site_name: &'a str,
    /// The install deadline.
    pub deadline: NaiveDate,
    /// The site's status, in Chinese.
    pub status_label: &'a str,
}

/// A supervisor's daily digest of the sites of their area that need attention.
pub fn supervisor_digest(date: NaiveDate, lines: &[DigestLine<'_>], dashboard_url: &str) -> Notice {
    let list: String = lines
        .iter()
        .map(|l| format!("\n{}  {}  “{}”  期限{}  {}", l.code, l.unit_name, l.site_name, l.deadline, l.status_label))
        .collect();
    Notice {
        topic: "supervisor_digest",
        subject: format!("【网站标识】{date} 辖区逾期未挂标网站{}个", lines.len()),
        email: format!(
            "您好：\n\n截至{date}，辖区内以下{}个网站已过挂标期限仍未合规：\n{list}\n\n详情请登录监督看板（{dashboard_url}）查看。{SIGNATURE}",
            lines.len()
        ),
        sms: format!("【网站标识】截至{date}，辖区内{}个网站逾期未挂标，详情请登录监督看板查看。", lines.len()),
    }
}
