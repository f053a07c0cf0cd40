//! The feature runtime: what every feature that calls a model shares, so a feature is only its
//! own logic (what to ask, what to do with the answer).
//!
//! - [`gate`]: the privacy gate every provider call of every feature passes (exclusions,
//!   disabled languages, a locked configuration).
//! - [`call`]: one model call read as far as the feature needs, cut at its deadline; dropping
//!   the call closes the upstream connection.
//! - [`redact`]: secrets inside ordinary files masked in every prompt, at `call::run`.
//! - [`AbortOnDrop`]: a spawned task owned by the request that started it, so a cancelled
//!   request stops its work.

pub mod call;
pub mod gate;
pub mod redact;

/// A spawned task that is aborted when this handle is dropped (a cancelled request drops it).
#[derive(Debug)]
pub struct AbortOnDrop<T>(pub tokio::task::JoinHandle<T>);

impl<T> AbortOnDrop<T> {
    /// Waits for the task; an error if it panicked or was aborted.
    pub async fn join(mut self) -> Result<T, tokio::task::JoinError> {
        (&mut self.0).await
    }

    pub fn spawn<F>(future: F) -> Self
    where
        F: std::future::Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        Self(tokio::spawn(future))
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
