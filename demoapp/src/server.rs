//! TCP listener and per-connection HTTP/1.1 loop (one thread per connection).

use std::io::{self, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::app::{App, Request};
use crate::config::Config;
use crate::http::{Conn, HttpError, Response, Version};

/// Stack size of connection threads (handlers keep little on the stack).
const CONN_STACK: usize = 256 * 1024;

/// A bound, not yet running server.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    app: Arc<App>,
}

impl Server {
    /// Bind `config.listen` (port 0 picks a free port).
    pub fn bind(config: &Config) -> io::Result<Self> {
        let listener = TcpListener::bind(config.listen)?;
        let local = listener.local_addr()?;
        Ok(Server {
            listener,
            app: Arc::new(App::new(config, local)),
        })
    }

    /// The bound address (real port).
    pub fn local_addr(&self) -> SocketAddr {
        self.app.instance()
    }

    /// Shared state, e.g. to read counters in-process.
    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    /// `demoapp <version> <name> listening on <ip:port>`.
    pub fn start_line(&self) -> String {
        format!(
            "demoapp {} {} listening on {}",
            self.app.version(),
            self.app.name(),
            self.app.instance()
        )
    }

    /// Accept connections forever.
    pub fn run(self) -> ! {
        loop {
            match self.listener.accept() {
                Ok((stream, peer)) => {
                    let app = Arc::clone(&self.app);
                    // If a thread cannot be spawned the stream is dropped
                    // (closed) and the server keeps going.
                    let _ = thread::Builder::new()
                        .name("demoapp-conn".into())
                        .stack_size(CONN_STACK)
                        .spawn(move || serve_connection(&app, stream, peer));
                }
                // E.g. EMFILE: back off briefly instead of spinning or dying.
                Err(_) => thread::sleep(Duration::from_millis(10)),
            }
        }
    }

    /// Run the accept loop on a background thread; returns the bound address
    /// and the shared state (for in-process tests).
    pub fn spawn(self) -> io::Result<(SocketAddr, Arc<App>)> {
        let addr = self.local_addr();
        let app = Arc::clone(&self.app);
        thread::Builder::new()
            .name("demoapp-accept".into())
            .spawn(move || self.run())?;
        Ok((addr, app))
    }
}

/// Write one access-log line unless quiet; stdout errors are ignored.
fn access_log(app: &App, method: &str, target: &str, status: u16) {
    if app.quiet() {
        return;
    }
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{method} {target} {status} {}", app.name());
    let _ = out.flush();
}

/// Answer an unparsable request and close gracefully, so the client reads
/// the response instead of a reset.
fn reject(app: &App, stream: &TcpStream, err: &HttpError, server_ip: IpAddr) {
    let Some(status) = err.status() else {
        return;
    };
    let resp = app.error_response(status, &err.to_string(), server_ip);
    let _ = (&*stream).write_all(&resp.to_bytes(false, false, Version::Http11));
    access_log(app, "-", "-", status);
    linger_close(stream);
}

/// Half-close, then drain briefly what the peer still sends.
fn linger_close(stream: &TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut scratch = [0u8; 4096];
    let mut drained = 0usize;
    while drained < 1024 * 1024 {
        match (&*stream).read(&mut scratch) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

/// Serve requests on one connection until it closes or must be closed.
pub fn serve_connection(app: &App, stream: TcpStream, peer: SocketAddr) {
    let _ = stream.set_nodelay(true);
    let peer_ip = peer.ip().to_canonical();
    let server_ip = app.server_ip(stream.local_addr().ok().map(|a| a.ip()));
    let mut conn = Conn::new(&stream);
    loop {
        let head = match conn.read_head() {
            Ok(Some(head)) => head,
            Ok(None) => return,
            Err(e) => return reject(app, &stream, &e, server_ip),
        };
        let kind = match head.body_kind() {
            Ok(kind) => kind,
            Err(e) => return reject(app, &stream, &e, server_ip),
        };
        if head.expects_continue()
            && kind != crate::http::BodyKind::None
            && conn.buffered().is_empty()
            && (&stream)
                .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                .is_err()
        {
            return;
        }
        let body = match conn.read_body(kind, App::wants_body(&head)) {
            Ok(body) => body,
            Err(e) => return reject(app, &stream, &e, server_ip),
        };
        let resp: Response = app.handle(&Request {
            head: &head,
            body: &body.bytes,
            peer_ip,
            server_ip,
        });
        let keep_alive = head.keep_alive() && !resp.close;
        let bytes = resp.to_bytes(head.method == "HEAD", keep_alive, head.version);
        // Logged before the answer is sent: a client that waits for each answer sees the log in
        // the order of its requests, even when they use different connections (threads).
        access_log(app, &head.method, &head.target, resp.status);
        if (&stream).write_all(&bytes).is_err() {
            return;
        }
        if !keep_alive {
            let _ = stream.shutdown(Shutdown::Write);
            return;
        }
    }
}
