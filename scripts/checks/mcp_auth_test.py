"""The official MCP Python SDK client against toolbox with credentials.

Usage: mcp_auth_test.py KEYS_URL CALL_KEY OIDC_URL ISSUER_PORT
  KEYS_URL:    toolbox with API keys only; CALL_KEY a managed key whose tool set is
               {"allow": ["calculator"]} (role call).
  OIDC_URL:    toolbox with AUTH_OIDC_ISSUER=http://127.0.0.1:ISSUER_PORT and
               AUTH_OIDC_TOOL_SETS={"math": {"allow": ["calculator"]}}; this script serves
               that issuer (discovery + JWKS) and signs its tokens with a key made here.
Each check prints one line; the first failure raises and exits non-zero.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import anyio
import httpx2
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


def ok(what: str) -> None:
    print(f"ok - {what}", flush=True)


def b64(n: int) -> str:
    return base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()


class Issuer:
    """A local OIDC issuer: discovery document and one EC P-256 key."""

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.key = ec.generate_private_key(ec.SECP256R1())
        numbers = self.key.public_key().public_numbers()
        jwks = {"keys": [{"kty": "EC", "crv": "P-256", "kid": "k1", "alg": "ES256", "use": "sig",
                          "x": b64(numbers.x), "y": b64(numbers.y)}]}
        discovery = {"issuer": self.url, "jwks_uri": f"{self.url}/jwks"}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                body = {"/jwks": jwks, "/.well-known/openid-configuration": discovery}.get(self.path)
                self.send_response(200 if body else 404)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(body or {}).encode())

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, scope: str, groups: list[str]) -> str:
        now = int(time.time())
        claims = {"iss": self.url, "aud": "toolbox-check", "sub": "check", "scope": scope,
                  "groups": groups, "iat": now, "exp": now + 600}
        return jwt.encode(claims, self.key, algorithm="ES256", headers={"kid": "k1"})


async def tool_names(url: str, token: str) -> set[str]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30)) as http:
        async with Client(streamable_http_client(url, http_client=http), mode="legacy") as client:
            names = {t.name for t in (await client.list_tools()).tools}
            result = await client.call_tool("calculator", {"operation": "add", "a": 2, "b": 3})
            assert not result.is_error, result
            return names


async def refused(url: str) -> httpx2.Response:
    """What a client without credentials gets: the SDK's connection fails, and the raw
    answer says why."""
    try:
        async with Client(url, mode="legacy") as client:
            await client.list_tools()
    except Exception:  # the SDK raises its own error types for a 401
        pass
    else:
        raise AssertionError("a client without credentials was served")
    async with httpx2.AsyncClient() as http:
        return await http.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                               headers={"accept": "application/json, text/event-stream"})


async def main(keys_url: str, call_key: str, oidc_url: str, issuer_port: int) -> None:
    names = await tool_names(keys_url, call_key)
    assert names == {"find_tool", "calculator"}, names
    ok("a managed key lists only the tools of its set (and calls them)")
    resp = await refused(keys_url)
    assert resp.status_code == 401, resp.status_code
    assert "resource_metadata" not in resp.headers.get("www-authenticate", "")
    assert "API key" in resp.json()["detail"], resp.text
    base = keys_url.rsplit("/mcp", 1)[0]
    async with httpx2.AsyncClient() as http:
        for path in ("/.well-known/oauth-protected-resource", "/.well-known/oauth-authorization-server"):
            assert (await http.get(base + path)).status_code == 404, path
    ok("without OIDC: a 401 that asks for an API key, and no OAuth metadata to start a flow from")

    issuer = Issuer(issuer_port)
    names = await tool_names(oidc_url, issuer.token("openid toolbox:call", ["math"]))
    assert names == {"find_tool", "calculator"}, names
    ok("an OIDC token lists only the tools of its groups' sets")
    resp = await refused(oidc_url)
    assert resp.status_code == 401, resp.status_code
    challenge = resp.headers["www-authenticate"]
    metadata_url = challenge.split('resource_metadata="')[1].split('"')[0]
    async with httpx2.AsyncClient() as http:
        metadata = (await http.get(metadata_url)).json()
    assert metadata["authorization_servers"] == [issuer.url], metadata
    assert metadata["resource"] == oidc_url, metadata
    ok("with OIDC: the 401 points at protected-resource metadata naming the issuer")


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
