//! Action prompts: templates with named variables, filled from the region and its context.

use std::collections::HashMap;

use switchboard_providers::{ChatMessage, ChatPrompt, ChatRole};

/// The variables a prompt or title may use, as `{name}`.
pub const VARIABLES: &[&str] = &[
    "code",
    "code_block",
    "language",
    "path",
    "symbol",
    "before",
    "after",
    "diagnostics",
    "diagnostic",
    "line",
    "instruction",
    "test_place",
];

/// The first `{name}` in `template` that is not a known variable (`{{` is a literal brace).
pub fn unknown_variable(template: &str) -> Option<String> {
    variables(template).find(|name| !VARIABLES.contains(&name.as_str()))
}

fn variables(template: &str) -> impl Iterator<Item = String> + '_ {
    let mut rest = template;
    std::iter::from_fn(move || {
        loop {
            let open = rest.find('{')?;
            if rest[open..].starts_with("{{") {
                rest = &rest[open + 2..];
                continue;
            }
            let close = rest[open..].find('}')? + open;
            let name = &rest[open + 1..close];
            rest = &rest[close + 1..];
            // `{ x }` or `{x: 1}` in a prompt is code, not a variable.
            if !name.is_empty() && name.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') {
                return Some(name.to_owned());
            }
        }
    })
}

/// Replaces every `{name}` of `values` in `template`; `{{` and `}}` are literal braces.
pub fn render(template: &str, values: &HashMap<&str, String>) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if tail.starts_with('{')
            && let Some(close) = tail.find('}')
            && let Some(value) = values.get(&tail[1..close])
        {
            out.push_str(value);
            rest = &tail[close + 1..];
            continue;
        }
        out.push_str(&tail[..1]);
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

/// What a prompt is built from.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub language: String,
    pub path: String,
    pub symbol: String,
    pub code: String,
    pub before: String,
    pub after: String,
    /// One line per diagnostic: `error[E0308] (rustc) at line 12: mismatched types`.
    pub diagnostics: Vec<String>,
    /// 1-based line of the region's start.
    pub line: usize,
    pub instruction: String,
    pub test_place: String,
}

impl Inputs {
    pub fn values(&self) -> HashMap<&'static str, String> {
        let fence = fence_for(&[&self.code, &self.before, &self.after]);
        let lang = self.language.as_str();
        let mut code_block = format!("File: {}\n", self.path);
        if !self.before.trim().is_empty() {
            code_block.push_str(&format!(
                "\nThe code just before it, for context only (do not repeat it):\n{fence}{lang}\n{}\n{fence}\n",
                self.before.trim_end_matches('\n')
            ));
        }
        code_block.push_str(&format!("\nThe code:\n{fence}{lang}\n{}\n{fence}\n", self.code.trim_end_matches('\n')));
        if !self.after.trim().is_empty() {
            code_block.push_str(&format!(
                "\nThe code just after it, for context only (do not repeat it):\n{fence}{lang}\n{}\n{fence}\n",
                self.after.trim_end_matches('\n')
            ));
        }
        HashMap::from([
            ("code", self.code.clone()),
            ("code_block", code_block),
            ("language", self.language.clone()),
            ("path", self.path.clone()),
            ("symbol", self.symbol.clone()),
            ("before", self.before.clone()),
            ("after", self.after.clone()),
            ("diagnostics", self.diagnostics.join("\n")),
            ("diagnostic", self.diagnostics.first().cloned().unwrap_or_default()),
            ("line", self.line.to_string()),
            ("instruction", self.instruction.clone()),
            ("test_place", self.test_place.clone()),
        ])
    }
}

/// A fence longer than any run of backticks in the texts, so code with fences stays inside.
fn fence_for(texts: &[&str]) -> String {
    let longest = texts.iter().flat_map(|text| text.split(|ch| ch != '`')).map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

const CODE_SYSTEM: &str = "You are an expert programmer editing a file in the user's editor. Answer with exactly one fenced code block that holds the complete result, and nothing else: no explanation before or after it. Keep the file's style: its indentation, quotes and naming. Never shorten the code with placeholders such as \"...\" or \"rest unchanged\".";
const PROSE_SYSTEM: &str =
    "You are an expert programmer helping a colleague in their editor. Answer in Markdown, clearly and briefly.";

/// The chat request for `template` filled from `inputs`.
pub fn chat(template: &str, inputs: &Inputs, writes_code: bool) -> ChatPrompt {
    let system = if writes_code { CODE_SYSTEM } else { PROSE_SYSTEM };
    ChatPrompt {
        system: Some(system.to_owned()),
        messages: vec![ChatMessage { role: ChatRole::User, content: render(template, &inputs.values()) }],
        stable_prefix: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_replaced_and_braces_in_code_are_left_alone() {
        let values = HashMap::from([("symbol", "parse".to_owned())]);
        assert_eq!(
            render("Document {symbol}: fn f() {{ }} {x: 1} {nope}", &values),
            "Document parse: fn f() { } {x: 1} {nope}"
        );
        assert_eq!(unknown_variable("Fix {symbol} in {langauge}"), Some("langauge".to_owned()));
        assert_eq!(unknown_variable("a {{literal}} and { x } and {code}"), None);
    }

    #[test]
    fn the_code_block_fences_code_that_holds_fences() {
        let inputs = Inputs {
            language: "markdown".into(),
            path: "README.md".into(),
            code: "```sh\nmake\n```\n".into(),
            ..Inputs::default()
        };
        let block = &inputs.values()["code_block"];
        assert!(block.contains("````markdown\n```sh\nmake\n```\n````"), "{block}");
        assert!(!block.contains("just before it"), "{block}");
    }
}
