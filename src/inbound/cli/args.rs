//! The command line (clap derive). Everything except `serve` runs without Discord.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Marquee learns your server's movie taste and runs its movie nights.
///
/// Settings come from the environment or a .env file (see .env.example):
/// DISCORD_TOKEN, DISCORD_DEV_GUILD_ID, DATABASE_URL (default sqlite://marquee.db), RUST_LOG.
#[derive(Debug, Parser)]
#[command(name = "marquee", version, about, long_about = None)]
pub struct Cli {
    /// Database to use instead of DATABASE_URL (sqlite://FILE or postgres://USER@HOST/DB).
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,

    /// The server to act in: everything about a person is kept per server (`local` unless
    /// named). A number is a Discord server's id.
    #[arg(long, global = true, value_name = "NAME", default_value = "local")]
    pub server: String,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// How `marquee serve` runs.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// Run these shards of N only: `A-B/N` (shards A to B) or `A/N` (one). Every process of
    /// the bot must say the same N. Without it, one process runs all of them (as many as
    /// Discord recommends).
    #[arg(long, value_name = "A-B/N")]
    pub shards: Option<crate::inbound::discord::ShardRange>,
    /// Never train: serve the newest stored model and swap in each new one a `marquee trainer`
    /// stores (PostgreSQL tells of it at once; it is also looked for every 30 s).
    #[arg(long)]
    pub no_train: bool,
    /// Answer `GET /healthz` and `GET /readyz` on this local address (e.g. 127.0.0.1:8080).
    #[arg(long, value_name = "HOST:PORT")]
    pub health: Option<std::net::SocketAddr>,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the Discord bot (needs DISCORD_TOKEN).
    Serve(ServeArgs),
    /// Retrain the models on a schedule and soon after new feedback, and store each one for the
    /// `serve --no-train` processes sharing the database (they are told of it at once on
    /// PostgreSQL). Runs until Ctrl-C or SIGTERM.
    Trainer {
        /// Answer `GET /healthz` and `GET /readyz` on this local address (e.g. 127.0.0.1:8079).
        #[arg(long, value_name = "HOST:PORT")]
        health: Option<std::net::SocketAddr>,
    },
    /// Play a small server end to end on the built-in catalog (ratings, a review, the taste
    /// quiz, a watch party, an experiment) and print what Marquee answers, without Discord. It
    /// runs on a temporary database of its own: DATABASE_URL is never opened.
    Demo,
    /// A terminal session with the bot's commands (/recommend, /rate, react 1 👍, …), without
    /// Discord. What `marquee` starts when there is no token and the input is a terminal.
    Console {
        /// Your name on this machine (feedback is kept per name).
        #[arg(long, default_value = "me")]
        user: String,
    },
    /// Look at the film catalog.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// Import public data sets: MovieLens (ratings and films) and TMDB (plots, keywords, votes).
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Train the recommender from every stored rating, reaction and review, and save it.
    Train {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Personal picks, each with the reason it was picked.
    Recommend {
        #[command(flatten)]
        who: Who,
        /// How many films.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=50))]
        count: u16,
        /// Only this genre (e.g. comedy, sci-fi, horror).
        #[arg(long)]
        genre: Option<String>,
        /// Only films from this year on.
        #[arg(long)]
        min_year: Option<i32>,
        /// Only films up to this year.
        #[arg(long)]
        max_year: Option<i32>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Films like the one named, with why (without the ones you turned down).
    Similar {
        #[command(flatten)]
        who: Who,
        /// The film ("Alien", "dune 1984").
        title: String,
        /// How many films.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=50))]
        count: u16,
    },
    /// Rate a film from 0.5 to 5 stars (half stars allowed).
    Rate {
        #[command(flatten)]
        who: Who,
        /// The film.
        title: String,
        /// Stars: 0.5 to 5 in half steps ("4.5", "4½").
        stars: String,
    },
    /// Write a review; Marquee reads how much you liked the film from it.
    Review {
        #[command(flatten)]
        who: Who,
        /// The film.
        title: String,
        /// The review (up to 4,000 characters).
        text: String,
    },
    /// Taste groups: who likes what, and the map of the server's taste.
    Taste {
        #[command(subcommand)]
        command: TasteCommand,
    },
    /// What Marquee keeps about a person in a server: see it, export it, or delete it.
    Privacy {
        #[command(subcommand)]
        command: PrivacyCommand,
    },
    /// Recommendation experiments (A/B tests) defined in experiments.toml.
    Experiment {
        #[command(subcommand)]
        command: ExperimentCommand,
    },
    /// Score text lines from standard input with VADER: neg, neu, pos, compound and the rating.
    Sentiment,
    /// Measure Marquee against public data sets.
    Eval {
        #[command(subcommand)]
        command: EvalCommand,
    },
    /// Micro-benchmarks whose figures go in docs/BENCHMARKS.md.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

/// Whose picks or feedback: a person on this machine, or a MovieLens rater after an import.
#[derive(Debug, Clone, clap::Args)]
pub struct Who {
    /// Your name on this machine (feedback is kept per name).
    #[arg(long, default_value = "me", conflicts_with = "movielens_user")]
    pub user: String,
    /// A MovieLens rater's id, after `marquee import movielens`.
    #[arg(long)]
    pub movielens_user: Option<i64>,
}

/// `marquee catalog …`
#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Counts: films, years, genres, links to MovieLens/TMDB/IMDb, users and feedback.
    Stats {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Find films by title; typos, accents, articles and years are understood ("dune 1984").
    Search {
        /// What to look for.
        query: String,
        /// How many results at most.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=100))]
        limit: u16,
        /// Print JSON instead of lines.
        #[arg(long)]
        json: bool,
    },
}

/// Whose data a `marquee privacy …` is about.
#[derive(Debug, Clone, clap::Args)]
pub struct PrivacyWho {
    /// A person on this machine, by name.
    #[arg(long, default_value = "me", conflicts_with = "discord_user")]
    pub user: String,
    /// A Discord user, by id (for a request that reached the operator another way; with
    /// `--server` set to the Discord server's id).
    #[arg(long, value_name = "ID")]
    pub discord_user: Option<u64>,
}

/// `marquee privacy …` (in the server `--server` names).
#[derive(Debug, Subcommand)]
pub enum PrivacyCommand {
    /// What is kept, with counts.
    Show {
        #[command(flatten)]
        who: PrivacyWho,
    },
    /// Everything, as JSON on standard output.
    Export {
        #[command(flatten)]
        who: PrivacyWho,
    },
    /// Delete everything about the person (asks for --yes).
    Forget {
        #[command(flatten)]
        who: PrivacyWho,
        /// In every server, not just this one.
        #[arg(long)]
        everywhere: bool,
        /// Yes, delete it (without it, only says what would go).
        #[arg(long)]
        yes: bool,
    },
}

/// `marquee experiment …`
#[derive(Debug, Subcommand)]
pub enum ExperimentCommand {
    /// Every experiment with its status and split.
    List,
    /// Start an experiment in this server (`--server`): its people are bucketed into the
    /// variants from now on.
    Start {
        key: String,
        /// In every server instead (the operator's decision).
        #[arg(long)]
        all_servers: bool,
    },
    /// Stop an experiment: everyone gets the default recommender again.
    Stop {
        key: String,
        /// The run in every server.
        #[arg(long)]
        all_servers: bool,
    },
    /// Per-variant figures and the verdict in plain words, for one experiment or all that ran.
    Report {
        /// Only this experiment.
        key: Option<String>,
        /// Also write each experiment's chart as KEY.png in this folder.
        #[arg(long)]
        charts: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Figures pooled over every server (else this server's).
        #[arg(long)]
        all_servers: bool,
    },
}

/// `marquee taste …`
#[derive(Debug, Subcommand)]
pub enum TasteCommand {
    /// This server's taste groups found at the last training, with names, sizes and what sets
    /// them apart.
    Groups {
        /// The groups of the imported raters (MovieLens) instead.
        #[arg(long)]
        imported: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Draw the taste map (users in 2-D, coloured by group) as a PNG, once two people have rated
    /// five films each (before that, say what is missing and exit with 1).
    Map {
        /// Where to write the PNG.
        #[arg(long, default_value = "map.png")]
        out: PathBuf,
        /// Highlight this user (a name given to --user elsewhere, or --movielens-user ID).
        #[arg(long)]
        user: Option<String>,
        /// Highlight this MovieLens rater.
        #[arg(long, conflicts_with = "user")]
        movielens_user: Option<i64>,
    },
}

/// `marquee import …`
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// A MovieLens folder: 100K (u.data, u.item), 1M/10M (ratings.dat, movies.dat) or
    /// latest/20M/25M (ratings.csv, movies.csv, tags.csv, links.csv), detected automatically.
    Movielens {
        /// The folder holding the MovieLens files.
        dir: PathBuf,
        /// No progress bar and no per-row messages; the summary is still printed.
        #[arg(long)]
        quiet: bool,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Your Letterboxd export (the ZIP, or one of its CSV files) as your ratings, watched films,
    /// watchlist and reviews.
    Letterboxd(HistoryArgs),
    /// Your IMDb "Your ratings" CSV as your ratings.
    Imdb(HistoryArgs),
    /// Your Trakt export (the ZIP, or one of its JSON files) as your ratings, watched films and
    /// watchlist.
    Trakt(HistoryArgs),
    /// The TMDB 5000 movies CSV (tmdb_5000_movies.csv), merged with films already known.
    Tmdb {
        /// The CSV file.
        file: PathBuf,
        /// No progress bar and no per-row messages; the summary is still printed.
        #[arg(long)]
        quiet: bool,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// A history export and whose it is.
#[derive(Debug, Clone, clap::Args)]
pub struct HistoryArgs {
    /// The export file (at most 25 MB).
    pub file: PathBuf,
    /// Your name on this machine (feedback is kept per name and per server).
    #[arg(long, default_value = "me")]
    pub user: String,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `marquee eval …`
#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Rating prediction (RMSE, MAE, time) on one or more train/test folds. Files are MovieLens
    /// u.data-style (tab-separated, no header) or CSV `user_id,item_id,rating,timestamp`.
    Rating {
        /// Training file; repeat --train/--test for several folds (mean over folds reported).
        #[arg(long, required = true)]
        train: Vec<PathBuf>,
        /// Test file, paired with the --train at the same position.
        #[arg(long, required = true)]
        test: Vec<PathBuf>,
        /// Model: ensemble (default), baseline, mf, svdpp, knn.
        #[arg(long)]
        model: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Also write `user,item,rating,predicted` per test row to this file.
        #[arg(long)]
        predictions: Option<PathBuf>,
    },
    /// Top-N recommendation (precision, recall, NDCG, MAP, hit rate, coverage at k, time).
    Topn {
        /// Training file.
        #[arg(long)]
        train: PathBuf,
        /// Test file.
        #[arg(long)]
        test: PathBuf,
        /// List length.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
        k: u16,
        /// Model: blend (default), ease, als, pop.
        #[arg(long)]
        model: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Also write `user,rank,item` per recommended film to this file.
        #[arg(long)]
        predictions: Option<PathBuf>,
    },
    /// Group picks ("watch party") on synthetic groups of 2, 4 and 8 test users (random, similar
    /// and divergent taste, by Pearson correlation over co-rated train films): for each strategy,
    /// the mean member NDCG@k and the worst-off member's NDCG@k of the group's top-k against each
    /// member's held-out films. Files as for `eval topn`.
    Group {
        /// Training file.
        #[arg(long)]
        train: PathBuf,
        /// Test file (not needed with --validate).
        #[arg(long, required_unless_present = "validate")]
        test: Option<PathBuf>,
        /// List length.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
        k: u16,
        /// Groups per kind and size.
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        groups: u32,
        /// Seed of the group draws.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Enjoyment (0–1) below which a member dislikes a film (default: the domain's).
        #[arg(long)]
        misery_threshold: Option<f64>,
        /// Enjoyment (0–1) at which a member approves a film (default: the domain's).
        #[arg(long)]
        approval_threshold: Option<f64>,
        /// Count only held-out films rated at least this as relevant (default: every held-out
        /// film, as in the top-N protocol).
        #[arg(long)]
        min_rating: Option<f32>,
        /// Score on per_user_split(train, 43) instead of --test (for tuning; the test file is
        /// not read).
        #[arg(long)]
        validate: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Conversational recommendations on ReDial dialogues (the strict protocol of
    /// docs/BENCHMARKS.md): Recall@k of the movie the human recommender suggested,
    /// excluding films already mentioned. Reads ml-latest-small and the ReDial→MovieLens map
    /// from beside the dialogues' folder.
    Conversation {
        /// ReDial jsonl file (e.g. ../shared/data/redial/test_data.jsonl).
        #[arg(long)]
        dialogues: PathBuf,
        /// Cut-offs, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "1,10,50")]
        k: Vec<usize>,
        /// Past conversations to learn which films go together, as `/ask` learns from its own
        /// (e.g. ../shared/data/redial/train_subset_kgsf_valid.jsonl).
        #[arg(long)]
        history: Option<PathBuf>,
        /// Cross-validate on --dialogues instead: each of this many folds is scored with the
        /// others as history (for choosing settings on training dialogues).
        #[arg(long, value_parser = clap::value_parser!(u16).range(2..=100), conflicts_with = "history")]
        folds: Option<u16>,
        /// Weight of the conversation signal (default: the bot's).
        #[arg(long)]
        together_weight: Option<f64>,
        /// Weight of being talked about in past conversations (default: the bot's).
        #[arg(long)]
        talked_weight: Option<f64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The taste quiz on users held out of training (docs/PROTOCOLS.md, "Taste quiz"): NDCG@k
    /// of the picks with no answers, after 5 and after 10 quiz answers for each film-selection
    /// strategy (random, popularity, popularity × entropy, Marquee's), and with the user's whole
    /// history.
    Quiz {
        /// A MovieLens folder: 100K (u.data, u.item) or CSV (ratings.csv, movies.csv), e.g.
        /// ../shared/data/ml-100k.
        data: PathBuf,
        /// List length.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
        k: u16,
        /// Films one quiz asks about at most (default: the bot's own limit).
        #[arg(long)]
        max_asked: Option<u16>,
        /// Score on validation users carved from the training users (seed 43), for tuning.
        #[arg(long)]
        validate: bool,
        /// A model setting, name=value (repeatable): history_damping, cf_share, content_floor,
        /// prior_weight, factors, iterations, reg, alpha.
        #[arg(long = "set")]
        settings: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// VADER against the human-rated sentences: agreement, correlation per file, throughput.
    Sentiment {
        /// Folder of *_GroundTruth.txt files (e.g. ../shared/data/vader-ground-truth).
        dir: PathBuf,
        /// Reference scores from Python vaderSentiment 3.3.2 to check parity against.
        #[arg(long)]
        reference: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `marquee bench …`
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Title-search latency over a seeded synthetic 60,000-title catalog.
    Search,
    /// Scoring latency for one user over a synthetic 60,000-film model, and fold-in time.
    Serving,
    /// Implicit ALS training, 64 factors, on generated data of MovieLens 20M shape: s/iteration, memory.
    Als {
        /// Also write the generated matrix (CSR: `als_indptr.u64`, `als_indices.u32`, little
        /// endian) into this folder, for scripts/implicit_als_bench.py.
        #[arg(long)]
        export: Option<PathBuf>,
        /// Sweeps timed per thread count.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=100))]
        iterations: u64,
    },
    /// k-means on 100,000 users × 32 dimensions (k = 8, 10 runs): time, inertia, ARI.
    Taste {
        /// Where to write the generated data (for scripts/sklearn_kmeans_bench.py).
        #[arg(long, default_value = "target/bench_taste")]
        dir: PathBuf,
    },
    /// History exports: a seeded Letterboxd export made from the catalog with typos, missing
    /// years, `Title, The`, stripped accents and years one off, matched (correct, wrong,
    /// ambiguous, missed) and imported by the real binary, timed.
    History {
        /// Rows in the export.
        #[arg(long, default_value_t = 5_000)]
        rows: usize,
        /// A MovieLens folder to import as the catalog first (the starter catalog otherwise).
        #[arg(long)]
        movielens: Option<PathBuf>,
        /// The seed of the export and its damage.
        #[arg(long, default_value_t = 23)]
        seed: u64,
    },
    /// `marquee train` end to end (wall time, peak memory) on a database of MovieLens 25M shape.
    Train {
        /// Events in the database (ML-25M has 25,000,095 ratings).
        #[arg(long, default_value_t = 25_000_000)]
        events: u64,
        /// Keep the database in this SQLite file (and reuse it when it already holds as many
        /// events); a temporary one otherwise.
        #[arg(long, value_name = "FILE")]
        db: Option<PathBuf>,
    },
    /// Rating import throughput and peak memory on a generated file of MovieLens 25M shape.
    Import {
        /// Ratings to generate (ML-25M has 25,000,095).
        #[arg(long, default_value_t = 25_000_000)]
        rows: u64,
        /// Where to write the generated files and the SQLite database (a temporary folder if unset).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// A/B analysis checks on seeded simulated experiments: A/A false winners (also when
    /// peeking), power for a planted 0.25 vs 0.30 difference, a planted sample-ratio mismatch.
    Experiments {
        /// Simulated experiments per scenario.
        #[arg(long, default_value_t = 1000)]
        runs: u32,
        /// Seed of the simulations.
        #[arg(long, default_value_t = 0x5EED_0009)]
        seed: u64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}
