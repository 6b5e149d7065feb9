//! One application error type. Kinds map to HTTP statuses; the message shown to a person is
//! separate from the cause that is logged. API routes answer with the contract's JSON error
//! body; pages get an HTML error page (see `web::errors`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::i18n::tr;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    NotFound(String),
    #[error("{}", tr("service.error.method_not_allowed", &[]))]
    MethodNotAllowed,
    /// A page asked without a live session: go to the login page, then back to `0`.
    #[error("{}", tr("service.error.login_required", &[]))]
    LoginRequired(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Validation(String),
    /// Bad input in one named field: the API names it apart from the message.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    Unavailable(String),
    /// The disk is full or cannot be written: said plainly, with the cause logged.
    #[error("{message}")]
    Storage { message: String, cause: String },
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

/// What the error page needs, carried from the error to the HTML renderer.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorInfo {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

impl AppError {
    /// "`thing` does not exist or has been deleted", in the request's language. `thing` is
    /// a key of `service.error.thing` (obligation, report, evidence, measure, page,
    /// document, department, user).
    pub fn not_found(thing: &str) -> Self {
        let what = tr(&format!("service.error.thing.{thing}"), &[]);
        AppError::NotFound(tr("service.error.not_found", &[("what", &what)]))
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound(_) => "not_found",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::LoginRequired(_) => "login_required",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::Validation(_) | AppError::Invalid { .. } => "invalid",
            AppError::Conflict(_) => "conflict",
            AppError::TooLarge(_) => "too_large",
            AppError::Unsupported(_) => "unsupported_type",
            AppError::Unavailable(_) => "unavailable",
            AppError::Storage { .. } => "storage",
            AppError::Internal(_) => "internal",
        }
    }

    /// The message for the person who made the request: never the internal cause.
    pub fn user_message(&self) -> String {
        match self {
            AppError::Internal(_) => tr("service.error.internal", &[]),
            other => other.to_string(),
        }
    }

    pub fn info(&self) -> ErrorInfo {
        ErrorInfo {
            status: self.status_code().as_u16(),
            code: self.code(),
            message: self.user_message(),
            field: match self {
                AppError::Invalid { field, .. } => Some(field),
                _ => None,
            },
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::LoginRequired(_) => StatusCode::SEE_OTHER,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Validation(_) | AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unsupported(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Storage { .. } => StatusCode::INSUFFICIENT_STORAGE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Internal(cause) => tracing::error!(error = ?cause, "request failed"),
            AppError::Storage { cause, .. } => tracing::error!(%cause, "storage fault"),
            AppError::Unavailable(m) => tracing::warn!(message = %m, "answered 503"),
            _ => {}
        }
        if let AppError::LoginRequired(next) = self {
            let query = serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default();
            return HttpResponse::SeeOther()
                .insert_header((actix_web::http::header::LOCATION, format!("/login?{query}")))
                .finish();
        }
        let info = self.info();
        let mut error = serde_json::json!({ "code": info.code, "message": info.message });
        if let Some(field) = info.field {
            error["field"] = field.into();
        }
        let body = serde_json::json!({ "error": error });
        let mut builder = HttpResponse::build(self.status_code());
        if matches!(self, AppError::Unavailable(_)) {
            builder.insert_header((actix_web::http::header::RETRY_AFTER, "2"));
        }
        let mut res = builder.json(body);
        res.extensions_mut().insert(info);
        res
    }
}

impl From<diesel::result::Error> for AppError {
    /// A unique-key race is a conflict, a lock that outlasted the busy timeout a 503, a full or
    /// read-only disk a storage fault; anything else is internal.
    fn from(e: diesel::result::Error) -> Self {
        use crate::db::Fault;
        match crate::db::fault(&e) {
            Fault::Conflict => AppError::Conflict(tr("service.error.conflict", &[])),
            Fault::Busy => AppError::Unavailable(tr("service.error.busy", &[])),
            Fault::StorageFull => AppError::storage(true, &e),
            Fault::ReadOnly => AppError::storage(false, &e),
            Fault::Other => AppError::Internal(e.into()),
        }
    }
}

impl AppError {
    fn storage(full: bool, cause: &dyn std::fmt::Display) -> AppError {
        let key = if full {
            "service.error.storage_full"
        } else {
            "service.error.storage_read_only"
        };
        AppError::Storage {
            message: tr(key, &[]),
            cause: cause.to_string(),
        }
    }

    /// A file-system error while `doing` something: a full or read-only disk is said plainly,
    /// anything else is internal.
    pub fn io(doing: &str, e: std::io::Error) -> AppError {
        use std::io::ErrorKind as K;
        match e.kind() {
            K::StorageFull | K::QuotaExceeded => AppError::storage(true, &format!("{doing}: {e}")),
            K::ReadOnlyFilesystem | K::PermissionDenied => {
                AppError::storage(false, &format!("{doing}: {e}"))
            }
            _ => AppError::Internal(anyhow::anyhow!("{doing}: {e}")),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable(tr(
            "service.error.db_unavailable",
            &[("cause", &e.to_string())],
        ))
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

impl From<handlebars::RenderError> for AppError {
    fn from(e: handlebars::RenderError) -> Self {
        AppError::Internal(e.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{with_lang, Lang};

    #[test]
    fn messages_follow_the_language() {
        assert_eq!(
            AppError::not_found("report").to_string(),
            "报告不存在或已被删除"
        );
        assert_eq!(
            with_lang(Lang::En, || AppError::not_found("report").to_string()),
            "The report does not exist or has been deleted."
        );
        assert_eq!(
            AppError::MethodNotAllowed.to_string(),
            "该地址不支持这种请求方式"
        );
        assert_eq!(
            with_lang(Lang::En, || crate::reminders::state_label("failed")),
            "Failed"
        );
        assert_eq!(crate::reminders::stage_label("digest"), "督办周报");
    }
}
