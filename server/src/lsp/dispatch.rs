//! The one wrapper every handler runs in: a tracing span, and a panic caught and answered as an
//! internal error so that the server keeps serving.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tracing::Instrument;

/// Runs a request handler; a panic becomes an `InternalError` answer naming the method.
pub async fn request<T>(method: &'static str, handler: impl Future<Output = Result<T>>) -> Result<T> {
    let span = tracing::debug_span!("request", method);
    match AssertUnwindSafe(handler).catch_unwind().instrument(span).await {
        Ok(result) => result,
        Err(payload) => {
            let message = panic_message(payload.as_ref());
            tracing::error!(method, %message, "request handler panicked");
            Err(Error {
                code: ErrorCode::InternalError,
                message: format!("internal error in {method}: {message}").into(),
                data: None,
            })
        }
    }
}

/// Runs a notification handler; a panic is logged and the server carries on.
pub async fn notification(method: &'static str, handler: impl Future<Output = ()>) {
    let span = tracing::debug_span!("notification", method);
    if let Err(payload) = AssertUnwindSafe(handler).catch_unwind().instrument(span).await {
        let message = panic_message(payload.as_ref());
        tracing::error!(method, %message, "notification handler panicked");
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "unknown panic".to_owned()
    }
}
