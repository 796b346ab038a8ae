//! Splits a wish into words, each in lower case and as typed, numbered by clause
//! (punctuation, a final dot and "but" start a new clause).

/// One word of a wish.
#[derive(Debug, Clone)]
pub(super) struct Tok {
    /// Lowercase, without leading/trailing apostrophes.
    pub(super) low: String,
    /// As typed.
    pub(super) orig: String,
    /// Clause number; punctuation and "but" start a new clause.
    pub(super) clause: usize,
}

/// The words of `text`, in order.
pub(super) fn tokenize(text: &str) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::new();
    let mut clause = 0usize;
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<Tok>, clause: usize| {
        let w = cur.trim_matches(|c| c == '\'' || c == '-' || c == '’');
        if !w.is_empty() {
            let low = w.to_lowercase().replace('’', "'");
            out.push(Tok {
                low,
                orig: w.to_owned(),
                clause,
            });
        }
        cur.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() || matches!(c, '\'' | '’' | '-' | '.' | '&') && !cur.is_empty() {
            // A dot inside a word ("1.5", "St.") stays; a final dot ends the clause below.
            cur.push(c);
        } else if matches!(c, '(' | ')' | ':' | '&' | '+') || c.is_whitespace() {
            flush(&mut cur, &mut out, clause);
        } else {
            flush(&mut cur, &mut out, clause);
            clause += 1;
        }
    }
    flush(&mut cur, &mut out, clause);
    // Trailing dots end a clause ("Alien. Also …").
    let mut fixed = Vec::with_capacity(out.len());
    let mut shift = 0usize;
    for mut t in out {
        t.clause += shift;
        let ended = t.low.ends_with('.') && t.low.chars().rev().nth(1).is_none_or(|c| c != '.');
        t.low = t.low.trim_end_matches('.').to_string();
        t.orig = t.orig.trim_end_matches('.').to_string();
        if t.low.is_empty() {
            continue;
        }
        let but_breaks = t.low == "but"
            && !fixed
                .last()
                .is_some_and(|p: &Tok| matches!(p.low.as_str(), "anything" | "everything"));
        if but_breaks {
            shift += 1;
            t.clause += 1;
        }
        fixed.push(t);
        if ended {
            shift += 1;
        }
    }
    fixed
}
