"""What the touch kiosk's screens say, in Indonesian and English: one table per language, keyed
like the board's (``display.view.LABELS``) and the web pages' text tables.

    LABELS["en"]["kirim"]             # 'Send'
    LABELS[language]["page"].format(page=2, pages=5)

The button that switches names the other language in its own words. The kiosk's messages
(tickets, refusals, the banner's standing texts) come from the kiosk as :class:`hardware.said.Said`
with both languages; service and agency
names are the site TOML's, as on the board. Printed slips stay Indonesian.
"""

from __future__ import annotations

LABELS = {
    "id": {
        "language": "English",
        "invite": "Ambil nomor antrean: sentuh layanan yang Anda tuju",
        "prev": "< Sebelumnya", "next": "Berikutnya >",
        "priority": "Prioritas: lansia, disabilitas, ibu hamil, anak",
        "priority_on": "PRIORITAS DIPILIH: sentuh layanan",
        "checkin": "Sudah pesan online? Lapor di sini",
        "continued": "(lanjutan)",
        "page": "Halaman {page}/{pages}",
        "fault": "Maaf, printer bermasalah. Mohon hubungi petugas.",
        "closed": "Tutup", "minutes": "{n:g} menit", "free": "Gratis",
        "identify": "Kios {kiosk} ({name})",
        # the check-in screen (hardware.touch_checkin)
        "checkin_title": "Lapor kedatangan: pemesanan online",
        "checkin_hint": "Ketik kode dari bukti pemesanan, atau pindai kode QR-nya",
        "code_prompt": "Ketik kode pemesanan ({n} huruf/angka)",
        "nik_prompt": "Ketik {n} angka terakhir NIK, lalu Kirim",
        "code": "Kode pemesanan",
        "checking": "Memeriksa kode pemesanan...",
        "checkin_busy": "Mohon tunggu sebentar, lalu sentuh Kirim lagi",
        "batal": "Batal", "hapus": "Hapus", "kirim": "Kirim", "ulangi": "Ulangi",
        "kembali": "Kembali", "selesai": "Selesai",
    },
    "en": {
        "language": "Bahasa Indonesia",
        "invite": "Take a queue number: touch the service you need",
        "prev": "< Previous", "next": "Next >",
        "priority": "Priority: elderly, disabled, pregnant, children",
        "priority_on": "PRIORITY CHOSEN: touch a service",
        "checkin": "Booked online? Check in here",
        "continued": "(continued)",
        "page": "Page {page}/{pages}",
        "fault": "Sorry, the printer has a problem. Please ask a staff member.",
        "closed": "Closed", "minutes": "{n:g} min", "free": "Free",
        "identify": "Kiosk {kiosk} ({name})",
        "checkin_title": "Check in: online booking",
        "checkin_hint": "Type the code on your booking, or scan its QR code",
        "code_prompt": "Type the booking code ({n} letters/digits)",
        "nik_prompt": "Type the last {n} digits of the NIK, then Send",
        "code": "Booking code",
        "checking": "Checking the booking code...",
        "checkin_busy": "Please wait a moment, then touch Send again",
        "batal": "Cancel", "hapus": "Delete", "kirim": "Send", "ulangi": "Try again",
        "kembali": "Back", "selesai": "Done",
    },
}
