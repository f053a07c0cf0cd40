//! Every language in the registry, table-driven: detection by `languageId` and by extension, a
//! sample that parses without errors, a context query that compiles against its grammar, and the
//! scopes, imports and definitions it finds in the sample. Adding a language means adding a case.

use ropey::Rope;
use switchboard_core::documents::DocumentSnapshot;
use switchboard_core::syntax::{self, Language, languages, queries};
use tree_sitter::{Parser, Tree};

/// Marks the cursor in a sample; `$0` would be real syntax in shell, PHP and JS.
const CURSOR: &str = "<|>";

struct Case {
    name: &'static str,
    /// Every `languageId` editors send for it (checked against the registry both ways).
    language_ids: &'static [&'static str],
    /// A path whose extension alone selects the language.
    path: &'static str,
    /// A small program with one cursor marker, inside the innermost scope we expect.
    sample: &'static str,
    /// The signatures of the scopes enclosing the cursor, outermost first (whitespace-trimmed).
    signatures: &'static [&'static str],
    /// The text of the first `@import`, when the language has imports.
    first_import: Option<&'static str>,
    /// One name among the `@definition.name`s.
    definition: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "rust",
        language_ids: &["rust"],
        path: "/src/lib.rs",
        sample: r#"use std::fmt;
mod tests;

pub struct Point {
    x: i32,
}

impl Point {
    pub fn norm(&self) -> i32 {
        let y = 1;<|>
        self.x
    }
}
"#,
        signatures: &["impl Point", "pub fn norm(&self) -> i32"],
        first_import: Some("use std::fmt;"),
        definition: "Point",
    },
    Case {
        name: "python",
        language_ids: &["python"],
        path: "/pkg/mod.py",
        sample: r#"import os
from typing import List

class Greeter:
    @staticmethod
    def greet(name: str) -> str:
        value = name.upper()
        return value<|>

LIMIT = 3
"#,
        signatures: &["class Greeter:", "@staticmethod\n    def greet(name: str) -> str:"],
        first_import: Some("import os"),
        definition: "LIMIT",
    },
    Case {
        name: "javascript",
        language_ids: &["javascript", "javascriptreact"],
        path: "/web/app.jsx",
        sample: r#"import React from "react";
const fs = require("fs");

export class Counter extends React.Component {
  render() {
    return <div>{this.props.count}<|></div>;
  }
}

const add = (a, b) => {
  return a + b;
};
"#,
        signatures: &["export class Counter extends React.Component", "render()"],
        first_import: Some(r#"import React from "react";"#),
        definition: "add",
    },
    Case {
        name: "typescript",
        language_ids: &["typescript"],
        path: "/web/app.ts",
        sample: r#"import { readFile } from "fs";

interface Shape {
  area(): number;
}

export class Square implements Shape {
  constructor(private side: number) {}
  area(): number {
    return this.side * this.side<|>;
  }
}
"#,
        signatures: &["export class Square implements Shape", "area(): number"],
        first_import: Some(r#"import { readFile } from "fs";"#),
        definition: "Shape",
    },
    Case {
        name: "tsx",
        language_ids: &["typescriptreact"],
        path: "/web/App.tsx",
        sample: r#"import * as React from "react";

type Props = { name: string };

export function Hello(props: Props) {
  return <h1>Hello, {props.name}<|></h1>;
}
"#,
        signatures: &["export function Hello(props: Props)"],
        first_import: Some(r#"import * as React from "react";"#),
        definition: "Hello",
    },
    Case {
        name: "go",
        language_ids: &["go"],
        path: "/cmd/main.go",
        sample: r#"package main

import "fmt"

type Server struct {
	port int
}

func (s *Server) Start() error {
	fmt.Println(s.port<|>)
	return nil
}
"#,
        signatures: &["func (s *Server) Start() error"],
        first_import: Some("package main"),
        definition: "Server",
    },
    Case {
        name: "c",
        language_ids: &["c"],
        path: "/src/main.c",
        sample: r#"#include <stdio.h>

struct point {
    int x;
};

static int add(int a, int b) {
    return a + b<|>;
}
"#,
        signatures: &["static int add(int a, int b)"],
        first_import: Some("#include <stdio.h>"),
        definition: "add",
    },
    Case {
        name: "cpp",
        language_ids: &["cpp"],
        path: "/src/shape.cpp",
        sample: r#"#include <vector>

namespace geo {
class Shape {
public:
    virtual double area() const {
        return 0.0<|>;
    }
};
}
"#,
        signatures: &["namespace geo", "class Shape", "virtual double area() const"],
        first_import: Some("#include <vector>"),
        definition: "Shape",
    },
    Case {
        name: "java",
        language_ids: &["java"],
        path: "/src/App.java",
        sample: r#"package com.example;

import java.util.List;

public class App {
    public static void main(String[] args) {
        System.out.println(args<|>);
    }
}
"#,
        signatures: &["public class App", "public static void main(String[] args)"],
        first_import: Some("package com.example;"),
        definition: "main",
    },
    Case {
        name: "c_sharp",
        language_ids: &["csharp"],
        path: "/src/Program.cs",
        sample: r#"using System;

namespace Demo
{
    public class Program
    {
        public static void Main(string[] args)
        {
            Console.WriteLine(args<|>);
        }
    }
}
"#,
        signatures: &["namespace Demo", "public class Program", "public static void Main(string[] args)"],
        first_import: Some("using System;"),
        definition: "Program",
    },
    Case {
        name: "ruby",
        language_ids: &["ruby"],
        path: "/lib/greeter.rb",
        sample: r#"require "json"

module Greetings
  class Greeter
    def greet(name)
      puts name<|>
    end
  end
end
"#,
        signatures: &["module Greetings", "class Greeter", "def greet(name)"],
        first_import: Some(r#"require "json""#),
        definition: "Greeter",
    },
    Case {
        name: "php",
        language_ids: &["php"],
        path: "/src/User.php",
        sample: r#"<?php
namespace App;

use App\Models\Model;

class User extends Model
{
    public function name(): string
    {
        return $this->name<|>;
    }
}
"#,
        signatures: &["class User extends Model", "public function name(): string"],
        first_import: Some("namespace App;"),
        definition: "User",
    },
    Case {
        name: "lua",
        language_ids: &["lua"],
        path: "/lua/plugin.lua",
        sample: r#"local util = require("util")

local M = {}

function M.setup(opts)
  print(opts<|>)
end

return M
"#,
        signatures: &["function M.setup(opts)"],
        first_import: Some(r#"local util = require("util")"#),
        definition: "util",
    },
    Case {
        name: "bash",
        language_ids: &["shellscript", "sh", "bash", "zsh"],
        path: "/bin/run.sh",
        sample: r#"#!/bin/bash
source ./env.sh

NAME=world

greet() {
  echo "hello $NAME"<|>
}
"#,
        signatures: &["greet()"],
        first_import: Some("source ./env.sh"),
        definition: "greet",
    },
    Case {
        name: "kotlin",
        language_ids: &["kotlin"],
        path: "/src/Main.kt",
        sample: r#"package demo

import kotlin.math.max

class Counter(private var count: Int) {
    fun increment(): Int {
        count += 1<|>
        return count
    }
}
"#,
        signatures: &["class Counter(private var count: Int)", "fun increment(): Int"],
        first_import: Some("package demo"),
        definition: "Counter",
    },
    Case {
        name: "swift",
        language_ids: &["swift"],
        path: "/Sources/Counter.swift",
        sample: r#"import Foundation

struct Counter {
    var count = 0

    mutating func increment() -> Int {
        count += 1<|>
        return count
    }
}
"#,
        signatures: &["struct Counter", "mutating func increment() -> Int"],
        first_import: Some("import Foundation"),
        definition: "increment",
    },
    Case {
        name: "json",
        language_ids: &["json", "jsonc"],
        path: "/package.json",
        sample: r#"{
  "name": "demo",
  "scripts": {
    "build": "tsc"<|>
  }
}
"#,
        signatures: &[r#""scripts":"#],
        first_import: None,
        definition: r#""name""#,
    },
    Case {
        name: "toml",
        language_ids: &["toml"],
        path: "/Cargo.toml",
        sample: r#"[package]
name = "demo"

[dependencies]
serde = "1"<|>
"#,
        signatures: &["[dependencies]"],
        first_import: None,
        definition: "serde",
    },
    Case {
        name: "yaml",
        language_ids: &["yaml"],
        path: "/.github/workflows/ci.yml",
        sample: r#"name: ci
jobs:
  build:
    runs-on: ubuntu-latest<|>
"#,
        signatures: &["jobs:", "build:"],
        first_import: None,
        definition: "jobs",
    },
    Case {
        name: "html",
        language_ids: &["html"],
        path: "/index.html",
        sample: r#"<!DOCTYPE html>
<html>
<head>
  <link rel="stylesheet" href="style.css">
</head>
<body>
  <div id="app">
    <p>Hello<|></p>
  </div>
</body>
</html>
"#,
        signatures: &["<html>", "<body>", r#"<div id="app">"#, "<p>"],
        first_import: Some(r#"<link rel="stylesheet" href="style.css">"#),
        definition: "app",
    },
    Case {
        name: "css",
        language_ids: &["css"],
        path: "/style.css",
        sample: r#"@import url("base.css");

:root {
  --accent: #c00;
}

@media (min-width: 600px) {
  .card {
    color: var(--accent)<|>;
  }
}
"#,
        signatures: &["@media (min-width: 600px)", ".card"],
        first_import: Some(r#"@import url("base.css");"#),
        definition: "--accent",
    },
];

fn enabled(name: &str) -> Option<&'static Language> {
    languages::all().iter().find(|language| language.name == name)
}

fn enabled_cases() -> impl Iterator<Item = (&'static Case, &'static Language)> {
    CASES.iter().filter_map(|case| enabled(case.name).map(|language| (case, language)))
}

/// The sample without its cursor marker, and the cursor's byte offset.
fn split_cursor(sample: &str) -> (String, usize) {
    assert_eq!(sample.matches(CURSOR).count(), 1, "exactly one cursor marker in {sample}");
    let Some(offset) = sample.find(CURSOR) else { unreachable!() };
    (sample.replacen(CURSOR, "", 1), offset)
}

fn parse(language: &Language, text: &str) -> Tree {
    let mut parser = Parser::new();
    parser.set_language(&language.ts_language()).expect("grammar loads");
    parser.parse(text, None).expect("parse without a timeout")
}

#[test]
fn every_enabled_language_has_a_case() {
    for language in languages::all() {
        assert!(CASES.iter().any(|case| case.name == language.name), "no test case for {}", language.name);
    }
}

#[test]
fn languages_are_detected_by_id_and_by_extension() {
    for (case, language) in enabled_cases() {
        for id in case.language_ids {
            assert_eq!(syntax::language_for(id, "").map(|found| found.name), Some(case.name), "id {id}");
            assert_eq!(syntax::language_for(id, "/x/unrelated.txt").map(|found| found.name), Some(case.name));
        }
        assert_eq!(syntax::language_for("plaintext", case.path).map(|found| found.name), Some(case.name));
        assert_eq!(syntax::language_for("some-unknown-id", case.path).map(|found| found.name), Some(case.name));
        assert!(case.language_ids.iter().all(|id| language.language_ids.contains(id)));
    }
}

#[test]
fn every_context_query_compiles_and_uses_only_the_vocabulary() {
    let vocabulary = [
        queries::CAPTURE_SCOPE,
        queries::CAPTURE_SCOPE_BODY,
        queries::CAPTURE_IMPORT,
        queries::CAPTURE_DEFINITION,
        queries::CAPTURE_DEFINITION_NAME,
    ];
    for language in languages::all() {
        let query = match language.compile_context_query() {
            Ok(query) => query,
            Err(error) => panic!("grammars/{}/context.scm: {error}", language.name),
        };
        for name in query.capture_names() {
            assert!(
                vocabulary.contains(name) || name.starts_with('_'),
                "grammars/{}/context.scm: unknown capture @{name}",
                language.name
            );
        }
        assert!(query.capture_index_for_name(queries::CAPTURE_SCOPE).is_some(), "{} has no @scope", language.name);
        assert!(language.context_query().is_some());
    }
}

#[test]
fn samples_parse_without_errors() {
    for (case, language) in enabled_cases() {
        let (text, _) = split_cursor(case.sample);
        let tree = parse(language, &text);
        assert!(!tree.root_node().has_error(), "{}: {}", case.name, tree.root_node().to_sexp());
    }
}

#[test]
fn scopes_imports_and_definitions_in_samples() {
    for (case, language) in enabled_cases() {
        let (text, cursor) = split_cursor(case.sample);
        let rope = Rope::from_str(&text);
        let tree = parse(language, &text);

        let scopes = queries::scopes_at(language, &tree, &rope, cursor);
        let signatures: Vec<String> = scopes
            .iter()
            .map(|scope| rope.byte_slice(scope.signature_byte_range(&rope)).to_string().trim().to_owned())
            .collect();
        assert_eq!(signatures, case.signatures, "{}: scopes {scopes:?}", case.name);

        let imports = queries::imports(language, &tree, &rope);
        let first_import = imports.first().map(|range| rope.byte_slice(range.clone()).to_string());
        assert_eq!(first_import.as_deref(), case.first_import, "{}: imports", case.name);

        let names: Vec<String> = queries::definitions(language, &tree, &rope)
            .iter()
            .map(|definition| rope.byte_slice(definition.name_byte_range.clone()).to_string())
            .collect();
        assert!(names.iter().any(|name| name == case.definition), "{}: definitions {names:?}", case.name);
    }
}

#[test]
fn documents_in_every_language_get_a_fresh_tree() {
    for (case, _) in enabled_cases() {
        let (text, _) = split_cursor(case.sample);
        let uri = format!("file://{}", case.path);
        let snapshot = DocumentSnapshot::from_text(&uri, case.language_ids[0], &text);
        assert_eq!(snapshot.language().map(|language| language.name), Some(case.name));
        let Some(tree) = snapshot.tree() else { panic!("{}: no tree", case.name) };
        assert!(!tree.root_node().has_error());
    }
}

#[test]
fn unknown_languages_work_as_plain_text() {
    let snapshot = DocumentSnapshot::from_text("file:///notes/todo.txt", "plaintext", "fn main() {}\n");
    assert!(snapshot.language().is_none());
    assert!(snapshot.tree().is_none());
    assert_eq!(snapshot.text(), "fn main() {}\n");
    assert!(syntax::language_for("brainfuck", "/x/y.bf").is_none());
}
