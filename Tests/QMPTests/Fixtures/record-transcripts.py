#!/usr/bin/env python3
"""Records real QMP conversations with this machine's QEMU into JSON fixtures.

Each fixture is a list of {"from": "qemu"|"client", "text": ...}: the exact bytes QEMU sent,
chunk by chunk as they were read, and what the client sent. The Swift tests replay them over
socket pairs. Run from this folder: ./record-transcripts.py
"""
import json, os, socket, subprocess, tempfile, time

def launch(extra=()):
    d = tempfile.mkdtemp(prefix="qmprec.")
    path = os.path.join(d, "qmp.sock")
    qemu = subprocess.Popen(["qemu-system-x86_64", "-S", "-display", "none", "-accel", "tcg",
                             "-m", "32", "-device", "pvpanic",
                             "-qmp", f"unix:{path},server=on,wait=on", *extra],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        if os.path.exists(path):
            break
        time.sleep(0.05)
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    return qemu, s

class Recorder:
    def __init__(self, sock):
        self.sock, self.log = sock, []
    def read_until(self, predicate, timeout=10):
        self.sock.settimeout(timeout)
        buf = ""
        while not predicate(buf):
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                # Seen after quit: QEMU closes with our last bytes unread, and the kernel resets.
                self.log.append({"from": "qemu", "text": "", "eof": True, "reset": True})
                return buf
            if not chunk:
                self.log.append({"from": "qemu", "text": "", "eof": True})
                return buf
            text = chunk.decode()
            self.log.append({"from": "qemu", "text": text})
            buf += text
        return buf
    def send(self, text):
        self.log.append({"from": "client", "text": text})
        self.sock.sendall(text.encode())

def cmd(execute, id, arguments=None):
    m = {"execute": execute, "id": id}
    if arguments is not None:
        m["arguments"] = arguments
    return json.dumps(m, separators=(",", ":"), sort_keys=True) + "\n"

def has_reply(id):
    return lambda buf: any(json.loads(l).get("id") == id for l in buf.splitlines() if l.strip())

def has_event(name):
    return lambda buf: any(json.loads(l).get("event") == name for l in buf.splitlines() if l.strip())

def session():
    """Greeting, negotiation, a refused command, stop/cont/system_reset events, then quit."""
    qemu, s = launch()
    r = Recorder(s)
    r.read_until(lambda b: b.endswith("\r\n"))
    r.send(cmd("qmp_capabilities", 1)); r.read_until(has_reply(1))
    r.send(cmd("query-status", 2)); r.read_until(has_reply(2))
    r.send(cmd("no-such-command", 3)); r.read_until(has_reply(3))
    r.send(cmd("cont", 4)); r.read_until(lambda b: has_reply(4)(b) and has_event("RESUME")(b))
    r.send(cmd("stop", 5)); r.read_until(lambda b: has_reply(5)(b) and has_event("STOP")(b))
    r.send(cmd("system_reset", 6)); r.read_until(lambda b: has_reply(6)(b) and has_event("RESET")(b))
    r.send(cmd("query-status", 7)); r.read_until(has_reply(7))
    r.send(cmd("quit", 8)); r.read_until(lambda b: False)
    qemu.wait()
    return r.log

def unparsable():
    """Text QEMU cannot parse earns an error without an id."""
    qemu, s = launch()
    r = Recorder(s)
    r.read_until(lambda b: b.endswith("\r\n"))
    r.send(cmd("qmp_capabilities", 1)); r.read_until(has_reply(1))
    r.send("{\"execute\": \n}\n"); r.read_until(lambda b: "error" in b)
    r.send(cmd("quit", 2)); r.read_until(lambda b: False)
    qemu.wait()
    return r.log

def killed():
    """QEMU killed by a signal mid-session: the socket just ends."""
    qemu, s = launch()
    r = Recorder(s)
    r.read_until(lambda b: b.endswith("\r\n"))
    r.send(cmd("qmp_capabilities", 1)); r.read_until(has_reply(1))
    r.send(cmd("cont", 2)); r.read_until(lambda b: has_reply(2)(b) and has_event("RESUME")(b))
    qemu.kill()
    r.read_until(lambda b: False)
    qemu.wait()
    return r.log

for name, fn in [("session", session), ("unparsable", unparsable), ("killed", killed)]:
    with open(f"qmp-{name}.json", "w") as f:
        json.dump(fn(), f, indent=1)
        f.write("\n")
    print("recorded", name)
