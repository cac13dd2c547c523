//! The units' self-check: "check my page" and "check my whole site", only on the unit's own
//! registered domains, rate-limited per unit. Private addresses stay refused by the crawler's
//! resolver unless the configuration allows them.

use chrono::Utc;
use url::Url;

use super::{field_error, Context, ServiceError};
use crate::crawl::PageResult;
use crate::domain::account::{Actor, Role};
use crate::service::sweep::{check_site, site_spec};
use crate::store::sweeps::{self, SiteRow};

/// The unit's active badged site with this code.
async fn own_site(ctx: &Context, actor: &Actor, code: &str) -> Result<SiteRow, ServiceError> {
    if actor.role != Role::Unit {
        return Err(ServiceError::Forbidden);
    }
    let site = match sweeps::site(&ctx.pool, code.trim()).await {
        Ok(s) if s.unit_id == actor.account_id => s,
        Ok(_) | Err(crate::store::StoreError::NotFound) => return Err(field_error("code", "请选择本单位的网站标识")),
        Err(e) => return Err(e.into()),
    };
    if site.status != crate::domain::badge::BadgeStatus::Active {
        return Err(field_error("code", "该网站标识已暂停或撤销"));
    }
    Ok(site)
}

/// Checks one page of the unit's own site now.
pub async fn check_page(ctx: &Context, actor: &Actor, code: &str, url: &str) -> Result<PageResult, ServiceError> {
    let site = own_site(ctx, actor, code).await?;
    // A unit may type the address as a browser shows it, without `http://`.
    let typed = url.trim();
    let url = if typed.contains("://") { typed.to_owned() } else { format!("http://{typed}") };
    let url = Url::parse(&url)
        .map_err(|_| field_error("url", "请输入完整的网址，如 http://www.example.gov.cn/index.html"))?;
    if !matches!(url.scheme(), "http" | "https") || url.as_str().len() > ctx.config.crawl.max_url_length {
        return Err(field_error("url", "仅支持 http 或 https 网址"));
    }
    let spec =
        site_spec(&site, &ctx.config.crawl.seed_scheme).ok_or_else(|| field_error("code", "该网站未登记域名"))?;
    let host = url.host_str().unwrap_or_default();
    if !spec.contains_host(host) {
        return Err(field_error("url", "只能检查本网站登记的域名下的网页"));
    }
    if !ctx.self_check_pages.try_take(&format!("page:{}", actor.account_id), Utc::now()).await? {
        return Err(ServiceError::TooMany("检查过于频繁，请稍后再试"));
    }
    tracing::info!(account.id = actor.account_id, site.code = %site.code, "self-check of a page");
    let mut result = ctx.crawler.check_one_with_legacy(&url, &site.code, spec.legacy.as_ref()).await;
    result.flag_site_id(spec.site_id_code.as_deref());
    // Kept as a run of its own, so the portal (and the offices) see what the unit saw.
    let now = Utc::now();
    let run = sweeps::start(&ctx.pool, "self_check", &site.code, 1, now).await?;
    crate::service::sweep::record_page(&ctx.pool, run, &site.code, result.clone())
        .await
        .map_err(|e| ServiceError::Internal(e.into()))?;
    sweeps::set_status(&ctx.pool, run, "finished", Utc::now()).await?;
    Ok(result)
}

/// Starts a check of the unit's whole site in the background; returns the run's id.
pub async fn start_site_check(ctx: &Context, actor: &Actor, code: &str) -> Result<i64, ServiceError> {
    let site = own_site(ctx, actor, code).await?;
    if !ctx.self_check_sites.try_take(&format!("site:{}", actor.account_id), Utc::now()).await? {
        return Err(ServiceError::TooMany("今日整站检查次数已用完，请明天再试"));
    }
    let id = sweeps::start(&ctx.pool, "self_check", &site.code, 1, Utc::now()).await?;
    let ctx = ctx.clone();
    ctx.background.clone().spawn(async move {
        let pages = ctx.config.self_check.site_check_pages;
        let scheme = ctx.config.crawl.seed_scheme.clone();
        let status = match check_site(&ctx.pool, &ctx.crawler, id, &site, pages, &scheme).await {
            Ok(_) => "finished",
            Err(error) => {
                tracing::error!(sweep.id = id, error = format!("{error:#}"), "self-check failed");
                "interrupted"
            }
        };
        if let Err(error) = sweeps::set_status(&ctx.pool, id, status, Utc::now()).await {
            tracing::error!(sweep.id = id, %error, "self-check status not saved");
        }
    });
    tracing::info!(account.id = actor.account_id, sweep.id = id, "self-check of a site started");
    Ok(id)
}

/// A self-check run of the unit, with its pages so far.
pub async fn run(
    ctx: &Context,
    actor: &Actor,
    id: i64,
) -> Result<(sweeps::Sweep, SiteRow, Vec<sweeps::PageRow>), ServiceError> {
    let sweep = sweeps::get(&ctx.pool, id).await?;
    if sweep.kind != "self_check" {
        return Err(ServiceError::NotFound);
    }
    let Ok(site) = own_site(ctx, actor, &sweep.scope).await else {
        return Err(ServiceError::NotFound);
    };
    let pages = sweeps::pages(&ctx.pool, id, &site.code).await?;
    Ok((sweep, site, pages))
}
