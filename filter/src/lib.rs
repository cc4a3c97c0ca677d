//! # meshroute-filter
//!
//! A proxy-wasm HTTP filter that makes stock Envoy route by Istio's rules. The plugin
//! configuration is a meshroute config file (`proxy` + `resources`); `on_configure` loads,
//! validates and compiles it with `meshroute-core` (refusing it, with every diagnostic logged,
//! when the Kubernetes API server would refuse it), and each request is routed and its endpoint
//! chosen by core. The filter then either answers locally (404/503/redirect/direct
//! response/CORS preflight) or steers Envoy: it always overwrites the `ORIGINAL_DST` steering
//! header, so no client can choose its own upstream, and sets the router's `x-envoy-*` headers
//! for timeouts, retries and faults.
//!
//! The per-request logic lives in [`plan`] (pure, natively tested); this file is the glue.
#![forbid(unsafe_code)]

pub mod plan;

#[cfg(target_arch = "wasm32")]
mod wasm {
    use crate::plan::{self, Edit, Incoming, Plan};
    use meshroute_core::check::{prepare, rejects};
    use meshroute_core::diag::Severity;
    use meshroute_core::lb::SplitMix64;
    use meshroute_core::resources::LoadOptions;
    use meshroute_core::route::LbState;
    use meshroute_core::table::RouteTable;
    use proxy_wasm::hostcalls;
    use proxy_wasm::traits::{Context, HttpContext, RootContext};
    use proxy_wasm::types::{Action, ContextType, LogLevel, MapType};
    use std::cell::RefCell;
    use std::rc::Rc;

    proxy_wasm::main! {{
        proxy_wasm::set_log_level(LogLevel::Info);
        proxy_wasm::set_root_context(|id| -> Box<dyn RootContext> { Box::new(Root::new(id)) });
    }}

    /// Envoy counters (`/stats`: `wasmcustom.meshroute.*`), defined on first use per worker.
    /// Increments are counted here and handed to Envoy on the worker's tick
    /// ([`FLUSH_PERIOD`]), not one host call each per request; names are formatted into one
    /// reused buffer, so a known counter costs a hash lookup and no allocation.
    #[derive(Default)]
    struct Metrics {
        /// name → index into `counters`.
        index: std::collections::HashMap<String, usize>,
        /// (Envoy metric id, increments not yet handed to Envoy).
        counters: Vec<(u32, u64)>,
        name: String,
    }

    /// How often each worker hands its counted increments to Envoy: `/stats` lags by at most
    /// this much.
    pub const FLUSH_PERIOD: std::time::Duration = std::time::Duration::from_millis(250);

    impl Metrics {
        fn inc(&mut self, name: &str) {
            self.name.clear();
            self.name.push_str(name);
            self.inc_name();
        }

        fn inc_fmt(&mut self, args: std::fmt::Arguments) {
            use std::fmt::Write;
            self.name.clear();
            let _ = self.name.write_fmt(args);
            self.inc_name();
        }

        fn inc_name(&mut self) {
            let slot = match self.index.get(self.name.as_str()) {
                Some(&slot) => slot,
                None => {
                    let Ok(id) = hostcalls::define_metric(
                        proxy_wasm::types::MetricType::Counter,
                        &self.name,
                    ) else {
                        return;
                    };
                    self.counters.push((id, 0));
                    self.index
                        .insert(self.name.clone(), self.counters.len() - 1);
                    self.counters.len() - 1
                }
            };
            self.counters[slot].1 += 1;
        }

        fn flush(&mut self) {
            for (id, pending) in &mut self.counters {
                if *pending > 0 {
                    let _ = hostcalls::increment_metric(*id, *pending as i64);
                    *pending = 0;
                }
            }
        }
    }

    impl Drop for Metrics {
        /// A replaced configuration's last increments still reach Envoy.
        fn drop(&mut self) {
            self.flush();
        }
    }

    /// Per worker and per configuration: the compiled table and the LB state.
    struct Shared {
        metrics: RefCell<Metrics>,
        table: RouteTable,
        debug: bool,
        listener_port: Option<u32>,
        access_log_state: bool,
        /// Ask Envoy for `source.address` / the time only when a decision can use them.
        needs_source: bool,
        needs_clock: bool,
        lb: RefCell<LbState>,
        rng: RefCell<SplitMix64>,
    }

    struct Root {
        id: u32,
        shared: Option<Rc<Shared>>,
    }

    impl Root {
        fn new(id: u32) -> Root {
            Root { id, shared: None }
        }
    }

    fn now_ms() -> u64 {
        hostcalls::get_current_time()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_millis() as u64)
    }

    /// A seed of its own for each worker's random draws. Every worker VM sees the same clock
    /// and the same root context id, so those alone gave all workers one random sequence
    /// (correlated weight, fault and mirror draws across workers). std's `RandomState` keys
    /// come from WASI `random_get`, which Envoy serves from BoringSSL.
    fn worker_seed(id: u32) -> u64 {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(now_ms());
        h.write_u32(id);
        h.finish()
    }

    impl Context for Root {}

    impl RootContext for Root {
        fn on_tick(&mut self) {
            if let Some(shared) = &self.shared {
                if let Ok(mut m) = shared.metrics.try_borrow_mut() {
                    m.flush();
                }
            }
        }

        fn on_configure(&mut self, _size: usize) -> bool {
            let bytes = hostcalls::get_buffer(
                proxy_wasm::types::BufferType::PluginConfiguration,
                0,
                usize::MAX,
            )
            .ok()
            .flatten()
            .unwrap_or_default();
            let name = "plugin-configuration";
            match prepare(name, &bytes, &LoadOptions::default()) {
                Err(diags) => {
                    let n = diags.iter().filter(|d| rejects(d)).count();
                    for d in diags.iter().filter(|d| d.severity == Severity::Error) {
                        log::error!("{d}");
                    }
                    log::error!(
                        "meshroute: configuration refused ({} error(s) the API server would reject); the previous configuration, if any, keeps serving",
                        n.max(1)
                    );
                    false
                }
                Ok(p) => {
                    for d in &p.diagnostics {
                        match d.severity {
                            Severity::Error | Severity::Warning => log::warn!("{d}"),
                            Severity::Info => {}
                        }
                    }
                    let lb = LbState::for_table(&p.table);
                    log::info!(
                        "meshroute: configured {} ({} listeners, {} clusters)",
                        p.config.proxy.describe(),
                        p.table.listeners.len(),
                        p.table.clusters.len()
                    );
                    let _ = hostcalls::set_tick_period(FLUSH_PERIOD);
                    self.shared = Some(Rc::new(Shared {
                        metrics: RefCell::new(Metrics::default()),
                        needs_source: p.table.uses_source_ip(),
                        needs_clock: p.table.uses_clock(),
                        table: p.table,
                        debug: p.config.debug,
                        listener_port: p.config.listener_port,
                        access_log_state: p.config.access_log_state,
                        lb: RefCell::new(lb),
                        rng: RefCell::new(SplitMix64(worker_seed(self.id))),
                    }));
                    true
                }
            }
        }

        fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
            Some(Box::new(Stream {
                shared: self.shared.clone(),
                plan: None,
                replied: false,
            }))
        }

        fn get_type(&self) -> Option<ContextType> {
            Some(ContextType::HttpContext)
        }
    }

    struct Stream {
        shared: Option<Rc<Shared>>,
        plan: Option<Plan>,
        replied: bool,
    }

    impl Context for Stream {}

    /// Applies header edits, in order, to the request or response header map.
    fn apply(map: MapType, edits: &[Edit]) {
        for e in edits {
            let _ = match e {
                Edit::Set(k, v) => hostcalls::set_map_value(map, k, v.as_deref()),
                Edit::Add(k, v) => hostcalls::add_map_value(map, k, v),
            };
        }
    }

    /// Counters per outcome, VirtualService route and cluster, and the access-log filter state
    /// (`%FILTER_STATE(wasm.meshroute:PLAIN)%`).
    fn record(shared: &Shared, p: &Plan) {
        if let Ok(mut m) = shared.metrics.try_borrow_mut() {
            m.inc_fmt(format_args!("meshroute.requests.{}", p.outcome));
            if p.delayed {
                m.inc("meshroute.requests.delay");
            }
            if let (Some(vs), Some(route)) = (&p.virtual_service, &p.route) {
                m.inc_fmt(format_args!("meshroute.route.{vs}.{route}.{}", p.outcome));
            } else if let Some(vs) = &p.virtual_service {
                m.inc_fmt(format_args!("meshroute.route.{vs}.{}", p.outcome));
            }
            if let Some(c) = &p.cluster {
                m.inc_fmt(format_args!("meshroute.cluster.{c}.requests"));
            }
        }
        if !shared.access_log_state {
            return;
        }
        let log = format!(
            "vs={} route={} cluster={} outcome={}",
            p.virtual_service.as_deref().unwrap_or("-"),
            p.route.as_deref().unwrap_or("-"),
            p.cluster.as_deref().unwrap_or("-"),
            p.outcome
        );
        let _ = hostcalls::set_property(vec!["meshroute"], Some(log.as_bytes()));
    }

    impl HttpContext for Stream {
        fn on_http_request_headers(&mut self, _n: usize, _eos: bool) -> Action {
            let Some(shared) = self.shared.clone() else {
                // No configuration: never forward with client-chosen steering.
                let _ = hostcalls::send_http_response(
                    503,
                    vec![],
                    Some(b"meshroute: not configured\n"),
                );
                self.replied = true;
                return Action::Pause;
            };
            let headers = hostcalls::get_map_bytes(MapType::HttpRequestHeaders).unwrap_or_default();
            #[cfg(feature = "test-trap")]
            if headers.iter().any(|(k, _)| k == "x-meshroute-test-trap") {
                panic!("deliberate trap (built with the test-trap feature)");
            }
            let source = if shared.needs_source {
                hostcalls::get_property(vec!["source", "address"])
                    .ok()
                    .flatten()
                    .and_then(|b| plan::parse_source(&b))
            } else {
                None
            };
            let now = if shared.needs_clock { now_ms() } else { 0 };
            let listener_port = shared.listener_port.unwrap_or_else(|| {
                hostcalls::get_property(vec!["destination", "port"])
                    .ok()
                    .flatten()
                    .and_then(|b| plan::parse_port(&b))
                    .unwrap_or(0)
            });
            // On a listener with HTTPS servers the route configuration is the TLS filter chain's
            // Envoy chose by SNI: its name, one host call on such listeners only.
            let chain = if shared
                .table
                .listener(listener_port)
                .is_some_and(|l| !l.filter_chains.is_empty())
            {
                hostcalls::get_property(vec!["xds", "filter_chain_name"])
                    .ok()
                    .flatten()
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            let inc = Incoming {
                headers: &headers,
                source,
                listener_port,
                filter_chain: &chain,
            };
            let p = {
                let (Ok(mut lb), Ok(mut rng)) =
                    (shared.lb.try_borrow_mut(), shared.rng.try_borrow_mut())
                else {
                    let _ = hostcalls::send_http_response(503, vec![], Some(b"meshroute: busy\n"));
                    self.replied = true;
                    return Action::Pause;
                };
                plan::plan(&shared.table, shared.debug, &inc, &mut lb, now, &mut *rng)
            };
            apply(MapType::HttpRequestHeaders, &p.request);
            record(&shared, &p);
            let action = if let Some(r) = &p.reply {
                if let Some(reason) = &p.reason {
                    log::debug!("local reply {reason}");
                }
                let mut hs: Vec<(&str, &str)> = r
                    .headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let dbg: Vec<(String, String)> = p
                    .response
                    .edits
                    .iter()
                    .filter_map(|e| match e {
                        Edit::Set(k, Some(v)) => Some((k.clone(), v.clone())),
                        _ => None,
                    })
                    .collect();
                hs.extend(dbg.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                let body = if r.body.is_empty() {
                    None
                } else {
                    Some(r.body.as_bytes())
                };
                let _ = hostcalls::send_http_response(u32::from(r.status), hs, body);
                self.replied = true;
                Action::Pause
            } else {
                Action::Continue
            };
            self.plan = Some(p);
            action
        }

        fn on_http_response_headers(&mut self, _n: usize, _eos: bool) -> Action {
            if self.replied {
                return Action::Continue;
            }
            let (Some(p), Some(shared)) = (&self.plan, &self.shared) else {
                return Action::Continue;
            };
            apply(MapType::HttpResponseHeaders, &p.response.edits);
            let Some((c, i)) = p.in_flight else {
                return Action::Continue;
            };
            let Some(cluster) = shared.table.clusters.get(c as usize) else {
                return Action::Continue;
            };
            // Only clusters with connection-pool limits have circuit breakers that can overflow.
            if cluster.needs_own_envoy_cluster() {
                let overloaded = hostcalls::get_map_value_bytes(
                    MapType::HttpResponseHeaders,
                    "x-envoy-overloaded",
                )
                .ok()
                .flatten()
                .is_some();
                if overloaded {
                    if let Ok(mut m) = shared.metrics.try_borrow_mut() {
                        m.inc("meshroute.requests.overflow");
                    }
                }
            }
            // Passive outlier detection sees the final response of the stream (upstream
            // answers and Envoy's own 503/504 for connect failures and timeouts); clusters
            // without it need neither the status nor the time.
            if cluster.outlier.is_some() {
                let status =
                    hostcalls::get_map_value_bytes(MapType::HttpResponseHeaders, ":status")
                        .ok()
                        .flatten()
                        .and_then(|b| {
                            std::str::from_utf8(&b)
                                .ok()
                                .and_then(|s| s.parse::<u16>().ok())
                        })
                        .unwrap_or(0);
                // With retries the attempts went down the listed endpoints in order: the one
                // that answered is the upstream address, every one before it failed (Envoy
                // retried it), and outlier detection counts each attempt as Envoy's does.
                let answered = if p.attempts.len() > 1 {
                    hostcalls::get_property(vec!["upstream", "address"])
                        .ok()
                        .flatten()
                        .and_then(|a| {
                            p.attempts.iter().position(|&e| {
                                cluster
                                    .endpoints
                                    .get(e)
                                    .is_some_and(|ep| ep.address.as_bytes() == a.as_slice())
                            })
                        })
                } else {
                    None
                };
                let (failed, last) = match answered {
                    Some(j) => (&p.attempts[..j], p.attempts[j]),
                    None => (&[][..], i),
                };
                let ejections = |lb: &LbState| -> u64 {
                    lb.clusters.get(c as usize).map_or(0, |st| {
                        failed
                            .iter()
                            .chain(std::iter::once(&last))
                            .filter_map(|&e| st.outlier.get(e))
                            .map(|h| u64::from(h.times_ejected))
                            .sum()
                    })
                };
                let mut ejected = false;
                if let Ok(mut lb) = shared.lb.try_borrow_mut() {
                    let before = ejections(&lb);
                    let now = now_ms();
                    for &e in failed {
                        // Envoy retried it: a 5xx or a connect failure, counted as a 503.
                        meshroute_core::route::record_response(
                            &shared.table,
                            &mut lb,
                            c,
                            e,
                            503,
                            now,
                        );
                    }
                    meshroute_core::route::record_response(
                        &shared.table,
                        &mut lb,
                        c,
                        last,
                        status,
                        now,
                    );
                    ejected = ejections(&lb) > before;
                }
                // This response got an endpoint ejected (on this worker).
                if ejected {
                    if let Ok(mut m) = shared.metrics.try_borrow_mut() {
                        m.inc("meshroute.outlier.ejections");
                        m.inc_fmt(format_args!("meshroute.cluster.{}.ejections", cluster.name));
                    }
                }
            }
            Action::Continue
        }

        fn on_log(&mut self) {
            if let (Some(shared), Some(p)) = (&self.shared, self.plan.take()) {
                if let Ok(mut lb) = shared.lb.try_borrow_mut() {
                    plan::release(&mut lb, p.in_flight);
                }
            }
        }
    }
}
