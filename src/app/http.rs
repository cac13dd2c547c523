//! Serving HTTP connections: one thread per core, each running a single-threaded runtime that
//! serves to the end every connection handed to it. The connections are accepted on the
//! caller's runtime and handed to the threads in turn.
//!
//! Why not the main (work-stealing) runtime: a badge is fetched on every page view of every
//! badged site, and under load the profile of a request was topped by the kernel waking the
//! other worker thread and switching to it (BENCHMARKS.md §1). Here a connection's requests are
//! read, answered and written on one thread, as nginx's workers do, with no wake-up of another
//! thread per request. Each thread has a router and state of its own over the shared context
//! (`AppState::for_another_thread`). Work that outlives a request (a whole-site self-check)
//! goes to the main runtime through `Context::background`.
//!
//! Each connection is HTTP/1.1 (keep-alive, no upgrades), with Nagle's delay off, a limit on
//! the time a client may take to send a request's headers (a slow client cannot hold a
//! connection open by dripping them), and a lingering close (`Lingering`).

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::response::Response;
use axum::Router;
use futures_util::future::Either;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tower_service::Service;

/// How long a client may take to send a request's headers before its connection is closed.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long open connections get to finish the request they are on once the server stops.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// How long to wait before accepting again after an error that is not one connection's (out of
/// file descriptors): accepting at once would spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// What a thread serves: its router, and what answers some requests before the router.
#[derive(Clone)]
pub struct ThreadApp {
    /// Every route.
    pub router: Router,
    /// Answers the requests it knows without the router; `None` from it hands a request on.
    pub shortcut: Option<Shortcut>,
}

/// Answers a request without the router, or gives `None` to hand it on (`web::shortcut`).
pub type Shortcut = Arc<dyn Fn(&hyper::Request<Incoming>) -> Option<Response> + Send + Sync>;

impl From<Router> for ThreadApp {
    fn from(router: Router) -> Self {
        Self { router, shortcut: None }
    }
}

/// Serves on `listener` with one thread per core, each with an app of its own made by
/// `app_for_a_thread`, until `shutdown` completes; then lets the open connections finish
/// their requests. Dropping the returned future stops the threads the same way, without
/// waiting for them.
///
/// The connections are accepted here, on the caller's runtime, and handed to the threads in
/// turn. Threads accepting for themselves from the one socket do not share the work: the first
/// to wake takes every connection waiting, and a load of a few long-lived connections then
/// runs on one core.
pub async fn serve(
    listener: TcpListener,
    app_for_a_thread: impl Fn() -> ThreadApp,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    serve_with(listener, app_for_a_thread, shutdown, HEADER_READ_TIMEOUT).await
}

/// [`serve`], with the time a client is given to send a request's headers.
async fn serve_with(
    listener: TcpListener,
    app_for_a_thread: impl Fn() -> ThreadApp,
    shutdown: impl Future<Output = ()>,
    header_read_timeout: Duration,
) -> anyhow::Result<()> {
    let threads = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let (done, mut finished) = mpsc::unbounded_channel();
    let mut threads_in_turn = Vec::with_capacity(threads);
    for index in 0..threads {
        let (hand_over, handed) = mpsc::unbounded_channel();
        threads_in_turn.push(hand_over);
        let ThreadApp { router, shortcut } = app_for_a_thread();
        // Every route turned into its service once, not at each request.
        let app = ThreadApp { router: router.with_state(()), shortcut };
        let done = done.clone();
        std::thread::Builder::new().name(format!("http-{index}")).spawn(move || {
            let result = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(anyhow::Error::from)
                .and_then(|runtime| runtime.block_on(serve_handed(handed, app, header_read_timeout)));
            let _ = done.send(result);
        })?;
    }
    drop(done);
    // A thread ends before the server stops only when it failed.
    let result = tokio::select! {
        () = shutdown => Ok(()),
        failed = finished.recv() => failed.unwrap_or_else(|| Err(anyhow::anyhow!("the HTTP threads stopped"))),
        never = accept(&listener, &threads_in_turn) => match never {},
    };
    // Closing the threads' channels tells them to stop.
    drop((listener, threads_in_turn));
    while finished.recv().await.is_some() {}
    result
}

/// A connection accepted, on its way to the thread that serves it.
type Accepted = (std::net::TcpStream, SocketAddr);

/// Accepts connections and hands each to the next thread.
async fn accept(listener: &TcpListener, threads_in_turn: &[mpsc::UnboundedSender<Accepted>]) -> Infallible {
    for thread in threads_in_turn.iter().cycle() {
        let (stream, remote) = loop {
            match listener.accept().await {
                Ok(accepted) => break accepted,
                Err(error) if is_connection_error(&error) => {}
                Err(error) => {
                    tracing::error!(%error, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            }
        };
        let _ = stream.set_nodelay(true);
        // Taken off this runtime to be registered with the thread's.
        match stream.into_std() {
            Ok(stream) => {
                let _ = thread.send((stream, remote));
            }
            Err(error) => tracing::warn!(%error, "an accepted connection could not be handed over"),
        }
    }
    unreachable!("cycling over a non-empty list of threads never ends")
}

/// Errors that concern only the connection being accepted (the client gave up first).
fn is_connection_error(error: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(error.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset)
}

/// One thread's work: serves the connections handed to it until its channel closes, then
/// gives the open ones [`DRAIN_TIMEOUT`] to finish.
async fn serve_handed(
    mut handed: mpsc::UnboundedReceiver<Accepted>,
    app: ThreadApp,
    header_read_timeout: Duration,
) -> anyhow::Result<()> {
    let mut connections = JoinSet::new();
    // The connections wait on this thread's own signal: polling one shared by every thread
    // would take a lock other threads take, at each request.
    let (stop_connections, told_to_stop) = watch::channel(false);
    loop {
        tokio::select! {
            biased;
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            handed_over = handed.recv() => match handed_over {
                Some((stream, remote)) => match tokio::net::TcpStream::from_std(stream) {
                    Ok(stream) => {
                        let stop = told_to_stop.clone();
                        let service = Connection { app: app.clone(), remote: ConnectInfo(remote) };
                        connections.spawn(serve_connection(stream, service, header_read_timeout, stop));
                    }
                    Err(error) => tracing::warn!(%error, "a connection handed over could not be registered"),
                },
                None => break,
            },
        }
    }
    stop_connections.send_replace(true);
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(DRAIN_TIMEOUT, drained).await.is_err() {
        tracing::warn!(open = connections.len(), "connections still open at shutdown were closed");
    }
    Ok(())
}

/// Serves one connection's requests until the client closes it, it breaks, or the server
/// stops (then the request under way is finished first).
async fn serve_connection(
    stream: tokio::net::TcpStream,
    service: Connection,
    header_read_timeout: Duration,
    mut stopped: watch::Receiver<bool>,
) {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
    let stream = Lingering { stream, draining: None };
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        biased;
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
            return;
        }
        _ = stopped.wait_for(|stop| *stop) => connection.as_mut().graceful_shutdown(),
    }
    let _ = connection.await;
}

/// A connection that, when closed after an answer, first reads and throws away what the client
/// is still sending (for at most [`LINGER`]), as nginx's lingering close does.
///
/// An answer given before the request's body was read (413 to a body over the limit) ends the
/// connection with the body still arriving. Closed at once, the socket would answer that data
/// with a reset, and a client still writing its body would see the reset before it reads the
/// answer.
struct Lingering {
    stream: tokio::net::TcpStream,
    /// Set once the write side is shut: when to stop reading.
    draining: Option<Pin<Box<tokio::time::Sleep>>>,
}

/// How long a closing connection reads what the client still sends.
const LINGER: Duration = Duration::from_secs(5);

/// Reads per poll while lingering, so a client that keeps sending cannot hold the thread.
const LINGER_READS_PER_POLL: usize = 16;

impl AsyncRead for Lingering {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Lingering {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    /// Shuts the write side (the client reads the end of the answer), then reads until the
    /// client closes its side, a read fails, or [`LINGER`] has passed.
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.draining.is_none() {
            ready!(Pin::new(&mut this.stream).poll_shutdown(cx))?;
            this.draining = Some(Box::pin(tokio::time::sleep(LINGER)));
        }
        let mut scratch = [0u8; 4096];
        for _ in 0..LINGER_READS_PER_POLL {
            if this.draining.as_mut().is_some_and(|limit| limit.as_mut().poll(cx).is_ready()) {
                return Poll::Ready(Ok(()));
            }
            let mut thrown_away = ReadBuf::new(&mut scratch);
            match Pin::new(&mut this.stream).poll_read(cx, &mut thrown_away) {
                Poll::Ready(Ok(())) if thrown_away.filled().is_empty() => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(_)) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// A thread's app as one connection's service: the shortcut's answer, or the router's with
/// the client's address on the request.
struct Connection {
    app: ThreadApp,
    remote: ConnectInfo<SocketAddr>,
}

impl hyper::service::Service<hyper::Request<Incoming>> for Connection {
    type Response = Response;
    type Error = Infallible;
    type Future =
        Either<std::future::Ready<Result<Response, Infallible>>, axum::routing::future::RouteFuture<Infallible>>;

    fn call(&self, mut request: hyper::Request<Incoming>) -> Self::Future {
        if let Some(response) = self.app.shortcut.as_ref().and_then(|answer| answer(&request)) {
            return Either::Left(std::future::ready(Ok(response)));
        }
        request.extensions_mut().insert(self.remote);
        Either::Right(self.app.router.clone().call(request))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;

    /// A router answering with the name of the thread that served the request, and a shortcut
    /// answering `/thread?shortcut` the same way before it.
    fn thread_names() -> ThreadApp {
        let name = || std::thread::current().name().unwrap_or_default().to_owned();
        let router = Router::new()
            .route("/thread", get(move || async move { format!("{} router", name()) }))
            .route("/early", axum::routing::post(|| async { (axum::http::StatusCode::PAYLOAD_TOO_LARGE, "early") }));
        let shortcut: Shortcut = Arc::new(move |request| {
            (request.uri().query() == Some("shortcut")).then(|| Response::new(format!("{} shortcut", name()).into()))
        });
        ThreadApp { router, shortcut: Some(shortcut) }
    }

    /// Starts a server; dropping the sender stops it.
    async fn start(
        header_read_timeout: Duration,
    ) -> (SocketAddr, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<anyhow::Result<()>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shutdown = async {
            let _ = stopped.await;
        };
        let server = tokio::spawn(serve_with(listener, thread_names, shutdown, header_read_timeout));
        (addr, stop, server)
    }

    /// One GET over an open connection; the body of the answer.
    async fn ask(stream: &mut TcpStream, path: &str) -> String {
        stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").as_bytes()).await.unwrap();
        let mut read = Vec::new();
        let mut buffer = [0u8; 1024];
        loop {
            let n = stream.read(&mut buffer).await.unwrap();
            assert!(n > 0, "the connection closed mid-answer: {}", String::from_utf8_lossy(&read));
            read.extend_from_slice(&buffer[..n]);
            let text = String::from_utf8_lossy(&read).into_owned();
            let Some((head, body)) = text.split_once("\r\n\r\n") else { continue };
            let length: usize = head
                .lines()
                .find_map(|line| line.to_ascii_lowercase().strip_prefix("content-length: ").map(str::to_owned))
                .expect("a content length")
                .parse()
                .unwrap();
            if body.len() >= length {
                assert!(head.starts_with("HTTP/1.1 200"), "{head}");
                return body.to_owned();
            }
        }
    }

    #[tokio::test]
    async fn connections_are_dealt_to_the_threads_in_turn_and_stay_on_theirs() {
        let threads = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let (addr, stop, server) = start(HEADER_READ_TIMEOUT).await;
        let mut connections = Vec::new();
        for _ in 0..4 {
            connections.push(TcpStream::connect(addr).await.unwrap());
            let thread = ask(connections.last_mut().unwrap(), "/thread").await;
            assert!(thread.starts_with("http-") && thread.ends_with(" router"), "{thread}");
        }
        let mut served_by = Vec::new();
        for connection in &mut connections {
            let first = ask(connection, "/thread").await;
            assert_eq!(ask(connection, "/thread").await, first, "a connection's requests stay on its thread");
            let shortcut = ask(connection, "/thread?shortcut").await;
            assert_eq!(shortcut.replace(" shortcut", " router"), first, "the shortcut answers on the same thread");
            served_by.push(first);
        }
        for (k, thread) in served_by.iter().enumerate() {
            assert_eq!(thread, &format!("http-{} router", k % threads), "{served_by:?}");
        }
        drop(connections);
        drop(stop);
        server.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn a_client_dripping_its_headers_is_cut_off_and_others_are_served() {
        let (addr, stop, server) = start(Duration::from_millis(300)).await;
        let mut slow = TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET /thread HTTP/1.1\r\nHost: te").await.unwrap();
        let mut prompt = TcpStream::connect(addr).await.unwrap();
        assert!(ask(&mut prompt, "/thread").await.starts_with("http-"));
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut rest)).await;
        assert!(closed.is_ok(), "the slow connection is still open after 10 s");
        let rest = String::from_utf8_lossy(&rest);
        assert!(rest.is_empty() || rest.starts_with("HTTP/1.1 408"), "{rest}");
        drop(stop);
        server.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn an_answer_given_before_the_body_reaches_a_client_still_sending_it() {
        let (addr, stop, server) = start(HEADER_READ_TIMEOUT).await;
        let mut client = TcpStream::connect(addr).await.unwrap();
        let body = vec![b'x'; 8 * 1024 * 1024];
        let head = format!("POST /early HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n\r\n", body.len());
        client.write_all(head.as_bytes()).await.unwrap();
        // The server answers after the head and reads the body only to throw it away.
        client.write_all(&body).await.expect("the whole body is taken, not refused with a reset");
        client.shutdown().await.unwrap();
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), client.read_to_end(&mut answer))
            .await
            .expect("closed within 5 s")
            .expect("no reset");
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 413") && answer.ends_with("early"), "{answer}");
        drop(stop);
        server.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn stopping_closes_idle_connections_and_the_socket() {
        let (addr, stop, server) = start(HEADER_READ_TIMEOUT).await;
        let mut idle = TcpStream::connect(addr).await.unwrap();
        assert!(ask(&mut idle, "/thread").await.starts_with("http-"));
        drop(stop);
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(Duration::from_secs(5), idle.read_to_end(&mut rest)).await;
        assert_eq!(closed.expect("closed within 5 s").unwrap(), 0, "the idle connection was closed");
        drop(idle);
        tokio::time::timeout(Duration::from_secs(5), server).await.expect("stopped within 5 s").unwrap().unwrap();
        assert!(TcpStream::connect(addr).await.is_err(), "nothing listens any more");
    }
}
