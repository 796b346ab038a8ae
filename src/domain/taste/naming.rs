//! Group names and traits: the features over-represented among a group's liked films, scored by
//! `share × ln(lift)`, turned into fixed wording.

use super::DECADES;
use super::vectors::TasteVectors;
use crate::domain::catalog::Genre;

/// Smoothing of the lift `(share_group + a) / (share_all + a)`.
const LIFT_SMOOTHING: f64 = 0.01;

fn decade_label(d: usize) -> String {
    let start = 1920 + 10 * d as i32;
    match d {
        0 => "pre-1930".to_owned(),
        _ if (1950..2000).contains(&start) => format!("{}s", start - 1900),
        _ => format!("{start}s"),
    }
}

fn genre_word(g: Genre) -> &'static str {
    match g {
        Genre::SciFi => "sci-fi",
        Genre::FilmNoir => "film noir",
        Genre::Action => "action",
        Genre::Adventure => "adventure",
        Genre::Animation => "animation",
        Genre::Comedy => "comedy",
        Genre::Crime => "crime",
        Genre::Documentary => "documentary",
        Genre::Drama => "drama",
        Genre::Family => "family",
        Genre::Fantasy => "fantasy",
        Genre::History => "history",
        Genre::Horror => "horror",
        Genre::Musical => "musical",
        Genre::Mystery => "mystery",
        Genre::Romance => "romance",
        Genre::Thriller => "thriller",
        Genre::War => "war",
        Genre::Western => "western",
    }
}

/// A fixed phrase for two genres that read better together.
#[allow(
    clippy::unnested_or_patterns,
    reason = "the genre-pair table reads best one pair per pattern"
)]
fn pair_phrase(a: Genre, b: Genre) -> Option<&'static str> {
    use Genre as G;
    let (x, y) = if a <= b { (a, b) } else { (b, a) };
    Some(match (x, y) {
        (G::Animation, G::Family) | (G::Animation, G::Comedy) => "feel-good animation",
        (G::Comedy, G::Romance) => "romantic comedy",
        (G::Drama, G::Romance) => "romantic drama",
        (G::Drama, G::SciFi) | (G::Mystery, G::SciFi) | (G::SciFi, G::Thriller) => {
            "slow-burn sci-fi"
        }
        (G::Action, G::SciFi) | (G::Adventure, G::SciFi) => "sci-fi adventure",
        (G::Action, G::Adventure) => "action-adventure",
        (G::Action, G::Thriller) | (G::Action, G::Crime) => "action thriller",
        (G::Crime, G::Thriller) => "crime thriller",
        (G::Crime, G::Drama) => "crime drama",
        (G::Crime, G::FilmNoir) | (G::FilmNoir, G::Thriller) | (G::FilmNoir, G::Mystery) => {
            "film noir"
        }
        (G::Horror, G::Thriller) | (G::Horror, G::Mystery) => "suspense horror",
        (G::Mystery, G::Thriller) => "mystery thriller",
        (G::Comedy, G::Drama) => "dramedy",
        (G::Comedy, G::Family) => "family comedy",
        (G::Adventure, G::Fantasy) | (G::Action, G::Fantasy) => "fantasy adventure",
        (G::Drama, G::History) => "historical drama",
        (G::Drama, G::War) | (G::History, G::War) => "war drama",
        (G::Comedy, G::Musical) | (G::Musical, G::Romance) => "musicals",
        (G::Adventure, G::Family) | (G::Family, G::Fantasy) => "family adventure",
        _ => return None,
    })
}

/// Features ranked by `share × ln(lift)` (positive lifts only), strongest first, ties by index.
fn distinctive(
    group: &[f64],
    all: &[f64],
    g_total: f64,
    a_total: f64,
) -> Vec<(usize, f64, f64, f64)> {
    if g_total <= 0.0 || a_total <= 0.0 {
        return Vec::new();
    }
    let mut out: Vec<(usize, f64, f64, f64)> = group
        .iter()
        .zip(all)
        .enumerate()
        .filter_map(|(i, (&g, &a))| {
            let (sg, sa) = (g / g_total, a / a_total);
            let lift = (sg + LIFT_SMOOTHING) / (sa + LIFT_SMOOTHING);
            (lift > 1.0 && sg > 0.0).then(|| (i, sg * lift.ln(), sg, lift))
        })
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

/// (name, traits, disambiguators) per group, from over-represented genres, decades, keywords
/// and directors among the members' liked films.
#[allow(
    clippy::many_single_char_names,
    reason = "maths notation: n users, k groups, d dimensions, c centroids"
)]
#[allow(clippy::type_complexity, reason = "private helper tuple")]
pub(super) fn name_groups(
    v: &TasteVectors,
    label: &[Option<usize>],
    k: usize,
) -> Vec<(String, Vec<String>, Vec<String>)> {
    let ng = Genre::ALL.len();
    let nk = v.keywords.len();
    let nd = v.directors.len();
    // Per group and overall: weighted counts of genres, decades, keywords, directors.
    let mut genc = vec![vec![0f64; ng]; k + 1];
    let mut dec = vec![vec![0f64; DECADES]; k + 1];
    let mut kw = vec![vec![0f64; nk]; k + 1];
    let mut dir = vec![vec![0f64; nd]; k + 1];
    let mut tot = vec![0f64; k + 1];
    for (u, l) in label.iter().enumerate() {
        let Some(l) = *l else { continue };
        for &(i, s) in &v.likes[u] {
            let f = &v.films[i as usize];
            let s = f64::from(s);
            for slot in [l, k] {
                tot[slot] += s;
                for (g, c) in genc[slot].iter_mut().enumerate() {
                    if f.genres & (1 << g) != 0 {
                        *c += s;
                    }
                }
                if let Some(d) = f.decade {
                    dec[slot][d] += s;
                }
                for &x in &f.keywords {
                    kw[slot][x as usize] += s;
                }
                for &x in &f.directors {
                    dir[slot][x as usize] += s;
                }
            }
        }
    }
    (0..k)
        .map(|l| {
            let genres = distinctive(&genc[l], &genc[k], tot[l], tot[k]);
            let decades = distinctive(&dec[l], &dec[k], tot[l], tot[k]);
            let keywords = distinctive(&kw[l], &kw[k], tot[l], tot[k]);
            let dirs = distinctive(&dir[l], &dir[k], tot[l], tot[k]);
            let mut traits = Vec::new();
            for &(g, _, _, lift) in genres.iter().take(3) {
                traits.push(format!("{} ×{lift:.1}", genre_word(Genre::ALL[g])));
            }
            for &(d, _, _, lift) in decades.iter().take(1).filter(|d| d.3 >= 1.3) {
                traits.push(format!("{} ×{lift:.1}", decade_label(d)));
            }
            let strong = |x: &&(usize, f64, f64, f64)| x.2 >= 0.03 && x.3 >= 2.0;
            let kws: Vec<String> = keywords
                .iter()
                .filter(strong)
                .take(3)
                .map(|x| v.keywords[x.0].clone())
                .collect();
            let ds: Vec<String> = dirs
                .iter()
                .filter(strong)
                .take(2)
                .map(|x| v.directors[x.0].clone())
                .collect();
            traits.extend(kws.iter().cloned());
            traits.extend(ds.iter().cloned());
            let phrase = match genres.as_slice() {
                [] => "all-rounders".to_owned(),
                [(a, sa, ..), rest @ ..] => {
                    let a = Genre::ALL[*a];
                    let second = rest
                        .iter()
                        .find(|(_, s, _, lift)| *s >= 0.5 * sa && *lift >= 1.2);
                    match second {
                        Some(&(b, ..)) => pair_phrase(a, Genre::ALL[b]).map_or_else(
                            || format!("{} & {}", genre_word(a), genre_word(Genre::ALL[b])),
                            str::to_owned,
                        ),
                        None => genre_word(a).to_owned(),
                    }
                }
            };
            let decade = decades
                .first()
                .filter(|d| d.2 >= 0.3 && d.3 >= 1.4)
                .map(|d| decade_label(d.0));
            let name = match decade {
                Some(d) if !genres.is_empty() => format!("{d} {phrase}"),
                _ => phrase,
            };
            let mut extra: Vec<String> = ds.into_iter().chain(kws).collect();
            if let Some((g, ..)) = genres.get(1) {
                extra.push(genre_word(Genre::ALL[*g]).to_owned());
            }
            (capitalise(&name), traits, extra)
        })
        .collect()
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use crate::domain::recommend::snapshot::{TrainParams, train};
    use crate::domain::taste::compute_groups;
    use crate::domain::taste::planted::{content_params, planted_world};

    #[test]
    fn names_are_deterministic() {
        let (catalog, events) = planted_world(150, 4, true);
        let snap = train(&catalog, &events, &TrainParams::default()).expect("trains");
        let a = compute_groups(&snap, &catalog, &events, None, &content_params());
        let b = compute_groups(&snap, &catalog, &events, None, &content_params());
        assert_eq!(a, b);
        // Groups are listed largest first; three planted groups of about 50 users each can
        // come out in any size order, so compare the names as a set.
        let mut names: Vec<&str> = a.groups().iter().map(|g| g.name.as_str()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "90s sci-fi adventure",
                "Animation & romance",
                "Documentary & horror"
            ],
            "{:?}",
            a.warnings()
        );
        assert!(
            a.groups()
                .iter()
                .filter(|g| g.name.starts_with("90s"))
                .all(|g| g.traits.iter().any(|t| t.starts_with("90s")))
        );
    }
}
