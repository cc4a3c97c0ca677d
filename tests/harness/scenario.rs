//! One test's world: its loopback range, the seed's five pods, a config and an Envoy.

use super::http::{self, Response};
use super::seed::Seed;
use super::{e2e_bins, Bins, Demoapp, Envoy, EnvoyOptions, Net, TempDir};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Everything one end-to-end test runs. Fields drop in order: Envoy first, then the pods.
pub struct Scenario {
    pub envoy: Envoy,
    pub pods: Vec<Demoapp>,
    pub dir: TempDir,
    pub net: Net,
    pub bins: Bins,
}

/// Which proxy Envoy plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The seed's ingress gateway (logical listener 8080).
    Gateway,
    /// A client pod's sidecar in `default` (service port from the authority).
    Sidecar,
}

impl Scenario {
    /// Claims a range, starts the seed pods (`--quiet`), writes the config `seed(&net)` builds
    /// for `role` and starts Envoy on it. `None` (after one SKIP line) when Envoy is not
    /// installed; panics on any other problem.
    pub fn start(test: &str, role: Role, seed: impl FnOnce(&Net) -> Seed) -> Option<Scenario> {
        Scenario::start_with(test, role, &[], seed, |o| o)
    }

    /// Like [`Scenario::start`], with extra args for every pod and a hook on the Envoy options.
    pub fn start_with(
        test: &str,
        role: Role,
        pod_args: &[&str],
        seed: impl FnOnce(&Net) -> Seed,
        opts: impl FnOnce(EnvoyOptions) -> EnvoyOptions,
    ) -> Option<Scenario> {
        Scenario::start_config(
            test,
            pod_args,
            |net, dir| {
                let s = seed(net);
                match role {
                    Role::Gateway => s.write_gateway_config(dir),
                    Role::Sidecar => s.write_sidecar_config(dir),
                }
            },
            opts,
        )
    }

    /// The general form: `config(&net, dir)` writes the meshroute config and returns its path.
    pub fn start_config(
        test: &str,
        pod_args: &[&str],
        config: impl FnOnce(&Net, &Path) -> std::io::Result<PathBuf>,
        opts: impl FnOnce(EnvoyOptions) -> EnvoyOptions,
    ) -> Option<Scenario> {
        let bins = e2e_bins(test)?;
        let net = Net::claim().unwrap_or_else(|e| panic!("{test}: {e}"));
        let mut args = vec!["--quiet"];
        args.extend_from_slice(pod_args);
        let pods = Demoapp::seed_pods(&bins, &net, &args).unwrap_or_else(|e| panic!("{test}: {e}"));
        let dir = TempDir::new(test).unwrap_or_else(|e| panic!("{test}: temp dir: {e}"));
        let config = config(&net, dir.path())
            .unwrap_or_else(|e| panic!("{test}: cannot write the config: {e}"));
        let envoy = Envoy::start(&bins, opts(EnvoyOptions::new(&config)))
            .unwrap_or_else(|e| panic!("{test}: {e}"));
        Some(Scenario {
            envoy,
            pods,
            dir,
            net,
            bins,
        })
    }

    /// A gateway Envoy bound (`meshroute bootstrap --bind`) to the seed gateway pod's address
    /// in this test's range (`.2`): one listener per port its servers use (80 → 8080,
    /// 443 → 8443, others as they are). `config(&net, dir)` writes the meshroute config.
    pub fn start_bound(
        test: &str,
        config: impl FnOnce(&Net, &Path) -> std::io::Result<PathBuf>,
        opts: impl FnOnce(EnvoyOptions) -> EnvoyOptions,
    ) -> Option<Scenario> {
        let ip = std::cell::Cell::new(None);
        Scenario::start_config(
            test,
            &[],
            |net, dir| {
                ip.set(Some(net.ip(2)));
                config(net, dir)
            },
            |o| {
                let o = opts(o);
                match ip.get() {
                    Some(ip) => o.bind(ip),
                    None => o,
                }
            },
        )
    }

    /// Envoy's listener.
    pub fn addr(&self) -> SocketAddr {
        self.envoy.addr()
    }

    /// `GET path` with `Host: host` through Envoy; panics (with the Envoy log tail) on I/O errors.
    pub fn get(&self, host: &str, path: &str) -> Response {
        self.get_with(host, path, &[])
    }

    pub fn get_with(&self, host: &str, path: &str, headers: &[(&str, &str)]) -> Response {
        http::get(self.addr(), host, path, headers)
            .unwrap_or_else(|e| panic!("GET {path} (Host: {host}) through Envoy: {e}"))
    }

    /// The pod named `name`.
    pub fn pod(&self, name: &str) -> &Demoapp {
        self.pods
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no pod {name}"))
    }

    /// Asserts Envoy is alive and `/ready` says LIVE.
    pub fn assert_live(&mut self) {
        assert!(self.envoy.is_running(), "envoy exited");
        assert_eq!(self.envoy.ready().as_deref(), Ok("LIVE"), "/ready");
    }
}
