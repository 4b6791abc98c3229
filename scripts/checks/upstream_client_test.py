"""The README's upstream example, end to end: an agent with the official MCP Python SDK client
connects to toolbox's /mcp, finds a tool of the upstream "everything" server by describing it,
and calls it through toolbox.

    python upstream_client_test.py http://127.0.0.1:PORT/mcp
"""

import asyncio
import json
import sys

import mcp


async def main(url: str) -> None:
    async with mcp.Client(url) as client:
        listed = await client.list_tools()
        names = [t.name for t in listed.tools]
        assert "everything__get-sum" in names, names
        found = await client.call_tool("find_tool", {"query": "add up two numbers", "limit": 3})
        assert not found.is_error, found
        hits = found.structured_content["tools"]
        assert hits[0]["name"] == "everything__get-sum", hits
        assert hits[0]["upstream"] == {"server": "everything", "status": "healthy"}, hits[0]
        called = await client.call_tool("everything__get-sum", {"a": 2, "b": 3})
        assert not called.is_error, called
        text = json.dumps(called.structured_content or [c.model_dump() for c in called.content])
        assert "5" in text, text
        print(f"upstream check: found and called everything__get-sum through toolbox ({text[:80]})")


asyncio.run(main(sys.argv[1]))
