"""The printer side of a :class:`hardware.kiosk.Kiosk`: status checks, printing a ticket's slip,
reprinting what was issued but not printed, the test slip of ``identify``.

A mixin, not a second object: it reads and sets the kiosk's own state (``printer_status``, the
pending count, ``ready_at``) on the kiosk's loop thread, exactly as when it lived in kiosk.py.
"""

from __future__ import annotations

import logging
from datetime import datetime

from hardware.kiosk_slip import build_slip, printable, ticket_url
from hardware.printer import NO_PAPER, OFFLINE, OK, STATUS_TEXT, PrinterError
from hardware.said import Said
from hardware.ticket import Slip, render, render_test

log = logging.getLogger("hardware.kiosk")     # the kiosk's log, as before the split

READY_TEXT = Said("Silakan pilih layanan", "Please choose a service")
# printer.STATUS_TEXT in English, for a touch screen switched to English (hardware.said)
STATUS_TEXT_EN = {OFFLINE: "the printer is not connected",
                  NO_PAPER: "the printer is out of paper"}


def printer_trouble(status: str) -> Said:
    return Said(STATUS_TEXT.get(status, "printer bermasalah"),
                STATUS_TEXT_EN.get(status, "the printer has a problem"))


class KioskPrinting:
    """Printing for a kiosk (its ``printer``, ``store``, ``feedback``, ``site``, ``cfg``)."""

    def check_printer(self, *, announce: bool = True) -> str:
        before = self.printer_status
        try:
            self.printer_status = self.printer.status()
        except Exception as e:     # a driver bug must not stop the kiosk
            log.exception("printer status failed")
            self.printer_status = f"error: {e}"
        self._next_status = self.monotonic() + self.status_every_s
        if self.printer_status != before:
            log.log(logging.INFO if self.printer_status == OK else logging.WARNING,
                    "printer %s: %s", self.printer.name, self.printer_status)
            if announce and self.printer_status != OK:
                self.feedback.signal("refused", self._printer_problem_text())
            elif announce and not self._pending:
                self.feedback.signal("info", READY_TEXT)
        return self.printer_status

    def retry_reprints(self) -> int:
        """Print what was issued but not printed, oldest first; returns how many printed."""
        self._next_retry = self.monotonic() + self.retry_s
        if self.check_printer() != OK:
            return 0
        done = 0
        for rid, event, attempts in self.store.pending():
            if not self._print(rid, event, reprint=attempts > 0):
                break
            done += 1
        return done

    def identify(self) -> dict:
        """Print a test slip naming this kiosk and its figures."""
        status = self.check_printer()
        lines = [f"Printer: {self.printer.name}", f"Status: {status}",
                 f"Tiket dicetak: {self.printed}", f"Menunggu cetak ulang: {self._pending}",
                 f"Broker: {'tersambung' if self.online else 'TIDAK tersambung'}"]
        data = render_test(self.kiosk, datetime.fromtimestamp(self.clock(), self.site.tz), lines,
                           profile=self.cfg.printer_profile, paper_mm=self.paper_mm)
        try:
            self.printer.send(data)
            return {"printed": True, "printer": status}
        except PrinterError as e:
            return {"printed": False, "printer": e.status, "error": str(e)}

    def warm_up(self) -> None:
        """Render one slip now, so the first visitor does not wait for the QR and image modules
        to load (a third of a second here, more on a Pi)."""
        render(self.slip({"ticket": "A000", "service": self.cfg.services[0], "ahead": 0,
                          "issued_at": self.clock(), "key": "warm-up-only"}, reprint=False),
               profile=self.cfg.printer_profile, paper_mm=self.paper_mm)

    def _printer_problem_text(self) -> Said:
        why, n = printer_trouble(self.printer_status), self._pending
        if n:
            return Said(f"Maaf, {why}. {n} tiket menunggu dicetak dan akan dicetak begitu "
                        "printer siap. Mohon hubungi petugas.",
                        f"Sorry, {why.en}. {n} ticket(s) wait to be printed and will be printed "
                        "as soon as the printer is ready. Please ask a staff member.")
        return Said(f"Maaf, {why}. Mohon hubungi petugas.",
                    f"Sorry, {why.en}. Please ask a staff member.")

    def _valid_ticket(self, event: dict) -> bool:
        return printable(event, self.site, self.clock())

    def ticket_url(self, event: dict) -> str | None:
        return ticket_url(self.site, self.cfg, event)

    def slip(self, event: dict, *, reprint: bool) -> Slip:
        return build_slip(self.site, self.cfg, event, self.standard(event["service"]),
                          reprint=reprint)

    def _print(self, rid: str, event: dict, *, reprint: bool) -> bool:
        data = render(self.slip(event, reprint=reprint), profile=self.cfg.printer_profile,
                      paper_mm=self.paper_mm)
        self.store.attempt(rid)
        try:
            self.printer.send(data)
        except PrinterError as e:
            self.printer_status = e.status
            self._next_retry = self.monotonic() + self.retry_s
            log.error("ticket %s issued but not printed: %s; kept for reprint", event["ticket"], e)
            ticket, why = event["ticket"], printer_trouble(e.status)
            self.feedback.signal("refused", Said(
                f"Nomor antrean Anda {ticket} sudah terdaftar, tetapi {why}. Tiket akan dicetak "
                "begitu printer siap. Mohon hubungi petugas.",
                f"Your queue number {ticket} is registered, but {why.en}. The ticket will be "
                "printed as soon as the printer is ready. Please ask a staff member."))
            self._show()
            return False
        self.store.printed(rid, ts=self.clock())
        self._pending -= 1
        self.printed += 1
        log.info("ticket %s printed%s", event["ticket"], " (reprint)" if reprint else "")
        self.feedback.signal("ack", Said(f"Silakan ambil tiket Anda: {event['ticket']}",
                                         f"Please take your ticket: {event['ticket']}"))
        return True
