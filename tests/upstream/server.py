"""An upstream MCP server for toolbox's tests, built on the official MCP Python SDK (mcp 2.x,
low-level `Server`) and served over Streamable HTTP.

    python tests/upstream/server.py PORT TOOLS.json [REQUIRED_HEADER=VALUE]

TOOLS.json is a list of tools: {"name", "description", "inputSchema", "outputSchema"?,
"title"?, "annotations"?, "behaviour"?: "echo" | "fail" | "sleep"}. The test changes the set
at runtime with `POST /control/tools` (same list as the body), which also announces
`notifications/tools/list_changed`: to `subscriptions/listen` streams (2026-07-28) and to every
handshake-era session that listed tools. With REQUIRED_HEADER set, every
MCP request without that header and value is answered 401 (so a test can tell whether the
header reached the upstream). `GET /control/seen` returns the tools/call requests received.
"""

import asyncio
import json
import sys

import mcp_types as types
import uvicorn
from mcp.server.lowlevel import Server
from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler, ToolsListChanged
from starlette.responses import JSONResponse
from starlette.routing import Route

PORT = int(sys.argv[1])
TOOLS: list[dict] = json.load(open(sys.argv[2]))
REQUIRED = sys.argv[3].split("=", 1) if len(sys.argv) > 3 else None
SEEN: list[dict] = []
BUS = InMemorySubscriptionBus()
CONNECTIONS: list = []


def as_tool(t: dict) -> types.Tool:
    fields = {k: t[k] for k in ("name", "description", "title") if k in t}
    fields["input_schema"] = t["inputSchema"]
    if "outputSchema" in t:
        fields["output_schema"] = t["outputSchema"]
    if "annotations" in t:
        fields["annotations"] = types.ToolAnnotations(**t["annotations"])
    return types.Tool(**fields)


async def list_tools(ctx, params) -> types.ListToolsResult:
    if ctx.session not in CONNECTIONS:
        CONNECTIONS.append(ctx.session)
    # Two tools a page, so the client must follow `nextCursor`.
    start = int(params.cursor) if params and params.cursor else 0
    page = TOOLS[start : start + 2]
    more = start + 2 < len(TOOLS)
    return types.ListToolsResult(
        tools=[as_tool(t) for t in page], next_cursor=str(start + 2) if more else None
    )


async def call_tool(ctx, params) -> types.CallToolResult:
    args = params.arguments or {}
    SEEN.append({"name": params.name, "arguments": args})
    tool = next((t for t in TOOLS if t["name"] == params.name), None)
    if tool is None:
        return types.CallToolResult(
            content=[types.TextContent(text=f"unknown tool {params.name}")], is_error=True
        )
    behaviour = tool.get("behaviour", "echo")
    if behaviour == "fail":
        return types.CallToolResult(
            content=[types.TextContent(text="the upstream tool failed on purpose")],
            is_error=True,
        )
    if behaviour == "sleep":
        await asyncio.sleep(float(args.get("seconds", 10)))
    result = {"tool": params.name, "echo": args}
    structured = result if "outputSchema" in tool else None
    return types.CallToolResult(
        content=[types.TextContent(text=json.dumps(result))], structured_content=structured
    )


server = Server(
    "toolbox-test-upstream",
    on_list_tools=list_tools,
    on_call_tool=call_tool,
    on_subscriptions_listen=ListenHandler(BUS),
)


async def set_tools(request):
    global TOOLS
    TOOLS = await request.json()
    if request.query_params.get("announce") == "1":
        await BUS.publish(ToolsListChanged())
        for conn in list(CONNECTIONS):
            try:
                await conn.send_tool_list_changed()
            except Exception:  # a closed session: the others still hear
                CONNECTIONS.remove(conn)
    return JSONResponse({"tools": len(TOOLS)})


async def seen(request):
    return JSONResponse(SEEN)


app = server.streamable_http_app(
    custom_starlette_routes=[
        Route("/control/tools", set_tools, methods=["POST"]),
        Route("/control/seen", seen, methods=["GET"]),
    ]
)


class RequireHeader:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if REQUIRED and scope["type"] == "http" and scope["path"].startswith("/mcp"):
            want = (REQUIRED[0].lower().encode(), REQUIRED[1].encode())
            if want not in scope["headers"]:
                await JSONResponse({"error": "missing header"}, status_code=401)(scope, receive, send)
                return
        await self.inner(scope, receive, send)


if __name__ == "__main__":
    uvicorn.run(RequireHeader(app), host="127.0.0.1", port=PORT, log_level="warning")
