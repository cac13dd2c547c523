//! Per-field validation through the form and the API: every malformed field gets its own
//! Chinese message, the form comes back refilled, nothing is stored, output is escaped.

use serde_json::json;

use crate::helpers::*;

/// (field, bad value, words the message must contain)
fn cases() -> Vec<(&'static str, String, &'static str)> {
    let long_name = "网".repeat(101);
    [
        ("kind", "other", "申请类型"),
        ("unit_name", "<script>alert(1)</script>", "标记"),
        ("parent_unit", "上级\u{0007}单位", "控制字符"),
        ("category", "公司", "系统类别"),
        ("postcode", "45730", "6位数字"),
        ("site_name", long_name.as_str(), "过长"),
        ("domain_cn", "example.cn", "中文标签"),
        ("domain_en", "www.qingfeng.gov.cn/index.html", "英文域名"),
        ("ips", "203.0.113.300", "IP地址"),
        ("principal_mobile", "23903931001", "手机号码"),
        ("principal_phone", "7221234", "固定电话"),
        ("principal_email", "fzr@", "电子邮箱"),
        ("handler_mobile", "1380393200", "手机号码"),
        ("handler_email", "jbr qingfeng.gov.cn", "电子邮箱"),
        ("handler_id_number", "110105194912310021", "校验码"),
        ("handler_id_number", "110105194913310028", "出生日期"),
        ("credit_code", "91350100M000100Y44", "校验码"),
        ("credit_code", "91350100M000100I43", "无效字符"),
    ]
    .into_iter()
    .map(|(f, v, w)| (f, v.to_owned(), w))
    .collect()
}

#[tokio::test]
async fn every_malformed_field_gets_its_message_and_nothing_is_stored() {
    let app = spawn_app().await;
    app.cast().await;
    let unit = app.browser("清丰县人民政府.政务").await;
    for (field, bad, words) in &cases() {
        for action in ["save", "submit"] {
            let mut pairs = input_pairs(&valid_input());
            pairs.retain(|(k, _)| k != field);
            pairs.push(((*field).into(), bad.clone()));
            pairs.push(("action".into(), action.into()));
            let r = unit.post_pairs("/applications", pairs).await;
            assert_eq!(r.status(), 422, "{field}={bad} ({action})");
            let page = r.text().await.unwrap();
            let marker = format!("id=\"e-{field}\"");
            let at = page.find(&marker).unwrap_or_else(|| panic!("no message for {field}"));
            let message: String = page[at..].chars().take(120).collect();
            assert!(message.contains(words), "{field}: {message}");
            // The form is refilled with what was typed elsewhere, escaped.
            assert!(page.contains("value=\"清丰县人民政府网\"") || *field == "site_name");
            assert!(!page.contains("<script>alert(1)</script>"), "markup is escaped");
        }
    }
    assert_eq!(app.count("applications").await, 0);
    assert_eq!(app.count("application_events").await, 0);
}

#[tokio::test]
async fn a_submission_needs_every_required_field_but_a_draft_does_not() {
    let app = spawn_app().await;
    app.cast().await;
    let unit = app.browser("清丰县人民政府.政务").await;
    let r = unit.post("/applications", &[("kind", "new"), ("site_name", "草稿网站"), ("action", "submit")]).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    for message in ["请填写开办主体名称", "请选择系统类别", "请填写经办人身份证号", "请填写统一社会信用代码"]
    {
        assert!(page.contains(message), "{message}");
    }
    assert_eq!(app.count("applications").await, 0);

    let r = unit.post("/applications", &[("kind", "new"), ("site_name", "草稿网站"), ("action", "save")]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.count("applications").await, 1);
    let id: i64 =
        govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_scalar("SELECT id FROM applications").fetch_one(p).await)
            .unwrap();
    assert_eq!(app.state_of(id).await, "draft");
    // Submitting the incomplete draft is refused with the field messages; it stays a draft.
    let r = unit.post(&format!("/applications/{id}/submit"), &[("version", "1")]).await;
    assert_eq!(r.status(), 422);
    assert_eq!(app.state_of(id).await, "draft");
}

#[tokio::test]
async fn the_api_answers_field_errors_as_json() {
    let app = spawn_app().await;
    app.cast().await;
    let unit = app.api("清丰县人民政府.政务").await;
    let mut body = serde_json::to_value(valid_input()).unwrap();
    body["postcode"] = json!("abc");
    body["handler_id_number"] = json!("123");
    let (status, errors) = unit.post("/api/v1/applications", body).await;
    assert_eq!(status, 422);
    assert_eq!(errors["fields"]["postcode"], "邮编应为6位数字");
    assert_eq!(errors["fields"]["handler_id_number"], "身份证号应为18位");
    // Bodies that are not JSON, or of the wrong shape, are 400s with a JSON error.
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/applications", app.base))
        .bearer_auth(&unit.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.json::<serde_json::Value>().await.unwrap()["error"].is_string());
    assert_eq!(app.count("applications").await, 0);
}

#[tokio::test]
async fn one_application_per_website() {
    let app = spawn_app().await;
    app.cast().await;
    let unit = app.browser("清丰县人民政府.政务").await;
    unit.create_application(&valid_input(), false).await;
    let mut pairs = input_pairs(&valid_input());
    pairs.push(("action".into(), "save".into()));
    let r = unit.post_pairs("/applications", pairs).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("一个网站只能提交一份申请"));
}

#[tokio::test]
async fn login_errors_and_throttling() {
    let app = spawn_app_with(|c| c.auth.max_failures_per_account = 3).await;
    app.cast().await;
    let b = Browser::anonymous(&app.base);
    for _ in 0..3 {
        let r = b.try_login("清丰县人民政府.政务", "wrong password").await;
        assert_eq!(r.status(), 401);
        assert!(r.text().await.unwrap().contains("账号或密码错误"));
    }
    // Locked now, even with the right password.
    let r = b.try_login("清丰县人民政府.政务", PASSWORD).await;
    assert_eq!(r.status(), 429);
    // Another account from the same address is unaffected.
    assert_eq!(b.try_login("清丰县编办.政务", PASSWORD).await.status(), 303);
    // A login post without the form's token is refused.
    let r = Browser::anonymous(&app.base)
        .client
        .post(format!("{}/login", app.base))
        .form(&[("name", "清丰县编办.政务"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn domain_names_follow_the_policy_of_the_category_and_the_policy_is_configurable() {
    let app = spawn_app().await;
    app.cast().await;
    let unit = app.api("清丰县人民政府.政务").await;
    let mut hospital = serde_json::to_value(valid_input()).unwrap();
    hospital["category"] = json!("事业单位");
    hospital["domain_cn"] = json!("清丰县人民医院.政务");
    hospital["domain_en"] = json!("yy.qingfeng.gov.cn");
    let (status, body) = unit.post("/api/v1/applications", hospital.clone()).await;
    assert_eq!(status, 422, "{body}");
    let cn = body["fields"]["domain_cn"].as_str().unwrap();
    let en = body["fields"]["domain_en"].as_str().unwrap();
    assert!(cn.contains("应以“.公益”或“.公益.cn”结尾") && cn.contains("依据"), "{cn}");
    assert!(en.contains("不得使用以“.gov.cn”结尾的英文域名"), "{en}");
    hospital["domain_cn"] = json!("清丰县人民医院.公益");
    hospital["domain_en"] = json!("www.qfxrmyy.cn");
    assert_eq!(unit.post("/api/v1/applications", hospital).await.0, 201);

    let mut government = serde_json::to_value(valid_input()).unwrap();
    government["domain_en"] = json!("www.qingfeng.com.cn");
    let (status, body) = unit.post("/api/v1/applications", government.clone()).await;
    assert_eq!(status, 422);
    assert!(body["fields"]["domain_en"].as_str().unwrap().contains("“.gov.cn”"), "{body}");

    // A province that lets government sites keep other English domains says so in its policy.
    let relaxed = spawn_app_with(|c| {
        c.domain_policy = toml::from_str(
            r#"[[rules]]
               categories = ["政府"]
               chinese_suffixes = [".政务"]
               basis = "本省规定"
            "#,
        )
        .unwrap();
    })
    .await;
    relaxed.cast().await;
    let unit = relaxed.api("清丰县人民政府.政务").await;
    assert_eq!(unit.post("/api/v1/applications", government).await.0, 201);
}
