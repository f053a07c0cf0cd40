//! Built-in fill-in-the-middle templates, as data: one row per model family with its special
//! tokens, its stop tokens and whether it knows a multi-file (repository) layout.
//!
//! A template is rendered only where a backend needs the raw prompt (Ollama `raw: true`,
//! llama.cpp `/completion`). Where a hosted FIM endpoint exists (DeepSeek `/beta/completions`,
//! Codestral `/v1/fim/completions`, Ollama `suffix`, llama.cpp `/infill`) the server applies the
//! model's own template and we send prefix and suffix as they are.
//!
//! The tokens are exact: a wrong space or a look-alike character turns them into plain text and
//! the model answers garbage. The DeepSeek tokens use U+FF5C "｜" and U+2581 "▁", not `|` and `_`.

use crate::provider::FimPrompt;

/// How a family lays out code from other files before the file being completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepoLayout {
    /// The family has no multi-file tokens: extra snippets are left out rather than pasted in a
    /// shape the model never saw in training.
    None,
    /// `{repo_token}{repo name}\n`, then `{file_token}{path}\n{text}\n` per file, then
    /// `{file_token}{path}\n` for the current file, then the FIM prompt (StarCoder2, Qwen2.5-Coder).
    Repository { repo_token: &'static str, file_token: &'static str },
    /// `{file_token}{path}\n{text}\n` per file, then `{file_token}{path}\n` and the FIM prompt
    /// (CodeGemma's `<|file_separator|>`, which has no repository-name token).
    Files { file_token: &'static str },
}

/// One model family's FIM prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FimTemplate {
    /// The name the `fim` config value uses.
    pub name: &'static str,
    /// The prompt, with `{prefix}` and `{suffix}` placeholders (each exactly once).
    pub pattern: &'static str,
    /// Tokens that end the middle part; backends without the model's own stop list need them.
    pub stops: &'static [&'static str],
    pub repo: RepoLayout,
}

/// Repository-level layouts want a repository name; providers see no workspace, and the models
/// only use it as a separator, so a neutral one is used (llama.cpp's `/infill` does the same).
pub const REPO_NAME: &str = "project";

/// Every built-in template, in the order docs list them.
pub const TEMPLATES: &[FimTemplate] = &[
    FimTemplate {
        name: "starcoder2",
        pattern: "<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>",
        stops: &["<|endoftext|>", "<file_sep>"],
        repo: RepoLayout::Repository { repo_token: "<repo_name>", file_token: "<file_sep>" },
    },
    FimTemplate {
        name: "codellama",
        // The spaces are part of the format: CodeLlama's tokens are `▁<PRE>`, `▁<SUF>`, `▁<MID>`.
        pattern: "<PRE> {prefix} <SUF>{suffix} <MID>",
        stops: &["<EOT>"],
        repo: RepoLayout::None,
    },
    FimTemplate {
        name: "deepseek-coder",
        pattern: "<｜fim▁begin｜>{prefix}<｜fim▁hole｜>{suffix}<｜fim▁end｜>",
        stops: &["<｜end▁of▁sentence｜>"],
        repo: RepoLayout::None,
    },
    FimTemplate {
        name: "qwen2.5-coder",
        pattern: "<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>",
        stops: &["<|endoftext|>", "<|fim_pad|>", "<|file_sep|>", "<|repo_name|>", "<|im_end|>"],
        repo: RepoLayout::Repository { repo_token: "<|repo_name|>", file_token: "<|file_sep|>" },
    },
    FimTemplate {
        name: "codestral",
        // Suffix first, and no `[MIDDLE]` token: the model writes right after the prefix. The
        // BOS `<s>` is left to the runtime's tokenizer, which adds it for Mistral models.
        pattern: "[SUFFIX]{suffix}[PREFIX]{prefix}",
        stops: &["</s>"],
        repo: RepoLayout::None,
    },
    FimTemplate {
        name: "codegemma",
        pattern: "<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>",
        stops: &["<|file_separator|>", "<eos>", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"],
        repo: RepoLayout::Files { file_token: "<|file_separator|>" },
    },
];

/// The template the `fim` config value names, e.g. `"qwen2.5-coder"`. Exact names only: a
/// near miss is a config error the user should see, not a guess.
pub fn by_name(name: &str) -> Option<&'static FimTemplate> {
    let name = name.trim();
    TEMPLATES.iter().find(|template| template.name.eq_ignore_ascii_case(name))
}

/// The names `fim` accepts as templates, for error messages and docs.
pub fn names() -> Vec<&'static str> {
    TEMPLATES.iter().map(|template| template.name).collect()
}

/// A rendered prompt and the stop sequences that go with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFim {
    pub prompt: String,
    pub stops: Vec<String>,
}

/// Renders the FIM prompt for `template`: other files' snippets first when the family has a
/// multi-file layout, then the prefix/suffix pattern. Placeholders are substituted in one pass,
/// so code that happens to contain `{suffix}` stays as it is.
pub fn render(template: &FimTemplate, fim: &FimPrompt) -> RenderedFim {
    let mut prompt = String::with_capacity(fim.prefix.len() + fim.suffix.len() + 128);
    if !fim.extra.is_empty() {
        let current_path = fim.path.as_deref().unwrap_or("");
        match template.repo {
            RepoLayout::None => {}
            RepoLayout::Repository { repo_token, file_token } => {
                prompt.push_str(repo_token);
                prompt.push_str(REPO_NAME);
                prompt.push('\n');
                push_files(&mut prompt, file_token, fim, current_path);
            }
            RepoLayout::Files { file_token } => push_files(&mut prompt, file_token, fim, current_path),
        }
    }
    let mut rest = template.pattern;
    while let Some(open) = rest.find('{') {
        prompt.push_str(&rest[..open]);
        let after = &rest[open..];
        if let Some(tail) = after.strip_prefix("{prefix}") {
            prompt.push_str(&fim.prefix);
            rest = tail;
        } else if let Some(tail) = after.strip_prefix("{suffix}") {
            prompt.push_str(&fim.suffix);
            rest = tail;
        } else {
            prompt.push('{');
            rest = &after[1..];
        }
    }
    prompt.push_str(rest);
    RenderedFim { prompt, stops: template.stops.iter().map(|stop| (*stop).to_owned()).collect() }
}

/// `{file_token}{path}\n{text}\n` per snippet, then the current file's header.
fn push_files(prompt: &mut String, file_token: &str, fim: &FimPrompt, current_path: &str) {
    for snippet in &fim.extra {
        prompt.push_str(file_token);
        prompt.push_str(&snippet.path);
        prompt.push('\n');
        prompt.push_str(&snippet.text);
        if !snippet.text.ends_with('\n') {
            prompt.push('\n');
        }
    }
    prompt.push_str(file_token);
    prompt.push_str(current_path);
    prompt.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Snippet;

    fn fim() -> FimPrompt {
        FimPrompt {
            prefix: "def add(a, b):\n    ".into(),
            suffix: "\n\nprint(add(1, 2))\n".into(),
            ..FimPrompt::default()
        }
    }

    fn fim_with_extra() -> FimPrompt {
        FimPrompt {
            extra: vec![
                Snippet { path: "util.py".into(), text: "def sub(a, b):\n    return a - b\n".into() },
                Snippet { path: "consts.py".into(), text: "ONE = 1".into() },
            ],
            path: Some("main.py".into()),
            language: Some("python".into()),
            ..fim()
        }
    }

    fn check(name: &str, fim: &FimPrompt, prompt: &str, stops: &[&str]) {
        let template = by_name(name).expect("a built-in template");
        let rendered = render(template, fim);
        assert_eq!(rendered.prompt, prompt, "{name}");
        assert_eq!(rendered.stops, stops, "{name}");
    }

    #[test]
    fn starcoder2() {
        let stops = ["<|endoftext|>", "<file_sep>"];
        check(
            "starcoder2",
            &fim(),
            "<fim_prefix>def add(a, b):\n    <fim_suffix>\n\nprint(add(1, 2))\n<fim_middle>",
            &stops,
        );
        check(
            "starcoder2",
            &fim_with_extra(),
            "<repo_name>project\n<file_sep>util.py\ndef sub(a, b):\n    return a - b\n<file_sep>consts.py\nONE = 1\n\
             <file_sep>main.py\n<fim_prefix>def add(a, b):\n    <fim_suffix>\n\nprint(add(1, 2))\n<fim_middle>",
            &stops,
        );
    }

    #[test]
    fn codellama_keeps_its_spaces_and_drops_other_files() {
        let expected = "<PRE> def add(a, b):\n     <SUF>\n\nprint(add(1, 2))\n <MID>";
        check("codellama", &fim(), expected, &["<EOT>"]);
        check("codellama", &fim_with_extra(), expected, &["<EOT>"]);
    }

    #[test]
    fn deepseek_coder_uses_fullwidth_bars_and_lower_blocks() {
        let expected = "<\u{FF5C}fim\u{2581}begin\u{FF5C}>def add(a, b):\n    <\u{FF5C}fim\u{2581}hole\u{FF5C}>\
                        \n\nprint(add(1, 2))\n<\u{FF5C}fim\u{2581}end\u{FF5C}>";
        check("deepseek-coder", &fim(), expected, &["<\u{FF5C}end\u{2581}of\u{2581}sentence\u{FF5C}>"]);
        assert!(!render(&TEMPLATES[2], &fim()).prompt.contains("<|"), "no ASCII look-alikes");
    }

    #[test]
    fn qwen25_coder() {
        let stops = ["<|endoftext|>", "<|fim_pad|>", "<|file_sep|>", "<|repo_name|>", "<|im_end|>"];
        check(
            "qwen2.5-coder",
            &fim(),
            "<|fim_prefix|>def add(a, b):\n    <|fim_suffix|>\n\nprint(add(1, 2))\n<|fim_middle|>",
            &stops,
        );
        check(
            "qwen2.5-coder",
            &fim_with_extra(),
            "<|repo_name|>project\n<|file_sep|>util.py\ndef sub(a, b):\n    return a - b\n<|file_sep|>consts.py\nONE = 1\n\
             <|file_sep|>main.py\n<|fim_prefix|>def add(a, b):\n    <|fim_suffix|>\n\nprint(add(1, 2))\n<|fim_middle|>",
            &stops,
        );
    }

    #[test]
    fn codestral_puts_the_suffix_first() {
        let expected = "[SUFFIX]\n\nprint(add(1, 2))\n[PREFIX]def add(a, b):\n    ";
        check("codestral", &fim(), expected, &["</s>"]);
        check("codestral", &fim_with_extra(), expected, &["</s>"]);
    }

    #[test]
    fn codegemma() {
        let stops = ["<|file_separator|>", "<eos>", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"];
        check(
            "codegemma",
            &fim(),
            "<|fim_prefix|>def add(a, b):\n    <|fim_suffix|>\n\nprint(add(1, 2))\n<|fim_middle|>",
            &stops,
        );
        check(
            "codegemma",
            &fim_with_extra(),
            "<|file_separator|>util.py\ndef sub(a, b):\n    return a - b\n<|file_separator|>consts.py\nONE = 1\n\
             <|file_separator|>main.py\n<|fim_prefix|>def add(a, b):\n    <|fim_suffix|>\n\nprint(add(1, 2))\n\
             <|fim_middle|>",
            &stops,
        );
    }

    #[test]
    fn placeholders_in_code_are_not_substituted() {
        let fim = FimPrompt { prefix: "f\"{suffix}".into(), suffix: "{prefix}\"".into(), ..FimPrompt::default() };
        let rendered = render(by_name("qwen2.5-coder").expect("template"), &fim);
        assert_eq!(rendered.prompt, "<|fim_prefix|>f\"{suffix}<|fim_suffix|>{prefix}\"<|fim_middle|>");
    }

    #[test]
    fn lookup_is_by_exact_name() {
        for name in ["starcoder2", "codellama", "deepseek-coder", "qwen2.5-coder", "codestral", "codegemma"] {
            assert_eq!(by_name(name).map(|template| template.name), Some(name));
        }
        assert_eq!(by_name(" Qwen2.5-Coder ").map(|template| template.name), Some("qwen2.5-coder"));
        assert!(by_name("qwen").is_none());
        assert!(by_name("starcoder").is_none());
        assert_eq!(names().len(), TEMPLATES.len());
    }

    #[test]
    fn every_pattern_has_each_placeholder_once() {
        for template in TEMPLATES {
            assert_eq!(template.pattern.matches("{prefix}").count(), 1, "{}", template.name);
            assert_eq!(template.pattern.matches("{suffix}").count(), 1, "{}", template.name);
            assert!(!template.stops.is_empty(), "{}", template.name);
        }
    }
}
