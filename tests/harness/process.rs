//! Child processes that cannot outlive the harness, and temporary directories.

use std::io;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicU32, Ordering};

/// A child process in its own process group. Dropping it kills the whole group with SIGKILL and
/// reaps it. The child also gets SIGKILL when the thread that started it dies (Linux
/// `PR_SET_PDEATHSIG`), so a test runner killed by Ctrl-C or SIGKILL leaves nothing behind:
/// keep a `Proc` on the thread that created it.
pub struct Proc {
    child: Child,
    name: String,
}

impl Proc {
    /// Spawns `cmd` in a new process group (terminal signals such as Ctrl-C go to the harness,
    /// which then cleans up; an Envoy started from a short-lived job otherwise gets SIGTERM when
    /// the job ends — envoy-configs/NOTES-spike.md).
    pub fn spawn(mut cmd: Command, name: &str) -> io::Result<Proc> {
        cmd.process_group(0);
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: between fork and exec only async-signal-safe calls (prctl, getppid, _exit).
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(io::Error::last_os_error());
                }
                // The parent died before prctl took effect: do not run orphaned.
                if libc::getppid() != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
        let child = cmd.spawn()?;
        Ok(Proc {
            child,
            name: name.to_string(),
        })
    }

    /// Takes the child's stdout and stderr pipes (when they were piped).
    pub fn take_pipes(
        &mut self,
    ) -> (
        Option<std::process::ChildStdout>,
        Option<std::process::ChildStderr>,
    ) {
        (self.child.stdout.take(), self.child.stderr.take())
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the process is still running (reaps it when it has exited).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The exit status, if it has exited.
    pub fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Kills the process group and waits for the child.
    pub fn kill(&mut self) {
        if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: plain syscall; the group id is our own child's pid (process_group(0)).
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A fresh directory under the system temp dir, removed on drop — kept (and its path printed)
/// when the thread is panicking or `MESHROUTE_KEEP_TMP` is set, so a failing test leaves its
/// logs for inspection.
pub struct TempDir {
    path: PathBuf,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TempDir {
    pub fn new(label: &str) -> io::Result<TempDir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "meshroute-{label}-{}-{}-{nanos:x}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path)?;
        Ok(TempDir { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `name` (relative) with `text`, creating parent directories; returns its path.
    pub fn write(&self, name: &str, text: &str) -> io::Result<PathBuf> {
        let p = self.path.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&p, text)?;
        Ok(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::thread::panicking() || std::env::var_os("MESHROUTE_KEEP_TMP").is_some() {
            eprintln!("(kept {} for inspection)", self.path.display());
            return;
        }
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
