//! Tidy checks on the source tree: module headers, layer boundaries, and docs that must match
//! the code.

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name == "target" || name == "snapshots") {
                continue;
            }
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

fn sources(relative: &str) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    rust_files(&workspace_root().join(relative), &mut files);
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("read source");
            (path, text)
        })
        .collect()
}

#[test]
fn every_rust_file_starts_with_a_module_doc() {
    let mut missing = Vec::new();
    for dir in ["core", "providers", "server", "tests"] {
        for (path, text) in sources(dir) {
            if !text.trim_start().starts_with("//!") {
                missing.push(path.display().to_string());
            }
        }
    }
    assert!(missing.is_empty(), "files without a `//!` header:\n{}", missing.join("\n"));
}

#[test]
fn only_the_lsp_layer_knows_lsp_types() {
    let mut offenders = Vec::new();
    for dir in ["core", "providers", "server/src"] {
        for (path, text) in sources(dir) {
            let in_lsp = path.components().any(|c| c.as_os_str() == "lsp") || path.ends_with("server/src/lsp.rs");
            if !in_lsp && (text.contains("tower_lsp_server") || text.contains("gen_lsp_types")) {
                offenders.push(path.display().to_string());
            }
        }
    }
    assert!(offenders.is_empty(), "LSP types outside server/src/lsp:\n{}", offenders.join("\n"));
}

/// The layers inside `server/src`, bottom up: each top-level module and the crate modules it may
/// name (`crate::<module>`). Features (`completion`, `actions`) stand beside each other and
/// know nothing of LSP; only `lsp` serves the editor; the CLI commands (`doctor`,
/// `complete_cli`) sit beside it and `lsp` never uses them. Tests inside a module
/// (`#[cfg(test)] mod tests`) may reach higher, to build what they check.
const SERVER_LAYERS: &[(&str, &[&str])] = &[
    ("config", &[]),
    ("runtime", &["config"]),
    ("completion", &["config", "runtime"]),
    ("actions", &["config", "runtime"]),
    ("provider_chains", &["config", "runtime", "completion", "actions"]),
    ("doctor", &["config", "runtime", "provider_chains"]),
    ("complete_cli", &["config", "runtime", "completion", "provider_chains"]),
    ("lsp", &["config", "runtime", "completion", "actions", "provider_chains"]),
];

/// Paths a layer may name although their module is above it, each with why.
const LAYER_EXCEPTIONS: &[(&str, &str)] = &[
    // Validation tells a custom action that takes a built-in's id, or names a prompt variable
    // that does not exist, in the user's terms; the vocabulary is the actions feature's.
    ("config", "crate::actions::catalog::BUILTIN_IDS"),
    ("config", "crate::actions::prompt::unknown_variable"),
    ("config", "crate::actions::prompt::VARIABLES"),
];

/// The `crate::<module>` paths `text` names outside its `#[cfg(test)] mod tests`, in full
/// (`crate::a::b::C`).
fn crate_paths(text: &str) -> Vec<String> {
    let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    let mut paths = Vec::new();
    for (start, _) in code.match_indices("crate::") {
        if code[..start].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue; // `switchboard_crate::` and the like
        }
        let path: String =
            code[start..].chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
        paths.push(path.trim_end_matches(':').to_owned());
    }
    paths
}

/// The top-level module of a file under `server/src` (`lsp` for `lsp/handlers/did_open.rs`).
fn server_module(path: &Path) -> Option<String> {
    let relative = path.strip_prefix(workspace_root().join("server/src")).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    Some(first.trim_end_matches(".rs").to_owned())
}

#[test]
fn server_modules_use_only_the_layers_below_them() {
    let lib = std::fs::read_to_string(workspace_root().join("server/src/lib.rs")).expect("server/src/lib.rs");
    for module in lib.lines().filter_map(|line| line.strip_prefix("pub mod ")?.strip_suffix(';')) {
        assert!(
            SERVER_LAYERS.iter().any(|(layer, _)| *layer == module),
            "server/src/lib.rs declares `{module}`, which has no place in tidy.rs's SERVER_LAYERS"
        );
    }
    let mut offenders = Vec::new();
    for (path, text) in sources("server/src") {
        let Some(module) = server_module(&path) else { continue };
        let Some((_, allowed)) = SERVER_LAYERS.iter().find(|(layer, _)| *layer == module) else { continue };
        for used in crate_paths(&text) {
            let target = used.trim_start_matches("crate::").split("::").next().unwrap_or_default();
            let ok = target == module
                || allowed.contains(&target)
                || LAYER_EXCEPTIONS.iter().any(|(layer, exception)| *layer == module && used == *exception);
            if !ok {
                offenders.push(format!("{} uses {used}", path.display()));
            }
        }
    }
    offenders.sort();
    offenders.dedup();
    assert!(offenders.is_empty(), "layer violations inside server/src:\n{}", offenders.join("\n"));
}

#[test]
fn the_layering_check_sees_paths() {
    let text = "use crate::config::Config;\nfn f() { crate::lsp::convert::uri(x) }\n#[cfg(test)]\nmod tests {\n    use crate::doctor;\n}\n";
    assert_eq!(crate_paths(text), ["crate::config::Config", "crate::lsp::convert::uri"]);
}

#[test]
fn the_core_and_providers_stay_apart() {
    for (path, text) in sources("core") {
        assert!(
            !text.contains("switchboard_providers") && !text.contains("reqwest"),
            "{} uses the network layer",
            path.display()
        );
    }
    for (path, text) in sources("providers") {
        for forbidden in ["switchboard_core", "ropey", "tree_sitter"] {
            assert!(!text.contains(forbidden), "{} uses {forbidden}", path.display());
        }
    }
}

#[test]
fn lsp_extensions_doc_lists_every_custom_method() {
    let doc = std::fs::read_to_string(workspace_root().join("docs/lsp-extensions.md")).expect("docs/lsp-extensions.md");
    for (method, description) in switchboard::lsp::ext::METHODS {
        let line = format!("- `{method}`: {description}");
        assert!(doc.contains(&line), "docs/lsp-extensions.md lacks the line:\n{line}");
    }
    let documented = doc.lines().filter(|line| line.starts_with("- `switchboard/")).count();
    assert_eq!(documented, switchboard::lsp::ext::METHODS.len(), "docs list methods the server does not have");
}
