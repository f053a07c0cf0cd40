//! One descriptor per provider kind: everything about a kind that is data. Its name and vendor,
//! wire protocol, default endpoint and model, key variables, zero-config detection, FIM modes,
//! how many answers a request may return, which optional settings its requests carry, retired
//! models, and where the vendor documents its API.
//!
//! The registry, the model table, the server's validation and `doctor`, the end-to-end tests'
//! clean environment and the docs test all read these, so they agree by construction.
//! [`ProviderKind::descriptor`] is how code goes from a kind to its facts; nothing matches over
//! kinds, and [`crate::registry::build_provider`] maps each wire protocol to its constructor.
//!
//! - A new OpenAI-compatible vendor is one descriptor here (and its `ProviderKind` variant), with
//!   its [`Profile`] (endpoint paths, error readings, limits, which request fields it takes).
//! - A new wire protocol is one file (see `docs/providers.md`), its descriptor, a [`Protocol`]
//!   variant and that variant's arm in `build_provider`.

use crate::http;
use crate::models::Fim;
use crate::openai_compat::{Dialect, ErrorBody, Profile, Route};
use crate::provider::ErrorKind;
use crate::spec::{KeySource, ProviderKind, ProviderSpec};

/// Everything about one provider kind that is data.
#[derive(Debug)]
pub struct Descriptor {
    pub kind: ProviderKind,
    /// The `kind = "…"` value in the configuration.
    pub name: &'static str,
    /// Who answers at the default endpoint, for messages that say what to do.
    pub vendor: Vendor,
    pub protocol: Protocol,
    /// Where requests go when the configuration sets no `base_url`.
    pub base_url: &'static str,
    /// The model used when the configuration names none; `None` means the configuration must name
    /// one (validation says so).
    pub default_model: Option<&'static str>,
    /// The variable read for the key when the configuration names no key source; `None` for
    /// kinds that need no key (local servers).
    pub key: Option<DefaultKey>,
    /// Other hosts a particular key variable selects (Codestral's own key works only on its host).
    pub key_hosts: &'static [KeyHost],
    /// Services recognised by their host when `base_url` points elsewhere.
    pub gateways: &'static [Gateway],
    /// Who answers at a `base_url` that is no known gateway: `None` when it is still the vendor
    /// (a proxy in front of it).
    pub other_host: Option<Vendor>,
    /// The loopback address a local server of this kind listens on by default, probed by
    /// zero-config detection.
    pub local_addr: Option<&'static str>,
    /// What zero-config detection adds for this kind, and where in each feature's order.
    pub zero_config: &'static [ZeroConfig],
    /// Which FIM modes the kind's API can carry out.
    pub fim: FimSupport,
    /// What a model the table in [`crate::models`] does not know gets.
    pub unknown_model: UnknownModel,
    /// Model names may carry a `namespace/` that is not part of the family name (Ollama's
    /// `hf.co/…`, `library/…`).
    pub model_namespaces: bool,
    /// How many answers one request may return (`n`).
    pub choices: Choices,
    /// Which optional `[providers.NAME]` settings the kind's requests carry; validation warns
    /// about the others, which would do nothing.
    pub reads: Settings,
    /// Models the vendor no longer serves, with what replaces them.
    pub retired_models: &'static [RetiredModel],
    /// The vendor's API reference.
    pub api_reference: &'static str,
}

/// Which wire protocol a kind speaks: the one thing [`crate::registry::build_provider`] matches on.
#[derive(Debug)]
pub enum Protocol {
    /// `/chat/completions` and a `prompt` + `suffix` completions endpoint, with the vendor's own
    /// paths, error readings and limits ([`crate::openai_compat::OpenAiCompatible`]).
    OpenAiCompatible(&'static Profile),
    /// [`crate::anthropic`].
    Anthropic,
    /// [`crate::gemini`].
    Gemini,
    /// [`crate::ollama`].
    Ollama,
    /// [`crate::llamacpp`].
    LlamaCpp,
}

/// A vendor as messages name it, with where its keys and credit live.
#[derive(Debug, Clone, Copy)]
pub struct Vendor {
    pub name: &'static str,
    pub key_url: Option<&'static str>,
    pub billing_url: Option<&'static str>,
}

/// The key variable a kind reads when the configuration names no key source.
#[derive(Debug, Clone, Copy)]
pub struct DefaultKey {
    pub env: &'static str,
    /// Read whatever `base_url` says; otherwise only for the default endpoint (a server elsewhere,
    /// such as a local OpenAI-compatible one, usually has no key).
    pub on_any_host: bool,
}

/// A host selected by the key variable in use.
#[derive(Debug, Clone, Copy)]
pub struct KeyHost {
    pub key_env: &'static str,
    pub base_url: &'static str,
}

/// A service reached through this kind with its own `base_url`.
#[derive(Debug, Clone, Copy)]
pub struct Gateway {
    /// Recognised when `base_url` contains this.
    pub host: &'static str,
    pub base_url: &'static str,
    pub key_env: &'static str,
    pub vendor: Vendor,
}

/// One provider zero-config detection adds when `when` holds.
#[derive(Debug, Clone, Copy)]
pub struct ZeroConfig {
    /// The provider's name in chains and messages.
    pub name: &'static str,
    pub when: When,
    pub model: &'static str,
    /// Set in the detected spec; a local server's is its probed address.
    pub base_url: Option<&'static str>,
    /// Detected with `fim = "native"`.
    pub fim_native: bool,
    /// Place in the completion chain (lower first), if it serves completions.
    pub completion_rank: Option<u8>,
    /// Place in the code actions chain (lower first), if it serves actions.
    pub actions_rank: Option<u8>,
}

/// What makes zero-config detection add a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// This environment variable holds a non-blank value (its name goes into the spec).
    Key(&'static str),
    /// Something listens on the kind's [`Descriptor::local_addr`].
    Listening,
}

/// Which FIM modes a kind's API can carry out; chat prompting always works.
#[derive(Debug, Clone, Copy)]
pub struct FimSupport {
    /// A prefix + suffix endpoint exists.
    pub native: bool,
    /// A raw completion endpoint that applies no template of its own exists, so a built-in
    /// template can be rendered for it.
    pub templates: bool,
}

/// The safe default for a model the table does not know.
#[derive(Debug, Clone, Copy)]
pub struct UnknownModel {
    pub fim: Fim,
    pub context_tokens: u32,
}

/// How many answers one request may return.
#[derive(Debug, Clone, Copy)]
pub struct Choices {
    /// `max_choices` may be set for this kind (the wire format has `n`).
    pub configurable: bool,
    /// How many the default endpoint returns; a server elsewhere is not counted on for more than 1.
    pub on_default_host: u32,
}

/// Optional settings that only some kinds send with their requests.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// `headers`, sent with every request.
    pub headers: bool,
    /// `organization` and `project`, OpenAI's headers.
    pub organization: bool,
    /// `keep_alive`, Ollama's.
    pub keep_alive: bool,
}

impl Settings {
    const NONE: Self = Self { headers: false, organization: false, keep_alive: false };
}

/// A model name the vendor no longer serves.
#[derive(Debug, Clone, Copy)]
pub struct RetiredModel {
    pub model: &'static str,
    pub replacement: &'static str,
    /// When it stopped being served (as the vendor announced it).
    pub since: &'static str,
}

/// Every kind, in the order of [`ProviderKind`]'s variants: `DESCRIPTORS[kind as usize]` is
/// `kind`'s descriptor (a test checks).
pub static DESCRIPTORS: [&Descriptor; 7] = [&OPENAI, &ANTHROPIC, &GEMINI, &MISTRAL, &DEEPSEEK, &OLLAMA, &LLAMACPP];

impl ProviderKind {
    pub fn descriptor(self) -> &'static Descriptor {
        DESCRIPTORS[self as usize]
    }

    /// The `kind = "…"` value.
    pub fn as_str(self) -> &'static str {
        self.descriptor().name
    }

    /// Every kind, in declaration order.
    pub fn all() -> impl Iterator<Item = ProviderKind> {
        DESCRIPTORS.iter().map(|descriptor| descriptor.kind)
    }
}

/// The descriptor whose `kind = "…"` value is `name`.
pub fn by_name(name: &str) -> Option<&'static Descriptor> {
    DESCRIPTORS.iter().copied().find(|descriptor| descriptor.name == name)
}

/// Every environment variable any kind reads a key from or detects a vendor by, once each, in
/// table order. Tests remove these to get a clean machine.
pub fn key_variables() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for descriptor in DESCRIPTORS {
        for name in descriptor.key_variables() {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

impl Descriptor {
    /// The variables this kind reads keys from or is detected by.
    pub fn key_variables(&self) -> impl Iterator<Item = &'static str> + '_ {
        let default = self.key.map(|key| key.env);
        let hosts = self.key_hosts.iter().map(|host| host.key_env);
        let gateways = self.gateways.iter().map(|gateway| gateway.key_env);
        let detected = self.zero_config.iter().filter_map(|entry| match entry.when {
            When::Key(env) => Some(env),
            When::Listening => None,
        });
        default.into_iter().chain(hosts).chain(gateways).chain(detected)
    }

    /// The configured model, trimmed, or the kind's default. The error says what to fix in
    /// `[providers.NAME]`.
    pub fn model(&self, spec: &ProviderSpec) -> Result<String, String> {
        let configured = spec.model.as_deref().map(str::trim).filter(|model| !model.is_empty());
        configured.or(self.default_model).map(str::to_owned).ok_or_else(|| "`model` is required".to_owned())
    }

    /// Where the key comes from: the configured source, else the kind's usual variable (on the
    /// default endpoint only, unless the kind reads it everywhere), else none.
    pub fn key_source(&self, spec: &ProviderSpec) -> KeySource {
        match (spec.key_source(), self.key) {
            (KeySource::None, Some(key)) if key.on_any_host || spec.base_url.is_none() => {
                KeySource::Env(key.env.to_owned())
            }
            (source, _) => source,
        }
    }

    /// The endpoint used without a `base_url`: the one the key in use selects, else the kind's.
    pub fn default_base_url(&self, spec: &ProviderSpec) -> &'static str {
        let key = self.key_source(spec);
        let host = self.key_hosts.iter().find(|host| matches!(&key, KeySource::Env(env) if env == host.key_env));
        host.map_or(self.base_url, |host| host.base_url)
    }

    /// The configured `base_url` or [`Self::default_base_url`], without a trailing slash.
    pub fn base_url(&self, spec: &ProviderSpec) -> String {
        spec.base_url.as_deref().unwrap_or_else(|| self.default_base_url(spec)).trim_end_matches('/').to_owned()
    }

    /// Who answers where `spec` sends requests: a known gateway, another server, or the vendor.
    pub fn vendor_at(&self, spec: &ProviderSpec) -> Vendor {
        let Some(base_url) = spec.base_url.as_deref() else { return self.vendor };
        if let Some(gateway) = self.gateways.iter().find(|gateway| base_url.contains(gateway.host)) {
            return gateway.vendor;
        }
        self.other_host.unwrap_or(self.vendor)
    }

    /// Whether `spec` talks to the kind's own default endpoint.
    pub fn on_default_host(&self, spec: &ProviderSpec) -> bool {
        spec.base_url.as_deref().is_none_or(|url| url.trim_end_matches('/') == self.base_url.trim_end_matches('/'))
    }
}

// OpenAI, and every OpenAI-compatible gateway or server pointed at with `base_url`.

const OPENROUTER: Gateway = Gateway {
    host: "openrouter.ai",
    base_url: "https://openrouter.ai/api/v1",
    key_env: "OPENROUTER_API_KEY",
    vendor: Vendor {
        name: "OpenRouter",
        key_url: Some("openrouter.ai/keys"),
        billing_url: Some("openrouter.ai/credits"),
    },
};

pub static OPENAI: Descriptor = Descriptor {
    kind: ProviderKind::Openai,
    name: "openai",
    vendor: Vendor {
        name: "OpenAI",
        key_url: Some("platform.openai.com/api-keys"),
        billing_url: Some("platform.openai.com/settings/organization/billing"),
    },
    protocol: Protocol::OpenAiCompatible(&OPENAI_PROFILE),
    base_url: "https://api.openai.com/v1",
    // Gateways serve thousands of models; there is no sensible default.
    default_model: None,
    // Local servers (LM Studio, vLLM, llama.cpp) need no key; OpenAI itself always does.
    key: Some(DefaultKey { env: "OPENAI_API_KEY", on_any_host: false }),
    key_hosts: &[],
    gateways: &[OPENROUTER],
    other_host: Some(Vendor { name: "OpenAI-compatible server", key_url: None, billing_url: None }),
    local_addr: None,
    zero_config: &[
        ZeroConfig { completion_rank: Some(5), ..detected_by("openai-fast", "OPENAI_API_KEY", "gpt-4.1-mini") },
        ZeroConfig { actions_rank: Some(1), ..detected_by("openai", "OPENAI_API_KEY", "gpt-4.1") },
        ZeroConfig {
            base_url: Some(OPENROUTER.base_url),
            completion_rank: Some(8),
            ..detected_by("openrouter-fast", OPENROUTER.key_env, "openai/gpt-4.1-mini")
        },
        ZeroConfig {
            base_url: Some(OPENROUTER.base_url),
            actions_rank: Some(5),
            ..detected_by("openrouter", OPENROUTER.key_env, "anthropic/claude-sonnet-4.5")
        },
    ],
    // `/completions` with `suffix` on servers and models that take it.
    fim: FimSupport { native: true, templates: false },
    unknown_model: UnknownModel { fim: Fim::Chat, context_tokens: 128_000 },
    model_namespaces: false,
    // platform.openai.com/docs/api-reference/chat/create, "n": 1 to 128, each streamed chunk
    // naming its choice by `index`. OpenAI-compatible servers differ (llama.cpp's refuses n > 1).
    choices: Choices { configurable: true, on_default_host: 128 },
    reads: Settings { headers: true, organization: true, keep_alive: false },
    retired_models: &[],
    api_reference: "https://platform.openai.com/docs/api-reference/chat/create",
};

static OPENAI_PROFILE: Profile = Profile {
    chat: Route { drop_v1: false, path: "/chat/completions" },
    fim: Route { drop_v1: false, path: "/completions" },
    // OpenAI reads the choice with index 0, fails on `finish_reason: "error"`, and names in-band
    // errors by a string `code`.
    dialect: Dialect {
        index_zero_only: true,
        error_finish_reason: true,
        other_code: |code, _message| match code {
            Some("insufficient_quota") => ErrorKind::Quota,
            Some("rate_limit_exceeded") => ErrorKind::RateLimited,
            Some("invalid_api_key") => ErrorKind::Auth,
            // Whatever failed after the vendor accepted the request is on their side.
            _ => ErrorKind::Server,
        },
        refine_status: openai_refine_status,
        // OpenAI accepts at most four stop sequences; most compatible servers copy that limit.
        max_stop_sequences: 4,
        max_fim_tokens: u32::MAX,
        stream_usage: true,
        // Not `max_tokens`: reasoning models reject that one.
        max_completion_tokens: true,
        // platform.openai.com/docs/api-reference/chat/create: `temperature` 0 to 2.
        max_temperature: 2.0,
    },
};

/// OpenAI-specific readings of an error status; the shared map covers the rest.
fn openai_refine_status(status: u16, body: &str) -> Option<ErrorKind> {
    let error = serde_json::from_str::<ErrorBody>(body).ok()?.error?;
    let code = error.code.as_ref().and_then(|code| code.as_str());
    match (status, code) {
        (_, Some("insufficient_quota")) => Some(ErrorKind::Quota),
        (401, _) | (403, _) if error.message.as_deref().is_some_and(http::is_blocked_credential_message) => {
            Some(ErrorKind::BlockedCredential)
        }
        _ => None,
    }
}

// Anthropic's Messages API.

pub static ANTHROPIC: Descriptor = Descriptor {
    kind: ProviderKind::Anthropic,
    name: "anthropic",
    vendor: Vendor {
        name: "Anthropic",
        key_url: Some("console.anthropic.com"),
        billing_url: Some("console.anthropic.com/settings/billing"),
    },
    protocol: Protocol::Anthropic,
    base_url: "https://api.anthropic.com",
    default_model: None,
    key: Some(DefaultKey { env: "ANTHROPIC_API_KEY", on_any_host: false }),
    key_hosts: &[],
    gateways: &[],
    other_host: None,
    local_addr: None,
    zero_config: &[
        ZeroConfig {
            completion_rank: Some(6),
            ..detected_by("anthropic-fast", "ANTHROPIC_API_KEY", "claude-haiku-4-5")
        },
        ZeroConfig { actions_rank: Some(0), ..detected_by("anthropic", "ANTHROPIC_API_KEY", "claude-sonnet-4-5") },
    ],
    // No FIM endpoint: chat with assistant prefill.
    fim: FimSupport { native: false, templates: false },
    unknown_model: UnknownModel { fim: Fim::Chat, context_tokens: 200_000 },
    model_namespaces: false,
    choices: Choices { configurable: false, on_default_host: 1 },
    reads: Settings { headers: true, ..Settings::NONE },
    retired_models: &[],
    api_reference: "https://docs.anthropic.com/en/api/messages",
};

// Google's native Gemini API (its OpenAI-compatible endpoint is the `openai` kind's).

pub static GEMINI: Descriptor = Descriptor {
    kind: ProviderKind::Gemini,
    name: "gemini",
    vendor: Vendor { name: "Google Gemini", key_url: Some("aistudio.google.com/apikey"), billing_url: None },
    protocol: Protocol::Gemini,
    base_url: "https://generativelanguage.googleapis.com",
    default_model: Some("gemini-2.5-flash"),
    key: Some(DefaultKey { env: "GEMINI_API_KEY", on_any_host: true }),
    key_hosts: &[],
    gateways: &[],
    other_host: None,
    local_addr: None,
    zero_config: &[
        ZeroConfig { completion_rank: Some(7), ..detected_by("gemini-fast", "GEMINI_API_KEY", "gemini-2.5-flash") },
        ZeroConfig { actions_rank: Some(2), ..detected_by("gemini", "GEMINI_API_KEY", "gemini-2.5-pro") },
    ],
    fim: FimSupport { native: false, templates: false },
    unknown_model: UnknownModel { fim: Fim::Chat, context_tokens: crate::models::GEMINI_CONTEXT },
    model_namespaces: false,
    choices: Choices { configurable: false, on_default_host: 1 },
    reads: Settings::NONE,
    retired_models: &[],
    api_reference: "https://ai.google.dev/api/generate-content",
};

// Mistral's chat API and Codestral's FIM endpoint.

const CODESTRAL: KeyHost = KeyHost { key_env: "CODESTRAL_API_KEY", base_url: "https://codestral.mistral.ai" };

pub static MISTRAL: Descriptor = Descriptor {
    kind: ProviderKind::Mistral,
    name: "mistral",
    vendor: Vendor {
        name: "Mistral",
        key_url: Some("console.mistral.ai/api-keys"),
        billing_url: Some("console.mistral.ai/billing"),
    },
    protocol: Protocol::OpenAiCompatible(&MISTRAL_PROFILE),
    base_url: "https://api.mistral.ai",
    default_model: Some("codestral-latest"),
    key: Some(DefaultKey { env: "MISTRAL_API_KEY", on_any_host: true }),
    // Codestral is served from two hosts with different keys: api.mistral.ai takes a normal
    // Mistral key, codestral.mistral.ai a Codestral-specific one, which api.mistral.ai refuses.
    key_hosts: &[CODESTRAL],
    gateways: &[],
    other_host: None,
    local_addr: None,
    zero_config: &[
        ZeroConfig {
            base_url: Some(CODESTRAL.base_url),
            fim_native: true,
            completion_rank: Some(0),
            ..detected_by("codestral", CODESTRAL.key_env, "codestral-latest")
        },
        ZeroConfig {
            fim_native: true,
            completion_rank: Some(1),
            ..detected_by("mistral", "MISTRAL_API_KEY", "codestral-latest")
        },
        ZeroConfig { actions_rank: Some(4), ..detected_by("mistral-chat", "MISTRAL_API_KEY", "mistral-large-latest") },
    ],
    fim: FimSupport { native: true, templates: false },
    unknown_model: UnknownModel { fim: Fim::Chat, context_tokens: 32_000 },
    model_namespaces: false,
    choices: Choices { configurable: false, on_default_host: 1 },
    reads: Settings::NONE,
    retired_models: &[],
    api_reference: "https://docs.mistral.ai/api/endpoint/fim",
};

/// Both endpoints live under the host's `/v1`; FIM answers are chat-shaped
/// (`choices[0].message.content`, streamed as `delta.content`, ending with `[DONE]`).
static MISTRAL_PROFILE: Profile = Profile {
    chat: Route { drop_v1: true, path: "/v1/chat/completions" },
    fim: Route { drop_v1: true, path: "/v1/fim/completions" },
    // Mistral reads the first choice; an in-band error without an HTTP status is the vendor's.
    dialect: Dialect {
        index_zero_only: false,
        // Mistral's stream chunks may end with `finish_reason: "error"` (docs.mistral.ai/api,
        // `FinishReason`): the answer failed and is not complete.
        error_finish_reason: true,
        other_code: |_code, _message| ErrorKind::Server,
        refine_status: mistral_refine_status,
        // A bound, so a long list from a caller cannot make the request invalid.
        max_stop_sequences: 16,
        max_fim_tokens: u32::MAX,
        // Mistral refuses fields its schema does not list (422 "Extra inputs are not permitted"):
        // no `stream_options`, `n` or `max_completion_tokens`.
        stream_usage: false,
        max_completion_tokens: false,
        // docs.mistral.ai/api (chat and FIM): `temperature` <= 1.5; above it, 422 `less_than_equal`.
        max_temperature: 1.5,
    },
};

/// Mistral's bodies carry little beyond the status (`{"message":"Unauthorized"}`); a message
/// about the plan or billing means no retry will help.
fn mistral_refine_status(status: u16, body: &str) -> Option<ErrorKind> {
    let message = http::error_message(body).to_lowercase();
    let about_billing = message.contains("billing") || message.contains("subscription") || message.contains("payment");
    match status {
        401 | 403 if http::is_blocked_credential_message(&message) => Some(ErrorKind::BlockedCredential),
        402 => Some(ErrorKind::Quota),
        429 | 403 if about_billing => Some(ErrorKind::Quota),
        _ => None,
    }
}

// DeepSeek's OpenAI-shaped chat API and its beta FIM endpoint. Under load DeepSeek holds the
// connection open before answering (blank lines ahead of a body, `: keep-alive` comments in a
// stream); the shared decoding tolerates both.

pub static DEEPSEEK: Descriptor = Descriptor {
    kind: ProviderKind::Deepseek,
    name: "deepseek",
    vendor: Vendor {
        name: "DeepSeek",
        key_url: Some("platform.deepseek.com/api_keys"),
        billing_url: Some("platform.deepseek.com/top_up"),
    },
    protocol: Protocol::OpenAiCompatible(&DEEPSEEK_PROFILE),
    base_url: "https://api.deepseek.com",
    // The V4 model that takes FIM.
    default_model: Some("deepseek-v4-flash"),
    key: Some(DefaultKey { env: "DEEPSEEK_API_KEY", on_any_host: true }),
    key_hosts: &[],
    gateways: &[],
    other_host: None,
    local_addr: None,
    zero_config: &[ZeroConfig {
        fim_native: true,
        completion_rank: Some(2),
        actions_rank: Some(3),
        ..detected_by("deepseek", "DEEPSEEK_API_KEY", "deepseek-v4-flash")
    }],
    fim: FimSupport { native: true, templates: false },
    unknown_model: UnknownModel { fim: Fim::Chat, context_tokens: 64_000 },
    model_namespaces: false,
    choices: Choices { configurable: false, on_default_host: 1 },
    reads: Settings::NONE,
    // api-docs.deepseek.com/news/news260424: the old names now answer "Model Not Exist".
    retired_models: &[
        RetiredModel { model: "deepseek-chat", replacement: "deepseek-v4-flash", since: "2026-07-24" },
        RetiredModel { model: "deepseek-reasoner", replacement: "deepseek-v4-pro", since: "2026-07-24" },
        RetiredModel { model: "deepseek-coder", replacement: "deepseek-v4-flash", since: "2026-07-24" },
    ],
    api_reference: "https://api-docs.deepseek.com/api/create-completion",
};

/// Chat under `base_url`; FIM at the host's `/beta/completions`, without a `/v1` the user added.
static DEEPSEEK_PROFILE: Profile = Profile {
    chat: Route { drop_v1: false, path: "/chat/completions" },
    fim: Route { drop_v1: true, path: "/beta/completions" },
    // DeepSeek reads the first choice; an in-band error without an HTTP status is the vendor's,
    // unless it says the balance is empty.
    dialect: Dialect {
        index_zero_only: false,
        error_finish_reason: false,
        other_code: |_code, message| {
            if message.to_lowercase().contains("insufficient balance") { ErrorKind::Quota } else { ErrorKind::Server }
        },
        refine_status: deepseek_refine_status,
        max_stop_sequences: 16,
        // The FIM endpoint refuses more output than this.
        max_fim_tokens: 4096,
        stream_usage: true,
        max_completion_tokens: false,
        // api-docs.deepseek.com/api/create-chat-completion and create-completion: `temperature` <= 2.
        max_temperature: 2.0,
    },
};

/// DeepSeek puts a generic `code` in its bodies; the status and message say more. An empty
/// balance can also come as a 400/429 whose message says so (a 402 is quota by the shared map).
fn deepseek_refine_status(status: u16, body: &str) -> Option<ErrorKind> {
    let message = http::error_message(body).to_lowercase();
    if message.contains("insufficient balance") {
        return Some(ErrorKind::Quota);
    }
    match status {
        // "Server Overloaded": retry later, or move on.
        503 => Some(ErrorKind::Overloaded),
        _ => None,
    }
}

// Local model servers.

pub static OLLAMA: Descriptor = Descriptor {
    kind: ProviderKind::Ollama,
    name: "ollama",
    vendor: Vendor { name: "Ollama", key_url: None, billing_url: None },
    protocol: Protocol::Ollama,
    base_url: "http://127.0.0.1:11434",
    default_model: Some("qwen2.5-coder:1.5b-base"),
    // Ollama has no auth; a proxy in front of it may want a bearer token (`api_key_env`).
    key: None,
    key_hosts: &[],
    gateways: &[],
    other_host: None,
    local_addr: Some("127.0.0.1:11434"),
    zero_config: &[
        ZeroConfig { fim_native: true, completion_rank: Some(3), ..listening("ollama", "qwen2.5-coder:1.5b-base") },
        ZeroConfig { actions_rank: Some(6), ..listening("ollama-chat", "qwen2.5-coder:7b") },
    ],
    // `suffix` on `/api/generate`, and `raw: true` for a built-in template.
    fim: FimSupport { native: true, templates: true },
    // Ollama loads models with a small `num_ctx` unless told otherwise and silently truncates the
    // prompt beyond it, so the budget is the server's default, not the model's trained maximum.
    unknown_model: UnknownModel { fim: Fim::Native, context_tokens: crate::models::OLLAMA_CONTEXT },
    model_namespaces: true,
    choices: Choices { configurable: false, on_default_host: 1 },
    reads: Settings { keep_alive: true, ..Settings::NONE },
    retired_models: &[],
    api_reference: "https://github.com/ollama/ollama/blob/main/docs/api.md",
};

pub static LLAMACPP: Descriptor = Descriptor {
    kind: ProviderKind::Llamacpp,
    name: "llamacpp",
    vendor: Vendor { name: "llama.cpp", key_url: None, billing_url: None },
    protocol: Protocol::LlamaCpp,
    base_url: "http://127.0.0.1:8080",
    // llama-server serves the model it was started with; the name is informational unless the
    // server runs in router mode.
    default_model: Some("default"),
    // Only a server started with `--api-key` wants one (`api_key_env`).
    key: None,
    key_hosts: &[],
    gateways: &[],
    other_host: None,
    local_addr: Some("127.0.0.1:8080"),
    zero_config: &[ZeroConfig {
        fim_native: true,
        completion_rank: Some(4),
        actions_rank: Some(7),
        ..listening("llamacpp", "default")
    }],
    // `/infill`, and `/completion` for a built-in template.
    fim: FimSupport { native: true, templates: true },
    // llama-server's context is whatever `-c` it was started with; 4096 is a common setting.
    unknown_model: UnknownModel { fim: Fim::Native, context_tokens: 4096 },
    model_namespaces: false,
    choices: Choices { configurable: false, on_default_host: 1 },
    reads: Settings::NONE,
    retired_models: &[],
    api_reference: "https://github.com/ggml-org/llama.cpp/blob/master/tools/server/README.md",
};

/// A provider detected by a key variable, in neither chain until a rank is set.
const fn detected_by(name: &'static str, env: &'static str, model: &'static str) -> ZeroConfig {
    ZeroConfig {
        name,
        when: When::Key(env),
        model,
        base_url: None,
        fim_native: false,
        completion_rank: None,
        actions_rank: None,
    }
}

/// A provider detected by a local server answering, in neither chain until a rank is set.
const fn listening(name: &'static str, model: &'static str) -> ZeroConfig {
    ZeroConfig { when: When::Listening, ..detected_by(name, "", model) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models;
    use crate::provider::FimMode;

    /// Every consumer's needs, checked for every kind: adding a kind with a gap fails here.
    #[test]
    fn every_descriptor_has_what_its_consumers_need() {
        let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/providers.md"))
            .expect("docs/providers.md");
        for (idx, descriptor) in DESCRIPTORS.iter().enumerate() {
            let name = descriptor.name;
            // The table is indexed by the enum, and the serde name is the descriptor's.
            assert_eq!(descriptor.kind as usize, idx, "{name} is out of place in DESCRIPTORS");
            assert_eq!(serde_json::to_value(descriptor.kind).unwrap(), name, "serde spells {name} differently");
            assert_eq!(by_name(name).map(|found| found.kind), Some(descriptor.kind));

            // Building needs a model, from the config (validation asks for it) or the default.
            let spec = ProviderSpec { kind: Some(descriptor.kind), ..ProviderSpec::default() };
            assert_eq!(descriptor.model(&spec).is_ok(), descriptor.default_model.is_some(), "{name}");
            if descriptor.default_model.is_some() {
                crate::registry::build_provider("p", &spec).unwrap_or_else(|error| panic!("{name}: {error}"));
            }

            // A key variable, or a local server that needs none; detection agrees with that.
            assert!(descriptor.key.is_some() != descriptor.local_addr.is_some(), "{name}: keyed xor local");
            for variable in descriptor.key_variables() {
                assert!(
                    !variable.is_empty() && variable.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
                    "{name}: {variable:?}"
                );
            }
            for entry in descriptor.zero_config {
                match entry.when {
                    When::Key(env) => assert!(descriptor.key.is_some(), "{name}: {} detected by {env}", entry.name),
                    When::Listening => assert!(descriptor.local_addr.is_some(), "{}: listening where?", entry.name),
                }
                assert!(entry.completion_rank.is_some() || entry.actions_rank.is_some(), "{}: in no chain", entry.name);
                let info = models::lookup(descriptor.kind, entry.model);
                if entry.fim_native {
                    assert!(descriptor.fim.native, "{}: native FIM on a kind without it", entry.name);
                    assert_eq!(info.fim, Fim::Native, "{}: {} is not a native FIM model", entry.name, entry.model);
                }
            }

            // The model table's defaults are modes the kind can carry out.
            assert!(models::supports(descriptor.kind, &descriptor.unknown_model.fim.to_mode()), "{name}");
            assert!(models::supports(descriptor.kind, &FimMode::Chat), "{name}");
            if let Some(model) = descriptor.default_model {
                assert!(models::supports(descriptor.kind, &models::lookup(descriptor.kind, model).fim.to_mode()));
            }
            assert!(descriptor.choices.on_default_host >= 1, "{name}");
            if descriptor.choices.configurable {
                assert!(matches!(descriptor.protocol, Protocol::OpenAiCompatible(_)), "{name}: `n` is OpenAI's");
            }
            for retired in descriptor.retired_models {
                assert_ne!(models::lookup(descriptor.kind, retired.replacement).pattern, "*", "{name}");
            }

            // Messages and docs.
            assert!(!descriptor.vendor.name.is_empty());
            assert!(descriptor.base_url.starts_with("http"), "{name}");
            assert!(descriptor.api_reference.starts_with("https://"), "{name}");
            let heading = format!("(`kind = \"{name}\"`)");
            assert!(docs.lines().any(|line| line.starts_with("### ") && line.contains(&heading)), "docs: {heading}");
            assert!(docs.contains(&format!("`{}`", descriptor.base_url)), "docs: {name}'s default base_url");
            if let Some(model) = descriptor.default_model.filter(|_| descriptor.local_addr.is_none()) {
                assert!(docs.contains(&format!("Default model: `{model}`")), "docs: {name}'s default model");
            }
            for variable in descriptor.key_variables() {
                assert!(docs.contains(variable), "docs: {variable}");
            }
        }
    }

    #[test]
    fn zero_config_ranks_are_one_order_per_feature() {
        let entries: Vec<&ZeroConfig> = DESCRIPTORS.iter().flat_map(|descriptor| descriptor.zero_config).collect();
        for rank in [|entry: &ZeroConfig| entry.completion_rank, |entry: &ZeroConfig| entry.actions_rank] {
            let mut ranks: Vec<u8> = entries.iter().filter_map(|entry| rank(entry)).collect();
            ranks.sort_unstable();
            let expected: Vec<u8> = (0..ranks.len() as u8).collect();
            assert_eq!(ranks, expected, "ranks are 0, 1, 2… with no gap or tie");
        }
        let mut names: Vec<&str> = entries.iter().map(|entry| entry.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), entries.len(), "detected names are unique");
    }

    #[test]
    fn key_variables_are_listed_once_each() {
        assert_eq!(
            key_variables(),
            [
                "OPENAI_API_KEY",
                "OPENROUTER_API_KEY",
                "ANTHROPIC_API_KEY",
                "GEMINI_API_KEY",
                "MISTRAL_API_KEY",
                "CODESTRAL_API_KEY",
                "DEEPSEEK_API_KEY"
            ]
        );
    }

    #[test]
    fn keys_and_hosts_follow_the_configuration() {
        let spec = |base_url: Option<&str>, env: Option<&str>| ProviderSpec {
            base_url: base_url.map(str::to_owned),
            api_key_env: env.map(str::to_owned),
            ..ProviderSpec::default()
        };
        assert_eq!(OPENAI.key_source(&spec(None, None)), KeySource::Env("OPENAI_API_KEY".into()));
        assert_eq!(OPENAI.key_source(&spec(Some("http://127.0.0.1:1234/v1"), None)), KeySource::None);
        assert_eq!(
            MISTRAL.key_source(&spec(Some("http://127.0.0.1:1"), None)),
            KeySource::Env("MISTRAL_API_KEY".into())
        );
        assert_eq!(OLLAMA.key_source(&spec(None, None)), KeySource::None);
        assert_eq!(MISTRAL.base_url(&spec(None, Some("CODESTRAL_API_KEY"))), "https://codestral.mistral.ai");
        assert_eq!(MISTRAL.base_url(&spec(None, None)), "https://api.mistral.ai");
        assert_eq!(OPENAI.vendor_at(&spec(Some("https://openrouter.ai/api/v1"), None)).name, "OpenRouter");
        assert_eq!(OPENAI.vendor_at(&spec(Some("http://127.0.0.1:8000/v1"), None)).name, "OpenAI-compatible server");
        assert_eq!(ANTHROPIC.vendor_at(&spec(Some("https://proxy.example"), None)).name, "Anthropic");
    }
}
