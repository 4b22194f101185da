"""Citizens' spelling is normalised before anything matches words."""

from __future__ import annotations

import pytest

from hub.triage.normalize import normalize, tokens


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("JALAN RUSAK!!!", "jalan rusak"),
        ("jln rusak gk diperbaiki", "jalan rusak tidak diperbaiki"),
        ("jl. Pagar Alam", "jalan pagar alam"),
        ("ga ada yg dtg", "tidak ada yang dtg"),
        ("tdk ngalir", "tidak mengalir"),
        ("blm jg diangkut2", "belum juga diangkut diangkut"),
        ("tolonggg pakkk", "tolong pak"),
        ("anak-anak", "anakanak anak anak"),
        ("sdh lapor ke kel. tp ga ada respon", "sudah lapor ke kelurahan tapi tidak ada respon"),
        ("Jukir liar minta 5rb", "juru parkir liar minta 5 ribu"),
        ("  Sampah   numpuk \n", "sampah menumpuk"),
        ("Kepsek pungli", "kepala sekolah pungli"),
        ("e-KTP blm jadi", "ktp belum jadi"),
        ("Rumah Sakit Umum Daerah", "rumah sakit umum daerah"),
        ("", ""),
        ("!!!", ""),
    ],
)
def test_normalises_informal_indonesian(written: str, normalised: str) -> None:
    assert normalize(written) == normalised


def test_accents_and_unicode_are_folded() -> None:
    fullwidth_jalan = "\uff2a\uff21\uff2c\uff21\uff2e"
    assert tokens(f"Caf\u00e9 {fullwidth_jalan}") == ["cafe", "jalan"]
