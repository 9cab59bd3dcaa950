"""Near-turn alerts, the parts alone: VAPID tokens a push service accepts, payloads only the
subscriber can read, the rule, the edge's refusals, phone numbers never in clear."""

from __future__ import annotations

import json
import tomllib

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from antrian import config
from support.site import SMALL_SITE
from web.alerts import AlertStore, PhoneSeal, Subscription, is_near, message
from web.alerts_http import Refused, check_endpoint, check_keys, parse, thresholds
from web.notify import BadPhone, normalise_phone, tag
from web.push import Vapid, encrypt, unb64url
from web.settings import NotifySettings

from alerts.mocks import b64


def test_a_vapid_token_is_an_es256_jwt_for_the_push_services_origin():
    vapid = Vapid.generate("mailto:admin@mpp.example.go.id")
    head, claims, sig = vapid.token("https://fcm.googleapis.com", now=1_000_000).split(".")
    assert json.loads(unb64url(head)) == {"typ": "JWT", "alg": "ES256"}
    body = json.loads(unb64url(claims))
    assert body["aud"] == "https://fcm.googleapis.com"
    assert body["exp"] == 1_000_000 + 12 * 3600 and body["sub"].startswith("mailto:")
    raw = unb64url(sig)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), vapid.public_bytes)
    public.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                       int.from_bytes(raw[32:], "big")),
                  f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    header = vapid.headers("https://fcm.googleapis.com/fcm/send/abc")["Authorization"]
    assert header.startswith("vapid t=") and header.endswith(f", k={vapid.public}")


def test_a_vapid_key_survives_its_pem_and_a_wrong_curve_is_refused(tmp_path):
    vapid = Vapid.generate()
    (tmp_path / "v.pem").write_bytes(vapid.pem())
    assert Vapid.load(tmp_path / "v.pem", "mailto:a@b").public == vapid.public
    other = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    (tmp_path / "bad.pem").write_bytes(other)
    with pytest.raises(ValueError, match="P-256"):
        Vapid.load(tmp_path / "bad.pem", "mailto:a@b")


def test_only_the_subscriber_reads_the_payload():
    browser = ec.generate_private_key(ec.SECP256R1())
    point = browser.public_key().public_bytes(serialization.Encoding.X962,
                                              serialization.PublicFormat.UncompressedPoint)
    auth = b"0123456789abcdef"
    body = encrypt(b'{"title": "Giliran Anda hampir tiba"}', b64(point), b64(auth))
    assert b"Giliran" not in body
    assert http_ece.decrypt(body, private_key=browser, auth_secret=auth,
                            version="aes128gcm") == b'{"title": "Giliran Anda hampir tiba"}'
    stranger = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(Exception):
        http_ece.decrypt(body, private_key=stranger, auth_secret=auth, version="aes128gcm")


@pytest.mark.parametrize("ahead, est, expected", [
    (2, None, True), (3, None, False), (0, 5000, True), (5, 600, True), (5, 601, False),
    (None, None, False)])
def test_near_when_few_enough_are_ahead_or_the_wait_is_short_enough(ahead, est, expected):
    sub = Subscription(day="2026-11-30", ticket="A016", ahead=2, minutes=10)
    assert is_near(ahead, est, sub) is expected


def test_the_alerts_words_are_indonesian_first():
    body = {"ticket": "A016", "ahead": 2, "est_wait_s": 480, "service_name": "Perekaman KTP-el"}
    title, text = message("near", body, "id")
    assert title == "Giliran Anda hampir tiba"
    assert text == ("Nomor A016: 2 orang lagi di depan Anda (± 8 mnt). Bersiaplah menuju "
                    "layanan Perekaman KTP-el.")
    assert "you are next" in message("near", {**body, "ahead": 0}, "en")[1]
    assert message("called", {"ticket": "A016", "counter_name": "Loket 2"}, "id")[1] == \
        "Nomor A016 dipanggil! Silakan menuju Loket 2."


@pytest.mark.parametrize("endpoint", [
    "http://fcm.googleapis.com/fcm/send/x",            # not https
    "https://192.168.1.10/push/x",                      # an address inside the building
    "https://[::1]/push/x", "https://localhost/x",
    "https://evil.example.com/fcm.googleapis.com/x",   # not a push service
    "https://fcm.googleapis.com.evil.com/x",
    "https://user:pw@fcm.googleapis.com/x",
    "https://fcm.googleapis.com/" + "x" * 1100, 42, None])
def test_an_endpoint_that_is_not_a_browsers_push_service_is_refused(endpoint):
    with pytest.raises(Refused) as e:
        check_endpoint(endpoint)
    assert e.value.status == 400 and e.value.code == "bad_endpoint"


def test_push_services_and_a_configured_test_origin_are_taken():
    assert check_endpoint("https://fcm.googleapis.com/fcm/send/abc:def")
    assert check_endpoint("https://updates.push.services.mozilla.com/wpush/v2/x")
    assert check_endpoint("https://wns2-par02p.notify.windows.com/w/?token=x")
    assert check_endpoint("http://127.0.0.1:5000/push/a", test_origins=("http://127.0.0.1:5000",))
    with pytest.raises(Refused):
        check_endpoint("http://127.0.0.1:5001/push/a", test_origins=("http://127.0.0.1:5000",))


def test_push_keys_must_be_a_real_p256_point_and_a_16_byte_secret():
    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    assert check_keys({"p256dh": b64(point), "auth": b64(b"x" * 16)})
    for keys in ({"p256dh": b64(b"\x04" + b"\x01" * 64), "auth": b64(b"x" * 16)},
                 {"p256dh": b64(point), "auth": b64(b"x" * 15)},
                 {"p256dh": "not base64!", "auth": "x"}, {"p256dh": b64(point)}, "keys"):
        with pytest.raises(Refused):
            check_keys(keys)


@pytest.mark.parametrize("raw, code", [
    (b"not json", "malformed"), (b"[]", "malformed"),
    (b'{"ticket": "A016", "day": "30-11-2026", "key": "k"}', "malformed"),
    (b'{"ticket": "A016", "day": "2026-11-30"}', "no_key"),
    (b'{"ticket": "A016", "day": "2026-11-30", "key": "bad key!"}', "no_key")])
def test_a_malformed_request_is_refused_with_a_code(raw, code):
    with pytest.raises(Refused) as e:
        parse(raw)
    assert e.value.code == code


def test_thresholds_are_bounded():
    assert thresholds({"ahead": 2, "minutes": 10}) == (2, 10, "id")
    for bad in ({"ahead": -1}, {"ahead": 51}, {"ahead": True}, {"ahead": 2.5},
                {"minutes": 0}, {"minutes": 1e9}, {"lang": "fr"}):
        with pytest.raises(Refused):
            thresholds(bad)


def test_phone_numbers_are_normalised_and_only_indonesian_mobiles_taken():
    for raw in ("0812-3456-7890", "+62 812 3456 7890", "6281234567890", "(0812) 3456.7890"):
        assert normalise_phone(raw) == "6281234567890"
    for raw in ("0212345678", "+1 555 123 4567", "08123", "0812345678901234", "0812abc",
                "", None):
        with pytest.raises(BadPhone):
            normalise_phone(raw)


def test_a_phone_is_never_in_clear_in_a_log_tag_nor_in_the_store(tmp_path):
    phone = "6281234567890"
    assert "1234567890" not in tag(phone) and tag(phone) == tag(phone)
    seal = PhoneSeal(b"s" * 32)
    store = AlertStore(tmp_path / "alerts.db")
    store.add(Subscription(day="2026-11-30", ticket="A016", ahead=2,
                           phone=seal.seal(phone)))
    store.close()
    for f in tmp_path.iterdir():
        assert b"1234567890" not in f.read_bytes(), f
    sub = AlertStore(tmp_path / "alerts.db").all()[0]
    assert seal.open(sub.phone) == phone
    with pytest.raises(Exception):
        PhoneSeal(b"t" * 32).open(sub.phone)


def test_notify_settings_are_read_checked_and_registered(tmp_path):
    raw = tomllib.loads(SMALL_SITE.format(port=1883) + """
[notify]
vapid_key = "vapid.pem"
vapid_subject = "mailto:admin@mpp.example.go.id"
gateway_url = "http://127.0.0.1:9000/send"
gateway_per_minute = 6
""")
    site = config.parse(raw)
    s = NotifySettings.from_site(site)
    assert s.gateway_url and s.texts and s.gateway_per_minute == 6
    with pytest.raises(config.ConfigError, match="gatway_url"):
        config.parse({**raw, "notify": {"gatway_url": "x"}})
    with pytest.raises(config.ConfigError, match="not both"):
        NotifySettings.from_site(config.parse(
            {**raw, "notify": {"gateway_url": "http://x", "gateway_command": ["x"]}}))
    with pytest.raises(config.ConfigError, match="vapid_subject"):
        NotifySettings.from_site(config.parse({**raw, "notify": {"vapid_subject": "admin"}}))


def test_a_missing_vapid_key_or_token_is_a_config_error_naming_the_key(tmp_path):
    from web.alerts import from_settings
    raw = tomllib.loads(SMALL_SITE.format(port=1883))
    site = config.parse({**raw, "notify": {"vapid_key": str(tmp_path / "none.pem")}})
    with pytest.raises(config.ConfigError, match="notify.vapid_key.*web-push-keys"):
        from_settings(site, NotifySettings.from_site(site), tmp_path, b"s" * 32)
    site = config.parse({**raw, "notify": {"gateway_url": "http://127.0.0.1:9/send",
                                           "gateway_token_file": str(tmp_path / "none")}})
    with pytest.raises(config.ConfigError, match="gateway_token_file"):
        from_settings(site, NotifySettings.from_site(site), tmp_path, b"s" * 32)
    assert from_settings(config.parse(raw), NotifySettings.from_site(config.parse(raw)),
                         tmp_path, b"s" * 32) is None       # nothing configured: off
