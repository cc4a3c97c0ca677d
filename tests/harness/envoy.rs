//! Stock Envoy running the meshroute filter, configured by `meshroute bootstrap`.

use super::process::{Proc, TempDir};
use super::{free_port, http, tail, Bins};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How to run Envoy. `listen` and `admin` default to free ports on 127.0.0.1.
#[derive(Debug, Clone)]
pub struct EnvoyOptions {
    /// The meshroute config file (`proxy`, `resources` / `include`, …).
    pub config: PathBuf,
    pub listen: Option<SocketAddr>,
    /// `meshroute bootstrap --bind IP`: one listener per port the gateway listens on.
    pub bind: Option<IpAddr>,
    /// The logical listener port the config is routed for (the seed's gateway: 8080), when the
    /// real `listen` port differs.
    pub listener_port: Option<u32>,
    pub admin: Option<SocketAddr>,
    pub concurrency: u32,
    pub access_log: bool,
    /// Replaces the plugin configuration in the ECDS file after `meshroute bootstrap` wrote it
    /// and before Envoy starts — how a test starts Envoy with a config the CLI would refuse.
    pub initial_plugin_config: Option<String>,
    pub ready_timeout: Duration,
    /// `--failure-policy` for `meshroute bootstrap` (default: the bootstrap's FAIL_RELOAD).
    pub failure_policy: Option<String>,
    /// `meshroute bootstrap --native`: the equivalent native Envoy configuration, no filter
    /// (no ECDS file; `reload` and `set_plugin_config` do not apply).
    pub native: bool,
}

impl EnvoyOptions {
    pub fn new(config: impl AsRef<Path>) -> EnvoyOptions {
        EnvoyOptions {
            config: config.as_ref().to_path_buf(),
            listen: None,
            bind: None,
            listener_port: None,
            admin: None,
            concurrency: 2,
            access_log: true,
            initial_plugin_config: None,
            ready_timeout: Duration::from_secs(30),
            failure_policy: None,
            native: false,
        }
    }
    pub fn native(mut self, on: bool) -> Self {
        self.native = on;
        self
    }
    pub fn failure_policy(mut self, p: &str) -> Self {
        self.failure_policy = Some(p.to_string());
        self
    }
    /// One listener per port on `ip` (`--bind`); [`Envoy::addr`] is then `ip:8080`.
    pub fn bind(mut self, ip: IpAddr) -> Self {
        self.bind = Some(ip);
        self
    }
    pub fn listen(mut self, a: SocketAddr) -> Self {
        self.listen = Some(a);
        self
    }
    pub fn listener_port(mut self, p: u32) -> Self {
        self.listener_port = Some(p);
        self
    }
    pub fn admin(mut self, a: SocketAddr) -> Self {
        self.admin = Some(a);
        self
    }
    pub fn concurrency(mut self, n: u32) -> Self {
        self.concurrency = n;
        self
    }
    pub fn access_log(mut self, on: bool) -> Self {
        self.access_log = on;
        self
    }
    pub fn initial_plugin_config(mut self, text: &str) -> Self {
        self.initial_plugin_config = Some(text.to_string());
        self
    }
}

/// A running Envoy. Dropping it kills it and removes its directory (bootstrap, ECDS file,
/// logs), which is kept when the test panics.
pub struct Envoy {
    proc: Option<Proc>,
    bins: Bins,
    opts: EnvoyOptions,
    listen: SocketAddr,
    admin: SocketAddr,
    dir: TempDir,
    /// The first `meshroute bootstrap` command line, for re-running it.
    first_args: Vec<String>,
}

/// What Envoy did with a new ECDS file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reload {
    /// `update_success` went up: the new config serves.
    Applied,
    /// `update_rejected` went up: the filter refused it (`on_configure` returned false); the
    /// old config keeps serving.
    Rejected,
    /// `update_failure` went up: the file did not parse.
    Failed,
}

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn run_bootstrap(bins: &Bins, args: &[String]) -> Result<String, String> {
    let out = Command::new(&bins.meshroute)
        .arg("bootstrap")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bins.meshroute.display()))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!(
            "meshroute bootstrap {} failed ({}):\n{text}",
            args.join(" "),
            out.status
        ))
    }
}

/// Replaces the plugin configuration (the meshroute config text) inside an ECDS file and bumps
/// its `version_info`.
pub fn ecds_with_plugin_config(ecds: &str, plugin_config: &str) -> Result<String, String> {
    let mut v: serde_json::Value =
        serde_json::from_str(ecds).map_err(|e| format!("ECDS file is not JSON: {e}"))?;
    let version = v
        .get("version_info")
        .and_then(serde_json::Value::as_str)
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(1);
    v["version_info"] = serde_json::Value::String((version + 1).to_string());
    let slot = v
        .pointer_mut("/resources/0/typed_config/config/configuration/value")
        .ok_or("ECDS file has no configuration value")?;
    *slot = serde_json::Value::String(plugin_config.to_string());
    serde_json::to_string_pretty(&v).map_err(|e| e.to_string())
}

impl Envoy {
    /// Runs `meshroute bootstrap` into a temp dir, starts `envoy -c … --concurrency N
    /// --file-flush-interval-msec 100` in its own process group and waits for `/ready` = LIVE.
    /// Ports picked here are retried once when another process took them meanwhile.
    pub fn start(bins: &Bins, opts: EnvoyOptions) -> Result<Envoy, String> {
        let mut last_err = String::new();
        for _attempt in 0..3 {
            match Envoy::start_once(bins, &opts) {
                Ok(e) => return Ok(e),
                Err((e, port_clash)) => {
                    last_err = e;
                    if !port_clash || (opts.listen.is_some() && opts.admin.is_some()) {
                        break;
                    }
                }
            }
        }
        Err(last_err)
    }

    fn start_once(bins: &Bins, opts: &EnvoyOptions) -> Result<Envoy, (String, bool)> {
        let plain = |e: String| (e, false);
        let pick = |a: Option<SocketAddr>| -> Result<SocketAddr, (String, bool)> {
            match a {
                Some(a) => Ok(a),
                None => free_port(LOCALHOST)
                    .map(|p| SocketAddr::new(LOCALHOST, p))
                    .map_err(|e| plain(format!("no free port: {e}"))),
            }
        };
        let listen = match opts.bind {
            Some(ip) => SocketAddr::new(ip, 8080),
            None => pick(opts.listen)?,
        };
        let admin = pick(opts.admin)?;
        let dir = TempDir::new("envoy").map_err(|e| plain(format!("temp dir: {e}")))?;
        let mut envoy = Envoy {
            proc: None,
            bins: bins.clone(),
            opts: opts.clone(),
            listen,
            admin,
            dir,
            first_args: Vec::new(),
        };
        let mut args = envoy.bootstrap_args();
        match opts.bind {
            Some(ip) => args.extend(["--bind".into(), ip.to_string()]),
            None => args.extend(["--listen".into(), listen.to_string()]),
        }
        args.extend(["--admin".into(), admin.to_string()]);
        if opts.access_log {
            args.extend([
                "--access-log".into(),
                envoy.access_log_path().display().to_string(),
            ]);
        }
        run_bootstrap(bins, &args).map_err(plain)?;
        envoy.first_args = args;
        if let Some(text) = &opts.initial_plugin_config {
            let ecds = std::fs::read_to_string(envoy.ecds_path())
                .map_err(|e| plain(format!("cannot read the ECDS file: {e}")))?;
            let new = ecds_with_plugin_config(&ecds, text).map_err(plain)?;
            std::fs::write(envoy.ecds_path(), new)
                .map_err(|e| plain(format!("cannot write the ECDS file: {e}")))?;
        }
        let log = std::fs::File::create(envoy.log_path())
            .map_err(|e| plain(format!("cannot create the Envoy log: {e}")))?;
        let mut cmd = Command::new(&bins.envoy);
        cmd.arg("-c")
            .arg(envoy.dir.path().join("bootstrap/envoy.yaml"))
            .args(["--concurrency", &opts.concurrency.to_string()])
            .args(["--file-flush-interval-msec", "100"])
            // Several Envoys run side by side: no shared-memory hot-restart region.
            .arg("--disable-hot-restart")
            .args(["--log-level", "info"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        envoy.proc = Some(
            Proc::spawn(cmd, "envoy")
                .map_err(|e| plain(format!("cannot start {}: {e}", bins.envoy.display())))?,
        );
        let end = Instant::now() + opts.ready_timeout;
        loop {
            if !envoy.is_running() {
                let log = envoy.log();
                let clash = log.contains("ddress already in use");
                return Err((
                    format!(
                        "envoy exited during startup ({:?}); log tail:\n{}",
                        envoy.proc.as_mut().and_then(Proc::exit_status),
                        tail(&log, 25)
                    ),
                    clash,
                ));
            }
            if envoy.ready().as_deref() == Ok("LIVE") {
                return Ok(envoy);
            }
            if Instant::now() >= end {
                return Err(plain(format!(
                    "envoy not LIVE after {:?}; log tail:\n{}",
                    opts.ready_timeout,
                    tail(&envoy.log(), 25)
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The bootstrap arguments shared by the first run and `--ecds-only` reloads.
    fn bootstrap_args(&self) -> Vec<String> {
        let mut args = vec![
            "-c".to_string(),
            self.opts.config.display().to_string(),
            "-o".into(),
            self.dir.path().join("bootstrap").display().to_string(),
        ];
        if self.opts.native {
            args.push("--native".into());
        } else {
            args.extend(["--wasm".into(), self.bins.wasm.display().to_string()]);
        }
        if let Some(p) = self.opts.listener_port {
            args.extend(["--listener-port".into(), p.to_string()]);
        }
        if let Some(p) = &self.opts.failure_policy {
            args.extend(["--failure-policy".into(), p.clone()]);
        }
        args
    }

    /// The listener address (where clients connect).
    pub fn addr(&self) -> SocketAddr {
        self.listen
    }

    pub fn admin_addr(&self) -> SocketAddr {
        self.admin
    }

    /// The directory holding `bootstrap/envoy.yaml`, `bootstrap/ecds/meshroute.yaml` and logs.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn ecds_path(&self) -> PathBuf {
        self.dir.path().join("bootstrap/ecds/meshroute.yaml")
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("envoy.log")
    }

    pub fn access_log_path(&self) -> PathBuf {
        self.dir.path().join("access.log")
    }

    /// Envoy's log so far (flushed every 100 ms).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// The access log so far.
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.access_log_path()).unwrap_or_default()
    }

    /// Waits until the log contains `needle`.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> bool {
        super::eventually(timeout, || self.log().contains(needle).then_some(())).is_some()
    }

    /// The process id of what the harness started (its process group leader).
    pub fn pid(&self) -> Option<u32> {
        self.proc.as_ref().map(Proc::pid)
    }

    /// Resident memory (KiB) of Envoy's whole process group (the `envoy` launcher may be a
    /// wrapper that runs the real binary as a child), from `/proc/*/stat` and `/proc/*/status`.
    pub fn rss_kib(&self) -> Option<u64> {
        let pgid = self.pid()?;
        let mut total = 0;
        for e in std::fs::read_dir("/proc").ok()?.flatten() {
            let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
                continue;
            };
            // pid (comm) state ppid pgrp …; comm may contain spaces, so split after ')'.
            let Some((_, rest)) = stat.rsplit_once(')') else {
                continue;
            };
            let pgrp = rest
                .split_whitespace()
                .nth(2)
                .and_then(|x| x.parse::<u32>().ok());
            if pgrp != Some(pgid) {
                continue;
            }
            let status = std::fs::read_to_string(e.path().join("status")).unwrap_or_default();
            total += status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .unwrap_or(0);
        }
        Some(total)
    }

    pub fn is_running(&mut self) -> bool {
        self.proc.as_mut().is_some_and(Proc::is_running)
    }

    /// `GET /ready` on the admin port: `LIVE`, `PRE_INITIALIZING`, …
    pub fn ready(&self) -> Result<String, String> {
        let r = http::get(self.admin, "localhost", "/ready", &[]).map_err(|e| e.to_string())?;
        Ok(r.text().trim().to_string())
    }

    /// Counter or gauge `name` from the admin `/stats`.
    pub fn stat(&self, name: &str) -> Option<u64> {
        let path = format!("/stats?filter=^{}$", name.replace('.', "\\."));
        let r = http::get(self.admin, "localhost", &path, &[]).ok()?;
        r.text().lines().find_map(|l| {
            let (k, v) = l.split_once(": ")?;
            (k == name).then(|| v.trim().parse().ok()).flatten()
        })
    }

    fn ecds_counters(&self) -> [u64; 3] {
        ["update_success", "update_rejected", "update_failure"].map(|s| {
            self.stat(&format!(
                "extension_config_discovery.http_filter.meshroute.{s}"
            ))
            .unwrap_or(0)
        })
    }

    fn wait_ecds(&self, before: [u64; 3]) -> Result<Reload, String> {
        let outcome = super::eventually(Duration::from_secs(20), || {
            let now = self.ecds_counters();
            if now[0] > before[0] {
                Some(Reload::Applied)
            } else if now[1] > before[1] {
                Some(Reload::Rejected)
            } else if now[2] > before[2] {
                Some(Reload::Failed)
            } else {
                None
            }
        })
        .ok_or_else(|| {
            format!(
                "Envoy did not pick up the new ECDS file within 20 s; log tail:\n{}",
                tail(&self.log(), 20)
            )
        })?;
        // The main thread counted the update; give the workers a moment to swap it in.
        std::thread::sleep(Duration::from_millis(150));
        Ok(outcome)
    }

    /// Replaces the ECDS file with `text` atomically (write + rename in the watched directory)
    /// and waits for Envoy's verdict.
    pub fn write_ecds(&self, text: &str) -> Result<Reload, String> {
        let before = self.ecds_counters();
        let tmp = self.ecds_path().with_file_name(".meshroute.yaml.tmp");
        std::fs::write(&tmp, text).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, self.ecds_path()).map_err(|e| format!("cannot rename: {e}"))?;
        self.wait_ecds(before)
    }

    /// Serves the meshroute config text `plugin_config` (unchecked: the filter decides).
    pub fn set_plugin_config(&self, plugin_config: &str) -> Result<Reload, String> {
        let ecds = std::fs::read_to_string(self.ecds_path())
            .map_err(|e| format!("cannot read the ECDS file: {e}"))?;
        self.write_ecds(&ecds_with_plugin_config(&ecds, plugin_config)?)
    }

    /// Re-runs the first `meshroute bootstrap` command with another config (`-c`), as a user
    /// updating a running Envoy does: every file, listeners and certificates included.
    pub fn rerun_bootstrap(&mut self, config: &Path) -> Result<String, String> {
        self.opts.config = config.to_path_buf();
        let mut args = self.first_args.clone();
        if let Some(i) = args.iter().position(|a| a == "-c") {
            args[i + 1] = config.display().to_string();
        }
        run_bootstrap(&self.bins, &args)
    }

    /// `meshroute bootstrap --ecds-only -c config` into this Envoy's ECDS file (the CLI checks
    /// the config first) and waits for Envoy's verdict.
    pub fn reload(&mut self, config: &Path) -> Result<Reload, String> {
        let before = self.ecds_counters();
        self.opts.config = config.to_path_buf();
        let mut args = self.bootstrap_args();
        args.push("--ecds-only".into());
        run_bootstrap(&self.bins, &args)?;
        self.wait_ecds(before)
    }
}

impl Drop for Envoy {
    fn drop(&mut self) {
        if let Some(p) = &mut self.proc {
            p.kill();
        }
        if std::thread::panicking() {
            eprintln!(
                "--- envoy log tail ({}):\n{}",
                self.log_path().display(),
                tail(&self.log(), 30)
            );
        }
    }
}
