//! `evrule replay`: re-send the events an archive holds for a time window
//! (by time of arrival, `[from, to)`) through the configuration's current
//! rules and destinations, each event carrying `"replay-name": NAME`.
//!
//! The archive is opened read-only, so replaying while a `route` process
//! still appends is safe, and so is replaying what a crashed one left: a
//! record cut short at the end is skipped (and counted as a torn tail); a
//! damaged record elsewhere is reported and the rest of its segment is
//! skipped.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use evrule::route::{with_replay_name, Archive};
use evrule::time::format_rfc3339_millis;
use serde_json::Value;

use crate::bus::window::Window;
use crate::bus::{self, config, Bus};
use crate::flags::{ReplayFlags, RouteFormat};
use crate::output::{self, Exit};

/// Validated settings of `replay`.
#[derive(Debug)]
pub struct Settings {
    config: config::BusConfig,
    archive: std::path::PathBuf,
    window: Window,
    format: RouteFormat,
}

impl Settings {
    /// Validate raw flags and read the configuration.
    pub fn from_flags(flags: ReplayFlags) -> Result<Settings, Vec<String>> {
        let window = Window::parse(&flags.from, flags.to.as_deref(), flags.name.as_deref())?;
        Ok(Settings {
            config: config::load(&flags.config)?,
            archive: flags.archive.unwrap_or_default(),
            window,
            format: flags.format,
        })
    }
}

/// Run `replay`.
pub fn run(flags: ReplayFlags) -> Exit {
    if flags.engine.is_some() {
        return crate::bus::engine::replay(flags);
    }
    let settings = match Settings::from_flags(flags) {
        Ok(s) => s,
        Err(problems) => return output::refuse(&problems),
    };
    let archive = match Archive::open_read_only(&settings.archive) {
        Ok(a) => a,
        Err(e) => return output::refuse(&[format!("archive: {e}")]),
    };
    let mut reader = match archive.read(settings.window.from, settings.window.to) {
        Ok(r) => r,
        Err(e) => return output::refuse(&[format!("archive: {e}")]),
    };
    // Replayed events are not archived again.
    let mut bus = match Bus::start(&settings.config, None) {
        Ok(b) => b,
        Err(problems) => return output::refuse(&problems),
    };
    bus::catch_interrupts();
    let mut interrupted = false;
    let mut replayed = 0u64;
    let at = format!("archive {}", settings.archive.display());
    for event in reader.by_ref() {
        if bus::interrupts() > 0 {
            interrupted = true;
            break;
        }
        let event = match event {
            Ok(e) => e,
            Err(e) => {
                bus.error(&format!("{at}: {e}"));
                continue;
            }
        };
        match with_replay_name(&event.event, &settings.window.name) {
            Ok(tagged) => {
                replayed += 1;
                if bus.route(&tagged, &at, None).is_err() {
                    break;
                }
            }
            Err(e) => bus.bad_input(&at, e.message()),
        }
    }
    if replayed == 0 && !interrupted {
        output::error(&empty_window(&archive, &settings));
    }
    let mut summary = bus.finish(interrupted, false);
    summary.extra = vec![
        (
            "replay_name".into(),
            Value::String(settings.window.name.clone()),
        ),
        ("replayed".into(), replayed.into()),
        ("torn_tails".into(), (reader.torn_tails() as u64).into()),
    ];
    let exit = summary.exit();
    output::finish(summary.print(settings.format).map(|()| exit))
}

/// What to tell a user whose window holds no event: the window, and the
/// time range the archive does hold (found by reading it through once;
/// only done when the window was empty).
fn empty_window(archive: &Archive, settings: &Settings) -> String {
    let window = format!(
        "no archived event arrived in [{}, {})",
        format_rfc3339_millis(settings.window.from),
        format_rfc3339_millis(settings.window.to)
    );
    let far = UNIX_EPOCH + Duration::from_secs(1 << 40);
    let mut range: Option<(SystemTime, SystemTime)> = None;
    if let Ok(reader) = archive.read(UNIX_EPOCH, far) {
        for e in reader.flatten() {
            let t = e.ingestion_time;
            range = Some(range.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
        }
    }
    match range {
        Some((first, last)) => format!(
            "{window}; the archive holds events that arrived from {} to {}",
            format_rfc3339_millis(first),
            format_rfc3339_millis(last)
        ),
        None => format!("{window}; the archive holds no events"),
    }
}
