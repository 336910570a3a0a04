//! The one way metricdict asks git: the commit a site was built from, and the definitions as
//! they were at a revision (for `--baseline-ref`). Arguments are passed as separate words,
//! never through a shell, and revisions are checked to be revisions (`--verify`), so a
//! revision cannot be read as an option.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Why git could not answer.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot run git: {0}")]
    Spawn(std::io::Error),
    #[error("git {args}: {stderr}")]
    Failed { args: String, stderr: String },
}

/// Run git in `dir` with `args`; its standard output.
pub fn run(dir: &Path, args: &[&str]) -> Result<Vec<u8>, GitError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(GitError::Spawn)?;
    if !out.status.success() {
        return Err(GitError::Failed {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(out.stdout)
}

fn line(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    Ok(String::from_utf8_lossy(&run(dir, args)?).trim().to_string())
}

/// The commit checked out in the repository holding `dir`, if it is in one. When git is not
/// installed (a slim CI image) or `dir` is not a checkout, the commit CI says it is building:
/// `CI_COMMIT_SHA` (GitLab), then `GITHUB_SHA` (GitHub Actions).
pub fn head_commit(dir: &Path) -> Option<String> {
    let from_git = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "HEAD"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok());
    let from_ci = ["CI_COMMIT_SHA", "GITHUB_SHA"]
        .into_iter()
        .filter_map(|name| std::env::var(name).ok());
    from_git
        .into_iter()
        .chain(from_ci)
        .map(|s| s.trim().to_string())
        .find(|s| s.len() >= 7 && s.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The top folder of the repository holding `dir`.
pub fn toplevel(dir: &Path) -> Result<PathBuf, GitError> {
    line(dir, &["rev-parse", "--show-toplevel"]).map(PathBuf::from)
}

/// The commit `rev` names (a tag, branch or commit).
pub fn resolve_commit(repo: &Path, rev: &str) -> Result<String, GitError> {
    line(
        repo,
        &["rev-parse", "--verify", &format!("{rev}^{{commit}}")],
    )
}

/// A tar archive of `spec` (`<commit>` or `<commit>:<folder>`).
pub fn archive(repo: &Path, spec: &str) -> Result<Vec<u8>, GitError> {
    run(repo, &["archive", "--format=tar", spec])
}
