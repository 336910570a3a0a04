//! Writing the site: into a staging folder beside `--out`, then swapped in atomically.
//!
//! A build that fails, or is killed, never touches `--out`: the new site only replaces the old
//! one with a single `renameat2(RENAME_EXCHANGE)` on Linux (two renames elsewhere). A marker
//! file identifies folders metricdict wrote, so it never deletes a folder it did not create.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::model::layout::{SHARD_DIR, SITE_MARKER as MARKER};

/// Why `--out` was refused.
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Absolute, normalised form of a path that may not exist yet.
fn absolute(p: &Path) -> io::Result<PathBuf> {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()?.join(p)
    };
    // Resolve the longest existing ancestor through symlinks, keep the rest lexically.
    let mut existing = abs.clone();
    let mut rest: Vec<OsString> = Vec::new();
    while !existing.exists() {
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize().unwrap_or(existing);
    for part in rest.into_iter().rev() {
        match Path::new(&part).components().next() {
            Some(Component::ParentDir) => {
                out.pop();
            }
            Some(Component::CurDir) | None => {}
            _ => out.push(part),
        }
    }
    Ok(out)
}

/// Refuse output folders whose replacement would lose data: `/`, the home folder, a
/// definitions folder or one containing it, and any non-empty folder metricdict did not write.
pub fn check_out_dir(out: &Path, definitions: &[PathBuf]) -> Result<PathBuf, Refused> {
    let abs = absolute(out)
        .map_err(|e| Refused(format!("cannot resolve --out {}: {e}", out.display())))?;
    if abs.parent().is_none() {
        return Err(Refused(format!(
            "refusing to write the site to {}: it is the file-system root",
            abs.display()
        )));
    }
    if let Some(home) = std::env::var_os("HOME").map(PathBuf::from) {
        if absolute(&home).ok().as_deref() == Some(abs.as_path()) {
            return Err(Refused(format!(
                "refusing to write the site to {}: it is your home folder",
                abs.display()
            )));
        }
    }
    for d in definitions {
        if let Ok(def) = absolute(d) {
            if def.starts_with(&abs) {
                return Err(Refused(format!(
                    "refusing to write the site to {}: it {} the definitions folder {}",
                    abs.display(),
                    if def == abs { "is" } else { "contains" },
                    d.display()
                )));
            }
        }
    }
    if abs.exists() {
        if !abs.is_dir() {
            return Err(Refused(format!(
                "refusing to write the site to {}: it is a file, not a folder",
                abs.display()
            )));
        }
        let empty = fs::read_dir(&abs)
            .map(|mut r| r.next().is_none())
            .unwrap_or(false);
        if !empty && !abs.join(MARKER).is_file() {
            return Err(Refused(format!(
                "refusing to replace {}: it is not empty and was not written by metricdict (no {MARKER} file); \
                 choose an empty or new folder",
                abs.display()
            )));
        }
    }
    Ok(abs)
}

/// An exclusive lock on building into one output folder: a second build into the same `--out`
/// waits for the first (an advisory lock on `.<name>.metricdict-lock` beside it, released when
/// the process ends, however it ends).
pub struct BuildLock {
    _file: fs::File,
}

/// Where the lock of builds into `out` lives.
pub fn lock_path(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "site".into());
    out.with_file_name(format!(".{name}.metricdict-lock"))
}

/// Take the lock of builds into `out`, calling `waiting` (with the lock file) once if another
/// build holds it.
pub fn lock(out: &Path, waiting: &dyn Fn(&Path)) -> io::Result<BuildLock> {
    let path = lock_path(out);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            waiting(&path);
            file.lock()?;
        }
        Err(fs::TryLockError::Error(e)) => return Err(e),
    }
    Ok(BuildLock { _file: file })
}

/// Whether the process that named a staging folder (`.<name>.metricdict-<pid>`) still runs.
fn owner_alive(staging_name: &str) -> bool {
    let Some(pid) = staging_name
        .rsplit('-')
        .next()
        .and_then(|p| p.parse::<u32>().ok())
    else {
        return false;
    };
    pid != std::process::id() && Path::new(&format!("/proc/{pid}")).exists()
}

/// A site being written. Dropping it without [`Staging::commit`] removes the partial output.
pub struct Staging {
    dir: PathBuf,
    out: PathBuf,
    /// Write pre-compressed `.gz` twins.
    pub gzip: bool,
    /// `out` holds a previous metricdict site to reuse unchanged files from.
    previous: bool,
    committed: bool,
}

/// How many files a build wrote, and how many it reused unchanged from the previous site.
#[derive(Debug, Default, Clone, Copy)]
pub struct WriteStats {
    pub written: usize,
    pub unchanged: usize,
}

impl Staging {
    /// Create an empty staging folder next to `out` (same file system, so the swap is a rename).
    /// Leftovers of killed builds are removed first.
    pub fn create(out: &Path) -> io::Result<Staging> {
        let parent = out
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        fs::create_dir_all(&parent)?;
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "site".into());
        let prefix = format!(".{name}.metricdict-");
        let trash_prefix = format!("{prefix}{TRASH}");
        if let Ok(entries) = fs::read_dir(&parent) {
            for e in entries.flatten() {
                let file_name = e.file_name().to_string_lossy().into_owned();
                if !file_name.starts_with(&prefix) {
                    continue;
                }
                // Ours: a folder being deleted (only metricdict makes that name; deletion may
                // have removed the marker before the build was killed), a staging folder with
                // the marker, or one a build was killed in right after creating it.
                let p = e.path();
                // A folder another running build is writing is left alone.
                if !file_name.starts_with(&trash_prefix) && owner_alive(&file_name) {
                    continue;
                }
                let ours = file_name.starts_with(&trash_prefix)
                    || p.join(MARKER).exists()
                    || fs::read_dir(&p).is_ok_and(|mut d| d.next().is_none());
                if ours {
                    // Through the trash name too: this build may be killed while deleting it.
                    discard(&p);
                }
            }
        }
        let dir = parent.join(format!("{prefix}{}", std::process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir)?;
        }
        fs::create_dir(&dir)?;
        // The marker goes in first so a leftover staging folder is recognisably ours.
        fs::write(dir.join(MARKER), b"metricdict output; safe to delete\n")?;
        let previous = out.join(MARKER).is_file();
        Ok(Staging {
            dir,
            out: out.to_path_buf(),
            gzip: true,
            previous,
            committed: false,
        })
    }

    /// The folder being written.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Write one file at a site-relative path; returns whether it was linked unchanged from
    /// the previous site. Paths come from our own slugs, but are checked again here so nothing
    /// can ever be written outside the staging folder.
    pub fn write(&self, rel: &str, content: &[u8]) -> io::Result<bool> {
        let target = self.dir.join(safe_relative(rel)?);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        self.write_or_link(rel, &target, content)
    }

    /// Write every file. Folders are created first, once each; a file whose content equals the
    /// previous site's is hard-linked from it instead of written, so it keeps its modification
    /// time (caches and `rsync` see it unchanged) and costs no new inode.
    pub fn write_all<'a>(
        &self,
        files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> io::Result<WriteStats> {
        use rayon::prelude::*;
        let files: Vec<(&str, &[u8], PathBuf)> = files
            .into_iter()
            .map(|(rel, content)| Ok((rel, content, self.dir.join(safe_relative(rel)?))))
            .collect::<io::Result<_>>()?;
        let mut dirs: Vec<&Path> = files.iter().filter_map(|(_, _, t)| t.parent()).collect();
        dirs.sort();
        dirs.dedup();
        for d in dirs {
            fs::create_dir_all(d)?;
        }
        let linked: Vec<bool> = files
            .par_iter()
            .with_max_len(8)
            .map(|(rel, content, target)| self.write_or_link(rel, target, content))
            .collect::<io::Result<_>>()?;
        let unchanged = linked.iter().filter(|l| **l).count();
        Ok(WriteStats {
            written: linked.len() - unchanged,
            unchanged,
        })
    }

    /// Returns whether the file was linked (unchanged) rather than written.
    fn write_or_link(&self, rel: &str, target: &Path, content: &[u8]) -> io::Result<bool> {
        // Compressible files get a `.gz` twin (GitLab Pages and most hosts serve it if present).
        let gz_target = (self.gzip && compressible(rel, content.len())).then(|| with_gz(target));
        if self.previous {
            let old = self.out.join(rel);
            let same = fs::metadata(&old)
                .is_ok_and(|m| m.is_file() && m.len() == content.len() as u64)
                && fs::read(&old).is_ok_and(|old| old == content);
            if same && fs::hard_link(&old, target).is_ok() {
                if let Some(gz) = &gz_target {
                    if fs::hard_link(with_gz(&old), gz).is_err() {
                        write_gzip(gz, content)?;
                    }
                }
                return Ok(true);
            }
        }
        fs::write(target, content)?;
        if let Some(gz) = &gz_target {
            write_gzip(gz, content)?;
        }
        Ok(false)
    }

    /// Replace `out` with the staged site in one step.
    pub fn commit(mut self) -> io::Result<()> {
        if self.out.exists() {
            exchange(&self.dir, &self.out)?;
            // `self.dir` now holds the previous site.
            discard(&self.dir);
        } else {
            fs::rename(&self.dir, &self.out)?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            discard(&self.dir);
        }
    }
}

/// Name part of folders being deleted (`.site.metricdict-trash-123`).
const TRASH: &str = "trash-";

/// Delete a staging folder. It is first renamed to a trash name so that a build killed while
/// deleting it (after the marker is gone) still leaves a folder the next build recognises.
fn discard(dir: &Path) {
    let target = match (dir.parent(), dir.file_name()) {
        (Some(parent), Some(name)) => {
            let name = name.to_string_lossy();
            match name.split_once(".metricdict-") {
                Some((_, rest)) if rest.starts_with(TRASH) => dir.to_path_buf(),
                Some((head, pid)) => parent.join(format!("{head}.metricdict-{TRASH}{pid}")),
                None => dir.to_path_buf(),
            }
        }
        _ => dir.to_path_buf(),
    };
    let doomed = if target.as_path() != dir && fs::rename(dir, &target).is_ok() {
        target
    } else {
        dir.to_path_buf()
    };
    let _ = fs::remove_dir_all(doomed);
}

/// Smaller files get no `.gz` twin. A response this small arrives in TCP's first flight
/// (10 segments of ~1,460 bytes) compressed or not, so the twin would save bytes but no round
/// trip; at 5k definitions skipping the twins of definition pages (about 9 KB each) takes a
/// tenth off the build's CPU and half its files.
pub const MIN_GZIP_BYTES: usize = 14 * 1024;

/// Text files worth compressing: hosts serve `x.gz` for `x` when the client accepts gzip.
/// Search shards keep their twins down to 256 bytes: the search fetches several per query as
/// the visitor types, so their bytes add up (5k: 1.1 KB a query instead of 5.3 KB).
fn compressible(rel: &str, len: usize) -> bool {
    const TEXT: [&str; 8] = [
        ".html", ".css", ".js", ".json", ".xml", ".csv", ".svg", ".txt",
    ];
    let min = if rel
        .strip_prefix(SHARD_DIR)
        .is_some_and(|r| r.starts_with('/'))
    {
        256
    } else {
        MIN_GZIP_BYTES
    };
    len >= min && TEXT.iter().any(|e| rel.ends_with(e))
}

fn with_gz(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_os_string();
    s.push(".gz");
    PathBuf::from(s)
}

/// Write `content` gzipped to `path`: deterministic gzip (no name, no timestamp in the header),
/// so rebuilds stay byte-identical. libdeflate compresses whole buffers, which is all we do,
/// faster than zlib at a better ratio. Level 1: on the 5k benchmark its files are 6 % larger
/// than level 6 and the whole build uses about a fifth less CPU (compression was the largest
/// single cost of a cold build). Each thread keeps its compressor and, up to
/// [`KEPT_GZIP_BUFFER`], its output buffer: a new zeroed buffer per file (634 files, 20 MB at
/// 5k) was paid in zeroing and page faults.
fn write_gzip(path: &Path, content: &[u8]) -> io::Result<()> {
    thread_local! {
        static GZIP: std::cell::RefCell<(libdeflater::Compressor, Vec<u8>)> = std::cell::RefCell::new((
            libdeflater::Compressor::new(libdeflater::CompressionLvl::new(1).expect("1 is a valid level")),
            Vec::new(),
        ));
    }
    GZIP.with(|g| {
        let (c, kept) = &mut *g.borrow_mut();
        let bound = c.gzip_compress_bound(content.len());
        let mut fresh = Vec::new();
        let out = if bound <= KEPT_GZIP_BUFFER {
            kept
        } else {
            &mut fresh
        };
        if out.len() < bound {
            out.resize(bound, 0);
        }
        let n = c
            .gzip_compress(content, out)
            .map_err(|e| io::Error::other(format!("gzip: {e:?}")))?;
        fs::write(path, &out[..n])
    })
}

/// The largest output buffer a thread keeps between files (the downloads of a large
/// dictionary are bigger, and are compressed into a buffer of their own).
const KEPT_GZIP_BUFFER: usize = 8 << 20;

/// Reject absolute paths and `..`: only plain components below the site root.
pub fn safe_relative(rel: &str) -> io::Result<PathBuf> {
    let p = Path::new(rel);
    let ok = !rel.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)));
    if ok {
        Ok(p.to_path_buf())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("unsafe output path {rel:?}"),
        ))
    }
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // The renameat2 system call made directly, not through glibc's `renameat2()` wrapper: that
    // wrapper only exists from glibc 2.28, and the published binary (PyPI wheel, npm package) is
    // linked against glibc 2.17 (manylinux2014) to run on older distributions. `syscall()` is in
    // every glibc and the `libc` crate is already a dependency (rustix's `renameat_with` would do
    // the same but would add a direct dependency). A kernel older than 3.15 answers ENOSYS,
    // handled below like a file system without RENAME_EXCHANGE.
    // SAFETY: both are valid NUL-terminated paths; the kernel does not retain them. The
    // arguments are passed as the C types the system call takes.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD as libc::c_long,
            ca.as_ptr(),
            libc::AT_FDCWD as libc::c_long,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE as libc::c_long,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    // Some file systems do not support RENAME_EXCHANGE; fall back to two renames.
    match err.raw_os_error() {
        Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP) => two_renames(a, b),
        _ => Err(err),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    two_renames(a, b)
}

/// Swap via a third name. Not atomic: between the renames `b` is briefly absent.
fn two_renames(a: &Path, b: &Path) -> io::Result<()> {
    let tmp = a.with_extension("old");
    fs::rename(b, &tmp)?;
    if let Err(e) = fs::rename(a, b) {
        let _ = fs::rename(&tmp, b);
        return Err(e);
    }
    fs::rename(&tmp, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_relative_paths_are_rejected() {
        for bad in ["../x", "/etc/passwd", "a/../../b", "", "./a/../.."] {
            assert!(safe_relative(bad).is_err(), "{bad}");
        }
        assert!(safe_relative("metrics/counts.a/index.html").is_ok());
    }
}
