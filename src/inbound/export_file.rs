//! A history export on this machine (`marquee import letterboxd|imdb|trakt FILE`, the console's
//! `import FILE`): its name and bytes as the app takes them, refused past the size exports are
//! accepted at before it is read, with a line saying the import is under way for large files.

use crate::app::HISTORY_MAX_BYTES;
use std::io::Write;
use std::path::Path;

/// Files of this size or more get a line saying the import is under way.
const PROGRESS_FROM: u64 = 1 << 20;

/// Why an export file was not read.
#[derive(Debug)]
pub enum FileError {
    /// It cannot be opened or read.
    Unreadable(std::io::Error),
    /// It is larger than exports are; what to tell the person.
    TooLarge(String),
}

/// The file at `path`: its name and bytes. Large files get a progress line on `progress`.
///
/// # Errors
/// The file cannot be read, or it is larger than [`HISTORY_MAX_BYTES`] (not read then).
pub fn read(path: &Path, progress: &mut impl Write) -> Result<(String, Vec<u8>), FileError> {
    let shown = path.display();
    let size = std::fs::metadata(path)
        .map_err(FileError::Unreadable)?
        .len();
    if size > HISTORY_MAX_BYTES {
        return Err(FileError::TooLarge(format!(
            "{shown} is {} MB; exports up to 25 MB are accepted. Nothing was imported.",
            size >> 20
        )));
    }
    if size >= PROGRESS_FROM {
        let _ = writeln!(
            progress,
            "Importing {shown} ({:.1} MB): reading it and matching every row to a film…",
            size as f64 / f64::from(1 << 20)
        );
    }
    let bytes = std::fs::read(path).map_err(FileError::Unreadable)?;
    let name = path
        .file_name()
        .map_or_else(|| shown.to_string(), |n| n.to_string_lossy().into_owned());
    Ok((name, bytes))
}
