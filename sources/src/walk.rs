//! The one directory walk, used to find rule files (`check`, `list`,
//! `match --rules`, ...) and event files (`match`, `explain`).
//!
//! Policy, the same for every command:
//!
//! - entries are visited depth first, in file-name order, so output is the
//!   same on every machine;
//! - names starting with `.` are skipped (`.git`, editor files), and so are
//!   directories the caller names (`node_modules`, `target`);
//! - symbolic links are followed, so a linked file or directory is read as
//!   if it were named on the command line; a link that leads back into a
//!   directory being walked is a loop: it is reported once and not
//!   entered, so no walk can run forever;
//! - a dangling link (its target does not exist) is skipped: nothing is
//!   there to read;
//! - a directory that cannot be listed is reported, and the walk goes on.
//!
//! ```
//! let dir = std::env::temp_dir().join(format!("evrule-walk-doc-{}", std::process::id()));
//! std::fs::create_dir_all(dir.join("b"))?;
//! std::fs::write(dir.join("b/x.json"), "{}")?;
//! std::fs::write(dir.join("a.json"), "{}")?;
//! std::fs::write(dir.join(".hidden.json"), "{}")?;
//! let found: Vec<_> = evrule_sources::walk::files(&dir, |_| false)
//!     .map(|f| f.unwrap().strip_prefix(&dir).unwrap().to_path_buf())
//!     .collect();
//! assert_eq!(found, [std::path::Path::new("a.json"), std::path::Path::new("b/x.json")]);
//! std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

/// A place the walk could not read, and why, in words for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalkError {
    /// The directory or link.
    pub path: PathBuf,
    /// What went wrong (`permission denied`, `symbolic link loop ...`).
    pub message: String,
}

/// Every file under `dir`, following the policy above. `skip_dir` is asked
/// about each directory name below `dir` (not `dir` itself); `true` leaves
/// it out with everything in it.
pub fn files<'a>(
    dir: &Path,
    skip_dir: impl Fn(&str) -> bool + 'a,
) -> impl Iterator<Item = Result<PathBuf, WalkError>> + 'a {
    WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(move |e| {
            if e.depth() == 0 {
                return true;
            }
            let name = e.file_name().to_string_lossy();
            !(name.starts_with('.') || e.file_type().is_dir() && skip_dir(&name))
        })
        .filter_map(|entry| match entry {
            Ok(e) if e.file_type().is_file() => Some(Ok(e.into_path())),
            Ok(_) => None,
            Err(e) => {
                let path = e.path().map(Path::to_path_buf).unwrap_or_default();
                if let Some(ancestor) = e.loop_ancestor() {
                    return Some(Err(WalkError {
                        message: format!(
                            "symbolic link loop: leads back to {}; not followed",
                            ancestor.display()
                        ),
                        path,
                    }));
                }
                let io = e.io_error()?;
                // A dangling link: nothing to read.
                if io.kind() == io::ErrorKind::NotFound
                    && path
                        .symlink_metadata()
                        .is_ok_and(|m| m.file_type().is_symlink())
                {
                    return None;
                }
                Some(Err(WalkError {
                    message: io_message(io),
                    path,
                }))
            }
        })
}

/// An I/O error in the words every command uses.
pub fn io_message(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::IsADirectory => "is a directory".to_string(),
        _ => format!("cannot read: {e}"),
    }
}

#[cfg(test)]
mod tests {
    #[cfg(unix)]
    #[test]
    fn links_are_followed_and_loops_reported_once() {
        use std::os::unix::fs::symlink;
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        std::fs::create_dir_all(d.join("real/sub")).unwrap();
        std::fs::write(d.join("real/sub/r.json"), "{}").unwrap();
        symlink(d.join("real"), d.join("linked")).unwrap();
        symlink(d.join("real"), d.join("real/sub/back")).unwrap();
        symlink(d.join("nowhere"), d.join("dangling.json")).unwrap();
        std::fs::create_dir_all(d.join("node_modules")).unwrap();
        std::fs::write(d.join("node_modules/n.json"), "{}").unwrap();
        let mut files = Vec::new();
        let mut errors = Vec::new();
        for f in super::files(d, |n| n == "node_modules") {
            match f {
                Ok(p) => files.push(p.strip_prefix(d).unwrap().display().to_string()),
                Err(e) => errors.push((
                    e.path.strip_prefix(d).unwrap().display().to_string(),
                    e.message,
                )),
            }
        }
        assert_eq!(files, ["linked/sub/r.json", "real/sub/r.json"]);
        let loops: Vec<_> = errors.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(loops, ["linked/sub/back", "real/sub/back"]);
        assert!(errors[0]
            .1
            .starts_with("symbolic link loop: leads back to "));
    }
}
