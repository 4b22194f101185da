"""Indonesian text normalisation shared by triage and routing keyword rules.

Citizens write "jln rusak gk diperbaiki2 PAKKK": lower-case it, squeeze repeated letters,
expand the common chat abbreviations, and split reduplication digits ("diperbaiki2"), so
that the classifier and the keyword rules see the same words for the same meaning.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

__all__ = ["SLANG", "normalize", "tokens"]

# Chat abbreviations and slang -> standard form. Editable seed lexicon; keys are whole tokens.
SLANG: Mapping[str, str] = {
    # negation
    "gk": "tidak",
    "ga": "tidak",
    "gak": "tidak",
    "nggak": "tidak",
    "ngga": "tidak",
    "enggak": "tidak",
    "tdk": "tidak",
    "tak": "tidak",
    "kagak": "tidak",
    "ndak": "tidak",
    "blm": "belum",
    "blum": "belum",
    "lom": "belum",
    "bkn": "bukan",
    # function words
    "yg": "yang",
    "dgn": "dengan",
    "dg": "dengan",
    "utk": "untuk",
    "untk": "untuk",
    "dr": "dari",
    "dri": "dari",
    "krn": "karena",
    "krna": "karena",
    "karna": "karena",
    "tp": "tapi",
    "tpi": "tapi",
    "sdh": "sudah",
    "udh": "sudah",
    "udah": "sudah",
    "dah": "sudah",
    "sudh": "sudah",
    "lg": "lagi",
    "lgi": "lagi",
    "jg": "juga",
    "jga": "juga",
    "aja": "saja",
    "aj": "saja",
    "sj": "saja",
    "bgt": "banget",
    "bngt": "banget",
    "sy": "saya",
    "sya": "saya",
    "gw": "saya",
    "gue": "saya",
    "aku": "saya",
    "kmi": "kami",
    "kpn": "kapan",
    "knp": "kenapa",
    "gmn": "bagaimana",
    "gimana": "bagaimana",
    "bgmn": "bagaimana",
    "skrg": "sekarang",
    "skrang": "sekarang",
    "hrs": "harus",
    "msh": "masih",
    "masi": "masih",
    "sm": "sama",
    "org": "orang",
    "orng": "orang",
    "trs": "terus",
    "trus": "terus",
    "mulu": "terus",
    "kalo": "kalau",
    "klo": "kalau",
    "kl": "kalau",
    "bs": "bisa",
    "bsa": "bisa",
    "tlg": "tolong",
    "tolg": "tolong",
    "mhn": "mohon",
    "bnyk": "banyak",
    "byk": "banyak",
    "sdg": "sedang",
    "lbh": "lebih",
    "jd": "jadi",
    "jdi": "jadi",
    "pd": "pada",
    "kyk": "kayak",
    "kek": "kayak",
    "emg": "memang",
    "emang": "memang",
    "ato": "atau",
    "atw": "atau",
    "bln": "bulan",
    "thn": "tahun",
    "th": "tahun",
    "hr": "hari",
    "mgg": "minggu",
    "mnggu": "minggu",
    "rb": "ribu",
    "rbu": "ribu",
    "jt": "juta",
    "ujan": "hujan",
    "ngalir": "mengalir",
    "mampet": "tersumbat",
    "mampat": "tersumbat",
    "numpuk": "menumpuk",
    "nyala": "menyala",
    "diangkut": "diangkut",
    "duit": "uang",
    "kepsek": "kepala sekolah",
    "jukir": "juru parkir",
    "pemkot": "pemerintah kota",
    "pemkab": "pemerintah kabupaten",
    "pemprov": "pemerintah provinsi",
    # places and public things
    "jln": "jalan",
    "jl": "jalan",
    "jlan": "jalan",
    "kel": "kelurahan",
    "kec": "kecamatan",
    "kab": "kabupaten",
    "prov": "provinsi",
    "rs": "rumah sakit",
    "rsud": "rsud rumah sakit",
    "pkm": "puskesmas",
    "sklh": "sekolah",
    "skolah": "sekolah",
    "pju": "pju lampu jalan",
    "pam": "pdam",
    "ktp-el": "ktp",
    "e-ktp": "ktp",
    "ektp": "ktp",
    "kk": "kk kartu keluarga",
    "stnk": "stnk samsat",
    "bpkb": "bpkb samsat",
    "lantas": "lalu lintas",
    "lalin": "lalu lintas",
    "motor2": "motor",
    "hp": "handphone",
    "ortu": "orang tua",
    "mtr": "motor",
}

_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_REDUP_DIGIT = re.compile(r"([a-z]{2,})2\b")  # "diangkut2" -> "diangkut diangkut"
_REPEAT = re.compile(r"([a-z])\1{2,}")  # "pakkkk" -> "pak"
_NUM_UNIT = re.compile(r"(\d)(rb|rbu|ribu|k|jt|juta)\b")  # "5rb" -> "5 ribu"
_UNITS = {"rb": "ribu", "rbu": "ribu", "ribu": "ribu", "k": "ribu", "jt": "juta", "juta": "juta"}


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    """Normalised word tokens of `text` (slang expanded, may yield multi-word expansions)."""
    lowered = _strip_accents(text).lower()
    lowered = _REPEAT.sub(r"\1", lowered)
    lowered = _REDUP_DIGIT.sub(r"\1 \1", lowered)
    lowered = _NUM_UNIT.sub(lambda m: f"{m.group(1)} {_UNITS[m.group(2)]}", lowered)
    out: list[str] = []
    for raw in _WORD.findall(lowered):
        expansion = SLANG.get(raw)
        if expansion is None and "-" in raw:
            # "anak-anak", "bolak-balik": keep the whole and the parts.
            parts = raw.split("-")
            out.append(raw.replace("-", ""))
            out.extend(SLANG.get(p, p) for p in parts if p)
            continue
        out.extend((expansion or raw).split())
    return out


def normalize(text: str) -> str:
    """One normalised string: lower-case, slang expanded, single spaces."""
    return " ".join(tokens(text))
