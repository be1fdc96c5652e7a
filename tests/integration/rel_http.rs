//! A loopback HTTP server that misbehaves on the wire: lies about lengths, never ends, or
//! trickles. Each connection is handled on its own thread by a closure given the socket.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

pub struct Raw {
    pub addr: SocketAddr,
}

impl Raw {
    pub fn url(&self, prefix: &str) -> String {
        format!("http://{}/{prefix}", self.addr)
    }
}

/// Serves every request with `answer(path, socket)`; the socket is closed when it returns.
pub fn serve_raw<F>(answer: F) -> Raw
where
    F: Fn(&str, &mut TcpStream) + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let answer = std::sync::Arc::new(answer);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let answer = answer.clone();
            std::thread::spawn(move || {
                let mut s = stream;
                if let Some(path) = request_path(&s) {
                    answer(&path, &mut s);
                }
                let _ = s.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    Raw { addr }
}

fn request_path(s: &TcpStream) -> Option<String> {
    let mut r = BufReader::new(s.try_clone().ok()?);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).ok()? == 0 || h == "\r\n" {
            break;
        }
    }
    line.split_whitespace().nth(1).map(str::to_string)
}

/// Zeros, forever (until the client hangs up), after `header`.
pub fn endless(s: &mut TcpStream, header: &str) {
    if s.write_all(header.as_bytes()).is_err() {
        return;
    }
    let zeros = vec![0u8; 64 * 1024];
    while s.write_all(&zeros).is_ok() {}
}

/// One byte every `every`, forever, after a 200 header without a length.
pub fn trickle(s: &mut TcpStream, every: Duration) {
    if s.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return;
    }
    loop {
        std::thread::sleep(every);
        if s.write_all(&[0x1f]).and_then(|()| s.flush()).is_err() {
            return;
        }
    }
}
