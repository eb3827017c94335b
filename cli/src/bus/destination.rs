//! Local destinations, named by URI in the bus configuration.
//!
//! | URI | delivery |
//! |---|---|
//! | `file:PATH` | appends one JSON line per delivery |
//! | `dir:PATH` | writes one file per delivery (unique names, written whole) |
//! | `stdout:` | one JSON line per delivery on stdout |
//! | `exec:COMMAND` | runs `sh -c COMMAND` with the payload on stdin |
//! | `http://...`, `https://...` | POSTs the payload as JSON |
//!
//! `file:`, `dir:` and `stdout:` write the envelope of
//! [`JsonLines`]: rule, target, attempt, the payload as `input`, and for a
//! dead letter the reason as `deadLetter` (its `input` is then the original
//! event). `exec:` and `http:` send the payload itself; a dead letter sends
//! that envelope instead, so the reason travels with the event.
//!
//! Failures: an `exec:` command that exits non-zero or runs past the
//! timeout (it is killed, with its process group) is retryable. HTTP 2xx
//! is success; 429, 5xx, timeouts and connection errors are retryable;
//! other statuses are permanent.

use std::collections::HashSet;
use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use evrule::route::{Delivery, DeliveryResult, Destination, JsonLines};

/// Where deliveries for one ARN go, as configured.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DestinationSpec {
    /// `file:PATH`.
    File(PathBuf),
    /// `dir:PATH`.
    Dir(PathBuf),
    /// `stdout:`.
    Stdout,
    /// `exec:COMMAND`.
    Exec(String),
    /// `http(s)://...`.
    Http(String),
}

impl DestinationSpec {
    /// Parse a destination URI; relative paths are taken from `base`.
    pub fn parse(uri: &str, base: &Path) -> Result<DestinationSpec, String> {
        let path = |p: &str| {
            if p.is_empty() {
                Err(format!("`{uri}` names no path"))
            } else {
                Ok(resolve(base, p))
            }
        };
        if let Some(p) = uri.strip_prefix("file:") {
            Ok(DestinationSpec::File(path(p)?))
        } else if let Some(p) = uri.strip_prefix("dir:") {
            Ok(DestinationSpec::Dir(path(p)?))
        } else if uri == "stdout:" || uri == "stdout" {
            Ok(DestinationSpec::Stdout)
        } else if let Some(c) = uri.strip_prefix("exec:") {
            if c.trim().is_empty() {
                return Err(format!("`{uri}` names no command"));
            }
            Ok(DestinationSpec::Exec(c.to_string()))
        } else if uri.starts_with("http://") || uri.starts_with("https://") {
            uri.parse::<ureq::http::Uri>()
                .map_err(|e| format!("`{uri}` is not a valid URL: {e}"))?;
            Ok(DestinationSpec::Http(uri.to_string()))
        } else {
            Err(format!(
                "unknown destination `{uri}` (expected file:PATH, dir:PATH, stdout:, \
                 exec:COMMAND or an http(s):// URL)"
            ))
        }
    }

    /// Open the destination. Files and directories are created at the
    /// first delivery, so that a run that delivers nothing leaves nothing
    /// behind; whether they could be created is checked now, so that a
    /// path that cannot be written is an error before any event is read.
    pub fn open(&self, options: &OpenSettings) -> Result<Arc<dyn Destination>, String> {
        Ok(match self {
            DestinationSpec::File(path) => {
                check_writable(path, false)?;
                Arc::new(FileSink {
                    path: path.clone(),
                    lines: OnceLock::new(),
                })
            }
            DestinationSpec::Dir(path) => {
                check_writable(path, true)?;
                Arc::new(DirSink {
                    dir: path.clone(),
                    created: OnceLock::new(),
                    seq: AtomicU64::new(0),
                })
            }
            DestinationSpec::Stdout => Arc::new(JsonLines::new(std::io::stdout())),
            DestinationSpec::Exec(command) => Arc::new(ExecSink {
                command: command.clone(),
                cwd: options.cwd.clone(),
                timeout: options.timeout,
            }),
            DestinationSpec::Http(url) => Arc::new(HttpSink::new(url, options.timeout)),
        })
    }
}

/// What opening a destination needs besides its URI.
#[derive(Clone, Debug)]
pub struct OpenSettings {
    /// Working directory of `exec:` commands.
    pub cwd: PathBuf,
    /// Time limit of `exec:` commands and HTTP requests.
    pub timeout: Duration,
}

/// Whether `path` (a file to append to, or a directory when `dir`) could
/// be written, without creating anything: it exists and is writable, or
/// its nearest existing ancestor is a directory that is.
fn check_writable(path: &Path, dir: bool) -> Result<(), String> {
    let cannot = |why: &str| format!("cannot create {}: {why}", path.display());
    match fs::metadata(path) {
        Ok(meta) if dir && !meta.is_dir() => return Err(cannot("not a directory")),
        Ok(meta) if !dir && meta.is_dir() => {
            return Err(format!("cannot open {}: is a directory", path.display()))
        }
        Ok(_) if dir => return writable(path).map_err(|e| cannot(&e)),
        Ok(_) => {
            return OpenOptions::new()
                .append(true)
                .open(path)
                .map(drop)
                .map_err(|e| format!("cannot open {}: {e}", path.display()))
        }
        Err(_) => {}
    }
    let mut ancestor = path.parent();
    while let Some(a) = ancestor {
        let a = if a.as_os_str().is_empty() {
            Path::new(".")
        } else {
            a
        };
        match fs::metadata(a) {
            Ok(meta) if meta.is_dir() => return writable(a).map_err(|e| cannot(&e)),
            Ok(_) => return Err(cannot(&format!("{} is not a directory", a.display()))),
            Err(_) => ancestor = a.parent(),
        }
    }
    Ok(())
}

/// Whether the directory `dir` lets this process create entries.
fn writable(dir: &Path) -> Result<(), String> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes())
        .map_err(|_| format!("{} holds a NUL byte", dir.display()))?;
    // SAFETY: `c` is a valid NUL-terminated path for the call's duration.
    if unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) } == 0 {
        Ok(())
    } else {
        Err(format!(
            "{}: {}",
            dir.display(),
            std::io::Error::last_os_error()
        ))
    }
}

/// `file:PATH`: the envelope of each delivery appended as a JSON line;
/// the file (and its directory) created at the first delivery.
struct FileSink {
    path: PathBuf,
    lines: OnceLock<Result<JsonLines<fs::File>, String>>,
}

impl Destination for FileSink {
    fn deliver(&self, d: &Delivery) -> DeliveryResult {
        let lines = self.lines.get_or_init(|| {
            create_parent(&self.path)?;
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .map(JsonLines::new)
                .map_err(|e| format!("cannot open {}: {e}", self.path.display()))
        });
        match lines {
            Ok(lines) => lines.deliver(d),
            Err(e) => DeliveryResult::Retryable(e.clone()),
        }
    }
}

fn create_parent(path: &Path) -> Result<(), String> {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => {
            fs::create_dir_all(p).map_err(|e| format!("cannot create {}: {e}", p.display()))
        }
        _ => Ok(()),
    }
}

/// The envelope line (without newline) that `file:` writes for `d`.
fn envelope(d: &Delivery) -> Vec<u8> {
    let lines = JsonLines::new(Vec::new());
    lines.deliver(d);
    let mut bytes = lines.into_inner();
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
    }
    bytes
}

/// What `exec:` and `http:` send: the payload, or for a dead letter the
/// envelope with the reason.
fn payload(d: &Delivery) -> Vec<u8> {
    if d.dead_letter.is_some() {
        envelope(d)
    } else {
        d.body.as_bytes().to_vec()
    }
}

/// `dir:PATH`: one file per delivery, named
/// `<ms since epoch>-<pid>-<seq>.json`, written under a temporary name and
/// renamed, so a reader never sees half a file.
struct DirSink {
    dir: PathBuf,
    /// Set once the directory was created, at the first delivery.
    created: OnceLock<Result<(), String>>,
    seq: AtomicU64,
}

impl Destination for DirSink {
    fn deliver(&self, d: &Delivery) -> DeliveryResult {
        let created = self.created.get_or_init(|| {
            fs::create_dir_all(&self.dir)
                .map_err(|e| format!("cannot create {}: {e}", self.dir.display()))
        });
        if let Err(e) = created {
            return DeliveryResult::Retryable(e.clone());
        }
        let mut bytes = envelope(d);
        bytes.push(b'\n');
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |t| t.as_millis());
        let pid = std::process::id();
        loop {
            let seq = self.seq.fetch_add(1, Ordering::Relaxed);
            let name = format!("{ms:013}-{pid}-{seq:06}.json");
            let tmp = self.dir.join(format!(".{name}.tmp"));
            let file = OpenOptions::new().write(true).create_new(true).open(&tmp);
            let mut file = match file {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return DeliveryResult::Retryable(format!("{}: {e}", tmp.display())),
            };
            let done = file.write_all(&bytes).and_then(|()| {
                let target = self.dir.join(&name);
                if target.exists() {
                    return Err(std::io::ErrorKind::AlreadyExists.into());
                }
                fs::rename(&tmp, target)
            });
            match done {
                Ok(()) => return DeliveryResult::Ok,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let _ = fs::remove_file(&tmp);
                }
                Err(e) => {
                    let _ = fs::remove_file(&tmp);
                    return DeliveryResult::Retryable(format!("{}: {e}", self.dir.display()));
                }
            }
        }
    }
}

/// Process groups of running `exec:` commands, so that a forced shutdown
/// can end them.
static RUNNING: Mutex<Option<HashSet<i32>>> = Mutex::new(None);
/// Set once a forced shutdown began: new commands are not started.
static ABORTING: AtomicBool = AtomicBool::new(false);

/// Kill every running `exec:` command (and its children), and start no new
/// ones: their attempts fail, so the deliveries are reported as undelivered.
pub fn abort_running_commands() {
    ABORTING.store(true, Ordering::SeqCst);
    let running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
    for &pgid in running.iter().flatten() {
        kill_group(pgid);
    }
}

fn kill_group(pgid: i32) {
    // SAFETY: kill(2) with a negative pid signals a process group; it
    // touches no memory of ours.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}

/// `exec:COMMAND`.
struct ExecSink {
    command: String,
    cwd: PathBuf,
    timeout: Duration,
}

/// Most bytes of a command's stderr kept for the failure reason.
const STDERR_KEEP: usize = 2048;
/// How long to wait for the rest of a finished command's stderr (a
/// background process it started may keep the pipe open).
const STDERR_WAIT: Duration = Duration::from_millis(100);

impl ExecSink {
    fn spawn(&self, d: &Delivery) -> std::io::Result<Child> {
        use std::os::unix::process::CommandExt;
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(&self.command)
            .current_dir(&self.cwd)
            .env("EVRULE_RULE", &d.rule)
            .env("EVRULE_RULE_ARN", &d.rule_arn)
            .env("EVRULE_TARGET_ID", &d.target_id)
            .env("EVRULE_TARGET_ARN", &d.target_arn)
            .env("EVRULE_ATTEMPT", d.attempt.to_string())
            .env(
                "EVRULE_DEAD_LETTER",
                if d.dead_letter.is_some() { "1" } else { "0" },
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::from(std::io::stderr()))
            .stderr(Stdio::piped())
            // Its own process group, so a timeout kills what it started too.
            .process_group(0);
        cmd.spawn()
    }
}

impl Destination for ExecSink {
    fn deliver(&self, d: &Delivery) -> DeliveryResult {
        if ABORTING.load(Ordering::SeqCst) {
            return DeliveryResult::Retryable("shutting down".into());
        }
        let mut child = match self.spawn(d) {
            Ok(c) => c,
            Err(e) => return DeliveryResult::Retryable(format!("cannot run sh: {e}")),
        };
        let pid = child.id() as i32;
        RUNNING
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert_with(HashSet::new)
            .insert(pid);
        if ABORTING.load(Ordering::SeqCst) {
            // A forced shutdown began while the command was starting.
            kill_group(pid);
        }
        // Feed stdin and drain stderr on their own threads: a command that
        // reads nothing or writes a lot must not block us.
        let input = payload(d);
        // Neither thread is joined: a process the command left running
        // in the background may hold the pipes open; the threads end when
        // it does.
        if let Some(mut s) = child.stdin.take() {
            thread::spawn(move || {
                let _ = s.write_all(&input);
            });
        }
        let (stderr_tx, stderr_rx) = mpsc::channel();
        if let Some(mut s) = child.stderr.take() {
            thread::spawn(move || {
                let mut kept = Vec::new();
                let mut buf = [0u8; 4096];
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    kept.extend_from_slice(&buf[..n]);
                    if kept.len() > STDERR_KEEP {
                        kept.drain(..kept.len() - STDERR_KEEP);
                    }
                }
                let _ = stderr_tx.send(kept);
            });
        }
        let deadline = Instant::now() + self.timeout;
        let mut nap = Duration::from_millis(1);
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Ok(status),
                Ok(None) if Instant::now() >= deadline => {
                    kill_group(pid);
                    let _ = child.wait();
                    break Err(format!(
                        "exec:{} timed out after {} ms",
                        self.command,
                        self.timeout.as_millis()
                    ));
                }
                Ok(None) => {
                    thread::sleep(nap);
                    nap = (nap * 2).min(Duration::from_millis(20));
                }
                Err(e) => break Err(format!("waiting for exec:{}: {e}", self.command)),
            }
        };
        if let Some(set) = RUNNING.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            set.remove(&pid);
        }
        let tail = stderr_rx
            .recv_timeout(STDERR_WAIT)
            .map(|b| String::from_utf8_lossy(&b).trim().to_string())
            .unwrap_or_default();
        match status {
            Ok(s) if s.success() => DeliveryResult::Ok,
            Ok(s) => {
                let how = match s.code() {
                    Some(code) => format!("exited with status {code}"),
                    None => "was killed by a signal".to_string(),
                };
                let mut why = format!("exec:{} {how}", self.command);
                if !tail.is_empty() {
                    why.push_str(": ");
                    why.push_str(tail.lines().last().unwrap_or_default());
                }
                DeliveryResult::Retryable(why)
            }
            Err(why) => DeliveryResult::Retryable(why),
        }
    }
}

/// `http://` and `https://`: POST the payload.
struct HttpSink {
    url: String,
    agent: ureq::Agent,
}

impl HttpSink {
    fn new(url: &str, timeout: Duration) -> HttpSink {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        HttpSink {
            url: url.to_string(),
            agent,
        }
    }
}

impl Destination for HttpSink {
    fn deliver(&self, d: &Delivery) -> DeliveryResult {
        let response = self
            .agent
            .post(&self.url)
            .header("content-type", "application/json")
            .header("x-evrule-rule", &d.rule)
            .header("x-evrule-target-id", &d.target_id)
            .header("x-evrule-attempt", d.attempt.to_string())
            .send(&payload(d)[..]);
        match response {
            Ok(mut r) => {
                let status = r.status().as_u16();
                // Read a little of the body, for the reason and so the
                // connection can be reused.
                let mut body = String::new();
                let _ = r.body_mut().as_reader().take(512).read_to_string(&mut body);
                let why = || {
                    let body = body.trim();
                    if body.is_empty() {
                        format!("POST {} returned {status}", self.url)
                    } else {
                        format!("POST {} returned {status}: {body}", self.url)
                    }
                };
                match status {
                    200..=299 => DeliveryResult::Ok,
                    429 | 500..=599 => DeliveryResult::Retryable(why()),
                    _ => DeliveryResult::Permanent(why()),
                }
            }
            Err(e) => {
                let why = format!("POST {}: {e}", self.url);
                match e {
                    ureq::Error::BadUri(_) | ureq::Error::InvalidProxyUrl => {
                        DeliveryResult::Permanent(why)
                    }
                    // Timeouts, refused connections, resets, DNS, TLS.
                    _ => DeliveryResult::Retryable(why),
                }
            }
        }
    }
}

/// `rel` taken from `dir`, without a leading `./` when `dir` is the
/// current directory (paths in messages read as the user wrote them).
pub fn resolve(dir: &Path, rel: &str) -> PathBuf {
    if dir == Path::new(".") {
        PathBuf::from(rel)
    } else {
        dir.join(rel)
    }
}
