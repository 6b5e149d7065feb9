//! The web layer: one route table, thin handlers for pages (HTML) and the API (JSON), and the
//! middleware every response passes through (security headers, error pages).

pub mod api;
pub mod errors;
pub mod pages;
pub mod state;
pub mod templates;
pub mod views;

use actix_web::http::Method;
use actix_web::{web, FromRequest, Handler, Responder, Route};

/// Who may reach a route. Accounts arrive later; the table already says which routes stay
/// public and which belong to people or integrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Open to anyone: health check, static assets.
    Public,
    /// HTML pages for people.
    Page,
    /// The JSON API.
    Api,
}

/// One row of the route table.
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub audience: Audience,
    make: Box<dyn Fn() -> Route>,
}

fn spec<F, Args>(method: Method, path: &'static str, audience: Audience, handler: F) -> RouteSpec
where
    F: Handler<Args> + Clone + 'static,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    let m = method.clone();
    RouteSpec {
        method,
        path,
        audience,
        make: Box::new(move || web::route().method(m.clone()).to(handler.clone())),
    }
}

fn get<F, Args>(path: &'static str, audience: Audience, handler: F) -> RouteSpec
where
    F: Handler<Args> + Clone + 'static,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    spec(Method::GET, path, audience, handler)
}

/// Every route of the application. Registration and the tests walk this same list.
pub fn route_table() -> Vec<RouteSpec> {
    vec![
        get("/healthz", Audience::Public, pages::healthz),
        get("/static/app.css", Audience::Public, pages::stylesheet),
        get("/", Audience::Page, pages::index),
        get("/documents/{id}", Audience::Page, pages::document),
        get("/measures/{id}", Audience::Page, pages::measure),
        get("/departments", Audience::Page, pages::departments),
        get("/departments/{id}", Audience::Page, pages::department),
        get("/api/v1/documents", Audience::Api, api::documents),
        get("/api/v1/measures", Audience::Api, api::measures),
        get("/api/v1/measures/{id}", Audience::Api, api::measure),
        get("/api/v1/departments", Audience::Api, api::departments),
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
