//! The badge endpoints over HTTP: script and image with `ETags`, 304s, gzip and brotli; unknown
//! codes; the verification page and its Referer warning; the public look-up; no personal field
//! anywhere public; sightings and their bounds.

use std::io::Read;

use reqwest::header;
use serde_json::json;

use crate::helpers::*;

fn raw_client() -> reqwest::Client {
    reqwest::Client::builder().no_gzip().no_brotli().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn setup() -> (TestApp, String) {
    let app = spawn_app_with(|c| c.badge.base_url = "https://bs.example.gov.cn".parse().unwrap()).await;
    app.cast().await;
    let code = issued_badge(&app, valid_input()).await;
    (app, code)
}

#[tokio::test]
async fn script_and_image_are_cacheable_compressed_and_cross_origin() {
    let (app, code) = setup().await;
    let client = raw_client();
    for (path, content_type) in
        [(format!("/badge/{code}.js"), "text/javascript"), (format!("/badge/{code}.svg"), "image/svg+xml")]
    {
        let url = format!("{}{path}", app.base);
        let plain = client.get(&url).send().await.unwrap();
        assert_eq!(plain.status(), 200, "{path}");
        let h = plain.headers().clone();
        assert!(h[header::CONTENT_TYPE].to_str().unwrap().starts_with(content_type));
        let cache = h[header::CACHE_CONTROL].to_str().unwrap();
        assert!(cache.contains("max-age=300") && cache.contains("stale-while-revalidate"), "{cache}");
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert_eq!(h["cross-origin-resource-policy"], "cross-origin");
        assert_eq!(h[header::VARY], "Accept-Encoding");
        assert!(h.get(header::SET_COOKIE).is_none());
        let etag = h[header::ETAG].to_str().unwrap().to_owned();
        assert!(etag.starts_with('"') && !etag.starts_with("W/"), "a strong ETag: {etag}");
        let body = plain.bytes().await.unwrap();

        let again = client.get(&url).header(header::IF_NONE_MATCH, &etag).send().await.unwrap();
        assert_eq!(again.status(), 304);
        assert_eq!(again.headers()[header::ETAG].to_str().unwrap(), etag);
        assert!(again.bytes().await.unwrap().is_empty());

        let gz = client.get(&url).header(header::ACCEPT_ENCODING, "gzip").send().await.unwrap();
        assert_eq!(gz.headers()[header::CONTENT_ENCODING], "gzip");
        assert_ne!(gz.headers()[header::ETAG].to_str().unwrap(), etag, "each representation has its own strong ETag");
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&gz.bytes().await.unwrap()[..]).read_to_end(&mut unzipped).unwrap();
        assert_eq!(unzipped, body);

        let br = client.get(&url).header(header::ACCEPT_ENCODING, "gzip, deflate, br").send().await.unwrap();
        assert_eq!(br.headers()[header::CONTENT_ENCODING], "br");
        let mut unbrotli = Vec::new();
        brotli::Decompressor::new(&br.bytes().await.unwrap()[..], 4096).read_to_end(&mut unbrotli).unwrap();
        assert_eq!(unbrotli, body);
    }
    // The script carries its code and registered hosts, and nothing that writes the document.
    let js = client.get(format!("{}/badge/{code}.js", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(js.contains(&code) && js.contains("www.qingfeng.gov.cn") && js.contains("https://bs.example.gov.cn"));
    assert!(!js.contains("document.write") && !js.contains("document.cookie"));
    let gz = client
        .get(format!("{}/badge/{code}.js", app.base))
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert!(gz.bytes().await.unwrap().len() <= 2048, "at most 2 KB gzipped");
}

#[tokio::test]
async fn unknown_and_malformed_codes_are_not_genuine() {
    let (app, code) = setup().await;
    let client = raw_client();
    let unknown = if code.ends_with('6') { "4109220000995" } else { "4109220000996" };
    for path in
        [format!("/badge/{unknown}.js"), format!("/badge/{unknown}.svg"), "/badge/abc.svg".into(), "/badge/x".into()]
    {
        assert_eq!(client.get(format!("{}{path}", app.base)).send().await.unwrap().status(), 404, "{path}");
    }
    let svg = client.get(format!("{}/badge/{unknown}.svg", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(svg.contains("网站标识无效"));
    // A well-formed code is named back; anything else is not, not even escaped: the page is the
    // programme's word, and a "notice" put in the address must not read as part of it.
    let notice = "本网站已被依法关闭，请拨打电话400-123-4567";
    // `unknown` above fails its check character; this one is a code's form, never issued.
    let region = govbadge::domain::region::RegionCode::parse("410922").unwrap();
    let unknown = govbadge::domain::badge::BadgeCode::new(&region, 999_999).unwrap().to_string();
    let unknown = unknown.as_str();
    let escaped_notice: String = url::form_urlencoded::byte_serialize(notice.as_bytes()).collect();
    let named = [
        (format!("/verify/{unknown}"), Some(format!("标识编号 {unknown} 不存在："))),
        (format!("/verify/{}", unknown.to_lowercase()), Some(format!("标识编号 {unknown} 不存在："))),
        ("/verify/ca010000000604412149999".into(), Some("标识编号 CA010000000604412149999 不存在：".into())),
        ("/verify/4109229999990".into(), None),
        ("/verify/not-a-code".into(), None),
        ("/verify/%3Cscript%3E".into(), None),
        (format!("/verify/{escaped_notice}"), None),
        (format!("/verify/{}", "A".repeat(5000)), None),
    ];
    for (path, said) in named {
        let r = client.get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
        let page = r.text().await.unwrap();
        let alarm = &page[page.find("role=\"alert\"").unwrap()..page.find("</main>").unwrap()];
        assert!(alarm.contains("不是真实有效的党政机关网站标识"), "{path}");
        match said {
            Some(said) => assert!(alarm.contains(&said), "{path}: {alarm}"),
            None => assert!(alarm.contains("标识编号格式不正确：") && alarm.len() < 300, "{path}: {alarm}"),
        }
        assert!(!page.contains("script") && !page.contains("400-123") && !page.contains("AAAAAAAAAA"), "{path}");
    }
    for (file, code) in [(format!("{unknown}.json"), json!(unknown)), (format!("{escaped_notice}.json"), json!(null))] {
        let r = client.get(format!("{}/verify/{file}", app.base)).send().await.unwrap();
        assert_eq!(r.status(), 404);
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["code"], code, "{file}");
    }
}

#[tokio::test]
async fn badge_assets_answered_before_the_router_are_the_router_s_answers() {
    let (app, code) = setup().await;
    let client = raw_client();
    let unknown = if code.ends_with('6') { "4109220000995" } else { "4109220000996" };
    let etag = client.get(format!("{}/badge/{code}.svg", app.base)).send().await.unwrap().headers()[header::ETAG]
        .to_str()
        .unwrap()
        .to_owned();
    let files = [
        format!("{code}.js"),
        format!("{code}.svg"),
        format!("{code}.svg?v=2"),
        format!("{code}.svg?x=1&v=%E4%B8%AD"),
        format!("{code}.svg?v=1&v=2"),
        format!("{unknown}.js"),
        format!("{unknown}.svg"),
        "abc.svg".to_owned(),
        "x".to_owned(),
    ];
    let asked: [&[(header::HeaderName, &str)]; 4] = [
        &[],
        &[(header::ACCEPT_ENCODING, "gzip, deflate, br")],
        &[(header::IF_NONE_MATCH, &etag)],
        &[(header::REFERER, "http://copycat.example/index.html")],
    ];
    for file in &files {
        // A percent-escaped first letter names the same file, and sends the request through the
        // router: a path with an escape is never answered before it.
        let escaped = format!("%{:02X}{}", file.as_bytes()[0], &file[1..]);
        for headers in asked {
            let get = |path: String| {
                let mut request = client.get(format!("{}/badge/{path}", app.base));
                for (name, value) in headers {
                    request = request.header(name, *value);
                }
                request.send()
            };
            let (direct, routed) = (get(file.clone()).await.unwrap(), get(escaped.clone()).await.unwrap());
            assert_eq!(direct.status(), routed.status(), "{file} {headers:?}");
            let mut direct_headers = direct.headers().clone();
            let mut routed_headers = routed.headers().clone();
            direct_headers.remove(header::DATE);
            routed_headers.remove(header::DATE);
            assert_eq!(direct_headers, routed_headers, "{file} {headers:?}");
            assert_eq!(direct.bytes().await.unwrap(), routed.bytes().await.unwrap(), "{file} {headers:?}");
        }
    }
}

#[tokio::test]
async fn the_verification_page_shows_public_data_and_warns_on_a_foreign_referer() {
    let (app, code) = setup().await;
    let client = raw_client();
    let url = format!("{}/verify/{code}", app.base);
    let page = html_unescape(
        &client
            .get(&url)
            .header(header::REFERER, "https://www.qingfeng.gov.cn/news/1.html")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    for field in [
        "清丰县人民政府办公室",
        "政府",
        "河南省濮阳市清丰县中州西路1号",
        "负责县政府日常运转。",
        "清丰县人民政府网",
        "清丰县人民政府.政务",
        "www.qingfeng.gov.cn",
        code.as_str(),
        "清丰县编办.政务",
        "有效",
    ] {
        assert!(page.contains(field), "{field}");
    }
    assert!(!page.contains("可能冒用"), "a registered Referer is fine");
    let warned = html_unescape(
        &client
            .get(&url)
            .header(header::REFERER, "http://copycat.example/index.html")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert!(warned.contains("copycat.example") && warned.contains("可能冒用了本标识"));

    // No personal field anywhere public.
    let (_, json) =
        (0, client.get(format!("{url}.json")).send().await.unwrap().json::<serde_json::Value>().await.unwrap());
    assert_eq!(json["code"], json!(code));
    let js = client.get(format!("{}/badge/{code}.js", app.base)).send().await.unwrap().text().await.unwrap();
    let lookup =
        client.get(format!("{}/lookup?domain=nothing.example", app.base)).send().await.unwrap().text().await.unwrap();
    let home = client.get(format!("{}/", app.base)).send().await.unwrap().text().await.unwrap();
    let input = valid_input();
    for public in [&page, &warned, &json.to_string(), &js, &lookup, &home] {
        for personal in [
            &input.principal_name,
            &input.handler_name,
            &input.principal_mobile,
            &input.handler_mobile,
            &input.principal_phone,
            &input.handler_phone,
            &input.principal_email,
            &input.handler_email,
            &input.handler_id_number,
        ] {
            assert!(!public.contains(personal.as_str()), "{personal} leaked");
        }
    }
}

#[tokio::test]
async fn the_public_look_up_by_domain() {
    let (app, code) = setup().await;
    let client = raw_client();
    for domain in [
        "www.qingfeng.gov.cn",
        "qingfeng.gov.cn",
        "https://www.qingfeng.gov.cn/index.html",
        "清丰县人民政府.政务",
        "WWW.QINGFENG.GOV.CN",
    ] {
        let r = client.get(format!("{}/lookup", app.base)).query(&[("domain", domain)]).send().await.unwrap();
        assert_eq!(r.status(), 303, "{domain}");
        assert_eq!(r.headers()[header::LOCATION], format!("/verify/{code}").as_str());
    }
    let r = client.get(format!("{}/lookup", app.base)).query(&[("domain", "fake.gov.cn")]).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("未查询到以该域名登记的党政机关网站。"));
    // What was asked stays in the field, never in the platform's notice.
    let notice = "x.gov.cn。本平台已迁移至新网址，请拨打400-123-4567重新登记";
    let r = client.get(format!("{}/lookup", app.base)).query(&[("domain", notice)]).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let page = r.text().await.unwrap();
    let alarm = &page[page.find("role=\"alert\"").unwrap()..];
    assert!(alarm.contains("未查询到以该域名登记的党政机关网站。") && !alarm.contains("400-123"), "{alarm}");
    assert!(page.contains(&format!("value=\"{notice}\"")), "the field keeps what was typed");
}

#[tokio::test]
async fn a_status_change_shows_at_once() {
    let (app, code) = setup().await;
    let client = raw_client();
    let svg_url = format!("{}/badge/{code}.svg", app.base);
    let before = client.get(&svg_url).send().await.unwrap().text().await.unwrap();
    assert!(before.contains("党政机关网站标识"));
    let county = app.api("清丰县编办.政务").await;
    assert_eq!(
        county
            .post(
                &format!("/api/v1/badges/{code}/status"),
                json!({ "status": "suspended", "reason": "资格复核未通过" })
            )
            .await
            .0,
        200
    );
    let after = client.get(&svg_url).send().await.unwrap().text().await.unwrap();
    assert!(after.contains("网站标识已暂停"));
    // A query cannot make a suspended badge look active or mismatched.
    let asked = client.get(format!("{svg_url}?v=party")).send().await.unwrap().text().await.unwrap();
    assert!(asked.contains("网站标识已暂停"));
    let page = client.get(format!("{}/verify/{code}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("该网站标识已暂停"));
}

#[tokio::test]
async fn sightings_are_recorded_bounded_and_shown_to_supervisors() {
    let (app, code) = setup().await;
    let client = raw_client();
    let js = format!("{}/badge/{code}.js", app.base);
    client.get(&js).header(header::REFERER, "https://www.qingfeng.gov.cn/").send().await.unwrap();
    client.get(&js).header(header::REFERER, "http://copycat.example/a").send().await.unwrap();
    client.get(&js).header(header::REFERER, "http://copycat.example/b").send().await.unwrap();
    let beacon =
        client.post(format!("{}/badge/{code}/sighting", app.base)).body("mirror.example").send().await.unwrap();
    assert_eq!(beacon.status(), 204);
    assert_eq!(
        client.post(format!("{}/badge/{code}/sighting", app.base)).body("x".repeat(300)).send().await.unwrap().status(),
        413
    );
    app.ctx.sightings.flush(&app.ctx.pool).await.unwrap();
    let rows: Vec<(String, bool, String, i64)> =
        govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_as("SELECT host, registered, source, count FROM badge_sightings ORDER BY host")
            .fetch_all(p).await)
            .unwrap();
    assert_eq!(
        rows,
        [
            ("copycat.example".into(), false, "referer".into(), 2),
            ("mirror.example".into(), false, "beacon".into(), 1),
            ("www.qingfeng.gov.cn".into(), true, "referer".into(), 1),
        ]
    );
    // A flood of made-up hosts stops at the per-code bound (and, from one address, at the
    // beacon limit long before it).
    let mut refused = 0;
    for i in 0..400 {
        let r = client
            .post(format!("{}/badge/{code}/sighting", app.base))
            .body(format!("flood{i}.example"))
            .send()
            .await
            .unwrap();
        refused += usize::from(r.status() == 429);
    }
    // 30 a minute per address: one (mirror.example) was already taken above.
    assert_eq!(refused, 400 - 29);
    app.ctx.sightings.flush(&app.ctx.pool).await.unwrap();
    let stored: i64 =
        govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_scalar("SELECT COUNT(*) FROM badge_sightings").fetch_one(p).await).unwrap();
    assert_eq!(stored, 3 + 29);

    let supervisor = app.browser("濮阳市监督.政务").await.text("/sightings").await;
    assert!(supervisor.contains("copycat.example") && supervisor.contains("未登记"));
    let other = app.browser("安阳市编办.政务").await.text("/sightings").await;
    assert!(!other.contains("copycat.example"));
    assert_eq!(Browser::anonymous(&app.base).get("/sightings").await.status(), 303);
}

#[tokio::test]
async fn an_ipv6_host_counts_as_its_64_network_against_the_beacon_limit() {
    // Behind a proxy on loopback (as the service is deployed), which says who the client is.
    let app = spawn_app_with(|c| {
        c.badge.base_url = "https://bs.example.gov.cn".parse().unwrap();
        c.badge.beacons_per_minute = 3;
        c.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    app.cast().await;
    let code = issued_badge(&app, valid_input()).await;
    let client = raw_client();
    let beacon = |from: &str| {
        client
            .post(format!("{}/badge/{code}/sighting", app.base))
            .header("x-forwarded-for", from)
            .body("mirror.example")
            .send()
    };
    // One host taking a fresh address of its /64 for each beacon is still one client.
    let mut answers = Vec::new();
    for n in 1..=5 {
        answers.push(beacon(&format!("2001:db8:5:6::{n:x}")).await.unwrap().status().as_u16());
    }
    assert_eq!(answers, [204, 204, 204, 429, 429]);
    assert_eq!(beacon("2001:db8:5:6:ffff:1:2:3").await.unwrap().status(), 429, "anywhere in the /64");
    assert_eq!(beacon("2001:db8:5:7::1").await.unwrap().status(), 204, "the next /64 is another client");
    // IPv4 clients are counted one address each; mapped into IPv6 they are the same address.
    for n in 1..=3 {
        assert_eq!(beacon(&format!("198.51.100.{n}")).await.unwrap().status(), 204);
    }
    for _ in 0..2 {
        assert_eq!(beacon("198.51.100.9").await.unwrap().status(), 204);
    }
    assert_eq!(beacon("::ffff:198.51.100.9").await.unwrap().status(), 204);
    assert_eq!(beacon("::ffff:198.51.100.9").await.unwrap().status(), 429, "the fourth from 198.51.100.9");
}
