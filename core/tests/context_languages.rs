//! Context extraction snapshots, one fixture per supported language (and plain text): imports at
//! the top, the cursor `<|>` deep inside a nested scope, and a budget small enough that the window
//! is cut, so each snapshot shows the enclosing signatures recovered from far above the window.
//!
//! The snapshots under `snapshots/` are the spec; review changes with `cargo insta review`.

#[path = "context_support/fixture.rs"]
mod fixture;

use switchboard_core::context::{CompletionContext, ContextBudget, extract};
use switchboard_core::text::bytes_for_tokens;

/// Small enough to cut every fixture: about 560 bytes in all.
const BUDGET_TOKENS: usize = 160;

/// Extracts the context at the fixture's cursor, checks the invariants every context keeps, and
/// compares the rendering with the snapshot `name`.
fn check(name: &str, uri: &str, language_id: &str, fixture: &str) {
    check_with_budget(name, uri, language_id, fixture, BUDGET_TOKENS);
}

fn check_with_budget(name: &str, uri: &str, language_id: &str, fixture: &str, max_tokens: usize) {
    let (snapshot, cursor) = fixture::snapshot(uri, language_id, fixture);
    let context = extract(&snapshot, cursor, ContextBudget::new(max_tokens));
    assert_invariants(&snapshot.text(), &context, max_tokens);
    insta::with_settings!({
        description => format!("{language_id} fixture {uri}, budget {max_tokens} tokens"),
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, context.render());
    });
}

/// What holds for every context: within budget, windows are the document's text at the reported
/// offsets, whole lines when not cut, and nothing shown twice.
fn assert_invariants(text: &str, context: &CompletionContext, max_tokens: usize) {
    let window = &context.window;
    assert!(context.n_bytes() <= bytes_for_tokens(max_tokens), "over budget: {}", context.n_bytes());
    assert_eq!(context.prefix, text[window.prefix_start.byte_offset..window.cursor.byte_offset]);
    assert_eq!(context.suffix, text[window.cursor.byte_offset..window.suffix_end.byte_offset]);
    let start = window.prefix_start.byte_offset;
    assert!(start == 0 || text[..start].ends_with(['\n', '\r']), "prefix starts mid-line");
    let end = window.suffix_end.byte_offset;
    assert!(end == text.len() || text[..end].ends_with(['\n', '\r']), "suffix ends mid-line");
    assert_eq!(context.truncated.prefix, start > 0);
    assert_eq!(context.truncated.suffix, end < text.len());
    for scope in &context.scopes {
        assert!(scope.line < window.prefix_start.line, "scope inside the window: {scope:?}");
    }
    for import in &context.imports {
        assert!(import.line < window.prefix_start.line, "import inside the window: {import:?}");
    }
}

#[test]
fn fixture_markers_are_exactly_one() {
    assert!(fixture::parse("no marker").is_err());
    assert!(fixture::parse("a<|>b<|>c").is_err());
    let parsed = fixture::parse("ab<|>c").map(|parsed| (parsed.text, parsed.cursor));
    assert_eq!(parsed, Ok(("abc".to_owned(), 2)));
}

#[test]
fn rust() {
    check(
        "rust",
        "file:///src/canvas.rs",
        "rust",
        r#"use std::collections::HashMap;
use std::fmt::{self, Display};
use crate::geometry::Point;

/// A shape that can be drawn.
pub trait Shape {
    fn area(&self) -> f64;
}

pub struct Canvas {
    shapes: Vec<Box<dyn Shape>>,
    names: HashMap<String, usize>,
}

impl Display for Canvas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "canvas with {} shapes", self.shapes.len())
    }
}

impl Canvas {
    pub fn new() -> Self {
        Self { shapes: Vec::new(), names: HashMap::new() }
    }

    pub fn total_area(&self, scale: f64) -> f64 {
        let mut total = 0.0;
        for shape in &self.shapes {
            let area = shape.area();
            if area.is_nan() {
                continue;
            }
            total += area * scale;
        }
        let origin = Point::default();
        let count = self.shapes.len();
        let average = if count == 0 { 0.0 } else { total / count as f64 };
        let named = self.names.len();
        tracing::debug!(?origin, average, named, "summed");
        let ratio = average / scale;
        <|>
        total
    }

    pub fn clear(&mut self) {
        self.shapes.clear();
    }
}
"#,
    );
}

#[test]
fn python() {
    check(
        "python",
        "file:///app/inventory.py",
        "python",
        r#"import os
from dataclasses import dataclass, field
from typing import Iterable

DEFAULT_LIMIT = 10


@dataclass
class Inventory:
    """Items on hand, by name."""

    items: dict[str, int] = field(default_factory=dict)
    limit: int = DEFAULT_LIMIT

    def add(self, name: str, count: int = 1) -> None:
        self.items[name] = self.items.get(name, 0) + count

    def restock(self, names: Iterable[str], path: str) -> list[str]:
        missing = []
        for name in names:
            count = self.items.get(name, 0)
            if count >= self.limit:
                continue
            if not os.path.exists(path):
                missing.append(name)
                continue
            self.add(name, self.limit - count)
        missing.sort()
        report = ", ".join(missing)
        total = sum(self.items.values())
        print(report, total)
        <|>
        return missing

    def clear(self) -> None:
        self.items.clear()


def main() -> None:
    inventory = Inventory()
    inventory.add("apple")
"#,
    );
}

#[test]
fn javascript() {
    check(
        "javascript",
        "file:///src/queue.js",
        "javascript",
        r#"import { readFile } from "node:fs/promises";
import path from "node:path";
const { EventEmitter } = require("node:events");

export class TaskQueue extends EventEmitter {
  constructor(limit = 4) {
    super();
    this.limit = limit;
    this.running = 0;
    this.queue = [];
  }

  push(task) {
    this.queue.push(task);
    this.next();
  }

  async loadAll(directory, names) {
    const results = [];
    for (const name of names) {
      const file = path.join(directory, name);
      try {
        const text = await readFile(file, "utf8");
        results.push({ name, text });
      } catch (error) {
        this.emit("error", error);
      }
    }
    results.sort((a, b) => a.name.localeCompare(b.name));
    const sizes = results.map((r) => r.text.length);
    const total = sizes.reduce((a, b) => a + b, 0);
    this.emit("loaded", total);
    <|>
    return results;
  }

  next() {
    while (this.running < this.limit && this.queue.length > 0) {
      this.running += 1;
    }
  }
}
"#,
    );
}

#[test]
fn typescript() {
    check(
        "typescript",
        "file:///src/cache.ts",
        "typescript",
        r#"import { EventEmitter } from "node:events";
import type { Logger } from "./logger";
import * as path from "node:path";

interface CacheEntry<T> {
  value: T;
  expiresAt: number;
}

export class Cache<T> extends EventEmitter {
  private entries = new Map<string, CacheEntry<T>>();

  constructor(private readonly ttlMs: number, private readonly logger: Logger) {
    super();
  }

  get(key: string): T | undefined {
    return this.entries.get(key)?.value;
  }

  public prune(now: number, prefix?: string): number {
    let removed = 0;
    for (const [key, entry] of this.entries) {
      if (prefix && !key.startsWith(prefix)) {
        continue;
      }
      if (entry.expiresAt <= now) {
        this.entries.delete(key);
        removed += 1;
      }
    }
    const base = path.basename(prefix ?? "");
    this.logger.info(`pruned ${removed} under ${base}`);
    this.emit("pruned", removed);
    const left = this.entries.size;
    <|>
    return removed;
  }

  clear(): void {
    this.entries.clear();
  }
}
"#,
    );
}

#[test]
fn tsx() {
    check(
        "tsx",
        "file:///src/UserList.tsx",
        "typescriptreact",
        r#"import React, { useState, useEffect } from "react";
import type { User } from "./types";
import { fetchUsers } from "./api";

type Props = {
  team: string;
  onSelect: (user: User) => void;
};

export function UserList({ team, onSelect }: Props) {
  const [users, setUsers] = useState<User[]>([]);
  const [filter, setFilter] = useState("");

  useEffect(() => {
    let cancelled = false;
    fetchUsers(team).then((loaded) => {
      if (!cancelled) {
        setUsers(loaded);
      }
    });
    return () => {
      cancelled = true;
    };
  }, [team]);

  const visible = users.filter((user) => user.name.includes(filter));
  const sorted = [...visible].sort((a, b) => a.name.localeCompare(b.name));
  const title = `${team}: ${sorted.length} users`;

  const renderUser = (user: User) => {
    const label = user.name.trim();
    const initials = label
      .split(" ")
      .map((part) => part[0])
      .join("");
    const selected = user.id === sorted[0]?.id;
    const className = selected ? "user selected" : "user";
    <|>
    return (
      <li key={user.id} className={className} onClick={() => onSelect(user)}>
        {initials} {label}
      </li>
    );
  };

  return <ul title={title}>{sorted.map(renderUser)}</ul>;
}
"#,
    );
}

#[test]
fn go() {
    check(
        "go",
        "file:///inventory/store.go",
        "go",
        r#"package inventory

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

var ErrEmpty = errors.New("empty name")

type Store struct {
	items map[string]int
	limit int
}

func NewStore(limit int) *Store {
	return &Store{items: map[string]int{}, limit: limit}
}

func (s *Store) Restock(names []string, prefix string) ([]string, error) {
	var missing []string
	for _, name := range names {
		if name == "" {
			return nil, ErrEmpty
		}
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		count := s.items[name]
		if count >= s.limit {
			continue
		}
		s.items[name] = s.limit
		missing = append(missing, name)
	}
	fmt.Println(strings.Join(missing, ", "))
	sort.Slice(missing, func(i, j int) bool {
		left, right := missing[i], missing[j]
		if len(left) != len(right) {
			return len(left) < len(right)
		}
		<|>
	})
	return missing, nil
}

func (s *Store) Clear() {
	s.items = map[string]int{}
}
"#,
    );
}

#[test]
fn c() {
    check(
        "c",
        "file:///src/buffer.c",
        "c",
        r#"#include <stdio.h>
#include <stdlib.h>
#include "buffer.h"

#define DEFAULT_CAPACITY 16

struct buffer {
    char *data;
    size_t len;
    size_t capacity;
};

static int buffer_grow(struct buffer *buf, size_t extra) {
    size_t wanted = buf->len + extra;
    if (wanted <= buf->capacity) {
        return 0;
    }
    size_t capacity = buf->capacity ? buf->capacity : DEFAULT_CAPACITY;
    while (capacity < wanted) {
        capacity *= 2;
    }
    char *data = realloc(buf->data, capacity);
    if (data == NULL) {
        fprintf(stderr, "out of memory\n");
        return -1;
    }
    buf->data = data;
    buf->capacity = capacity;
    <|>
    return 0;
}

int buffer_append(struct buffer *buf, const char *text, size_t len) {
    if (buffer_grow(buf, len) != 0) {
        return -1;
    }
    return 0;
}
"#,
    );
}

#[test]
fn cpp() {
    check(
        "cpp",
        "file:///src/polygon.cpp",
        "cpp",
        r#"#include <string>
#include <vector>
#include "shape.hpp"

using std::string;

namespace geometry {

class Polygon : public Shape {
public:
    explicit Polygon(std::vector<Point> points) : points_(std::move(points)) {}

    double area() const override {
        double sum = 0.0;
        for (size_t i = 0; i < points_.size(); ++i) {
            const Point& a = points_[i];
            const Point& b = points_[(i + 1) % points_.size()];
            sum += a.x * b.y - b.x * a.y;
        }
        return sum / 2.0;
    }

    string describe(int precision) const {
        string out = "polygon(";
        for (const Point& point : points_) {
            out += std::to_string(point.x);
            out += ",";
            out += std::to_string(point.y);
            out += " ";
        }
        out += ")";
        if (precision > 2) {
            out += " precise";
        }
        <|>
        return out;
    }

private:
    std::vector<Point> points_;
};

}  // namespace geometry
"#,
    );
}

#[test]
fn java() {
    check(
        "java",
        "file:///src/main/java/com/example/inventory/Inventory.java",
        "java",
        r#"package com.example.inventory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

public class Inventory {
    private final Map<String, Integer> items;
    private final int limit;

    public Inventory(Map<String, Integer> items, int limit) {
        this.items = items;
        this.limit = limit;
    }

    public List<String> restock(List<String> names, String prefix) {
        List<String> missing = new ArrayList<>();
        for (String name : names) {
            if (!name.startsWith(prefix)) {
                continue;
            }
            int count = items.getOrDefault(name, 0);
            if (count >= limit) {
                continue;
            }
            items.put(name, limit);
            missing.add(name);
        }
        missing.sort(String::compareTo);
        String summary = String.join(", ", missing);
        System.out.println(summary);
        <|>
        return missing;
    }

    public void clear() {
        items.clear();
    }
}
"#,
    );
}

#[test]
fn c_sharp() {
    check(
        "c_sharp",
        "file:///src/Inventory/Store.cs",
        "csharp",
        r#"using System;
using System.Collections.Generic;
using System.Linq;

namespace Example.Inventory
{
    public class Store
    {
        private readonly Dictionary<string, int> items = new();
        private readonly int limit;

        public Store(int limit)
        {
            this.limit = limit;
        }

        public List<string> Restock(IEnumerable<string> names, string prefix)
        {
            var missing = new List<string>();
            foreach (var name in names)
            {
                if (!name.StartsWith(prefix))
                {
                    continue;
                }
                items.TryGetValue(name, out var count);
                if (count >= limit)
                {
                    continue;
                }
                items[name] = limit;
                missing.Add(name);
            }
            <|>
            return missing.OrderBy(n => n).ToList();
        }
    }
}
"#,
    );
}

#[test]
fn ruby() {
    check(
        "ruby",
        "file:///lib/shop/inventory.rb",
        "ruby",
        r#"require "json"
require_relative "store/item"

module Shop
  class Inventory
    attr_reader :items

    def initialize(limit = 10)
      @items = {}
      @limit = limit
    end

    def restock(names, prefix)
      missing = []
      names.each do |name|
        next unless name.start_with?(prefix)

        count = @items.fetch(name, 0)
        next if count >= @limit

        @items[name] = @limit
        missing << name
      end
      missing.sort!
      summary = missing.join(", ")
      puts summary
      log = JSON.generate(missing)
      <|>
      missing
    end

    def clear
      @items.clear
    end
  end
end
"#,
    );
}

#[test]
fn php() {
    check(
        "php",
        "file:///src/Inventory/Store.php",
        "php",
        r#"<?php

namespace App\Inventory;

use App\Models\Item;
use Illuminate\Support\Collection;
require_once __DIR__ . '/helpers.php';

class Store
{
    private array $items = [];

    public function __construct(private int $limit = 10)
    {
    }

    public function restock(array $names, string $prefix): array
    {
        $missing = [];
        foreach ($names as $name) {
            if (!str_starts_with($name, $prefix)) {
                continue;
            }
            $count = $this->items[$name] ?? 0;
            if ($count >= $this->limit) {
                continue;
            }
            $this->items[$name] = $this->limit;
            $missing[] = $name;
        }
        sort($missing);
        $summary = implode(', ', $missing);
        <|>
        return $missing;
    }
}
"#,
    );
}

#[test]
fn lua() {
    check(
        "lua",
        "file:///lua/inventory.lua",
        "lua",
        r#"local json = require("json")
local util = require("inventory.util")

local Inventory = {}
Inventory.__index = Inventory

function Inventory.new(limit)
  local self = setmetatable({}, Inventory)
  self.items = {}
  self.limit = limit or 10
  return self
end

function Inventory:restock(names, prefix)
  local missing = {}
  local skipped = 0
  local total = 0
  for _, count in pairs(self.items) do
    total = total + count
  end
  local function visit(name)
    if not util.starts_with(name, prefix) then
      skipped = skipped + 1
      return
    end
    local count = self.items[name] or 0
    if count < self.limit then
      self.items[name] = self.limit
      table.insert(missing, name)
    end
    <|>
  end
  for _, name in ipairs(names) do
    visit(name)
  end
  return missing, json.encode(missing)
end

return Inventory
"#,
    );
}

#[test]
fn bash() {
    check(
        "bash",
        "file:///scripts/backup.sh",
        "shellscript",
        r#"#!/usr/bin/env bash
set -euo pipefail
source ./lib/common.sh
. "$HOME/.config/backup.env"

readonly TARGET="${1:-/tmp/backup}"

log() {
  printf '%s %s\n' "$(date +%T)" "$*" >&2
}

backup_dir() {
  local dir="$1"
  local name
  name="$(basename "$dir")"
  if [[ ! -d "$dir" ]]; then
    log "skipping $dir"
    return 0
  fi
  for file in "$dir"/*; do
    if [[ -f "$file" ]]; then
      cp "$file" "$TARGET/$name/"
    fi
  done
  tar -czf "$TARGET/$name.tar.gz" -C "$TARGET" "$name"
  rm -rf "${TARGET:?}/$name"
  log "saved $name"
  <|>
}

main() {
  mkdir -p "$TARGET"
  for dir in "$@"; do
    backup_dir "$dir"
  done
}

main "$@"
"#,
    );
}

#[test]
fn kotlin() {
    check(
        "kotlin",
        "file:///src/main/kotlin/Inventory.kt",
        "kotlin",
        r#"package com.example.inventory

import kotlin.math.max
import java.util.concurrent.ConcurrentHashMap

class Inventory(private val limit: Int) {
    private val items = ConcurrentHashMap<String, Int>()

    fun add(name: String, count: Int = 1) {
        items.merge(name, count, Int::plus)
    }

    fun restock(names: List<String>, prefix: String): List<String> {
        val missing = mutableListOf<String>()
        names.filter { it.startsWith(prefix) }.forEach { name ->
            val count = items.getOrDefault(name, 0)
            if (count < limit) {
                items[name] = max(limit, count)
                missing += name
            }
        }
        missing.sort()
        val summary = missing.joinToString(", ")
        println(summary)
        val total = items.values.sum()
        println(total)
        <|>
        return missing
    }

    companion object {
        const val DEFAULT_LIMIT = 10
    }
}
"#,
    );
}

#[test]
fn swift() {
    check(
        "swift",
        "file:///Sources/Inventory/Inventory.swift",
        "swift",
        r#"import Foundation
import Combine

protocol Shape {
    var area: Double { get }
}

final class Inventory {
    private var items: [String: Int] = [:]
    private let limit: Int

    init(limit: Int = 10) {
        self.limit = limit
    }

    func restock(_ names: [String], prefix: String) -> [String] {
        var missing: [String] = []
        for name in names where name.hasPrefix(prefix) {
            let count = items[name, default: 0]
            guard count < limit else {
                continue
            }
            items[name] = limit
            missing.append(name)
        }
        missing.sort()
        let summary = missing.joined(separator: ", ")
        print(summary)
        let total = items.values.reduce(0, +)
        print(total)
        <|>
        return missing
    }
}
"#,
    );
}

#[test]
fn json() {
    check(
        "json",
        "file:///app/package.json",
        "json",
        r#"{
  "name": "switchboard-fixture",
  "version": "1.0.0",
  "scripts": {
    "build": "tsc -p .",
    "test": "vitest run"
  },
  "dependencies": {
    "react": "^18.2.0",
    "react-dom": "^18.2.0"
  },
  "config": {
    "server": {
      "host": "localhost",
      "port": 8080,
      "tls": false,
      "workers": 8,
      "backlog": 1024,
      "compression": "gzip",
      "cors": ["https://example.com"],
      "timeouts": {
        "connect": 5,
        "read": 30,
        "write": 30,
        "idle": 60,
        "shutdown": 10,
        "keepalive": 75,
        "handshake": 15,
        "drain": 20,
        "retry": 3,
        "backoff": 2,
        "jitter": 1,
        "linger": 5,
        "probe": 12,
        "grace": <|>
      }
    }
  }
}
"#,
    );
}

/// TOML lines are short, so a smaller budget is needed to cut the window inside a table.
#[test]
fn toml() {
    check_with_budget(
        "toml",
        "file:///app/Cargo.toml",
        "toml",
        r#"[package]
name = "switchboard-fixture"
version = "0.1.0"
edition = "2024"

[dependencies]
serde = { version = "1", features = ["derive"] }
tokio = { version = "1", features = ["full"] }
tracing = "0.1"

[dev-dependencies]
insta = { version = "1", features = ["yaml"] }
proptest = "1"

[features]
default = ["std"]
std = []

[profile.release]
lto = "thin"
codegen-units = 4
strip = true
debug = false
incremental = false
opt-level = 3
panic = "abort"
overflow-checks = false
rpath = false
split-debuginfo = "off"
debug-assertions = false
trim-paths = true
codegen-backend = "llvm"
frame-pointers = "may-omit"
# Keep symbols for profiling; strip only in packaging.
strip-debuginfo = false
lto-jobs = 8
linker-plugin-lto = false
instrument-coverage = false
<|>

[workspace]
members = ["core"]
"#,
        100,
    );
}

#[test]
fn yaml() {
    check(
        "yaml",
        "file:///.github/workflows/ci.yml",
        "yaml",
        r#"name: ci
on:
  push:
    branches: [main]
jobs:
  test:
    runs-on: ubuntu-latest
    env:
      CARGO_TERM_COLOR: always
    steps:
      - uses: actions/checkout@v4
      - name: Install toolchain
        uses: dtolnay/rust-toolchain@stable
        with:
          toolchain: stable
          components: clippy, rustfmt
      - name: Build
        run: cargo build --workspace
      - name: Test
        run: |
          cargo test --workspace
          cargo test --doc
        env:
          RUST_BACKTRACE: 1
          INSTA_UPDATE: "no"
          RUST_LOG: <|>
      - name: Lint
        run: cargo clippy -- -D warnings
"#,
    );
}

#[test]
fn html() {
    check(
        "html",
        "file:///static/inventory.html",
        "html",
        r#"<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Inventory</title>
  <link rel="stylesheet" href="/static/site.css">
  <script src="/static/app.js" defer></script>
</head>
<body>
  <main id="inventory">
    <h1>Inventory</h1>
    <table class="items">
      <thead>
        <tr><th>Name</th><th>Count</th></tr>
      </thead>
      <tbody>
        <tr><td>Apples</td><td>12</td></tr>
        <tr><td>Pears</td><td>3</td></tr>
        <tr><td>Plums</td><td>0</td></tr>
        <tr><td>Figs</td><td>7</td></tr>
        <tr><td>Kiwis</td><td>9</td></tr>
        <tr>
          <td>Limes</td>
          <td><|></td>
        </tr>
      </tbody>
    </table>
  </main>
</body>
</html>
"#,
    );
}

#[test]
fn css() {
    check(
        "css",
        "file:///static/site.css",
        "css",
        r#"@charset "utf-8";
@import url("reset.css");
@import url("theme.css") screen;

:root {
  --accent: #3366ff;
  --gap: 8px;
}

body {
  margin: 0;
  font-family: system-ui, sans-serif;
}

@media (min-width: 768px) {
  .inventory {
    display: grid;
    grid-template-columns: 1fr 1fr;
    gap: var(--gap);
    padding: calc(var(--gap) * 2);
    border: 1px solid var(--accent);
    border-radius: 4px;
    background: white;
    color: #222;
    font-size: 14px;
    line-height: 1.4;
    box-shadow: 0 1px 2px rgba(0, 0, 0, 0.2);
    transition: background 120ms ease-in-out;
    overflow: hidden;
    <|>
  }

  .inventory h1 {
    grid-column: 1 / -1;
  }
}
"#,
    );
}

/// Plain text has no imports; the indentation fallback still finds the heading above a list.
#[test]
fn plain_text() {
    check(
        "plain_text",
        "file:///notes/release.txt",
        "plaintext",
        r#"Release checklist
=================

Before tagging:
  - update CHANGELOG.md with every merged change since the last tag
  - bump the version in every Cargo.toml of the workspace
  - run the full test suite, including the slow end-to-end tests
  - build the VS Code extension and install it locally
  - try completions in Rust, Python and TypeScript files
  - check that the release notes mention breaking changes
  - ask a second person to review the changelog
  - check the minimum supported Rust version still builds
  - regenerate the configuration reference from the schema
  - <|>

After tagging:
  - publish the crates in dependency order
  - upload the extension to the marketplace
"#,
    );
}

/// A language without a grammar: no tree, so scopes come from indentation (and imports, which
/// need a known language, are left out).
#[test]
fn language_without_grammar() {
    check(
        "language_without_grammar",
        "file:///src/inventory.zig",
        "zig",
        r#"const std = @import("std");

pub const Inventory = struct {
    items: std.StringHashMap(u32),
    limit: u32,

    pub fn restock(self: *Inventory, names: []const []const u8) !u32 {
        var added: u32 = 0;
        for (names) |name| {
            const entry = try self.items.getOrPut(name);
            if (!entry.found_existing) {
                entry.value_ptr.* = 0;
            }
            if (entry.value_ptr.* < self.limit) {
                entry.value_ptr.* = self.limit;
                added += 1;
            }
        }
        std.debug.print("added {}\n", .{added});
        <|>
        return added;
    }
};
"#,
    );
}
