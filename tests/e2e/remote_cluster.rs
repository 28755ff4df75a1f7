//! A multi-node SeaweedFS for the remote tier, as separate processes on
//! 127.0.0.1: a master (default replication 001: every volume on two volume
//! servers), 3 volume servers, a filer and an S3 gateway. Killing one
//! volume server before a pull changes nothing; killing both servers of
//! the volume that holds what a pull needs makes the build go on cold with
//! a warning. (Killed before the pull, not during it: see the issue-28 note.)

use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::build_support::Ran;
use crate::common::run;
use crate::remote::{clone_of, from, project};
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
        // volume servers all answer).
        let t = Instant::now();
        let mut code = String::new();
        while t.elapsed() < Duration::from_secs(60) {
            code = c
                .curl()
                .args(["-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT"])
                .arg(format!("http://127.0.0.1:{}/{BUCKET}", c.s3))
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
            // 409: made by an earlier try whose answer was lost.
            if code == "200" || code == "409" {
                return Some(c);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let mut logs = String::new();
        for (n, _) in &c.procs {
            let l =
                std::fs::read_to_string(c.dir.path().join(format!("{n}.log"))).unwrap_or_default();
            let tail: Vec<&str> = l.lines().rev().take(6).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            logs.push_str(&format!("== {n}\n{}\n", tail.join("\n")));
        }
        panic!("the cluster did not start in 60 s (last answer {code}):\n{logs}");
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

    /// The volume servers (their `url`) that hold the first chunk of `key`.
    fn holders(&self, key: &str) -> Vec<String> {
        let meta = Command::new("curl")
            .arg("-s")
            .arg(format!(
                "http://127.0.0.1:{}/buckets/{BUCKET}/{key}?metadata=true",
                self.filer
            ))
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&meta.stdout).unwrap();
        let fid = v["chunks"][0]["file_id"].as_str().unwrap().to_string();
        let vid = fid.split(',').next().unwrap();
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

#[test]
#[ignore = "finding of issue 28: with one of the two servers of a volume killed, SeaweedFS 4.48's \
            gateway does not answer the pack's GET within --remote-timeout (the build goes on \
            cold with a warning, correctly, but not warm); run with --ignored"]
fn a_cluster_that_loses_one_volume_server_changes_nothing_and_losing_both_copies_goes_cold() {
    let Some(mut c) = Cluster::start() else {
        return;
    };
    let build = |c: &Cluster, p: &crate::build_support::Proj| {
        let mut cmd = p.cmd("build", &["--format", "json", "--remote-timeout", "15s"]);
        c.env(&mut cmd, "c1");
        let r = ran(&mut cmd);
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
        r.json()
    };
    let a = project(&[]);
    let s = build(&c, &a);
    assert_eq!(
        s["remote"]["published"],
        serde_json::json!(["base", "build"]),
        "{s}"
    );
    // Where the build layer's manifest is: two volume servers (replication 001).
    let manifest = c
        .keys("c1/v1/manifests/")
        .into_iter()
        .find(|k| k.contains("/build/"))
        .expect("a build manifest");
    let holders = c.holders(&manifest);
    assert_eq!(holders.len(), 2, "{holders:?}");
    // One of them dies: a clone at another path is warm.
    c.kill_volume(&holders[0]);
    let b = clone_of(&a);
    let sb = build(&c, &b);
    assert_eq!(from(&sb, "build"), "remote", "{sb}");
    assert_eq!(sb["remote"]["warnings"], serde_json::json!([]));
    // The other dies too: the manifest is nowhere; the build goes on cold
    // and says why.
    c.kill_volume(&holders[1]);
    let d = clone_of(&a);
    let sd = build(&c, &d);
    assert_ne!(from(&sd, "build"), "remote");
    assert_eq!(sd["ok"], true);
    let w = sd["remote"]["warnings"].to_string();
    assert!(
        w.contains("building cold") || w.contains("building without it"),
        "{w}"
    );
}
