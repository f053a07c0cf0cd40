//! The one wrapper every handler runs in: a tracing span, and a panic caught and answered as an
//! internal error so that the server keeps serving; and the one wrapper around the whole service
//! that makes sure every request gets an answer.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::FutureExt;
use tower_lsp_server::jsonrpc::{self, Error, ErrorCode, Result};
use tower_service::Service;
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

/// Wraps the LSP service so that a request (a message with an id) never goes unanswered.
///
/// tower-lsp-server drops the `MethodNotFound` answer for every method starting with `$/`, which is
/// right for notifications but wrong for requests: the specification says a server that does not
/// support a `$/` request must answer it with `MethodNotFound`, or the client waits forever.
#[derive(Debug, Clone)]
pub struct AnswerEveryRequest<S> {
    inner: S,
}

impl<S> AnswerEveryRequest<S> {
    pub fn new(inner: S) -> Self {
        Self { inner }
    }
}

impl<S> Service<jsonrpc::Request> for AnswerEveryRequest<S>
where
    S: Service<jsonrpc::Request, Response = Option<jsonrpc::Response>>,
    S::Future: Send + 'static,
{
    type Response = Option<jsonrpc::Response>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = std::result::Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<std::result::Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: jsonrpc::Request) -> Self::Future {
        let id = request.id().cloned();
        let method = request.method().to_owned();
        let answer = self.inner.call(request);
        Box::pin(async move {
            let response = answer.await?;
            Ok(match (response, id) {
                (None, Some(id)) => {
                    tracing::debug!(%method, "request has no handler; answering MethodNotFound");
                    Some(jsonrpc::Response::from_error(id, method_not_found(&method)))
                }
                (response, _) => response,
            })
        })
    }
}

fn method_not_found(method: &str) -> Error {
    Error { code: ErrorCode::MethodNotFound, message: format!("method not found: {method}").into(), data: None }
}
