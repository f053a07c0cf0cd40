//! The actions there are: the built-in ones and the user's `[[actions.custom]]`, all described
//! by the same [`ActionDef`] data, so a built-in action is one entry here and nothing else.

use crate::config::{ActionOutput, ActionScope, CustomAction};

/// The ids of the built-in actions (a custom action may not reuse one).
pub const BUILTIN_IDS: &[&str] = &["fix", "comment", "document", "improve", "tests", "explain"];

/// Where an action is offered and what part of the document it works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One diagnostic the editor reported, with the symbol around it.
    Diagnostic,
    /// An instruction comment (`AI: …`) and the code it is about.
    Comment,
    /// The enclosing symbol; offered only inside one.
    Symbol,
    /// The enclosing function; offered only inside one.
    Function,
    /// The selection's lines, else the enclosing symbol.
    Selection,
    /// The cursor's line.
    Line,
    /// The whole file.
    File,
    /// The enclosing symbol, offered only where the editor reports diagnostics.
    AnyDiagnostics,
}

/// What becomes of the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The code replaces the region (as the smallest line edit).
    Replace,
    InsertBefore,
    InsertAfter,
    /// Tests: a new file in the language's test place, or the end of the file for languages that
    /// keep tests beside the code.
    TestFile,
    /// Prose for the user, shown as a Markdown document.
    Message,
}

/// One action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionDef {
    pub id: String,
    /// The menu entry; `{symbol}` and `{diagnostic}` are replaced.
    pub title: String,
    pub kind: String,
    pub scope: Scope,
    /// LSP language ids it is offered for; empty: all.
    pub languages: Vec<String>,
    /// What the model is asked (see `prompt::VARIABLES`).
    pub prompt: String,
    pub output: Output,
}

impl ActionDef {
    fn builtin(id: &str, title: &str, kind: &str, scope: Scope, prompt: &str, output: Output) -> Self {
        Self {
            id: id.to_owned(),
            title: title.to_owned(),
            kind: kind.to_owned(),
            scope,
            languages: Vec::new(),
            prompt: prompt.to_owned(),
            output,
        }
    }

    fn custom(custom: &CustomAction) -> Self {
        Self {
            id: custom.id.clone(),
            title: custom.title.clone(),
            kind: custom.kind.clone(),
            scope: match custom.scope {
                ActionScope::Selection => Scope::Selection,
                ActionScope::Symbol => Scope::Symbol,
                ActionScope::Line => Scope::Line,
                ActionScope::File => Scope::File,
                ActionScope::Diagnostics => Scope::AnyDiagnostics,
            },
            languages: custom.languages.clone(),
            prompt: custom.prompt.clone(),
            output: match custom.output {
                ActionOutput::Replace => Output::Replace,
                ActionOutput::InsertBefore => Output::InsertBefore,
                ActionOutput::InsertAfter => Output::InsertAfter,
                ActionOutput::Message => Output::Message,
            },
        }
    }

    /// Whether the answer is code for the document (else prose for the user).
    pub fn writes_code(&self) -> bool {
        self.output != Output::Message
    }
}

/// Every action, built-in first, in menu order.
pub fn all(custom: &[CustomAction]) -> Vec<ActionDef> {
    let mut actions = vec![
        ActionDef::builtin(
            "fix",
            "AI: Fix: {diagnostic}",
            "quickfix",
            Scope::Diagnostic,
            "Fix this problem in {path}:\n{diagnostics}\n\nRewrite the code below with the problem fixed. Change only what the fix needs; keep everything else exactly as it is.\n\n{code_block}",
            Output::Replace,
        ),
        ActionDef::builtin(
            "comment",
            "AI: Do what the comment says: {instruction}",
            "refactor.rewrite",
            Scope::Comment,
            "Do this to the code below: \"{instruction}\". If the code holds an instruction comment that asks for it, remove that comment; keep every other comment and everything else as it is.\n\n{code_block}",
            Output::Replace,
        ),
        ActionDef::builtin(
            "document",
            "AI: Document {symbol}",
            "refactor.rewrite",
            Scope::Symbol,
            "Add documentation to {symbol} below, in the usual convention for {language} (a docstring, a doc comment), describing what it does, its parameters and what it returns. Do not change any code. Return the whole code below with the documentation added.\n\n{code_block}",
            Output::Replace,
        ),
        ActionDef::builtin(
            "improve",
            "AI: Improve and simplify {symbol}",
            "refactor.rewrite",
            Scope::Selection,
            "Improve the code below: make it simpler, clearer and more idiomatic {language} without changing what it does. Keep its name and signature. Return the whole rewritten code.\n\n{code_block}",
            Output::Replace,
        ),
        ActionDef::builtin(
            "tests",
            "AI: Write tests for {symbol}",
            "refactor",
            Scope::Function,
            "Write unit tests for {symbol} below, in {language}, with the usual test framework and conventions ({test_place}). Cover the normal cases and the edge cases. Return only the test code, complete with the imports it needs.\n\n{code_block}",
            Output::TestFile,
        ),
        ActionDef::builtin(
            "explain",
            "AI: Explain {symbol}",
            "refactor",
            Scope::Selection,
            "Explain what the code below does, for a programmer who is about to change it: its purpose, how it works, and anything surprising. Answer in Markdown, briefly.\n\n{code_block}",
            Output::Message,
        ),
    ];
    actions.extend(custom.iter().map(ActionDef::custom));
    actions
}

/// The action with this id.
pub fn find(custom: &[CustomAction], id: &str) -> Option<ActionDef> {
    all(custom).into_iter().find(|action| action.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_ids_are_the_catalogs() {
        let ids: Vec<String> = all(&[]).into_iter().map(|action| action.id).collect();
        assert_eq!(ids, BUILTIN_IDS);
        for action in all(&[]) {
            assert_eq!(crate::actions::prompt::unknown_variable(&action.prompt), None, "{}", action.id);
            assert!(action.title.starts_with("AI: "), "{}", action.title);
        }
    }
}
