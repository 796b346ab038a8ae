//! `marquee bench search`: title-search latency over a synthetic 60,000-film catalog.
//!
//! The catalog and the queries are generated from a fixed seed, so two runs on the same machine
//! measure the same work. Issue 3 asks for p99 under 2 ms per query.

use crate::domain::catalog::search::{TitleEntry, TitleIndex};
use crate::domain::ids::MovieId;
use std::time::{Duration, Instant};

/// Films in the synthetic catalog.
pub const CATALOG_SIZE: usize = 60_000;
/// Queries timed.
pub const QUERY_COUNT: usize = 10_000;
/// The seed for the catalog and the queries.
pub const SEED: u64 = 0x5EED_0003;
/// Hits asked per query (Discord's autocomplete maximum).
const LIMIT: usize = 25;
/// Times each query is run.
const ROUNDS: usize = 3;

/// Builds the synthetic catalog, times the index build and [`QUERY_COUNT`] mixed queries
/// (exact, prefix, typo, with a year, words out of order, garbage), each run three times, and
/// writes the latency percentiles, overall and per kind of query, to `out`: once for each
/// query's first run and once for its fastest (the figure that is not noise from other
/// processes on a busy machine).
///
/// # Errors
/// Writing to `out` failed.
pub fn run(mut out: impl std::io::Write) -> anyhow::Result<()> {
    let mut rng = SplitMix64(SEED);
    let entries = synthetic_catalog(&mut rng, CATALOG_SIZE);
    let started = Instant::now();
    let index = TitleIndex::build(entries.iter().cloned());
    let build = started.elapsed();
    writeln!(
        out,
        "title search benchmark: {} films, {QUERY_COUNT} queries, limit {LIMIT}, seed {SEED:#x}",
        index.len()
    )?;
    writeln!(
        out,
        "index build: {:.1} ms ({index:?})",
        build.as_secs_f64() * 1e3
    )?;

    let queries = synthetic_queries(&mut rng, &entries, QUERY_COUNT);
    // Warm up caches and the allocator on a few queries, untimed.
    let mut checksum = 0usize;
    for (_, q) in queries.iter().take(200) {
        checksum += index.search(q, LIMIT).len();
    }
    // Each query runs ROUNDS times, round-robin over the whole list; a query's first run is its
    // cold latency, its fastest run its cost without scheduler noise from other processes.
    let mut first = vec![Duration::MAX; queries.len()];
    let mut best = vec![Duration::MAX; queries.len()];
    let mut empty = [0usize; QueryKind::ALL.len()];
    for round in 0..ROUNDS {
        for (i, (kind, q)) in queries.iter().enumerate() {
            let t = Instant::now();
            let hits = index.search(q, LIMIT);
            let took = t.elapsed();
            if round == 0 {
                first[i] = took;
                if hits.is_empty() {
                    empty[*kind as usize] += 1;
                }
            }
            best[i] = best[i].min(took);
            checksum += hits.len();
        }
    }
    for (title, times) in [
        ("single run", &first),
        (&format!("best of {ROUNDS} runs") as &str, &best),
    ] {
        writeln!(out, "\nlatency per query, {title}:")?;
        writeln!(
            out,
            "{:<10} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8}",
            "queries", "n", "p50 µs", "p90 µs", "p99 µs", "max µs", "no hit"
        )?;
        write_row(&mut out, "all", times, empty.iter().sum())?;
        for kind in QueryKind::ALL {
            let these: Vec<Duration> = queries
                .iter()
                .zip(times.iter())
                .filter(|((k, _), _)| *k == kind)
                .map(|(_, d)| *d)
                .collect();
            write_row(&mut out, kind.name(), &these, empty[kind as usize])?;
        }
    }
    writeln!(out, "(checksum {checksum})")?;
    Ok(())
}

fn write_row(
    out: &mut impl std::io::Write,
    name: &str,
    times: &[Duration],
    empty: usize,
) -> anyhow::Result<()> {
    let mut us: Vec<f64> = times.iter().map(|d| d.as_secs_f64() * 1e6).collect();
    us.sort_by(f64::total_cmp);
    let pct = |p: f64| -> f64 {
        if us.is_empty() {
            return 0.0;
        }
        let i = ((us.len() as f64 - 1.0) * p).round() as usize;
        us[i.min(us.len() - 1)]
    };
    writeln!(
        out,
        "{name:<10} {:>6} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>8}",
        us.len(),
        pct(0.5),
        pct(0.9),
        pct(0.99),
        pct(1.0),
        empty
    )?;
    Ok(())
}

/// What a benchmark query imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QueryKind {
    Exact,
    Prefix,
    Typo,
    Year,
    Shuffled,
    Garbage,
}

impl QueryKind {
    const ALL: [QueryKind; 6] = [
        QueryKind::Exact,
        QueryKind::Prefix,
        QueryKind::Typo,
        QueryKind::Year,
        QueryKind::Shuffled,
        QueryKind::Garbage,
    ];

    fn name(self) -> &'static str {
        match self {
            QueryKind::Exact => "exact",
            QueryKind::Prefix => "prefix",
            QueryKind::Typo => "typo",
            QueryKind::Year => "year",
            QueryKind::Shuffled => "shuffled",
            QueryKind::Garbage => "garbage",
        }
    }
}

/// `SplitMix64`: a tiny, good-enough seeded generator (no dependency, same numbers everywhere).
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const NOUNS: &[&str] = &[
    "Night",
    "Day",
    "City",
    "Man",
    "Woman",
    "Girl",
    "Boy",
    "King",
    "Queen",
    "War",
    "Love",
    "Heart",
    "House",
    "Road",
    "River",
    "Sea",
    "Sky",
    "Star",
    "Stars",
    "Moon",
    "Sun",
    "Fire",
    "Ice",
    "Blood",
    "Shadow",
    "Shadows",
    "Dream",
    "Dreams",
    "Story",
    "Game",
    "Games",
    "World",
    "Island",
    "Mountain",
    "Garden",
    "Window",
    "Door",
    "Mirror",
    "Ghost",
    "Ghosts",
    "Angel",
    "Devil",
    "Saint",
    "Stranger",
    "Strangers",
    "Hunter",
    "Killer",
    "Soldier",
    "Doctor",
    "Detective",
    "Lady",
    "Gentleman",
    "Prince",
    "Princess",
    "Wolf",
    "Dragon",
    "Horse",
    "Bird",
    "Birds",
    "Tiger",
    "Lion",
    "Snake",
    "Spider",
    "Machine",
    "Robot",
    "Planet",
    "Galaxy",
    "Empire",
    "Kingdom",
    "Legend",
    "Secret",
    "Secrets",
    "Promise",
    "Journey",
    "Escape",
    "Return",
    "Revenge",
    "Redemption",
    "Mission",
    "Memory",
    "Memories",
    "Summer",
    "Winter",
    "Autumn",
    "Spring",
    "Morning",
    "Evening",
    "Midnight",
    "Storm",
    "Rain",
    "Thunder",
    "Wind",
    "Desert",
    "Forest",
    "Jungle",
    "Ocean",
    "Harbor",
    "Station",
    "Train",
    "Bridge",
    "Tower",
    "Castle",
    "Palace",
    "Prison",
    "Hotel",
    "Café",
    "Street",
    "Avenue",
    "Boulevard",
    "Town",
    "Village",
    "Country",
    "Frontier",
    "Border",
    "Family",
    "Father",
    "Mother",
    "Brother",
    "Sister",
    "Son",
    "Daughter",
    "Friend",
    "Friends",
    "Enemy",
    "Lover",
    "Lovers",
    "Wedding",
    "Funeral",
    "Party",
    "Dance",
    "Song",
    "Music",
    "Symphony",
    "Circus",
    "Carnival",
    "Heist",
    "Job",
    "Deal",
    "Money",
    "Gold",
    "Diamond",
    "Diamonds",
    "Treasure",
    "Crown",
    "Sword",
    "Gun",
    "Guns",
    "Bullet",
    "Code",
    "Signal",
    "Truth",
    "Lies",
    "Time",
    "Hour",
    "Minute",
    "Year",
    "Century",
    "Future",
    "Past",
    "Edge",
    "End",
    "Beginning",
    "Ascent",
    "Odyssey",
    "Voyage",
    "Expedition",
    "Chronicles",
    "Tales",
    "Adventures",
    "Mystery",
    "Affair",
    "Scandal",
    "Conspiracy",
    "Protocol",
    "Identity",
    "Supremacy",
    "Ultimatum",
    "Interstellar",
    "Inception",
    "Matrix",
    "Godfather",
    "Shawshank",
    "Amélie",
    "Señorita",
    "Mädchen",
    "Noël",
    "Garçon",
    "Fräulein",
    "Øresund",
];

const ADJECTIVES: &[&str] = &[
    "Dark",
    "Last",
    "First",
    "Lost",
    "Little",
    "Big",
    "Great",
    "Silent",
    "Quiet",
    "Wild",
    "Broken",
    "Hidden",
    "Forgotten",
    "Eternal",
    "Final",
    "Golden",
    "Silver",
    "Red",
    "Black",
    "White",
    "Blue",
    "Green",
    "Crimson",
    "Scarlet",
    "Strange",
    "Perfect",
    "Beautiful",
    "Dangerous",
    "Deadly",
    "Secret",
    "Sweet",
    "Bitter",
    "Cold",
    "Hot",
    "Burning",
    "Frozen",
    "Long",
    "Short",
    "Endless",
    "Empty",
    "Haunted",
    "Holy",
    "Lonely",
    "Magnificent",
    "Mad",
    "Brave",
    "Fallen",
    "Rising",
    "Distant",
    "Royal",
    "American",
    "French",
    "Italian",
    "Mexican",
    "Russian",
    "Japanese",
    "Northern",
    "Southern",
    "Eastern",
    "Western",
    "Midnight",
    "Invisible",
    "Infinite",
    "Crazy",
    "Naked",
    "Young",
    "Old",
    "New",
    "Good",
    "Bad",
    "Ugly",
    "Furious",
    "Fast",
    "Slow",
];

const NUMERALS: &[&str] = &[
    "II",
    "III",
    "IV",
    "V",
    "2",
    "3",
    "4",
    "Part II",
    "Part III",
    "Chapter 2",
];

const SYLLABLES: &[&str] = &[
    "ka", "ren", "mo", "li", "tor", "van", "el", "ska", "dru", "bel", "ain", "o", "mar", "zi",
    "quen", "ra", "sha", "ny", "ber", "lo", "gan", "fi", "ust", "wen", "cor", "da", "ix", "hal",
    "pe", "ton", "ru", "sel",
];

/// Proper names (characters, places) made of syllables: the long tail of title words.
fn proper_names(rng: &mut SplitMix64, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            let word: String = (0..2 + rng.below(2))
                .map(|_| *rng.pick(SYLLABLES))
                .collect();
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        })
        .collect()
}

fn synthetic_title(rng: &mut SplitMix64, names: &[String]) -> String {
    let noun = |rng: &mut SplitMix64| (*rng.pick(NOUNS)).to_owned();
    let adj = |rng: &mut SplitMix64| (*rng.pick(ADJECTIVES)).to_owned();
    // Zipf-like: a few names are common (franchises), most are rare.
    let name = |rng: &mut SplitMix64| {
        names[((names.len() as f64) * rng.unit().powi(2)) as usize % names.len()].clone()
    };
    if rng.chance(0.3) {
        return match rng.below(5) {
            0 => name(rng),
            1 => format!("{} and the {}", name(rng), noun(rng)),
            2 => format!("The {} {}", name(rng), noun(rng)),
            3 => format!("{}'s {}", name(rng), noun(rng)),
            _ => format!("{} {}", name(rng), name(rng)),
        };
    }
    match rng.below(100) {
        0..=9 => noun(rng),
        10..=24 => format!("The {} {}", adj(rng), noun(rng)),
        25..=44 => format!("{} {}", adj(rng), noun(rng)),
        45..=54 => format!("{} of the {}", noun(rng), noun(rng)),
        55..=64 => format!("{} {}: {} of {}", adj(rng), noun(rng), noun(rng), noun(rng)),
        65..=72 => format!("{} {}, The", adj(rng), noun(rng)),
        73..=80 => format!("A {} for the {}", noun(rng), noun(rng)),
        81..=88 => format!("{} and {}", noun(rng), noun(rng)),
        89..=94 => format!("{} {} {}", adj(rng), adj(rng), noun(rng)),
        _ => format!("{}'s {}", noun(rng), noun(rng)),
    }
}

/// A seeded catalog: a few hundred common title words, 30% of titles with made-up proper names
/// (a long tail of rare words), about 8% sequels and 5% titles reused in another year; popularity is
/// heavy-tailed like vote counts.
fn synthetic_catalog(rng: &mut SplitMix64, n: usize) -> Vec<TitleEntry> {
    let names = proper_names(rng, 6_000);
    let mut out: Vec<TitleEntry> = Vec::with_capacity(n);
    while out.len() < n {
        let id = MovieId(out.len() as i64 + 1);
        let year = Some(1920 + (105.0 * rng.unit().sqrt()) as i32);
        let popularity = (10.0 / (rng.unit() + 1e-4).powf(1.3)) as i64;
        let title = if !out.is_empty() && rng.chance(0.05) {
            out[rng.below(out.len())].title.clone()
        } else if !out.is_empty() && rng.chance(0.08) {
            let base = out[rng.below(out.len())].title.clone();
            format!("{base} {}", rng.pick(NUMERALS))
        } else {
            synthetic_title(rng, &names)
        };
        out.push(TitleEntry::new(id, title, year, popularity));
    }
    out
}

fn typo(rng: &mut SplitMix64, word: &str) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    if chars.len() < 2 {
        return word.to_owned();
    }
    let i = rng.below(chars.len() - 1);
    match rng.below(4) {
        0 => chars.swap(i, i + 1),
        1 => {
            chars.remove(i);
        }
        2 => chars.insert(i, *rng.pick(&['e', 'a', 'r', 's', 't'])),
        _ => chars[i] = *rng.pick(&['e', 'a', 'o', 'i', 'n']),
    }
    chars.into_iter().collect()
}

fn garbage(rng: &mut SplitMix64) -> String {
    match rng.below(6) {
        0 => String::new(),
        1 => "🎬🍿🎥".repeat(1 + rng.below(5)),
        2 => "x".repeat(1 + rng.below(4_000)),
        3 => "%_'; DROP TABLE movies; --".to_owned(),
        4 => "\u{0}\u{7}\t\n\u{1b}[31m".to_owned(),
        _ => (0..(3 + rng.below(20)))
            .map(|_| char::from(b'a' + rng.below(26) as u8))
            .collect(),
    }
}

fn synthetic_queries(
    rng: &mut SplitMix64,
    films: &[TitleEntry],
    n: usize,
) -> Vec<(QueryKind, String)> {
    (0..n)
        .map(|_| {
            let film = &films[rng.below(films.len())];
            let title = film.title.to_lowercase();
            match rng.below(100) {
                0..=24 => (QueryKind::Exact, title),
                25..=49 => {
                    let chars: Vec<char> = title.chars().collect();
                    let k = 1 + rng.below(chars.len().max(1));
                    (
                        QueryKind::Prefix,
                        chars[..k.min(chars.len())].iter().collect(),
                    )
                }
                50..=69 => {
                    let words: Vec<String> = title
                        .split(' ')
                        .map(|w| {
                            if w.chars().count() >= 5 && rng.chance(0.6) {
                                typo(rng, w)
                            } else {
                                w.to_owned()
                            }
                        })
                        .collect();
                    (QueryKind::Typo, words.join(" "))
                }
                70..=84 => {
                    let year = film.year.unwrap_or(2000) + [0, 0, 0, 1, -3][rng.below(5)];
                    let q = if rng.chance(0.5) {
                        format!("{title} {year}")
                    } else {
                        format!("{title} ({year})")
                    };
                    (QueryKind::Year, q)
                }
                85..=89 => {
                    let mut words: Vec<&str> = title.split(' ').collect();
                    for i in (1..words.len()).rev() {
                        words.swap(i, rng.below(i + 1));
                    }
                    (QueryKind::Shuffled, words.join(" "))
                }
                _ => (QueryKind::Garbage, garbage(rng)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_synthetic_catalog_is_the_same_for_the_same_seed() {
        let a = synthetic_catalog(&mut SplitMix64(7), 500);
        let b = synthetic_catalog(&mut SplitMix64(7), 500);
        assert_eq!(a, b);
        assert_eq!(a.len(), 500);
    }

    #[test]
    #[ignore = "benchmark: run with --release -- --ignored --nocapture"]
    fn bench_search_over_sixty_thousand_titles() {
        let mut out = Vec::new();
        run(&mut out).expect("the benchmark writes to memory");
        print!("{}", String::from_utf8_lossy(&out));
    }
}
