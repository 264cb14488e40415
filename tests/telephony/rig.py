"""A real SIP rig for the telephony tests: Kamailio (deploy/telephony/, the configuration Angeli ships) and baresip
phones, inside a private network namespace the rig creates, so that SIP and RTP never leave the machine.

    rig = Rig.create(tmp_path)            # ip netns add angeli-<random>, a veth pair, 10.x addresses
    rig.start_kamailio(angeli_url, secret)  # Angeli must listen on rig.host_address (the veth end outside)
    alice = rig.phone("alice")             # baresip, registered as sip:alice@<domain>, driven over ctrl_tcp
    alice.dial("helpline"); alice.wait("CALL_ESTABLISHED")

Nothing is skipped: the tests run as root (CI is), and when `ip netns` or a package is missing the fixture fails
with the exact error (issue 19: mark the issue blocked with that error rather than faking the rig).

Layout: the namespace holds one veth end (rig.address, e.g. 10.213.7.2) where Kamailio and every phone listen;
the other end stays outside (rig.host_address, 10.213.7.1) where the test's HTTP server (the stand-in or Angeli
itself) listens, reached by Kamailio's http_client through the veth. The test process talks to each phone's
ctrl_tcp port on rig.address through the same veth. Phones talk RTP to each other on rig.address, inside the
namespace.

Audio: every phone's source is an 8 kHz 16-bit PCM tone (aufile reads only 16-bit PCM WAV) and its player is
aubridge (no sound card). Whether audio flowed is read from baresip's own counters: `Phone.rtp_received()` parses
the "callstat" command's RTP receive statistics of the call in progress.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import shutil
import socket
import subprocess
import threading
import time
import wave
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TELEPHONY = ROOT / "deploy" / "telephony"
BARESIP_MODULES = Path("/usr/lib/baresip/modules")


class RigError(AssertionError):
    """The rig could not be built: the message holds the exact command and its error."""


def run(argv: list[str], *, env: dict[str, str] | None = None, timeout: float = 60) -> str:
    """Run a command; its exact error becomes a RigError (a failure, never a skip)."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise RigError(f"{' '.join(argv)}: {error}") from error
    if done.returncode != 0:
        raise RigError(f"{' '.join(argv)} exited {done.returncode}: {(done.stderr or done.stdout).strip()}")
    return done.stdout


def install_packages() -> None:
    """Kamailio and baresip from Debian, when missing (deploy/telephony/install.sh)."""
    run(["bash", str(TELEPHONY / "install.sh")], timeout=900)


def tone_wav(path: Path, seconds: int = 120, hertz: int = 400) -> Path:
    """An 8 kHz mono 16-bit PCM sine tone: what baresip's aufile source can read. Long, because baresip ends the
    call when its source file ends."""
    rate = 8000
    period = rate // math.gcd(rate, hertz)  # samples in a whole number of cycles (20 for 400 Hz)
    cycle = b"".join(int(12000 * math.sin(2 * math.pi * hertz * n / rate)).to_bytes(2, "little", signed=True)
                     for n in range(period))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(cycle * (seconds * rate // period))
    return path


def _free_subnet() -> tuple[str, str]:
    """Two addresses of an unused 10.x.y.0/30 (the outside end, the namespace's end)."""
    taken = run(["ip", "-4", "-o", "addr", "show"])
    for _ in range(100):
        second, third = secrets.randbelow(40) + 200, secrets.randbelow(250) + 1
        prefix = f"10.{second}.{third}."
        if f" {prefix}" not in taken:
            return prefix + "1", prefix + "2"
    raise RigError("no free 10.x.y.0/30 subnet found for the rig")


@dataclass
class Event:
    type: str
    data: dict[str, Any]
    at: float  # time.time() when the rig read it
    monotonic: float


class Phone:
    """One baresip user agent, driven through ctrl_tcp (netstring-framed JSON)."""

    def __init__(self, rig: Rig, user: str, *, sip_port: int, ctrl_port: int, answermode: str,
                 home: Path) -> None:
        self.rig, self.user, self.sip_port, self.ctrl_port = rig, user, sip_port, ctrl_port
        self.home = home
        self.uri = f"sip:{user}@{rig.domain}"
        self.events: list[Event] = []
        self._responses: dict[str, dict[str, Any]] = {}
        self._changed = threading.Condition()
        self._tokens = 0
        home.mkdir(parents=True, exist_ok=True)
        wav = tone_wav(home / "tone.wav")
        (home / "config").write_text("\n".join([
            f"sip_listen\t\t{rig.address}:{sip_port}",
            f"net_interface\t\t{rig.inner_link}",
            "call_max_calls\t\t4",
            f"module_path\t\t{BARESIP_MODULES}",
            "module\t\t\tg711.so",
            "module\t\t\taufile.so",
            "module\t\t\taubridge.so",
            "module_app\t\taccount.so",
            "module_app\t\tmenu.so",
            "module_app\t\tctrl_tcp.so",
            f"ctrl_tcp_listen\t\t{rig.address}:{ctrl_port}",
            f"audio_source\t\taufile,{wav}",
            f"audio_player\t\taubridge,{user}",
            f"audio_alert\t\taubridge,{user}-alert",
            "rtp_stats\t\tyes",
            "rtp_timeout\t\t0",
            "",
        ]))
        (home / "accounts").write_text(
            f'<sip:{user}@{rig.domain}>;regint=60;outbound="sip:{rig.address}:{rig.sip_port}";'
            f"answermode={answermode};audio_codecs=PCMU;ptime=20\n")
        self._log = open(home / "baresip.log", "wb")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(rig.inside(["baresip", "-f", str(home)]), stdin=subprocess.DEVNULL,
                                        stdout=self._log, stderr=subprocess.STDOUT)
        self._socket = self._connect()
        self._reader = threading.Thread(target=self._read, name=f"baresip-{user}", daemon=True)
        self._reader.start()

    # --- control connection -------------------------------------------------------------------
    def _connect(self) -> socket.socket:
        deadline = time.monotonic() + 15
        while True:
            if self.process.poll() is not None:
                raise RigError(f"baresip for {self.user} exited {self.process.returncode}: {self.log()[-2000:]}")
            try:
                return socket.create_connection((self.rig.address, self.ctrl_port), timeout=1)
            except OSError as error:
                if time.monotonic() > deadline:
                    raise RigError(f"baresip for {self.user}: no ctrl_tcp on {self.rig.address}:{self.ctrl_port}"
                                   f" ({error}): {self.log()[-2000:]}") from error
                time.sleep(0.1)

    def _read(self) -> None:
        buffer = b""
        self._socket.settimeout(None)
        while True:
            try:
                chunk = self._socket.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while b":" in buffer:
                length_text, rest = buffer.split(b":", 1)
                length = int(length_text)
                if len(rest) < length + 1:
                    break
                payload, buffer = rest[:length], rest[length + 1:]  # the netstring's trailing ","
                message = json.loads(payload)
                with self._changed:
                    if message.get("event"):
                        self.events.append(Event(str(message.get("type")), message, time.time(), time.monotonic()))
                    elif message.get("response"):
                        self._responses[str(message.get("token"))] = message
                    self._changed.notify_all()

    def command(self, command: str, params: str = "", timeout: float = 5) -> dict[str, Any]:
        """Send a baresip command; its response ({"ok", "data"})."""
        self._tokens += 1
        token = f"{self.user}-{self._tokens}"
        payload = json.dumps({"command": command, "params": params, "token": token}).encode()
        self._socket.sendall(str(len(payload)).encode() + b":" + payload + b",")
        with self._changed:
            if not self._changed.wait_for(lambda: token in self._responses, timeout):
                raise AssertionError(f"{self.user}: no response to {command} {params} in {timeout}s")
            return self._responses.pop(token)

    # --- calls -----------------------------------------------------------------------------------
    def dial(self, user_or_uri: str) -> None:
        uri = user_or_uri if user_or_uri.startswith("sip:") else f"sip:{user_or_uri}@{self.rig.domain}"
        answer = self.command("dial", uri)
        assert answer.get("ok"), f"{self.user} could not dial {uri}: {answer}"

    def accept(self) -> None:
        answer = self.command("accept")
        assert answer.get("ok"), f"{self.user} could not accept: {answer}"

    def hangup(self) -> None:
        self.command("hangup")

    def wait(self, kind: str, timeout: float = 10, after: float = 0.0,
             where: Callable[[Event], bool] = lambda _event: True) -> Event:
        """The first event of that type read after `after` (a monotonic instant) and matching `where`."""
        def found() -> Event | None:
            return next((e for e in self.events if e.type == kind and e.monotonic >= after and where(e)), None)
        with self._changed:
            if not self._changed.wait_for(lambda: found() is not None, timeout):
                seen = [(e.type, e.data.get("param", "")) for e in self.events]
                raise AssertionError(f"{self.user}: no {kind} within {timeout}s; events: {seen}")
            event = found()
            assert event is not None
            return event

    def saw(self, kind: str, after: float = 0.0) -> bool:
        with self._changed:
            return any(e.type == kind and e.monotonic >= after for e in self.events)

    def rtp_received(self, after: float = 0.0, timeout: float = 8) -> int:
        """RTP packets this phone received on its call, as baresip's RTCP statistics count them (the first
        CALL_RTCP event after `after` with a non-zero receive count; baresip reports every ~5 s)."""
        def received(event: Event) -> bool:
            return int(event.data.get("rtcp_stats", {}).get("rx", {}).get("sent", 0)) > 0
        event = self.wait("CALL_RTCP", timeout, after=after, where=received)
        return int(event.data["rtcp_stats"]["rx"]["sent"])

    def registered(self, timeout: float = 10) -> None:
        """Wait until the phone's registration is accepted (the event may have come before the rig connected:
        then baresip's "reginfo" tells)."""
        deadline = time.monotonic() + timeout
        while not self.saw("REGISTER_OK"):
            info = re.sub(r"\x1b\[[0-9;]*m", "", str(self.command("reginfo").get("data", "")))
            if re.search(r"\bOK\b", info):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.user} did not register within {timeout}s: {info!r}\n{self.log()[-1500:]}")
            time.sleep(0.1)

    def log(self) -> str:
        with suppress(OSError):
            return (self.home / "baresip.log").read_text(errors="replace")
        return ""

    def stop(self) -> None:
        with suppress(OSError):
            self.command("quit", timeout=1)
        with suppress(OSError, AssertionError):
            self._socket.close()
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=3)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)
        self._log.close()


@dataclass
class Rig:
    namespace: str
    host_address: str  # the veth end outside the namespace: where the HTTP server listens
    address: str  # the veth end inside: Kamailio and the phones
    outer_link: str
    inner_link: str
    home: Path
    sip_port: int = 5060
    helpline: str = "helpline"
    phones: list[Phone] = field(default_factory=list)
    kamailio_env: dict[str, str] = field(default_factory=dict)
    _next_port: int = 5070

    @property
    def domain(self) -> str:
        return self.address

    @classmethod
    def create(cls, home: Path) -> Rig:
        """A new namespace with a veth pair; fails (RigError) with the exact error of the first command that
        does not work."""
        install_packages()
        for tool in ("kamailio", "baresip"):
            if shutil.which(tool) is None:
                raise RigError(f"{tool} not found after deploy/telephony/install.sh")
        tag = secrets.token_hex(3)
        outer, inner = _free_subnet()
        rig = cls(namespace=f"angeli-{tag}", host_address=outer, address=inner, outer_link=f"ao{tag}",
                  inner_link=f"ai{tag}", home=home)
        run(["ip", "netns", "add", rig.namespace])
        try:
            run(["ip", "link", "add", rig.outer_link, "type", "veth", "peer", "name", rig.inner_link])
            run(["ip", "link", "set", rig.inner_link, "netns", rig.namespace])
            run(["ip", "addr", "add", f"{outer}/30", "dev", rig.outer_link])
            run(["ip", "link", "set", rig.outer_link, "up"])
            run(rig.inside(["ip", "link", "set", "lo", "up"]))
            run(rig.inside(["ip", "addr", "add", f"{inner}/30", "dev", rig.inner_link]))
            run(rig.inside(["ip", "link", "set", rig.inner_link, "up"]))
            rig._wait_link()
        except BaseException:
            rig.destroy()
            raise
        return rig

    def _wait_link(self) -> None:
        deadline = time.monotonic() + 10
        while "LOWER_UP" not in run(self.inside(["ip", "link", "show", self.inner_link])):
            if time.monotonic() > deadline:
                raise RigError(f"veth {self.inner_link} did not come up")
            time.sleep(0.05)

    def inside(self, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.namespace, *argv]

    # --- Kamailio ------------------------------------------------------------------------------------
    def start_kamailio(self, angeli_url: str, secret: str, *, helpline: str = "helpline", number: str = "") -> None:
        self.helpline = helpline
        self.kamailio_env = {
            **os.environ, "ANGELI_SIP_LISTEN": self.address, "ANGELI_SIP_PORT": str(self.sip_port),
            "ANGELI_SIP_DOMAIN": self.domain, "ANGELI_SIP_ANGELI_URL": angeli_url,
            "ANGELI_TELEPHONY_SECRET": secret, "ANGELI_TELEPHONY_HELPLINE": helpline,
            "ANGELI_TELEPHONY_NUMBER": number, "ANGELI_SIP_RUN_DIR": str(self.home / "kamailio"),
            "ANGELI_SIP_CHILDREN": "8", "ANGELI_SIP_DEBUG": os.environ.get("ANGELI_SIP_DEBUG", "1"),
        }
        self.kamailio_env.pop("ANGELI_TELEPHONY_SECRET_FILE", None)
        run(self.inside(["bash", str(TELEPHONY / "start.sh")]), env=self.kamailio_env)

    def udp_datagrams(self) -> int:
        """UDP datagrams delivered to sockets inside the namespace so far (/proc/net/snmp, InDatagrams): read
        twice around a quiet second of a call, the difference is the RTP (and RTCP) that arrived."""
        lines = [line.split() for line in run(self.inside(["cat", "/proc/net/snmp"])).splitlines()
                 if line.startswith("Udp:")]
        header, values = lines[0], lines[1]
        return int(values[header.index("InDatagrams")])

    def kamailio_log(self) -> str:
        with suppress(OSError):
            return (self.home / "kamailio" / "kamailio.log").read_text(errors="replace")
        return ""

    def stop_kamailio(self) -> None:
        if self.kamailio_env:
            with suppress(RigError):
                run(["bash", str(TELEPHONY / "stop.sh")], env=self.kamailio_env)

    # --- phones -------------------------------------------------------------------------------------
    def phone(self, user: str, *, answermode: str = "manual", register: bool = True) -> Phone:
        """A baresip phone registered as sip:<user>@<domain> (a volunteer id, or a donor's number).
        answermode "manual": the test decides when it answers (accept()); "auto": it answers at once."""
        sip_port, ctrl_port = self._next_port, self._next_port + 2  # baresip also binds port+1 (TLS)
        self._next_port += 4
        phone = Phone(self, user, sip_port=sip_port, ctrl_port=ctrl_port, answermode=answermode,
                      home=self.home / "phones" / re.sub(r"[^A-Za-z0-9_-]", "_", user))
        self.phones.append(phone)
        if register:
            phone.registered()
        return phone

    def destroy(self) -> None:
        for phone in self.phones:
            with suppress(Exception):
                phone.stop()
        self.phones.clear()
        self.stop_kamailio()
        subprocess.run(["ip", "netns", "del", self.namespace], capture_output=True, check=False)
        subprocess.run(["ip", "link", "del", self.outer_link], capture_output=True, check=False)


@contextmanager
def sip_rig(home: Path) -> Iterator[Rig]:
    rig = Rig.create(home)
    try:
        yield rig
    finally:
        rig.destroy()
