//! Helpers for the image tests: a real registry (Debian's `docker-registry`)
//! on a free loopback port, images pushed to it with `skopeo` from the
//! layouts `scripts/fixtures/oci-images.sh` builds once under target/, and
//! a small HTTP front of our own that can demand a bearer token (its
//! `/token` endpoint hands one out for the right basic credentials) or
//! stall in the middle of a blob.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::common::{prerequisite, repo_root};

/// The OCI layouts of the test images (built once, cached under target/).
pub fn layouts() -> PathBuf {
    let out = Command::new(repo_root().join("scripts/fixtures/oci-images.sh"))
        .stderr(Stdio::inherit())
        .output()
        .expect("running scripts/fixtures/oci-images.sh");
    assert!(out.status.success(), "oci-images.sh failed");
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// Whether the tools are here (fails naming setup.sh unless skipped).
pub fn tools() -> bool {
    let have = |t: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    prerequisite(
        ["docker-registry", "skopeo", "umoci", "busybox"]
            .iter()
            .all(|t| have(t)),
        "docker-registry, skopeo, umoci and busybox",
        "ZEROPS_CACHE_SKIP_IMAGE_TESTS",
        "scripts/setup.sh installs them (apt)",
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One GET over plain HTTP; the status code.
fn status(port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).ok()?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Waits until `port` answers `GET /v2/` (readiness, bounded).
fn wait_ready(port: u16) {
    for _ in 0..1000 {
        if status(port, "/v2/").is_some() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("nothing answers on 127.0.0.1:{port}");
}

pub struct Registry {
    child: Option<Child>,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl Registry {
    pub fn start() -> Registry {
        let dir = tempfile::Builder::new()
            .prefix("zc-registry")
            .tempdir()
            .unwrap();
        let port = free_port();
        let cfg = dir.path().join("config.yml");
        std::fs::write(
            &cfg,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
                dir.path().join("data").display()
            ),
        )
        .unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&cfg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting docker-registry");
        wait_ready(port);
        Registry {
            child: Some(child),
            port,
            dir,
        }
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Pushes the layout's `tag` as `name` (`repo:tag`).
    pub fn push(&self, tag: &str, name: &str) {
        push_to(&self.addr(), tag, name);
    }

    /// The files of the registry's blobs whose size is over `min` bytes.
    pub fn blob_files(&self, min: u64) -> Vec<PathBuf> {
        let root = self.dir.path().join("data/docker/registry/v2/blobs/sha256");
        let mut out = Vec::new();
        for a in std::fs::read_dir(root).unwrap() {
            for b in std::fs::read_dir(a.unwrap().path()).unwrap() {
                let f = b.unwrap().path().join("data");
                if std::fs::metadata(&f).is_ok_and(|m| m.len() > min) {
                    out.push(f);
                }
            }
        }
        out
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn push_to(addr: &str, tag: &str, name: &str) {
    let src = format!("oci:{}:{tag}", layouts().display());
    let out = Command::new("skopeo")
        .args([
            "--insecure-policy",
            "copy",
            "--quiet",
            "--dest-tls-verify=false",
        ])
        .arg(&src)
        .arg(format!("docker://{addr}/{name}"))
        .output()
        .expect("running skopeo");
    assert!(
        out.status.success(),
        "skopeo copy {src}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A front of the registry: with `token`, every `/v2/` request needs
/// `Authorization: Bearer TOKEN`, which `GET /token` gives for the basic
/// credentials `user:password`; with `stall` set, a blob's response stops
/// after its first 32 KiB and the connection hangs.
pub struct Front {
    pub port: u16,
    pub stall: Arc<AtomicBool>,
}

const TOKEN: &str = "zc-test-token-7f3a";

impl Front {
    pub fn start(registry: u16, creds: Option<(&str, &str)>) -> Front {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let stall = Arc::new(AtomicBool::new(false));
        let basic = creds.map(|(u, p)| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
        });
        let st = stall.clone();
        std::thread::spawn(move || {
            for c in l.incoming() {
                let Ok(c) = c else { continue };
                let (st, basic) = (st.clone(), basic.clone());
                std::thread::spawn(move || {
                    let _ = serve(c, registry, port, basic.as_deref(), &st);
                });
            }
        });
        Front { port, stall }
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

fn serve(
    mut c: TcpStream,
    registry: u16,
    me: u16,
    basic: Option<&str>,
    stall: &AtomicBool,
) -> std::io::Result<()> {
    let mut r = BufReader::new(c.try_clone()?);
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if line == "\r\n" {
            break;
        }
        head.push(line.trim_end().to_string());
    }
    let request = head.first().cloned().unwrap_or_default();
    let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
    let header = |name: &str| {
        head.iter().skip(1).find_map(|h| {
            let (k, v) = h.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    };
    let respond = |c: &mut TcpStream, code: &str, extra: &str, body: &str| {
        write!(
            c,
            "HTTP/1.1 {code}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    if let Some(b) = basic {
        if path.starts_with("/token") {
            return if header("Authorization").as_deref() == Some(&format!("Basic {b}")) {
                respond(
                    &mut c,
                    "200 OK",
                    "",
                    &format!("{{\"token\":\"{TOKEN}\",\"access_token\":\"{TOKEN}\"}}"),
                )
            } else {
                respond(
                    &mut c,
                    "401 Unauthorized",
                    "",
                    "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}",
                )
            };
        }
        if header("Authorization").as_deref() != Some(&format!("Bearer {TOKEN}")) {
            let challenge = format!(
                "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:{me}/token\",service=\"zc-test\",scope=\"repository:x:pull\"\r\n"
            );
            return respond(
                &mut c,
                "401 Unauthorized",
                &challenge,
                "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}",
            );
        }
    }
    let mut up = TcpStream::connect(("127.0.0.1", registry))?;
    write!(up, "{request}\r\nHost: 127.0.0.1:{registry}\r\n")?;
    for h in head.iter().skip(1) {
        let k = h.split(':').next().unwrap_or("").to_ascii_lowercase();
        if !matches!(k.as_str(), "host" | "connection" | "authorization") {
            write!(up, "{h}\r\n")?;
        }
    }
    write!(up, "Connection: close\r\n\r\n")?;
    if stall.load(Ordering::SeqCst) && path.contains("/blobs/") {
        let mut part = vec![0u8; 32 * 1024];
        let n = up.read(&mut part)?;
        c.write_all(&part[..n])?;
        c.flush()?;
        // Hangs: the client is killed while it waits.
        while stall.load(Ordering::SeqCst) {
            std::thread::park_timeout(std::time::Duration::from_millis(50));
        }
        return Ok(());
    }
    std::io::copy(&mut up, &mut c)?;
    Ok(())
}

/// Writes a Docker auth file for `registry` with `user:password`.
pub fn auth_file(dir: &Path, registry: &str, user: &str, password: &str) -> PathBuf {
    use base64::Engine;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let p = dir.join("auth.json");
    std::fs::write(
        &p,
        format!("{{\"auths\":{{\"{registry}\":{{\"auth\":\"{auth}\"}}}}}}"),
    )
    .unwrap();
    p
}
