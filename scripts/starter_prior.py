"""Derives catalog/starter-prior.tsv: how well known and how well liked each starter film is,
from public aggregate data, so a fresh Marquee can say something true about its first picks.

For every film of catalog/starter-*.tsv it writes one row `title year count mean source`:

- source `movielens`: `count` ratings in MovieLens latest-small (GroupLens Research, University
  of Minnesota; ratings.csv, 610 people, 1996-2018) and their `mean` in stars (0.5-5);
- source `tmdb`: for a film MovieLens lacks (or has fewer than MIN_ML ratings of), `count`
  votes and their `mean` (0-10) in the TMDB 5000 movies table (Kaggle's "TMDB 5000 Movie
  Dataset", drawn from The Movie Database);
- a film found in neither gets no row (no prior).

Matching (a film is the same film when its title matches and its year is within one year):
titles are compared case-, accent- and punctuation-blind, with MovieLens's "Title, The (1999)"
turned round, its "(a.k.a. ...)" and other bracketed alternative titles tried too, and TMDB's
`original_title` beside its `title`. A starter film that matches a TMDB film by title also
finds its MovieLens film through MovieLens's links.csv (tmdbId), which catches films MovieLens
lists under another title. As a last resort the part of a title before ":" (or " or ") is
compared, when that leaves exactly one candidate.

Only these aggregates (two numbers per film) are committed; the data sets stay out of the
repository. The MovieLens terms apply to the derived numbers: research and non-commercial use,
no endorsement by the University of Minnesota or GroupLens implied (see the data's README).

    python3 scripts/starter_prior.py ../shared/data > catalog/starter-prior.tsv

Standard library only; deterministic output. Prints how many films matched to standard error.
"""
import csv
import json
import os
import re
import sys
import unicodedata
from collections import defaultdict

# Fewer MovieLens ratings than this and a TMDB match is preferred (more votes, steadier mean).
MIN_ML = 5

ARTICLES = {
    "the", "a", "an", "la", "le", "les", "l", "il", "lo", "i", "gli", "el", "los", "las",
    "der", "die", "das", "den", "det", "de", "o", "os", "as", "un", "une", "uno", "una",
}


def fold(text):
    """Lower case, no accents, '&' as 'and', punctuation as spaces, single spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.lower().replace("&", " and ").replace("'", "").replace(".", "")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    # British and American spellings ("Three Colours" / "Three Colors").
    text = re.sub(r"\b(colo|favo|hono|harbo|humo|neighbo|armo|vapo)ur", r"\1r", text)
    # Numbers as digits ("Chapter Two" / "Chapter 2"); both sides are folded alike.
    words = [NUMBERS.get(w, w) for w in text.split()]
    return " ".join(words)


NUMBERS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}


def unarticle(title):
    """'Godfather, The' -> 'The Godfather' (and 'Strada, La' -> 'La Strada')."""
    m = re.match(r"^(.*), ?(the|a|an|la|le|les|l'|il|lo|i|gli|el|los|las|der|die|das|den|det|"
                 r"de|o|os|as|un|une|uno|una)$", title.strip(), re.IGNORECASE)
    if m:
        article = m.group(2)
        sep = "" if article.endswith("'") else " "
        return f"{article}{sep}{m.group(1)}"
    return title


def keys(title):
    """The exact keys of a title: folded, and folded without a leading article."""
    out = set()
    folded = fold(unarticle(title))
    if folded:
        out.add(folded)
        words = folded.split()
        if len(words) > 1 and words[0] in ARTICLES:
            out.add(" ".join(words[1:]))
    return out


def part_keys(title):
    """Fallback keys (used only when they leave one candidate), by kind: 'full' (the title
    without a possessive credit, "National Lampoon's Animal House" -> "Animal House"), 'head'
    (the part before ':', ' or ', ' - ') and 'tail' (the part after it)."""
    out = {"full": set(), "head": set(), "tail": set()}
    for cut in (":", " or ", " - ", " – "):
        if cut in title:
            head, tail = title.split(cut, 1)
            if len(fold(head)) >= 4:
                out["head"] |= keys(head)
            if len(fold(tail)) >= 4:
                out["tail"] |= keys(tail)
    m = re.match(r"^[^:]*?['’]s (.{4,})$", title)
    if m:
        out["full"] |= keys(m.group(1))
    return out


# Which kinds of keys may meet: a whole title may be the other's main title or subtitle, and
# two subtitles may meet, but two main titles may not ("Avengers: Endgame" is not "Avengers:
# Infinity War").
PAIRS = [("full", "full"), ("full", "head"), ("full", "tail"), ("head", "full"),
         ("tail", "full"), ("tail", "tail")]


def ml_titles(raw):
    """MovieLens 'Main, The (Alt) (a.k.a. Other) (1999)' -> (['The Main', 'Alt', 'Other'], 1999)."""
    raw = raw.strip()
    year = None
    m = re.search(r"\((\d{4})(?:[-–]\d{0,4})?\)\s*$", raw)
    if m:
        year = int(m.group(1))
        raw = raw[: m.start()].strip()
    titles = []
    # Peel trailing bracketed alternatives off one at a time.
    while True:
        m = re.search(r"\s*\(([^()]*)\)\s*$", raw)
        if not m or m.start() == 0:
            break
        alt = re.sub(r"^(a\.k\.a\.|aka)\s*", "", m.group(1).strip(), flags=re.IGNORECASE)
        titles.append(alt)
        raw = raw[: m.start()].strip()
    titles.insert(0, raw)
    return [unarticle(t) for t in titles if t], year


def read_starter(root):
    films = []
    for name in ("starter-classic.tsv", "starter-modern.tsv"):
        with open(os.path.join(root, "catalog", name), encoding="utf-8") as f:
            next(f)
            for line in f:
                cols = line.rstrip("\n").split("\t")
                if len(cols) >= 2 and cols[0].strip():
                    films.append((cols[0].strip(), int(cols[1])))
    return films


def read_movielens(data):
    base = os.path.join(data, "ml-latest-small")
    stats = defaultdict(lambda: [0, 0.0])
    with open(os.path.join(base, "ratings.csv"), encoding="utf-8") as f:
        for row in csv.DictReader(f):
            s = stats[int(row["movieId"])]
            s[0] += 1
            s[1] += float(row["rating"])
    films = {}
    with open(os.path.join(base, "movies.csv"), encoding="utf-8") as f:
        for row in csv.DictReader(f):
            mid = int(row["movieId"])
            titles, year = ml_titles(row["title"])
            n, total = stats.get(mid, (0, 0.0))
            if n > 0:
                films[mid] = {"titles": titles, "year": year, "count": n, "mean": total / n}
    by_tmdb = {}
    with open(os.path.join(base, "links.csv"), encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["tmdbId"] and int(row["movieId"]) in films:
                by_tmdb[int(row["tmdbId"])] = int(row["movieId"])
    return films, by_tmdb


def read_tmdb(data):
    films = {}
    path = os.path.join(data, "tmdb-5000", "tmdb_5000_movies.csv")
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            date = row["release_date"]
            count = int(row["vote_count"] or 0)
            if len(date) < 4 or count <= 0:
                continue
            titles = [row["title"]]
            if row["original_title"] and row["original_title"] != row["title"]:
                titles.append(row["original_title"])
            films[int(row["id"])] = {
                "titles": titles,
                "year": int(date[:4]),
                "count": count,
                "mean": float(row["vote_average"]),
            }
    return films


class Index:
    """Films by exact key and by part key (see part_keys)."""

    def __init__(self, films):
        self.films = films
        self.exact = defaultdict(set)
        self.parts = {kind: defaultdict(set) for kind in ("full", "head", "tail")}
        for fid, film in films.items():
            for t in film["titles"]:
                for k in keys(t):
                    self.exact[k].add(fid)
                    self.parts["full"][k].add(fid)
                for kind, ks in part_keys(t).items():
                    for k in ks:
                        self.parts[kind][k].add(fid)

    def find(self, title, year):
        """The best match: exact title and year, then exact title within a year (ties go to
        the most counted film), then the only exact title within three years (release years
        differ between countries), then the only loose match within a year, then the only
        exact title among films listed without a year."""
        def near(ids, slack):
            return [
                i for i in ids
                if self.films[i]["year"] is not None and abs(self.films[i]["year"] - year) <= slack
            ]

        exact = set()
        for k in keys(title):
            exact |= self.exact.get(k, set())
        for slack in (0, 1):
            found = near(exact, slack)
            if found:
                return max(found, key=lambda i: (self.films[i]["count"], -i))
        found = near(exact, 3)
        if len(found) == 1:
            return found[0]
        mine = part_keys(title)
        mine["full"] |= keys(title)
        loose = set()
        for a, b in PAIRS:
            for k in mine[a]:
                loose |= self.parts[b].get(k, set())
        found = near(loose, 1)
        if len(found) == 1:
            return found[0]
        undated = [i for i in exact if self.films[i]["year"] is None]
        if len(exact) == 1 and len(undated) == 1:
            return undated[0]
        return None


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join("..", "shared", "data")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    starter = read_starter(root)
    ml, ml_by_tmdb = read_movielens(data)
    tmdb = read_tmdb(data)
    ml_index, tmdb_index = Index(ml), Index(tmdb)

    out = []
    counts = defaultdict(int)
    for title, year in starter:
        ml_id = ml_index.find(title, year)
        tmdb_id = tmdb_index.find(title, year)
        if ml_id is None and tmdb_id is not None and tmdb_id in ml_by_tmdb:
            candidate = ml_by_tmdb[tmdb_id]
            if ml[candidate]["year"] is None or abs(ml[candidate]["year"] - year) <= 1:
                ml_id = candidate
                counts["movielens via links.csv"] += 1
        ml_film = ml.get(ml_id) if ml_id is not None else None
        tmdb_film = tmdb.get(tmdb_id) if tmdb_id is not None else None
        if ml_film and (ml_film["count"] >= MIN_ML or tmdb_film is None):
            out.append((title, year, ml_film["count"], f"{ml_film['mean']:.2f}", "movielens"))
            counts["movielens"] += 1
        elif tmdb_film:
            out.append((title, year, tmdb_film["count"], f"{tmdb_film['mean']:.1f}", "tmdb"))
            counts["tmdb"] += 1
        else:
            counts["no match"] += 1
            print(f"no match: {title} ({year})", file=sys.stderr)

    print("# How well known and how well liked each starter film is, from public aggregate data.")
    print("# Written by scripts/starter_prior.py; do not edit by hand (run it again).")
    print("# source movielens: count = ratings in MovieLens latest-small (GroupLens Research,")
    print("#   University of Minnesota, https://grouplens.org/datasets/movielens/; 610 people,")
    print("#   1996-2018), mean = their mean in stars (0.5-5). Research and non-commercial use;")
    print("#   no endorsement by the University of Minnesota or GroupLens is implied.")
    print("# source tmdb: count = votes in the TMDB 5000 movies table (Kaggle \"TMDB 5000 Movie")
    print("#   Dataset\", data from The Movie Database, https://www.themoviedb.org/), mean = their")
    print("#   average (0-10); used for films MovieLens lacks or has fewer than "
          f"{MIN_ML} ratings of.")
    print("# Films found in neither have no row. Matching: title (case, accents, punctuation,")
    print("#   \"Title, The\", a.k.a. and original titles) and year within one year.")
    print("title\tyear\tcount\tmean\tsource")
    for row in out:
        print("\t".join(str(c) for c in row))
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
    print(f"{len(starter)} starter films; {summary}", file=sys.stderr)


if __name__ == "__main__":
    main()
