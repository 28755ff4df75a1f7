//! A multi-node SeaweedFS for the remote tier, as separate processes on
//! 127.0.0.1: a master (default replication 001: every volume on two volume
//! servers), 3 volume servers, a filer and an S3 gateway. A volume server
//! killed in the middle of a pull (while the gateway streams a pack)
//! changes nothing: the gateway's log shows it tried the dead copy, and the
//! build is warm and byte-identical; with a second one
//! killed, what the pull needs has no copy left, and the build goes on
//! cold with a warning that says so.

use serde_json::Value;
use std::process::{Child, Command, Stdio};

use crate::build_support::{Proj, Ran, yaml};
use crate::common::{run, wait_until};
use crate::remote::clone_of;
use crate::remote_proxy::Proxy;
use crate::remote_support::{BUCKET, KEY, SECRET, free_ports, weed_binary};

struct Cluster {
    procs: Vec<(String, Child)>,
    dir: tempfile::TempDir,
    master: u16,
    filer: u16,
    s3: u16,
    /// The HTTP ports of volume servers 0, 1, 2.
    volumes: Vec<u16>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for (_, c) in &mut self.procs {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Cluster {
    fn start() -> Option<Cluster> {
        let Some(bin) = weed_binary() else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "weed is missing"
            );
            println!("SKIP the cluster test: `weed` is not installed");
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("zc-cluster")
            .tempdir()
            .unwrap();
        let p = free_ports(12);
        let root = dir.path().to_path_buf();
        let d = |n: &str| {
            let x = root.join(n);
            std::fs::create_dir_all(&x).unwrap();
            x.display().to_string()
        };
        let master = format!("127.0.0.1:{}.{}", p[0], p[1]);
        let config = dir.path().join("s3.json");
        std::fs::write(
            &config,
            format!(
                r#"{{"identities":[{{"name":"t","credentials":[{{"accessKey":"{KEY}","secretKey":"{SECRET}"}}],"actions":["Admin","Read","Write","List","Tagging"]}}]}}"#
            ),
        )
        .unwrap();
        let mut c = Cluster {
            procs: Vec::new(),
            master: p[0],
            filer: p[8],
            s3: p[10],
            volumes: vec![p[2], p[4], p[6]],
            dir,
        };
        let mut spawn = |name: &str, args: Vec<String>| {
            let log = std::fs::File::create(c.dir.path().join(format!("{name}.log"))).unwrap();
            // In the cluster's directory: the filer keeps its leveldb
            // (`filerldb2/`) in its working directory.
            let child = Command::new(&bin)
                .args(&args)
                .current_dir(c.dir.path())
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap();
            c.procs.push((name.to_string(), child));
        };
        let ip = || {
            vec![
                "-ip=127.0.0.1".to_string(),
                "-ip.bind=127.0.0.1".to_string(),
            ]
        };
        spawn(
            "master",
            [
                vec!["master".into()],
                ip(),
                vec![
                    format!("-port={}", p[0]),
                    format!("-port.grpc={}", p[1]),
                    format!("-mdir={}", d("m")),
                    "-defaultReplication=001".into(),
                    "-peers=none".into(),
                    "-volumeSizeLimitMB=16".into(),
                ],
            ]
            .concat(),
        );
        for i in 0..3 {
            spawn(
                &format!("volume{i}"),
                [
                    vec!["volume".into()],
                    ip(),
                    vec![
                        format!("-port={}", p[2 + 2 * i]),
                        format!("-port.grpc={}", p[3 + 2 * i]),
                        format!("-dir={}", d(&format!("v{i}"))),
                        format!("-master={master}"),
                        "-max=30".into(),
                    ],
                ]
                .concat(),
            );
        }
        spawn(
            "filer",
            [
                vec!["filer".into()],
                ip(),
                vec![
                    format!("-port={}", p[8]),
                    format!("-port.grpc={}", p[9]),
                    format!("-master={master}"),
                    // 1 MB chunks (not 4): a pull reads many chunks after
                    // the kill, so the gateway tries the dead copy of some.
                    "-maxMB=1".into(),
                ],
            ]
            .concat(),
        );
        spawn(
            "s3",
            vec![
                "s3".into(),
                "-ip.bind=127.0.0.1".into(),
                format!("-port={}", p[10]),
                format!("-port.grpc={}", p[11]),
                "-port.iceberg=0".into(),
                "-port.lance=0".into(),
                format!("-filer=127.0.0.1:{}.{}", p[8], p[9]),
                format!("-config={}", config.display()),
            ],
        );
        // Ready when the bucket can be made (the gateway, filer, master and
        // volume servers all answer); a process that exits fails the test
        // with the logs.
        wait_until("the cluster to make its bucket", 60, || {
            if let Some(n) = c.exited() {
                panic!("{n} exited:\n{}", c.logs());
            }
            let code = c
                .curl()
                .args(["-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT"])
                .arg(format!("http://127.0.0.1:{}/{BUCKET}", c.s3))
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
            // 409: made by an earlier try whose answer was lost.
            code == "200" || code == "409"
        });
        Some(c)
    }

    /// The first process that exited, if any.
    fn exited(&mut self) -> Option<String> {
        let at = self
            .procs
            .iter_mut()
            .position(|(_, c)| matches!(c.try_wait(), Ok(Some(_))))?;
        Some(self.procs[at].0.clone())
    }

    /// The lines of process `name`'s log that name `what`.
    fn log_lines(&self, name: &str, what: &str) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join(format!("{name}.log")))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(what))
            .map(str::to_string)
            .collect()
    }

    /// The last lines of every process's log.
    fn logs(&self) -> String {
        let mut logs = String::new();
        for (n, _) in &self.procs {
            let l = std::fs::read_to_string(self.dir.path().join(format!("{n}.log")))
                .unwrap_or_default();
            let tail: Vec<&str> = l.lines().rev().take(8).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            logs.push_str(&format!("== {n}\n{}\n", tail.join("\n")));
        }
        logs
    }

    fn curl(&self) -> Command {
        let mut c = Command::new("curl");
        c.args(["-sS", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user"])
            .arg(format!("{KEY}:{SECRET}"))
            .args(["-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"]);
        c
    }

    fn env(&self, cmd: &mut Command, prefix: &str) {
        cmd.env("ZEROPS_CACHE_REMOTE", format!("s3://{BUCKET}/{prefix}"))
            .env("AWS_ACCESS_KEY_ID", KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{}", self.s3))
            .env("AWS_ALLOW_HTTP", "true")
            .env("ZEROPS_CACHE_REMOTE_SECRET", "team secret")
            .env_remove("ZEROPS_CACHE_PROJECT_ID");
    }

    /// For each chunk of `key`, in order, the volume servers (their `url`,
    /// `127.0.0.1:PORT`) that hold it.
    fn chunk_holders(&self, key: &str) -> Vec<Vec<String>> {
        let meta = Command::new("curl")
            .arg("-s")
            .arg(format!(
                "http://127.0.0.1:{}/buckets/{BUCKET}/{key}?metadata=true",
                self.filer
            ))
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&meta.stdout).unwrap();
        let chunks = v["chunks"].as_array().cloned().unwrap_or_default();
        let mut chunks: Vec<(u64, String)> = chunks
            .iter()
            .map(|c| {
                (
                    c["offset"].as_u64().unwrap_or(0),
                    c["file_id"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        chunks.sort();
        chunks
            .into_iter()
            .map(|(_, fid)| {
                let vid = fid.split(',').next().unwrap().to_string();
                let loc = Command::new("curl")
                    .arg("-s")
                    .arg(format!(
                        "http://127.0.0.1:{}/dir/lookup?volumeId={vid}",
                        self.master
                    ))
                    .output()
                    .unwrap();
                let v: Value = serde_json::from_slice(&loc.stdout).unwrap();
                v["locations"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l["url"].as_str().unwrap().to_string())
                    .collect()
            })
            .collect()
    }

    /// The process id of the volume server at `url` (`127.0.0.1:PORT`).
    fn volume_pid(&self, url: &str) -> u32 {
        let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
        let i = self
            .volumes
            .iter()
            .position(|p| *p == port)
            .expect("a volume server");
        let name = format!("volume{i}");
        let (_, c) = self
            .procs
            .iter()
            .find(|(n, _)| *n == name)
            .expect("running");
        c.id()
    }

    /// kill -9 of the volume server listening at `url` (`127.0.0.1:PORT`).
    fn kill_volume(&mut self, url: &str) {
        let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
        let i = self
            .volumes
            .iter()
            .position(|p| *p == port)
            .expect("a volume server");
        let name = format!("volume{i}");
        let at = self
            .procs
            .iter()
            .position(|(n, _)| *n == name)
            .expect("running");
        let (_, mut c) = self.procs.remove(at);
        let _ = c.kill();
        let _ = c.wait();
    }

    fn keys(&self, prefix: &str) -> Vec<String> {
        let out = self
            .curl()
            .arg(format!(
                "http://127.0.0.1:{}/{BUCKET}?list-type=2&prefix={}",
                self.s3,
                prefix.replace('/', "%2F")
            ))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .split("<Key>")
            .skip(1)
            .filter_map(|s| s.split("</Key>").next())
            .map(str::to_string)
            .collect()
    }
}

fn ran(c: &mut Command) -> Ran {
    let (code, stdout, stderr) = run(c);
    Ran {
        code,
        stdout,
        stderr,
    }
}

/// buildCommands: 6 files of 4 MB that do not compress (3 packs of 8 MB,
/// each in 1 MB chunks spread over the volumes) and a few small ones.
const INSTALL: &str = "[ -d node_modules/a ] || { mkdir -p node_modules/a && \
    for i in 1 2 3 4 5 6; do head -c 4000000 /dev/urandom > node_modules/a/big$i.bin; done && \
    for i in $(seq 1 50); do echo \"m $i\" > node_modules/a/m$i.js; done; }";

fn digest_of_tree(root: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_volume_server_killed_mid_pull_changes_nothing_and_losing_both_copies_goes_cold() {
    let Some(mut c) = Cluster::start() else {
        return;
    };
    let build = |c: &Cluster, p: &Proj, endpoint: u16| {
        let mut cmd = p.cmd("build", &["--format", "json", "--remote-timeout", "20s"]);
        c.env(&mut cmd, "c1");
        cmd.env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{endpoint}"));
        let r = ran(&mut cmd);
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
        r.json()
    };
    let a = Proj::new(
        &yaml(&[crate::remote::PREPARE], &[INSTALL], "[node_modules]", ""),
        &[],
    );
    let s = build(&c, &a, c.s3);
    assert_eq!(
        s["remote"]["published"],
        serde_json::json!(["base", "build"]),
        "{s}"
    );
    // The last chunk of the largest pack: the pull reads it after the kill.
    let pack = c
        .keys("c1/v1/packs/")
        .into_iter()
        .map(|k| (c.chunk_holders(&k), k))
        .max_by_key(|(chunks, _)| chunks.len())
        .expect("a pack");
    let (chunks, pack) = pack;
    assert!(chunks.len() >= 2, "{pack}: {chunks:?}");
    let last = chunks.last().unwrap().clone();
    assert_eq!(last.len(), 2, "replication 001: {last:?}");
    // B pulls through a proxy that kills one holder of that chunk once
    // 1 MB of packs went to B (the manifests are a few kB): the gateway is
    // in the middle of streaming the packs.
    let victim = c.volume_pid(&last[0]);
    let proxy = Proxy::on_download(
        c.s3,
        1 << 20,
        Box::new(move || {
            // SAFETY: kill(2) and waitpid(2) of a child this test started.
            unsafe {
                libc::kill(victim as i32, libc::SIGKILL);
                libc::waitpid(victim as i32, std::ptr::null_mut(), 0);
            }
        }),
    );
    let before = c.log_lines("s3", &last[0]).len();
    let b = clone_of(&a);
    let sb = build(&c, &b, proxy.port);
    assert!(proxy.triggered(), "the pull ended before 1 MB: {sb}");
    // The gateway did try the dead copy during B's pull ("read
    // http://127.0.0.1:PORT/... failed, err: ... connection refused"), and
    // took those chunks from the other copy: B is warm and identical.
    let hits = c.log_lines("s3", &last[0]);
    assert!(
        hits.len() > before && hits[before..].iter().any(|l| l.contains("failed")),
        "the gateway never tried the killed volume server {} during B's pull:\n{}",
        last[0],
        c.logs()
    );
    assert_eq!(
        sb["remote"]["pulled"],
        serde_json::json!(["base", "build"]),
        "{sb}"
    );
    assert_eq!(sb["remote"]["warnings"], serde_json::json!([]), "{sb}");
    assert_eq!(sb["prepare_ran"], false, "{sb}");
    let tree = |s: &Value| {
        digest_of_tree(&std::path::Path::new(s["store"].as_str().unwrap()).join("cache"))
    };
    assert!(tree(&s) == tree(&sb), "B's pulled layer differs from A's");
    // The other holder dies too: that chunk has no copy left. The build
    // goes on cold and says why.
    c.kill_volume(&last[1]);
    let d = clone_of(&a);
    let sd = build(&c, &d, c.s3);
    assert_eq!(sd["ok"], true);
    assert_eq!(sd["remote"]["pulled"], serde_json::json!([]), "{sd}");
    assert_eq!(sd["prepare_ran"], true, "{sd}");
    let w = sd["remote"]["warnings"].to_string();
    assert!(
        w.contains("building cold") && w.contains("nothing pulled was restored"),
        "{w}"
    );
}
