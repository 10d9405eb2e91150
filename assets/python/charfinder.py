# The character finder on one asyncio loop: asyncio.start_server runs a
# coroutine per connection, over a line protocol (nc 127.0.0.1 PORT, then
# cat face) and over HTTP (/?q=cat+face, /json?q=cat+face). concur then
# loads it with its crowd of clients, measuring this process from outside.
import asyncio
import bisect
import html
import json
import socket
import time
import unicodedata
import urllib.parse

import concur_lane as lane

BLOCK = lane.args["block_ms"] / 1000  # f: one handler sleeps, blocking
MAX_ROWS = 500
PROMPT = b"?> "


class Finder:
    def __init__(self, path: str):
        # concur's table of names, so both languages give the same answers
        # (this Python's unicodedata may know an older Unicode).
        self.names, self.index = {}, {}
        with open(path, encoding="utf-8") as table:
            for line in table:  # "1F431 CAT FACE", in rising order
                code, name = line.rstrip("\n").split(" ", 1)
                cp = int(code, 16)
                self.names[cp] = name
                for word in name.split():
                    self.index.setdefault(word, []).append(cp)
        self.conns, self.first_of_load, self.clients = 0, None, set()

    def find(self, query: str) -> list[int]:
        """The code points whose name has every word of `query`."""
        lists = sorted((self.index.get(w.upper(), []) for w in query.split()), key=len)
        if not lists:
            return []
        first, *rest = lists
        return [cp for cp in first if all(has(other, cp) for other in rest)]

    def rows(self, query: str) -> tuple[list[str], int]:
        found = self.find(query)
        return [f"U+{cp:04X}  {chr(cp)}  {self.names[cp]}" for cp in found[:MAX_ROWS]], len(found)

    def reply(self, query: str) -> tuple[bytes, int]:
        """The rows for one line, then the prompt again; and how many matched."""
        rows, found = self.rows(query)
        if found > len(rows):
            rows.append(f"… +{found - len(rows)}")
        return "".join(r + "\r\n" for r in rows).encode() + PROMPT, found

    async def serve_line(self, reader, writer) -> None:
        """Prompt, await a line, answer, until the client goes."""
        self.conns += 1
        if self.first_of_load is None and lane.heard("load_starts"):
            self.first_of_load = self.conns  # the load's first client comes alone
        slow = BLOCK > 0 and self.conns == self.first_of_load
        people = not lane.heard("load_starts") or lane.heard("load_ends")
        peer = "{}:{}".format(*writer.get_extra_info("peername")[:2])
        self.clients.add(writer)
        try:
            writer.write(PROMPT)
            while line := await reader.readline():
                try:
                    query = line.decode().rstrip("\r\n")
                except UnicodeDecodeError:
                    break
                if query[:1] and query[0] < " ":  # Ctrl-D, a control character
                    break
                query = query.strip()
                if slow:
                    lane.sleep(BLOCK)  # time.sleep(): the loop's only thread waits
                answer, found = self.reply(query)
                writer.write(answer)
                await writer.drain()
                if people and query:  # the load's queries are not logged
                    lane.log("query", peer=peer, query=query, found=found)
        except (OSError, ValueError):  # reset; a line over the reader's limit
            pass
        finally:
            self.clients.discard(writer)
            writer.close()

    async def serve_http(self, reader, writer) -> None:
        """Read the request's head, answer, close."""
        self.clients.add(writer)
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            request = head.split(b"\r\n", 1)[0].decode("latin-1")  # GET /?q=.. HTTP/1.1
            method, target, _ = request.split(" ", 2)
            url = urllib.parse.urlsplit(target)
            asked = urllib.parse.parse_qs(url.query, keep_blank_values=True).get("q")
            query = asked[0] if asked else ""
            peer = "{}:{}".format(*writer.get_extra_info("peername")[:2])
            lane.log(lane.same(f"{peer} HTTP {request}" + (f" ({query})" if asked else "")))
            writer.write(self.http_answer(method, url.path, query))
            await writer.drain()
        except (OSError, ValueError, EOFError, asyncio.TimeoutError, asyncio.LimitOverrunError):
            pass
        finally:
            self.clients.discard(writer)
            writer.close()

    def http_answer(self, method: str, path: str, query: str) -> bytes:
        if method not in ("GET", "HEAD"):
            return response("405 Method Not Allowed", "text/plain", b"GET only\n")
        if path == "/json":
            rows, found = self.rows(query)
            chars = [dict(zip(("code", "char", "name"), r.split("  ", 2))) for r in rows]
            answer = {"query": query, "found": found, "chars": chars}
            body = json.dumps(answer, ensure_ascii=False) + "\n"
            return response("200 OK", "application/json", body.encode(), method)
        if path == "/":
            return response("200 OK", "text/html", self.page(query).encode(), method)
        return response("404 Not Found", "text/plain", b"no such page\n", method)

    def page(self, query: str) -> str:
        q = html.escape(query.strip())
        out = [f'<!doctype html><meta charset="utf-8"><title>charfinder</title>\n'
               f'<form><input name="q" value="{q}" autofocus> <button>find · 查找</button></form>']
        if q:
            rows, found = self.rows(query)
            out.append(f"<p>{found} found · 找到 {found} 个</p><table>")
            out += ["<tr><td>" + "</td><td>".join(map(html.escape, r.split("  ", 2))) + "</td></tr>"
                    for r in rows]
            out.append("</table>")
        return "\n".join(out) + "\n"

    def hang_up(self) -> None:
        for writer in list(self.clients):  # so wait_closed() can end
            writer.close()


def has(ordered: list[int], cp: int) -> bool:
    i = bisect.bisect_left(ordered, cp)
    return i < len(ordered) and ordered[i] == cp


def response(status: str, kind: str, body: bytes, method: str = "GET") -> bytes:
    head = (f"HTTP/1.1 {status}\r\nContent-Type: {kind}; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode() + (body if method == "GET" else b"")


async def main() -> None:
    t0 = time.perf_counter()
    finder = Finder(f"{lane.args['tmp']}/names.txt")
    ms = (time.perf_counter() - t0) * 1000
    lane.log("index", chars=len(finder.names), words=len(finder.index), ms=f"{ms:.0f}")
    older = sum(unicodedata.name(chr(cp), None) is None for cp in finder.names)
    lane.log("unicode", version=unicodedata.unidata_version, n=older)
    servers = []
    for protocol, handler in (("line", finder.serve_line), ("http", finder.serve_http)):
        # Bound here, not by start_server(host=...): that would resolve the
        # host on a thread of the loop's default executor.
        sock = socket.create_server(("127.0.0.1", 0), backlog=1024)
        server = await asyncio.start_server(handler, sock=sock)
        servers.append(server)
        lane.serving(protocol, sock.getsockname())
    try:
        lane.at()
        await asyncio.Event().wait()  # serve until interrupted
    except asyncio.CancelledError:
        lane.log("interrupted")
    finally:
        finder.hang_up()
        for server in servers:
            server.close()
            await server.wait_closed()
    lane.log("closed")


if __name__ == "__main__":
    lane.run(main(), probe=False)
