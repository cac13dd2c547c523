//! A minimal client of the Chrome `DevTools` Protocol over one WebSocket: commands with ids and
//! their answers, and events routed to the session (tab) they belong to. Flat sessions
//! (`Target.attachToTarget` with `flatten`) carry every tab over the browser's one connection.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

/// What went wrong talking to the browser.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CdpError {
    /// The connection to the browser is gone (it exited or crashed).
    #[error("the browser's DevTools connection is closed")]
    Closed,
    /// The browser answered a command with an error.
    #[error("{method}: {message}")]
    Command {
        /// The command.
        method: String,
        /// The browser's message.
        message: String,
    },
    /// The WebSocket could not be opened.
    #[error("connecting to the browser: {0}")]
    Connect(String),
}

/// An event of one session.
#[derive(Debug, Clone)]
pub struct Event {
    /// The event's name, e.g. `Fetch.requestPaused`.
    pub method: String,
    /// Its parameters.
    pub params: Value,
}

type Pending = Arc<Mutex<HashMap<u64, (String, oneshot::Sender<Result<Value, CdpError>>)>>>;
type Subscribers = Arc<Mutex<HashMap<String, mpsc::UnboundedSender<Event>>>>;

/// One `DevTools` connection, shared by the tabs of a browser.
pub struct Connection {
    outgoing: mpsc::UnboundedSender<Message>,
    pending: Pending,
    subscribers: Subscribers,
    next_id: AtomicU64,
}

impl Connection {
    /// Opens the browser's WebSocket (`ws://127.0.0.1:…/devtools/browser/…`) and starts the
    /// tasks that write commands and read answers and events.
    pub async fn connect(ws_url: &str) -> Result<Arc<Self>, CdpError> {
        let (socket, _) =
            tokio_tungstenite::connect_async(ws_url).await.map_err(|e| CdpError::Connect(e.to_string()))?;
        let (mut sink, mut stream) = socket.split();
        let (outgoing, mut queue) = mpsc::unbounded_channel::<Message>();
        let pending: Pending = Arc::default();
        let subscribers: Subscribers = Arc::default();
        tokio::spawn(async move {
            while let Some(message) = queue.recv().await {
                if sink.send(message).await.is_err() {
                    break;
                }
            }
        });
        let (answers, events) = (pending.clone(), subscribers.clone());
        tokio::spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                if let Message::Text(text) = message {
                    dispatch(text.as_str(), &answers, &events);
                }
            }
            // The browser is gone: every command still waiting fails, every tab hears it.
            for (_, (_, waiter)) in answers.lock().expect("not poisoned").drain() {
                let _ = waiter.send(Err(CdpError::Closed));
            }
            events.lock().expect("not poisoned").clear();
        });
        Ok(Arc::new(Self { outgoing, pending, subscribers, next_id: AtomicU64::new(1) }))
    }

    /// Sends `method` (to the tab of `session`, or to the browser) and waits for its answer.
    pub async fn call(&self, session: Option<&str>, method: &str, params: Value) -> Result<Value, CdpError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = Value::from(session);
        }
        let (tx, rx) = oneshot::channel();
        self.pending.lock().expect("not poisoned").insert(id, (method.to_owned(), tx));
        if self.outgoing.send(Message::text(message.to_string())).is_err() {
            self.pending.lock().expect("not poisoned").remove(&id);
            return Err(CdpError::Closed);
        }
        rx.await.unwrap_or(Err(CdpError::Closed))
    }

    /// Sends `method` without waiting for its answer (answers to requests the tab paused).
    pub fn send(&self, session: &str, method: &str, params: Value) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let message = json!({ "id": id, "method": method, "params": params, "sessionId": session });
        let _ = self.outgoing.send(Message::text(message.to_string()));
    }

    /// The events of `session` from now on, until [`Connection::unsubscribe`] or the browser
    /// goes away (the receiver then ends).
    pub fn subscribe(&self, session: &str) -> mpsc::UnboundedReceiver<Event> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.subscribers.lock().expect("not poisoned").insert(session.to_owned(), tx);
        rx
    }

    /// Stops routing the events of `session`.
    pub fn unsubscribe(&self, session: &str) {
        self.subscribers.lock().expect("not poisoned").remove(session);
    }

    /// Whether the browser's connection is still open.
    pub fn is_open(&self) -> bool {
        !self.outgoing.is_closed()
    }
}

fn dispatch(text: &str, answers: &Pending, events: &Subscribers) {
    let Ok(mut message) = serde_json::from_str::<Value>(text) else { return };
    if let Some(id) = message.get("id").and_then(Value::as_u64) {
        let Some((method, waiter)) = answers.lock().expect("not poisoned").remove(&id) else { return };
        let answer = match message.get_mut("error") {
            Some(error) => Err(CdpError::Command {
                method,
                message: error.get("message").and_then(Value::as_str).unwrap_or("error").to_owned(),
            }),
            None => Ok(message.get_mut("result").map_or(Value::Null, Value::take)),
        };
        let _ = waiter.send(answer);
        return;
    }
    let (Some(session), Some(method)) = (
        message.get("sessionId").and_then(Value::as_str).map(str::to_owned),
        message.get("method").and_then(Value::as_str).map(str::to_owned),
    ) else {
        return;
    };
    let params = message.get_mut("params").map_or(Value::Null, Value::take);
    if let Some(subscriber) = events.lock().expect("not poisoned").get(&session) {
        let _ = subscriber.send(Event { method, params });
    }
}
