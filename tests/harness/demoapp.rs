//! `demoapp` pods.

use super::process::Proc;
use super::{http, Bins, Net};
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running demoapp process.
pub struct Demoapp {
    proc: Proc,
    pub addr: SocketAddr,
    pub name: String,
    pub version: String,
    output: Arc<Mutex<Vec<String>>>,
}

/// Lines of output kept per pod (the access log can be long).
const KEEP_LINES: usize = 2000;

impl Demoapp {
    /// Starts `demoapp --listen addr --version version --name name [extra…]` and waits (up to
    /// 10 s) for its start line `demoapp v1.0 NAME listening on ADDR`.
    pub fn start(
        bins: &Bins,
        addr: SocketAddr,
        version: &str,
        name: &str,
        extra: &[&str],
    ) -> Result<Demoapp, String> {
        let mut cmd = Command::new(&bins.demoapp);
        cmd.arg("--listen")
            .arg(addr.to_string())
            .args(["--version", version, "--name", name])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut proc = Proc::spawn(cmd, name)
            .map_err(|e| format!("cannot start {}: {e}", bins.demoapp.display()))?;
        let output = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel::<String>();
        let (stdout, stderr) = proc.take_pipes();
        if let Some(out) = stdout {
            let output = Arc::clone(&output);
            std::thread::spawn(move || {
                let mut first = Some(tx);
                for line in BufReader::new(out).lines() {
                    let Ok(line) = line else { break };
                    if let Some(tx) = first.take() {
                        let _ = tx.send(line.clone());
                    }
                    if let Ok(mut o) = output.lock() {
                        if o.len() >= KEEP_LINES {
                            o.remove(0);
                        }
                        o.push(line);
                    }
                }
            });
        }
        let err_text = Arc::new(Mutex::new(String::new()));
        if let Some(mut err) = stderr {
            let err_text = Arc::clone(&err_text);
            std::thread::spawn(move || {
                let mut s = String::new();
                let _ = err.read_to_string(&mut s);
                if let Ok(mut e) = err_text.lock() {
                    e.push_str(&s);
                }
            });
        }
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(line) if line.starts_with("demoapp ") && line.contains(" listening on ") => {}
            Ok(line) => return Err(format!("{name}: unexpected start line {line:?}")),
            Err(_) => {
                proc.kill();
                std::thread::sleep(Duration::from_millis(50));
                let e = err_text.lock().map(|e| e.clone()).unwrap_or_default();
                return Err(format!(
                    "{name}: demoapp did not start on {addr}: {}",
                    e.trim()
                ));
            }
        }
        Ok(Demoapp {
            proc,
            addr,
            name: name.to_string(),
            version: version.to_string(),
            output,
        })
    }

    /// The seed's five pods in `net`: `demoappv10-1..3` (v1.0) on `.31`–`.33` and
    /// `demoappv11-1..2` (v1.1) on `.41`–`.42`, all on port 8080, with `extra` args (e.g.
    /// `--quiet`).
    pub fn seed_pods(bins: &Bins, net: &Net, extra: &[&str]) -> Result<Vec<Demoapp>, String> {
        let mut pods = Vec::new();
        for (i, host) in [31u8, 32, 33].into_iter().enumerate() {
            pods.push(Demoapp::start(
                bins,
                net.addr(host, 8080),
                "v1.0",
                &format!("demoappv10-{}", i + 1),
                extra,
            )?);
        }
        for (i, host) in [41u8, 42].into_iter().enumerate() {
            pods.push(Demoapp::start(
                bins,
                net.addr(host, 8080),
                "v1.1",
                &format!("demoappv11-{}", i + 1),
                extra,
            )?);
        }
        Ok(pods)
    }

    /// `GET /admin/stats` as JSON.
    pub fn stats(&self) -> Result<serde_json::Value, String> {
        let r = http::get(self.addr, &self.addr.to_string(), "/admin/stats", &[])
            .map_err(|e| format!("{}: /admin/stats: {e}", self.name))?;
        serde_json::from_slice(&r.body).map_err(|e| format!("{}: /admin/stats: {e}", self.name))
    }

    /// Requests this pod has served (its `/admin/stats` `requests`).
    pub fn requests(&self) -> u64 {
        self.stats()
            .ok()
            .and_then(|v| v.get("requests").and_then(serde_json::Value::as_u64))
            .unwrap_or(0)
    }

    /// What it printed (start line and access log).
    pub fn output(&self) -> Vec<String> {
        self.output.lock().map(|o| o.clone()).unwrap_or_default()
    }

    pub fn is_running(&mut self) -> bool {
        self.proc.is_running()
    }
}
