//! `switchboard doctor`: checks every configured and detected provider with one minimal real
//! request and reports, per provider, whether it is reachable, whether the credential works
//! (or is blocked, or out of quota), the latency to the first token and how it does FIM, with
//! advice for each failure. Keys appear only as their last four characters.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use switchboard_providers::health::advice_for;
use switchboard_providers::keys::resolve_key;
use switchboard_providers::kinds::{self, DESCRIPTORS};
use switchboard_providers::registry::{LocalServers, build_provider, detect_providers, provider_info};
use switchboard_providers::{
    ErrorKind, FimMode, FimPrompt, GenerateRequest, KeySource, Prompt, Provider, ProviderError, ProviderSpec, Purpose,
    StreamEvent,
};

use crate::config::Config;

/// How long one probe may take.
const PROBE_DEADLINE: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub name: String,
    /// "config" or "detected".
    pub origin: &'static str,
    pub kind: String,
    pub model: String,
    /// Where the key comes from and its last four characters, e.g. "OPENAI_API_KEY …3f9a".
    pub key: String,
    pub status: String,
    pub first_token: Option<Duration>,
    pub fim: String,
    pub ok: bool,
    pub advice: Option<String>,
    /// Whether a request was sent. A provider detected on the machine while the configuration
    /// names its own chains is listed, but no code or key goes to it.
    pub checked: bool,
}

fn fim_label(mode: &FimMode) -> String {
    match mode {
        FimMode::Native => "native".to_owned(),
        FimMode::Template(name) => format!("template {name}"),
        FimMode::Chat => "chat".to_owned(),
    }
}

fn status_label(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Auth => "auth failed",
        ErrorKind::BlockedCredential => "credential blocked",
        ErrorKind::Quota => "out of quota",
        ErrorKind::RateLimited => "rate limited",
        ErrorKind::Overloaded => "overloaded",
        ErrorKind::Server => "server error",
        ErrorKind::Timeout => "timed out",
        ErrorKind::Network => "unreachable",
        ErrorKind::BadResponse => "bad response",
        ErrorKind::InvalidRequest => "request refused",
        ErrorKind::Cancelled => "cancelled",
    }
}

async fn key_label(spec: &ProviderSpec) -> String {
    // The source the provider will use: the configured one, else its kind's usual variable.
    let source = spec.kind.map_or_else(|| spec.key_source(), |kind| kind.descriptor().key_source(spec));
    let origin = match &source {
        KeySource::Env(env) => env.clone(),
        KeySource::Command(_) => "api_key_cmd".to_owned(),
        KeySource::Inline(_) => "inline key".to_owned(),
        KeySource::None => return "none".to_owned(),
    };
    match resolve_key(&source).await {
        Ok(Some(key)) => format!("{origin} {}", key.redacted()),
        Ok(None) => "none".to_owned(),
        Err(_) => format!("{origin} (missing)"),
    }
}

/// One minimal request: a tiny fill-in-the-middle that every kind can serve.
async fn probe(provider: &Arc<dyn Provider>) -> Result<Duration, ProviderError> {
    let request = GenerateRequest {
        prompt: Prompt::Fim(Arc::new(FimPrompt {
            prefix: "def add(a, b):\n    return ".to_owned(),
            suffix: "\n".to_owned(),
            extra: Vec::new(),
            path: Some("doctor.py".to_owned()),
            language: Some("python".to_owned()),
            system_prompt: None,
            header_len: 0,
        })),
        max_tokens: 8,
        stop: vec!["\n".to_owned()],
        temperature: Some(0.0),
        deadline: Some(tokio::time::Instant::now() + PROBE_DEADLINE),
        purpose: Purpose::Probe,
        choices: 1,
    };
    let started = tokio::time::Instant::now();
    let mut stream = provider.generate(request).await?;
    while let Some(event) = stream.next().await {
        match event? {
            StreamEvent::Text(_) | StreamEvent::Alternative { .. } => return Ok(started.elapsed()),
            StreamEvent::Usage(_) => {}
        }
    }
    // An empty answer still proves the endpoint and the credential work.
    Ok(started.elapsed())
}

async fn check(name: String, origin: &'static str, spec: ProviderSpec) -> Row {
    let kind = spec.kind.map_or_else(|| "?".to_owned(), |kind| kind.as_str().to_owned());
    let model = spec.model.clone().unwrap_or_else(|| "(default)".to_owned());
    let key = key_label(&spec).await;
    let info = provider_info(&spec);
    let mut row = Row {
        name: name.clone(),
        origin,
        kind,
        model,
        key,
        status: String::new(),
        first_token: None,
        fim: "-".into(),
        ok: false,
        advice: None,
        checked: true,
    };
    let provider = match build_provider(&name, &spec) {
        Ok(provider) => provider,
        Err(error) => {
            row.status = "config error".to_owned();
            row.advice = Some(error.to_string());
            return row;
        }
    };
    row.fim = fim_label(&provider.capabilities().fim);
    match probe(&provider).await {
        Ok(latency) => {
            row.status = "ok".to_owned();
            row.first_token = Some(latency);
            row.ok = true;
        }
        Err(error) => {
            row.status = status_label(error.kind).to_owned();
            row.advice = Some(match error.kind {
                ErrorKind::Network | ErrorKind::Timeout => {
                    let target = spec.base_url.as_deref().unwrap_or("the vendor's default endpoint");
                    format!(
                        "cannot reach {target} ({}). Check the network and proxy settings (HTTPS_PROXY, NO_PROXY), and base_url for local servers and gateways.",
                        error.message
                    )
                }
                _ => advice_for(&name, &error, &info),
            });
        }
    }
    row
}

/// Checks the configured providers and, when no feature names a chain, the detected ones. With
/// configured chains, what the machine has is listed as "not used" and gets no request.
pub async fn run(config: &Config, env: &dyn Fn(&str) -> Option<String>, local: LocalServers) -> Vec<Row> {
    if config.locked {
        return Vec::new();
    }
    let detect = crate::provider_chains::needs_detection(config);
    let mut checks = Vec::new();
    for (name, spec) in &config.providers {
        checks.push(check(name.clone(), "config", spec.clone()));
    }
    let mut unused = Vec::new();
    for (name, spec) in detect_providers(env, local).providers {
        if config.providers.contains_key(&name) {
            continue;
        }
        if detect {
            checks.push(check(name, "detected", spec));
        } else {
            unused.push(Row {
                name,
                origin: "detected",
                kind: spec.kind.map_or_else(|| "?".to_owned(), |kind| kind.as_str().to_owned()),
                model: spec.model.clone().unwrap_or_else(|| "(default)".to_owned()),
                key: key_label(&spec).await,
                status: "not used: chains are configured".to_owned(),
                first_token: None,
                fim: "-".to_owned(),
                ok: false,
                advice: None,
                checked: false,
            });
        }
    }
    let mut rows = futures_util::future::join_all(checks).await;
    rows.extend(unused);
    rows
}

/// The report: a table, then advice for what failed.
pub fn render(rows: &[Row]) -> String {
    let mut out = String::new();
    if rows.is_empty() {
        // What zero-config detection looks for, from the provider kinds' descriptors.
        let local: Vec<String> = DESCRIPTORS
            .iter()
            .filter_map(|kind| Some(format!("{} ({})", kind.vendor.name, kind.local_addr?)))
            .collect();
        let _ = writeln!(
            out,
            "No providers configured or detected.\nConfigure one in config.toml (see docs/providers.md), set an API key \
             ({}), or start {}.",
            kinds::key_variables().join(", "),
            local.join(" or ")
        );
        return out;
    }
    let headers = ["PROVIDER", "FROM", "KIND", "MODEL", "KEY", "STATUS", "FIRST TOKEN", "FIM"];
    let cells: Vec<[String; 8]> = rows
        .iter()
        .map(|row| {
            [
                row.name.clone(),
                row.origin.to_owned(),
                row.kind.clone(),
                row.model.clone(),
                row.key.clone(),
                row.status.clone(),
                row.first_token.map_or_else(|| "-".to_owned(), |latency| format!("{} ms", latency.as_millis())),
                row.fim.clone(),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..headers.len())
        .map(|col| cells.iter().map(|r| r[col].chars().count()).chain([headers[col].len()]).max().unwrap_or(0))
        .collect();
    let line = |values: Vec<&str>| -> String {
        values
            .iter()
            .zip(&widths)
            .map(|(value, width)| format!("{value:<width$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
            + "\n"
    };
    out.push_str(&line(headers.to_vec()));
    for row in &cells {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    let failures: Vec<&Row> = rows.iter().filter(|row| row.checked && !row.ok).collect();
    if !failures.is_empty() {
        out.push_str("\nTo fix:\n");
        for row in failures {
            let _ = writeln!(out, "- {}: {}", row.name, row.advice.as_deref().unwrap_or("see the log for details"));
        }
    }
    let working = rows.iter().filter(|row| row.ok).count();
    let checked = rows.iter().filter(|row| row.checked).count();
    let _ = writeln!(out, "\n{working} of {checked} providers work.");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_shows_a_table_and_advice() {
        let rows = vec![
            Row {
                name: "claude".into(),
                origin: "config",
                kind: "anthropic".into(),
                model: "claude-haiku-4-5".into(),
                key: "ANTHROPIC_API_KEY …abcd".into(),
                status: "credential blocked".into(),
                first_token: None,
                fim: "chat".into(),
                ok: false,
                advice: Some("Set an API key.".into()),
                checked: true,
            },
            Row {
                name: "local".into(),
                origin: "detected",
                kind: "ollama".into(),
                model: "qwen".into(),
                key: "none".into(),
                status: "ok".into(),
                first_token: Some(Duration::from_millis(42)),
                fim: "native".into(),
                ok: true,
                advice: None,
                checked: true,
            },
            Row {
                name: "openai".into(),
                origin: "detected",
                kind: "openai".into(),
                model: "(default)".into(),
                key: "OPENAI_API_KEY …0000".into(),
                status: "not used: chains are configured".into(),
                first_token: None,
                fim: "-".into(),
                ok: false,
                advice: None,
                checked: false,
            },
        ];
        let report = render(&rows);
        assert!(report.starts_with("PROVIDER  FROM      KIND       MODEL"), "{report}");
        assert!(report.contains("credential blocked"));
        assert!(report.contains("42 ms"));
        assert!(report.contains("- claude: Set an API key."));
        assert!(report.contains("not used: chains are configured"));
        assert!(!report.contains("- openai:"), "a provider that was not checked has nothing to fix: {report}");
        assert!(report.ends_with("1 of 2 providers work.\n"), "{report}");
        assert!(render(&[]).contains("No providers configured"));
    }

    /// Defect: doctor sent real requests to detected vendors although the user configured chains.
    #[tokio::test]
    async fn with_configured_chains_detected_providers_get_no_request() {
        let mut state = crate::config::ConfigState::new();
        let update = state.apply_user_toml(
            std::path::Path::new("/test/config.toml"),
            "[providers.gw]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\nmodel = \"m\"\n[completion]\nproviders = [\"gw\"]\n",
        );
        assert!(update.applied, "{:?}", update.problems);
        let env = |name: &str| (name == "OPENAI_API_KEY").then(|| "sk-proj-000000000000".to_owned());
        let rows = run(&state.config(), &env, LocalServers::default()).await;
        let summary: Vec<(&str, &str, bool)> =
            rows.iter().map(|row| (row.name.as_str(), row.origin, row.checked)).collect();
        assert_eq!(
            summary,
            [("gw", "config", true), ("openai-fast", "detected", false), ("openai", "detected", false)]
        );
    }
}
