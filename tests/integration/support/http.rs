//! A tiny HTTP/1.1 server on 127.0.0.1 for download tests: one thread, one request per
//! connection, replies chosen by a closure so each test can misbehave its own way.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

pub enum Reply {
    /// 200 with these bytes.
    Body(Vec<u8>),
    /// Any status without a body.
    Status(u16),
    /// 200 announcing the full length, then only the first half and a closed socket.
    Cut(Vec<u8>),
}

pub struct Server {
    pub addr: SocketAddr,
    /// Request paths in the order they arrived.
    pub hits: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub fn url(&self, prefix: &str) -> String {
        format!("http://{}/{prefix}", self.addr)
    }

    pub fn hits(&self) -> Vec<String> {
        self.hits.lock().unwrap().clone()
    }

    pub fn hits_under(&self, prefix: &str) -> usize {
        self.hits()
            .iter()
            .filter(|p| p.starts_with(&format!("/{prefix}")))
            .count()
    }
}

/// Starts the server; `reply(path, nth_hit_of_that_path)` decides each answer.
/// The thread lives until the test process ends.
pub fn serve<F>(reply: F) -> Server
where
    F: Fn(&str, usize) -> Reply + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(Mutex::new(Vec::new()));
    let h = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = handle(stream, &h, &reply);
        }
    });
    Server { addr, hits }
}

fn handle<F>(stream: TcpStream, hits: &Mutex<Vec<String>>, reply: &F) -> std::io::Result<()>
where
    F: Fn(&str, usize) -> Reply,
{
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
    }
    let nth = {
        let mut v = hits.lock().unwrap();
        v.push(path.clone());
        v.iter().filter(|p| **p == path).count() - 1
    };
    let mut out = stream;
    match reply(&path, nth) {
        Reply::Body(b) => {
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                b.len()
            )?;
            out.write_all(&b)?;
        }
        Reply::Status(code) => {
            write!(
                out,
                "HTTP/1.1 {code} Whatever\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )?;
        }
        Reply::Cut(b) => {
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                b.len()
            )?;
            out.write_all(&b[..b.len() / 2])?;
        }
    }
    out.flush()?;
    out.shutdown(std::net::Shutdown::Both)
}

/// Serves the files of `dir` under every prefix (the last path segment names the file).
pub fn file_reply(dir: &std::path::Path, path: &str) -> Reply {
    let name = path.rsplit('/').next().unwrap_or("");
    match std::fs::read(dir.join(name)) {
        Ok(b) if !name.is_empty() => Reply::Body(b),
        _ => Reply::Status(404),
    }
}
