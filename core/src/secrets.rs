//! Secrets inside ordinary files, masked before any prompt leaves the machine.
//!
//! Files that are secrets (`.env`, keys) are never sent at all (the privacy gate); this is for
//! the key pasted into a config module, the private key block in a fixture, the token in
//! `.npmrc`, the password in a connection string. [`Masker`] finds them by their well-known
//! shapes ([`BUILTIN`]) and the user's own patterns, and replaces each distinct secret with a
//! placeholder ([`PLACEHOLDER_PREFIX`]`N`) that is the same everywhere in one request, so the
//! model still sees that two places use the same value. [`Masks`] remembers what each
//! placeholder stands for, to put the secret back into an action's answer, or to drop a
//! completion that would write a placeholder into the file.
//!
//! The shapes are chosen to be exact rather than broad: a fixed prefix (`sk-`, `ghp_`, `AKIA`,
//! `eyJ…`) or a fixed context (`-----BEGIN … PRIVATE KEY-----`, `user:password@` in a URL),
//! never "a long random-looking string", so hashes, UUIDs and base64 data pass untouched (the
//! tests hold a corpus of both). That fixed text is also what keeps masking cheap: a rule's
//! regex runs only on text that contains its literal part.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use regex::Regex;

/// Placeholders are this followed by a number; it reads as an identifier in every language.
pub const PLACEHOLDER_PREFIX: &str = "REDACTED_SECRET_";

/// One shape of secret.
struct Rule {
    /// Shown in `switchboard/status` counts.
    kind: &'static str,
    /// Text every match contains: the pattern runs only on text that has one of them (a
    /// substring search is far cheaper than any regex over a 12 KB prompt).
    needles: &'static [&'static str],
    pattern: &'static str,
    /// A match must also pass this (for shapes whose body is only checked loosely by the
    /// pattern): keys are random, so they mix letters and digits.
    check: fn(&str) -> bool,
}

fn any(_: &str) -> bool {
    true
}

/// Letters and digits both: a random key, not a word-like identifier (`sk-learn-pipeline-...`).
fn mixed(secret: &str) -> bool {
    secret.bytes().any(|byte| byte.is_ascii_digit()) && secret.bytes().any(|byte| byte.is_ascii_alphabetic())
}

/// A run of 20 or more letters and digits, mixing both: the random part of a key, which a
/// hyphenated name (`sk-learn-pipeline-helpers-v2`) does not have.
fn random_segment(secret: &str) -> bool {
    secret.split(|ch: char| !ch.is_ascii_alphanumeric()).any(|segment| segment.len() >= 20 && mixed(segment))
}

/// A password in a URL that is a value, not a placeholder or a variable (`${DB_PASSWORD}`,
/// `$PASS`, `<password>`, `****`, `{password}`).
fn literal_password(password: &str) -> bool {
    !password.starts_with(['$', '<', '{', '%', '*']) && !password.chars().all(|ch| ch == '*' || ch == 'x')
}

/// The built-in shapes. Where a rule has a capture group, only the group is the secret (the
/// rest is context that makes the match certain).
const BUILTIN: &[Rule] = &[
    // PEM private keys (RSA, EC, OpenSSH, PKCS#8, encrypted), to their END line or, cut off, to
    // the end of the base64.
    Rule {
        kind: "private_key",
        needles: &["-----BEGIN"],
        pattern: r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\s:,-]*)",
        check: any,
    },
    // Anthropic (sk-ant-api03-…), OpenAI (sk-…, sk-proj-…, sk-svcacct-…), OpenRouter
    // (sk-or-v1-…), DeepSeek (sk-…).
    Rule { kind: "api_key", needles: &["sk-"], pattern: r"\bsk-[A-Za-z0-9][A-Za-z0-9_-]{19,}", check: random_segment },
    // Groq, xAI, Hugging Face.
    Rule {
        kind: "api_key",
        needles: &["gsk_", "xai-", "hf_"],
        pattern: r"\b(?:gsk_[A-Za-z0-9]{40,}|xai-[A-Za-z0-9]{60,}|hf_[A-Za-z0-9]{30,})\b",
        check: mixed,
    },
    // Google API keys (Gemini, Maps, Firebase).
    Rule { kind: "google_api_key", needles: &["AIza"], pattern: r"\bAIza[0-9A-Za-z_-]{35}", check: any },
    // AWS access key ids, and secret access keys where they are named.
    Rule {
        kind: "aws_key",
        needles: &["AKIA", "ASIA", "ABIA", "ACCA"],
        pattern: r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b",
        check: mixed,
    },
    Rule {
        kind: "aws_key",
        needles: &["aws", "AWS", "Aws"],
        pattern: r#"(?i)aws_?secret_?(?:access_?)?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})\b"#,
        check: mixed,
    },
    // GitHub tokens: classic, OAuth, user-to-server, server-to-server, refresh; fine-grained.
    Rule {
        kind: "github_token",
        needles: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        pattern: r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}\b",
        check: any,
    },
    Rule { kind: "github_token", needles: &["github_pat_"], pattern: r"\bgithub_pat_[A-Za-z0-9_]{50,}\b", check: any },
    // GitLab personal access tokens.
    Rule { kind: "gitlab_token", needles: &["glpat-"], pattern: r"\bglpat-[A-Za-z0-9_-]{20,}\b", check: any },
    // Slack tokens and incoming webhooks.
    Rule { kind: "slack_token", needles: &["xox"], pattern: r"\bxox[abposr]-[A-Za-z0-9-]{10,}", check: mixed },
    Rule {
        kind: "slack_webhook",
        needles: &["hooks.slack.com"],
        pattern: r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]{20,}",
        check: any,
    },
    // Stripe secret and restricted keys (publishable `pk_` keys are public by design).
    Rule {
        kind: "stripe_key",
        needles: &["_live_", "_test_"],
        pattern: r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b",
        check: any,
    },
    // npm tokens, and any `_authToken`/`_auth`/`_password` in an `.npmrc`.
    Rule { kind: "npm_token", needles: &["npm_"], pattern: r"\bnpm_[A-Za-z0-9]{36}\b", check: any },
    Rule {
        kind: "npm_token",
        needles: &["_auth", "_password"],
        pattern: r#"(?m)(?:_authToken|_auth|_password)\s*=\s*["']?([^\s"'$][^\s"']{7,})"#,
        check: literal_password,
    },
    // JSON Web Tokens: three base64url parts, the first two JSON objects (`eyJ` is `{"`).
    Rule {
        kind: "jwt",
        needles: &["eyJ"],
        pattern: r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
        check: any,
    },
    // Credentials in a URL: the password of `scheme://user:password@host`.
    Rule {
        kind: "url_password",
        needles: &["://"],
        pattern: r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]+:([^\s:/@]{3,})@",
        check: literal_password,
    },
];

/// Finds and masks secrets. Built once per configuration; cheap to share.
pub struct Masker {
    /// The user's patterns; the built-in rules' regexes are shared by every masker
    /// ([`builtin_regex`]).
    user: Vec<Regex>,
}

/// The regex of `BUILTIN[index]`, compiled once per process when first needed: only text that
/// contains one of its needles needs it, and compiling all of them takes about 2 ms, which every
/// masker built (configuration changes, the config check, each default) used to repeat: five
/// times before the first `initialize` answer. [`warm_up`] compiles them all ahead of need.
fn builtin_regex(index: usize) -> &'static Regex {
    static COMPILED: [OnceLock<Regex>; BUILTIN.len()] = [const { OnceLock::new() }; BUILTIN.len()];
    COMPILED[index].get_or_init(|| Regex::new(BUILTIN[index].pattern).expect("built-in patterns compile"))
}

/// Per built-in rule, a searcher for each of its needles, built once: a prompt is masked in
/// several pieces, and `str::contains` sets its searcher up again for every needle and piece.
fn builtin_finders() -> &'static [Vec<memchr::memmem::Finder<'static>>] {
    static FINDERS: OnceLock<Vec<Vec<memchr::memmem::Finder<'static>>>> = OnceLock::new();
    FINDERS.get_or_init(|| {
        BUILTIN.iter().map(|rule| rule.needles.iter().map(memchr::memmem::Finder::new).collect()).collect()
    })
}

/// All the built-in needles in one searcher (aho-corasick's, which looks for up to 64 short
/// literals at once with SIMD, Teddy), and the rule each belongs to.
fn builtin_needles() -> &'static (aho_corasick::AhoCorasick, Vec<usize>) {
    static NEEDLES: OnceLock<(aho_corasick::AhoCorasick, Vec<usize>)> = OnceLock::new();
    NEEDLES.get_or_init(|| {
        let (rules, needles): (Vec<usize>, Vec<&str>) = BUILTIN
            .iter()
            .enumerate()
            .flat_map(|(index, rule)| rule.needles.iter().map(move |needle| (index, *needle)))
            .unzip();
        let searcher = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(needles)
            .expect("built-in needles build");
        (searcher, rules)
    })
}

/// After this many needles found in one text, the rest of it is searched one needle at a time
/// (`memmem`, which stops at a needle's first occurrence): in text dense with them (a list of
/// URLs) restarting the combined search after each one costs more.
const COMBINED_SEARCH_MATCHES: usize = 16;

/// Which built-in rules have a needle in `text`: the same answer as looking for each needle
/// alone (a test checks it), in one pass over the text for most of it.
///
/// Each search starts one byte after the last needle found's start, so a needle that starts
/// inside another is found too (`ghp_live_` holds two rules' needles); only one that starts at
/// the same byte is not, which is harmless when both are the same rule's (a test checks that no
/// needle is the beginning of another rule's).
fn rules_present(text: &[u8]) -> [bool; BUILTIN.len()] {
    let mut present = [false; BUILTIN.len()];
    let (searcher, rule_of) = builtin_needles();
    let mut at = 0;
    let mut found = 0;
    while let Some(needle) = searcher.find(&text[at..]) {
        present[rule_of[needle.pattern().as_usize()]] = true;
        at += needle.start() + 1;
        found += 1;
        if found == COMBINED_SEARCH_MATCHES {
            // Every needle that starts before `at` has been found.
            for (rule, finders) in builtin_finders().iter().enumerate() {
                present[rule] = present[rule] || finders.iter().any(|finder| finder.find(&text[at..]).is_some());
            }
            break;
        }
    }
    present
}

/// The searcher for [`PLACEHOLDER_PREFIX`], built once (`str::find` sets one up per call, and
/// every piece of every prompt is searched).
fn placeholder_finder() -> &'static memchr::memmem::Finder<'static> {
    static FINDER: OnceLock<memchr::memmem::Finder<'static>> = OnceLock::new();
    FINDER.get_or_init(|| memchr::memmem::Finder::new(PLACEHOLDER_PREFIX))
}

/// Compiles the built-in rules now (on a background thread at start-up), so that the first
/// prompt masked does not wait for them.
pub fn warm_up() {
    for index in 0..BUILTIN.len() {
        builtin_regex(index);
    }
    builtin_needles();
    builtin_finders();
}

impl fmt::Debug for Masker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Masker").field("user_patterns", &self.user.len()).finish()
    }
}

/// A user pattern that does not compile: its position in the list and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadPattern {
    pub index: usize,
    pub message: String,
}

impl Masker {
    /// The built-in shapes plus `patterns` (regular expressions; where one has a capture group,
    /// only the first group is masked).
    pub fn new(patterns: &[String]) -> Result<Self, BadPattern> {
        let mut user = Vec::with_capacity(patterns.len());
        for (index, pattern) in patterns.iter().enumerate() {
            let regex = regex::RegexBuilder::new(pattern)
                .size_limit(1 << 20)
                .build()
                .map_err(|error| BadPattern { index, message: error.to_string() })?;
            if regex.is_match("") {
                return Err(BadPattern { index, message: "the pattern matches empty text".to_owned() });
            }
            user.push(regex);
        }
        Ok(Self { user })
    }

    /// The built-in shapes only.
    pub fn builtin() -> Self {
        Self::new(&[]).expect("built-in patterns compile")
    }

    /// `text` with every secret replaced by its placeholder in `masks` (a new one for a secret
    /// not seen before in this request).
    pub fn mask<'text>(&self, text: &'text str, masks: &mut Masks) -> Cow<'text, str> {
        // Spans of secrets; overlapping ones are merged into the first below.
        let mut spans: Vec<(usize, usize, &str)> = Vec::new();
        let present = rules_present(text.as_bytes());
        let builtin = BUILTIN
            .iter()
            .enumerate()
            .filter(|(index, _)| present[*index])
            .map(|(index, rule)| (builtin_regex(index), rule.kind, rule.check));
        let user = self.user.iter().map(|regex| (regex, "user_pattern", any as fn(&str) -> bool));
        for (regex, kind, check) in builtin.chain(user) {
            for captures in regex.captures_iter(text) {
                let Some(secret) = captures.get(1).or_else(|| captures.get(0)) else { continue };
                if !secret.is_empty() && check(secret.as_str()) {
                    spans.push((secret.start(), secret.end(), kind));
                }
            }
        }
        // Text that already looks like one of our placeholders would be taken for one when the
        // answer comes back: it is masked too, so unmasking gives it back unchanged.
        let mut search = 0;
        while let Some(found) = placeholder_finder().find(&text.as_bytes()[search..]) {
            let start = search + found;
            let digits = text[start + PLACEHOLDER_PREFIX.len()..].bytes().take_while(u8::is_ascii_digit).count();
            let end = start + PLACEHOLDER_PREFIX.len() + digits;
            spans.push((start, end, ""));
            search = end;
        }
        if spans.is_empty() {
            return Cow::Borrowed(text);
        }
        spans.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (start, end, kind) in spans {
            if start < at {
                continue;
            }
            out.push_str(&text[at..start]);
            out.push_str(&masks.placeholder_for(&text[start..end], kind));
            at = end;
        }
        out.push_str(&text[at..]);
        Cow::Owned(out)
    }
}

/// What the placeholders of one request stand for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Masks {
    /// Placeholder number (from 1) to the secret.
    secrets: Vec<String>,
    /// Secrets masked, by kind (a secret seen twice counts once). Placeholder look-alikes that
    /// were already in the text are not counted.
    by_kind: BTreeMap<String, u64>,
}

impl Masks {
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// How many distinct secrets were masked, by kind.
    pub fn counts(&self) -> &BTreeMap<String, u64> {
        &self.by_kind
    }

    fn placeholder_for(&mut self, secret: &str, kind: &str) -> String {
        let number = match self.secrets.iter().position(|known| known == secret) {
            Some(index) => index + 1,
            None => {
                self.secrets.push(secret.to_owned());
                if !kind.is_empty() {
                    *self.by_kind.entry(kind.to_owned()).or_default() += 1;
                }
                self.secrets.len()
            }
        };
        format!("{PLACEHOLDER_PREFIX}{number}")
    }

    /// Whether `text` (a model's answer) contains something that looks like a placeholder,
    /// when this request masked anything (even a number it never used: the model made it up).
    pub fn contains_placeholder(&self, text: &str) -> bool {
        !self.is_empty() && text.contains(PLACEHOLDER_PREFIX)
    }

    /// `text` with this request's placeholders replaced by what they stand for.
    pub fn unmask(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (start, end, number) in self.placeholders(text) {
            out.push_str(&text[at..start]);
            out.push_str(&self.secrets[number - 1]);
            at = end;
        }
        out.push_str(&text[at..]);
        out
    }

    /// The placeholders of this request in `text`: (start, end, number).
    fn placeholders<'a>(&'a self, text: &'a str) -> impl Iterator<Item = (usize, usize, usize)> + 'a {
        text.match_indices(PLACEHOLDER_PREFIX).filter_map(move |(start, _)| {
            let digits_start = start + PLACEHOLDER_PREFIX.len();
            let digits = text[digits_start..].bytes().take_while(u8::is_ascii_digit).count();
            let number: usize = text[digits_start..digits_start + digits].parse().ok()?;
            (1..=self.secrets.len()).contains(&number).then_some((start, digits_start + digits, number))
        })
    }
}

#[cfg(test)]
mod tests;
