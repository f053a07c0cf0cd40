//! Checks of the merged configuration that types cannot express: required keys, URLs, ranges
//! and chains that name existing providers. Every problem is collected, not only the first.

use std::ops::RangeInclusive;

use switchboard_providers::ProviderSpec;
use switchboard_providers::kinds::DESCRIPTORS;

use super::check::valid_kinds;
use super::problem::{ConfigProblem, ConfigSource, Severity};
use super::schema::{ActionsConfig, CompletionConfig, Config, RedactConfig};

/// Validates `config`; `attribute` names the layer a key path came from.
pub(crate) fn validate(config: &Config, attribute: &dyn Fn(&str) -> ConfigSource) -> Vec<ConfigProblem> {
    let mut findings = Findings::default();
    for (name, spec) in &config.providers {
        validate_provider(&format!("providers.{name}"), spec, &mut findings);
    }
    for (idx, glob) in config.exclude.iter().enumerate() {
        if let Some(problem) = glob_problem(glob) {
            findings.error(format!("exclude[{idx}]"), problem);
        }
    }
    validate_completion(&config.completion, config, &mut findings);
    validate_actions(&config.actions, config, &mut findings);
    validate_redact(&config.redact, &mut findings);
    findings
        .0
        .into_iter()
        .map(|(severity, key, message)| ConfigProblem { source: attribute(&key), key, message, severity })
        .collect()
}

#[derive(Default)]
struct Findings(Vec<(Severity, String, String)>);

impl Findings {
    fn error(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.0.push((Severity::Error, key.into(), message.into()));
    }

    fn warning(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.0.push((Severity::Warning, key.into(), message.into()));
    }

    fn range<T: PartialOrd + std::fmt::Display>(&mut self, key: &str, value: T, range: RangeInclusive<T>) {
        if !range.contains(&value) {
            self.error(key, format!("must be between {} and {}, got {value}", range.start(), range.end()));
        }
    }
}

fn validate_provider(prefix: &str, spec: &ProviderSpec, findings: &mut Findings) {
    let descriptor = spec.kind.map(|kind| kind.descriptor());
    match descriptor {
        None => findings.error(
            format!("{prefix}.kind"),
            format!("missing; every provider needs a kind, one of: {}", valid_kinds()),
        ),
        // A kind with a default model (its descriptor's) may leave `model` out.
        Some(descriptor) if spec.model.is_none() && descriptor.default_model.is_none() => {
            findings.error(
                format!("{prefix}.model"),
                format!("missing; a provider of kind {} needs a model name", descriptor.name),
            );
        }
        Some(_) => {}
    }
    if spec.model.as_deref().is_some_and(|model| model.trim().is_empty()) {
        findings.error(format!("{prefix}.model"), "must not be empty");
    }
    if let Some(descriptor) = descriptor
        && let Some(model) = spec.model.as_deref()
        && let Some(retired) = descriptor.retired_models.iter().find(|retired| retired.model == model)
    {
        findings.warning(
            format!("{prefix}.model"),
            format!(
                "{} no longer serves \"{model}\" (retired on {}); use \"{}\"",
                descriptor.vendor.name, retired.since, retired.replacement
            ),
        );
    }
    // Settings the kind's requests never carry would do nothing: say so rather than ignore them.
    if let Some(descriptor) = descriptor {
        let reads = descriptor.reads;
        let unused = [
            ("headers", !spec.headers.is_empty() && !reads.headers),
            ("organization", spec.organization.is_some() && !reads.organization),
            ("project", spec.project.is_some() && !reads.organization),
            ("keep_alive", spec.keep_alive.is_some() && !reads.keep_alive),
        ];
        for (setting, _) in unused.iter().filter(|(_, unused)| *unused) {
            findings.warning(
                format!("{prefix}.{setting}"),
                format!("kind {} does not use this setting; it has no effect", descriptor.name),
            );
        }
    }
    if let Some(base_url) = &spec.base_url {
        validate_base_url(&format!("{prefix}.base_url"), base_url, spec, findings);
    }
    let key_sources = [
        ("api_key_env", spec.api_key_env.is_some()),
        ("api_key_cmd", spec.api_key_cmd.is_some()),
        ("api_key", spec.api_key.is_some()),
    ];
    let set: Vec<&str> = key_sources.iter().filter(|(_, set)| *set).map(|(name, _)| *name).collect();
    if set.len() > 1 {
        findings.warning(prefix, format!("{} are set; only {} is used", set.join(", "), set[0]));
    }
    if let Some(env) = &spec.api_key_env
        && !is_env_var_name(env)
    {
        // Never echo the value: a common mistake is to paste the key itself here.
        findings.error(
            format!("{prefix}.api_key_env"),
            "must be the name of an environment variable (letters, digits and _), not the key itself",
        );
    }
    if spec.api_key_cmd.as_deref().is_some_and(|cmd| cmd.trim().is_empty()) {
        findings.error(format!("{prefix}.api_key_cmd"), "must not be empty");
    }
    if spec.api_key.as_ref().is_some_and(|key| key.expose().trim().is_empty()) {
        findings.error(format!("{prefix}.api_key"), "must not be empty");
    }
    for (name, value) in &spec.headers {
        let valid_name = !name.is_empty()
            && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte));
        if !valid_name {
            findings.error(format!("{prefix}.headers"), format!("\"{name}\" is not a valid HTTP header name"));
        }
        // A line break would let a value smuggle in further headers.
        if value.contains(['\r', '\n']) {
            findings
                .error(format!("{prefix}.headers"), format!("the value of \"{name}\" must not contain a line break"));
        }
    }
    if let Some(context_tokens) = spec.context_tokens {
        findings.range(&format!("{prefix}.context_tokens"), context_tokens, 256..=10_000_000);
    }
    if let Some(timeout_ms) = spec.timeout_ms {
        findings.range(&format!("{prefix}.timeout_ms"), timeout_ms, 1..=600_000);
    }
    // Ollama parses `keep_alive` with Go's time.ParseDuration (api/types.go): a unit is required,
    // and a value without one makes every request fail with 400.
    if let Some(keep_alive) = spec.keep_alive.as_deref()
        && !is_duration(keep_alive)
    {
        findings.error(
            format!("{prefix}.keep_alive"),
            format!("\"{keep_alive}\" is not a duration; write a number with a unit, e.g. \"30m\", \"2h\", or \"-1m\" to keep the model loaded"),
        );
    }
    if let Some(max_choices) = spec.max_choices {
        findings.range(&format!("{prefix}.max_choices"), max_choices, 1..=128);
        // Only kinds whose wire format has `n` take it; elsewhere the setting would do nothing.
        if let Some(descriptor) = descriptor.filter(|descriptor| !descriptor.choices.configurable) {
            let several: Vec<&str> = DESCRIPTORS
                .iter()
                .filter(|descriptor| descriptor.choices.configurable)
                .map(|descriptor| descriptor.name)
                .collect();
            findings.error(
                format!("{prefix}.max_choices"),
                format!(
                    "only kind {} can return several answers per request, not kind {}",
                    several.join(", "),
                    descriptor.name
                ),
            );
        }
    }
}

/// A Go duration as Ollama reads it: "0", or numbers each followed by a unit (`1h30m`, `-1m`).
fn is_duration(text: &str) -> bool {
    let mut rest = text.strip_prefix(['-', '+']).unwrap_or(text);
    if rest == "0" {
        return true;
    }
    let mut parts = 0;
    while !rest.is_empty() {
        let digits = rest.find(|ch: char| !ch.is_ascii_digit() && ch != '.').unwrap_or(rest.len());
        let unit = ["ns", "us", "µs", "ms", "s", "m", "h"].into_iter().find(|unit| rest[digits..].starts_with(unit));
        let Some(unit) = unit.filter(|_| digits > 0) else { return false };
        rest = &rest[digits + unit.len()..];
        parts += 1;
    }
    parts > 0
}

fn is_env_var_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|first| first.is_ascii_alphabetic() || first == b'_')
        && bytes.all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
}

/// Accepts `http://` and `https://` URLs with a host; rejects credentials in the URL because
/// they would show up wherever the URL is displayed.
fn validate_base_url(key: &str, base_url: &str, spec: &ProviderSpec, findings: &mut Findings) {
    let Some((scheme, rest)) = base_url.split_once("://") else {
        findings.error(key, format!("\"{base_url}\" is not a URL; expected http://HOST[:PORT][/PATH] or https://…"));
        return;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        findings.error(key, "must not contain credentials; use api_key_env, api_key_cmd or headers");
        return;
    }
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        findings.error(key, format!("\"{base_url}\" has scheme \"{scheme}\"; expected http or https"));
        return;
    }
    let host = host_of(authority);
    if host.is_empty() || base_url.chars().any(char::is_whitespace) {
        findings.error(key, format!("\"{base_url}\" is not a valid URL; expected {scheme}://HOST[:PORT][/PATH]"));
        return;
    }
    let port = authority.strip_prefix(host).and_then(|rest| rest.strip_prefix(':')).unwrap_or_default();
    if !port.bytes().all(|byte| byte.is_ascii_digit()) || port.parse::<u32>().is_ok_and(|port| port > 65_535) {
        findings.error(key, format!("\"{base_url}\" has an invalid port"));
        return;
    }
    let sends_key = spec.api_key_env.is_some() || spec.api_key_cmd.is_some() || spec.api_key.is_some();
    if scheme == "http" && sends_key && !is_loopback(host) {
        findings.warning(key, "the API key would travel unencrypted over http to a host that is not this machine");
    }
}

fn host_of(authority: &str) -> &str {
    if authority.starts_with('[') {
        // An IPv6 literal keeps its brackets, so its colons are not taken for a port.
        authority.find(']').map_or(authority, |end| &authority[..=end])
    } else {
        authority.split(':').next().unwrap_or_default()
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost") || host.starts_with("127.") || host == "[::1]"
}

fn validate_chain(key: &str, chain: &[String], config: &Config, findings: &mut Findings) {
    for (idx, name) in chain.iter().enumerate() {
        let entry_key = format!("{key}[{idx}]");
        if !config.providers.contains_key(name) {
            let defined = if config.providers.is_empty() {
                "no providers are defined".to_owned()
            } else {
                format!("defined providers: {}", config.providers.keys().cloned().collect::<Vec<_>>().join(", "))
            };
            findings.error(entry_key, format!("unknown provider \"{name}\"; {defined}"));
        } else if chain[..idx].contains(name) {
            findings.warning(entry_key, format!("\"{name}\" is listed more than once; later entries are skipped"));
        }
    }
}

fn validate_completion(completion: &CompletionConfig, config: &Config, findings: &mut Findings) {
    validate_chain("completion.providers", &completion.providers, config, findings);
    findings.range("completion.debounce_ms", completion.debounce_ms, 0..=10_000);
    findings.range("completion.max_tokens", completion.max_tokens, 1..=32_768);
    findings.range("completion.context_tokens", completion.context_tokens, 128..=1_000_000);
    findings.range("completion.n_items_invoked", completion.n_items_invoked, 1..=10);
    if let Some(hedge_after_ms) = completion.hedge_after_ms {
        findings.range("completion.hedge_after_ms", hedge_after_ms, 0..=60_000);
    }
    if !completion.temperature.is_finite() {
        findings.error("completion.temperature", "must be a finite number");
    } else {
        findings.range("completion.temperature", completion.temperature, 0.0..=2.0);
    }
    for (idx, language) in completion.languages_disabled.iter().enumerate() {
        if language.trim().is_empty() {
            findings.error(format!("completion.languages_disabled[{idx}]"), "must not be empty");
        }
    }
    if completion.prompt.as_deref().is_some_and(|prompt| prompt.trim().is_empty()) {
        findings.error("completion.prompt", "must not be empty; leave it out to use the built-in prompt");
    }
    if completion.enabled && !completion.surfaces.inline && !completion.surfaces.items {
        findings.warning("completion.surfaces", "both surfaces are off, so completions have nowhere to appear");
    }
}

/// The glob syntax the exclusion matcher understands: `*`, `**`, `?` and `[…]` classes.
fn glob_problem(glob: &str) -> Option<String> {
    if glob.trim().is_empty() {
        return Some("must not be empty".to_owned());
    }
    let mut in_class = false;
    for char in glob.chars() {
        match char {
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            _ => {}
        }
    }
    in_class.then(|| format!("\"{glob}\" has an unclosed ["))
}

fn validate_redact(redact: &RedactConfig, findings: &mut Findings) {
    // Compiled as the server compiles them (the built-in shapes are compiled apart, once).
    if !redact.patterns.is_empty()
        && let Err(error) = switchboard_core::secrets::Masker::new(&redact.patterns)
    {
        let message = error.message.lines().last().unwrap_or_default().trim().to_owned();
        let message =
            if message.contains("empty text") { message } else { format!("not a valid regular expression: {message}") };
        findings.error(format!("redact.patterns[{}]", error.index), message);
    }
    if !redact.enabled {
        findings.warning(
            "redact.enabled",
            "secrets in ordinary files (keys, tokens, passwords in URLs) are sent to providers as they are",
        );
    }
}

fn validate_actions(actions: &ActionsConfig, config: &Config, findings: &mut Findings) {
    validate_chain("actions.providers", &actions.providers, config, findings);
    findings.range("actions.max_tokens", actions.max_tokens, 1..=32_768);
    findings.range("actions.timeout_ms", actions.timeout_ms, 1_000..=600_000);
    for (idx, language) in actions.languages_disabled.iter().enumerate() {
        if language.trim().is_empty() {
            findings.error(format!("actions.languages_disabled[{idx}]"), "must not be empty");
        }
    }
    for (idx, custom) in actions.custom.iter().enumerate() {
        let key = |field: &str| format!("actions.custom[{idx}].{field}");
        let id_ok = !custom.id.is_empty()
            && custom.id.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-');
        if !id_ok {
            findings
                .error(key("id"), format!("\"{}\" must be lowercase letters, digits and -, and not empty", custom.id));
        } else if crate::actions::catalog::BUILTIN_IDS.contains(&custom.id.as_str()) {
            findings.error(key("id"), format!("\"{}\" is a built-in action; choose another id", custom.id));
        } else if actions.custom[..idx].iter().any(|earlier| earlier.id == custom.id) {
            findings.error(key("id"), format!("\"{}\" is used by an earlier custom action", custom.id));
        }
        if custom.title.trim().is_empty() {
            findings.error(key("title"), "must not be empty: it is the action's name in the menu");
        }
        if custom.kind.trim().is_empty() || custom.kind.contains(char::is_whitespace) {
            findings.error(key("kind"), "must be a code action kind such as \"refactor.rewrite\" or \"quickfix\"");
        }
        if custom.prompt.trim().is_empty() {
            findings.error(key("prompt"), "must not be empty: it is what the model is asked");
        }
        for field in ["title", "prompt"] {
            let text = if field == "title" { &custom.title } else { &custom.prompt };
            if let Some(unknown) = crate::actions::prompt::unknown_variable(text) {
                findings.error(
                    key(field),
                    format!(
                        "unknown variable {{{unknown}}}; known: {}",
                        crate::actions::prompt::VARIABLES
                            .iter()
                            .map(|v| format!("{{{v}}}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use switchboard_providers::{ProviderKind, Secret};

    use super::*;

    fn check(config: &Config) -> Vec<String> {
        validate(config, &|_| ConfigSource::Defaults)
            .iter()
            .map(|problem| {
                let severity = if problem.is_error() { "error" } else { "warning" };
                format!("{severity} {}: {}", problem.key, problem.message)
            })
            .collect()
    }

    fn provider(kind: ProviderKind, model: Option<&str>) -> ProviderSpec {
        ProviderSpec { kind: Some(kind), model: model.map(str::to_owned), ..ProviderSpec::default() }
    }

    #[test]
    fn defaults_are_valid() {
        assert_eq!(check(&Config::default()), Vec::<String>::new());
    }

    /// `model` may be left out exactly where the kind's descriptor has a default model, which
    /// building the provider then uses.
    #[test]
    fn a_model_is_required_only_where_the_kind_has_no_default() {
        for kind in ProviderKind::all() {
            let mut config = Config::default();
            let spec = provider(kind, None);
            config.providers.insert("p".into(), spec.clone());
            let needs_model = check(&config).iter().any(|problem| problem.starts_with("error providers.p.model"));
            assert_eq!(needs_model, kind.descriptor().default_model.is_none(), "{}", kind.as_str());
            if !needs_model {
                switchboard_providers::build_provider("p", &spec).expect("builds with the default model");
            }
        }
    }

    #[test]
    fn settings_a_kind_does_not_send_are_warned_about() {
        let mut config = Config::default();
        let mut deepseek = provider(ProviderKind::Deepseek, None);
        deepseek.headers.insert("x-team".into(), "a".into());
        deepseek.organization = Some("org-1".into());
        deepseek.keep_alive = Some("5m".into());
        config.providers.insert("ds".into(), deepseek);
        let mut openai = provider(ProviderKind::Openai, Some("m"));
        openai.headers.insert("x-team".into(), "a".into());
        openai.project = Some("proj_1".into());
        config.providers.insert("oa".into(), openai);
        let mut ollama = provider(ProviderKind::Ollama, None);
        ollama.keep_alive = Some("30m".into());
        config.providers.insert("local".into(), ollama);
        assert_eq!(
            check(&config),
            [
                "warning providers.ds.headers: kind deepseek does not use this setting; it has no effect",
                "warning providers.ds.organization: kind deepseek does not use this setting; it has no effect",
                "warning providers.ds.keep_alive: kind deepseek does not use this setting; it has no effect",
            ]
        );
    }

    #[test]
    fn providers_need_kind_and_model_and_sane_fields() {
        let mut config = Config::default();
        config.providers.insert("nokind".into(), ProviderSpec::default());
        config.providers.insert("nomodel".into(), provider(ProviderKind::Openai, None));
        config.providers.insert("local".into(), provider(ProviderKind::Llamacpp, None));
        let mut bad = provider(ProviderKind::Anthropic, Some(""));
        bad.base_url = Some("ftp://example.com".into());
        bad.api_key_env = Some("sk-ant-0123456789".into());
        bad.api_key = Some(Secret::new("sk-inline-0123456789"));
        bad.headers.insert("X Bad".into(), "v".into());
        bad.timeout_ms = Some(0);
        config.providers.insert("bad".into(), bad);
        let mut plain = provider(ProviderKind::Openai, Some("m"));
        plain.base_url = Some("http://gateway.example:8080/v1".into());
        plain.api_key_env = Some("GATEWAY_KEY".into());
        config.providers.insert("plain".into(), plain);
        let mut creds = provider(ProviderKind::Ollama, Some("qwen"));
        creds.base_url = Some("https://user:secret@example.com".into());
        config.providers.insert("creds".into(), creds);
        let problems = check(&config);
        assert_eq!(
            problems,
            [
                "error providers.bad.model: must not be empty",
                "error providers.bad.base_url: \"ftp://example.com\" has scheme \"ftp\"; expected http or https",
                "warning providers.bad: api_key_env, api_key are set; only api_key_env is used",
                "error providers.bad.api_key_env: must be the name of an environment variable (letters, digits and _), \
                 not the key itself",
                "error providers.bad.headers: \"X Bad\" is not a valid HTTP header name",
                "error providers.bad.timeout_ms: must be between 1 and 600000, got 0",
                "error providers.creds.base_url: must not contain credentials; use api_key_env, api_key_cmd or headers",
                "error providers.nokind.kind: missing; every provider needs a kind, one of: openai, anthropic, gemini, \
                 mistral, deepseek, ollama, llamacpp",
                "error providers.nomodel.model: missing; a provider of kind openai needs a model name",
                "warning providers.plain.base_url: the API key would travel unencrypted over http to a host that is \
                 not this machine",
            ]
        );
        assert!(problems.iter().all(|line| !line.contains("0123456789") && !line.contains("secret@")));
    }

    #[test]
    fn chains_name_defined_providers() {
        let mut config = Config::default();
        config.providers.insert("a".into(), provider(ProviderKind::Ollama, Some("qwen")));
        config.providers.insert("b".into(), provider(ProviderKind::Llamacpp, None));
        config.completion.providers = vec!["a".into(), "foo".into(), "a".into()];
        config.actions.providers = vec!["b".into()];
        assert_eq!(
            check(&config),
            [
                "error completion.providers[1]: unknown provider \"foo\"; defined providers: a, b",
                "warning completion.providers[2]: \"a\" is listed more than once; later entries are skipped",
            ]
        );
        config.providers.clear();
        assert_eq!(
            check(&config)[0],
            "error completion.providers[0]: unknown provider \"a\"; no providers are defined"
        );
    }

    #[test]
    fn ollama_keep_alive_is_a_duration_with_a_unit() {
        for (value, valid) in [
            ("30m", true),
            ("1h30m", true),
            ("-1m", true),
            ("0", true),
            ("1.5h", true),
            ("3600", false),
            ("-1", false),
            ("forever", false),
            ("", false),
        ] {
            let mut config = Config::default();
            let mut local = provider(ProviderKind::Ollama, Some("qwen"));
            local.keep_alive = Some(value.into());
            config.providers.insert("local".into(), local);
            assert_eq!(check(&config).is_empty(), valid, "{value}: {:?}", check(&config));
        }
    }

    #[test]
    fn a_retired_deepseek_model_is_named_with_its_replacement() {
        let mut config = Config::default();
        config.providers.insert("ds".into(), provider(ProviderKind::Deepseek, Some("deepseek-chat")));
        assert_eq!(
            check(&config),
            [
                "warning providers.ds.model: DeepSeek no longer serves \"deepseek-chat\" (retired on 2026-07-24); use \"deepseek-v4-flash\""
            ]
        );
    }

    #[test]
    fn several_answers_per_request_only_for_the_openai_wire_format() {
        let mut config = Config::default();
        let mut gateway = provider(ProviderKind::Openai, Some("qwen"));
        gateway.max_choices = Some(4);
        config.providers.insert("gateway".into(), gateway);
        assert_eq!(check(&config), Vec::<String>::new());
        let mut local = provider(ProviderKind::Ollama, Some("qwen"));
        local.max_choices = Some(200);
        config.providers.insert("local".into(), local);
        assert_eq!(
            check(&config),
            [
                "error providers.local.max_choices: must be between 1 and 128, got 200",
                "error providers.local.max_choices: only kind openai can return several answers per request, not \
                 kind ollama",
            ]
        );
    }

    #[test]
    fn numbers_are_in_range() {
        let mut config = Config::default();
        config.completion.debounce_ms = 60_000;
        config.completion.max_tokens = 0;
        config.completion.n_items_invoked = 50;
        config.completion.temperature = 3.5;
        config.completion.hedge_after_ms = Some(120_000);
        config.exclude.push("[abc".into());
        config.completion.prompt = Some("  ".into());
        config.completion.surfaces.inline = false;
        config.completion.surfaces.items = false;
        config.actions.max_tokens = 0;
        config.actions.custom = vec![
            crate::config::CustomAction {
                id: "Fix".into(),
                title: "Do {thing}".into(),
                prompt: "x {code}".into(),
                ..Default::default()
            },
            crate::config::CustomAction { id: "document".into(), kind: "a b".into(), ..Default::default() },
        ];
        assert_eq!(
            check(&config),
            [
                "error exclude[18]: \"[abc\" has an unclosed [",
                "error completion.debounce_ms: must be between 0 and 10000, got 60000",
                "error completion.max_tokens: must be between 1 and 32768, got 0",
                "error completion.n_items_invoked: must be between 1 and 10, got 50",
                "error completion.hedge_after_ms: must be between 0 and 60000, got 120000",
                "error completion.temperature: must be between 0 and 2, got 3.5",
                "error completion.prompt: must not be empty; leave it out to use the built-in prompt",
                "warning completion.surfaces: both surfaces are off, so completions have nowhere to appear",
                "error actions.max_tokens: must be between 1 and 32768, got 0",
                "error actions.custom[0].id: \"Fix\" must be lowercase letters, digits and -, and not empty",
                "error actions.custom[0].title: unknown variable {thing}; known: {code}, {code_block}, {language}, {path}, {symbol}, {before}, {after}, {diagnostics}, {diagnostic}, {line}, {instruction}, {test_place}",
                "error actions.custom[1].id: \"document\" is a built-in action; choose another id",
                "error actions.custom[1].title: must not be empty: it is the action's name in the menu",
                "error actions.custom[1].kind: must be a code action kind such as \"refactor.rewrite\" or \"quickfix\"",
                "error actions.custom[1].prompt: must not be empty: it is what the model is asked",
            ]
        );
    }

    #[test]
    fn loopback_http_and_ipv6_hosts_are_fine() {
        let mut config = Config::default();
        for (name, url) in
            [("a", "http://localhost:11434"), ("b", "http://127.0.0.1:8080/v1"), ("c", "http://[::1]:8080")]
        {
            let mut spec = provider(ProviderKind::Openai, Some("m"));
            spec.base_url = Some(url.into());
            spec.api_key_env = Some("KEY".into());
            config.providers.insert(name.into(), spec);
        }
        assert_eq!(check(&config), Vec::<String>::new());
    }
}
