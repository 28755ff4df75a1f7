//! A TCP proxy in front of the S3 endpoint for the remote-tier tests: it
//! counts the signed requests that pass (so a test can bound how many
//! requests a command makes), and can die mid-upload: once the client has
//! sent `kill_after` bytes, every connection is reset (SO_LINGER 0) and new
//! ones are closed at once, as an S3 gateway that was killed. It can also
//! run a callback once `n` bytes went back to the client (the relay waits
//! while it runs): a test kills a server behind the gateway mid-download.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

pub struct Proxy {
    pub port: u16,
    state: Arc<State>,
}

/// Run once, when the downloaded bytes reach the number.
type Trigger = (u64, Box<dyn FnOnce() + Send>);

struct State {
    upstream: u16,
    kill_after: Option<u64>,
    trigger: std::sync::Mutex<Option<Trigger>>,
    down_bytes: AtomicU64,
    dead: AtomicBool,
    stop: AtomicBool,
    up_bytes: AtomicU64,
    requests: AtomicU64,
}

/// Closing with SO_LINGER 0 resets the connection (a crashed peer).
fn reset_on_close(s: &TcpStream) {
    let l = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt on an open socket with a valid linger struct.
    unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&l as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

/// Signed requests in a chunk of what a client sent (one header each).
fn count_requests(chunk: &[u8]) -> u64 {
    let needle = b"authorization: aws4-hmac-sha256";
    chunk
        .windows(needle.len())
        .filter(|w| w.eq_ignore_ascii_case(needle))
        .count() as u64
}

impl Proxy {
    pub fn start(upstream: u16, kill_after: Option<u64>) -> Proxy {
        Proxy::with(upstream, kill_after, None)
    }

    /// A proxy that calls `then` once `after` bytes went to the client.
    pub fn on_download(upstream: u16, after: u64, then: Box<dyn FnOnce() + Send>) -> Proxy {
        Proxy::with(upstream, None, Some((after, then)))
    }

    fn with(upstream: u16, kill_after: Option<u64>, trigger: Option<Trigger>) -> Proxy {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let state = Arc::new(State {
            upstream,
            kill_after,
            trigger: std::sync::Mutex::new(trigger),
            down_bytes: AtomicU64::new(0),
            dead: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            up_bytes: AtomicU64::new(0),
            requests: AtomicU64::new(0),
        });
        let st = Arc::clone(&state);
        std::thread::spawn(move || {
            for c in l.incoming() {
                if st.stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = c else { continue };
                if st.dead.load(Ordering::SeqCst) {
                    reset_on_close(&client);
                    continue;
                }
                let st = Arc::clone(&st);
                std::thread::spawn(move || pump(st, client));
            }
        });
        Proxy { port, state }
    }

    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::SeqCst)
    }

    pub fn reset_count(&self) {
        self.state.requests.store(0, Ordering::SeqCst);
    }

    /// Whether the download callback ran.
    pub fn triggered(&self) -> bool {
        self.state.trigger.lock().unwrap().is_none()
    }

    pub fn died(&self) -> bool {
        self.state.dead.load(Ordering::SeqCst)
    }
}

fn pump(st: Arc<State>, mut client: TcpStream) {
    let Ok(mut up) = TcpStream::connect(("127.0.0.1", st.upstream)) else {
        return;
    };
    let (Ok(mut client_w), Ok(mut up_r)) = (client.try_clone(), up.try_clone()) else {
        return;
    };
    let st2 = Arc::clone(&st);
    let back = std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let n = match up_r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let down = st2.down_bytes.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
            {
                let mut t = st2.trigger.lock().unwrap();
                if t.as_ref().is_some_and(|(after, _)| down >= *after) {
                    let (_, then) = t.take().unwrap();
                    then();
                }
            }
            if st2.dead.load(Ordering::SeqCst) || client_w.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = client_w.shutdown(Shutdown::Write);
    });
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = match client.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        st.requests
            .fetch_add(count_requests(&buf[..n]), Ordering::SeqCst);
        let total = st.up_bytes.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
        if st.kill_after.is_some_and(|k| total >= k) {
            st.dead.store(true, Ordering::SeqCst);
        }
        if st.dead.load(Ordering::SeqCst) {
            // As a killed gateway: FIN to the client mid-upload, then the
            // socket goes while the client still writes; what it writes
            // next is answered with a reset, and its write after that
            // fails with EPIPE (the signal the issue saw kill a push).
            let _ = client.shutdown(Shutdown::Write);
            let _ = up.shutdown(Shutdown::Both);
            let _ = client.read(&mut buf);
            let _ = back.join();
            return;
        }
        if up.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = up.shutdown(Shutdown::Write);
    let _ = back.join();
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}
