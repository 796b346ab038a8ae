//! The snapshot's versioned byte format: [`ModelSnapshot::to_bytes`] and
//! [`ModelSnapshot::from_bytes`], which checks every length, index and float on the way in.

use crate::domain::ids::{EventId, MovieId, UserId};

use super::{Entry, ModelSnapshot, Serve};
use crate::domain::recommend::content::{ContentIndex, FeatureKind};
use crate::domain::recommend::data::{Csr, IdMap};

/// Why bytes are not a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// The bytes do not start with the snapshot magic.
    #[error("not a Marquee model snapshot")]
    BadMagic,
    /// A format version this build cannot read.
    #[error("model snapshot version {0} is not supported (expected {VERSION})")]
    UnsupportedVersion(u32),
    /// The bytes end early.
    #[error("the model snapshot is truncated")]
    Truncated,
    /// A length, index or value is inconsistent.
    #[error("the model snapshot is corrupt: {0}")]
    Corrupt(&'static str),
}

const MAGIC: &[u8; 8] = b"MARQSNAP";
/// The format version written by [`ModelSnapshot::to_bytes`].
pub const VERSION: u32 = 1;

impl ModelSnapshot {
    /// The snapshot as bytes: `MARQSNAP`, the version (u32 LE), a JSON header of the serving
    /// parameters and counts, then length-prefixed little-endian arrays (f32/i32/u32/i64) and
    /// length-prefixed UTF-8 strings.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer(Vec::with_capacity(
            64 + self.item_factors.len() * 4 + self.user_factors.len() * 4,
        ));
        w.0.extend_from_slice(MAGIC);
        w.u32(VERSION);
        let header = Header {
            serve: self.serve,
            k: self.k,
            events_seen: self.events_seen,
            last_event: self.last_event.map(|e| e.0),
        };
        w.bytes(
            serde_json::to_string(&header)
                .unwrap_or_default()
                .as_bytes(),
        );
        w.i64s(self.movies.ids().iter().map(|m| m.0));
        w.i32s(&self.years);
        w.u32s(&self.genres);
        w.f32s(&self.pop);
        w.f32s(&self.item_factors);
        w.i64s(self.users.ids().iter().map(|u| u.0));
        w.f32s(&self.user_factors);
        let hist_ptr: Vec<u32> = std::iter::once(0)
            .chain(self.histories.iter().scan(0u32, |acc, h| {
                *acc += h.len() as u32;
                Some(*acc)
            }))
            .collect();
        let all: Vec<Entry> = self.histories.iter().flatten().copied().collect();
        w.u32s(&hist_ptr);
        w.u32s(&all.iter().map(|e| e.item).collect::<Vec<_>>());
        w.f32s(&all.iter().map(|e| e.strength).collect::<Vec<_>>());
        w.bytes(&all.iter().map(|e| e.flags).collect::<Vec<_>>());
        w.strings(&self.content.titles);
        w.strings(&self.content.features);
        w.bytes(
            &self
                .content
                .kinds
                .iter()
                .map(|k| *k as u8)
                .collect::<Vec<_>>(),
        );
        let v = &self.content.vectors;
        w.u32s(&v.ptr.iter().map(|&p| p as u32).collect::<Vec<_>>());
        w.u32s(&v.idx);
        w.f32s(&v.val);
        w.0
    }

    /// Reads [`Self::to_bytes`] output, checking the magic, the version, every length and index,
    /// and that every float is finite.
    ///
    /// # Errors
    /// [`SnapshotError`] when the bytes are not a valid snapshot of this version.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SnapshotError> {
        let mut r = Reader { b: bytes, at: 0 };
        if r.take(8)? != MAGIC {
            return Err(SnapshotError::BadMagic);
        }
        let version = r.u32()?;
        if version != VERSION {
            return Err(SnapshotError::UnsupportedVersion(version));
        }
        let header: Header =
            serde_json::from_slice(r.bytes()?).map_err(|_| SnapshotError::Corrupt("header"))?;
        let k = header.k;
        let movie_ids = r.i64s()?;
        let n = movie_ids.len();
        let mut movies = IdMap::default();
        for &m in &movie_ids {
            movies.insert(MovieId(m));
        }
        let years = r.i32s()?;
        let genres = r.u32s()?;
        let pop = r.f32s()?;
        let item_factors = r.f32s()?;
        let user_ids = r.i64s()?;
        let mut users = IdMap::default();
        for &u in &user_ids {
            users.insert(UserId(u));
        }
        let user_factors = r.f32s()?;
        let hist_ptr = r.u32s()?;
        let h_items = r.u32s()?;
        let h_strength = r.f32s()?;
        let h_flags = r.bytes()?.to_vec();
        let titles = r.strings()?;
        let features = r.strings()?;
        let kinds: Option<Vec<FeatureKind>> = r
            .bytes()?
            .iter()
            .map(|&c| FeatureKind::from_code(c))
            .collect();
        let c_ptr: Vec<usize> = r.u32s()?.into_iter().map(|p| p as usize).collect();
        let c_idx = r.u32s()?;
        let c_val = r.f32s()?;
        let ok = valid_lengths(&Lengths {
            k,
            n,
            users: users.len(),
            distinct: movies.len() == n && users.len() == user_ids.len(),
            years: years.len(),
            genres: genres.len(),
            titles: titles.len(),
            features: features.len(),
            kinds: kinds.as_ref().map(Vec::len),
            hist_ptr: &hist_ptr,
            h_items: &h_items,
            h_other: [h_strength.len(), h_flags.len()],
            c_ptr: &c_ptr,
            c_idx: &c_idx,
            c_val: c_val.len(),
            floats: [&pop, &item_factors, &user_factors, &h_strength, &c_val],
        }) && r.at == bytes.len();
        if !ok {
            return Err(SnapshotError::Corrupt("inconsistent lengths or values"));
        }
        let histories = split_histories(&hist_ptr, &h_items, &h_strength, &h_flags);
        let content = ContentIndex {
            items: movies.clone(),
            titles,
            features,
            kinds: kinds.unwrap_or_default(),
            vectors: Csr {
                ptr: c_ptr,
                idx: c_idx,
                val: c_val,
            },
        };
        let mut snap = Self {
            serve: header.serve,
            movies,
            years,
            genres,
            pop,
            k,
            item_factors,
            users,
            user_factors,
            histories,
            content,
            events_seen: header.events_seen,
            last_event: header.last_event.map(EventId),
            liked_by: Vec::new(),
            seen_by: Vec::new(),
            item_norms: Vec::new(),
            gram: Vec::new(),
            postings: Csr::default(),
        };
        snap.derive();
        Ok(snap)
    }
}

/// Per-user histories from the flat stored arrays (already validated).
fn split_histories(ptr: &[u32], items: &[u32], strength: &[f32], flags: &[u8]) -> Vec<Vec<Entry>> {
    ptr.windows(2)
        .map(|w| {
            (w[0] as usize..w[1] as usize)
                .map(|j| Entry {
                    item: items[j],
                    strength: strength[j],
                    flags: flags[j],
                })
                .collect()
        })
        .collect()
}

/// The decoded arrays' shapes, checked by [`valid_lengths`].
struct Lengths<'a> {
    k: usize,
    n: usize,
    users: usize,
    distinct: bool,
    years: usize,
    genres: usize,
    titles: usize,
    features: usize,
    kinds: Option<usize>,
    hist_ptr: &'a [u32],
    h_items: &'a [u32],
    h_other: [usize; 2],
    c_ptr: &'a [usize],
    c_idx: &'a [u32],
    c_val: usize,
    floats: [&'a [f32]; 5],
}

/// Every length, pointer array and index of a decoded snapshot is consistent, and every float
/// is finite.
fn valid_lengths(l: &Lengths<'_>) -> bool {
    let n = l.n;
    let ptr_ok = |p: &[usize], len: usize| {
        p.first() == Some(&0) && p.windows(2).all(|w| w[0] <= w[1]) && p.last() == Some(&len)
    };
    let hist_ptr: Vec<usize> = l.hist_ptr.iter().map(|&p| p as usize).collect();
    l.k > 0
        && l.distinct
        && [l.years, l.genres, l.titles, l.floats[0].len()] == [n; 4]
        && l.floats[1].len() == n * l.k
        && l.floats[2].len() == l.users * l.k
        && hist_ptr.len() == l.users + 1
        && ptr_ok(&hist_ptr, l.h_items.len())
        && l.h_other == [l.h_items.len(); 2]
        && l.h_items.iter().all(|&i| (i as usize) < n)
        && l.kinds == Some(l.features)
        && l.c_ptr.len() == n + 1
        && ptr_ok(l.c_ptr, l.c_idx.len())
        && l.c_val == l.c_idx.len()
        && l.c_idx.iter().all(|&f| (f as usize) < l.features)
        && l.floats.iter().all(|v| v.iter().all(|x| x.is_finite()))
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Header {
    serve: Serve,
    k: usize,
    events_seen: u64,
    last_event: Option<i64>,
}

struct Writer(Vec<u8>);

impl Writer {
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn len(&mut self, n: usize) {
        self.0.extend_from_slice(&(n as u64).to_le_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.len(b.len());
        self.0.extend_from_slice(b);
    }
    fn f32s(&mut self, v: &[f32]) {
        self.len(v.len());
        for x in v {
            self.0.extend_from_slice(&x.to_le_bytes());
        }
    }
    fn u32s(&mut self, v: &[u32]) {
        self.len(v.len());
        for x in v {
            self.0.extend_from_slice(&x.to_le_bytes());
        }
    }
    fn i32s(&mut self, v: &[i32]) {
        self.len(v.len());
        for x in v {
            self.0.extend_from_slice(&x.to_le_bytes());
        }
    }
    fn i64s(&mut self, v: impl ExactSizeIterator<Item = i64>) {
        self.len(v.len());
        for x in v {
            self.0.extend_from_slice(&x.to_le_bytes());
        }
    }
    fn strings(&mut self, v: &[String]) {
        self.len(v.len());
        for s in v {
            self.bytes(s.as_bytes());
        }
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SnapshotError> {
        let end = self.at.checked_add(n).ok_or(SnapshotError::Truncated)?;
        let s = self.b.get(self.at..end).ok_or(SnapshotError::Truncated)?;
        self.at = end;
        Ok(s)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], SnapshotError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn u32(&mut self) -> Result<u32, SnapshotError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn len(&mut self, elem: usize) -> Result<usize, SnapshotError> {
        let n = usize::try_from(u64::from_le_bytes(self.array()?))
            .map_err(|_| SnapshotError::Truncated)?;
        // Refuse lengths the remaining bytes cannot hold before allocating.
        if n.saturating_mul(elem) > self.b.len() - self.at {
            return Err(SnapshotError::Truncated);
        }
        Ok(n)
    }
    fn bytes(&mut self) -> Result<&'a [u8], SnapshotError> {
        let n = self.len(1)?;
        self.take(n)
    }
    fn f32s(&mut self) -> Result<Vec<f32>, SnapshotError> {
        let n = self.len(4)?;
        (0..n)
            .map(|_| Ok(f32::from_le_bytes(self.array()?)))
            .collect()
    }
    fn u32s(&mut self) -> Result<Vec<u32>, SnapshotError> {
        let n = self.len(4)?;
        (0..n).map(|_| self.u32()).collect()
    }
    fn i32s(&mut self) -> Result<Vec<i32>, SnapshotError> {
        let n = self.len(4)?;
        (0..n)
            .map(|_| Ok(i32::from_le_bytes(self.array()?)))
            .collect()
    }
    fn i64s(&mut self) -> Result<Vec<i64>, SnapshotError> {
        let n = self.len(8)?;
        (0..n)
            .map(|_| Ok(i64::from_le_bytes(self.array()?)))
            .collect()
    }
    fn strings(&mut self) -> Result<Vec<String>, SnapshotError> {
        let n = self.len(8)?;
        (0..n)
            .map(|_| {
                String::from_utf8(self.bytes()?.to_vec())
                    .map_err(|_| SnapshotError::Corrupt("a string is not UTF-8"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::recommend::snapshot::tests::{params, world};
    use crate::domain::recommend::snapshot::{RecRequest, train};

    #[test]
    fn a_snapshot_round_trips_through_bytes_and_recommends_the_same() {
        let (movies, events) = world();
        let s = train(&movies, &events, &params()).expect("trains");
        let bytes = s.to_bytes();
        let back = ModelSnapshot::from_bytes(&bytes).expect("reads back");
        let req = RecRequest::default();
        for u in [0, 1, 2, 900, 12345] {
            assert_eq!(
                s.recommend(UserId(u), &req),
                back.recommend(UserId(u), &req)
            );
        }
        assert_eq!(s.similar(MovieId(1), 5), back.similar(MovieId(1), 5));
        assert_eq!(back.events_seen(), events.len() as u64);
        assert_eq!(back.to_bytes(), bytes);
        assert_eq!(
            ModelSnapshot::from_bytes(&bytes[..bytes.len() - 3]).err(),
            Some(SnapshotError::Truncated)
        );
        assert_eq!(
            ModelSnapshot::from_bytes(b"nonsense").err(),
            Some(SnapshotError::BadMagic)
        );
        let mut bad = bytes.clone();
        bad[0] = b'X';
        assert_eq!(
            ModelSnapshot::from_bytes(&bad).err(),
            Some(SnapshotError::BadMagic)
        );
        bad.clone_from(&bytes);
        bad[8] = 99;
        assert_eq!(
            ModelSnapshot::from_bytes(&bad).err(),
            Some(SnapshotError::UnsupportedVersion(99))
        );
    }
}
