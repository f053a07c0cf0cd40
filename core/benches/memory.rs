//! Memory held for open documents: resident set growth after opening 50 files of 2,000 lines and
//! asking for each one's syntax tree once (as a completion would), with the store's default
//! bound on trees kept. Prints one figure; run with `cargo bench -p switchboard-core --bench memory`.

use switchboard_core::documents::{DocumentStore, StoreLimits};

#[allow(clippy::print_stdout, reason = "a bench reports on stdout")]
fn main() {
    let store = DocumentStore::new(StoreLimits::default());
    let files: Vec<String> = (0..50).map(file_of_2000_lines).collect();
    let before = rss_kib();
    for (idx, text) in files.iter().enumerate() {
        let uri = format!("file:///bench/file{idx}.rs");
        store.open(&uri, "rust", 1, text);
        store.snapshot_with_syntax(&uri);
    }
    let after = rss_kib();
    println!(
        "memory: 50 files x 2,000 lines: RSS grew by {:.1} MiB ({} trees kept, {} bytes of text)",
        (after.saturating_sub(before)) as f64 / 1024.0,
        store.n_trees(),
        files.iter().map(String::len).sum::<usize>()
    );
}

fn file_of_2000_lines(seed: usize) -> String {
    let mut source = String::new();
    let mut idx = 0;
    while source.lines().count() < 2_000 {
        source.push_str(&format!(
            "pub fn f{seed}_{idx}(x: usize) -> usize {{\n    let y = x * {idx};\n    if y > 10 {{\n        return y - 1;\n    }}\n    y + {seed}\n}}\n\n"
        ));
        idx += 1;
    }
    source
}

fn rss_kib() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS:"))
                .and_then(|line| line.split_whitespace().nth(1).and_then(|value| value.parse().ok()))
        })
        .unwrap_or(0)
}
