//! For `bench/attribution.py`: a proxy-wasm HTTP filter that makes the same host calls as the
//! meshroute filter on the seed as the benchmark runs it (no access log, so no filter state) —
//! read the request header map, write `x-meshroute-endpoint` — but decides nothing: the
//! endpoints (plugin configuration, comma-separated `ip:port`) are taken in turn. Set against the real filter in the same
//! bootstrap, it separates the routing work done in wasm from the host calls and from the
//! bootstrap's own filters and routes.
//! Built with `cargo build -p meshroute-bench-stub --target wasm32-wasip1 --profile wasm-release`.
#![forbid(unsafe_code)]

#[cfg(target_arch = "wasm32")]
mod wasm {
    use proxy_wasm::hostcalls;
    use proxy_wasm::traits::{Context, HttpContext, RootContext};
    use proxy_wasm::types::{Action, BufferType, ContextType, MapType};
    use std::cell::Cell;
    use std::rc::Rc;

    proxy_wasm::main! {{
        proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> {
            Box::new(Root { endpoints: Rc::new(Vec::new()), next: Rc::new(Cell::new(0)) })
        });
    }}

    struct Root {
        endpoints: Rc<Vec<String>>,
        next: Rc<Cell<usize>>,
    }
    impl Context for Root {}
    impl RootContext for Root {
        fn on_configure(&mut self, _: usize) -> bool {
            let cfg = hostcalls::get_buffer(BufferType::PluginConfiguration, 0, usize::MAX)
                .ok()
                .flatten()
                .unwrap_or_default();
            let list: Vec<String> = String::from_utf8_lossy(&cfg)
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            self.endpoints = Rc::new(list);
            !self.endpoints.is_empty()
        }
        fn create_http_context(&self, _: u32) -> Option<Box<dyn HttpContext>> {
            Some(Box::new(Stub {
                endpoints: Rc::clone(&self.endpoints),
                next: Rc::clone(&self.next),
            }))
        }
        fn get_type(&self) -> Option<ContextType> {
            Some(ContextType::HttpContext)
        }
    }

    struct Stub {
        endpoints: Rc<Vec<String>>,
        next: Rc<Cell<usize>>,
    }
    impl Context for Stub {}
    impl HttpContext for Stub {
        fn on_http_request_headers(&mut self, _: usize, _: bool) -> Action {
            let headers = hostcalls::get_map_bytes(MapType::HttpRequestHeaders).unwrap_or_default();
            let i = self.next.get();
            self.next.set(i.wrapping_add(1));
            let ep = &self.endpoints[i % self.endpoints.len()];
            let _ = hostcalls::set_map_value(
                MapType::HttpRequestHeaders,
                "x-meshroute-endpoint",
                Some(ep),
            );
            std::hint::black_box(headers);
            Action::Continue
        }
    }
}
