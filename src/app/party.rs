//! Watch parties: one fair pick for a group, voted on. The state lives in storage (see
//! [`crate::domain::ports::PartyRepo`]), so a restart in the middle of a vote loses nothing and
//! an overdue vote is closed by whichever process looks first; the aggregation is the pure
//! [`crate::domain::group`].
//!
//! Flow: `start` (a lobby with its host, plus anyone named) → `join` / `leave` → `pick` (the
//! host: the shortlist is computed and the vote opens) → `vote` (approval: press to approve,
//! press again to withdraw) → closed when every member has voted, at the deadline, or by the
//! host → the winner is announced, stored as watched together, and fairness debts updated.

use crate::app::commands::Session;
use crate::domain::catalog::Genre;
use crate::domain::events::FeedbackEvent;
use crate::domain::group::{self, GroupParams, Member, Strategy};
use crate::domain::ids::{GuildId, MovieId, PartyId, UserId};
use crate::domain::ports::{
    FeedbackRepo as _, NewParty, Party, PartyCandidate, PartyRepo as _, PartyStatus, Surface,
};
use crate::domain::recommend::snapshot::RecRequest;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// Films on a shortlist at most.
pub const SHORTLIST: usize = 5;
/// Default minutes a vote stays open.
pub const DEFAULT_VOTE_MINUTES: u32 = 15;
/// Members at most (Discord's button layout and a sensible movie night).
pub const MAX_MEMBERS: usize = 25;

/// The options of a watch party, stored with it as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyOptions {
    /// Longest runtime in minutes (films of unknown runtime pass).
    pub max_runtime: Option<i32>,
    /// A genre name.
    pub genre: Option<String>,
    /// When the movie night starts (ms since the epoch), for a scheduled event.
    pub when_ms: Option<i64>,
    /// Tallies hidden until the vote closes.
    pub anonymous: bool,
    /// How long the vote stays open.
    pub vote_minutes: u32,
}

/// One film of a shortlist, as shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShortFilm {
    /// 1-based.
    pub position: u32,
    pub movie: MovieId,
    pub title: String,
    /// Why it is on the list, one line.
    pub reason: String,
    /// Each member's predicted enjoyment as stars (0.5–5), `None` when Marquee knows nothing
    /// about them yet ("new to you").
    pub per_member: Vec<(String, Option<f64>)>,
    /// Approvals so far (hidden in anonymous votes until the close).
    pub votes: Option<usize>,
}

/// What the details JSON of a stored candidate holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Details {
    reason: String,
    /// Member id → enjoyment in [0, 1].
    enjoyment: BTreeMap<i64, f64>,
    /// Members with no history when the shortlist was made.
    #[serde(default)]
    new: Vec<i64>,
}

/// A closed vote.
#[derive(Debug, Clone, PartialEq)]
pub struct Winner {
    pub party: PartyId,
    pub movie: MovieId,
    pub title: String,
    /// The shortlist with final tallies.
    pub shortlist: Vec<ShortFilm>,
    pub members: Vec<String>,
    pub when_ms: Option<i64>,
    /// Where the announcement goes.
    pub channel: i64,
    pub guild: GuildId,
    /// The vote message, to take its buttons away.
    pub vote_message: Option<i64>,
    /// The id the announcement's film is stored under (rebind it to the real message id).
    pub message_id: i64,
    /// "everyone voted", "the deadline passed", "the host closed it".
    pub why: String,
}

/// What a watch-party action answers.
#[derive(Debug, Clone, PartialEq)]
pub enum PartyReply {
    /// The lobby (after start, join or leave).
    Lobby {
        party: PartyId,
        host: String,
        members: Vec<String>,
        strategy: Strategy,
        options: PartyOptions,
        /// A sentence about what just happened ("Kim joined").
        note: String,
    },
    /// The shortlist is out and the vote is open.
    Vote {
        party: PartyId,
        shortlist: Vec<ShortFilm>,
        members: Vec<String>,
        voted: Vec<String>,
        deadline_ms: i64,
        anonymous: bool,
        strategy: Strategy,
        /// Filters dropped because nothing fit them, said plainly.
        widened: Option<String>,
        note: String,
    },
    /// The vote is over.
    Closed(Box<Winner>),
    /// The server's past nights, newest first: (date ms, winner title or status, members).
    History(Vec<(i64, String, usize)>),
    /// A mistake in the input or the wrong moment, with what to do instead.
    Invalid(String),
}

fn stars(enjoyment: f64) -> f64 {
    ((0.5 + 4.5 * enjoyment.clamp(0.0, 1.0)) * 2.0).round() / 2.0
}

fn name_or(name: String, id: UserId) -> String {
    if name.trim().is_empty() {
        format!("member {id}")
    } else {
        name
    }
}

impl Session {
    async fn names(&self, users: &[UserId]) -> anyhow::Result<Vec<String>> {
        let names = self.store().user_names(users).await?;
        Ok(names
            .into_iter()
            .zip(users)
            .map(|(n, u)| name_or(n, *u))
            .collect())
    }

    fn options_of(party: &Party) -> PartyOptions {
        serde_json::from_str(&party.params).unwrap_or_default()
    }

    async fn lobby(&self, party: &Party, note: String) -> anyhow::Result<PartyReply> {
        let members = self.store().party_members(party.id).await?;
        let names = self.names(&members).await?;
        let host = self.names(&[party.host]).await?.remove(0);
        Ok(PartyReply::Lobby {
            party: party.id,
            host,
            members: names,
            strategy: party.strategy.parse().unwrap_or_default(),
            options: Self::options_of(party),
            note,
        })
    }

    /// Opens a lobby hosted by `host` in `guild`/`channel`, with `others` already in it.
    ///
    /// # Errors
    /// Storage fails; mistakes in the options are a [`PartyReply::Invalid`].
    pub async fn party_start(
        &self,
        (guild, channel): (GuildId, i64),
        host: UserId,
        others: &[UserId],
        strategy: Option<&str>,
        mut options: PartyOptions,
    ) -> anyhow::Result<PartyReply> {
        let strategy = match strategy.map(str::trim).filter(|s| !s.is_empty()) {
            // No strategy asked for: the server's experiment variant may set one.
            None => self
                .guild_arm(guild)
                .await?
                .and_then(|a| a.config.group_strategy)
                .and_then(|s| s.parse::<Strategy>().ok())
                .unwrap_or_default(),
            Some(s) => match s.parse::<Strategy>() {
                Ok(s) => s,
                Err(e) => return Ok(PartyReply::Invalid(e)),
            },
        };
        if let Some(g) = options
            .genre
            .as_deref()
            .map(str::trim)
            .filter(|g| !g.is_empty())
        {
            if g.parse::<Genre>().is_err() {
                return Ok(PartyReply::Invalid(format!(
                    "\"{g}\" is not a genre I know; try comedy, drama, sci-fi, horror…"
                )));
            }
        }
        if let Some(r) = options.max_runtime {
            if !(30..=600).contains(&r) {
                return Ok(PartyReply::Invalid(format!(
                    "A runtime limit of {r} minutes is out of range: use 30 to 600."
                )));
            }
        }
        if options.vote_minutes == 0 {
            options.vote_minutes = DEFAULT_VOTE_MINUTES;
        }
        if options.vote_minutes > 24 * 60 {
            return Ok(PartyReply::Invalid(
                "A vote can stay open for a day at most.".to_owned(),
            ));
        }
        if let Some(when) = options.when_ms {
            if when < self.now_ms() {
                return Ok(PartyReply::Invalid(
                    "That time is in the past; give a time to come (e.g. 2026-12-05 20:00, or in 2h)."
                        .to_owned(),
                ));
            }
        }
        let now = self.now_ms();
        let id = self
            .store()
            .create_party(&NewParty {
                guild,
                channel,
                host,
                strategy: strategy.name().to_owned(),
                params: serde_json::to_string(&options)?,
                created_at_ms: now,
            })
            .await?;
        for other in others.iter().filter(|o| **o != host).take(MAX_MEMBERS - 1) {
            self.store().join_party(id, *other, now).await?;
        }
        let party = self
            .store()
            .party(id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("watch party {id} vanished"))?;
        self.lobby(
            &party,
            "Press Join to come along; the host presses Pick when everyone is in.".to_owned(),
        )
        .await
    }

    async fn open_party(&self, id: PartyId) -> anyhow::Result<Result<Party, PartyReply>> {
        Ok(match self.store().party(id).await? {
            Some(p) => Ok(p),
            None => Err(PartyReply::Invalid(
                "I can't find that watch party any more; start a new one with /watchparty start."
                    .to_owned(),
            )),
        })
    }

    /// `user` joins the lobby.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn party_join(&self, id: PartyId, user: UserId) -> anyhow::Result<PartyReply> {
        let party = match self.open_party(id).await? {
            Ok(p) => p,
            Err(r) => return Ok(r),
        };
        if party.status != PartyStatus::Lobby {
            return Ok(PartyReply::Invalid(
                "Too late to join this one: the shortlist is out. Catch the next movie night!"
                    .to_owned(),
            ));
        }
        if self.store().party_members(id).await?.len() >= MAX_MEMBERS {
            return Ok(PartyReply::Invalid(format!(
                "This watch party is full ({MAX_MEMBERS} people)."
            )));
        }
        let new = self.store().join_party(id, user, self.now_ms()).await?;
        let name = self.names(&[user]).await?.remove(0);
        let note = if new {
            format!("{name} joined.")
        } else {
            format!("{name} is already in.")
        };
        self.lobby(&party, note).await
    }

    /// `user` leaves (in the lobby or during the vote; their votes are withdrawn). If everyone
    /// left has voted, the vote closes.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn party_leave(&self, id: PartyId, user: UserId) -> anyhow::Result<PartyReply> {
        let party = match self.open_party(id).await? {
            Ok(p) => p,
            Err(r) => return Ok(r),
        };
        if matches!(party.status, PartyStatus::Closed | PartyStatus::Cancelled) {
            return Ok(PartyReply::Invalid("That watch party is over.".to_owned()));
        }
        let left = self.store().leave_party(id, user, self.now_ms()).await?;
        let name = self.names(&[user]).await?.remove(0);
        if !left {
            return Ok(PartyReply::Invalid(format!(
                "{name}, you are not in this watch party."
            )));
        }
        if party.status == PartyStatus::Voting {
            return self.after_vote(&party, format!("{name} left.")).await;
        }
        self.lobby(&party, format!("{name} left.")).await
    }

    /// The host closes the lobby: the shortlist is computed and the vote opens.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn party_pick(&self, id: PartyId, caller: UserId) -> anyhow::Result<PartyReply> {
        let party = match self.open_party(id).await? {
            Ok(p) => p,
            Err(r) => return Ok(r),
        };
        if party.status != PartyStatus::Lobby {
            return Ok(PartyReply::Invalid(
                "The shortlist is already out: vote with the buttons under it.".to_owned(),
            ));
        }
        if caller != party.host {
            let host = self.names(&[party.host]).await?.remove(0);
            return Ok(PartyReply::Invalid(format!(
                "Only {host}, who started this watch party, can start the vote."
            )));
        }
        let members = self.store().party_members(id).await?;
        if members.len() < 2 {
            return Ok(PartyReply::Invalid(
                "A watch party needs at least two people: ask someone to press Join (or use /recommend for a pick just for you).".to_owned(),
            ));
        }
        let options = Self::options_of(&party);
        let strategy: Strategy = party.strategy.parse().unwrap_or_default();
        let (shortlist, widened) = self
            .shortlist(party.guild, &members, strategy, &options)
            .await?;
        if shortlist.is_empty() {
            return Ok(PartyReply::Invalid(
                "Between you, you have seen every film I know! Import a bigger catalog (marquee import) and try again.".to_owned(),
            ));
        }
        let deadline = self.now_ms() + i64::from(options.vote_minutes) * 60_000;
        if !self.store().open_vote(id, &shortlist, deadline).await? {
            return Ok(PartyReply::Invalid(
                "The shortlist is already out: vote with the buttons under it.".to_owned(),
            ));
        }
        let party = self.store().party(id).await?.unwrap_or(party);
        let mut reply = self.vote_state(&party).await?;
        if let PartyReply::Vote {
            widened: w, note, ..
        } = &mut reply
        {
            w.clone_from(&widened);
            "Vote for every film you'd happily watch (press again to take it back)."
                .clone_into(note);
        }
        Ok(reply)
    }

    /// Candidates for `members`: each member's top picks (with their taste group's
    /// favourites) minus anything any member has seen, rated or turned down; ranked for the
    /// group with the fairness weights of this server. Filters are dropped, one at a time, when
    /// nothing passes them.
    async fn shortlist(
        &self,
        guild: GuildId,
        members: &[UserId],
        strategy: Strategy,
        options: &PartyOptions,
    ) -> anyhow::Result<(Vec<PartyCandidate>, Option<String>)> {
        let mut histories: Vec<Vec<FeedbackEvent>> = Vec::with_capacity(members.len());
        for m in members {
            histories.push(self.events_of(*m).await?);
        }
        let names = self.names(members).await?;
        let excluded: HashSet<MovieId> =
            histories.iter().flatten().map(|e| e.event.movie).collect();
        let debts = self.store().fairness(guild, members).await?;
        let genre = options
            .genre
            .as_deref()
            .and_then(|g| g.parse::<Genre>().ok());
        let mut attempts = vec![(genre, options.max_runtime, None)];
        if options.max_runtime.is_some() {
            attempts.push((
                genre,
                None,
                Some("Nothing fit the runtime limit for everyone, so I dropped it."),
            ));
        }
        if genre.is_some() {
            attempts.push((
                None,
                None,
                Some("Nothing fit the filters for everyone, so I dropped them."),
            ));
        }
        for (genre, max_runtime, widened) in attempts {
            let pool = self.candidates(members, &histories, &names, &excluded, genre, max_runtime);
            if pool.is_empty() {
                continue;
            }
            let list = self.rank_pool(members, &histories, &debts, strategy, &pool)?;
            return Ok((list, widened.map(str::to_owned)));
        }
        Ok((Vec::new(), None))
    }

    /// (film, reason) candidates, in first-seen order.
    fn candidates(
        &self,
        members: &[UserId],
        histories: &[Vec<FeedbackEvent>],
        names: &[String],
        excluded: &HashSet<MovieId>,
        genre: Option<Genre>,
        max_runtime: Option<i32>,
    ) -> Vec<(MovieId, String)> {
        let model = self.model();
        let groups = self.taste_groups();
        let request = RecRequest {
            count: 15,
            genre,
            exclude: excluded.iter().copied().collect(),
            ..RecRequest::default()
        };
        let mut seen = HashSet::new();
        let mut pool = Vec::new();
        for ((member, events), name) in members.iter().zip(histories).zip(names) {
            let picks = crate::app::models::personal_picks(
                &model,
                groups.as_ref(),
                *member,
                events,
                &request,
                |id| self.movie(id),
            );
            for p in picks {
                let fits = self.movie(p.movie).is_some_and(|m| {
                    max_runtime.is_none_or(|limit| m.info.runtime_min.is_none_or(|r| r <= limit))
                });
                if fits && !excluded.contains(&p.movie) && seen.insert(p.movie) {
                    pool.push((p.movie, format!("{name}'s pick: {}", p.reason)));
                }
            }
        }
        pool
    }

    fn rank_pool(
        &self,
        members: &[UserId],
        histories: &[Vec<FeedbackEvent>],
        debts: &[f64],
        strategy: Strategy,
        pool: &[(MovieId, String)],
    ) -> anyhow::Result<Vec<PartyCandidate>> {
        let films: Vec<MovieId> = pool.iter().map(|(m, _)| *m).collect();
        let model = self.model();
        let group_members: Vec<Member> = members
            .iter()
            .zip(debts)
            .map(|(m, debt)| Member {
                user: *m,
                enjoyment: model.enjoyment(*m, &films),
                weight: group::weight_of(*debt),
            })
            .collect();
        drop(model);
        let ranked = group::rank(&group_members, &GroupParams::new(strategy))
            .map_err(|e| anyhow::anyhow!("ranking the shortlist: {e}"))?;
        let new: Vec<i64> = members
            .iter()
            .zip(histories)
            .filter(|(_, h)| h.is_empty())
            .map(|(m, _)| m.0)
            .collect();
        ranked
            .iter()
            .take(SHORTLIST)
            .enumerate()
            .map(|(i, g)| {
                let details = Details {
                    reason: pool[g.candidate].1.clone(),
                    enjoyment: group_members
                        .iter()
                        .map(|m| (m.user.0, m.enjoyment[g.candidate]))
                        .collect(),
                    new: new.clone(),
                };
                Ok(PartyCandidate {
                    movie: pool[g.candidate].0,
                    position: u32::try_from(i)?,
                    group_score: g.score,
                    details: serde_json::to_string(&details)?,
                })
            })
            .collect()
    }

    /// The shortlist as shown, with tallies when `show_votes`.
    async fn shown_shortlist(
        &self,
        party: &Party,
        show_votes: bool,
    ) -> anyhow::Result<(Vec<ShortFilm>, Vec<(UserId, usize)>, Vec<UserId>)> {
        let candidates = self.store().party_candidates(party.id).await?;
        let members = self.store().party_members(party.id).await?;
        let names = self.names(&members).await?;
        let active: HashSet<UserId> = members.iter().copied().collect();
        let votes: Vec<(UserId, usize)> = self
            .store()
            .party_votes(party.id)
            .await?
            .into_iter()
            .filter(|(u, _)| active.contains(u))
            .filter_map(|(u, m)| candidates.iter().position(|c| c.movie == m).map(|p| (u, p)))
            .collect();
        let films = candidates
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let details: Details = serde_json::from_str(&c.details).unwrap_or_default();
                let per_member = members
                    .iter()
                    .zip(&names)
                    .map(|(m, n)| {
                        let guess = if details.new.contains(&m.0) {
                            None
                        } else {
                            details.enjoyment.get(&m.0).map(|e| stars(*e))
                        };
                        (n.clone(), guess)
                    })
                    .collect();
                ShortFilm {
                    position: u32::try_from(i + 1).unwrap_or(u32::MAX),
                    movie: c.movie,
                    title: self
                        .movie(c.movie)
                        .map_or_else(|| format!("film #{}", c.movie), |m| m.info.display_title()),
                    reason: details.reason,
                    per_member,
                    votes: show_votes.then(|| votes.iter().filter(|(_, p)| *p == i).count()),
                }
            })
            .collect();
        Ok((films, votes, members))
    }

    async fn vote_state(&self, party: &Party) -> anyhow::Result<PartyReply> {
        let options = Self::options_of(party);
        let (shortlist, votes, members) = self.shown_shortlist(party, !options.anonymous).await?;
        let voters: HashSet<UserId> = votes.iter().map(|(u, _)| *u).collect();
        let voted: Vec<UserId> = members
            .iter()
            .copied()
            .filter(|m| voters.contains(m))
            .collect();
        Ok(PartyReply::Vote {
            party: party.id,
            shortlist,
            members: self.names(&members).await?,
            voted: self.names(&voted).await?,
            deadline_ms: party.deadline_ms.unwrap_or_default(),
            anonymous: options.anonymous,
            strategy: party.strategy.parse().unwrap_or_default(),
            widened: None,
            note: String::new(),
        })
    }

    /// After a vote or a departure: closes the vote when every member has voted.
    async fn after_vote(&self, party: &Party, note: String) -> anyhow::Result<PartyReply> {
        let members = self.store().party_members(party.id).await?;
        let voters: HashSet<UserId> = self
            .store()
            .party_votes(party.id)
            .await?
            .into_iter()
            .map(|(u, _)| u)
            .collect();
        if !members.is_empty() && members.iter().all(|m| voters.contains(m)) {
            if let Some(w) = self.party_close(party.id, "everyone voted").await? {
                return Ok(PartyReply::Closed(Box::new(w)));
            }
        }
        let party = self
            .store()
            .party(party.id)
            .await?
            .unwrap_or_else(|| party.clone());
        let mut reply = self.vote_state(&party).await?;
        if let PartyReply::Vote { note: n, .. } = &mut reply {
            *n = note;
        }
        Ok(reply)
    }

    /// `user` approves (or takes back approval of) shortlist film `position` (1-based).
    ///
    /// # Errors
    /// Storage fails.
    pub async fn party_vote(
        &self,
        id: PartyId,
        user: UserId,
        position: u32,
    ) -> anyhow::Result<PartyReply> {
        let party = match self.open_party(id).await? {
            Ok(p) => p,
            Err(r) => return Ok(r),
        };
        match party.status {
            PartyStatus::Lobby => {
                return Ok(PartyReply::Invalid(
                    "The vote hasn't started: the host presses Pick first.".to_owned(),
                ));
            }
            PartyStatus::Closed | PartyStatus::Cancelled => {
                let winner = party
                    .winner
                    .and_then(|m| self.movie(m))
                    .map_or_else(String::new, |m| format!(" {} won.", m.info.display_title()));
                return Ok(PartyReply::Invalid(format!(
                    "This vote is closed, your vote wasn't counted.{winner}"
                )));
            }
            PartyStatus::Voting => {}
        }
        if party.deadline_ms.is_some_and(|d| d <= self.now_ms()) {
            if let Some(w) = self.party_close(id, "the deadline passed").await? {
                return Ok(PartyReply::Closed(Box::new(w)));
            }
            return Ok(PartyReply::Invalid(
                "This vote is closed, your vote wasn't counted.".to_owned(),
            ));
        }
        if !self.store().party_members(id).await?.contains(&user) {
            return Ok(PartyReply::Invalid(
                "You're not in this watch party, so your vote can't count; join the next one!"
                    .to_owned(),
            ));
        }
        let candidates = self.store().party_candidates(id).await?;
        let Some(c) = candidates.iter().find(|c| c.position + 1 == position) else {
            return Ok(PartyReply::Invalid(format!(
                "There is no film number {position} on this shortlist."
            )));
        };
        let approved = self
            .store()
            .toggle_vote(id, user, c.movie, self.now_ms())
            .await?;
        let name = self.names(&[user]).await?.remove(0);
        let title = self
            .movie(c.movie)
            .map_or_else(|| format!("film #{}", c.movie), |m| m.info.display_title());
        let note = if approved {
            format!("{name} voted for {title}.")
        } else {
            format!("{name} took back their vote for {title}.")
        };
        self.after_vote(&party, note).await
    }

    /// Closes a vote: tallies it (ties go to the better group score), stores the winner as
    /// watched together by every member, updates the server's fairness debts, and stores the
    /// announcement so reactions on it rate the film. `None` when the vote was not open (closed
    /// already, by another process or an earlier click).
    ///
    /// # Errors
    /// Storage fails.
    pub async fn party_close(&self, id: PartyId, why: &str) -> anyhow::Result<Option<Winner>> {
        let Some(party) = self.store().party(id).await? else {
            return Ok(None);
        };
        if party.status != PartyStatus::Voting {
            return Ok(None);
        }
        let (mut shortlist, votes, members) = self.shown_shortlist(&party, true).await?;
        let Some(tally) = group::tally(shortlist.len(), &votes) else {
            return Ok(None);
        };
        let winner = shortlist[tally.winner].movie;
        let now = self.now_ms();
        if !self.store().close_party(id, winner, now).await? {
            return Ok(None);
        }
        for (film, count) in shortlist.iter_mut().zip(&tally.counts) {
            film.votes = Some(*count);
        }
        // Watched together: seen by every member (a later rating or reaction refines it).
        for m in &members {
            let event = crate::domain::events::NewFeedbackEvent {
                user: *m,
                movie: winner,
                kind: crate::domain::events::FeedbackKind::WatchedTogether,
                value: None,
                weight: 0.0,
                raw: None,
                source: "watchparty".to_owned(),
                guild: Some(party.guild),
                message_id: None,
                created_at_ms: now,
                idempotency_key: Some(format!("party:{}:{m}", party.id)),
            };
            self.store().append_event(&event).await?;
            self.refresh(*m).await?;
        }
        self.update_fairness(&party, &members, tally.winner).await?;
        let message_id = self.next_message_id();
        let title = self
            .movie(winner)
            .map_or_else(|| format!("film #{winner}"), |m| m.info.display_title());
        let line = crate::app::commands::PickLine {
            position: 1,
            movie: winner,
            title_with_year: title.clone(),
            genres: Vec::new(),
            reason: String::new(),
        };
        let caller = crate::app::commands::Caller {
            user: party.host,
            source: "watchparty".to_owned(),
            guild: Some(party.guild),
            channel: Some(party.channel),
            delivery_key: None,
        };
        self.record_shown(&caller, message_id, Surface::WatchParty, &[line])
            .await?;
        Ok(Some(Winner {
            party: party.id,
            movie: winner,
            title,
            shortlist,
            members: self.names(&members).await?,
            when_ms: Self::options_of(&party).when_ms,
            channel: party.channel,
            guild: party.guild,
            vote_message: party.vote_message,
            message_id,
            why: why.to_owned(),
        }))
    }

    async fn update_fairness(
        &self,
        party: &Party,
        members: &[UserId],
        chosen: usize,
    ) -> anyhow::Result<()> {
        let candidates = self.store().party_candidates(party.id).await?;
        let details: Vec<Details> = candidates
            .iter()
            .map(|c| serde_json::from_str(&c.details).unwrap_or_default())
            .collect();
        let sats: Vec<f64> = members
            .iter()
            .map(|m| {
                let member = Member {
                    user: *m,
                    enjoyment: details
                        .iter()
                        .map(|d| d.enjoyment.get(&m.0).copied().unwrap_or(0.5))
                        .collect(),
                    weight: 1.0,
                };
                group::satisfaction(&member, chosen)
            })
            .collect();
        if sats.is_empty() {
            return Ok(());
        }
        let mean = sats.iter().sum::<f64>() / sats.len() as f64;
        let debts = self.store().fairness(party.guild, members).await?;
        let next: Vec<(UserId, f64)> = members
            .iter()
            .zip(debts.iter().zip(&sats))
            .map(|(m, (d, s))| (*m, group::next_debt(*d, *s, mean)))
            .collect();
        self.store()
            .set_fairness(party.guild, &next, self.now_ms())
            .await?;
        Ok(())
    }

    /// Closes every vote whose deadline has passed; returns the ones this call closed.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn close_due_parties(&self) -> anyhow::Result<Vec<Winner>> {
        let mut closed = Vec::new();
        for party in self.store().parties_due(self.now_ms()).await? {
            if let Some(w) = self.party_close(party.id, "the deadline passed").await? {
                closed.push(w);
            }
        }
        Ok(closed)
    }

    /// A party, for front ends that need its messages or host.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn party(&self, id: PartyId) -> anyhow::Result<Option<Party>> {
        Ok(self.store().party(id).await?)
    }

    /// Records the message a lobby (`vote == false`) or shortlist is shown in.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn set_party_message(
        &self,
        id: PartyId,
        vote: bool,
        message: i64,
    ) -> anyhow::Result<()> {
        Ok(self.store().set_party_message(id, vote, message).await?)
    }

    /// Records the scheduled event made for a party.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn set_party_event(&self, id: PartyId, event: i64) -> anyhow::Result<()> {
        Ok(self.store().set_scheduled_event(id, event).await?)
    }

    /// The server's last `limit` watch parties.
    ///
    /// # Errors
    /// Storage fails.
    pub async fn party_history(&self, guild: GuildId, limit: u32) -> anyhow::Result<PartyReply> {
        let parties = self.store().guild_parties(guild, limit).await?;
        let mut lines = Vec::with_capacity(parties.len());
        for p in parties {
            let what = match (p.status, p.winner.and_then(|m| self.movie(m))) {
                (PartyStatus::Closed, Some(m)) => m.info.display_title(),
                (PartyStatus::Voting, _) => "(vote open)".to_owned(),
                (PartyStatus::Lobby, _) => "(gathering)".to_owned(),
                _ => "(called off)".to_owned(),
            };
            let members = self.store().party_members(p.id).await?.len();
            lines.push((p.closed_at_ms.unwrap_or(p.created_at_ms), what, members));
        }
        Ok(PartyReply::History(lines))
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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
        return Ok(now_ms + minutes * 60_000);
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
    fn stars_map_enjoyment_onto_half_steps() {
        assert!((stars(0.0) - 0.5).abs() < 1e-9);
        assert!((stars(1.0) - 5.0).abs() < 1e-9);
        assert!((stars(0.9) - 4.5).abs() < 1e-9);
        assert!((stars(0.5) - 3.0).abs() < 1e-9);
    }
}
