//! User-facing wording of the conversation, as templates with named placeholders: the files of
//! `prompts/` are built in, and `MARQUEE_PROMPTS_DIR` may hold replacements for any of them.
//! Every template is checked at load time: a placeholder the code does not fill is an error
//! naming the file, so a typo is caught at start, not in front of a user.

use std::collections::BTreeMap;
use std::path::Path;

/// (name, built-in text, the placeholders it may use).
const TEMPLATES: [(&str, &str, &[&str]); 14] = [
    (
        "ask_intro",
        include_str!("../../prompts/ask_intro.txt"),
        &["wish"],
    ),
    (
        "ask_intro_fresh",
        include_str!("../../prompts/ask_intro_fresh.txt"),
        &["wish"],
    ),
    (
        "ask_intro_refined",
        include_str!("../../prompts/ask_intro_refined.txt"),
        &["kept", "change", "wish"],
    ),
    (
        "ask_intro_changed",
        include_str!("../../prompts/ask_intro_changed.txt"),
        &["change", "wish"],
    ),
    (
        "ask_intro_more",
        include_str!("../../prompts/ask_intro_more.txt"),
        &["wish"],
    ),
    (
        "ask_clarify",
        include_str!("../../prompts/ask_clarify.txt"),
        &[],
    ),
    (
        "ask_nothing",
        include_str!("../../prompts/ask_nothing.txt"),
        &["wish"],
    ),
    (
        "ask_relaxed",
        include_str!("../../prompts/ask_relaxed.txt"),
        &["dropped"],
    ),
    (
        "ask_relaxed_partly",
        include_str!("../../prompts/ask_relaxed_partly.txt"),
        &["only", "dropped"],
    ),
    (
        "ask_unknown_title",
        include_str!("../../prompts/ask_unknown_title.txt"),
        &["title", "suggestions"],
    ),
    (
        "ask_unknown_title_none",
        include_str!("../../prompts/ask_unknown_title_none.txt"),
        &["title"],
    ),
    (
        "ask_contradiction",
        include_str!("../../prompts/ask_contradiction.txt"),
        &["problem"],
    ),
    (
        "ask_expired",
        include_str!("../../prompts/ask_expired.txt"),
        &["minutes"],
    ),
    (
        "ask_steer",
        include_str!("../../prompts/ask_steer.txt"),
        &[],
    ),
];

/// The loaded templates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompts {
    texts: BTreeMap<&'static str, String>,
}

/// The placeholders used in `text` (`{name}`; `{{` and `}}` are literal braces).
fn placeholders(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
            }
            '{' => {
                let name: String = chars.by_ref().take_while(|c| *c != '}').collect();
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(format!("\"{{{name}}}\" is not a placeholder name"));
                }
                out.push(name);
            }
            '}' => return Err("a lone \"}\" (write \"}}\" for a brace)".to_owned()),
            _ => {}
        }
    }
    Ok(out)
}

fn check(name: &str, text: &str, allowed: &[&str]) -> Result<(), String> {
    for p in placeholders(text).map_err(|e| format!("prompt {name}: {e}"))? {
        if !allowed.contains(&p.as_str()) {
            return Err(format!(
                "prompt {name}: unknown placeholder {{{p}}}; it may use {}",
                if allowed.is_empty() {
                    "none".to_owned()
                } else {
                    allowed
                        .iter()
                        .map(|a| format!("{{{a}}}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ));
        }
    }
    if text.trim().is_empty() {
        return Err(format!("prompt {name} is empty"));
    }
    Ok(())
}

impl Prompts {
    /// The built-in templates.
    pub fn builtin() -> Self {
        Self {
            texts: TEMPLATES
                .iter()
                .map(|(n, t, _)| (*n, t.trim().to_owned()))
                .collect(),
        }
    }

    /// The built-in templates, with any `NAME.txt` in `dir` replacing its namesake.
    ///
    /// # Errors
    /// A file in `dir` cannot be read, or a template uses a placeholder it may not.
    pub fn load(dir: Option<&Path>) -> anyhow::Result<Self> {
        let mut prompts = Self::builtin();
        for (name, _, allowed) in TEMPLATES {
            if let Some(dir) = dir {
                let path = dir.join(format!("{name}.txt"));
                if path.exists() {
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
                    prompts.texts.insert(name, text.trim().to_owned());
                }
            }
            check(name, &prompts.texts[name], allowed).map_err(|e| {
                anyhow::anyhow!(
                    "{e} (in {})",
                    dir.map_or_else(|| "prompts/".to_owned(), |d| d.display().to_string())
                )
            })?;
        }
        Ok(prompts)
    }

    /// Template `name` with its placeholders filled from `values` (a missing value leaves the
    /// placeholder's name in braces, so it shows rather than vanishes).
    pub fn render(&self, name: &str, values: &[(&str, &str)]) -> String {
        let Some(text) = self.texts.get(name) else {
            return format!("[{name}]");
        };
        let mut out = String::with_capacity(text.len());
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    out.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    out.push('}');
                }
                '{' => {
                    let key: String = chars.by_ref().take_while(|c| *c != '}').collect();
                    if let Some((_, v)) = values.iter().find(|(k, _)| *k == key) {
                        out.push_str(v);
                    } else {
                        out.push('{');
                        out.push_str(&key);
                        out.push('}');
                    }
                }
                _ => out.push(c),
            }
        }
        out
    }
}

impl Default for Prompts {
    fn default() -> Self {
        Self::builtin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_template_renders_with_its_placeholders_filled() {
        let prompts = Prompts::load(None).expect("the built-in templates are valid");
        for (name, _, allowed) in TEMPLATES {
            let values: Vec<(&str, &str)> = allowed.iter().map(|a| (*a, "X")).collect();
            let text = prompts.render(name, &values);
            assert!(!text.is_empty(), "{name}");
            assert!(!text.contains('{') && !text.contains('}'), "{name}: {text}");
            if !allowed.is_empty() {
                assert!(text.contains('X'), "{name} uses its placeholders: {text}");
            }
        }
    }

    #[test]
    fn a_folder_overrides_some_templates_and_a_typo_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join("ask_intro.txt"), "Voilà, for {wish}:").expect("write");
        let p = Prompts::load(Some(dir.path())).expect("valid override");
        assert_eq!(
            p.render("ask_intro", &[("wish", "comedy")]),
            "Voilà, for comedy:"
        );
        assert_eq!(
            p.render("ask_nothing", &[("wish", "w")]),
            Prompts::builtin().render("ask_nothing", &[("wish", "w")])
        );
        std::fs::write(dir.path().join("ask_intro.txt"), "For {wsh}:").expect("write");
        let e = Prompts::load(Some(dir.path())).expect_err("typo");
        assert!(e.to_string().contains("{wsh}"), "{e}");
        std::fs::write(
            dir.path().join("ask_intro.txt"),
            "Braces {{like this}} are fine for {wish}",
        )
        .expect("write");
        let p = Prompts::load(Some(dir.path())).expect("escaped braces");
        assert_eq!(
            p.render("ask_intro", &[("wish", "w")]),
            "Braces {like this} are fine for w"
        );
    }
}
