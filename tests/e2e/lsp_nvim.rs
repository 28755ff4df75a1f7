//! `zerops-cache lsp` driven by a real client: Neovim's built-in LSP client,
//! headless (tests/e2e/lsp/nvim_client.lua). Checks the diagnostics' ranges
//! (the tree lints included, for a file on disk), hover text, completion
//! items, definition, symbols, and a code action that fixes a typo.
//!
//! Needs `nvim` on PATH (scripts/setup.sh installs Debian's `neovim`). Set
//! `ZEROPS_SKIP_NVIM=1` to skip where it cannot be installed.

use crate::build_support::git;
use crate::common::{artifact_dir, repo_root};
use serde_json::Value;
use std::process::{Command, Stdio};

const FILE: &str = "zerops:
  - setup: base
    build:
      base: nodejs@22
      deployFiles: ./
      cache: [dist]
  - setup: app
    extends: base
    build:
      base: nodejs@22
      deployFiles: ./
      cahce: [node_modules]
";

fn have_nvim() -> bool {
    let found = Command::new("nvim")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    crate::common::prerequisite(
        found,
        "`nvim` on PATH",
        "ZEROPS_SKIP_NVIM",
        "run scripts/setup.sh or `apt-get install neovim`",
    )
}

fn labels(v: &Value) -> Vec<String> {
    let items = v.get("items").unwrap_or(v);
    items
        .as_array()
        .unwrap_or_else(|| panic!("completion items: {v}"))
        .iter()
        .map(|i| i["label"].as_str().unwrap().to_string())
        .collect()
}

fn range(v: &Value) -> (u64, u64, u64, u64) {
    (
        v["start"]["line"].as_u64().unwrap(),
        v["start"]["character"].as_u64().unwrap(),
        v["end"]["line"].as_u64().unwrap(),
        v["end"]["character"].as_u64().unwrap(),
    )
}

#[test]
fn neovim_gets_diagnostics_hover_completion_and_a_fix() {
    if !have_nvim() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let proj = t.path().join("proj");
    std::fs::create_dir(&proj).unwrap();
    let file = proj.join("zerops.yaml");
    std::fs::write(&file, FILE).unwrap();
    git(&proj, &["init", "-q", "."]);
    git(&proj, &["add", "."]);
    let out = t.path().join("out.json");
    let home = t.path().join("home");
    let child = Command::new("nvim")
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-n", "-c"])
        .arg(format!(
            "luafile {}",
            repo_root().join("tests/e2e/lsp/nvim_client.lua").display()
        ))
        .env("ZC_BIN", env!("CARGO_BIN_EXE_zerops-cache"))
        .env("ZC_FILE", &file)
        .env("ZC_OUT", &out)
        .env("ZEROPS_CACHE_ARTIFACTS", artifact_dir())
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting nvim");
    // nvim is killed if it has not finished when the wait gives up.
    struct KillOnDrop(std::process::Child);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = self.0.kill();
        }
    }
    let mut child = KillOnDrop(child);
    crate::common::wait_until("nvim to finish", 120, || {
        child.0.try_wait().unwrap().is_some()
    });
    let child = &mut child.0;
    let stderr = {
        use std::io::Read;
        let mut s = String::new();
        child.stderr.take().unwrap().read_to_string(&mut s).unwrap();
        s
    };
    let text = std::fs::read_to_string(&out)
        .unwrap_or_else(|e| panic!("nvim wrote no result ({e}); stderr: {stderr}"));
    let r: Value = serde_json::from_str(&text).unwrap();
    assert!(
        r["error"].is_null(),
        "the client script failed: {}\n{stderr}",
        r["error"]
    );

    // Diagnostics: the typo's exact range (0-based), and the tree lint that
    // needs the directory on disk (`dist` does not exist there).
    let diags = r["diagnostics"].as_array().unwrap();
    let typo = diags
        .iter()
        .find(|d| d["code"] == "unknown-key")
        .unwrap_or_else(|| panic!("{diags:#?}"));
    assert_eq!(range(&typo["range"]), (11, 6, 11, 11), "{typo}");
    assert_eq!(typo["severity"], 1);
    assert_eq!(typo["source"], "zerops-cache");
    let tree = diags
        .iter()
        .find(|d| d["code"] == "cache-matches-nothing")
        .unwrap_or_else(|| panic!("the tree lint for a file on disk: {diags:#?}"));
    assert_eq!(range(&tree["range"]).0, 5);

    // Hover: what the key does, and what the cache entry matches.
    // The value's hover knows the directory (it matches nothing there).
    let key = r["hover_key"]["contents"]["value"].as_str().unwrap();
    crate::text_snapshot!("hover_key", key);
    let value = r["hover_value"]["contents"]["value"].as_str().unwrap();
    crate::text_snapshot!("hover_value", value);

    // Definition of `extends: base`: the `setup: base` name.
    assert_eq!(range(&r["definition"]["range"]), (1, 11, 1, 15));
    let symbols: Vec<&str> = r["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(symbols, ["base", "app"]);

    // Completion: base values after `nodejs@2`, and keys of a build.
    let values = labels(&r["completion_values"]);
    assert!(values.contains(&"nodejs@22".to_string()), "{values:?}");
    assert!(
        values.iter().all(|v| v.starts_with("nodejs@2")),
        "{values:?}"
    );
    let keys = labels(&r["completion_keys"]);
    assert!(keys.contains(&"buildCommands".to_string()), "{keys:?}");
    assert!(keys.contains(&"prepareCommands".to_string()), "{keys:?}");
    assert!(
        !keys.contains(&"base".to_string()),
        "already written: {keys:?}"
    );
    assert!(!keys.contains(&"start".to_string()), "a run key: {keys:?}");

    // The code action fixed the typo in the buffer, and the diagnostics
    // that followed the change no longer have it.
    let titles: Vec<&str> = r["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    crate::text_snapshot!("code_actions", titles.join("\n"));
    assert_eq!(r["fixed_line"], "      cache: [node_modules]");
    let after = r["diagnostics_after_fix"].as_array().unwrap();
    assert!(
        after.iter().all(|d| d["code"] != "unknown-key"),
        "{after:#?}"
    );
}
