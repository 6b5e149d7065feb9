//! The calendar ahead: the office edits a year's holidays (节假日安排), due dates move with
//! it, the workbench asks for next year's from 1 November, and iCalendar feeds (日历订阅)
//! at secret, revocable addresses show the dates as they now are.

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use duban::db::schema::{calendar_years, departments, measures, obligations};
use icalendar::Component;

use crate::helpers::{spawn_app, Session, TestApp};

const HR: &str = "地区人社局";

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// HR's lead obligation of 2026 Q4 on the plan's first measure it leads: due 2026-12-31
/// + 10 days = Sunday 2027-01-10, so the Monday after.
fn q4_lead(app: &TestApp) -> (i32, NaiveDate) {
    let mut conn = app.pool.get().unwrap();
    obligations::table
        .inner_join(departments::table)
        .inner_join(measures::table)
        .filter(departments::name.eq(HR))
        .filter(obligations::role.eq("lead"))
        .filter(obligations::period_key.eq("2026-Q4"))
        .order(measures::number)
        .select((obligations::id, obligations::due_on))
        .first(&mut conn)
        .unwrap()
}

/// The address a feed was given, from the flash on the page after making it.
async fn made_feed(app: &TestApp, who: &Session, action: &str, page: &str) -> String {
    let made = app.post_as(who, action, &[]).await;
    assert_eq!(made.status, 303, "{}", made.body);
    let body = app.get_as(who, page).await.body;
    let start = body.find("/calendar/").expect("the address is shown once");
    let before = body[..start].rfind("http").unwrap();
    let end = start + body[start..].find(".ics").unwrap() + 4;
    body[before..end].to_string()
}

async fn fetch(app: &TestApp, url: &str) -> (u16, String) {
    let path = &url[url.find("/calendar/").unwrap()..];
    let reply = app.get(path).await;
    (reply.status, reply.body)
}

fn start_of(ics: &str, obligation: i32) -> Option<NaiveDate> {
    let cal: icalendar::Calendar = ics.parse().unwrap();
    let start = cal
        .events()
        .find(|e| {
            e.get_uid()
                .is_some_and(|u| u.starts_with(&format!("obligation-{obligation}@")))
        })
        .and_then(|e| match e.get_start() {
            Some(icalendar::DatePerhapsTime::Date(date)) => Some(date),
            _ => None,
        });
    start
}

#[actix_web::test]
async fn an_office_edited_2027_calendar_moves_a_due_date_and_the_feed_shows_it() {
    let app = spawn_app().await;
    let (ob, due) = q4_lead(&app);
    assert_eq!(due, d(2027, 1, 11), "2027 has no calendar: weekends only");
    let password = app.add_user("renshe", "liaison", Some(HR));
    let me = app.login("renshe", &password).await;
    let page = app.get_as(&me, &format!("/obligations/{ob}")).await;
    assert!(
        page.body.contains("只按周末顺延"),
        "marked as weekends only"
    );

    let url = made_feed(&app, &me, "/account/calendar", "/account/password").await;
    let (status, ics) = fetch(&app, &url).await;
    assert_eq!(status, 200);
    assert_eq!(start_of(&ics, ob), Some(d(2027, 1, 11)));
    assert!(
        ics.contains("TRIGGER:-PT54000S"),
        "a reminder at 09:00 the day before"
    );
    // Only the liaison's own unit's due dates.
    let hr_id = app.department_id(HR).await as i32;
    let theirs: Vec<i32> = {
        let mut conn = app.pool.get().unwrap();
        obligations::table
            .filter(obligations::department_id.ne(hr_id))
            .select(obligations::id)
            .load(&mut conn)
            .unwrap()
    };
    let cal: icalendar::Calendar = ics.parse().unwrap();
    assert!(cal.events().count() > 0);
    for e in cal.events() {
        let id: i32 = e.get_uid().unwrap()["obligation-".len()..]
            .split('@')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(!theirs.contains(&id), "another unit's obligation {id}");
    }

    // From 1 November the workbench asks for next year's calendar.
    app.clock.advance(Duration::days(245));
    let admin = app.login_admin().await;
    let home = app.get_as(&admin, "/").await;
    assert!(
        home.body.contains("尚未录入 2027 年节假日安排"),
        "{}",
        home.body
    );
    let form = app.get_as(&admin, "/admin/calendar").await;
    assert!(form.body.contains("2027 年") && form.body.contains("未录入"));

    // A date outside the year: refused in words, the typed text kept, nothing saved.
    let typed = "2027-01-01~2027-01-03\n2026-12-31";
    let bad = app
        .post_as(
            &admin,
            "/admin/calendar",
            &[("year", "2027"), ("holidays", typed), ("workdays", "")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("2026-12-31 不在 2027 年内"),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("2027-01-01~2027-01-03\n2026-12-31"));
    let saved: i64 = {
        let mut conn = app.pool.get().unwrap();
        calendar_years::table.count().get_result(&mut conn).unwrap()
    };
    assert_eq!(saved, 0);
    assert_eq!(q4_lead(&app).1, d(2027, 1, 11));

    // The office makes Monday 2027-01-11 a day off: the due date moves to Tuesday.
    let ok = app
        .post_as(
            &admin,
            "/admin/calendar",
            &[
                ("year", "2027"),
                ("holidays", "2027-01-01~2027-01-03、2027-01-11"),
                ("workdays", "2027-01-16"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let after = app.get_as(&admin, "/admin/calendar?year=2027").await;
    assert!(
        after.body.contains("已保存 2027 年节假日安排"),
        "{}",
        after.body
    );
    assert!(after.body.contains("2027-01-01~2027-01-03"));
    assert_eq!(q4_lead(&app).1, d(2027, 1, 12));
    let entry = app
        .audit()
        .into_iter()
        .find(|e| e.action == "calendar.save")
        .expect("audited");
    assert_eq!(entry.actor, "admin");
    let home = app.get_as(&admin, "/").await;
    assert!(!home.body.contains("尚未录入 2027 年"));

    // The feed shows the moved date under the same event.
    let (_, ics) = fetch(&app, &url).await;
    assert_eq!(start_of(&ics, ob), Some(d(2027, 1, 12)));
}

#[actix_web::test]
async fn feeds_are_secret_revocable_and_a_units_is_the_offices_to_make() {
    let app = spawn_app().await;
    let hr = app.department_id(HR).await;
    let password = app.add_user("renshe", "liaison", Some(HR));
    let me = app.login("renshe", &password).await;
    // A liaison cannot make their unit's feed, nor another's.
    let refused = app
        .post_as(&me, &format!("/admin/departments/{hr}/calendar"), &[])
        .await;
    assert_eq!(refused.status, 403);

    let admin = app.login_admin().await;
    let page = format!("/admin/departments/{hr}");
    let first = made_feed(&app, &admin, &format!("{page}/calendar"), &page).await;
    assert_eq!(fetch(&app, &first).await.0, 200);
    // The address is shown once: the unit's page afterwards has only when it was made.
    let again = app.get_as(&admin, &page).await;
    assert!(!again
        .body
        .contains(&first[first.find("/calendar/").unwrap()..]));
    assert!(again.body.contains("生成订阅地址"));
    // A new address stops the old one; revoking stops the new.
    let second = made_feed(&app, &admin, &format!("{page}/calendar"), &page).await;
    assert_ne!(first, second);
    assert_eq!(fetch(&app, &first).await.0, 404);
    assert_eq!(fetch(&app, &second).await.0, 200);
    let stopped = app
        .post_as(&admin, &format!("{page}/calendar/revoke"), &[])
        .await;
    assert_eq!(stopped.status, 303);
    assert_eq!(fetch(&app, &second).await.0, 404);
    // Guessing gets nothing.
    assert_eq!(app.get("/calendar/nope.ics").await.status, 404);
    assert_eq!(
        app.get(&format!("/calendar/{}.ics", "0".repeat(48)))
            .await
            .status,
        404
    );
    let actions: Vec<String> = app.audit().into_iter().map(|e| e.action).collect();
    assert_eq!(actions.iter().filter(|a| *a == "feed.create").count(), 2);
    assert_eq!(actions.iter().filter(|a| *a == "feed.revoke").count(), 1);
}

#[actix_web::test]
async fn schedules_take_the_cadences_offices_use() {
    let app = spawn_app().await;
    let admin = app.login_admin().await;
    let doc = app.document_id("塔行办发〔2018〕10号").await;
    let path = format!("/admin/documents/{doc}/schedule");
    let post = |cadence: &'static str, due_day: &'static str| {
        let (app, admin, path) = (&app, &admin, path.clone());
        async move {
            app.post_as(
                admin,
                &path,
                &[
                    ("cadence", cadence),
                    ("starts_on", "2026-01-01"),
                    ("periods", "4"),
                    ("due_days", "10"),
                    ("due_day", due_day),
                    ("co_days", "3"),
                ],
            )
            .await
        }
    };
    let dues = |period: &str| -> Vec<NaiveDate> {
        let mut conn = app.pool.get().unwrap();
        obligations::table
            .filter(obligations::document_id.eq(doc as i32))
            .filter(obligations::period_key.eq(period))
            .filter(obligations::role.eq("lead"))
            .select(obligations::due_on)
            .distinct()
            .load(&mut conn)
            .unwrap()
    };
    // 每月25日前: March's reports by 25 March.
    assert_eq!(post("monthly", "25").await.status, 303);
    assert_eq!(dues("2026-03"), [d(2026, 3, 25)]);
    // Weekly, half-yearly and yearly periods.
    assert_eq!(post("weekly", "").await.status, 303);
    assert_eq!(dues("2026-W01"), [d(2025, 12, 29) + Duration::days(6 + 10)]);
    assert_eq!(post("half_yearly", "").await.status, 303);
    assert_eq!(dues("2026-H1"), [d(2026, 7, 10)]);
    assert_eq!(post("yearly", "31").await.status, 303);
    assert_eq!(dues("2026"), [d(2026, 12, 31)]);
    // A fixed day for weeks, or past 31: refused in words, nothing changed.
    let weekly = post("weekly", "25").await;
    assert_eq!(weekly.status, 422);
    assert!(
        weekly.body.contains("固定截止日只适用于"),
        "{}",
        weekly.body
    );
    assert_eq!(post("monthly", "40").await.status, 422);
    assert_eq!(dues("2026"), [d(2026, 12, 31)]);
}
