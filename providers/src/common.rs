//! What every vendor file does the same way: reading the common fields of a `ProviderSpec`
//! (model, base URL, key, extra headers, timeout), resolving the key before a request, and the
//! `Provider` impl that forwards to the vendor's own `send`.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::keys;
use crate::provider::{ErrorKind, ProviderError};
use crate::spec::{KeySource, ProviderSpec, Secret};

/// The configured model, trimmed, or `default` when none (or a blank one) is configured.
pub(crate) fn model_or<'a>(spec: &'a ProviderSpec, default: &'a str) -> &'a str {
    spec.model.as_deref().map(str::trim).filter(|model| !model.is_empty()).unwrap_or(default)
}

/// The configured model, for vendors with no sensible default.
pub(crate) fn required_model(spec: &ProviderSpec) -> Result<String, String> {
    spec.model.clone().filter(|model| !model.trim().is_empty()).ok_or_else(|| "`model` is required".to_owned())
}

/// The configured base URL, or `default`, without a trailing slash.
pub(crate) fn base_url(spec: &ProviderSpec, default: &str) -> String {
    spec.base_url.as_deref().unwrap_or(default).trim_end_matches('/').to_owned()
}

/// The configured key source, or the vendor's usual variable when none is configured.
pub(crate) fn key_or_env(spec: &ProviderSpec, env: &str) -> KeySource {
    match spec.key_source() {
        KeySource::None => KeySource::Env(env.to_owned()),
        source => source,
    }
}

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
