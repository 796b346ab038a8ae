//! Wall-clock arithmetic on milliseconds since the Unix epoch (UTC), and reading the start time
//! of a movie night from what a person types. No clock is read here: "now" is handed in.

/// Milliseconds in a minute.
pub const MINUTE_MS: i64 = 60_000;

/// Days since 1970-01-01 of a civil date (proleptic Gregorian; Howard Hinnant's
/// `days_from_civil`).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day since 1970-01-01 (the inverse of [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// An instant as people read it: `2026-12-05 20:00 UTC`.
pub fn format_utc(ms: i64) -> String {
    let (days, rest) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (y, m, d) = civil_from_days(days);
    let minutes = rest / MINUTE_MS;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        minutes / 60,
        minutes % 60
    )
}

/// The calendar year of an instant, near enough for "recent" and "the 90s" (365.2425 days a
/// year since 1970).
pub fn year_of(ms: i64) -> i32 {
    1970 + i32::try_from(ms / 31_556_952_000).unwrap_or(0)
}

/// When a movie night starts, from what a person types: `in 90m`, `in 2h`, `in 1h30m`, or a
/// date and time in UTC, `2026-12-05 20:00` (a `T` and a trailing `Z` are accepted too).
///
/// # Errors
/// A sentence saying what to type instead.
pub fn parse_when(text: &str, now_ms: i64) -> Result<i64, String> {
    const HOW: &str =
        "Give a time as \"in 2h\", \"in 90m\" or a date and time in UTC like \"2026-12-05 20:00\".";
    let t = text.trim().to_ascii_lowercase();
    if let Some(rest) = t.strip_prefix("in ") {
        let mut minutes: i64 = 0;
        let mut number = String::new();
        for c in rest.chars().filter(|c| !c.is_whitespace()) {
            match c {
                '0'..='9' => number.push(c),
                'h' | 'm' if !number.is_empty() => {
                    let n: i64 = number.parse().map_err(|_| HOW.to_owned())?;
                    minutes += if c == 'h' { n * 60 } else { n };
                    number.clear();
                }
                _ => return Err(HOW.to_owned()),
            }
        }
        if !number.is_empty() || minutes == 0 || minutes > 60 * 24 * 90 {
            return Err(HOW.to_owned());
        }
        return Ok(now_ms + minutes * MINUTE_MS);
    }
    let t = t.trim_end_matches('z').replace('t', " ");
    let (date, time) = t.split_once(' ').ok_or_else(|| HOW.to_owned())?;
    let d: Vec<i64> = date
        .split('-')
        .map(|p| p.parse().map_err(|_| HOW.to_owned()))
        .collect::<Result<_, _>>()?;
    let hm: Vec<i64> = time
        .trim()
        .split(':')
        .take(2)
        .map(|p| p.parse().map_err(|_| HOW.to_owned()))
        .collect::<Result<_, _>>()?;
    let ([y, mo, day], [h, mi]) = (d.as_slice(), hm.as_slice()) else {
        return Err(HOW.to_owned());
    };
    if !(2000..=2200).contains(y)
        || !(1..=12).contains(mo)
        || !(1..=31).contains(day)
        || !(0..24).contains(h)
        || !(0..60).contains(mi)
    {
        return Err(HOW.to_owned());
    }
    Ok((days_from_civil(*y, *mo, *day) * 86_400 + h * 3_600 + mi * 60) * 1_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_relative_or_as_utc_dates() {
        let now = 1_700_000_000_000;
        assert_eq!(parse_when("in 2h", now), Ok(now + 7_200_000));
        assert_eq!(parse_when(" in 1h 30m ", now), Ok(now + 5_400_000));
        assert_eq!(parse_when("2026-12-05 20:00", now), Ok(1_796_500_800_000));
        assert_eq!(parse_when("2026-12-05T20:00Z", now), Ok(1_796_500_800_000));
        assert!(parse_when("1970-01-01 00:00", now).is_err());
        for bad in [
            "tomorrow",
            "in",
            "in 0m",
            "in 5x",
            "2026-13-01 10:00",
            "2026-12-05",
            "",
        ] {
            assert!(parse_when(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_epoch_is_day_zero_and_years_are_counted_from_it() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(year_of(0), 1970);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(format_utc(1_796_500_800_000), "2026-12-05 20:00 UTC");
        assert_eq!(
            parse_when("2026-12-05 20:00", 0).map(format_utc),
            Ok("2026-12-05 20:00 UTC".to_owned())
        );
        assert_eq!(year_of(1_796_500_800_000), 2026);
    }
}
