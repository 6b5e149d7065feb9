//! A small HTTP/1.1 receiver on 127.0.0.1 standing in for a robot platform or an SMS
//! gateway: it reads each request over TCP, keeps it, and answers as told per path —
//! including DingTalk's own check of a signed request (timestamp within an hour, HMAC-SHA256
//! of "timestamp\nsecret"), so a wrongly signed message is refused as DingTalk refuses it.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use base64::Engine;
use hmac::{Hmac, Mac};

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Hit {
    pub method: String,
    pub path: String,
    pub query: HashMap<String, String>,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Hit {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

#[derive(Clone)]
enum Answer {
    Fixed(u16, String),
    /// Checks DingTalk's signature with this secret.
    DingTalk(String),
    /// Answers after this long.
    Slow(std::time::Duration),
}

#[derive(Default)]
struct Shared {
    hits: Mutex<Vec<Hit>>,
    answers: Mutex<HashMap<String, Answer>>,
}

pub struct HttpReceiver {
    pub port: u16,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl HttpReceiver {
    pub fn start() -> HttpReceiver {
        Self::start_on(0).expect("bind an HTTP port")
    }

    /// On a given port (to bring a receiver "back" where it was).
    pub fn start_on(port: u16) -> std::io::Result<HttpReceiver> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (sh, s) = (shared.clone(), stop.clone());
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let sh = sh.clone();
                    std::thread::spawn(move || {
                        let _ = serve(stream, &sh);
                    });
                }
            }
        });
        Ok(HttpReceiver {
            port,
            shared,
            stop,
            accept: Some(accept),
        })
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://127.0.0.1:{}{path_and_query}", self.port)
    }

    /// Requests to `path` get `status` and `body`.
    pub fn answer(&self, path: &str, status: u16, body: &str) {
        self.set(path, Answer::Fixed(status, body.to_string()));
    }

    /// Requests to `path` are checked as DingTalk checks them, with `secret`.
    pub fn dingtalk(&self, path: &str, secret: &str) {
        self.set(path, Answer::DingTalk(secret.to_string()));
    }

    /// Requests to `path` are answered only after `delay`.
    pub fn slow(&self, path: &str, delay: std::time::Duration) {
        self.set(path, Answer::Slow(delay));
    }

    fn set(&self, path: &str, answer: Answer) {
        self.shared
            .answers
            .lock()
            .unwrap()
            .insert(path.to_string(), answer);
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.shared.hits.lock().unwrap().clone()
    }

    pub fn hits_to(&self, path: &str) -> Vec<Hit> {
        self.hits().into_iter().filter(|h| h.path == path).collect()
    }
}

impl Drop for HttpReceiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// DingTalk's check: a timestamp within an hour of now, and the signature it implies.
fn dingtalk_check(hit: &Hit, secret: &str) -> (u16, String) {
    let refuse = |code: u32, msg: &str| {
        (
            200,
            serde_json::json!({"errcode": code, "errmsg": msg}).to_string(),
        )
    };
    let (Some(ts), Some(sign)) = (hit.query.get("timestamp"), hit.query.get("sign")) else {
        return refuse(310000, "sign not match, missing timestamp or sign");
    };
    let Ok(ms) = ts.parse::<i64>() else {
        return refuse(310000, "invalid timestamp");
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    if (now - ms).abs() > 3_600_000 {
        return refuse(310000, "invalid timestamp");
    }
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{ts}\n{secret}").as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    if *sign != expected {
        return refuse(310000, "sign not match");
    }
    (200, r#"{"errcode":0,"errmsg":"ok"}"#.to_string())
}

fn serve(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    if method.is_empty() {
        return Ok(());
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect();
    let hit = Hit {
        method,
        path: path.to_string(),
        query,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let answer = shared.answers.lock().unwrap().get(&hit.path).cloned();
    let (status, reply) = match answer {
        Some(Answer::Fixed(status, body)) => (status, body),
        Some(Answer::DingTalk(secret)) => dingtalk_check(&hit, &secret),
        Some(Answer::Slow(delay)) => {
            std::thread::sleep(delay);
            (200, r#"{"errcode":0}"#.to_string())
        }
        None => (200, r#"{"errcode":0,"errmsg":"ok"}"#.to_string()),
    };
    shared.hits.lock().unwrap().push(hit);
    let mut out = stream;
    write!(
        out,
        "HTTP/1.1 {status} Answer\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
        reply.len()
    )?;
    out.flush()
}
