"""The site TOML: every mistake a building's technician can make is a ConfigError that names
the key; the example site loads and is as big as a real Mal Pelayanan Publik."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from antrian.config import ConfigError, load

ROOT = Path(__file__).resolve().parents[2]

GOOD = """
site = "uji"
timezone = "Asia/Jakarta"
reset_at = "00:00"

[broker]
host = "127.0.0.1"
port = 1883

[[service]]
id = "ktp"
prefix = "A"
name = "Perekaman KTP-el"
agency = "Disdukcapil"

[[service]]
id = "skck"
prefix = "4K"
separator = "-"
width = 2
name = "SKCK"
agency = "Polres"
average_minutes = 7.5

[[counter]]
id = "1"
name = "Loket 1"
services = ["ktp", "skck"]

[[counter]]
id = "2"
services = ["ktp"]

[[kiosk]]
id = "k1"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


def bad(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as refused:
        load(write(tmp_path, text))
    return str(refused.value)


def test_a_good_site_loads_with_its_defaults(tmp_path):
    site = load(write(tmp_path, GOOD))
    assert site.site == "uji" and site.title == "Mal Pelayanan Publik uji"
    assert site.reset_at == time(0, 0) and site.tz.key == "Asia/Jakarta"
    assert site.broker.keepalive == 15 and site.broker.tls is False
    ktp, skck = site.services["ktp"], site.services["skck"]
    assert (ktp.prefix, ktp.separator, ktp.width, ktp.average_minutes) == ("A", "", 3, 5.0)
    assert skck.ticket(7) == "4K-07" and skck.average_minutes == 7.5
    assert site.counters["1"].services == ("ktp", "skck")
    assert site.counters["2"].name == "Loket 2"
    assert site.kiosks["k1"].services == ("ktp", "skck")      # no list: every service
    assert site.agencies == ["Disdukcapil", "Polres"]


def test_a_ticket_label_maps_back_to_its_service(tmp_path):
    site = load(write(tmp_path, GOOD.replace('prefix = "4K"', 'prefix = "AB"')
                      .replace('separator = "-"', 'separator = "."')))
    assert site.service_of_ticket("A012").id == "ktp"
    assert site.service_of_ticket("AB.07").id == "skck"
    assert site.service_of_ticket("B001") is None
    assert site.service_of_ticket("A") is None


def replace(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


def add(extra: str) -> str:
    return GOOD + extra


# (why it is wrong, the TOML, what the error must name)
BAD = [
    ("site missing", replace('site = "uji"', ""), "site: missing"),
    ("site with capitals", replace('site = "uji"', 'site = "Uji"'), "site: 'Uji'"),
    ("site with a space", replace('site = "uji"', 'site = "mpp bogor"'), "site: 'mpp bogor'"),
    ("service id with an underscore", replace('id = "ktp"', 'id = "ktp_el"'),
     "service[0].id: 'ktp_el'"),
    ("service id with a slash (a topic level)", replace('id = "ktp"', 'id = "ktp/el"'),
     "service[0].id"),
    ("counter id with a wildcard", replace('id = "1"', 'id = "+"'), "counter[0].id: '+'"),
    ("counter id too long", replace('id = "1"', f'id = "{"x" * 41}"'), "counter[0].id"),
    ("duplicate service id", add('[[service]]\nid = "ktp"\nprefix = "Z"\nname = "x"\n'
                                 'agency = "y"\n'), "service[ktp].id: duplicate"),
    ("duplicate counter id", add('[[counter]]\nid = "1"\nservices = ["ktp"]\n'),
     "counter[1].id: duplicate"),
    ("duplicate prefix", add('[[service]]\nid = "kk"\nprefix = "A"\nname = "KK"\n'
                             'agency = "Disdukcapil"\n'), "service[kk].prefix: 'A' already used"),
    ("prefix that swallows another's numbers", add('[[service]]\nid = "kk"\nprefix = "A1"\n'
                                                   'name = "KK"\nagency = "D"\n'),
     "service[kk].prefix: 'A1' is ambiguous with 'A'"),
    ("prefix in lower case", replace('prefix = "A"', 'prefix = "a"'), "service[ktp].prefix"),
    ("prefix too long", replace('prefix = "A"', 'prefix = "ABCDE"'), "service[ktp].prefix"),
    ("separator not allowed", replace('separator = "-"', 'separator = "/"'),
     "service[skck].separator"),
    ("width 0", replace("width = 2", "width = 0"), "service[skck].width"),
    ("width a string", replace("width = 2", 'width = "2"'), "service[skck].width: expected an integer"),
    ("width a boolean", replace("width = 2", "width = true"),
     "service[skck].width: expected an integer, got a boolean"),
    ("average minutes a boolean", replace("average_minutes = 7.5", "average_minutes = true"),
     "service[skck].average_minutes: expected an integer or a number, got a boolean"),
    ("average minutes zero", replace("average_minutes = 7.5", "average_minutes = 0"),
     "service[skck].average_minutes"),
    ("average minutes nan", replace("average_minutes = 7.5", "average_minutes = nan"),
     "service[skck].average_minutes"),
    ("service without a name", replace('name = "SKCK"\n', ""), "service[skck].name: missing"),
    ("service without an agency", replace('agency = "Polres"\n', ""),
     "service[skck].agency: missing"),
    ("no service at all", 'site = "uji"\n[[counter]]\nid = "1"\nservices = []\n', "service: at least one"),
    ("service not a table", 'site = "uji"\nservice = "ktp"\n', "service: expected [[service]]"),
    ("unknown service in a counter", replace('services = ["ktp", "skck"]', 'services = ["ktp", "sim"]'),
     "counter[1].services: unknown service 'sim'"),
    ("a counter serving nothing", replace('services = ["ktp", "skck"]', "services = []"),
     "counter[1].services"),
    ("a counter without services", replace('services = ["ktp", "skck"]\n', ""),
     "counter[1].services: missing"),
    ("services a string", replace('services = ["ktp", "skck"]', 'services = "ktp"'),
     "counter[1].services: expected a list"),
    ("services holding a list", replace('services = ["ktp", "skck"]', 'services = [["ktp"]]'),
     "counter[1].services"),
    ("services holding a table", replace('services = ["ktp", "skck"]', 'services = [{a = 1}]'),
     "counter[1].services"),
    ("unknown key in a counter", replace('name = "Loket 1"', 'name = "Loket 1"\nservice = "ktp"'),
     "counter[1]: unknown key 'service'"),
    ("unknown service in a kiosk", add('services = ["sim"]\n'), "kiosk[k1].services: unknown service"),
    ("no counter at all", GOOD.split("[[counter]]")[0] + "[[kiosk]]\nid = \"k1\"\n", "counter"),
    ("reset_at not a time", replace('reset_at = "00:00"', 'reset_at = "midnight"'),
     "reset_at: 'midnight' is not a time"),
    ("reset_at 24:00", replace('reset_at = "00:00"', 'reset_at = "24:00"'), "reset_at: '24:00'"),
    ("reset_at with seconds", replace('reset_at = "00:00"', 'reset_at = "03:00:00"'), "reset_at"),
    ("reset_at a number", replace('reset_at = "00:00"', "reset_at = 3"),
     "reset_at: expected a string"),
    ("reset_at a TOML time", replace('reset_at = "00:00"', "reset_at = 03:00:00"), "reset_at"),
    ("timezone unknown", replace('timezone = "Asia/Jakarta"', 'timezone = "Asia/Bogor"'),
     "timezone: unknown time zone 'Asia/Bogor'"),
    ("timezone a directory", replace('timezone = "Asia/Jakarta"', 'timezone = "Asia"'),
     "timezone: unknown time zone"),
    ("timezone a path", replace('timezone = "Asia/Jakarta"', 'timezone = "../../etc/passwd"'),
     "timezone: unknown time zone"),
    ("timezone a number", replace('timezone = "Asia/Jakarta"', "timezone = 7"),
     "timezone: expected a string"),
    ("port a boolean", replace("port = 1883", "port = true"),
     "broker.port: expected an integer, got a boolean"),
    ("port a string", replace("port = 1883", 'port = "1883"'), "broker.port: expected an integer"),
    ("port out of range", replace("port = 1883", "port = 70000"), "broker.port"),
    ("keepalive too short", replace("port = 1883", "port = 1883\nkeepalive = 2"),
     "broker.keepalive"),
    ("keepalive too long", replace("port = 1883", "port = 1883\nkeepalive = 60"),
     "broker.keepalive"),
    ("keepalive a float", replace("port = 1883", "port = 1883\nkeepalive = 10.0"),
     "broker.keepalive: expected an integer"),
    ("unknown broker key", replace("port = 1883", "port = 1883\nhostname = \"x\""),
     "broker: unknown key 'hostname'"),
    ("tls not a boolean", replace("port = 1883", 'port = 1883\ntls = "yes"'),
     "broker.tls: expected true/false"),
    ("broker not a table", replace('[broker]\nhost = "127.0.0.1"\nport = 1883\n', "")
     .replace('reset_at = "00:00"', 'reset_at = "00:00"\nbroker = "localhost"'),
     "broker: expected a table"),
]


@pytest.mark.parametrize("text, names", [(t, n) for _, t, n in BAD], ids=[w for w, _, _ in BAD])
def test_a_bad_site_toml_is_refused_naming_the_key(tmp_path, text, names):
    message = bad(tmp_path, text)
    assert names in message, message
    assert message.startswith(str(tmp_path / "site.toml"))


def test_a_prefix_followed_by_a_letter_does_not_clash_with_a_shorter_one(tmp_path):
    # "1" numbers read "1001"; "1A" numbers read "1A001": a label still names one service
    site = load(write(tmp_path, replace('prefix = "A"', 'prefix = "1"')
                      .replace('prefix = "4K"', 'prefix = "1A"').replace('separator = "-"\n', "")))
    assert site.service_of_ticket("1001").id == "ktp"
    assert site.service_of_ticket("1A01").id == "skck"


def test_one_prefix_with_two_separators_gives_two_readable_formats(tmp_path):
    site = load(write(tmp_path, replace('prefix = "4K"', 'prefix = "A"')))
    assert site.services["ktp"].ticket(1) == "A001"
    assert site.services["skck"].ticket(1) == "A-01"
    assert site.service_of_ticket("A-01").id == "skck"


def test_a_file_that_is_not_toml_or_not_there_is_a_config_error(tmp_path):
    assert "not valid TOML" in bad(tmp_path, 'site = "uji\n')
    with pytest.raises(ConfigError, match="no such file"):
        load(tmp_path / "nowhere.toml")


def test_reset_at_is_read_as_local_time_of_day(tmp_path):
    site = load(write(tmp_path, replace('reset_at = "00:00"', 'reset_at = "03:30"')))
    assert site.reset_at == time(3, 30)


# -- the example building -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mpp():
    return load(ROOT / "examples" / "mpp.toml")


def test_the_example_site_is_as_big_as_a_real_mal_pelayanan_publik(mpp):
    assert len(mpp.agencies) >= 12
    assert len(mpp.services) >= 40
    assert len(mpp.counters) >= 40


def test_in_the_example_some_counters_serve_several_services_and_some_services_several_counters(mpp):
    assert any(len(c.services) > 1 for c in mpp.counters.values())
    served_by = {sid: [c.id for c in mpp.counters.values() if sid in c.services]
                 for sid in mpp.services}
    assert any(len(ids) > 1 for ids in served_by.values())
    assert all(served_by.values()), [s for s, ids in served_by.items() if not ids]


def test_every_ticket_label_of_the_example_maps_back_to_its_own_service(mpp):
    for service in mpp.services.values():
        for number in (1, 9, 10, 99, 100, 999, 1000):
            assert mpp.service_of_ticket(service.ticket(number)) is service, service.ticket(number)


# -- one registry of every role's tables and keys (issue 11) -------------------------------------

MISSPELT = [
    ("a kiosk key", GOOD + 'printr = "usb"\n', "kiosk[k1]: unknown key 'printr' (did you mean 'printer'?"),
    ("a board array", GOOD + '[[boards]]\nid = "lobby"\n', "unknown table 'boards' (did you mean 'board'?"),
    ("a board key", GOOD + '[[board]]\nid = "lobby"\nlayuot = "portrait"\n',
     "board[lobby]: unknown key 'layuot' (did you mean 'layout'?"),
    ("a panel key", GOOD + '[[panel]]\ncounter = "1"\nnxet = 17\n', "panel[1]: unknown key 'nxet'"),
    ("a voice key", GOOD + '[voice]\nvolum = 50\n', "voice: unknown key 'volum'"),
    ("a web key", GOOD + '[web]\nprot = 80\n', "web: unknown key 'prot' (did you mean 'port'?"),
    ("an opening key", GOOD + '[opening]\nday = {}\n', "opening: unknown key 'day'"),
    ("an agency's opening key", GOOD + '[opening.agency."Polres"]\nlast_ticket = 5\n',
     "opening.agency.Polres: unknown key 'last_ticket'"),
    ("a service's standard", GOOD.replace('agency = "Polres"\n', 'agency = "Polres"\n'
                                          'standard = { fees = "Gratis" }\n'),
     "service[skck].standard: unknown key 'fees' (did you mean 'fee'?"),
    ("a top-level key", GOOD.replace('site = "uji"', 'site = "uji"\npublic_ulr = "https://x"'),
     "unknown key 'public_ulr' (did you mean 'public_url'?"),
]


@pytest.mark.parametrize("text, names", [(t, n) for _, t, n in MISSPELT], ids=[w for w, _, _ in MISSPELT])
def test_a_misspelt_table_or_key_of_any_role_is_refused_at_load_naming_it(tmp_path, text, names):
    # load() is what every role calls first: a board refuses a panel's typo as surely as the counter.
    message = bad(tmp_path, text)
    assert names in message, message
    assert "known: " in message


def test_a_misspelt_key_is_reported_as_unknown_not_as_the_missing_key_it_replaces(tmp_path):
    message = bad(tmp_path, GOOD.replace('prefix = "A"', 'prefx = "A"'))
    assert "service[ktp]: unknown key 'prefx' (did you mean 'prefix'?" in message
    assert "missing" not in message


def test_an_array_table_without_its_label_is_named_by_its_position(tmp_path):
    message = bad(tmp_path, GOOD + '[[board]]\ntitel = "Lobi"\n')
    assert "board[0]: unknown key 'titel'" in message


def test_the_role_parsers_read_their_key_names_from_the_one_registry():
    from antrian import opening, sections
    from display import config as display_config
    from hardware import config as hardware_config
    assert display_config.BOARD_KEYS == sections.BOARD.known
    assert hardware_config.KIOSK_KEYS == sections.KIOSK.known
    assert hardware_config.PANEL_KEYS == sections.PANEL.known
    assert opening.OPENING_KEYS == sections.OPENING.known
    # the panel's buttons are actions of the one list of actions
    from ticketing.model import Action
    assert set(hardware_config.ACTIONS) <= {str(a) for a in Action}


def test_every_table_of_the_example_site_is_read_by_some_role(mpp):
    from antrian.sections import ROOT_KEYS, SECTIONS
    assert set(mpp.raw) <= ROOT_KEYS | set(SECTIONS)


def test_a_systemd_credential_named_secrets_is_read_before_the_sites_secrets_file(
        tmp_path, monkeypatch):
    # The web's unit loads web-secrets.toml as a credential: its password and the ticket key.
    site = load(write(tmp_path, GOOD.replace('port = 1883', 'port = 1883\nsecrets = "s.toml"')))
    (tmp_path / "s.toml").write_text('[passwords]\nweb = "from-the-building-file"\n'
                                     '[keys]\nticket = "' + "b" * 40 + '"\n')
    from antrian.config import credentials, ticket_secret
    building_key = ticket_secret(site)
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "secrets").write_text('[passwords]\nweb = "own"\n[keys]\nticket = "' + "w" * 40 + '"\n')
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    assert credentials(site, "web") == ("web", "own")
    assert credentials(site, "queue") is None               # nothing else is in its file
    assert ticket_secret(site) != building_key
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path / "elsewhere"))
    assert credentials(site, "web") == ("web", "from-the-building-file")


def test_a_console_uses_ops_or_the_technicians_own_account(tmp_path, monkeypatch):
    from antrian.config import console_credentials
    site = load(write(tmp_path, GOOD.replace('port = 1883', 'port = 1883\nsecrets = "s.toml"')))
    monkeypatch.delenv("ANTRIAN_OPS_ACCOUNT", raising=False)
    (tmp_path / "s.toml").write_text('[passwords]\nops-andi = "a"\ncounter-1 = "c"\n')
    assert console_credentials(site) == ("ops-andi", "a")     # a laptop with its own account
    (tmp_path / "s.toml").write_text('[passwords]\nops = "o"\nops-andi = "a"\nops-budi = "b"\n')
    assert console_credentials(site) == ("ops", "o")
    monkeypatch.setenv("ANTRIAN_OPS_ACCOUNT", "ops-budi")
    assert console_credentials(site) == ("ops-budi", "b")


def test_a_misspelt_queue_limit_is_refused_at_load_naming_it(tmp_path):
    """The queue's [queue] limits are checked by the one registry (antrian.sections), not a
    second key list in the service's edge."""
    from support.site import write_site
    path = write_site(tmp_path / "site.toml", 1883, "\n[queue]\nrecall_cooldwn_s = 3\n")
    with pytest.raises(ConfigError, match="unknown key 'recall_cooldwn_s'"):
        load(path)
