//! Lists of films: personal picks (`/recommend`, "Refresh"), films like one (`/similar`, "More
//! like #1"). Each list is stored as impressions (one row per film and position) under its list
//! id, so a reaction on it finds its film, and attributed to the caller's experiment variant.

use crate::app::command::{Filters, ListId};
use crate::app::lab::Lab;
use crate::app::reply::Reply;
use crate::app::services::{Services, Who};
use crate::domain::catalog::Genre;
use crate::domain::feedback::combine;
use crate::domain::group_signal::personal_picks;
use crate::domain::ids::MovieId;
use crate::domain::ports::{ExperimentRepo as _, ImpressionRepo as _, Surface};
use crate::domain::recommend::Pick;
use crate::domain::recommend::cold::Baseline;
use crate::domain::recommend::snapshot::RecRequest;
use std::collections::{HashMap, HashSet};

/// Picks per list when the request names no count.
pub const DEFAULT_COUNT: usize = 5;
/// The most picks one list may hold.
pub const MAX_COUNT: usize = 50;

/// The count and genre of a `/recommend`, or the reply explaining what is wrong with them.
fn check_filters(filters: &Filters) -> Result<(usize, Option<Genre>), Reply> {
    let count = filters.count.unwrap_or(DEFAULT_COUNT);
    if !(1..=MAX_COUNT).contains(&count) {
        return Err(Reply::Invalid(format!(
            "Ask for 1 to {MAX_COUNT} films (you asked for {count})."
        )));
    }
    let genre = match filters
        .genre
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
    {
        None => None,
        Some(name) => {
            let Ok(g) = name.parse::<Genre>() else {
                let all: Vec<&str> = Genre::ALL.iter().map(|g| g.name()).collect();
                return Err(Reply::Invalid(format!(
                    "\"{name}\" is not a genre I know. Try one of: {}.",
                    all.join(", ")
                )));
            };
            Some(g)
        }
    };
    if let (Some(from), Some(to)) = (filters.min_year, filters.max_year) {
        if from > to {
            return Err(Reply::Invalid(format!(
                "The year range {from}–{to} is empty: min_year must not be after max_year."
            )));
        }
    }
    Ok((count, genre))
}

fn lines(s: &Services, picks: &[Pick]) -> Vec<crate::app::reply::PickLine> {
    s.pick_lines(picks.iter().map(|p| (p.movie, p.reason.to_string())))
}

/// `/recommend`: personal picks, optionally filtered; `instead_of` names a list shown before
/// whose films are left out ("Refresh").
///
/// # Errors
/// Storage or the model fails.
pub async fn recommend(
    s: &Services,
    lab: &Lab,
    who: &Who<'_>,
    filters: &Filters,
    instead_of: Option<ListId>,
) -> anyhow::Result<Reply> {
    let (count, genre) = match check_filters(filters) {
        Ok(ok) => ok,
        Err(reply) => return Ok(reply),
    };
    let user = who.user;
    let events = s.events_of(user).await?;
    let exclude = match instead_of {
        Some(list) => s
            .store
            .impressions_of_message(list)
            .await?
            .into_iter()
            .map(|i| i.shown.movie)
            .collect(),
        None => Vec::new(),
    };
    let arm = lab.arm_for(s, user, who.caller.server).await?;
    let mut request = RecRequest {
        count,
        genre,
        min_year: filters.min_year,
        max_year: filters.max_year,
        exclude,
        ..RecRequest::default()
    };
    if let Some(lambda) = arm.as_ref().and_then(|a| a.config.diversity_lambda) {
        request.diversity_lambda = lambda;
    }
    let popularity_only = arm
        .as_ref()
        .is_some_and(crate::app::lab::Arm::popularity_only);
    let cold = s.cold_start().await?;
    let here = s.liked_here(who).await?;
    let baseline = Baseline {
        cold: &cold,
        here: &here,
        now_year: s.year(),
    };
    let models = s.models().await?;
    let taste = models.taste();
    let picks = if popularity_only {
        // The popularity baseline: the cold start (the server's favourites, then well-known
        // films), minus the user's history, whoever they are.
        let history: HashSet<MovieId> = events.iter().map(|e| e.event.movie).collect();
        baseline.picks(&request, |m| history.contains(&m))
    } else {
        personal_picks(
            &models.snapshot(),
            taste.as_deref().and_then(|t| t.of(who.scope())),
            &baseline,
            user,
            &events,
            &request,
            |id| s.films.movie(id),
        )
    };
    let items = lines(s, &picks);
    let intro = if items.is_empty() {
        "Nothing left to suggest with these filters; try a wider year range or another genre."
            .to_owned()
    } else {
        let what = genre.map_or_else(|| "Picks".to_owned(), |g| format!("{g} picks"));
        format!("{what} for you:")
    };
    let list = s.new_list_id();
    s.record_shown(who, list, Surface::Recommend, &items)
        .await?;
    if let Some(arm) = &arm {
        s.store
            .tag_impressions(list, &arm.key, &arm.variant)
            .await?;
    }
    if let Some(old) = instead_of {
        s.store.mark_refreshed(old).await?;
    }
    Ok(Reply::Picks {
        intro,
        items,
        list,
        surface: Surface::Recommend,
        quiz_offer: false,
    })
}

/// `/similar`: films like the one named, minus the ones the caller turned down or has seen.
///
/// # Errors
/// Storage or the model fails.
pub async fn similar(
    s: &Services,
    who: &Who<'_>,
    title: &str,
    count: Option<usize>,
) -> anyhow::Result<Reply> {
    let count = count.unwrap_or(DEFAULT_COUNT);
    if !(1..=MAX_COUNT).contains(&count) {
        return Ok(Reply::Invalid(format!(
            "Ask for 1 to {MAX_COUNT} films (you asked for {count})."
        )));
    }
    let film = match s.films.find(title) {
        Ok(m) => m,
        Err(reply) => return Ok(reply),
    };
    similar_to(s, who, film.id, count).await
}

/// "More like #N" under a shown list.
///
/// # Errors
/// Storage or the model fails.
pub async fn more_like(
    s: &Services,
    who: &Who<'_>,
    list: ListId,
    position: u32,
) -> anyhow::Result<Reply> {
    match s.shown(list, position).await? {
        Ok(movie) => similar_to(s, who, movie, DEFAULT_COUNT).await,
        Err(reply) => Ok(reply),
    }
}

async fn similar_to(
    s: &Services,
    who: &Who<'_>,
    film: MovieId,
    count: usize,
) -> anyhow::Result<Reply> {
    let events = s.events_of(who.user).await?;
    let mut per_film: HashMap<MovieId, Vec<_>> = HashMap::new();
    for e in events {
        per_film.entry(e.event.movie).or_default().push(e.event);
    }
    let unwanted: HashSet<MovieId> = per_film
        .into_iter()
        .filter(|(_, mine)| combine(mine).excludes_future_picks())
        .map(|(movie, _)| movie)
        .collect();
    let mut picks = s
        .models()
        .await?
        .snapshot()
        .similar(film, count + unwanted.len());
    picks.retain(|p| !unwanted.contains(&p.movie));
    picks.truncate(count);
    let items = lines(s, &picks);
    let title = s.films.title(film);
    let intro = if items.is_empty() {
        format!("I know too little about {title} to find films like it yet.")
    } else {
        format!("Like {title}:")
    };
    let list = s.new_list_id();
    s.record_shown(who, list, Surface::Similar, &items).await?;
    Ok(Reply::Picks {
        intro,
        items,
        list,
        surface: Surface::Similar,
        quiz_offer: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_genres_and_year_ranges_are_checked() {
        let f = |genre: Option<&str>, count, min_year, max_year| Filters {
            genre: genre.map(str::to_owned),
            count,
            min_year,
            max_year,
        };
        for bad in [
            f(Some("cowboy opera"), Some(5), None, None),
            f(None, Some(0), None, None),
            f(None, Some(500), None, None),
            f(None, None, Some(2000), Some(1990)),
        ] {
            assert!(
                matches!(check_filters(&bad), Err(Reply::Invalid(_))),
                "{bad:?}"
            );
        }
        assert_eq!(
            check_filters(&f(Some("comedy"), None, None, None)),
            Ok((DEFAULT_COUNT, Some(Genre::Comedy)))
        );
    }
}
