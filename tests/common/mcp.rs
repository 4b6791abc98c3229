//! A bare JSON-RPC client for `/mcp`, enough to assert what goes over the wire.

use serde_json::{Value, json};

use super::TestApp;

impl TestApp {
    /// Posts one JSON-RPC request to `/mcp` under protocol revision `version` (sent as the
    /// `MCP-Protocol-Version` header, as a client does after the handshake) and returns the
    /// whole JSON-RPC response.
    pub async fn mcp(&self, version: &str, method: &str, params: Value) -> Value {
        self.mcp_as(None, version, method, params).await
    }

    /// [`TestApp::mcp`] with `key` sent as `Authorization: Bearer`.
    pub async fn mcp_as(
        &self,
        key: Option<&str>,
        version: &str,
        method: &str,
        params: Value,
    ) -> Value {
        let mut req = self
            .client
            .post(self.url("/mcp"))
            .header("Accept", "application/json, text/event-stream")
            .header("MCP-Protocol-Version", version);
        if let Some(key) = key {
            req = req.bearer_auth(key);
        }
        let resp = req
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
            .send()
            .await
            .expect("request sent");
        assert_eq!(resp.status(), 200, "{method} answered {}", resp.status());
        resp.json().await.expect("a JSON-RPC response")
    }
}
