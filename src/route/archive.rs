//! The archive: an append-only, checksummed log of incoming events. It
//! stores and reads events; `replay.rs` sends them through a router again.
//!
//! The archive is a directory of segment files named by sequence number
//! (`00000000000000000001.evarc`). A segment starts with the 8-byte magic
//! `EVARC\0\0\x01` and holds records:
//!
//! ```text
//! u32 LE  payload length n
//! u32 LE  CRC-32 (IEEE) of the length, time and payload bytes
//! u64 LE  ingestion time, milliseconds since the Unix epoch
//! n bytes the event, as received
//! ```
//!
//! Each record is written with one `write` call. After a crash (power loss
//! mid-write) the last record of the newest segment may be torn: its header
//! or body cut short, its bytes not all on disk, or the file grown over
//! blocks that still read as zeros. The reader takes a record as whole
//! only when its length fits in the file and its checksum matches. A bad
//! record at the end of the newest segment (followed by nothing or by
//! zeros only) is a torn tail: skipped, and counted by
//! [`ArchiveReader::torn_tails`]. Any other bad record is damage: reported
//! as an `Err` item (the rest of that segment is skipped), never misread.
//! Opening an archive for writing cuts a torn tail off before appending
//! resumes; a damaged segment is left as found and appends go to a new one.
//!
//! Durability is chosen by [`FsyncPolicy`]: `Always` syncs the file after
//! every record (and the directory after creating or deleting a segment),
//! so `append` returning means the event survives power loss. `Never`
//! leaves writing back to the operating system: a crash of the process
//! loses nothing, a power loss may lose recent events; either way what is
//! read back was written whole.
//!
//! Segments roll over at a size limit and at each UTC day, so retention
//! (in days; 0 keeps everything) deletes whole segments whose newest
//! event is older than the limit.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::error::{Error, Kind};
use crate::route::delivery::RuleSelector;
use crate::time::{day_of, from_millis, to_millis};
use crate::Matcher;

const MAGIC: &[u8; 8] = b"EVARC\0\0\x01";
const HEADER: usize = 16;
/// Longest event accepted (AWS's limit is 256 KiB; leave room).
const MAX_RECORD: usize = 16 << 20;
const EXTENSION: &str = "evarc";

/// CRC-32 (IEEE, as zlib and gzip compute it) of a record's length field
/// followed by its time and payload: the checksum field in between is
/// not covered.
fn record_crc(length: &[u8], rest: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(length);
    h.update(rest);
    h.finalize()
}

fn io(context: &str, path: &Path, e: std::io::Error) -> Error {
    Error::io(format!("{context} {}: {e}", path.display()), e)
}

/// When the archive asks the operating system to put bytes on disk.
///
/// ```
/// let c = evrule::route::ArchiveConfig::new().fsync(evrule::route::FsyncPolicy::Always);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum FsyncPolicy {
    /// After every record: an acknowledged append survives power loss.
    Always,
    /// Never explicitly: the OS writes back when it likes. The default;
    /// a process crash loses nothing, a power loss may lose recent events.
    #[default]
    Never,
}

/// Archive settings. Setters take and return `Self`.
///
/// ```
/// let c = evrule::route::ArchiveConfig::new().retention_days(7).segment_bytes(1 << 20);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct ArchiveConfig {
    retention_days: u32,
    segment_bytes: u64,
    fsync: FsyncPolicy,
    pattern: Option<String>,
    filter: Option<Arc<dyn RuleSelector>>,
}

impl std::fmt::Debug for ArchiveConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArchiveConfig")
            .field("retention_days", &self.retention_days)
            .field("segment_bytes", &self.segment_bytes)
            .field("fsync", &self.fsync)
            .field("pattern", &self.pattern)
            .field("filter", &self.filter.is_some())
            .finish()
    }
}

impl ArchiveConfig {
    /// Keep forever, 64 MiB segments, [`FsyncPolicy::Never`], archive
    /// every event.
    ///
    /// ```
    /// let _ = evrule::route::ArchiveConfig::new();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new() -> ArchiveConfig {
        ArchiveConfig {
            retention_days: 0,
            segment_bytes: 64 << 20,
            fsync: FsyncPolicy::Never,
            pattern: None,
            filter: None,
        }
    }

    /// Days to keep events; 0 keeps them forever.
    ///
    /// ```
    /// let _ = evrule::route::ArchiveConfig::new().retention_days(30);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retention_days(mut self, days: u32) -> Self {
        self.retention_days = days;
        self
    }

    /// Size at which a new segment is started.
    ///
    /// ```
    /// let _ = evrule::route::ArchiveConfig::new().segment_bytes(4 << 20);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn segment_bytes(mut self, bytes: u64) -> Self {
        self.segment_bytes = bytes.max(HEADER as u64 + MAGIC.len() as u64);
        self
    }

    /// Durability policy (see [`FsyncPolicy`]).
    ///
    /// ```
    /// let _ = evrule::route::ArchiveConfig::new().fsync(evrule::route::FsyncPolicy::Never);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fsync(mut self, policy: FsyncPolicy) -> Self {
        self.fsync = policy;
        self
    }

    /// Archive only events matching this event pattern (compiled with
    /// [`Matcher`] when the archive is opened).
    ///
    /// ```
    /// let _ = evrule::route::ArchiveConfig::new().pattern(r#"{"source": ["shop"]}"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pattern(mut self, pattern: impl Into<String>) -> Self {
        self.pattern = Some(pattern.into());
        self
    }

    /// Archive only events for which `filter` selects at least one rule
    /// (instead of [`ArchiveConfig::pattern`]).
    ///
    /// ```
    /// let _ = evrule::route::ArchiveConfig::new()
    ///     .filter(|e: &[u8]| Ok(if e.len() > 2 { vec!["archive".to_string()] } else { vec![] }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn filter(mut self, filter: impl RuleSelector + 'static) -> Self {
        self.filter = Some(Arc::new(filter));
        self
    }
}

/// One archived event.
///
/// ```
/// let e = evrule::route::ArchivedEvent { ingestion_time: std::time::UNIX_EPOCH, event: b"{}".to_vec() };
/// assert_eq!(e.event, b"{}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchivedEvent {
    /// When the event was received (millisecond precision).
    pub ingestion_time: SystemTime,
    /// The event as received.
    pub event: Vec<u8>,
}

struct Active {
    file: File,
    path: PathBuf,
    len: u64,
    day: Option<u64>,
    /// Newest ingestion time written, for retention.
    newest: Option<u64>,
}

/// An append-only event archive in a directory. See the module docs for
/// the format and its crash behaviour.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use evrule::route::{Archive, ArchiveConfig};
/// let dir = std::env::temp_dir().join(format!("evrule-doc-archive-{}", std::process::id()));
/// let mut archive = Archive::open(&dir, ArchiveConfig::new())?;
/// archive.append(br#"{"id": "1"}"#, UNIX_EPOCH + Duration::from_secs(10))?;
/// archive.append(br#"{"id": "2"}"#, UNIX_EPOCH + Duration::from_secs(20))?;
/// let window: Vec<_> = archive
///     .read(UNIX_EPOCH + Duration::from_secs(15), UNIX_EPOCH + Duration::from_secs(30))?
///     .collect::<Result<_, _>>()?;
/// assert_eq!(window.len(), 1);
/// assert_eq!(window[0].event, br#"{"id": "2"}"#);
/// # drop(archive); std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Archive {
    dir: PathBuf,
    config: ArchiveConfig,
    filter: Option<Arc<dyn RuleSelector>>,
    active: Option<Active>,
    next_seq: u64,
    read_only: bool,
    /// Newest ingestion time of each closed segment (they never change).
    newest: HashMap<PathBuf, Option<u64>>,
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Archive")
            .field("dir", &self.dir)
            .field("config", &self.config)
            .finish()
    }
}

/// The sequence number of a segment file name, if it is one.
fn segment_seq(path: &Path) -> Option<u64> {
    if path.extension()? != EXTENSION {
        return None;
    }
    path.file_stem()?.to_str()?.parse().ok()
}

fn list_segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, Error> {
    let mut segments = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| io("cannot list", dir, e))? {
        let path = entry.map_err(|e| io("cannot list", dir, e))?.path();
        if let Some(seq) = segment_seq(&path) {
            segments.push((seq, path));
        }
    }
    segments.sort();
    Ok(segments)
}

/// Result of reading one record at an offset.
enum Read<'a> {
    Record {
        time: u64,
        event: &'a [u8],
        next: usize,
    },
    /// Clean end of the segment.
    End,
    /// An incomplete or bad record reaching the end of the file.
    TornTail,
    /// A bad record with more data after it.
    Corrupt,
}

fn read_record(data: &[u8], at: usize) -> Read<'_> {
    if at == data.len() {
        return Read::End;
    }
    if data.len() - at < HEADER {
        return Read::TornTail;
    }
    let len = u32::from_le_bytes(data[at..at + 4].try_into().expect("4 bytes")) as usize;
    let crc = u32::from_le_bytes(data[at + 4..at + 8].try_into().expect("4 bytes"));
    let end = at.saturating_add(HEADER).saturating_add(len);
    if len > MAX_RECORD || end > data.len() {
        // Cut short. (A length no writer produces reaches past the end of
        // any segment too; which of the two it was cannot be told apart.)
        return Read::TornTail;
    }
    let computed = record_crc(&data[at..at + 4], &data[at + 8..end]);
    if computed != crc {
        // A bad record reaching the end of the file, or followed only by
        // zeros (the file grew but its blocks never reached the disk), is
        // the torn tail of an interrupted append. Anything else is damage.
        let tail_is_zeros = data[end..].iter().all(|&b| b == 0);
        return if tail_is_zeros {
            Read::TornTail
        } else {
            Read::Corrupt
        };
    }
    let time = u64::from_le_bytes(data[at + 8..at + 16].try_into().expect("8 bytes"));
    Read::Record {
        time,
        event: &data[at + HEADER..end],
        next: end,
    }
}

/// Scan a segment: (records as (time, range), end of the valid prefix,
/// whether it ends in corruption rather than cleanly or torn).
fn scan(data: &[u8]) -> (Vec<(u64, usize, usize)>, usize, bool) {
    let mut records = Vec::new();
    if data.len() < MAGIC.len() || &data[..MAGIC.len()] != MAGIC {
        return (records, 0, data.len() >= MAGIC.len());
    }
    let mut at = MAGIC.len();
    loop {
        match read_record(data, at) {
            Read::Record { time, event, next } => {
                records.push((time, next - event.len(), next));
                at = next;
            }
            Read::End | Read::TornTail => return (records, at, false),
            Read::Corrupt => return (records, at, true),
        }
    }
}

impl Archive {
    /// Open (creating it if needed) the archive in `dir`, cut off a torn
    /// last record, and apply retention.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("evrule-doc-open-{}", std::process::id()));
    /// let archive = evrule::route::Archive::open(&dir, evrule::route::ArchiveConfig::new())?;
    /// # drop(archive); std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(dir: impl AsRef<Path>, config: ArchiveConfig) -> Result<Archive, Error> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(|e| io("cannot create", &dir, e))?;
        let filter: Option<Arc<dyn RuleSelector>> = match (&config.filter, &config.pattern) {
            (Some(f), _) => Some(Arc::clone(f)),
            (None, Some(pattern)) => {
                let mut matcher = Matcher::new();
                matcher.add("archive", pattern)?;
                Some(Arc::new(matcher))
            }
            (None, None) => None,
        };
        let segments = list_segments(&dir)?;
        let next_seq = segments.last().map_or(1, |(s, _)| s + 1);
        let mut archive = Archive {
            dir,
            config,
            filter,
            active: None,
            next_seq,
            read_only: false,
            newest: HashMap::new(),
        };
        if let Some((_, path)) = segments.last() {
            let data = fs::read(path).map_err(|e| io("cannot read", path, e))?;
            let (records, valid, corrupt) = scan(&data);
            // A damaged segment (not just torn) is left as found, for
            // inspection; appends go to a new one.
            if !corrupt && valid >= MAGIC.len() {
                let file = OpenOptions::new()
                    .append(true)
                    .open(path)
                    .map_err(|e| io("cannot open", path, e))?;
                if valid < data.len() {
                    // Cut the torn tail off, so the reader never has to
                    // guess about a record in the middle of a segment.
                    file.set_len(valid as u64)
                        .map_err(|e| io("cannot truncate", path, e))?;
                    file.sync_all().map_err(|e| io("cannot sync", path, e))?;
                }
                if (valid as u64) < archive.config.segment_bytes {
                    archive.active = Some(Active {
                        file,
                        path: path.clone(),
                        len: valid as u64,
                        day: records.first().map(|r| day_of(r.0)),
                        newest: records.iter().map(|r| r.0).max(),
                    });
                }
            }
        }
        archive.prune(SystemTime::now())?;
        Ok(archive)
    }

    /// Open an existing archive for reading and replay only: nothing is
    /// created, repaired or pruned, and [`Archive::append`] fails.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("evrule-doc-ro-{}", std::process::id()));
    /// drop(evrule::route::Archive::open(&dir, evrule::route::ArchiveConfig::new())?);
    /// let mut ro = evrule::route::Archive::open_read_only(&dir)?;
    /// assert!(ro.append(b"{}", std::time::SystemTime::now()).is_err());
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_read_only(dir: impl AsRef<Path>) -> Result<Archive, Error> {
        let dir = dir.as_ref().to_path_buf();
        if !dir.is_dir() {
            return Err(Error::new(
                Kind::Io,
                format!("{} is not an archive directory", dir.display()),
            ));
        }
        Ok(Archive {
            dir,
            config: ArchiveConfig::new(),
            filter: None,
            active: None,
            next_seq: 0,
            read_only: true,
            newest: HashMap::new(),
        })
    }

    /// Append `event` received at `ingestion_time`, if it passes the
    /// archive's pattern. Returns whether it was archived.
    ///
    /// ```
    /// use evrule::route::{Archive, ArchiveConfig};
    /// let dir = std::env::temp_dir().join(format!("evrule-doc-append-{}", std::process::id()));
    /// let mut archive = Archive::open(&dir, ArchiveConfig::new()
    ///     .filter(|e: &[u8]| Ok(if e.starts_with(b"{\"keep") { vec!["a".into()] } else { vec![] })))?;
    /// assert!(archive.append(br#"{"keep": 1}"#, std::time::SystemTime::now())?);
    /// assert!(!archive.append(br#"{"drop": 1}"#, std::time::SystemTime::now())?);
    /// # drop(archive); std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn append(&mut self, event: &[u8], ingestion_time: SystemTime) -> Result<bool, Error> {
        if self.read_only {
            return Err(Error::new(
                Kind::Io,
                format!("{} was opened read-only", self.dir.display()),
            ));
        }
        if let Some(filter) = &self.filter {
            if filter.select(event)?.is_empty() {
                return Ok(false);
            }
        }
        if event.len() > MAX_RECORD {
            return Err(Error::new(
                Kind::Limit("event size"),
                format!("Event of {} bytes is too large to archive.", event.len()),
            ));
        }
        let ms = to_millis(ingestion_time);
        let day = day_of(ms);
        let record_len = (HEADER + event.len()) as u64;
        let roll = match &self.active {
            None => true,
            Some(a) => {
                a.day.is_some_and(|d| d != day)
                    || (a.len > MAGIC.len() as u64
                        && a.len + record_len > self.config.segment_bytes)
            }
        };
        if roll {
            self.roll()?;
            self.prune(ingestion_time.max(SystemTime::now()))?;
        }
        let mut record = Vec::with_capacity(HEADER + event.len());
        record.extend_from_slice(&(event.len() as u32).to_le_bytes());
        record.extend_from_slice(&[0; 4]);
        record.extend_from_slice(&ms.to_le_bytes());
        record.extend_from_slice(event);
        let crc = record_crc(&record[..4], &record[8..]);
        record[4..8].copy_from_slice(&crc.to_le_bytes());
        let fsync = self.config.fsync;
        let active = self.active.as_mut().expect("rolled");
        if let Err(e) = active.file.write_all(&record) {
            // Cut a partial write off so later records stay readable.
            let _ = active.file.set_len(active.len);
            return Err(io("cannot write", &active.path, e));
        }
        if fsync == FsyncPolicy::Always {
            active
                .file
                .sync_data()
                .map_err(|e| io("cannot sync", &active.path, e))?;
        }
        active.len += record_len;
        active.day.get_or_insert(day);
        active.newest = Some(active.newest.map_or(ms, |n| n.max(ms)));
        Ok(true)
    }

    /// Start a new segment.
    fn roll(&mut self) -> Result<(), Error> {
        if let Some(old) = self.active.take() {
            self.newest.insert(old.path.clone(), old.newest);
            if self.config.fsync == FsyncPolicy::Always {
                old.file
                    .sync_all()
                    .map_err(|e| io("cannot sync", &old.path, e))?;
            }
        }
        let path = self.dir.join(format!("{:020}.{EXTENSION}", self.next_seq));
        self.next_seq += 1;
        let mut file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)
            .map_err(|e| io("cannot create", &path, e))?;
        file.write_all(MAGIC)
            .map_err(|e| io("cannot write", &path, e))?;
        if self.config.fsync == FsyncPolicy::Always {
            file.sync_all().map_err(|e| io("cannot sync", &path, e))?;
            sync_dir(&self.dir)?;
        }
        self.active = Some(Active {
            file,
            path,
            len: MAGIC.len() as u64,
            day: None,
            newest: None,
        });
        Ok(())
    }

    /// Delete whole segments (never the one being written) whose newest
    /// event is older than the retention period before `now`. Returns how
    /// many were deleted. Does nothing when retention is 0 (forever).
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("evrule-doc-prune-{}", std::process::id()));
    /// let mut archive = evrule::route::Archive::open(&dir, evrule::route::ArchiveConfig::new())?;
    /// assert_eq!(archive.prune(std::time::SystemTime::now())?, 0);
    /// # drop(archive); std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn prune(&mut self, now: SystemTime) -> Result<usize, Error> {
        if self.config.retention_days == 0 || self.read_only {
            return Ok(0);
        }
        let keep_ms = u64::from(self.config.retention_days) * 86_400_000;
        let cutoff = to_millis(now).saturating_sub(keep_ms);
        let active = self.active.as_ref().map(|a| a.path.clone());
        let mut deleted = 0;
        for (_, path) in list_segments(&self.dir)? {
            if Some(&path) == active.as_ref() {
                continue;
            }
            let newest = match self.newest.get(&path) {
                Some(n) => *n,
                None => {
                    let data = fs::read(&path).map_err(|e| io("cannot read", &path, e))?;
                    let newest = scan(&data).0.iter().map(|r| r.0).max();
                    self.newest.insert(path.clone(), newest);
                    newest
                }
            };
            let expired = match newest {
                Some(t) => t < cutoff,
                None => true,
            };
            if expired {
                fs::remove_file(&path).map_err(|e| io("cannot delete", &path, e))?;
                self.newest.remove(&path);
                deleted += 1;
            }
        }
        if deleted > 0 && self.config.fsync == FsyncPolicy::Always {
            sync_dir(&self.dir)?;
        }
        Ok(deleted)
    }

    /// The events with ingestion time in `[from, to)`, oldest segment
    /// first, in append order within a segment.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("evrule-doc-read-{}", std::process::id()));
    /// let archive = evrule::route::Archive::open(&dir, evrule::route::ArchiveConfig::new())?;
    /// let n = archive.read(std::time::UNIX_EPOCH, std::time::SystemTime::now())?.count();
    /// assert_eq!(n, 0);
    /// # drop(archive); std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read(&self, from: SystemTime, to: SystemTime) -> Result<ArchiveReader, Error> {
        Ok(ArchiveReader {
            segments: list_segments(&self.dir)?
                .into_iter()
                .map(|(_, p)| p)
                .collect(),
            next_segment: 0,
            data: Vec::new(),
            at: 0,
            from: to_millis(from),
            to: to_millis(to),
            torn_tails: 0,
        })
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<(), Error> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io("cannot sync", dir, e))
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<(), Error> {
    Ok(())
}

/// Iterator over archived events in a time window. Torn tails are
/// skipped (and counted); corruption is an `Err` item, after which the
/// reader moves on to the next segment.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("evrule-doc-reader-{}", std::process::id()));
/// let archive = evrule::route::Archive::open(&dir, evrule::route::ArchiveConfig::new())?;
/// let mut reader = archive.read(std::time::UNIX_EPOCH, std::time::SystemTime::now())?;
/// assert!(reader.next().is_none());
/// assert_eq!(reader.torn_tails(), 0);
/// # drop(archive); std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ArchiveReader {
    segments: Vec<PathBuf>,
    next_segment: usize,
    data: Vec<u8>,
    at: usize,
    from: u64,
    to: u64,
    torn_tails: usize,
}

impl ArchiveReader {
    /// Segments read so far that ended in a torn record.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("evrule-doc-torn-{}", std::process::id()));
    /// let archive = evrule::route::Archive::open(&dir, evrule::route::ArchiveConfig::new())?;
    /// assert_eq!(archive.read(std::time::UNIX_EPOCH, std::time::UNIX_EPOCH)?.torn_tails(), 0);
    /// # drop(archive); std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn torn_tails(&self) -> usize {
        self.torn_tails
    }
}

impl Iterator for ArchiveReader {
    type Item = Result<ArchivedEvent, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.at == 0 {
                let path = self.segments.get(self.next_segment)?.clone();
                self.next_segment += 1;
                self.data = match fs::read(&path) {
                    Ok(d) => d,
                    // Pruned between listing and reading: nothing to miss.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Some(Err(io("cannot read", &path, e))),
                };
                if self.data.len() < MAGIC.len() {
                    // Created, magic not yet (fully) written.
                    continue;
                }
                if &self.data[..MAGIC.len()] != MAGIC {
                    return Some(Err(Error::new(
                        Kind::Io,
                        format!("{} is not an evrule archive segment", path.display()),
                    )));
                }
                self.at = MAGIC.len();
            }
            match read_record(&self.data, self.at) {
                Read::Record { time, event, next } => {
                    self.at = next;
                    if time >= self.from && time < self.to {
                        return Some(Ok(ArchivedEvent {
                            ingestion_time: from_millis(time),
                            event: event.to_vec(),
                        }));
                    }
                }
                Read::End => self.at = 0,
                Read::TornTail if self.next_segment == self.segments.len() => {
                    self.torn_tails += 1;
                    self.at = 0;
                }
                Read::TornTail => {
                    // Only the newest segment can be mid-append; an older
                    // one cut short has lost data, and says so.
                    let offset = self.at;
                    self.at = 0;
                    let path = &self.segments[self.next_segment - 1];
                    return Some(Err(Error::new(
                        Kind::Io,
                        format!(
                            "truncated archive record in {} at byte {offset}",
                            path.display()
                        ),
                    )));
                }
                Read::Corrupt => {
                    let offset = self.at;
                    self.at = 0;
                    let path = &self.segments[self.next_segment - 1];
                    return Some(Err(Error::new(
                        Kind::Io,
                        format!(
                            "corrupt archive record in {} at byte {offset}; the rest of this segment is skipped",
                            path.display()
                        ),
                    )));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_known_values() {
        assert_eq!(record_crc(b"", b""), 0);
        assert_eq!(record_crc(b"", b"a"), 0xE8B7_BE43);
        assert_eq!(record_crc(b"123456789", b""), 0xCBF4_3926);
        assert_eq!(
            record_crc(b"The quick brown fox jumps over the lazy dog", b""),
            0x414F_A339
        );
        // The two parts are checksummed as one run of bytes.
        assert_eq!(record_crc(b"1234", b"56789"), 0xCBF4_3926);
    }
}
