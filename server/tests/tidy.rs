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
