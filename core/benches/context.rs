//! Context extraction cost on a large file: the cursor at line 10,000 of a 20,000-line Rust file,
//! deep in a method, with the syntax tree already parsed (as the completion path gets it from
//! `DocumentStore::snapshot_with_syntax`), and the same file without a tree (the fallbacks).
//! Run with `cargo bench -p switchboard-core --bench context`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use switchboard_core::context::{ContextBudget, extract};
use switchboard_core::documents::{Document, DocumentSnapshot};

/// A Rust file of about `n_lines` lines of nested items, imports at the top.
fn rust_source(n_lines: usize) -> String {
    let mut source = String::from("use std::collections::HashMap;\nuse std::fmt;\nuse std::io::{self, Write};\n\n");
    let mut idx = 0;
    let mut n_written = 4;
    while n_written < n_lines {
        source.push_str(&format!(
            "/// Item {idx}.\npub struct Item{idx} {{\n    name: String,\n    count: usize,\n}}\n\nimpl Item{idx} {{\n    pub fn total(&self, extra: usize) -> usize {{\n        let mut sum = self.count;\n        for step in 0..extra {{\n            sum += step * 2;\n        }}\n        sum\n    }}\n}}\n\n"
        ));
        n_written += 16;
        idx += 1;
    }
    source
}

fn context(c: &mut Criterion) {
    let source = rust_source(20_000);
    let with_tree = DocumentSnapshot::from_text("file:///bench/big.rs", "rust", &source);
    assert!(with_tree.tree().is_some(), "the bench needs a parsed tree");
    let without_tree = Document::new("file:///bench/big.rs", "rust", 1, &source).snapshot();
    // Line 10,000 falls somewhere in an item; put the cursor after `sum += step * 2;` nearby.
    let line_10k = with_tree.rope().line_to_byte(10_000);
    let cursor = source[line_10k..].find("sum += step * 2;").map_or(line_10k, |idx| line_10k + idx + 16);

    for max_tokens in [1024, 4096] {
        let budget = ContextBudget::new(max_tokens);
        c.bench_function(&format!("context: line 10k of 20k, tree, {max_tokens} tokens"), |b| {
            b.iter(|| extract(black_box(&with_tree), black_box(cursor), budget));
        });
        c.bench_function(&format!("context: line 10k of 20k, no tree, {max_tokens} tokens"), |b| {
            b.iter(|| extract(black_box(&without_tree), black_box(cursor), budget));
        });
    }
}

criterion_group!(benches, context);
criterion_main!(benches);
