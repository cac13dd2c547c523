//! Demo data for a newcomer: 濮阳市 (a city of 河南省) with county units, reviewers at each
//! level, applications in several states and an issued badge, all produced by running the real
//! workflow. Loaded only into an empty database.

use std::fmt::Write as _;

use crate::domain::account::Actor;
use crate::domain::application::ApplicationInput;
use crate::domain::check_digits::{mod11_2_check, uscc_check};
use crate::domain::region::Level;
use crate::domain::workflow::{PAPER_CHECKLIST, REVIEW_CHECKLIST};
use crate::service::accounts::{create_account, AccountInput};
use crate::service::applications::{self as workflow, Decision, PaperAction};
use crate::service::Context;
use crate::store::accounts as account_store;

/// The one password of every demo account (printed at start; change it in production).
pub const DEMO_PASSWORD: &str = "Demo-2026-pass";

struct DemoAccount {
    name: &'static str,
    display: &'static str,
    role: &'static str,
    level: &'static str,
    region: &'static str,
}

const ACCOUNTS: &[DemoAccount] = &[
    DemoAccount { name: "admin", display: "系统管理员", role: "admin", level: "", region: "" },
    DemoAccount {
        name: "中央编办.政务", display: "中央编办", role: "reviewer", level: "central", region: ""
    },
    DemoAccount {
        name: "河南省编办.政务",
        display: "河南省委编办",
        role: "reviewer",
        level: "province",
        region: "410000",
    },
    DemoAccount {
        name: "濮阳市编办.政务", display: "濮阳市委编办", role: "reviewer", level: "city", region: "410900"
    },
    DemoAccount {
        name: "清丰县编办.政务",
        display: "清丰县委编办",
        role: "reviewer",
        level: "county",
        region: "410922",
    },
    DemoAccount {
        name: "南乐县编办.政务",
        display: "南乐县委编办",
        role: "reviewer",
        level: "county",
        region: "410923",
    },
    DemoAccount {
        name: "濮阳市监督.政务",
        display: "濮阳市网站监督",
        role: "supervisor",
        level: "city",
        region: "410900",
    },
    DemoAccount {
        name: "清丰县人民政府.政务",
        display: "清丰县人民政府办公室",
        role: "unit",
        level: "county",
        region: "410922",
    },
    DemoAccount {
        name: "清丰县人民医院.公益",
        display: "清丰县人民医院",
        role: "unit",
        level: "county",
        region: "410922",
    },
    DemoAccount {
        name: "南乐县教育局.政务", display: "南乐县教育局", role: "unit", level: "county", region: "410923"
    },
    DemoAccount {
        name: "濮阳市人民政府.政务",
        display: "濮阳市人民政府办公室",
        role: "unit",
        level: "city",
        region: "410900",
    },
];

/// A valid ID number for a demo handler born on `birth` (YYYYMMDD) in `region`.
fn demo_id_number(region: &str, birth: &str, seq: &str) -> String {
    let body = format!("{region}{birth}{seq}");
    let check = mod11_2_check(&body).expect("digits");
    format!("{body}{check}")
}

/// A valid unified social credit code for a demo body (category 11: 机关).
fn demo_credit_code(region: &str, serial: &str) -> String {
    let body = format!("11{region}{serial}");
    let check = uscc_check(&body).expect("valid alphabet");
    format!("{body}{check}")
}

struct Site {
    unit: &'static str,
    site_name: &'static str,
    domain_cn: &'static str,
    domain_en: &'static str,
    category: &'static str,
    parent: &'static str,
    address: &'static str,
    postcode: &'static str,
}

fn input(site: &Site, region: &str, n: usize) -> ApplicationInput {
    ApplicationInput {
        kind: "new".into(),
        unit_name: site.unit.into(),
        parent_unit: site.parent.into(),
        unit_functions: format!("{}承担本级政务公开、政务服务和网站建设管理等职责。", site.unit),
        category: site.category.into(),
        address: site.address.into(),
        postcode: site.postcode.into(),
        site_name: site.site_name.into(),
        site_intro: format!("{}发布政务信息，提供办事服务和政民互动。", site.site_name),
        domain_cn: site.domain_cn.into(),
        domain_en: site.domain_en.into(),
        ips: format!("203.0.113.{}", 10 + n),
        principal_name: "王建国".into(),
        principal_phone: "0393-4412345".into(),
        principal_mobile: format!("1390393{:04}", 1000 + n),
        principal_email: format!("fzr{n}@example.gov.cn"),
        handler_name: "李晓梅".into(),
        handler_phone: "0393-4412346".into(),
        handler_mobile: format!("1380393{:04}", 2000 + n),
        handler_email: format!("jbr{n}@example.gov.cn"),
        handler_id_number: demo_id_number(region, "19850612", &format!("{:03}", 100 + n)),
        credit_code: demo_credit_code(region, &format!("MB{:07}", 1_000_000 + n)),
        recheck_code: String::new(),
    }
}

async fn actor(ctx: &Context, name: &str) -> anyhow::Result<Actor> {
    let account = account_store::find_by_name(&ctx.pool, name)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo account {name} missing"))?;
    Ok(account.actor())
}

/// Loads the demo into an empty database and returns the login list to print, or `None`
/// when the database already has accounts.
pub async fn load(ctx: &Context) -> anyhow::Result<Option<String>> {
    if account_store::count(&ctx.pool).await? > 0 {
        return Ok(None);
    }
    let admin_bootstrap = Actor { account_id: 0, role: crate::domain::account::Role::Admin, level: None, region: None };
    for a in ACCOUNTS {
        let input = AccountInput {
            name: a.name.into(),
            display_name: a.display.into(),
            role: a.role.into(),
            level: a.level.into(),
            region: a.region.into(),
            password: DEMO_PASSWORD.into(),
            email: if a.role == "supervisor" { "jiandu@puyang.example".into() } else { String::new() },
            mobile: String::new(),
        };
        create_account(ctx, &admin_bootstrap, &input)
            .await
            .map_err(|e| anyhow::anyhow!("demo account {}: {e:?}", a.name))?;
    }
    let qf_gov = actor(ctx, "清丰县人民政府.政务").await?;
    let qf_hosp = actor(ctx, "清丰县人民医院.公益").await?;
    let nl_edu = actor(ctx, "南乐县教育局.政务").await?;
    let py_gov = actor(ctx, "濮阳市人民政府.政务").await?;
    let qf_office = actor(ctx, "清丰县编办.政务").await?;
    let nl_office = actor(ctx, "南乐县编办.政务").await?;
    let city = actor(ctx, "濮阳市编办.政务").await?;

    let sites = [
        Site {
            unit: "清丰县人民政府办公室",
            site_name: "清丰县人民政府网",
            domain_cn: "清丰县人民政府.政务",
            domain_en: "www.qingfeng.gov.cn",
            category: "政府",
            parent: "清丰县人民政府",
            address: "河南省濮阳市清丰县中州西路1号",
            postcode: "457300",
        },
        Site {
            unit: "清丰县人民政府办公室",
            site_name: "清丰县政务服务网",
            domain_cn: "清丰县政务服务.政务",
            domain_en: "zwfw.qingfeng.gov.cn",
            category: "政府",
            parent: "清丰县人民政府",
            address: "河南省濮阳市清丰县中州西路1号",
            postcode: "457300",
        },
        Site {
            unit: "清丰县人民医院",
            site_name: "清丰县人民医院网站",
            domain_cn: "清丰县人民医院.公益",
            domain_en: "www.qfxrmyy.cn",
            category: "事业单位",
            parent: "清丰县卫生健康委员会",
            address: "河南省濮阳市清丰县人民路66号",
            postcode: "457300",
        },
        Site {
            unit: "南乐县教育局",
            site_name: "南乐县教育信息网",
            domain_cn: "南乐县教育局.政务",
            domain_en: "jyj.nanle.gov.cn",
            category: "政府",
            parent: "南乐县人民政府",
            address: "河南省濮阳市南乐县兴南路18号",
            postcode: "457400",
        },
        Site {
            unit: "南乐县教育局",
            site_name: "南乐县中小学招生服务平台",
            domain_cn: "",
            domain_en: "zs.nanle.gov.cn",
            category: "政府",
            parent: "南乐县人民政府",
            address: "河南省濮阳市南乐县兴南路18号",
            postcode: "457400",
        },
        Site {
            unit: "濮阳市人民政府办公室",
            site_name: "濮阳市人民政府网",
            domain_cn: "濮阳市人民政府.政务",
            domain_en: "www.puyang.gov.cn",
            category: "政府",
            parent: "濮阳市人民政府",
            address: "河南省濮阳市华龙区人民路1号",
            postcode: "457000",
        },
        Site {
            unit: "濮阳市人民政府办公室",
            site_name: "濮阳市政府信息公开网",
            domain_cn: "",
            domain_en: "xxgk.puyang.gov.cn",
            category: "政府",
            parent: "濮阳市人民政府",
            address: "河南省濮阳市华龙区人民路1号",
            postcode: "457000",
        },
    ];

    // The online reviews follow each application's chain (the configured one: by default the
    // unit's own office, then 中央编办).
    // 1. Through its chain to an issued badge.
    let id = workflow::create(ctx, &qf_gov, &input(&sites[0], "410922", 1), true).await.map_err(fail)?;
    review_until(ctx, id, None).await?;
    for action in [PaperAction::Receive, PaperAction::Confirm] {
        let v = current_version(ctx, id).await?;
        workflow::paper(ctx, &qf_office, id, v, action, "", &all_checked(PAPER_CHECKLIST)).await.map_err(fail)?;
    }
    // 2. Waiting for the central re-review.
    let id = workflow::create(ctx, &qf_gov, &input(&sites[1], "410922", 2), true).await.map_err(fail)?;
    review_until(ctx, id, Some(Level::Central)).await?;
    // 3. Rejected by the county office.
    let id = workflow::create(ctx, &qf_hosp, &input(&sites[2], "410922", 3), true).await.map_err(fail)?;
    let v = current_version(ctx, id).await?;
    workflow::review(ctx, &qf_office, id, v, Decision::Reject, "英文域名不是本单位注册的域名，请核实后重新提交。", &[])
        .await
        .map_err(fail)?;
    // 4. Waiting at the county office.
    workflow::create(ctx, &nl_edu, &input(&sites[3], "410923", 4), true).await.map_err(fail)?;
    // 5. A draft.
    let mut draft = input(&sites[4], "410923", 5);
    draft.handler_id_number.clear();
    workflow::create(ctx, &nl_edu, &draft, false).await.map_err(fail)?;
    // 6. A city unit past its own office (it skipped the county), at the next step.
    let id = workflow::create(ctx, &py_gov, &input(&sites[5], "410900", 6), true).await.map_err(fail)?;
    let v = current_version(ctx, id).await?;
    workflow::review(ctx, &city, id, v, Decision::Approve, "", &all_checked(REVIEW_CHECKLIST)).await.map_err(fail)?;
    // 7. Approved online: the unit prints and hands in the paper.
    let id = workflow::create(ctx, &py_gov, &input(&sites[6], "410900", 7), true).await.map_err(fail)?;
    review_until(ctx, id, None).await?;
    let _ = nl_office;
    // 8. Sites of the existing register, with their national badges.
    import_register(ctx).await?;

    let mut out = String::from("演示数据已加载。演示账号（密码均为 ");
    let _ = writeln!(out, "{DEMO_PASSWORD}）：");
    for a in ACCOUNTS {
        let scope = match (a.level, a.region) {
            ("", _) => String::new(),
            (level, "") => format!(" [{level}]"),
            (level, region) => format!(" [{level} {region}]"),
        };
        let role = crate::domain::account::Role::parse(a.role).map_or(a.role, crate::domain::account::Role::label);
        let _ = writeln!(out, "  {}  {}（{role}）{scope}", a.name, a.display);
    }
    let _ = writeln!(
        out,
        "  {DEMO_IMPORTED_UNIT}  濮阳市教育局（开办主体，由网站注册库导入，原网站标识代码 CA410000000609000010001）"
    );
    Ok(Some(out))
}

/// The demo's register of sites opened before govbadge, with their national badge codes.
const DEMO_REGISTER: &str = "单位名称,统一社会信用代码,系统类别,行政区划,单位地址,单位职能,网站名称,中文域名,英文域名,网站标识代码,标识发放日期
濮阳市教育局,11410900MB0009001J,政府,410900,濮阳市华龙区开州路,全市教育事业管理,濮阳市教育局,濮阳市教育局.政务,jyj.puyang.gov.cn,CA410000000609000010001,2016-04-12
濮阳市第一中学,12410900MB0009002J,事业单位,410900,濮阳市华龙区京开大道,普通高中教育,濮阳市第一中学,濮阳市第一中学.公益,www.pyyz.cn,CA410000000609000020001,2017-09-01
";

/// The login name of the imported unit the demo activates (its credit code).
const DEMO_IMPORTED_UNIT: &str = "11410900MB0009001J";

/// Takes in the demo register as an office would, and activates one of its unit accounts.
async fn import_register(ctx: &Context) -> anyhow::Result<()> {
    use crate::service::register;
    let plan = register::plan(ctx, None, DEMO_REGISTER.as_bytes(), "濮阳市网站注册库.csv").await.map_err(fail)?;
    anyhow::ensure!(plan.problems.is_empty(), "demo register: {:?}", plan.problems);
    register::apply(ctx, None, &plan).await.map_err(fail)?;
    let admin = actor(ctx, "admin").await?;
    let unit = account_store::find_by_name(&ctx.pool, DEMO_IMPORTED_UNIT)
        .await?
        .ok_or_else(|| anyhow::anyhow!("imported unit"))?;
    crate::service::accounts::activate(ctx, &admin, unit.id, DEMO_PASSWORD).await.map_err(fail)?;
    // A change waiting for the city office, and a site closed last term.
    use crate::domain::badge::SiteCode;
    use crate::service::site_requests;
    let code = |c: &str| SiteCode::parse(c).ok_or_else(|| anyhow::anyhow!("demo code {c}"));
    let edu = unit.actor();
    let changes = std::collections::BTreeMap::from([("site_name".to_owned(), "濮阳教育网".to_owned())]);
    site_requests::request_change(ctx, &edu, &code("CA410000000609000010001")?, &changes, "网站更名")
        .await
        .map_err(fail)?;
    let school =
        account_store::find_by_name(&ctx.pool, "12410900MB0009002J").await?.ok_or_else(|| anyhow::anyhow!("school"))?;
    let id = site_requests::request_cancel(
        ctx,
        &school.actor(),
        &code("CA410000000609000020001")?,
        "网站整合至市教育局网站",
    )
    .await
    .map_err(fail)?;
    site_requests::decide(ctx, &actor(ctx, "濮阳市编办.政务").await?, id, true, "").await.map_err(fail)?;
    Ok(())
}

/// The demo office reviewing at `level` for a unit of `region`.
async fn office(
    ctx: &Context,
    level: Level,
    region: Option<crate::domain::region::RegionCode>,
) -> anyhow::Result<Actor> {
    let name = match level {
        Level::Central => "中央编办.政务",
        Level::Province => "河南省编办.政务",
        Level::City => "濮阳市编办.政务",
        Level::County if region.is_some_and(|r| r.as_str() == "410923") => "南乐县编办.政务",
        Level::County => "清丰县编办.政务",
    };
    actor(ctx, name).await
}

/// Approves the application's online reviews in its chain's order until it waits at `stop`
/// (or has passed them all).
async fn review_until(ctx: &Context, id: i64, stop: Option<Level>) -> anyhow::Result<()> {
    loop {
        let app = crate::store::applications::get(&ctx.pool, id).await?;
        let crate::domain::workflow::State::Review(level) = app.state else { return Ok(()) };
        if Some(level) == stop {
            return Ok(());
        }
        let reviewer = office(ctx, level, app.unit_region).await?;
        workflow::review(ctx, &reviewer, id, app.version, Decision::Approve, "", &all_checked(REVIEW_CHECKLIST))
            .await
            .map_err(fail)?;
    }
}

/// Every item of a checklist, as a reviewer who checked them all.
fn all_checked(list: [(&str, &str); 4]) -> Vec<String> {
    list.iter().map(|(key, _)| (*key).to_owned()).collect()
}

fn fail(e: crate::service::ServiceError) -> anyhow::Error {
    anyhow::anyhow!("demo workflow: {e:?}")
}

async fn current_version(ctx: &Context, id: i64) -> anyhow::Result<i64> {
    Ok(crate::store::applications::get(&ctx.pool, id).await?.version)
}
