"""Driving one target with wrk: a Lua script per target, the figures read back as JSON.

wrk is a C load generator (one event loop per thread): on this machine it sends several times what
the bare Nameko endpoint can answer, so the endpoint is what is measured, not the clients (bench/README.md).
Each target is a list of requests; every connection takes the next one in turn (``order="cycle"``) or
one at random (``order="random"``, for the mix). The script counts answers per status and per
``X-Cache`` value and prints one line ``WRKJSON {...}`` when wrk is done.
"""

import json
import os
import resource
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field

MARK = "WRKJSON "

LUA = r"""
local requests = {%(requests)s}
local order = "%(order)s"
local counter = 0
statuses = {}
caches = {}
local threads = {}

function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end

function init(args)
  counter = offset or 0
  math.randomseed(1000 + counter)
end

function request()
  if order == "random" then
    return requests[math.random(#requests)]
  end
  counter = counter + %(stride)d
  return requests[(counter %% #requests) + 1]
end

function response(status, headers, body)
  local s = tostring(status)
  statuses[s] = (statuses[s] or 0) + 1
  local c = headers["X-Cache"] or "none"
  caches[c] = (caches[c] or 0) + 1
end

local function merge(into, from)
  for k, v in pairs(from) do into[k] = (into[k] or 0) + v end
end

local function encode(t)
  local parts = {}
  for k, v in pairs(t) do table.insert(parts, string.format('"%%s":%%d', k, v)) end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local all_statuses, all_caches = {}, {}
  for _, thread in ipairs(threads) do
    merge(all_statuses, thread:get("statuses"))
    merge(all_caches, thread:get("caches"))
  end
  local e = summary.errors
  io.write(string.format(
    '%(mark)s{"requests":%%d,"duration_us":%%d,"connect_errors":%%d,"read_errors":%%d,"write_errors":%%d,' ..
    '"status_errors":%%d,"timeouts":%%d,"p50_us":%%d,"p90_us":%%d,"p99_us":%%d,"max_us":%%d,' ..
    '"statuses":%%s,"x_cache":%%s}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    encode(all_statuses), encode(all_caches)))
end
"""


@dataclass
class Request:
    method: str
    path: str
    headers: dict = field(default_factory=dict)
    body: object = None  # JSON

    def lua(self):
        headers = dict(self.headers)
        body = "nil"
        if self.body is not None:
            headers["Content-Type"] = "application/json"
            body = lua_string(json.dumps(self.body))
        pairs = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
        return f"wrk.format({lua_string(self.method)}, {lua_string(self.path)}, {{{pairs}}}, {body})"


def lua_string(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def script(requests, order="cycle", threads=2):
    return LUA % {
        "requests": ",\n".join(request.lua() for request in requests),
        "order": order,
        "stride": threads,
        "mark": MARK,
    }


def executable():
    path = shutil.which("wrk")
    if path is None:
        raise RuntimeError("wrk is not installed: run scripts/ensure-wrk.sh (make bench does)")
    return path


def run(base_url, requests, seconds, connections, threads=2, order="cycle", timeout=30):
    """wrk's figures for ``seconds`` of ``requests``: a dict, with ``wrk_cpu_seconds`` (the generator's own)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script(requests, order, threads))
        path = handle.name
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        completed = subprocess.run(
            [
                executable(),
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                f"--timeout={timeout}s",
                "-s",
                path,
                base_url,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + timeout + 30,
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        os.unlink(path)
    line = next((line for line in completed.stdout.splitlines() if line.startswith(MARK)), None)
    if completed.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr or completed.stdout}")
    figures = json.loads(line[len(MARK) :])
    figures["wrk_cpu_seconds"] = round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 3)
    return figures
