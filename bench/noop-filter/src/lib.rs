//! The benchmark's floor: a proxy-wasm HTTP filter that does nothing. Envoy still creates a
//! wasm context per stream and calls `on_http_request_headers` (and the other stream
//! callbacks), so this measures the unavoidable cost of any wasm filter on the V8 runtime.
//! Built with `cargo build -p meshroute-bench-noop --target wasm32-wasip1 --profile wasm-release`.
#![forbid(unsafe_code)]

#[cfg(target_arch = "wasm32")]
mod wasm {
    use proxy_wasm::traits::{Context, HttpContext, RootContext};
    use proxy_wasm::types::{Action, ContextType};

    proxy_wasm::main! {{
        proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Root) });
    }}

    struct Root;
    impl Context for Root {}
    impl RootContext for Root {
        fn create_http_context(&self, _: u32) -> Option<Box<dyn HttpContext>> {
            Some(Box::new(Noop))
        }
        fn get_type(&self) -> Option<ContextType> {
            Some(ContextType::HttpContext)
        }
    }

    struct Noop;
    impl Context for Noop {}
    impl HttpContext for Noop {
        fn on_http_request_headers(&mut self, _: usize, _: bool) -> Action {
            Action::Continue
        }
    }
}
