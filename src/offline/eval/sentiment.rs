//! `marquee sentiment` (score stdin lines) and `marquee eval sentiment DIR` (parity with Python
//! vaderSentiment 3.3.2, Pearson r against the human ratings of Hutto & Gilbert 2014, and
//! throughput).

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use serde::Serialize;

use crate::domain::sentiment::{SentimentScorer, Vader, calibrated_rating, score_review};

/// Reads text lines from `input` and writes one line per input line to `out`:
/// `neg\tneu\tpos\tcompound\trating` (4 decimals) from the product layer
/// ([`score_review`]: cleaning, per-sentence scoring, calibration). A refused line (empty,
/// too long) prints `-\t-\t-\t-\t-\t` followed by the reason, so output lines stay aligned
/// with input lines. Invalid UTF-8 is replaced, not fatal.
pub fn run_sentiment_stdin(mut input: impl BufRead, mut out: impl Write) -> anyhow::Result<()> {
    let vader = Vader::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf).context("reading stdin")? == 0 {
            break;
        }
        let line = String::from_utf8_lossy(&buf);
        let line = line.strip_suffix('\n').unwrap_or(&line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        match score_review(&vader, line) {
            Ok(r) => writeln!(
                out,
                "{:.4}\t{:.4}\t{:.4}\t{:.4}\t{:.4}",
                r.scores.neg, r.scores.neu, r.scores.pos, r.scores.compound, r.rating
            )?,
            Err(e) => writeln!(out, "-\t-\t-\t-\t-\t{e}")?,
        }
    }
    out.flush()?;
    Ok(())
}

/// One human-rated sentence of a ground-truth file.
struct Row {
    id: String,
    mean: f64,
    text: String,
}

/// Reads a `*_GroundTruth.txt` file: split on `\n`, drop a trailing `\r`, skip empty lines,
/// split on the first two tabs (`ID`, mean rating, text; the text is not trimmed).
fn read_ground_truth(path: &Path) -> anyhow::Result<Vec<Row>> {
    let raw =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut rows = Vec::new();
    for (n, line) in raw.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let mut f = line.splitn(3, '\t');
        let (Some(id), Some(mean), Some(text)) = (f.next(), f.next(), f.next()) else {
            anyhow::bail!(
                "{}:{}: expected ID<TAB>mean<TAB>text",
                path.display(),
                n + 1
            );
        };
        let mean = mean
            .trim()
            .parse()
            .with_context(|| format!("{}:{}: bad mean rating {mean:?}", path.display(), n + 1))?;
        rows.push(Row {
            id: id.to_owned(),
            mean,
            text: text.to_owned(),
        });
    }
    Ok(rows)
}

/// Reads the reference written by `scripts/vader_reference.py ground-truth`:
/// `#` comments, then `file\tid\tneg\tneu\tpos\tcompound`.
fn read_reference(path: &Path) -> anyhow::Result<HashMap<(String, String), [f64; 4]>> {
    let raw =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut map = HashMap::new();
    for (n, line) in raw.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let bad = || {
            format!(
                "{}:{}: expected file, id, neg, neu, pos, compound",
                path.display(),
                n + 1
            )
        };
        anyhow::ensure!(f.len() == 6, bad());
        let mut v = [0.0; 4];
        for (slot, s) in v.iter_mut().zip(&f[2..]) {
            *slot = s.parse().with_context(bad)?;
        }
        map.insert((f[0].to_owned(), f[1].to_owned()), v);
    }
    Ok(map)
}

/// Pearson's correlation coefficient; `None` for fewer than 2 points or no variance.
fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len().min(y.len());
    if n < 2 {
        return None;
    }
    let (mx, my) = (
        x.iter().sum::<f64>() / n as f64,
        y.iter().sum::<f64>() / n as f64,
    );
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

/// Parity of one file's raw compound scores with the Python reference.
#[derive(Debug, Serialize)]
struct Agreement {
    /// Rows found in the reference.
    compared: usize,
    /// Rows missing from the reference.
    missing: usize,
    /// |compound − Python| ≤ 0.001.
    within_0_001: usize,
    /// All four rounded fields equal to Python's (to 1e-9).
    exact: usize,
    /// Largest |compound − Python|.
    max_abs_diff: f64,
}

#[derive(Debug, Serialize)]
struct FileReport {
    file: String,
    sentences: usize,
    /// Human mean vs raw VADER compound.
    r_compound: Option<f64>,
    /// Human mean vs `calibrated_rating(raw compound)`.
    r_calibrated: Option<f64>,
    /// Human mean vs the product layer's rating (cleaning + per-sentence mean + calibration).
    r_review_rating: Option<f64>,
    /// Rows the product layer refused (empty / too long), left out of `r_review_rating`.
    refused: usize,
    agreement: Option<Agreement>,
}

#[derive(Debug, Serialize)]
struct Throughput {
    sentences: usize,
    /// Raw VADER, best of the passes, one thread.
    raw_per_s: f64,
    /// Product layer ([`score_review`]), best of the passes, one thread.
    review_per_s: f64,
    passes: usize,
    release_build: bool,
}

#[derive(Debug, Serialize)]
struct EvalReport {
    scorer: String,
    reference: Option<String>,
    files: Vec<FileReport>,
    total: FileReport,
    throughput: Throughput,
}

fn file_report(
    name: &str,
    rows: &[&Row],
    compounds: &[f64],
    vader: &Vader,
    reference: Option<&HashMap<(String, String), [f64; 4]>>,
    raw_scores: &[[f64; 4]],
    names: &[&str],
) -> FileReport {
    let means: Vec<f64> = rows.iter().map(|r| r.mean).collect();
    let calibrated: Vec<f64> = compounds.iter().map(|&c| calibrated_rating(c)).collect();
    let (mut rm, mut rr, mut refused) = (Vec::new(), Vec::new(), 0);
    for row in rows {
        match score_review(vader, &row.text) {
            Ok(r) => {
                rm.push(row.mean);
                rr.push(r.rating);
            }
            Err(_) => refused += 1,
        }
    }
    let agreement = reference.map(|reference| {
        let mut a = Agreement {
            compared: 0,
            missing: 0,
            within_0_001: 0,
            exact: 0,
            max_abs_diff: 0.0,
        };
        for ((row, got), file) in rows.iter().zip(raw_scores).zip(names) {
            let Some(want) = reference.get(&((*file).to_owned(), row.id.clone())) else {
                a.missing += 1;
                continue;
            };
            a.compared += 1;
            let d = (got[3] - want[3]).abs();
            a.max_abs_diff = a.max_abs_diff.max(d);
            if d <= 0.001 + 1e-12 {
                a.within_0_001 += 1;
            }
            if got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-9) {
                a.exact += 1;
            }
        }
        a
    });
    FileReport {
        file: name.to_owned(),
        sentences: rows.len(),
        r_compound: pearson(&means, compounds),
        r_calibrated: pearson(&means, &calibrated),
        r_review_rating: pearson(&rm, &rr),
        refused,
        agreement,
    }
}

fn best_rate(texts: &[&str], passes: usize, mut f: impl FnMut(&str) -> f64) -> f64 {
    let mut best = f64::INFINITY;
    let mut sink = 0.0;
    for _ in 0..passes {
        let t = Instant::now();
        for text in texts {
            sink += f(text);
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    std::hint::black_box(sink);
    texts.len() as f64 / best.max(1e-9)
}

/// Evaluates the VADER scorer on every `*_GroundTruth.txt` in `dir` (Hutto & Gilbert 2014's
/// human-rated sentences) and writes a report to `out` (text, or JSON with `json`):
/// - per file and in total, Pearson r of the human mean against the raw compound, against
///   the calibrated rating of the raw compound, and against the product layer's rating;
/// - parity with Python vaderSentiment 3.3.2 when a reference is given, or when
///   `DIR/vader_reference.tsv` exists (format of `scripts/vader_reference.py ground-truth`):
///   how many compounds lie within 0.001 of Python's, how many match on all four fields;
/// - throughput on one thread, best of 3 passes, raw and product layer (run a release build).
pub fn run_eval_sentiment(
    dir: &Path,
    reference: Option<&Path>,
    json: bool,
    mut out: impl Write,
) -> anyhow::Result<()> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with("_GroundTruth.txt"))
        })
        .collect();
    paths.sort();
    anyhow::ensure!(
        !paths.is_empty(),
        "no *_GroundTruth.txt files in {}",
        dir.display()
    );

    let default_ref = dir.join("vader_reference.tsv");
    let reference_path = reference
        .map(Path::to_path_buf)
        .or_else(|| default_ref.is_file().then_some(default_ref));
    let reference_map = reference_path.as_deref().map(read_reference).transpose()?;

    let mut files: Vec<(String, Vec<Row>)> = Vec::new();
    for p in &paths {
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        files.push((name, read_ground_truth(p)?));
    }

    let vader = Vader::new();
    let mut reports = Vec::new();
    let (mut all_rows, mut all_compounds, mut all_raw, mut all_names) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (name, rows) in &files {
        let raw: Vec<[f64; 4]> = rows
            .iter()
            .map(|r| {
                let s = vader.polarity_scores(&r.text);
                [s.neg, s.neu, s.pos, s.compound]
            })
            .collect();
        let compounds: Vec<f64> = raw.iter().map(|s| s[3]).collect();
        let refs: Vec<&Row> = rows.iter().collect();
        let names = vec![name.as_str(); rows.len()];
        reports.push(file_report(
            name,
            &refs,
            &compounds,
            &vader,
            reference_map.as_ref(),
            &raw,
            &names,
        ));
        all_rows.extend(refs);
        all_compounds.extend(compounds);
        all_raw.extend(raw);
        all_names.extend(names);
    }
    let total = file_report(
        "all",
        &all_rows,
        &all_compounds,
        &vader,
        reference_map.as_ref(),
        &all_raw,
        &all_names,
    );

    let texts: Vec<&str> = all_rows.iter().map(|r| r.text.as_str()).collect();
    let passes = 3;
    let throughput = Throughput {
        sentences: texts.len(),
        raw_per_s: best_rate(&texts, passes, |t| vader.polarity_scores(t).compound),
        review_per_s: best_rate(&texts, passes, |t| {
            score_review(&vader, t).map_or(0.0, |r| r.rating)
        }),
        passes,
        release_build: !cfg!(debug_assertions),
    };
    let report = EvalReport {
        scorer: format!("{vader:?}"),
        reference: reference_path.map(|p| p.display().to_string()),
        files: reports,
        total,
        throughput,
    };
    if json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write_text(&mut out, &report)?;
    }
    out.flush()?;
    Ok(())
}

fn fmt_r(r: Option<f64>) -> String {
    r.map_or_else(|| "n/a".to_owned(), |r| format!("{r:.4}"))
}

fn write_text(out: &mut impl Write, report: &EvalReport) -> anyhow::Result<()> {
    writeln!(out, "Scorer: {}", report.scorer)?;
    match &report.reference {
        Some(p) => writeln!(out, "Reference: {p}")?,
        None => writeln!(
            out,
            "Reference: none (pass --reference to check parity with Python)"
        )?,
    }
    writeln!(out, "\nPearson r against the human mean rating:")?;
    writeln!(
        out,
        "  {:<40} {:>6} {:>10} {:>11} {:>13} {:>8}",
        "file", "n", "compound", "calibrated", "review rating", "refused"
    )?;
    for f in report.files.iter().chain(std::iter::once(&report.total)) {
        writeln!(
            out,
            "  {:<40} {:>6} {:>10} {:>11} {:>13} {:>8}",
            f.file,
            f.sentences,
            fmt_r(f.r_compound),
            fmt_r(f.r_calibrated),
            fmt_r(f.r_review_rating),
            f.refused
        )?;
    }
    if report.reference.is_some() {
        writeln!(out, "\nParity with Python vaderSentiment 3.3.2 (compound):")?;
        for f in report.files.iter().chain(std::iter::once(&report.total)) {
            if let Some(a) = &f.agreement {
                let pct = if a.compared == 0 {
                    0.0
                } else {
                    100.0 * a.within_0_001 as f64 / a.compared as f64
                };
                writeln!(
                    out,
                    "  {:<40} within 0.001: {}/{} ({pct:.3}%), all four fields exact: {}, missing: {}, max |diff|: {:.4}",
                    f.file, a.within_0_001, a.compared, a.exact, a.missing, a.max_abs_diff
                )?;
            }
        }
    }
    let t = &report.throughput;
    writeln!(
        out,
        "\nThroughput (one thread, best of {} passes over {} sentences{}):\n  raw VADER     {:>10.0} sentences/s\n  review layer  {:>10.0} sentences/s",
        t.passes,
        t.sentences,
        if t.release_build {
            ""
        } else {
            ", DEBUG build: use --release"
        },
        t.raw_per_s,
        t.review_per_s
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdin_lines_get_four_scores_and_a_rating_or_a_polite_refusal() {
        let input = "I ❤️ this film\n\n   \r\nnot good\r\n";
        let mut out = Vec::new();
        run_sentiment_stdin(input.as_bytes(), &mut out).expect("runs");
        let text = String::from_utf8(out).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(
            lines[0].starts_with("0.0000\t0.4880\t0.5120\t0.6369\t"),
            "{}",
            lines[0]
        );
        assert_eq!(lines[1], "-\t-\t-\t-\t-\tthe review is empty");
        assert_eq!(lines[2], "-\t-\t-\t-\t-\tthe review is empty");
        assert!(
            lines[3].starts_with("0.7060\t0.2940\t0.0000\t-0.3412\t"),
            "{}",
            lines[3]
        );
    }

    #[test]
    fn invalid_utf8_on_stdin_is_replaced_not_fatal() {
        let mut out = Vec::new();
        run_sentiment_stdin(&b"good \xff movie"[..], &mut out).expect("runs");
        assert_eq!(String::from_utf8(out).expect("utf-8").lines().count(), 1);
    }

    #[test]
    fn pearson_r_is_one_for_a_line_and_none_without_variance() {
        let r = pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]).expect("defined");
        assert!((r - 1.0).abs() < 1e-12);
        assert_eq!(pearson(&[1.0, 1.0], &[1.0, 2.0]), None);
        assert_eq!(pearson(&[1.0], &[1.0]), None);
    }

    #[test]
    fn the_eval_reads_a_small_ground_truth_folder_and_a_reference() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("tiny_GroundTruth.txt"),
            "1\t2.5\tI love it!\r\n2\t-3.0\tawful, just awful\r\n3\t0.1\tit is a film",
        )
        .expect("write");
        let reference = dir.path().join("ref.tsv");
        std::fs::write(
            &reference,
            "# header\ntiny_GroundTruth.txt\t1\t0.0\t0.308\t0.692\t0.6696\ntiny_GroundTruth.txt\t2\t0.0\t0.0\t0.0\t0.0\n",
        )
        .expect("write");
        let mut out = Vec::new();
        run_eval_sentiment(dir.path(), Some(&reference), true, &mut out).expect("runs");
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(v["total"]["sentences"], 3);
        assert_eq!(v["total"]["agreement"]["compared"], 2);
        assert_eq!(v["total"]["agreement"]["missing"], 1);
        assert_eq!(v["total"]["agreement"]["within_0_001"], 1);
        assert!(v["total"]["r_compound"].as_f64().expect("r") > 0.9);
        let mut text = Vec::new();
        run_eval_sentiment(dir.path(), Some(&reference), false, &mut text).expect("runs");
        assert!(
            String::from_utf8(text)
                .expect("utf-8")
                .contains("within 0.001: 1/2")
        );
    }

    /// `cargo test --release --lib eval_on_the_shared_ground_truth -- --ignored --nocapture`
    /// with `VADER_GT_DIR` (and optionally `VADER_GT_REFERENCE`) set.
    #[test]
    #[ignore = "needs the shared ground-truth data; prints the eval report"]
    fn eval_on_the_shared_ground_truth() {
        let dir = std::env::var("VADER_GT_DIR").expect("set VADER_GT_DIR");
        let reference = std::env::var("VADER_GT_REFERENCE").ok();
        let mut out = Vec::new();
        run_eval_sentiment(
            Path::new(&dir),
            reference.as_deref().map(Path::new),
            false,
            &mut out,
        )
        .expect("runs");
        println!("{}", String::from_utf8_lossy(&out));
    }
}
