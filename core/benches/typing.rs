//! Per-keystroke cost: one single-character `didChange` on a 20,000-line file, through the
//! document store, with the syntax tree present (so the tree edit is included) — everything the
//! server does when a key is typed. Parsing is deferred until a feature needs the tree, so it is
//! measured by the `context` bench instead.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use switchboard_core::documents::{ContentChange, DocumentStore, LineCol, PositionEncoding, Range, StoreLimits};

/// A Rust file of `n_lines` lines with nested items, like real code.
pub fn rust_source(n_lines: usize) -> String {
    let mut source = String::from("use std::collections::HashMap;\nuse std::fmt;\n\n");
    let mut idx = 0;
    while source.lines().count() < n_lines {
        source.push_str(&format!(
            "/// Item {idx}.\npub struct Item{idx} {{\n    name: String,\n    count: usize,\n}}\n\nimpl Item{idx} {{\n    pub fn total(&self, extra: usize) -> usize {{\n        let mut sum = self.count;\n        for step in 0..extra {{\n            sum += step * 2;\n        }}\n        sum\n    }}\n}}\n\n"
        ));
        idx += 1;
    }
    source
}

fn typing(c: &mut Criterion) {
    let source = rust_source(20_000);
    let uri = "file:///bench/big.rs";
    let store = DocumentStore::new(StoreLimits::default());
    store.open(uri, "rust", 1, &source);
    store.snapshot_with_syntax(uri);
    let at = LineCol::new(10_000, 8);
    let insert = [ContentChange::replace(Range::new(at, at), "x")];
    let delete = [ContentChange::replace(Range::new(at, LineCol::new(10_000, 9)), "")];
    let mut version = 1;
    c.bench_function("keystroke: one-character edit, 20k-line file (insert + delete)", |b| {
        b.iter(|| {
            version += 2;
            store.change(uri, version, black_box(&insert), PositionEncoding::Utf16).ok();
            store.change(uri, version + 1, black_box(&delete), PositionEncoding::Utf16).ok();
        });
    });
}

criterion_group!(benches, typing);
criterion_main!(benches);
