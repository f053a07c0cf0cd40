//! Matching `exclude` globs against file paths, so that the semantics documented in
//! docs/configuration.md live next to the key and its validation.
//!
//! A glob without `/` matches the file name; a glob with `/` matches the whole path relative to
//! the workspace root. `*` matches within one path component, `**` across components (also
//! none, in `**/`), `?` one character, and `[abc]`, `[a-z]`, `[!a]` a character class.

use std::path::Path;

use super::schema::Config;

impl Config {
    /// Whether the file at `path` is excluded, with globs relative to `root` (the workspace
    /// root; a path outside it is matched as it is).
    pub fn is_excluded_under(&self, root: Option<&Path>, path: &Path) -> bool {
        match root.and_then(|root| path.strip_prefix(root).ok()) {
            Some(relative) => self.is_excluded(&relative.display().to_string()),
            None => self.is_excluded(&path.display().to_string()),
        }
    }

    /// Whether `relative_path` (relative to the workspace root, `/`-separated) must never be
    /// completed in or sent to a provider.
    pub fn is_excluded(&self, relative_path: &str) -> bool {
        let relative_path = relative_path.trim_start_matches("./").trim_start_matches('/');
        let file_name = relative_path.rsplit('/').next().unwrap_or(relative_path);
        self.exclude.iter().any(|glob| {
            if glob.contains('/') {
                glob_matches(glob.trim_start_matches('/').as_bytes(), relative_path.as_bytes())
            } else {
                glob_matches(glob.as_bytes(), file_name.as_bytes())
            }
        })
    }
}

/// Backtracking glob match over bytes; multi-byte characters match literally, and `?` or a
/// class matches one byte of them, which is enough for the ASCII globs this is used with.
fn glob_matches(pattern: &[u8], text: &[u8]) -> bool {
    match pattern {
        [] => text.is_empty(),
        [b'*', b'*', b'/', rest @ ..] => {
            // `**/` matches zero or more whole directories.
            glob_matches(rest, text)
                || text.iter().enumerate().any(|(idx, &byte)| byte == b'/' && glob_matches(rest, &text[idx + 1..]))
        }
        [b'*', b'*', rest @ ..] => (0..=text.len()).any(|idx| glob_matches(rest, &text[idx..])),
        [b'*', rest @ ..] => {
            let component_len = text.iter().position(|&byte| byte == b'/').unwrap_or(text.len());
            (0..=component_len).any(|idx| glob_matches(rest, &text[idx..]))
        }
        [b'?', rest @ ..] => matches!(text, [first, tail @ ..] if *first != b'/' && glob_matches(rest, tail)),
        [b'[', class @ ..] => {
            let Some(end) = class.iter().skip(1).position(|&byte| byte == b']').map(|idx| idx + 1) else {
                // An unclosed class is rejected by validation; treat `[` literally here.
                return matches!(text, [b'[', tail @ ..] if glob_matches(class, tail));
            };
            let (class, rest) = (&class[..end], &class[end + 1..]);
            matches!(text, [first, tail @ ..] if *first != b'/' && class_matches(class, *first) && glob_matches(rest, tail))
        }
        [literal, rest @ ..] => matches!(text, [first, tail @ ..] if first == literal && glob_matches(rest, tail)),
    }
}

fn class_matches(class: &[u8], byte: u8) -> bool {
    let (negated, class) = match class {
        [b'!' | b'^', rest @ ..] => (true, rest),
        _ => (false, class),
    };
    let mut idx = 0;
    let mut found = false;
    while idx < class.len() {
        if idx + 2 < class.len() && class[idx + 1] == b'-' {
            found |= (class[idx]..=class[idx + 2]).contains(&byte);
            idx += 3;
        } else {
            found |= class[idx] == byte;
            idx += 1;
        }
    }
    found != negated
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excluded(globs: &[&str], path: &str) -> bool {
        let config = Config { exclude: globs.iter().map(|glob| (*glob).to_owned()).collect(), ..Config::default() };
        config.is_excluded(path)
    }

    #[test]
    fn default_exclusions_cover_secrets() {
        let defaults = Config::default();
        for path in [
            ".env",
            ".env.local",
            "config/.env.production",
            "certs/server.pem",
            "id_rsa",
            "home/.ssh/id_ed25519.pub",
            "a/b/c.p12",
            ".npmrc",
            "infra/prod.tfvars",
        ] {
            assert!(defaults.is_excluded(path), "{path}");
        }
        for path in ["src/main.rs", "environment.ts", "keys.rs", "docs/pem.md"] {
            assert!(!defaults.is_excluded(path), "{path}");
        }
    }

    #[test]
    fn globs_with_a_slash_match_the_relative_path() {
        assert!(excluded(&["secrets/**"], "secrets/a/b.txt"));
        assert!(!excluded(&["secrets/**"], "src/secrets/a.txt"));
        assert!(excluded(&["**/secrets/*.txt"], "src/secrets/a.txt"));
        assert!(excluded(&["**/secrets/*.txt"], "secrets/a.txt"));
        assert!(!excluded(&["src/*.rs"], "src/a/b.rs"));
        assert!(excluded(&["/src/*.rs"], "./src/b.rs"));
    }

    #[test]
    fn question_marks_and_classes() {
        assert!(excluded(&["file?.txt"], "file1.txt"));
        assert!(!excluded(&["file?.txt"], "file12.txt"));
        assert!(excluded(&["v[0-9].json"], "v7.json"));
        assert!(!excluded(&["v[!0-9].json"], "v7.json"));
        assert!(excluded(&["v[!0-9].json"], "vx.json"));
    }
}
