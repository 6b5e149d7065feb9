//! The web layer: one route table, thin handlers for pages (HTML) and the API (JSON), and the
//! middleware every response passes through (security headers, error pages).

pub mod admin;
pub mod api;
pub mod assets;
pub mod auth;
pub mod cache;
pub mod calendar;
pub mod circulars;
pub mod closing;
pub mod errors;
pub mod feeds;
pub mod guard;
pub mod import;
pub mod ledger;
pub mod login;
pub mod outbox;
pub mod pages;
pub mod reports;
pub mod respond;
pub mod scorecard;
pub mod stall;
pub mod state;
pub mod templates;
pub mod upload;

use actix_web::http::Method;
use actix_web::{web, FromRequest, Handler, Responder, Route};

/// One row of the route table.
/// Who may call a route is decided by its handler (through `authz`); the access-matrix test
/// walks this table so that no route goes without an expectation.
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    make: Box<dyn Fn() -> Route>,
}

fn spec<F, Args>(method: Method, path: &'static str, handler: F) -> RouteSpec
where
    F: Handler<Args> + Clone + 'static,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    let m = method.clone();
    RouteSpec {
        method,
        path,
        make: Box::new(move || web::route().method(m.clone()).to(handler.clone())),
    }
}

/// Every route of the application. Registration and the tests walk this same list.
pub fn route_table() -> Vec<RouteSpec> {
    use Method as M;
    vec![
        // Public.
        spec(M::GET, "/healthz", pages::healthz),
        spec(M::GET, "/static/app.css", assets::stylesheet),
        spec(M::GET, "/static/favicon.svg", assets::favicon),
        spec(M::GET, "/static/report-form.js", assets::report_form_script),
        spec(M::GET, "/static/review-form.js", assets::review_form_script),
        spec(M::GET, "/login", login::login_form),
        spec(M::POST, "/login", login::login),
        spec(M::GET, "/language/{code}", login::set_language_cookie),
        spec(M::GET, "/calendar/{file}", feeds::feed),
        // Signed-in people.
        spec(M::POST, "/logout", login::logout),
        spec(M::GET, "/account/password", login::password_form),
        spec(M::POST, "/account/password", login::change_password),
        spec(M::POST, "/account/language", login::set_language),
        spec(M::POST, "/account/calendar", feeds::create_own),
        spec(M::POST, "/account/calendar/revoke", feeds::revoke_own),
        spec(M::GET, "/", pages::index),
        spec(M::GET, "/documents", pages::documents_list),
        spec(M::GET, "/documents/{id}", pages::document),
        spec(M::GET, "/measures/{id}", pages::measure),
        spec(M::GET, "/departments", pages::departments),
        spec(M::GET, "/departments/{id}", pages::department),
        spec(M::GET, "/obligations/{id}", reports::obligation_page),
        spec(
            M::POST,
            "/obligations/{id}/report",
            reports::post_report_form,
        ),
        spec(
            M::POST,
            "/obligations/{id}/extension",
            reports::request_extension,
        ),
        spec(M::POST, "/documents/{id}/acknowledge", reports::acknowledge),
        spec(M::GET, "/evidence/{id}", reports::evidence_page),
        spec(M::GET, "/ledger", ledger::page),
        spec(M::GET, "/ledger/print", ledger::print),
        spec(M::GET, "/ledger.csv", ledger::export_csv),
        spec(M::GET, "/ledger.xlsx", ledger::export_xlsx),
        spec(M::GET, "/measures.csv", scorecard::measures_csv),
        spec(M::GET, "/measures.xlsx", scorecard::measures_xlsx),
        // Leaders and the office.
        spec(M::GET, "/scorecard", scorecard::page),
        spec(M::GET, "/scorecard/departments/{id}", scorecard::breakdown),
        spec(M::GET, "/scorecard.csv", scorecard::export_csv),
        spec(M::GET, "/scorecard.xlsx", scorecard::export_xlsx),
        // The office.
        spec(M::GET, "/admin/users", admin::users_page),
        spec(M::POST, "/admin/users", admin::create_user),
        spec(M::GET, "/admin/users/{id}", admin::user_page),
        spec(M::POST, "/admin/users/{id}", admin::update_user),
        spec(M::POST, "/admin/users/{id}/password", admin::reset_password),
        spec(M::POST, "/admin/users/{id}/oversight", admin::set_oversight),
        spec(M::POST, "/admin/users/{id}/mobile", admin::set_mobile),
        spec(M::GET, "/admin/departments/{id}", admin::department_page),
        spec(M::POST, "/admin/departments/{id}", admin::update_department),
        spec(
            M::POST,
            "/admin/departments/{id}/calendar",
            feeds::create_unit,
        ),
        spec(
            M::POST,
            "/admin/departments/{id}/calendar/revoke",
            feeds::revoke_unit,
        ),
        spec(
            M::POST,
            "/admin/departments/{id}/merge",
            admin::merge_department,
        ),
        spec(M::GET, "/admin/tokens", admin::tokens_page),
        spec(M::POST, "/admin/tokens/{id}/revoke", admin::revoke_token),
        spec(M::GET, "/admin/audit", admin::audit_page),
        spec(M::GET, "/admin/audit.csv", admin::audit_csv),
        spec(M::GET, "/admin/audit/goto/{entity}/{id}", admin::audit_goto),
        spec(M::POST, "/ledger/bulk", ledger::bulk_action),
        spec(M::GET, "/admin/reviews", reports::review_queue),
        spec(M::POST, "/reports/{id}/review", reports::review_form),
        spec(M::POST, "/reports/{id}/withdraw", reports::withdraw),
        spec(M::POST, "/measures/{id}/closure", closing::request),
        spec(
            M::POST,
            "/measures/{id}/instruction",
            pages::instruct_measure,
        ),
        spec(
            M::POST,
            "/obligations/{id}/instruction",
            reports::instruct_obligation,
        ),
        spec(M::POST, "/closures/{id}/decide", closing::decide),
        spec(M::GET, "/closures/files/{id}", closing::file),
        spec(M::POST, "/admin/comments/{id}/delete", reports::drop_canned),
        spec(M::GET, "/admin/extensions", reports::extension_queue),
        spec(M::POST, "/admin/extensions/{id}", reports::decide_extension),
        spec(
            M::POST,
            "/admin/documents/{id}/schedule",
            reports::set_schedule,
        ),
        spec(M::POST, "/admin/documents/{id}/dispatch", reports::dispatch),
        spec(
            M::POST,
            "/admin/measures/{id}/deadline",
            reports::set_deadline,
        ),
        spec(M::POST, "/admin/measures/{id}", pages::edit_measure),
        spec(M::GET, "/admin/import", import::import_form),
        spec(M::POST, "/admin/import/preview", import::preview),
        spec(M::POST, "/admin/import/confirm", import::confirm),
        spec(M::GET, "/admin/outbox", outbox::outbox_page),
        spec(M::POST, "/admin/outbox/{id}/resend", outbox::resend),
        spec(M::POST, "/admin/outbox/resend", outbox::resend_all),
        spec(M::GET, "/admin/reminders", outbox::policy_form),
        spec(M::POST, "/admin/reminders", outbox::save_policy),
        spec(M::GET, "/admin/calendar", calendar::calendar),
        spec(M::GET, "/circulars/new", circulars::new),
        spec(M::POST, "/circulars", circulars::create),
        spec(M::GET, "/circulars/{id}", circulars::show),
        spec(M::GET, "/circulars/{id}/docx", circulars::download),
        spec(M::POST, "/circulars/{id}/send", circulars::send_out),
        spec(M::POST, "/admin/calendar", calendar::save),
        // The JSON API (bearer tokens).
        spec(M::GET, "/api/v1/me", api::me),
        spec(M::GET, "/api/v1/documents", api::documents),
        spec(M::GET, "/api/v1/measures", api::measures),
        spec(M::GET, "/api/v1/measures/{id}", api::measure),
        spec(M::GET, "/api/v1/obligations", ledger::api),
        spec(M::PATCH, "/api/v1/measures/{id}", api::patch_measure),
        spec(M::GET, "/api/v1/departments", api::departments),
        spec(M::PATCH, "/api/v1/departments/{id}", api::patch_department),
        spec(M::PUT, "/api/v1/users/{id}/departments", api::put_oversight),
        spec(
            M::POST,
            "/api/v1/measures/{id}/reports",
            reports::post_report_api,
        ),
        spec(M::GET, "/api/v1/reports/{id}", reports::get_report),
        spec(M::POST, "/api/v1/reports/{id}/review", reports::review_api),
        spec(M::GET, "/api/v1/evidence/{id}", reports::evidence_api),
        spec(M::GET, "/api/v1/scorecard", scorecard::api),
        spec(M::GET, "/api/v1/outbox", outbox::api),
        spec(M::POST, "/api/v1/outbox/resend", outbox::api_resend),
    ]
}

/// Registers the route table and the extractor error handlers. Routes that share a path
/// share a resource, so a known path asked with another method answers 405, not 404.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(errors::path_config())
        .app_data(errors::query_config())
        .app_data(errors::json_config());
    let mut paths: Vec<&'static str> = Vec::new();
    let table = route_table();
    for spec in &table {
        if !paths.contains(&spec.path) {
            paths.push(spec.path);
        }
    }
    for path in paths {
        let resource = table
            .iter()
            .filter(|s| s.path == path)
            .fold(web::resource(path), |r, s| r.route((s.make)()))
            .default_service(web::to(errors::method_not_allowed));
        cfg.service(resource);
    }
}
