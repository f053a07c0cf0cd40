//! What every wire protocol's file does the same way to set up a request: the extra headers and
//! timeout from a `ProviderSpec`, resolving the key before a request and sending it as a bearer
//! token, bounding the temperature, and the `Provider` impl that forwards to the file's own
//! `send`. What differs by kind (default model, endpoint, key variable) is in [`crate::kinds`].

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::keys;
use crate::provider::{ErrorKind, ProviderError};
use crate::spec::{KeySource, ProviderSpec, Secret};

/// `timeout_ms`, the bound on a whole request.
pub(crate) fn timeout(spec: &ProviderSpec) -> Option<Duration> {
    spec.timeout_ms.map(Duration::from_millis)
}

/// Extra headers sent with every request. They may carry gateway tokens, so they are marked
/// sensitive (kept out of any debug output). The error says which header is wrong.
pub(crate) fn sensitive_headers<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| format!("invalid header name `{name}`"))?;
        let mut value = HeaderValue::from_str(value).map_err(|_| format!("invalid value for header `{name}`"))?;
        value.set_sensitive(true);
        map.insert(header, value);
    }
    Ok(map)
}

/// Resolves the key for one request; a key that cannot be had is an auth error of `provider`.
pub(crate) async fn resolve_key(provider: &str, source: &KeySource) -> Result<Option<Secret>, ProviderError> {
    keys::resolve_key(source).await.map_err(|error| ProviderError::new(ErrorKind::Auth, provider, error.to_string()))
}

/// Adds the key, when there is one, as `Authorization: Bearer`.
pub(crate) fn bearer(builder: reqwest::RequestBuilder, key: Option<&Secret>) -> reqwest::RequestBuilder {
    match key {
        Some(key) => builder.bearer_auth(key.expose()),
        None => builder,
    }
}

/// Implements [`crate::provider::Provider`] for a vendor struct with `name` and `capabilities`
/// fields and an `async fn send(&self, GenerateRequest) -> Result<TextStream, ProviderError>`.
macro_rules! provider_via_send {
    ($vendor:ty) => {
        impl crate::provider::Provider for $vendor {
            fn name(&self) -> &str {
                &self.name
            }

            fn capabilities(&self) -> &crate::provider::Capabilities {
                &self.capabilities
            }

            fn generate(
                &self,
                request: crate::provider::GenerateRequest,
            ) -> crate::provider::BoxFuture<'_, Result<crate::provider::TextStream, crate::provider::ProviderError>>
            {
                Box::pin(self.send(request))
            }
        }
    };
}

pub(crate) use provider_via_send;

/// The request's temperature within what the vendor accepts (`0..=max`): a higher one is
/// refused (HTTP 400 or 422), and an invoked completion's extra items ask for a little more
/// than the configured value.
pub(crate) fn temperature(requested: Option<f32>, max: f32) -> Option<f32> {
    requested.map(|t| if t.is_nan() { 0.0 } else { t.clamp(0.0, max) })
}
