//! Title normalisation: folds a title into the key search matches on (case, accents,
//! punctuation, articles, `&`, roman numerals), and reads `MovieLens` titles in natural word
//! order (`Godfather, The` → `The Godfather`), alternative titles split off.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Articles dropped at the start of a folded title (after folding, so `l'` is `l`).
const LEADING_ARTICLES: &[&str] = &[
    "the", "a", "an", "le", "la", "les", "l", "el", "los", "las", "il", "lo", "gli", "un", "une",
];

/// Articles that `MovieLens` writes at the end (`Godfather, The`); matched case-sensitively.
const TRAILING_ARTICLES: &[&str] = &[
    "The", "A", "An", "Les", "La", "Le", "L'", "Il", "El", "Los", "Las", "Lo", "Gli", "Die", "Der",
    "Das", "Den", "Det", "Het", "Un", "Une", "Una", "Uno", "Ein", "Eine",
];

/// Words after which a lone `i` is the numeral one ("Part I", "Vol. I") and number words are
/// digits ("Part Two").
const NUMERAL_CONTEXT: &[&str] = &["part", "chapter", "vol", "volume", "episode", "book", "act"];

/// Number words read as digits after a [`NUMERAL_CONTEXT`] word.
const NUMBER_WORDS: &[&str] = &[
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve",
];

/// Folds a title into the key used to match titles: lower case, accents removed, punctuation
/// removed, words separated by single spaces.
///
/// On top of that: a `MovieLens`-style trailing article is moved to the front
/// (`Godfather, The` = `The Godfather`), a leading article is dropped when other words follow
/// (`The Godfather` → `godfather`), apostrophes join words (`Schindler's` → `schindlers`) except
/// after a one-letter elision (`L'Avventura` → `avventura`), dotted acronyms join
/// (`L.A.` → `la`), `&` reads as `and`, and roman numerals II–XXXIX become digits
/// (`Rocky II` → `rocky 2`; a lone `I` only after "Part", "Chapter", "Vol." and the like).
///
/// The result is deterministic and stable: it is stored as a key to match imported titles, so
/// changing this function means re-keying stored films. An input with no letters or digits gives
/// the empty string.
pub fn normalize_title(title: &str) -> String {
    fold_tokens(&natural_title(title)).join(" ")
}

/// The title in natural word order: a `MovieLens`-style trailing article is moved to the front,
/// both in the title and in a trailing parenthesised alternative title
/// (`City of Lost Children, The (Cité des enfants perdus, La)` →
/// `The City of Lost Children (La Cité des enfants perdus)`). Anything else is returned trimmed
/// but unchanged.
pub fn natural_title(raw: &str) -> String {
    let raw = raw.trim();
    if let Some((main, alt)) = split_trailing_parenthetical(raw) {
        let main_n = move_trailing_article(main);
        let alt_n = move_trailing_article(alt);
        if main_n != main || alt_n != alt {
            return format!("{main_n} ({alt_n})");
        }
        return raw.to_owned();
    }
    move_trailing_article(raw)
}

/// A raw title split into its main title and the alternative titles written after it in
/// parentheses, as `MovieLens` does: `City of Lost Children, The (Cité des enfants perdus, La)`
/// gives main `The City of Lost Children` and alternative `La Cité des enfants perdus`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TitleParts {
    /// The main title, in natural word order.
    pub main: String,
    /// Alternative titles (a leading `a.k.a.` removed), in natural word order, outermost last.
    pub alternatives: Vec<String>,
}

/// Splits a raw title into [`TitleParts`]. At most three trailing parenthesised groups are
/// taken as alternatives; a title that is only a parenthesis is kept whole as the main title.
pub fn split_title(raw: &str) -> TitleParts {
    let mut rest = raw.trim();
    let mut alternatives = Vec::new();
    for _ in 0..3 {
        let Some((main, alt)) = split_trailing_parenthetical(rest) else {
            break;
        };
        let alt = strip_aka(alt);
        if !alt.is_empty() {
            alternatives.push(move_trailing_article(alt));
        }
        rest = main;
    }
    alternatives.reverse();
    TitleParts {
        main: move_trailing_article(rest),
        alternatives,
    }
}

fn split_trailing_parenthetical(s: &str) -> Option<(&str, &str)> {
    let body = s.strip_suffix(')')?;
    let mut depth = 0usize;
    for (i, c) in body.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' if depth == 0 => {
                let main = body[..i].trim_end();
                let alt = body[i + 1..].trim();
                return (!main.is_empty() && !alt.is_empty()).then_some((main, alt));
            }
            '(' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn strip_aka(alt: &str) -> &str {
    for prefix in ["a.k.a.", "aka", "a.k.a"] {
        if alt.len() > prefix.len()
            && alt.is_char_boundary(prefix.len())
            && alt[..prefix.len()].eq_ignore_ascii_case(prefix)
            && alt[prefix.len()..].starts_with(' ')
        {
            return alt[prefix.len()..].trim();
        }
    }
    alt
}

fn move_trailing_article(s: &str) -> String {
    let s = s.trim();
    if let Some(comma) = s.rfind(", ") {
        let (head, tail) = (s[..comma].trim_end(), s[comma + 2..].trim());
        if !head.is_empty() && TRAILING_ARTICLES.contains(&tail) {
            return if tail.ends_with('\'') {
                format!("{tail}{head}")
            } else {
                format!("{tail} {head}")
            };
        }
    }
    s.to_owned()
}

fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '\u{2019}' | '\u{2018}' | '`' | '\u{2bc}' | '\u{b4}'
    )
}

/// Pushes the folded, lower-case form of one character (several for ß, æ, œ, þ).
fn push_folded(c: char, out: &mut String) {
    match c {
        'ß' => out.push_str("ss"),
        'æ' | 'Æ' => out.push_str("ae"),
        'œ' | 'Œ' => out.push_str("oe"),
        'þ' | 'Þ' => out.push_str("th"),
        'ø' | 'Ø' => out.push('o'),
        'ł' | 'Ł' => out.push('l'),
        'đ' | 'Đ' | 'ð' | 'Ð' => out.push('d'),
        'ı' => out.push('i'),
        _ => out.extend(c.to_lowercase().filter(|l| !is_combining_mark(*l))),
    }
}

/// Splits text into folded words, then applies the numeral and leading-article rules.
pub(super) fn fold_tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.nfkd().filter(|c| !is_combining_mark(*c)).collect();
    let mut tokens: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut acronym = false;
    // `L.A. Confidential`: an acronym is not an article.
    let mut first_is_acronym = false;
    let mut flush = |cur: &mut String, tokens: &mut Vec<String>, acronym: &mut bool| {
        if !cur.is_empty() {
            first_is_acronym |= tokens.is_empty() && *acronym;
            tokens.push(std::mem::take(cur));
        }
        *acronym = false;
    };
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        if c.is_alphanumeric() {
            push_folded(c, &mut cur);
        } else if is_apostrophe(c) {
            // `L'Avventura`, `d'Arc`: elision, a word break; `Schindler's`: joined.
            if cur.chars().count() == 1 && next.is_some_and(char::is_alphabetic) {
                flush(&mut cur, &mut tokens, &mut acronym);
            }
        } else if c == '.' {
            let after = chars.get(i + 2).copied();
            let single_letter_next =
                next.is_some_and(char::is_alphabetic) && !after.is_some_and(char::is_alphanumeric);
            let in_acronym =
                acronym || (cur.chars().count() == 1 && cur.chars().all(char::is_alphabetic));
            if single_letter_next && in_acronym {
                acronym = true;
            } else {
                flush(&mut cur, &mut tokens, &mut acronym);
            }
        } else if c == '&' {
            flush(&mut cur, &mut tokens, &mut acronym);
            tokens.push("and".to_owned());
        } else {
            flush(&mut cur, &mut tokens, &mut acronym);
        }
    }
    flush(&mut cur, &mut tokens, &mut acronym);
    for i in 0..tokens.len() {
        let after_context = i > 0 && NUMERAL_CONTEXT.contains(&tokens[i - 1].as_str());
        if let Some(n) = roman_value(&tokens[i], after_context) {
            tokens[i] = n.to_string();
        } else if let Some(k) = NUMBER_WORDS
            .iter()
            .position(|w| *w == tokens[i])
            .filter(|_| after_context)
        {
            tokens[i] = (k + 1).to_string();
        }
    }
    if tokens.len() > 1 && !first_is_acronym && LEADING_ARTICLES.contains(&tokens[0].as_str()) {
        tokens.remove(0);
    }
    tokens
}

/// The value of a canonical roman numeral made of i, v and x, from 2 to 39; a lone `i` (one)
/// only when `one_allowed`.
fn roman_value(token: &str, one_allowed: bool) -> Option<u32> {
    if token.is_empty()
        || token.len() > 8
        || !token.bytes().all(|b| matches!(b, b'i' | b'v' | b'x'))
    {
        return None;
    }
    (1..=39u32)
        .find(|&n| to_roman(n) == token)
        .filter(|&n| n >= 2 || one_allowed)
}

pub(super) fn to_roman(n: u32) -> String {
    let tens = ["", "x", "xx", "xxx"];
    let ones = ["", "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix"];
    format!("{}{}", tens[(n / 10) as usize % 4], ones[(n % 10) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_folds_case_accents_punctuation_and_articles() {
        assert_eq!(normalize_title("The Godfather"), "godfather");
        assert_eq!(normalize_title("Godfather, The"), "godfather");
        assert_eq!(normalize_title("  AMÉLIE!! "), "amelie");
        assert_eq!(normalize_title("Schindler's List"), "schindlers list");
        assert_eq!(normalize_title("L'Avventura"), "avventura");
        assert_eq!(normalize_title("Avventura, L'"), "avventura");
        assert_eq!(normalize_title("L.A. Confidential"), "la confidential");
        assert_eq!(normalize_title("Fast & Furious"), "fast and furious");
        assert_eq!(normalize_title("Rocky IV"), "rocky 4");
        assert_eq!(normalize_title("Kill Bill: Vol. I"), "kill bill vol 1");
        assert_eq!(normalize_title("I, Robot"), "i robot");
        assert_eq!(normalize_title("The"), "the");
        assert_eq!(normalize_title("Straße"), "strasse");
        assert_eq!(normalize_title("🎬 —"), "");
    }

    #[test]
    fn normalisation_is_stable_and_idempotent() {
        for t in [
            "The Godfather Part II",
            "Amélie",
            "City of Lost Children, The",
            "2001: A Space Odyssey",
        ] {
            let once = normalize_title(t);
            assert_eq!(normalize_title(&once), once, "{t}");
            assert_eq!(normalize_title(t), once);
        }
    }

    #[test]
    fn movielens_titles_are_split_and_shown_in_natural_order() {
        let parts = split_title("City of Lost Children, The (Cité des enfants perdus, La)");
        assert_eq!(parts.main, "The City of Lost Children");
        assert_eq!(
            parts.alternatives,
            vec!["La Cité des enfants perdus".to_owned()]
        );
        assert_eq!(
            natural_title("City of Lost Children, The (Cité des enfants perdus, La)"),
            "The City of Lost Children (La Cité des enfants perdus)"
        );
        assert_eq!(
            split_title("Seven (a.k.a. Se7en)").alternatives,
            vec!["Se7en".to_owned()]
        );
        assert_eq!(natural_title("Me, Myself & I"), "Me, Myself & I");
    }
}
