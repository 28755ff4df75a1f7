//! Images made by the test, layer by layer: tars written entry by entry
//! with the `tar` crate (so a layer can say what no packing tool would:
//! `..`, absolute names, links out, device nodes, overlay xattrs), pushed
//! to the test registry through the distribution API itself (`POST` and
//! `PUT` of each blob, `PUT` of the manifest).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;

use sha2::{Digest, Sha256};
use tar::EntryType;

/// One layer's tar, entry by entry.
pub struct LayerTar {
    b: tar::Builder<Vec<u8>>,
}

impl LayerTar {
    pub fn new() -> LayerTar {
        LayerTar {
            b: tar::Builder::new(Vec::new()),
        }
    }

    /// An entry with the raw name (no check of `..` or `/`), as a hostile
    /// tar has it.
    pub fn raw(
        &mut self,
        kind: EntryType,
        name: &[u8],
        link: Option<&str>,
        data: &[u8],
        mode: u32,
    ) -> &mut Self {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        let gnu = h.as_gnu_mut().unwrap();
        assert!(name.len() < gnu.name.len(), "name too long for the test");
        gnu.name[..name.len()].copy_from_slice(name);
        if let Some(l) = link {
            h.set_link_name(l).unwrap();
        }
        h.set_size(data.len() as u64);
        h.set_mode(mode);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1_700_000_000);
        h.set_cksum();
        self.b.append(&h, data).unwrap();
        self
    }

    pub fn dir(&mut self, name: &str) -> &mut Self {
        self.raw(EntryType::Directory, name.as_bytes(), None, b"", 0o755)
    }

    pub fn file(&mut self, name: &str, data: &str) -> &mut Self {
        self.raw(
            EntryType::Regular,
            name.as_bytes(),
            None,
            data.as_bytes(),
            0o644,
        )
    }

    pub fn symlink(&mut self, name: &str, to: &str) -> &mut Self {
        self.raw(EntryType::Symlink, name.as_bytes(), Some(to), b"", 0o777)
    }

    pub fn hardlink(&mut self, name: &str, to: &str) -> &mut Self {
        self.raw(EntryType::Link, name.as_bytes(), Some(to), b"", 0o644)
    }

    /// A whiteout of `name` (`dir/.wh.name`), or of a directory's lower
    /// contents (`dir/.wh..wh..opq`).
    pub fn whiteout(&mut self, dir: &str, name: &str) -> &mut Self {
        let p = if dir.is_empty() {
            format!(".wh.{name}")
        } else {
            format!("{dir}/.wh.{name}")
        };
        self.file(&p, "")
    }

    pub fn device(&mut self, name: &str, block: bool, major: u32, minor: u32) -> &mut Self {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(if block {
            EntryType::Block
        } else {
            EntryType::Char
        });
        h.set_device_major(major).unwrap();
        h.set_device_minor(minor).unwrap();
        h.set_size(0);
        h.set_mode(0o666);
        h.set_uid(0);
        h.set_gid(0);
        self.b.append_data(&mut h, name, &[][..]).unwrap();
        self
    }

    /// PAX records (e.g. `SCHILY.xattr.user.x`) for the next entry.
    pub fn pax(&mut self, kv: &[(&str, &[u8])]) -> &mut Self {
        self.b.append_pax_extensions(kv.iter().copied()).unwrap();
        self
    }

    pub fn bytes(self) -> Vec<u8> {
        self.b.into_inner().unwrap()
    }
}

/// A layer with the host's static busybox as /bin/busybox, its applets,
/// /etc/passwd, /tmp, /root and /usr/local/bin: enough to run a build.
pub fn busybox_layer() -> Vec<u8> {
    let out = std::process::Command::new("sh")
        .args(["-c", "command -v busybox"])
        .output()
        .unwrap();
    let path = String::from_utf8(out.stdout).unwrap();
    let elf = std::fs::read(path.trim()).unwrap();
    let mut t = LayerTar::new();
    for d in [
        "bin",
        "etc",
        "tmp",
        "root",
        "usr",
        "usr/local",
        "usr/local/bin",
    ] {
        t.dir(d);
    }
    t.raw(EntryType::Regular, b"bin/busybox", None, &elf, 0o755);
    for a in [
        "sh", "ls", "cat", "echo", "id", "touch", "mkdir", "rm", "test", "[", "true", "false",
        "wc", "tr", "grep", "sort", "stat", "head",
    ] {
        t.symlink(&format!("bin/{a}"), "busybox");
    }
    t.file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
    t.bytes()
}

fn sha256(b: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(b))
}

/// One request over plain HTTP/1.1: status, headers (lower-case names),
/// body.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let end = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP response");
    let head = String::from_utf8_lossy(&out[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let code = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap();
    let hs = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (code, hs, out[end + 4..].to_vec())
}

/// Uploads one blob to `repo`; its digest.
fn push_blob(addr: &str, repo: &str, bytes: &[u8]) -> String {
    let digest = sha256(bytes);
    let (code, hs, body) = http(
        addr,
        "POST",
        &format!("/v2/{repo}/blobs/uploads/"),
        &[],
        b"",
    );
    assert_eq!(code, 202, "{}", String::from_utf8_lossy(&body));
    let loc = hs
        .iter()
        .find(|(k, _)| k == "location")
        .map(|(_, v)| v.clone())
        .unwrap();
    // Absolute (`http://host:port/v2/…`) or a path.
    let path = match loc.find("/v2/") {
        Some(i) => loc[i..].to_string(),
        None => loc,
    };
    let sep = if path.contains('?') { '&' } else { '?' };
    let (code, _, body) = http(
        addr,
        "PUT",
        &format!("{path}{sep}digest={digest}"),
        &[("Content-Type", "application/octet-stream")],
        bytes,
    );
    assert_eq!(code, 201, "{}", String::from_utf8_lossy(&body));
    digest
}

/// Pushes an image of `layers` (plain tars, gzipped here; bottom first)
/// with the config's `env` as `repo:tag` to the registry at `addr`.
pub fn push_image(addr: &str, name: &str, layers: &[Vec<u8>], env: &[&str]) {
    let (repo, tag) = name.rsplit_once(':').unwrap();
    let mut descs = Vec::new();
    let mut diff_ids = Vec::new();
    for l in layers {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(l).unwrap();
        let gz = gz.finish().unwrap();
        diff_ids.push(sha256(l));
        let digest = push_blob(addr, repo, &gz);
        descs.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": digest,
            "size": gz.len(),
        }));
    }
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        a => a,
    };
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": arch,
        "os": "linux",
        "config": { "Env": env },
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
    }))
    .unwrap();
    let config_digest = push_blob(addr, repo, &config);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": config.len(),
        },
        "layers": descs,
    }))
    .unwrap();
    let (code, _, body) = http(
        addr,
        "PUT",
        &format!("/v2/{repo}/manifests/{tag}"),
        &[("Content-Type", "application/vnd.oci.image.manifest.v1+json")],
        &manifest,
    );
    assert_eq!(code, 201, "{}", String::from_utf8_lossy(&body));
}

/// The directory a layer (by its plain tar) is unpacked to in the image
/// store `images`, for the flavour `flavour` (`root`, `rootless-UID`).
pub fn layer_dir(images: &Path, flavour: &str, layer: &[u8]) -> std::path::PathBuf {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(layer).unwrap();
    let gz = gz.finish().unwrap();
    let d = sha256(&gz);
    images
        .join("layers")
        .join(flavour)
        .join(d.trim_start_matches("sha256:"))
}
