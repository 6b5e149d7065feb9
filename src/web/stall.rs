//! Request bodies that stall are cut off. actix-web times out a request's head, not its
//! body: a client that sends a few bytes of a form or an upload and then nothing would hold
//! a connection (and the upload's staged file) for ever. Each chunk must arrive within the
//! timeout, so a slow but moving upload still gets through.

use std::time::Duration;

use actix_web::dev::{Payload, ServiceRequest};
use actix_web::error::PayloadError;
use actix_web::http::Method;
use actix_web::HttpMessage;
use futures_util::StreamExt;

/// Replaces the request's body with one that fails when no bytes arrive for `timeout`.
pub fn guard_body(req: &mut ServiceRequest, timeout: Duration) {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return;
    }
    let inner = req.take_payload();
    let stream = futures_util::stream::unfold(Some(inner), move |state| async move {
        let mut inner = state?;
        match actix_web::rt::time::timeout(timeout, inner.next()).await {
            Ok(Some(item)) => Some((item, Some(inner))),
            Ok(None) => None,
            Err(_) => {
                tracing::warn!("request body stalled for {} s; cut off", timeout.as_secs());
                let stalled =
                    std::io::Error::new(std::io::ErrorKind::TimedOut, "the request body stalled");
                Some((Err(PayloadError::Io(stalled)), None))
            }
        }
    })
    // Readers may ask again after the end; a fused stream keeps answering "no more".
    .fuse();
    req.set_payload(Payload::Stream {
        payload: Box::pin(stream),
    });
}
