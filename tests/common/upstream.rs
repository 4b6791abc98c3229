//! Real upstream MCP servers for the tests: `tests/upstream/server.py` (the official MCP Python
//! SDK, whose tool set a test changes at runtime) and the reference "everything" server from
//! npm. Both are installed on first use into `target/` (pinned versions); when they cannot be,
//! the test says so on stderr (`SKIPPED (needs ...)`) and returns.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::process::{Child, free_port};

const MCP_SDK: &str = "mcp>=2.3,<3";
const EVERYTHING: &str = "@modelcontextprotocol/server-everything@2026.8.31";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Says on the process's stderr (not captured by the harness) that a test did not run.
pub fn skipped(test: &str, needs: &str) {
    use std::io::Write;
    let line = format!("SKIPPED (needs {needs}): {test}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// The Python of `target/pyenv` with the MCP SDK (installed by `scripts/lib/pyenv.sh`).
fn python() -> Option<PathBuf> {
    static PYTHON: OnceLock<Option<PathBuf>> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let out = Command::new("bash")
                .arg("-c")
                .arg(format!(
                    ". scripts/lib/pyenv.sh '{MCP_SDK}' && command -v python"
                ))
                .current_dir(root())
                .stderr(Stdio::inherit())
                .output()
                .ok()?;
            let path = String::from_utf8(out.stdout).ok()?.trim().to_owned();
            (out.status.success() && !path.is_empty()).then(|| PathBuf::from(path))
        })
        .clone()
}

/// The "everything" server's entry point under `target/npm`, installed with npm.
fn everything_js() -> Option<PathBuf> {
    static JS: OnceLock<Option<PathBuf>> = OnceLock::new();
    JS.get_or_init(|| {
        let prefix = root().join("target/npm");
        let js = prefix.join("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
        if !js.exists() {
            let ok = Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(&prefix)
                .arg(EVERYTHING)
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                return None;
            }
        }
        js.exists().then_some(js)
    })
    .clone()
}

/// A running upstream server.
pub struct Upstream {
    pub port: u16,
    child: Option<Child>,
    spawn: Box<dyn Fn(u16) -> Option<Child> + Send + Sync>,
}

impl Upstream {
    /// `tests/upstream/server.py` serving `tools`; with `header`, every MCP request must carry
    /// it (name and value) or is answered 401.
    pub async fn python(tools: Value, header: Option<(&str, &str)>) -> Option<Self> {
        let python = python()?;
        let dir = tempfile::tempdir().ok()?.keep();
        let file = dir.join("tools.json");
        std::fs::write(&file, tools.to_string()).ok()?;
        let header = header.map(|(n, v)| format!("{n}={v}"));
        let spawn = move |port: u16| {
            let mut cmd = Command::new(&python);
            cmd.arg(root().join("tests/upstream/server.py"))
                .arg(port.to_string())
                .arg(&file);
            if let Some(h) = &header {
                cmd.arg(h);
            }
            cmd.stdout(Stdio::null()).stderr(Stdio::null());
            cmd.spawn().ok().map(Child)
        };
        Self::start(Box::new(spawn)).await
    }

    /// The reference "everything" server over Streamable HTTP.
    pub async fn everything() -> Option<Self> {
        let js = everything_js()?;
        let spawn = move |port: u16| {
            Command::new("node")
                .arg(&js)
                .arg("streamableHttp")
                .env("PORT", port.to_string())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .ok()
                .map(Child)
        };
        Self::start(Box::new(spawn)).await
    }

    async fn start(spawn: Box<dyn Fn(u16) -> Option<Child> + Send + Sync>) -> Option<Self> {
        let port = free_port();
        let mut up = Self {
            port,
            child: None,
            spawn,
        };
        up.restart().await.then_some(up)
    }

    /// The MCP endpoint.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/mcp", self.port)
    }

    /// Stops the server (its port is free again).
    pub fn stop(&mut self) {
        self.child = None;
    }

    /// Starts it again on the same port and waits (up to 30 s) until it accepts connections.
    pub async fn restart(&mut self) -> bool {
        self.child = None;
        self.child = (self.spawn)(self.port);
        if self.child.is_none() {
            return false;
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// Replaces the Python server's tool set, silently.
    pub async fn set_tools(&self, tools: Value) {
        self.control_tools(tools, false).await
    }

    /// Replaces the Python server's tool set and sends `notifications/tools/list_changed`.
    pub async fn set_tools_and_announce(&self, tools: Value) {
        self.control_tools(tools, true).await
    }

    async fn control_tools(&self, tools: Value, announce: bool) {
        let announce = if announce { "1" } else { "0" };
        let resp = reqwest::Client::new()
            .post(format!(
                "http://127.0.0.1:{}/control/tools?announce={announce}",
                self.port
            ))
            .json(&tools)
            .send()
            .await
            .expect("the upstream's control route answers");
        assert!(resp.status().is_success());
    }

    /// The `tools/call` requests the Python server received.
    pub async fn seen(&self) -> Vec<Value> {
        reqwest::get(format!("http://127.0.0.1:{}/control/seen", self.port))
            .await
            .expect("the upstream's control route answers")
            .json()
            .await
            .unwrap()
    }
}
