//! Indentation: a suggestion must line up with the code around the cursor.
//!
//! FIM models write absolute indentation (they saw the file); chat models often write their
//! snippet from column 0. The second kind is re-based to the cursor line's indentation. Tabs
//! and spaces follow the file's indentation unit either way.

use super::lang::Lang;
use super::text::{indent_of, indent_width, is_blank, is_closer_line, width};

pub(super) fn fix(text: &str, line_prefix: &str, indent_unit: Option<&str>, chat: bool, lang: &Lang) -> String {
    let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
    let prefix_blank = is_blank(line_prefix);
    // The model repeated the indentation the cursor already sits at (`    ` + `    return x`).
    if prefix_blank && !line_prefix.is_empty() {
        let ws = indent_of(&lines[0]).len();
        if ws > 0 && width(&lines[0][..ws]) == width(line_prefix) {
            lines[0].drain(..ws);
        }
    }
    if lines.len() < 2 {
        return lines.join("\n");
    }
    let base_ws = indent_of(line_prefix);
    let base = width(base_ws);
    let body = || lines[1..].iter().filter(|line| !is_blank(line) && !is_closer_line(line, &lang.end_words));
    let opener = format!("{line_prefix}{}", lines[0]);
    // A block's body can only be deeper than its opener; one that is not was written relative
    // to column 0. A chat snippet is relative when it goes left of the cursor line.
    let relative = base > 0
        && ((chat && body().map(|line| indent_width(line)).min().is_some_and(|min| min < base))
            || (lang.opens_block(&opener) && body().next().is_some_and(|line| indent_width(line) <= base)));
    let space_unit = if relative { relative_unit(&lines[1..]) } else { absolute_unit(&lines[1..]) };
    for line in lines[1..].iter_mut().filter(|line| !is_blank(line)) {
        let ws = indent_of(line);
        let content = &line[ws.len()..];
        let restyled = match indent_unit {
            Some(unit) if !unit.is_empty() => {
                let spaces_in_tab_file = unit.contains('\t') && ws.contains(' ');
                // Absolute spaces in a spaces file are positions, not levels: left alone.
                if relative || spaces_in_tab_file { restyle(ws, space_unit, unit) } else { ws.replace('\t', unit) }
            }
            _ => ws.to_owned(),
        };
        *line = if relative { format!("{base_ws}{restyled}{content}") } else { format!("{restyled}{content}") };
    }
    lines.join("\n")
}

fn space_widths(lines: &[String]) -> impl Iterator<Item = usize> + Clone + '_ {
    lines.iter().filter(|line| !is_blank(line)).map(|line| indent_of(line).chars().filter(|&c| c == ' ').count())
}

/// Spaces per level in a snippet written from column 0: its smallest indentation.
fn relative_unit(lines: &[String]) -> usize {
    space_widths(lines).filter(|&w| w > 0).min().unwrap_or(4)
}

/// Spaces per level in absolute indentation: 2 when some indentation is not a multiple of 4.
fn absolute_unit(lines: &[String]) -> usize {
    let mut widths = space_widths(lines);
    if widths.clone().all(|w| w % 4 == 0) {
        4
    } else if widths.all(|w| w % 2 == 0) {
        2
    } else {
        4
    }
}

/// Indentation in the file's style: whole levels in `unit`, a remainder (alignment) in spaces.
fn restyle(ws: &str, space_unit: usize, unit: &str) -> String {
    let tabs = ws.chars().filter(|&c| c == '\t').count();
    let spaces = ws.len() - tabs;
    let (levels, remainder) = (tabs + spaces / space_unit, spaces % space_unit);
    format!("{}{}", unit.repeat(levels), " ".repeat(remainder))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix_rust(text: &str, prefix: &str, unit: Option<&str>, chat: bool) -> String {
        fix(text, prefix, unit, chat, super::super::lang::for_name(Some("rust")))
    }

    #[test]
    fn absolute_indentation_is_kept() {
        let text = "\n    let x = 1;\n    x\n}";
        assert_eq!(fix_rust(text, "fn f() {", Some("    "), false), text);
        assert_eq!(fix_rust("x();\n    y();", "    ", Some("    "), false), "x();\n    y();");
    }

    #[test]
    fn a_chat_snippet_from_column_zero_is_rebased() {
        let text = "let x = 1;\nif x > 0 {\n    y();\n}";
        assert_eq!(
            fix_rust(text, "        ", Some("    "), true),
            "let x = 1;\n        if x > 0 {\n            y();\n        }"
        );
    }

    #[test]
    fn a_body_not_deeper_than_its_opener_is_rebased() {
        let text = "compute(\n    a,\n    b,\n)";
        assert_eq!(fix_rust(text, "    let x = ", Some("    "), false), "compute(\n        a,\n        b,\n    )");
    }

    #[test]
    fn the_repeated_cursor_indentation_is_dropped() {
        assert_eq!(fix_rust("    return x;", "    ", None, false), "return x;");
        // Deeper than the cursor: the model means it.
        assert_eq!(fix_rust("        x", "    ", None, false), "        x");
    }

    #[test]
    fn tabs_and_spaces_follow_the_file() {
        assert_eq!(fix_rust("\n    x();\n        y();", "{", Some("\t"), false), "\n\tx();\n\t\ty();");
        assert_eq!(fix_rust("\n\tx();\n\t\ty();", "{", Some("  "), false), "\n  x();\n    y();");
        assert_eq!(fix_rust("\n  x();\n    y();", "{", Some("\t"), false), "\n\tx();\n\t\ty();");
        // Absolute spaces in a spaces file are positions: 4 and 8 are levels 2 and 4 here.
        assert_eq!(fix_rust("\n    x();\n        y();", "{", Some("  "), false), "\n    x();\n        y();");
    }

    #[test]
    fn a_rebased_snippet_takes_the_file_unit() {
        let text = "if x {\n    y();\n}";
        assert_eq!(fix_rust(text, "    ", Some("  "), true), "if x {\n      y();\n    }");
    }
}
