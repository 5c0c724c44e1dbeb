//! The HTTP/1.1 server and the public handles: [`Emulator`] (async, on the caller's tokio
//! runtime) and [`BlockingEmulator`] (own single-threaded runtime on its own thread).

use std::io;
use std::net::SocketAddr;
use std::ops::Deref;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
#[cfg(test)]
use std::time::Duration;
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinSet;

use super::sigv4::{Auth, TemporaryCredentials};
use crate::config::{EmulatorConfig, Faults, Pacing, Rule};
use crate::counters::{CounterStore, Counters};
use crate::reply::cache::PromptCache;
use crate::state::{lock, State};

use super::tls;
use tokio_rustls::TlsAcceptor;

/// Test credentials to give the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub api_key: Option<String>,
}

/// Temporary credentials this instance issued at start (an `ASIA...` key id, its secret
/// and a session token). Requests signed with them must carry exactly this
/// `x-amz-security-token`; any other token is answered 403 UnrecognizedClientException.
pub fn issue_temporary_credentials(seed: &str) -> TemporaryCredentials {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let digest = |tag: &str| Sha256::digest(format!("{tag}:{seed}:{nanos}").as_bytes());
    let upper = |bytes: &[u8], n: usize| -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        bytes
            .iter()
            .take(n)
            .map(|b| A[(*b as usize) % A.len()] as char)
            .collect()
    };
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let token_bytes: Vec<u8> = (0..6)
        .flat_map(|i| digest(&format!("token{i}")).to_vec())
        .collect();
    TemporaryCredentials {
        access_key_id: format!("ASIA{}", upper(&digest("key"), 16)),
        secret_access_key: b64.encode(digest("secret"))[..40].to_string(),
        session_token: format!("IQoJb3JpZ2luX2VjE{}", b64.encode(token_bytes)),
    }
}

/// Cheap, cloneable control handle of a running instance.
#[derive(Clone)]
pub struct EmulatorHandle {
    url: String,
    addr: SocketAddr,
    tls: Option<(String, String)>,
    state: Arc<State>,
}

impl EmulatorHandle {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://127.0.0.1:PORT` when the TLS listener is on.
    pub fn tls_url(&self) -> Option<&str> {
        self.tls.as_ref().map(|(url, _)| url.as_str())
    }

    /// PEM of the CA that signed the TLS listener's certificate (trust it in clients).
    pub fn ca_pem(&self) -> Option<&str> {
        self.tls.as_ref().map(|(_, pem)| pem.as_str())
    }

    /// The temporary credentials (with session token) this instance accepts.
    pub fn temporary_credentials(&self) -> TemporaryCredentials {
        self.state
            .auth
            .temporary
            .clone()
            .unwrap_or_else(|| issue_temporary_credentials("unset"))
    }

    pub fn credentials(&self) -> TestCredentials {
        TestCredentials {
            access_key_id: self.state.auth.access_key_id.clone(),
            secret_access_key: self.state.auth.secret_access_key.clone(),
            api_key: self.state.auth.api_key.clone(),
        }
    }

    pub fn counters(&self) -> Counters {
        self.state.counters.snapshot()
    }

    /// Zeroes the counters and refills every `throttle_above` window.
    pub fn reset_counters(&self) {
        self.state.counters.reset();
        lock(&self.state.rate).clear();
    }

    /// Replaces the scripted-reply rules.
    pub fn set_rules(&self, rules: Vec<Rule>) {
        *lock(&self.state.rules) = rules;
    }

    /// Replaces the instance-wide faults.
    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.state.faults) = faults;
    }

    /// Replaces the instance-wide pacing.
    pub fn set_pacing(&self, pacing: Pacing) {
        *lock(&self.state.pacing) = pacing;
    }
}

/// A running emulator on the current tokio runtime. Dropping it stops the server.
pub struct Emulator {
    handle: EmulatorHandle,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Deref for Emulator {
    type Target = EmulatorHandle;
    fn deref(&self) -> &EmulatorHandle {
        &self.handle
    }
}

impl Emulator {
    /// Binds `host:port` (port 0 = any free port) and starts serving.
    pub async fn start(config: EmulatorConfig) -> io::Result<Emulator> {
        config
            .sonic
            .validate()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        crate::handlers::control_plane::validate_application_profiles(&config.application_profiles)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        // The CLI bounds it; a config file or the Rust API did not (a tick of hours made every
        // paced stream wait hours per event).
        if config.pacing_tick_ms > crate::config::MAX_PACING_TICK_MS {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "pacing_tick_ms {}: 0 to {}",
                    config.pacing_tick_ms,
                    crate::config::MAX_PACING_TICK_MS
                ),
            ));
        }
        let listener = bind(&config.host, config.port).await?;
        let addr = listener.local_addr()?;
        let tls = if config.tls {
            let material = tls::generate(&config.tls_names)?;
            let tls_listener = bind(&config.host, config.tls_port).await?;
            Some((tls_listener, material))
        } else {
            None
        };
        let state = Arc::new(State {
            sonic: config.sonic,
            auth: Auth {
                temporary: Some(issue_temporary_credentials(&config.access_key_id)),
                access_key_id: config.access_key_id,
                secret_access_key: config.secret_access_key,
                api_key: config.api_key,
            },
            verify_signatures: config.verify_signatures,
            extra_models: config.extra_models,
            guardrails: config.guardrails,
            application_profiles: config.application_profiles,
            pacing: Mutex::new(config.pacing),
            faults: Mutex::new(config.faults),
            rules: Mutex::new(config.rules),
            counters: Arc::new(CounterStore::default()),
            cache: Mutex::new(PromptCache::default()),
            rate: Mutex::new(Default::default()),
            throttle_seq: AtomicU64::new(0),
            request_seq: AtomicU64::new(0),
            ticker: (config.pacing_tick_ms > 0).then(|| {
                crate::ticker::Ticker::new(std::time::Duration::from_millis(config.pacing_tick_ms))
            }),
        });
        let host = if addr.ip().is_ipv6() {
            format!("[{}]", addr.ip())
        } else {
            addr.ip().to_string()
        };
        let url = format!("http://{host}:{}", addr.port());
        let mut tls_info = None;
        let tls = match tls {
            Some((l, material)) => {
                let port = l.local_addr()?.port();
                tls_info = Some((format!("https://{host}:{port}"), material.ca_pem.clone()));
                Some((l, material.acceptor))
            }
            None => None,
        };
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(serve(listener, tls, Arc::clone(&state), rx));
        Ok(Emulator {
            handle: EmulatorHandle {
                url,
                addr,
                tls: tls_info,
                state,
            },
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    pub fn handle(&self) -> EmulatorHandle {
        self.handle.clone()
    }

    /// Stops accepting, closes every connection (open streams included) and waits.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Pending connections the kernel queues for `accept` (capped by `net.core.somaxconn`).
/// tokio's `TcpListener::bind` asks for 128: a benchmark opening thousands of streams over
/// two seconds on a busy machine overflows that, the kernel drops the SYNs and the clients
/// retry a second later, then time out.
pub const ACCEPT_BACKLOG: i32 = 4096;

/// Binds `host:port` (the first of its addresses that binds) with [`ACCEPT_BACKLOG`].
async fn bind(host: &str, port: u16) -> io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let mut last = None;
    for addr in tokio::net::lookup_host((host, port)).await? {
        let attempt = (|| {
            let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
            // As tokio (mio) does on Unix: a restarted emulator can take its port back
            // while old connections are in TIME_WAIT.
            socket.set_reuse_address(true)?;
            socket.bind(&addr.into())?;
            socket.listen(ACCEPT_BACKLOG)?;
            socket.set_nonblocking(true)?;
            TcpListener::from_std(socket.into())
        })();
        match attempt {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to bind")))
}

async fn serve(
    listener: TcpListener,
    tls: Option<(TcpListener, TlsAcceptor)>,
    state: Arc<State>,
    mut shutdown: oneshot::Receiver<()>,
) {
    let mut conns = JoinSet::new();
    let (tls_listener, acceptor) = match tls {
        Some((l, a)) => (Some(l), Some(a)),
        None => (None, None),
    };
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let fd = stream.as_raw_fd();
                conns.spawn(serve_connection(TokioIo::new(stream), Arc::clone(&state), fd));
            }
            accepted = accept_tls(tls_listener.as_ref()) => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let fd = stream.as_raw_fd();
                let Some(acceptor) = acceptor.clone() else { continue };
                let state = Arc::clone(&state);
                conns.spawn(async move {
                    // The handshake runs in the connection's task, never in the accept loop.
                    if let Ok(tls_stream) = acceptor.accept(stream).await {
                        serve_connection(TokioIo::new(tls_stream), state, fd).await;
                    }
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    drop(tls_listener);
    conns.abort_all();
    while conns.join_next().await.is_some() {}
}

async fn accept_tls(
    listener: Option<&TcpListener>,
) -> io::Result<(tokio::net::TcpStream, SocketAddr)> {
    match listener {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

/// HTTP/1.1 or HTTP/2 (prior knowledge on plain TCP, ALPN on TLS) on one connection.
async fn serve_connection<I>(io: TokioIo<I>, state: Arc<State>, fd: RawFd)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let svc = service_fn(move |req| super::routes::handle(req, Arc::clone(&state), fd));
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // HTTP/1 writes go out flattened: a paced stream flushes one chunk per event, and
    // copying its size line, frame and CRLF into hyper's buffer for one `write` costs less
    // than queueing three pieces for a `writev` (callgrind, 100 paced streams: about 480
    // fewer instructions per delta). The bytes and the flush points are the same.
    builder.http1().writev(false);
    let _ = builder.serve_connection(io, svc).await;
}

/// An emulator running on its own thread with a small single-threaded tokio runtime, for
/// callers without a runtime (the NIF, synchronous tests). Dropping it stops the server.
pub struct BlockingEmulator {
    handle: EmulatorHandle,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Deref for BlockingEmulator {
    type Target = EmulatorHandle;
    fn deref(&self) -> &EmulatorHandle {
        &self.handle
    }
}

impl BlockingEmulator {
    /// Starts the server thread and waits until the socket is bound.
    pub fn start(config: EmulatorConfig) -> io::Result<BlockingEmulator> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("bedrock-emulator".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match Emulator::start(config).await {
                        Ok(emulator) => {
                            let _ = ready_tx.send(Ok(emulator.handle()));
                            let _ = stop_rx.await;
                            emulator.shutdown().await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
            })?;
        let handle = ready_rx
            .recv()
            .map_err(|_| io::Error::other("emulator thread exited before binding"))??;
        Ok(BlockingEmulator {
            handle,
            shutdown: Some(stop_tx),
            thread: Some(thread),
        })
    }

    pub fn handle(&self) -> EmulatorHandle {
        self.handle.clone()
    }

    /// Stops the server and joins its thread.
    pub fn shutdown(mut self) {
        self.stop(true);
    }

    fn stop(&mut self, join: bool) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if join {
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
    }
}

impl Drop for BlockingEmulator {
    fn drop(&mut self) {
        // Signal only: Drop may run on a thread that must not block.
        self.stop(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// More connections than tokio's default backlog (128) wait for `accept` without one
    /// being dropped: the kernel queues them (a full queue drops the SYN and the client's
    /// connect times out).
    #[tokio::test]
    async fn the_listener_queues_hundreds_of_pending_connections() {
        const PENDING: usize = 600;
        let somaxconn = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok());
        if somaxconn.is_none_or(|n| n < PENDING) {
            eprintln!("skipped: net.core.somaxconn {somaxconn:?} caps the backlog below {PENDING}");
            return;
        }
        let listener = bind("127.0.0.1", 0).await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Nothing accepts: every connection stays in the queue.
        let clients = tokio::task::spawn_blocking(move || {
            (0..PENDING)
                .map(|_| std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)))
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .unwrap()
        .expect("every connection is queued");
        assert_eq!(clients.len(), PENDING);
        // They are served once accepted.
        let (_, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, clients[0].local_addr().unwrap());
    }
}
