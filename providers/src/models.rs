//! What each known model can do, as declared data: how it does fill-in-the-middle, whether it
//! streams, its context window, and vendor-specific switches. The config's `fim`, `stream` and
//! `context_tokens` win over this table.
//!
//! Rows are explicit: a provider kind plus a model name that is exact or ends in `*` (a prefix
//! pattern written out in the table, never a substring found anywhere in the name). A model the
//! table does not know gets the safe default of its kind: chat prompting for chat APIs (which
//! always yields code, if slower) and the server-side FIM endpoint for local runtimes (Ollama and
//! llama.cpp apply the model's own template, and refuse clearly when it has none). Guessing a FIM
//! template from a fragment of a model name is what we avoid: a wrong template makes the model
//! answer garbage with no error anyone can act on.

use crate::fim_templates;
use crate::kinds::FimSupport;
use crate::provider::{Capabilities, FimMode};
use crate::spec::{ProviderKind, ProviderSpec};

/// How a known model does FIM, as data (const-friendly; [`FimMode`] owns a `String`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fim {
    Native,
    Template(&'static str),
    Chat,
}

impl Fim {
    pub fn to_mode(self) -> FimMode {
        match self {
            Self::Native => FimMode::Native,
            Self::Template(name) => FimMode::Template(name.to_owned()),
            Self::Chat => FimMode::Chat,
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelInfo {
    pub kind: ProviderKind,
    /// The model name, exact, or a prefix followed by `*`.
    pub pattern: &'static str,
    pub fim: Fim,
    pub streaming: bool,
    pub context_tokens: u32,
    /// The raw template for when native FIM is refused (Ollama's "does not support insert").
    pub fallback_template: Option<&'static str>,
    /// Gemini: the model thinks by default and accepts `thinkingBudget: 0`, which cuts the
    /// latency of a completion by seconds. Models that cannot turn thinking off reject 0.
    pub thinking_off: bool,
    /// OpenAI's reasoning models refuse a `temperature` other than 1 and any `stop` (HTTP 400
    /// "Unsupported value" / "Unsupported parameter"): neither is sent, and the caller ends a
    /// single-line answer itself.
    pub fixed_sampling: bool,
}

const fn row(kind: ProviderKind, pattern: &'static str, fim: Fim, context_tokens: u32) -> ModelInfo {
    ModelInfo {
        kind,
        pattern,
        fim,
        streaming: true,
        context_tokens,
        fallback_template: None,
        thinking_off: false,
        fixed_sampling: false,
    }
}

/// An OpenAI reasoning model (o-series; gpt-5, gpt-5-mini and gpt-5-nano, dated or not).
const fn reasoning(pattern: &'static str, context_tokens: u32) -> ModelInfo {
    ModelInfo { fixed_sampling: true, ..row(Openai, pattern, Fim::Chat, context_tokens) }
}

const fn ollama(pattern: &'static str, template: &'static str) -> ModelInfo {
    ModelInfo { fallback_template: Some(template), ..row(ProviderKind::Ollama, pattern, Fim::Native, OLLAMA_CONTEXT) }
}

const fn gemini(pattern: &'static str, thinking_off: bool) -> ModelInfo {
    ModelInfo { thinking_off, ..row(ProviderKind::Gemini, pattern, Fim::Chat, GEMINI_CONTEXT) }
}

/// Ollama loads models with a small `num_ctx` unless told otherwise and silently truncates the
/// prompt beyond it, so the budget is the server's default, not the model's trained maximum.
/// Setting `context_tokens` in the config raises both (it is sent as `num_ctx`).
pub(crate) const OLLAMA_CONTEXT: u32 = 4096;

pub(crate) const GEMINI_CONTEXT: u32 = 1_048_576;

// The rows below name kinds as data; nothing here matches over them.
use ProviderKind::{Anthropic, Deepseek, Mistral, Openai};

/// Known models. The first matching row wins, so exact names go before patterns.
pub const MODELS: &[ModelInfo] = &[
    // OpenAI: current chat models have no FIM; the one instruct model with `suffix` does.
    row(Openai, "gpt-3.5-turbo-instruct", Fim::Native, 4_096),
    row(Openai, "gpt-4.1*", Fim::Chat, 1_047_576),
    row(Openai, "gpt-4o*", Fim::Chat, 128_000),
    reasoning("gpt-5", 400_000),
    reasoning("gpt-5-2*", 400_000),
    reasoning("gpt-5-mini*", 400_000),
    reasoning("gpt-5-nano*", 400_000),
    row(Openai, "gpt-5*", Fim::Chat, 400_000),
    reasoning("o1*", 200_000),
    reasoning("o3*", 200_000),
    reasoning("o4*", 200_000),
    // Anthropic: no FIM endpoint.
    row(Anthropic, "claude-*", Fim::Chat, 200_000),
    // Gemini: chat only; the 2.5 Flash family can switch thinking off, 2.5 Pro cannot.
    gemini("gemini-2.5-flash*", true),
    gemini("gemini-2.5-pro*", false),
    gemini("gemini-2.0-flash*", false),
    // DeepSeek: FIM through `/beta/completions` for V4 Flash; V4 Pro is chat prompted. (The
    // older names were retired on 2026-07-24; see `kinds::DEEPSEEK`.)
    row(Deepseek, "deepseek-v4-flash", Fim::Native, 1_048_576),
    row(Deepseek, "deepseek-v4-pro", Fim::Chat, 1_048_576),
    // Mistral: Codestral has the FIM endpoint; the rest are chat models.
    row(Mistral, "codestral-*", Fim::Native, 256_000),
    row(Mistral, "codestral", Fim::Native, 256_000),
    row(Mistral, "devstral-*", Fim::Chat, 128_000),
    row(Mistral, "mistral-*", Fim::Chat, 128_000),
    // Ollama: `suffix` first (the model's own template); these families have a known raw
    // template for models whose Ollama template lacks `{{ .Suffix }}`.
    ollama("qwen2.5-coder*", "qwen2.5-coder"),
    ollama("qwen3-coder*", "qwen2.5-coder"),
    ollama("starcoder2*", "starcoder2"),
    ollama("codellama*", "codellama"),
    ollama("deepseek-coder*", "deepseek-coder"),
    ollama("codestral*", "codestral"),
    ollama("codegemma*", "codegemma"),
];

/// The safe default for a model the table does not know: its kind's descriptor says.
pub fn kind_default(kind: ProviderKind) -> ModelInfo {
    let unknown = kind.descriptor().unknown_model;
    row(kind, "*", unknown.fim, unknown.context_tokens)
}

fn matches(pattern: &str, model: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => model.starts_with(prefix),
        None => model == pattern,
    }
}

/// The row for a model, or its kind's default. Case-insensitive, and Ollama's `namespace/`
/// (e.g. `hf.co/…` or `library/`) is not part of the family name.
pub fn lookup(kind: ProviderKind, model: &str) -> ModelInfo {
    let model = model.trim().to_ascii_lowercase();
    let name = if kind.descriptor().model_namespaces { model.rsplit('/').next().unwrap_or(&model) } else { &model };
    MODELS
        .iter()
        .find(|info| info.kind == kind && matches(info.pattern, name))
        .copied()
        .unwrap_or_else(|| kind_default(kind))
}

/// Which FIM modes a kind's API can carry out at all (its descriptor's [`FimSupport`]).
pub(crate) fn supports(kind: ProviderKind, fim: &FimMode) -> bool {
    let support = kind.descriptor().fim;
    match fim {
        FimMode::Chat => true,
        FimMode::Native => support.native,
        FimMode::Template(_) => support.templates,
    }
}

/// The `fim` values a kind takes, for the message that refuses another.
fn allowed_fim(support: FimSupport) -> &'static str {
    match (support.native, support.templates) {
        (false, false) => "\"chat\"",
        (true, false) => "\"native\" or \"chat\"",
        (false, true) => "\"chat\" or a template name",
        (true, true) => "\"native\", \"chat\" or a template name",
    }
}

/// The capabilities of a configured provider: the table's row, then the config's overrides.
/// The error says what to fix in `[providers.NAME]`.
pub fn capabilities(kind: ProviderKind, model: &str, spec: &ProviderSpec) -> Result<(Capabilities, ModelInfo), String> {
    let info = lookup(kind, model);
    let fim = match spec.fim.as_deref() {
        None => info.fim.to_mode(),
        Some(value) => {
            let fim = FimMode::from_config(value);
            if let FimMode::Template(name) = &fim
                && fim_templates::by_name(name).is_none()
            {
                return Err(format!(
                    "fim = \"{name}\" is not a known FIM template; use \"native\", \"chat\" or one of: {}",
                    fim_templates::names().join(", ")
                ));
            }
            fim
        }
    };
    if !supports(kind, &fim) {
        let shown = match &fim {
            FimMode::Native => "native".to_owned(),
            FimMode::Template(name) => name.clone(),
            FimMode::Chat => "chat".to_owned(),
        };
        let allowed = allowed_fim(kind.descriptor().fim);
        return Err(format!("fim = \"{shown}\" is not supported for kind {}; use {allowed}", kind.as_str()));
    }
    let capabilities = Capabilities {
        fim,
        streaming: spec.stream.unwrap_or(info.streaming),
        context_tokens: spec.context_tokens.unwrap_or(info.context_tokens),
        max_choices: max_choices(kind, spec),
    };
    Ok((capabilities, info))
}

/// How many answers one request may ask for: `max_choices` from the config, else what the
/// kind's default endpoint returns ([`crate::kinds::Choices`]). A kind pointed at another server
/// does not count on more than one: OpenAI-compatible servers differ (llama.cpp's refuses `n` >
/// 1), and the other vendors' FIM endpoints have no such parameter.
fn max_choices(kind: ProviderKind, spec: &ProviderSpec) -> u32 {
    if let Some(max) = spec.max_choices {
        return max.max(1);
    }
    let descriptor = kind.descriptor();
    if descriptor.on_default_host(spec) { descriptor.choices.on_default_host } else { 1 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProviderKind::{Gemini, Llamacpp, Ollama};

    fn fim_of(kind: ProviderKind, model: &str) -> Fim {
        lookup(kind, model).fim
    }

    #[test]
    fn known_models_by_explicit_rows() {
        assert_eq!(fim_of(Mistral, "codestral-latest"), Fim::Native);
        assert_eq!(fim_of(Mistral, "codestral-2501"), Fim::Native);
        assert_eq!(fim_of(Mistral, "mistral-large-latest"), Fim::Chat);
        assert_eq!(fim_of(Deepseek, "deepseek-v4-flash"), Fim::Native);
        assert_eq!(fim_of(Deepseek, "deepseek-v4-pro"), Fim::Chat);
        assert_eq!(fim_of(Openai, "gpt-4o-mini"), Fim::Chat);
        assert_eq!(fim_of(Openai, "gpt-3.5-turbo-instruct"), Fim::Native);
        assert_eq!(fim_of(Anthropic, "claude-sonnet-4-5"), Fim::Chat);
        assert_eq!(fim_of(Gemini, "gemini-2.5-flash"), Fim::Chat);
        assert_eq!(fim_of(Llamacpp, "whatever.gguf"), Fim::Native);
        assert_eq!(fim_of(Ollama, "qwen2.5-coder:7b-base"), Fim::Native);
        assert_eq!(lookup(Ollama, "qwen2.5-coder:7b-base").fallback_template, Some("qwen2.5-coder"));
        assert_eq!(lookup(Ollama, "hf.co/bartowski/codegemma-2b-GGUF").fallback_template, Some("codegemma"));
        assert_eq!(lookup(Ollama, "CodeLlama:7b-code").fallback_template, Some("codellama"));
    }

    #[test]
    fn reasoning_models_take_no_sampling_parameters() {
        for model in ["gpt-5", "gpt-5-2025-08-07", "gpt-5-mini", "gpt-5-nano-2025-08-07", "o3-mini", "o4-mini", "o1"] {
            assert!(lookup(Openai, model).fixed_sampling, "{model}");
        }
        for model in ["gpt-5.1", "gpt-5.4-mini", "gpt-4.1-mini", "gpt-4o"] {
            assert!(!lookup(Openai, model).fixed_sampling, "{model}");
        }
    }

    #[test]
    fn thinking_is_switched_off_only_where_allowed() {
        assert!(lookup(Gemini, "gemini-2.5-flash").thinking_off);
        assert!(lookup(Gemini, "gemini-2.5-flash-lite").thinking_off);
        assert!(!lookup(Gemini, "gemini-2.5-pro").thinking_off);
        assert!(!lookup(Gemini, "gemini-2.0-flash").thinking_off);
        assert!(!lookup(Gemini, "gemini-9-ultra").thinking_off);
    }

    #[test]
    fn unknown_models_get_their_kinds_safe_default_not_a_substring_guess() {
        // "my-codestral-finetune" contains "codestral" but is not a row: chat, not FIM.
        assert_eq!(fim_of(Mistral, "my-codestral-finetune"), Fim::Chat);
        assert_eq!(fim_of(Openai, "some-gateway/qwen2.5-coder"), Fim::Chat);
        assert_eq!(fim_of(Deepseek, "deepseek-v9"), Fim::Chat);
        // A local model keeps the server-side FIM, with no raw template guessed for it.
        let info = lookup(Ollama, "my-qwen2.5-coder-tune");
        assert_eq!((info.fim, info.fallback_template), (Fim::Native, None));
        assert_eq!(lookup(Gemini, "gemini-9-ultra").context_tokens, GEMINI_CONTEXT);
    }

    #[test]
    fn config_overrides_win() {
        let spec = ProviderSpec {
            fim: Some("chat".into()),
            stream: Some(false),
            context_tokens: Some(16_384),
            ..ProviderSpec::default()
        };
        let (caps, _) = super::capabilities(Mistral, "codestral-latest", &spec).expect("valid");
        assert_eq!(caps, Capabilities { fim: FimMode::Chat, streaming: false, context_tokens: 16_384, max_choices: 1 });

        let spec = ProviderSpec { fim: Some("starcoder2".into()), ..ProviderSpec::default() };
        let (caps, _) = super::capabilities(Ollama, "my-model", &spec).expect("valid");
        assert_eq!(caps.fim, FimMode::Template("starcoder2".into()));
        assert_eq!(caps.context_tokens, OLLAMA_CONTEXT);

        let (caps, _) = super::capabilities(Deepseek, "deepseek-v4-flash", &ProviderSpec::default()).expect("valid");
        assert_eq!(
            caps,
            Capabilities { fim: FimMode::Native, streaming: true, context_tokens: 1_048_576, max_choices: 1 }
        );
    }

    #[test]
    fn several_answers_per_request_only_from_openai_itself() {
        let choices = |kind, base_url: Option<&str>| {
            let spec = ProviderSpec { base_url: base_url.map(str::to_owned), ..ProviderSpec::default() };
            super::capabilities(kind, "gpt-4.1-mini", &spec).expect("valid").0.max_choices
        };
        assert_eq!(choices(Openai, None), 128);
        assert_eq!(choices(Openai, Some("https://api.openai.com/v1/")), 128);
        assert_eq!(choices(Openai, Some("http://127.0.0.1:8080/v1")), 1);
        assert_eq!(choices(Openai, Some("https://openrouter.ai/api/v1")), 1);
        assert_eq!(choices(Deepseek, None), 1);
        assert_eq!(choices(Mistral, None), 1);
    }

    #[test]
    fn impossible_overrides_are_config_errors() {
        let native = ProviderSpec { fim: Some("native".into()), ..ProviderSpec::default() };
        let error = capabilities(Gemini, "gemini-2.5-flash", &native).unwrap_err();
        assert_eq!(error, "fim = \"native\" is not supported for kind gemini; use \"chat\"");
        let template = ProviderSpec { fim: Some("codellama".into()), ..ProviderSpec::default() };
        let error = capabilities(Mistral, "codestral-latest", &template).unwrap_err();
        assert_eq!(error, "fim = \"codellama\" is not supported for kind mistral; use \"native\" or \"chat\"");
        let unknown = ProviderSpec { fim: Some("starcoder".into()), ..ProviderSpec::default() };
        let error = capabilities(Ollama, "x", &unknown).unwrap_err();
        assert!(error.starts_with("fim = \"starcoder\" is not a known FIM template"), "{error}");
        assert!(error.contains("starcoder2"), "{error}");
    }

    #[test]
    fn every_row_is_consistent() {
        for info in MODELS {
            if let Fim::Template(name) = info.fim {
                assert!(fim_templates::by_name(name).is_some(), "{}", info.pattern);
            }
            if let Some(name) = info.fallback_template {
                assert!(fim_templates::by_name(name).is_some(), "{}", info.pattern);
            }
            assert!(supports(info.kind, &info.fim.to_mode()), "{}", info.pattern);
            assert!(info.pattern == info.pattern.to_ascii_lowercase(), "{}", info.pattern);
            assert!(!info.pattern[..info.pattern.len() - 1].contains('*'), "only a trailing * in {}", info.pattern);
        }
    }
}
