"""The shipped rules as a specification of who handles what in Lampung."""

from __future__ import annotations

import pytest

from hub.routing.reference import institution
from hub.routing.rules import ComplaintFacts, default_rules, evaluate

BL = "kota-bandar-lampung"

# (category, region, text) -> (action, institution)
CASES = [
    # acceptance
    (
        "kriminal_keamanan",
        BL,
        "Motor saya dicuri di parkiran pasar tadi malam",
        "redirect",
        "polresta-bandar-lampung",
    ),
    ("kriminal_keamanan", "kab-pringsewu", "motor sy ilang dicuri", "redirect", "polda-lampung"),
    ("kriminal_keamanan", None, "begal di jalan sepi", "redirect", "polda-lampung"),
    (
        "sampah_lingkungan",
        BL,
        "Tumpukan sampah di depan pasar sudah seminggu",
        "route",
        "dlh-kota-bandar-lampung",
    ),
    (
        "jalan_jembatan",
        "kab-lampung-tengah",
        "Jalan provinsi ruas Gunung Sugih - Kotagajah rusak parah",
        "route",
        "bmbk-prov",
    ),
    # roads: whose road is it?
    ("jalan_jembatan", BL, "jln prov di Bandar Lampung berlubang", "route", "bmbk-prov"),
    (
        "jalan_jembatan",
        BL,
        "Jalan di depan rumah saya di Kemiling berlubang",
        "route",
        "pu-kota-bandar-lampung",
    ),
    ("jalan_jembatan", "kab-tanggamus", "Jembatan desa putus", "route", "kab-tanggamus"),
    (
        "jalan_jembatan",
        "kab-tulang-bawang",
        "JALAN LINTAS TIMUR DEKAT MENGGALA RUSAK BERAT",
        "redirect",
        "bpjn-lampung",
    ),
    ("jalan_jembatan", None, "jalan nasional retak", "redirect", "bpjn-lampung"),
    ("jalan_jembatan", None, "jalan rusak pak", "manual", None),
    # waste and environment
    ("sampah_lingkungan", "kota-metro", "sampah tidak diangkut", "route", "kota-metro"),
    (
        "sampah_lingkungan",
        None,
        "sampah numpuk di Bandar Lampung",
        "route",
        "dlh-kota-bandar-lampung",
    ),
    (
        "sampah_lingkungan",
        "kab-lampung-tengah",
        "Pabrik tapioka buang limbah ke sungai",
        "route",
        "dlh-prov",
    ),
    ("sampah_lingkungan", "kab-pesawaran", "Tambang batu bikin rumah retak", "route", "esdm-prov"),
    (
        "sampah_lingkungan",
        "kab-lampung-barat",
        "penebangan liar di hutan lindung",
        "route",
        "dishut-prov",
    ),
    # health
    (
        "kesehatan_rs",
        BL,
        "Antrian di RSUD Abdul Moeloek lama sekali",
        "route",
        "rsud-abdul-moeloek",
    ),
    (
        "kesehatan_rs",
        "kab-lampung-selatan",
        "antri di rsud am dari subuh",
        "route",
        "rsud-abdul-moeloek",
    ),
    ("kesehatan_rs", BL, "Pelayanan RSUD Dadi Tjokrodipo lambat", "route", "rsud-dadi-tjokrodipo"),
    ("kesehatan_rs", "kab-way-kanan", "puskesmas tutup", "route", "kab-way-kanan"),
    ("kesehatan_rs", None, "dokter tidak ada", "route", "dinkes-prov"),
    (
        "kesehatan_rs",
        BL,
        "kartu BPJS saya nonaktif padahal iuran lancar",
        "redirect",
        "bpjs-kesehatan-bandar-lampung",
    ),
    # education: SMA/SMK/SLB provincial, SD/SMP kabupaten/kota
    ("pendidikan", "kota-metro", "SMA negeri minta uang komite", "route", "disdikbud-prov"),
    ("pendidikan", "kab-tanggamus", "SMKN 1 tidak punya alat praktik", "route", "disdikbud-prov"),
    ("pendidikan", "kab-pringsewu", "Guru honorer di SLB belum gajian", "route", "disdikbud-prov"),
    ("pendidikan", "kab-pringsewu", "Komite SMP negeri minta sumbangan", "route", "kab-pringsewu"),
    ("pendidikan", BL, "SD negeri pungli seragam", "route", BL),
    (
        "pendidikan",
        "kab-lampung-timur",
        "MTs negeri minta iuran",
        "redirect",
        "kanwil-kemenag-lampung",
    ),
    ("pendidikan", None, "sekolah minta duit lagi", "manual", None),
    # transport
    ("perhubungan_lalin", BL, "Lampu merah di simpang mati", "route", BL),
    (
        "perhubungan_lalin",
        "kab-way-kanan",
        "Truk ODOL lewat, jembatan timbang tidak berfungsi",
        "route",
        "dishub-prov",
    ),
    (
        "perhubungan_lalin",
        None,
        "kapal penyeberangan di Bakauheni telat terus",
        "redirect",
        "asdp-bakauheni",
    ),
    ("perhubungan_lalin", BL, "kereta api telat, tiket kereta mahal", "redirect", "kai-divre-iv"),
    (
        "perhubungan_lalin",
        "kab-way-kanan",
        "Perlintasan kereta tanpa palang pintu",
        "route",
        "kab-way-kanan",
    ),
    ("perhubungan_lalin", None, "Bus AKAP ngetem sembarangan", "redirect", "bptd-lampung"),
    # water, electricity
    ("air_bersih", BL, "air PDAM Way Rilau mati 3 hari", "route", "pdam-way-rilau"),
    (
        "air_bersih",
        "kab-lampung-selatan",
        "air PAM di Kalianda kecil",
        "route",
        "kab-lampung-selatan",
    ),
    ("listrik_pju", BL, "lampu jalan mati sebulan", "route", BL),
    (
        "listrik_pju",
        "kab-pesawaran",
        "listrik padam dari kemarin, PLN belum datang",
        "redirect",
        "pln-uid-lampung",
    ),
    ("listrik_pju", None, "tiang listrik miring hampir roboh", "redirect", "pln-uid-lampung"),
    ("listrik_pju", "kab-mesuji", "PJU di jalan provinsi padam", "route", "dishub-prov"),
    # flooding
    ("banjir_drainase", BL, "got mampet air meluap ke jalan", "route", "pu-kota-bandar-lampung"),
    ("banjir_drainase", "kab-lampung-tengah", "Saluran irigasi primer jebol", "route", "psda-prov"),
    (
        "banjir_drainase",
        "kab-lampung-tengah",
        "Tanggul Way Seputih jebol",
        "redirect",
        "bbws-mesuji-sekampung",
    ),
    ("banjir_drainase", None, "korban banjir bandang belum dapat bantuan", "route", "bpbd-prov"),
    # public order, social, civil registry, tax
    ("ketertiban_umum", BL, "Jukir liar minta 5rb", "route", "satpolpp-kota-bandar-lampung"),
    ("ketertiban_umum", "kota-metro", "PKL di trotoar", "route", "kota-metro"),
    ("ketertiban_umum", None, "pengamen memaksa", "route", "satpolpp-prov"),
    ("sosial_bansos", "kab-lampung-utara", "PKH dipotong pendamping", "route", "kab-lampung-utara"),
    ("sosial_bansos", None, "bansos sy ga cair2", "route", "dinsos-prov"),
    ("kependudukan", BL, "KTP blm jadi", "route", "disdukcapil-kota-bandar-lampung"),
    ("kependudukan", "kab-mesuji", "akta kelahiran salah tulis", "route", "kab-mesuji"),
    ("kependudukan", None, "KK ribet", "manual", None),
    ("pajak_kendaraan_samsat", BL, "antri bayar pajak motor lama", "route", "bapenda-prov"),
    (
        "pajak_kendaraan_samsat",
        None,
        "denda pajak motor saya dihitung padahal motornya sudah dicuri",
        "route",
        "bapenda-prov",
    ),
    # outside government authority
    (
        "perbankan_keuangan",
        None,
        "saldo rekening hilang, bank ga tanggung jawab",
        "redirect",
        "ojk-lampung",
    ),
    ("perbankan_keuangan", None, "pinjol neror terus", "redirect", "ojk-lampung"),
    (
        "perbankan_keuangan",
        BL,
        "Gaji pensiunan di Bank Lampung dipotong asuransi",
        "redirect",
        "bank-lampung",
    ),
    (
        "lainnya_luar_kewenangan",
        None,
        "Internet IndiHome mati 4 hari",
        "redirect",
        "telkom-lampung",
    ),
    (
        "lainnya_luar_kewenangan",
        None,
        "sinyal HP hilang sejak tower rusak",
        "redirect",
        "swasta-telekomunikasi",
    ),
    (
        "lainnya_luar_kewenangan",
        None,
        "tetangga menanam pohon di batas tanah",
        "redirect",
        "swasta-umum",
    ),
    (
        "lainnya_luar_kewenangan",
        None,
        "sertifikat tanah saya diklaim orang",
        "redirect",
        "kanwil-bpn-lampung",
    ),
    (
        "lainnya_luar_kewenangan",
        BL,
        "Perusahaan belum bayar gaji 2 bulan",
        "route",
        "disnaker-prov",
    ),
    (
        "lainnya_luar_kewenangan",
        None,
        "Klaim JHT BPJS Ketenagakerjaan saya ditolak",
        "redirect",
        "bpjs-ketenagakerjaan-lampung",
    ),
    ("lainnya_luar_kewenangan", None, "HP saya dijambret di jalan", "redirect", "polda-lampung"),
    (
        "lainnya_luar_kewenangan",
        None,
        "toko jual makanan kedaluwarsa",
        "redirect",
        "bbpom-bandar-lampung",
    ),
    # no category yet: a person decides
    (None, BL, "tolong pak", "manual", None),
]


@pytest.mark.parametrize(
    ("category", "region", "text", "action", "expected"),
    CASES,
    ids=[f"{c[0]}|{c[2][:40]}" for c in CASES],
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
