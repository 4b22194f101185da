"""The shipped rules as a specification of who handles what in Lampung."""

from __future__ import annotations

import pytest

from hub.routing.reference import institution
from hub.routing.rules import ComplaintFacts, default_rules, evaluate

BL = "kota-bandar-lampung"

# category -> [(region, complaint text, expected action, expected institution)]
# fmt: off
CASES: dict[str | None, list[tuple[str | None, str, str, str | None]]] = {
    "kriminal_keamanan": [
        (BL, "Motor saya dicuri di parkiran pasar", "redirect", "polresta-bandar-lampung"),
        ("kab-pringsewu", "motor sy ilang dicuri", "redirect", "polda-lampung"),
        (None, "begal di jalan sepi", "redirect", "polda-lampung"),
    ],
    "sampah_lingkungan": [
        (BL, "Tumpukan sampah di depan pasar sudah seminggu", "route", "dlh-kota-bandar-lampung"),
        ("kota-metro", "sampah tidak diangkut", "route", "kota-metro"),
        (None, "sampah numpuk di Bandar Lampung", "route", "dlh-kota-bandar-lampung"),
        ("kab-lampung-tengah", "Pabrik tapioka buang limbah ke sungai", "route", "dlh-prov"),
        ("kab-pesawaran", "Tambang batu bikin rumah retak", "route", "esdm-prov"),
        ("kab-lampung-barat", "penebangan liar di hutan lindung", "route", "dishut-prov"),
    ],
    "jalan_jembatan": [
        ("kab-lampung-tengah", "Jalan provinsi ruas Gunung Sugih rusak", "route", "bmbk-prov"),
        (BL, "jln prov di Bandar Lampung berlubang", "route", "bmbk-prov"),
        (BL, "Jalan di depan rumah saya di Kemiling berlubang", "route", "pu-kota-bandar-lampung"),
        ("kab-tanggamus", "Jembatan desa putus", "route", "kab-tanggamus"),
        ("kab-tulang-bawang", "JALAN LINTAS TIMUR RUSAK BERAT", "redirect", "bpjn-lampung"),
        (None, "jalan nasional retak", "redirect", "bpjn-lampung"),
        (None, "jalan rusak pak", "manual", None),
    ],
    "kesehatan_rs": [
        (BL, "Antrian di RSUD Abdul Moeloek lama sekali", "route", "rsud-abdul-moeloek"),
        ("kab-lampung-selatan", "antri di rsud am dari subuh", "route", "rsud-abdul-moeloek"),
        (BL, "Pelayanan RSUD Dadi Tjokrodipo lambat", "route", "rsud-dadi-tjokrodipo"),
        ("kab-way-kanan", "puskesmas tutup", "route", "kab-way-kanan"),
        (None, "dokter tidak ada", "route", "dinkes-prov"),
        (BL, "kartu BPJS saya nonaktif", "redirect", "bpjs-kesehatan-bandar-lampung"),
    ],
    "pendidikan": [
        ("kota-metro", "SMA negeri minta uang komite", "route", "disdikbud-prov"),
        ("kab-tanggamus", "SMKN 1 tidak punya alat praktik", "route", "disdikbud-prov"),
        ("kab-pringsewu", "Guru honorer di SLB belum gajian", "route", "disdikbud-prov"),
        ("kab-pringsewu", "Komite SMP negeri minta sumbangan", "route", "kab-pringsewu"),
        (BL, "SD negeri pungli seragam", "route", "kota-bandar-lampung"),
        ("kab-lampung-timur", "MTs negeri minta iuran", "redirect", "kanwil-kemenag-lampung"),
        (None, "sekolah minta duit lagi", "manual", None),
    ],
    "perhubungan_lalin": [
        (BL, "Lampu merah di simpang mati", "route", "kota-bandar-lampung"),
        ("kab-way-kanan", "Truk ODOL, jembatan timbang mati", "route", "dishub-prov"),
        (None, "kapal penyeberangan di Bakauheni telat terus", "redirect", "asdp-bakauheni"),
        (BL, "kereta api telat, tiket kereta mahal", "redirect", "kai-divre-iv"),
        ("kab-way-kanan", "Perlintasan kereta tanpa palang pintu", "route", "kab-way-kanan"),
        (None, "Bus AKAP ngetem sembarangan", "redirect", "bptd-lampung"),
    ],
    "air_bersih": [
        (BL, "air PDAM Way Rilau mati 3 hari", "route", "pdam-way-rilau"),
        ("kab-lampung-selatan", "air PAM di Kalianda kecil", "route", "kab-lampung-selatan"),
    ],
    "listrik_pju": [
        (BL, "lampu jalan mati sebulan", "route", "kota-bandar-lampung"),
        ("kab-pesawaran", "listrik padam, PLN belum datang", "redirect", "pln-uid-lampung"),
        (None, "tiang listrik miring hampir roboh", "redirect", "pln-uid-lampung"),
        ("kab-mesuji", "PJU di jalan provinsi padam", "route", "dishub-prov"),
    ],
    "banjir_drainase": [
        (BL, "got mampet air meluap ke jalan", "route", "pu-kota-bandar-lampung"),
        ("kab-lampung-tengah", "Saluran irigasi primer jebol", "route", "psda-prov"),
        ("kab-lampung-tengah", "Tanggul Way Seputih jebol", "redirect", "bbws-mesuji-sekampung"),
        (None, "korban banjir bandang belum dapat bantuan", "route", "bpbd-prov"),
    ],
    "ketertiban_umum": [
        (BL, "Jukir liar minta 5rb", "route", "satpolpp-kota-bandar-lampung"),
        ("kota-metro", "PKL di trotoar", "route", "kota-metro"),
        (None, "pengamen memaksa", "route", "satpolpp-prov"),
    ],
    "sosial_bansos": [
        ("kab-lampung-utara", "PKH dipotong pendamping", "route", "kab-lampung-utara"),
        (None, "bansos sy ga cair2", "route", "dinsos-prov"),
    ],
    "kependudukan": [
        (BL, "KTP blm jadi", "route", "disdukcapil-kota-bandar-lampung"),
        ("kab-mesuji", "akta kelahiran salah tulis", "route", "kab-mesuji"),
        (None, "KK ribet", "manual", None),
    ],
    "pajak_kendaraan_samsat": [
        (BL, "antri bayar pajak motor lama", "route", "bapenda-prov"),
        (None, "denda pajak motor yang sudah dicuri", "route", "bapenda-prov"),
    ],
    "perbankan_keuangan": [
        (None, "saldo rekening hilang, bank ga tanggung jawab", "redirect", "ojk-lampung"),
        (None, "pinjol neror terus", "redirect", "ojk-lampung"),
        (BL, "Gaji pensiunan di Bank Lampung dipotong asuransi", "redirect", "bank-lampung"),
    ],
    "lainnya_luar_kewenangan": [
        (None, "Internet IndiHome mati 4 hari", "redirect", "telkom-lampung"),
        (None, "sinyal HP hilang sejak tower rusak", "redirect", "swasta-telekomunikasi"),
        (None, "tetangga menanam pohon di batas tanah", "redirect", "swasta-umum"),
        (None, "sertifikat tanah saya diklaim orang", "redirect", "kanwil-bpn-lampung"),
        (BL, "Perusahaan belum bayar gaji 2 bulan", "route", "disnaker-prov"),
        (None, "Klaim JHT saya ditolak", "redirect", "bpjs-ketenagakerjaan-lampung"),
        (None, "HP saya dijambret di jalan", "redirect", "polda-lampung"),
        (None, "toko jual makanan kedaluwarsa", "redirect", "bbpom-bandar-lampung"),
    ],
    None: [
        (BL, "tolong pak", "manual", None),
    ],
}
# fmt: on


@pytest.mark.parametrize(
    ("category", "region", "text", "action", "expected"),
    [(category, *row) for category, rows in CASES.items() for row in rows],
    ids=[f"{category}|{row[1][:40]}" for category, rows in CASES.items() for row in rows],
)
def test_default_rules(
    category: str | None, region: str | None, text: str, action: str, expected: str | None
) -> None:
    decision = evaluate(default_rules(), ComplaintFacts(category, region, text))
    assert (decision.action, decision.institution) == (action, expected), decision.rule_id


def test_stolen_motorbike_is_redirected_to_the_police_with_a_message() -> None:
    decision = evaluate(
        default_rules(),
        ComplaintFacts("kriminal_keamanan", BL, "Motor saya hilang dicuri di depan rumah"),
    )
    assert decision.action == "redirect"
    assert decision.rule_id == "polisi-bandar-lampung"
    assert "kepolisian" in decision.explanation_id
    assert "110" in decision.explanation_id
    assert "police" in decision.explanation_en
    assert institution("polresta-bandar-lampung").name in decision.explanation_id


def test_garbage_in_bandar_lampung_goes_to_the_city() -> None:
    decision = evaluate(
        default_rules(), ComplaintFacts("sampah_lingkungan", BL, "Tumpukan sampah di Pasar Tugu")
    )
    assert decision.action == "route"
    assert decision.institution == "dlh-kota-bandar-lampung"
    assert decision.rule_id == "kota-bl-sampah"
    assert "Dinas Lingkungan Hidup Kota Bandar Lampung" in decision.explanation_id
    assert decision.explanation_en.startswith("Your report has been forwarded to")


def test_every_redirect_rule_speaks_both_languages() -> None:
    for rule in default_rules():
        if rule.action == "redirect":
            assert rule.message_id and rule.message_en, rule.id
            assert rule.message_id != rule.message_en, rule.id


def test_every_category_has_a_route_for_every_region() -> None:
    """No category with a known region falls through to manual triage, except education
    without a school level (SD or SMA decides who is responsible)."""
    from hub.routing.reference import category_codes, region_codes

    rules = default_rules()
    for category in sorted(category_codes() - {"pendidikan"}):
        for region in sorted(region_codes()):
            decision = evaluate(rules, ComplaintFacts(category, region, "keluhan"))
            assert decision.action != "manual", (category, region)
