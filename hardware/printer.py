"""Ticket printers: where the ESC/POS bytes of a slip go, and whether the printer can take them.

    printer = open_printer("net:192.168.1.50:9100")
    printer.status()          # "ok", "offline" or "no_paper"
    printer.send(slip_bytes)  # raises PrinterError (with .status) when it cannot print

Specs (the kiosk's ``printer`` key, or ``--printer``):

- ``usb:VID:PID`` (``usb:0x0416:0x5011``; needs pyusb), ``serial:/dev/ttyUSB0[:baud]`` (needs
  pyserial), ``net:HOST[:PORT]`` (port 9100 by default),
- ``file:PATH``: append each slip's bytes to PATH (tests, or ``/dev/usb/lp0``),
- ``memory``: kept in memory (tests), its status set by the test.

A slip is rendered to bytes first (:mod:`hardware.ticket`) and sent in one write, so a printer
that fails never gets half of a ticket from us. Status uses the real-time status requests
(DLE EOT 1 and 4) where the printer answers them; a printer that does not answer them but
accepts the connection counts as ``ok``.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from antrian.config import ConfigError

log = logging.getLogger(__name__)

OK, OFFLINE, NO_PAPER = "ok", "offline", "no_paper"
STATUS_TEXT = {  # what the visitor and staff read
    OFFLINE: "printer tidak terhubung",
    NO_PAPER: "kertas printer habis",
}


class PrinterError(RuntimeError):
    """The printer cannot print now; ``status`` says why (``offline`` or ``no_paper``)."""

    def __init__(self, status: str, detail: str = ""):
        super().__init__(f"{STATUS_TEXT.get(status, status)}{': ' + detail if detail else ''}")
        self.status = status


class MemoryPrinter:
    """Keeps slips in memory; a test sets ``state`` to make it fail like a real one."""

    name = "memory"

    def __init__(self):
        self.slips: list[bytes] = []
        self.state = OK
        self.paper_low = False
        self.lock = threading.Lock()

    def status(self) -> str:
        return self.state

    def send(self, data: bytes) -> None:
        with self.lock:
            if self.state != OK:
                raise PrinterError(self.state)
            self.slips.append(data)

    def close(self) -> None:
        pass


class FilePrinter:
    """Appends each slip to a file (``--printer file:PATH``)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.name = f"file:{self.path}"
        self.paper_low = False

    def status(self) -> str:
        target = self.path if self.path.exists() else self.path.parent
        return OK if target.exists() and os.access(target, os.W_OK) else OFFLINE

    def send(self, data: bytes) -> None:
        try:
            with self.path.open("ab") as f:
                f.write(data)
                f.flush()
        except OSError as e:
            raise PrinterError(OFFLINE, str(e)) from None

    def close(self) -> None:
        pass


class EscposPrinter:
    """A python-escpos device (USB, serial, network), opened when needed and reopened after a
    failure (a printer unplugged and plugged back in works again without a restart)."""

    def __init__(self, name: str, factory):
        self.name = name
        self.factory = factory       # () -> escpos printer object, not yet opened
        self.device = None
        self.paper_low = False

    def _open(self):
        if self.device is None:
            dev = self.factory()
            dev.open()
            self.device = dev
        return self.device

    def _drop(self) -> None:
        if self.device is not None:
            try:
                self.device.close()
            except Exception:
                pass
            self.device = None

    def status(self) -> str:
        # A connection kept open since the last ticket may have gone stale (the printer was
        # switched off and on, a network blip): one failure earns one fresh attempt.
        fresh = self.device is None
        result = self._status()
        if result == OFFLINE and not fresh:
            result = self._status()
        return result

    def _status(self) -> str:
        try:
            dev = self._open()
        except Exception as e:
            log.info("printer %s: cannot open: %s", self.name, e)
            self._drop()
            return OFFLINE
        try:
            if not dev.is_online():
                return OFFLINE
            paper = dev.paper_status()
        except (NotImplementedError, TimeoutError) as e:
            log.debug("printer %s answers no status request (%s): assuming ok", self.name, e)
            return OK
        except Exception as e:
            if type(e).__name__.endswith("TimeoutError"):   # pyusb's USBTimeoutError
                return OK
            log.info("printer %s: status failed: %s", self.name, e)
            self._drop()
            return OFFLINE
        self.paper_low = paper == 1
        return NO_PAPER if paper == 0 else OK

    def send(self, data: bytes) -> None:
        fresh = self.device is None
        try:
            self._open()._raw(data)
            return
        except Exception as e:
            self._drop()
            if fresh:
                raise PrinterError(OFFLINE, str(e)) from None
            log.info("printer %s: write failed on the open connection (%s); reconnecting",
                     self.name, e)
        try:       # a stale connection refuses at once, before anything reached the paper
            self._open()._raw(data)
        except Exception as e:
            self._drop()
            raise PrinterError(OFFLINE, str(e)) from None

    def close(self) -> None:
        self._drop()


def _int(text: str, where: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise ConfigError(f"{where}: {text!r} is not a number") from None


def open_printer(spec: str, *, profile: str | None = None, where: str = "printer"):
    """Build the printer a spec names (nothing is opened yet); errors name ``where``."""
    kind, _, rest = spec.partition(":")
    if kind == "memory":
        return MemoryPrinter()
    if kind == "file":
        if not rest:
            raise ConfigError(f"{where}: file: needs a path (file:/tmp/tickets.bin)")
        return FilePrinter(rest)
    if kind == "net":
        host, _, port = rest.partition(":")
        if not host:
            raise ConfigError(f"{where}: net: needs a host (net:192.168.1.50[:9100])")
        port_no = _int(port, where) if port else 9100
        from escpos.printer import Network
        return EscposPrinter(spec, lambda: Network(host, port_no, timeout=3, profile=profile))
    if kind == "usb":
        parts = rest.split(":")
        if len(parts) != 2:
            raise ConfigError(f"{where}: usb: needs vendor and product ids (usb:0x0416:0x5011)")
        vid, pid = (_int(p, where) for p in parts)
        from escpos.printer import Usb
        if not Usb.is_usable():
            raise ConfigError(f"{where}: USB printers need pyusb (pip install pyusb)")
        return EscposPrinter(spec, lambda: Usb(vid, pid, timeout=2000, profile=profile))
    if kind == "serial":
        dev, _, baud = rest.partition(":")
        if not dev:
            raise ConfigError(f"{where}: serial: needs a device (serial:/dev/ttyUSB0[:9600])")
        rate = _int(baud, where) if baud else 9600
        from escpos.printer import Serial
        if not Serial.is_usable():
            raise ConfigError(f"{where}: serial printers need pyserial (pip install pyserial)")
        return EscposPrinter(spec, lambda: Serial(dev, baudrate=rate, timeout=2, profile=profile))
    raise ConfigError(f"{where}: unknown printer {spec!r}; use usb:VID:PID, serial:DEVICE[:BAUD], "
                      "net:HOST[:PORT] or file:PATH")
