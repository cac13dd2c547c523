//! Snapshots of what govbadge renders for the world: the badge script and every image variant,
//! the JSON API's answers, and the public pages. Times, dates and tokens that change from run to
//! run are replaced by placeholders first; everything else must stay as it was reviewed.

use regex::Regex;
use reqwest::header;
use serde_json::json;

use crate::helpers::*;

fn raw_client() -> reqwest::Client {
    reqwest::Client::builder().no_gzip().no_brotli().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Replaces what depends on the clock or on chance.
fn stable(text: &str) -> String {
    let rules = [
        (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", "[time]"),
        (r"\d{4}年\d{1,2}月\d{1,2}日( \d{2}:\d{2})?", "[日期]"),
        (r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?", "[date]"),
        (r#"name="csrf" value="[^"]+""#, r#"name="csrf" value="[token]""#),
        // The portal's files are linked at their content's version, which each edit changes.
        (r"\?v=[0-9a-f]{12}", "?v=[version]"),
    ];
    let mut out = text.to_owned();
    for (pattern, replacement) in rules {
        out = Regex::new(pattern).unwrap().replace_all(&out, replacement).into_owned();
    }
    out
}

async fn setup() -> (TestApp, String) {
    let app = spawn_app_with(|c| c.badge.base_url = "https://bs.example.gov.cn".parse().unwrap()).await;
    app.cast().await;
    let code = issued_badge(&app, valid_input()).await;
    (app, code)
}

async fn body(client: &reqwest::Client, url: &str, referer: Option<&str>) -> String {
    let mut request = client.get(url);
    if let Some(r) = referer {
        request = request.header(header::REFERER, r);
    }
    request.send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn badge_script_and_image_variants() {
    let (app, code) = setup().await;
    let client = raw_client();
    let base = &app.base;
    insta::assert_snapshot!("badge_js", body(&client, &format!("{base}/badge/{code}.js"), None).await);
    insta::assert_snapshot!("badge_svg_party", body(&client, &format!("{base}/badge/{code}.svg"), None).await);
    insta::assert_snapshot!(
        "badge_svg_mismatch",
        body(&client, &format!("{base}/badge/{code}.svg?v=mismatch"), None).await
    );
    insta::assert_snapshot!("badge_svg_invalid", body(&client, &format!("{base}/badge/4109229999990.svg"), None).await);
    let county = app.api("清丰县编办.政务").await;
    let (status, _) =
        county.post(&format!("/api/v1/badges/{code}/status"), json!({ "status": "suspended", "reason": "整改" })).await;
    assert_eq!(status, 200);
    insta::assert_snapshot!("badge_svg_suspended", body(&client, &format!("{base}/badge/{code}.svg"), None).await);
    let (status, _) =
        county.post(&format!("/api/v1/badges/{code}/status"), json!({ "status": "revoked", "reason": "关停" })).await;
    assert_eq!(status, 200);
    insta::assert_snapshot!("badge_svg_revoked", body(&client, &format!("{base}/badge/{code}.svg"), None).await);
}

#[tokio::test]
async fn json_api_answers() {
    let (app, code) = setup().await;
    let owner = app.api("清丰县人民政府.政务").await;
    let (_, list) = owner.get("/api/v1/applications").await;
    let id =
        list["items"].as_array().and_then(|l| l.first()).map(|a| a["id"].as_i64().unwrap()).expect("one application");
    let (status, application) = owner.get(&format!("/api/v1/applications/{id}")).await;
    assert_eq!(status, 200);
    insta::assert_snapshot!("api_application", stable(&serde_json::to_string_pretty(&application).unwrap()));
    insta::assert_snapshot!("api_applications", stable(&serde_json::to_string_pretty(&list).unwrap()));
    let (_, deadline) = owner.get("/api/v1/deadline?date=2026-09-30&days=5").await;
    insta::assert_snapshot!("api_deadline", serde_json::to_string_pretty(&deadline).unwrap());
    let verify: serde_json::Value =
        raw_client().get(format!("{}/verify/{code}.json", app.base)).send().await.unwrap().json().await.unwrap();
    insta::assert_snapshot!("verify_json", stable(&serde_json::to_string_pretty(&verify).unwrap()));
    let (status, refused) = owner.post(&format!("/api/v1/applications/{id}/review"), json!({ "version": 1 })).await;
    assert_eq!(status, 400);
    insta::assert_snapshot!("api_error", serde_json::to_string_pretty(&refused).unwrap());
}

#[tokio::test]
async fn public_pages() {
    let (app, code) = setup().await;
    let client = raw_client();
    let base = &app.base;
    insta::assert_snapshot!("verify_genuine", stable(&body(&client, &format!("{base}/verify/{code}"), None).await));
    insta::assert_snapshot!(
        "verify_from_a_counterfeit",
        stable(&body(&client, &format!("{base}/verify/{code}"), Some("http://copycat.example/")).await)
    );
    // A code of a code's form, never issued, is named; a code failing its check character is not.
    let region = govbadge::domain::region::RegionCode::parse("410922").unwrap();
    let unknown = govbadge::domain::badge::BadgeCode::new(&region, 999_999).unwrap();
    insta::assert_snapshot!("verify_unknown", stable(&body(&client, &format!("{base}/verify/{unknown}"), None).await));
    insta::assert_snapshot!(
        "verify_malformed",
        stable(&body(&client, &format!("{base}/verify/4109229999990"), None).await)
    );
    insta::assert_snapshot!("login", stable(&body(&client, &format!("{base}/login"), None).await));
    insta::assert_snapshot!("home", stable(&body(&client, &format!("{base}/"), None).await));
}
