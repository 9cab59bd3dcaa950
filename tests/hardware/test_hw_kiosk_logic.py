"""The kiosk's rules with a memory printer, a fake clock and a list as the broker."""

import json

import pytest

from antrian import config as site_config
from support.site import write_site
from hardware.config import kiosk_config
from hardware.kiosk import Kiosk
from hardware.kiosk_store import KioskStore
from hardware.printer import NO_PAPER, OFFLINE, OK, MemoryPrinter
from hw_fakes import Clock, Feedback as Screen
from mqtt import schemas


@pytest.fixture
def rig(tmp_path):
    site = site_config.load(write_site(tmp_path / "site.toml", 1883))
    cfg = kiosk_config(site, "k1")
    clock = Clock()
    sent, screen, printer = [], Screen(), MemoryPrinter()

    def publish(payload):
        sent.append(json.loads(payload))
        return True

    def make(store=None):
        k = Kiosk(site, cfg, store or KioskStore(tmp_path / "k1.db", "k1"), printer,
                  publish=publish, feedback=screen, clock=clock, monotonic=clock)
        k.connected()
        return k
    return make, sent, screen, printer, clock


def ticket(rid, label="A001", ahead=0, service="ktp"):
    return {"ticket": label, "service": service, "kiosk": "k1", "id": rid, "priority": False,
            "ahead": ahead, "day": "2026-11-28", "issued_at": 1_764_300_000.0,
            "est_wait_s": 540.0, "seq": 1, "ts": 0.0}


def test_a_tap_takes_one_ticket_and_prints_it(rig):
    make, sent, screen, printer, clock = rig
    k = make()
    rid = k.tap("ktp")
    assert sent == [{"service": "ktp", "id": rid}] and k.mode == "busy"
    assert rid.startswith("k1-")
    k.on_ticket(ticket(rid, "A016", ahead=2))
    assert len(printer.slips) == 1 and b"A016" in printer.slips[0]
    assert b"Antrean di depan Anda: 2 orang" in printer.slips[0]
    assert screen.last("ack") == "Silakan ambil tiket Anda: A016"
    assert k.health()["tickets_printed"] == 1 and k.mode == "steady"


def test_repeated_taps_while_a_ticket_is_taken_or_printed_take_only_one(rig):
    make, sent, screen, printer, clock = rig
    k = make()
    t0 = clock.t
    rid = k.tap("ktp", t0)
    assert k.tap("ktp", t0 + 0.05) is None and k.tap("kk", t0 + 0.1) is None
    clock.t += 0.5                     # printing is slow: these taps queued up meanwhile
    k.on_ticket(ticket(rid))
    assert k.tap("ktp", t0 + 0.3) is None           # made while busy, handled after: ignored
    assert k.tap("ktp", clock.t + 0.2) is None      # within the cool-down after printing
    assert len(sent) == 1 and len(printer.slips) == 1
    assert k.tap("ktp", clock.t + 1.5) is not None  # a new visitor


def test_no_paper_means_no_ticket_is_taken_and_the_screen_says_why(rig):
    make, sent, screen, printer, clock = rig
    printer.state = NO_PAPER
    k = make()
    assert k.tap("ktp") is None
    assert sent == [] and "kertas printer habis" in screen.last("refused")
    assert k.mode == "fault" and k.health()["printer"] == "no_paper"


def test_a_ticket_issued_while_the_printer_fails_is_printed_when_it_returns(rig, tmp_path):
    make, sent, screen, printer, clock = rig
    k = make()
    rid = k.tap("ktp")
    printer.state = OFFLINE            # unplugged between the check and the print
    k.on_ticket(ticket(rid, "A007"))
    assert printer.slips == [] and k.health()["pending_reprints"] == 1
    assert "A007 sudah terdaftar" in screen.last("refused")
    clock.t += 1.5
    assert k.tap("kk") is None and len(sent) == 1     # nothing new while one is owed
    clock.t += 10
    k.tick()                           # still unplugged
    assert printer.slips == []
    printer.state = OK
    clock.t += 10
    k.tick()
    assert len(printer.slips) == 1 and b"A007" in printer.slips[0]
    assert b"(dicetak ulang)" in printer.slips[0]
    assert k.health()["pending_reprints"] == 0 and k.mode == "steady"


def test_pending_reprints_survive_a_restart(rig, tmp_path):
    make, sent, screen, printer, clock = rig
    k = make()
    rid = k.tap("ktp")
    printer.state = NO_PAPER
    k.on_ticket(ticket(rid, "A009"))
    k.store.close()
    printer.state = OK
    again = make(KioskStore(tmp_path / "k1.db", "k1"))
    assert again.health()["pending_reprints"] == 1
    again.tick()
    assert len(printer.slips) == 1 and b"A009" in printer.slips[0]


def test_a_refused_take_frees_the_kiosk_with_a_message(rig):
    make, sent, screen, printer, clock = rig
    k = make()
    rid = k.tap("ktp")
    k.on_error(schemas.Error(error="layanan ditutup", id=rid, code="closed"))
    assert "layanan ditutup" in screen.last("refused") and k.mode == "steady"
    assert k.health()["takes_refused"] == 1


def test_an_unanswered_take_is_resent_then_given_up(rig):
    make, sent, screen, printer, clock = rig
    k = make()
    rid = k.tap("ktp")
    clock.t += 2.0
    k.tick()
    assert [m["id"] for m in sent] == [rid, rid]
    clock.t += 7.0
    k.tick()
    assert "coba lagi" in screen.last("refused") and k.health()["takes_abandoned"] == 1
    k.on_ticket(ticket(rid))           # the answer after all: nobody waits for it
    assert printer.slips == [] and k.health()["late_tickets"] == 1


def test_a_duplicate_answer_prints_once(rig):
    make, sent, screen, printer, clock = rig
    k = make()
    rid = k.tap("ktp")
    k.on_ticket(ticket(rid))
    k.on_ticket(ticket(rid))
    assert len(printer.slips) == 1


def test_offline_kiosk_refuses_at_once(rig):
    make, sent, screen, printer, clock = rig
    k = make()
    k.disconnected()
    assert k.tap("ktp") is None and sent == [] and k.mode == "offline"
    assert "tidak terhubung" in screen.last("refused")


def test_other_kiosks_tickets_are_ignored(rig):
    make, sent, screen, printer, clock = rig
    k = make()
    other = ticket("k2-abc-1")
    other["kiosk"] = "k2"
    k.on_ticket(other)
    assert printer.slips == []


def test_identify_prints_a_test_slip(rig):
    make, sent, screen, printer, clock = rig
    k = make()
    assert k.identify() == {"printed": True, "printer": "ok"}
    assert b"UJI PRINTER" in printer.slips[0] and b"Kios k1" in printer.slips[0]
    printer.state = NO_PAPER
    assert k.identify()["printed"] is False


# -- the services' status and standard (issue 8) ------------------------------------------------

def service_state(service, status=None, standard=None):
    return {"service": service, "status": status, "standard": standard, "seq": 5,
            "day": "2026-11-28"}


QUOTA = {"open": False, "code": "quota", "text": {"id": "Kuota habis (80 nomor)",
                                                   "en": "Daily quota of 80 reached"},
         "until": None}
STANDARD = {"requirements": ["KTP-el asli", "Pas foto 4x6"], "fee": "Gratis",
            "duration_minutes": 15}


def test_a_tap_on_a_closed_service_is_refused_at_once_with_the_reason(rig):
    make, sent, screen, printer, clock = rig
    k = make()
    assert k.on_service_state("ktp", service_state("ktp", QUOTA)) is True
    assert k.on_service_state("ktp", service_state("ktp", QUOTA)) is False   # nothing new
    assert k.tap("ktp") is None
    assert sent == [] and printer.slips == []
    assert screen.last("refused") == "Maaf, Perekaman KTP-el: Kuota habis (80 nomor)"
    assert k.health()["closed_taps"] == 1
    # another service is not affected; the service opens again with its next state
    assert k.tap("kk") is not None
    k.on_ticket(ticket(sent[-1]["id"], "B001", service="kk"))
    k.on_service_state("ktp", service_state("ktp", {"open": True, "code": "open",
                                                    "text": {"id": "Buka", "en": "Open"},
                                                    "until": "15:00"}))
    clock.t += 5
    assert k.tap("ktp") is not None


def test_a_take_the_queue_refuses_shows_its_indonesian_reason(rig):
    make, sent, screen, printer, clock = rig
    k = make()
    rid = k.tap("ktp")
    k.on_error(schemas.Error(error="break until 13:00", id=rid, code="closed",
                             message={"id": "Istirahat sampai 13:00", "en": "Break until 13:00",
                                      "reason": "break"}))
    assert screen.last("refused") == "Maaf, nomor antrean tidak dapat diambil: Istirahat sampai 13:00"
    rid = k.tap("ktp", clock.t + 5)
    k.on_error(schemas.Error(error="unknown service 'x'", id=rid, code="unknown_service"))
    assert screen.last("refused").endswith("unknown service 'x'")    # no message: the error


def test_the_slip_prints_the_standard_and_links_to_the_ticket_page(rig):
    make, sent, screen, printer, clock = rig
    k = make()
    k.on_service_state("ktp", service_state("ktp", None, STANDARD))
    rid = k.tap("ktp")
    k.on_ticket(ticket(rid, "A016"))
    slip = printer.slips[0]
    assert b"Biaya: Gratis - Standar waktu layanan: 15 menit" in slip
    assert b"Persyaratan:" in slip and b"- KTP-el asli" in slip and b"- Pas foto 4x6" in slip
    assert k.slip(ticket(rid, "A016"), reprint=False).url == \
        "http://antrian.test/t/A016?d=2026-11-28"
    # a long list of requirements stays on the page
    long = dict(STANDARD, requirements=[f"Dokumen persyaratan nomor {i}" for i in range(8)])
    k.on_service_state("ktp", service_state("ktp", None, long))
    clock.t += 5
    rid = k.tap("ktp")
    k.on_ticket(ticket(rid, "A017"))
    assert b"Persyaratan lengkap: pindai kode QR" in printer.slips[1]
    assert b"Dokumen persyaratan" not in printer.slips[1]


def test_states_of_services_the_kiosk_does_not_offer_are_ignored(tmp_path):
    site = site_config.load(write_site(tmp_path / "site.toml", 1883))
    k = Kiosk(site, kiosk_config(site, "k2"), KioskStore(tmp_path / "k2.db", "k2"),
              MemoryPrinter(), publish=lambda p: True, feedback=Screen())
    assert k.on_service_state("ktp", service_state("ktp", QUOTA)) is False
    assert k.closed_reason("ktp") is None
    assert k.on_service_state("skck", service_state("skck", QUOTA)) is True
    assert k.on_service_state("skck", None) is True and k.closed_reason("skck") is None
