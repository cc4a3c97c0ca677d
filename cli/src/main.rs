//! `meshroute`: check, simulate, proxy-config and bootstrap Istio traffic configuration.
mod bootstrap;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        Some("bootstrap") => bootstrap::run(&args[1..]),
        _ => {
            eprintln!("usage: meshroute <check|simulate|proxy-config|bootstrap> ...");
            2
        }
    };
    std::process::exit(code);
}
