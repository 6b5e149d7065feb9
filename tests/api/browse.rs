//! Browsing a freshly started server: the bundled plan, as pages and as JSON.

use std::collections::HashMap;

use crate::helpers::{repo_path, spawn_app};

#[actix_web::test]
async fn health_check_answers_ok_when_the_database_answers() {
    let app = spawn_app().await;
    let reply = app.get("/healthz").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, "ok");
}

#[actix_web::test]
async fn a_fresh_server_shows_the_bundled_plan() {
    let app = spawn_app().await;
    let docs = app.get_json("/api/v1/documents").await;
    let docs = docs.as_array().unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["number"], "塔行办发〔2018〕10号");
    assert_eq!(docs[0]["issued_on"], "2018-02-06");
    assert_eq!(docs[0]["measure_count"], 29);
    assert!(docs[0]["id"].is_i64());

    let admin = app.login_admin().await;
    let index = app.get_as(&admin, "/").await;
    assert_eq!(index.status, 200);
    assert!(index
        .body
        .contains("塔城地区做好当前和今后一段时期就业创业工作实施方案"));
    assert!(index.body.contains("29 项措施"));
}

#[actix_web::test]
async fn measures_name_their_lead_and_co_units() {
    let app = spawn_app().await;
    let id = app.get_json("/api/v1/documents").await[0]["id"]
        .as_i64()
        .unwrap();
    let measures = app
        .get_json(&format!("/api/v1/measures?document={id}"))
        .await;
    let measures = measures.as_array().unwrap();
    assert_eq!(measures.len(), 29);
    let by_number: HashMap<i64, &serde_json::Value> = measures
        .iter()
        .map(|m| (m["number"].as_i64().unwrap(), m))
        .collect();
    let m1 = by_number[&1];
    assert_eq!(m1["title"], "促进经济发展与扩大就业联动");
    assert_eq!(m1["section"], 1);
    assert_eq!(m1["lead"], "地区发改委");
    assert_eq!(m1["co"][0], "地区财政局");
    // The schedule starts with the quarter of the first start (2026-03-02): Q1, due 04-10.
    assert_eq!(m1["light"], "green");
    assert_eq!(
        m1["due_on"], "2026-04-07",
        "the co units' contributions come due first"
    );
    assert_eq!(by_number[&24]["light"], "none", "no unit, no obligation");
    assert_eq!(by_number[&15]["lead"], "人行塔城地区中心支行");
    assert_eq!(by_number[&29]["lead"], "地委宣传部");
    assert!(by_number[&24]["lead"].is_null());
    assert_eq!(by_number[&24]["co"].as_array().unwrap().len(), 0);
    for n in [5, 6, 7, 8, 9, 11, 16, 17, 18, 19, 21, 22, 23, 26, 28] {
        assert_eq!(by_number[&n]["lead"], "地区人社局", "measure {n}");
    }
    // Without a filter: every document's measures.
    let all = app.get_json("/api/v1/measures").await;
    assert_eq!(all.as_array().unwrap().len(), 29);
}

#[actix_web::test]
async fn a_measure_has_its_text_assignments_and_warnings() {
    let app = spawn_app().await;
    let list = app.get_json("/api/v1/measures").await;
    let id_of = |n: i64| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|m| m["number"] == n)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let m7 = app
        .get_json(&format!("/api/v1/measures/{}", id_of(7)))
        .await;
    assert!(m7["text"]
        .as_str()
        .unwrap()
        .starts_with("继续推进北五县(市)富余劳动力"));
    let assignments: Vec<(String, String)> = m7["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["department"].as_str().unwrap().to_string(),
                a["role"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        assignments,
        [
            ("地区人社局".to_string(), "lead".to_string()),
            ("地区经信委".to_string(), "co".to_string()),
            ("各县(市)人民政府".to_string(), "co".to_string()),
        ]
    );
    assert_eq!(m7["document"]["number"], "塔行办发〔2018〕10号");
    // Quarterly from 2026-Q1 for 8 quarters: three units, eight periods.
    let obligations = m7["obligations"].as_array().unwrap();
    assert_eq!(obligations.len(), 24);
    let first_lead = obligations
        .iter()
        .find(|o| o["role"] == "lead" && o["period"] == "2026-Q1")
        .unwrap();
    assert_eq!(first_lead["department"], "地区人社局");
    assert_eq!(first_lead["due_on"], "2026-04-10");
    assert_eq!(first_lead["state"], "open");

    let m15 = app
        .get_json(&format!("/api/v1/measures/{}", id_of(15)))
        .await;
    assert!(m15["warnings"][0].as_str().unwrap().contains("财政厅"));

    let admin = app.login_admin().await;
    let page = app
        .get_as(&admin, &format!("/measures/{}", id_of(15)))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("拓宽融资渠道"));
    assert!(page.body.contains("人行塔城地区中心支行"));
    assert!(page.body.contains("塔城银监分局"));
    assert!(page.body.contains("财政厅"));
}

#[actix_web::test]
async fn departments_count_what_they_lead_and_co_operate_on() {
    let app = spawn_app().await;
    let list = app.get_json("/api/v1/departments").await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 33);
    let find = |name: &str| list.iter().find(|d| d["name"] == name).unwrap().clone();
    let hr = find("地区人社局");
    assert_eq!(hr["lead_count"], 15);
    assert_eq!(find("地区发改委")["lead_count"], 5);
    assert_eq!(find("财政厅")["co_count"], 1);
    assert_eq!(hr["email"], "");

    // Totals agree with the measures: one lead per assigned measure, every co counted.
    let measures = app.get_json("/api/v1/measures").await;
    let leads = measures
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| !m["lead"].is_null())
        .count() as i64;
    let cos: i64 = measures
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["co"].as_array().unwrap().len() as i64)
        .sum();
    let lead_sum: i64 = list.iter().map(|d| d["lead_count"].as_i64().unwrap()).sum();
    let co_sum: i64 = list.iter().map(|d| d["co_count"].as_i64().unwrap()).sum();
    assert_eq!((lead_sum, co_sum), (leads, cos));

    let admin = app.login_admin().await;
    let hr_page = app
        .get_as(&admin, &format!("/departments/{}", hr["id"]))
        .await;
    assert_eq!(hr_page.status, 200);
    assert!(
        hr_page.body.contains("人社局"),
        "the bare form is listed as an alias"
    );
    assert!(
        hr_page.body.contains("加强就业宣传"),
        "co-operates on measure 29"
    );
    let directory = app.get_as(&admin, "/departments").await;
    assert!(directory.body.contains("地委宣传部"));
}

#[actix_web::test]
async fn the_document_page_shows_sections_units_and_import_warnings() {
    let app = spawn_app().await;
    let id = app.get_json("/api/v1/documents").await[0]["id"]
        .as_i64()
        .unwrap();
    let admin = app.login_admin().await;
    let page = app.get_as(&admin, &format!("/documents/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    for heading in ["一、坚持实施就业优先战略", "七、加强组织领导"] {
        assert!(page.body.contains(heading), "{heading}");
    }
    assert_eq!(
        page.body.matches("data-label=\"编号\"").count(),
        29,
        "one row per measure"
    );
    assert!(page.body.contains("导入提示（2 条"));
    assert!(page.body.contains("未列明"), "measure 24 has no lead");
    assert!(page.body.contains("各县(市)人民政府"));
}

#[actix_web::test]
async fn unknown_things_are_404_as_json_on_the_api_and_as_a_page_elsewhere() {
    let app = spawn_app().await;
    let admin = app.login_admin().await;
    for path in [
        "/api/v1/measures/99999",
        "/api/v1/measures/abc",
        "/api/v1/measures?document=99999",
        "/api/v1/nothing-here",
    ] {
        let reply = app.api_get(path, &app.admin_token).await;
        assert_eq!(reply.status, 404, "{path}");
        assert_eq!(reply.json()["error"]["code"], "not_found", "{path}");
        assert!(!reply.json()["error"]["message"]
            .as_str()
            .unwrap()
            .is_empty());
    }
    for path in [
        "/measures/99999",
        "/documents/0",
        "/departments/abc",
        "/nowhere",
    ] {
        let reply = app.get_as(&admin, path).await;
        assert_eq!(reply.status, 404, "{path}");
        assert!(reply
            .header("content-type")
            .unwrap()
            .starts_with("text/html"));
        assert!(reply.body.contains("找不到页面"), "{path}");
    }
    let bad = app
        .api_get("/api/v1/measures?document=first", &app.admin_token)
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.json()["error"]["code"], "invalid");

    let post = app
        .send(
            app.client
                .post(app.url("/api/v1/documents"))
                .insert_header(("Authorization", format!("Bearer {}", app.admin_token))),
        )
        .await;
    assert_eq!(post.status, 405);
    assert_eq!(post.json()["error"]["code"], "method_not_allowed");
}

#[actix_web::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/api/v1/documents",
        "/nowhere",
        "/static/app.css",
        "/healthz",
    ] {
        let reply = app.get(path).await;
        let csp = reply.header("content-security-policy").unwrap_or("");
        assert!(
            csp.contains("default-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}"
        );
        assert_eq!(
            reply.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(reply.header("x-frame-options"), Some("DENY"), "{path}");
        assert!(reply.header("referrer-policy").is_some(), "{path}");
    }
    let css = app.get("/static/app.css").await;
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
}

#[actix_web::test]
async fn a_second_document_is_listed_and_filtered_apart() {
    let app = spawn_app().await;
    let fixture = repo_path("tests/fixtures/convention-a-fullwidth.txt");
    let out = app.db.cli(&["import", fixture.to_str().unwrap()]);
    assert!(out.success(), "{}", out.stderr());

    let docs = app.get_json("/api/v1/documents").await;
    let docs = docs.as_array().unwrap();
    assert_eq!(docs.len(), 2);
    let second = docs
        .iter()
        .find(|d| d["number"] == "青政办发〔2021〕7号")
        .unwrap();
    assert_eq!(second["measure_count"], 4);
    let measures = app
        .get_json(&format!("/api/v1/measures?document={}", second["id"]))
        .await;
    let leads: Vec<&str> = measures
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["lead"].as_str().unwrap_or("-"))
        .collect();
    assert_eq!(leads, ["市政务服务局", "市市场监管局", "市自然资源局", "-"]);
    assert_eq!(
        app.get_json("/api/v1/measures")
            .await
            .as_array()
            .unwrap()
            .len(),
        33
    );
}
