"""Drives toolbox's /mcp endpoint with the official MCP Python SDK client.

Usage: mcp_client_test.py URL_A URL_B URL_SEARCH
  URL_A, URL_B: two toolbox processes on one database, MCP_PAGE_SIZE=2, exposure `all`.
  URL_SEARCH:   a third process on the same database with MCP_TOOL_EXPOSURE=search.
Each check prints one line; the first failure raises and exits non-zero.
"""

from __future__ import annotations

import itertools
import sys
import uuid

import anyio
import httpx2
import mcp.client.session as client_session
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

BUILTINS = {"calculator", "data_transform", "string_utils"}


def ok(what: str) -> None:
    print(f"ok - {what}", flush=True)


def text_of(result) -> str:
    return "\n".join(block.text for block in result.content if getattr(block, "text", None))


async def list_all(client: Client) -> tuple[list, int]:
    """Every tool, following nextCursor; returns the tools and the number of pages."""
    tools, cursor, pages = [], None, 0
    while True:
        page = await client.list_tools(cursor=cursor, cache_mode="refresh")
        pages += 1
        tools.extend(page.tools)
        cursor = page.next_cursor
        if cursor is None:
            return tools, pages
        assert pages < 100, "pagination does not end"


async def check_listing_and_calls(client: Client, label: str) -> None:
    tools, pages = await list_all(client)
    names = [t.name for t in tools]
    assert len(names) == len(set(names)), f"a tool is listed twice: {names}"
    assert BUILTINS | {"find_tool"} <= set(names), names
    assert "call_tool" not in names, "call_tool is listed in `all` exposure"
    assert pages >= 2, f"MCP_PAGE_SIZE=2 should give several pages, got {pages}"
    calc = next(t for t in tools if t.name == "calculator")
    assert calc.title, "calculator has no title"
    assert calc.output_schema and calc.output_schema.get("type") == "object", calc.output_schema
    assert calc.annotations and calc.annotations.read_only_hint is True, calc.annotations
    assert calc.input_schema.get("type") == "object"
    find = next(t for t in tools if t.name == "find_tool")
    assert "math" in (find.description or ""), f"find_tool does not name the categories: {find.description}"
    ok(f"{label}: tools/list pages through {len(names)} tools in {pages} pages with title, schemas, annotations")

    result = await client.call_tool("calculator", {"operation": "add", "a": 2, "b": 3})
    assert not result.is_error, text_of(result)
    assert result.structured_content == {"value": 5.0} or result.structured_content == {"value": 5}, result
    assert "5" in text_of(result), "no text rendering beside structuredContent"
    ok(f"{label}: calculator adds 2 + 3 with structuredContent and text")

    bad = await client.call_tool("calculator", {"operation": "add", "a": "two", "b": 3})
    assert bad.is_error, f"bad arguments did not give isError: {bad}"
    assert "/a" in text_of(bad), f"the error does not point at /a: {text_of(bad)}"
    ok(f"{label}: bad arguments give isError naming /a")

    found = await client.call_tool("find_tool", {"query": "arithmetic: add, subtract, multiply numbers"})
    assert not found.is_error, text_of(found)
    hits = found.structured_content["tools"]
    assert hits and hits[0]["name"] == "calculator", hits
    assert hits[0]["inputSchema"]["type"] == "object"
    ok(f"{label}: find_tool ranks calculator first")

    try:
        await client.call_tool("no_such_tool", {})
    except MCPError as e:
        assert e.error.code == -32602, e.error
        ok(f"{label}: an unknown tool is a protocol error (-32602)")
    else:
        raise AssertionError("calling an unknown tool did not fail")


async def handshake(url: str) -> None:
    async with Client(url, mode="legacy") as client:
        assert client.protocol_version == "2025-11-25", client.protocol_version
        ok("handshake mode negotiates 2025-11-25")
        await check_listing_and_calls(client, "2025-11-25")
    # The SDK's handshake asks for its newest handshake revision; ask for 2025-06-18 instead.
    original = client_session.LATEST_HANDSHAKE_VERSION
    client_session.LATEST_HANDSHAKE_VERSION = "2025-06-18"
    try:
        async with Client(url, mode="legacy") as client:
            assert client.protocol_version == "2025-06-18", client.protocol_version
            ok("handshake mode negotiates 2025-06-18")
            await check_listing_and_calls(client, "2025-06-18")
    finally:
        client_session.LATEST_HANDSHAKE_VERSION = original


async def auto(url: str) -> None:
    async with Client(url, mode="auto") as client:
        assert client.protocol_version == "2026-07-28", client.protocol_version
        ok("auto mode discovers 2026-07-28 (server/discover)")
        await check_listing_and_calls(client, "2026-07-28")


class RoundRobin(httpx2.AsyncHTTPTransport):
    """Sends each request to the next of several servers, like a load balancer without
    sticky sessions."""

    def __init__(self, ports: list[int]) -> None:
        super().__init__()
        self.ports = itertools.cycle(ports)
        self.seen: set[int] = set()

    async def handle_async_request(self, request):
        port = next(self.ports)
        self.seen.add(port)
        request.url = request.url.copy_with(port=port)
        return await super().handle_async_request(request)


async def alternating(url_a: str, url_b: str, mode: str) -> None:
    ports = [httpx2.URL(url_a).port, httpx2.URL(url_b).port]
    transport = RoundRobin(ports)
    async with httpx2.AsyncClient(transport=transport, timeout=httpx2.Timeout(30, read=60)) as http:
        async with Client(streamable_http_client(url_a, http_client=http), mode=mode) as client:
            for i in range(12):
                if i % 2:
                    tools, _ = await list_all(client)
                    assert BUILTINS <= {t.name for t in tools}
                else:
                    r = await client.call_tool("calculator", {"operation": "multiply", "a": i, "b": 2})
                    assert not r.is_error and r.structured_content["value"] == i * 2, r
    assert transport.seen == set(ports), transport.seen
    ok(f"{mode} mode: one client alternating between two replicas, 12 requests, no errors")


async def list_changed(url_a: str, url_b: str) -> None:
    """A tool registered through replica B is announced to a listener on replica A."""
    name = f"weather_{uuid.uuid4().hex[:8]}"
    async with Client(url_a, mode="auto") as client:
        async with client.listen(tools_list_changed=True) as sub:
            assert sub.honored.tools_list_changed, sub.honored
            ok("subscriptions/listen accepts tools_list_changed")
            async with httpx2.AsyncClient() as http:
                body = {
                    "name": name,
                    "description": "Current weather for a city",
                    "category": "weather",
                    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
                }
                r = await http.post(url_b.removesuffix("/mcp") + "/tools", json=body)
                assert r.status_code == 201, r.text
            with anyio.fail_after(20):
                event = await sub.__anext__()
            assert type(event).__name__ == "ToolsListChanged", event
            ok("registering a tool on replica B notifies tools/list_changed to a listener on replica A")
        tools, _ = await list_all(client)
        assert name in {t.name for t in tools}, "the new tool is not listed"
        find = next(t for t in tools if t.name == "find_tool")
        assert "weather" in (find.description or ""), find.description
        ok("the new tool and its category are listed after the change")


async def search_exposure(url: str) -> None:
    async with Client(url, mode="auto") as client:
        tools, _ = await list_all(client)
        assert {t.name for t in tools} == {"find_tool", "call_tool"}, [t.name for t in tools]
        ok("search exposure lists only find_tool and call_tool")
        r = await client.call_tool("call_tool", {"name": "string_utils", "arguments": {"operation": "upper", "text": "abc"}})
        assert not r.is_error, text_of(r)
        assert "ABC" in text_of(r), text_of(r)
        ok("call_tool runs a registry tool by name")
        r = await client.call_tool("call_tool", {"name": "no_such_tool", "arguments": {}})
        assert r.is_error and "find_tool" in text_of(r), text_of(r)
        ok("call_tool with an unknown name is an isError result pointing at find_tool")


async def security(url: str) -> None:
    init = {
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    # One client, so refused requests and the next one share a keep-alive connection.
    headers = {"Accept": "application/json, text/event-stream"}
    async with httpx2.AsyncClient() as http:
        r = await http.post(url, json=init, headers={**headers, "Origin": "https://evil.example"})
        assert r.status_code == 403, (r.status_code, r.text)
        ok("a request from a browser origin not in MCP_ALLOWED_ORIGINS is refused (403)")
        r = await http.post(url, json=init, headers={**headers, "Host": "attacker.example"})
        assert r.status_code == 403, (r.status_code, r.text)
        ok("a Host not in MCP_ALLOWED_HOSTS is refused (403)")
        r = await http.post(url, json=init, headers=headers)
        assert r.status_code == 200, (r.status_code, r.text)
        ok("the same client is answered normally right after the refusals")
        r = await http.post(url, content=b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"' + b"a" * 2_000_000 + b'"}}',
                            headers={**headers, "Content-Type": "application/json"})
        assert r.status_code == 413, (r.status_code, r.text[:200])
        ok("a body over MCP_MAX_BODY_BYTES is refused (413)")


async def main(url_a: str, url_b: str, url_search: str) -> None:
    await handshake(url_a)
    await auto(url_b)
    await alternating(url_a, url_b, "legacy")
    await alternating(url_a, url_b, "auto")
    await list_changed(url_a, url_b)
    await search_exposure(url_search)
    await security(url_a)


if __name__ == "__main__":
    anyio.run(main, *sys.argv[1:4])
