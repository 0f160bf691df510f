"""Fast STIX 2.1 object validation for the TAXII ingest path.

``validate(obj)`` returns ``None`` when ``obj`` is a valid STIX 2.1 object (or bundle) and otherwise one
sentence naming the property and the rule it breaks. It gives the verdict of the official OASIS
``stix2-validator`` (its errors; its best-practice warnings are not errors) at about 1/100 of its cost:
some 35 µs of CPU for a 600-byte indicator against 3.5 ms. Two parts:

- the OASIS STIX 2.1 JSON schemas bundled in the ``stix2validator`` package, compiled lazily, once per
  schema file, with ``fastjsonschema`` (their ``$ref`` URLs resolved to the bundled files, never fetched).
  The schema is chosen as the official validator chooses it: the file named after the type, else (custom
  types) the core schema, or the cyber-observable core schema when there is neither ``created`` nor
  ``modified``. Constructs that fastjsonschema runs through exceptions on valid input (``not``, the
  ``anyOf``/``oneOf`` of custom property values and external references) are taken out of the core
  schemas and checked in Python, by fast paths that fall back to the schema itself; regular expressions
  that backtrack catastrophically on long near-misses are replaced by equivalent linear ones;
- the official validator's Python-level MUST checks: calendar-valid timestamps, ``modified`` not before
  ``created`` and the other ordered timestamp pairs, marking definitions not marking themselves,
  granular-marking selectors that select something, language codes, IANA media types and character
  sets (the lists bundled with stix2validator), UUIDv4 where SCOs need it, and ``stix`` patterns: the
  STIX 2.1 patterning grammar (a parser written here, as the ANTLR one of ``stix2-patterns`` costs
  ~300 µs a pattern) with the hash, qualifier, object-type and property-name checks of the originals.

Stricter than the official validator, because the specification says MUST:

- ``spec_version`` must be ``"2.1"``: STIX 2.0 content (an SDO/SRO without ``spec_version``, or with
  ``"2.0"``) is refused with a request to upgrade it first (the schema's enum would accept "2.0");
- an ``id`` must start with its own object's type, custom types included;
- property names must be 3–250 characters of ``a-z``, ``0-9`` and ``_``, starting with a letter (the
  schema's unanchored expression also lets e.g. ``abc-DEF`` through);
- ``*_ref`` / ``*_refs`` properties hold identifier(s), also when the schema does not define them —
  except custom ``x_...`` ones, which producers use loosely (ATT&CK 18.1 has ``x_mitre_data_source_ref: ""``).

Not mirrored (rare): ``software.cpe`` is checked by the schema's pattern only, not by the CPE parser; the
references between the objects of the deprecated ``observed-data.objects`` are not resolved; a pattern is
parsed with the 2.1 grammar whatever its ``pattern_version``. The language-code lists are copied from
``stix2validator`` (BSD 3-Clause, OASIS Open) so that ``lang`` is judged the same way.

Runtime needs: ``fastjsonschema``, ``idna`` (also a dependency of ``httpx``) and the data files of the
``stix2-validator`` package (found without importing it).
"""

from __future__ import annotations

import csv
import ipaddress
import json
import re
import threading
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Final

import fastjsonschema
import idna

__all__ = ["validate"]

# ---------------------------------------------------------------------------------------------------------------------
# Vocabulary

_UUID: Final = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
_UUID_RE: Final = re.compile(_UUID)
_IDENTIFIER_RE: Final = re.compile(r"[a-z][a-z0-9-]+[a-z0-9]--" + _UUID)
# The schemas' "^([a-z][a-z0-9]*)+(-[a-z0-9]+)*\-?$" describes the same names but backtracks
# catastrophically on a long near-miss (a denial of service on an ingest path); this one is linear.
_TYPE_RE: Final = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*-?")
_PROPERTY_NAME_RE: Final = re.compile(r"[a-z][a-z0-9_]{2,249}")
_PROPERTY_FORMAT_RE: Final = re.compile(r"^[a-z0-9_]{3,250}$")  # the official validator's, used with .match
_OBSERVABLE_TYPE_RE: Final = re.compile(r"^\-?[a-z0-9]+(-[a-z0-9]+)*\-?$")  # idem
_EXAMPLE_UUID: Final = "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"

def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_SCO_TYPES: Final = _words(
    "artifact autonomous-system directory domain-name email-addr email-message file ipv4-addr ipv6-addr mac-addr "
    "mutex network-traffic process software url user-account windows-registry-key x509-certificate"
)
# Objects that are not SCOs: without spec_version they are STIX 2.0 content.
_NON_SCO_TYPES: Final = _words(
    "attack-pattern campaign course-of-action extension-definition grouping identity incident indicator "
    "infrastructure intrusion-set language-content location malware malware-analysis marking-definition note "
    "observed-data opinion relationship report sighting threat-actor tool vulnerability"
)
_TIMESTAMP_PROPERTIES: Final[dict[str, tuple[str, ...]]] = {
    "campaign": ("first_seen", "last_seen"),
    "indicator": ("valid_from", "valid_until"),
    "infrastructure": ("first_seen", "last_seen"),
    "intrusion-set": ("first_seen", "last_seen"),
    "language-content": ("object_modified",),
    "malware": ("first_seen", "last_seen"),
    "malware-analysis": ("submitted", "analysis_started", "analysis_ended"),
    "observed-data": ("first_observed", "last_observed"),
    "report": ("published",),
    "relationship": ("start_time", "stop_time"),
    "sighting": ("first_seen", "last_seen"),
    "threat-actor": ("first_seen", "last_seen"),
    "directory": ("ctime", "mtime", "atime"),
    "email-message": ("date",),
    "file": ("ctime", "mtime", "atime"),
    "network-traffic": ("start", "end"),
    "process": ("created_time",),
    "user-account": (
        "account_created",
        "account_expires",
        "credential_last_changed",
        "account_first_login",
        "account_last_login",
    ),
    "windows-registry-key": ("modified_time",),
    "x509-certificate": ("validity_not_before", "validity_not_after"),
}
# (later, strictly, earlier): `later` must be after `earlier` (or equal when not strictly).
_TIMESTAMP_ORDER: Final[dict[str, tuple[tuple[str, bool, str], ...]]] = {
    "campaign": (("last_seen", False, "first_seen"),),
    "indicator": (("valid_until", True, "valid_from"),),
    "infrastructure": (("last_seen", False, "first_seen"),),
    "intrusion-set": (("last_seen", False, "first_seen"),),
    "malware": (("last_seen", False, "first_seen"),),
    "observed-data": (("last_observed", False, "first_observed"),),
    "relationship": (("stop_time", True, "start_time"),),
    "sighting": (("last_seen", False, "first_seen"),),
    "threat-actor": (("last_seen", False, "first_seen"),),
    "network-traffic": (("end", False, "start"),),
}
# SCOs whose id must be a UUIDv4 when none of these ID contributing properties is present.
_ID_CONTRIBUTING: Final[dict[str, tuple[str, ...]]] = {
    "artifact": ("hashes", "payload_bin"),
    "email-message": ("from_ref", "subject", "body"),
    "user-account": ("account_type", "user_id", "account_login"),
    "windows-registry-key": ("key", "values"),
    "x509-certificate": ("hashes", "serial_number"),
}
_RESERVED_PROPERTIES: Final = ("severity", "action", "username", "phone_numbers")
_PLAIN_VALUE_TYPES: Final = frozenset((str, int, float, bool, dict))
# external-reference.json's expressions, with fastjsonschema's reading of `$` as `\Z`
_CVE_RE: Final = re.compile(r"^CVE-\d{4}-(0\d{3}|[1-9]\d{3,})\Z")
_CAPEC_RE: Final = re.compile(r"^CAPEC-\d+\Z")
_CVE_OR_CAPEC_RE: Final = re.compile(r"^((CVE-\d{4}-(0\d{3}|[1-9]\d{3,}))|(CAPEC-\d+))\Z")
_MIME_TYPE_RE: Final = re.compile(
    r"^(application|audio|font|image|message|model|multipart|text|video)/[a-zA-Z0-9.+_-]+"
)
_CHARSET_RE: Final = re.compile(r"^[a-zA-Z0-9_\(\)-]+$")

# The RFC 5646 codes accepted for `lang` (and ISO 639-2 codes, also accepted for software.languages).
_LANG_CODES: Final = _words(
    "af af-ZA ar ar-AE ar-BH ar-DZ ar-EG ar-IQ ar-JO ar-KW ar-LB ar-LY ar-MA ar-OM ar-QA ar-SA ar-SY ar-TN ar-YE "
    "az az-AZ az-Cyrl-AZ be be-BY bg bg-BG bs-BA ca ca-ES cs cs-CZ cy cy-GB da da-DK de de-AT de-CH de-DE de-LI "
    "de-LU dv dv-MV el el-GR en en-AU en-BZ en-CA en-CB en-GB en-IE en-JM en-NZ en-PH en-TT en-US en-ZA en-ZW eo "
    "es es-AR es-BO es-CL es-CO es-CR es-DO es-EC es-ES es-GT es-HN es-MX es-NI es-PA es-PE es-PR es-PY es-SV "
    "es-UY es-VE et et-EE eu eu-ES fa fa-IR fi fi-FI fo fo-FO fr fr-BE fr-CA fr-CH fr-FR fr-LU fr-MC gl gl-ES gu "
    "gu-IN he he-IL hi hi-IN hr hr-BA hr-HR hu hu-HU hy hy-AM id id-ID is is-IS it it-CH it-IT ja ja-JP ka ka-GE "
    "kk kk-KZ kn kn-IN ko ko-KR kok kok-IN ky ky-KG lt lt-LT lv lv-LV mi mi-NZ mk mk-MK mn mn-MN mr mr-IN ms "
    "ms-BN ms-MY mt mt-MT nb nb-NO nl nl-BE nl-NL nn-NO ns ns-ZA pa pa-IN pl pl-PL ps ps-AR pt pt-BR pt-PT qu "
    "qu-BO qu-EC qu-PE ro ro-RO ru ru-RU sa sa-IN se se-FI se-NO se-SE sk sk-SK sl sl-SI sq sq-AL sr-BA "
    "sr-Cyrl-BA sr-SP sr-Cyrl-SP sv sv-FI sv-SE sw sw-KE syr syr-SY ta ta-IN te te-IN th th-TH tl tl-PH tn tn-ZA "
    "tr tr-TR tt tt-RU ts uk uk-UA ur ur-PK uz uz-UZ uz-Cyrl-UZ vi vi-VN xh xh-ZA zh zh-CN zh-HK zh-MO zh-SG "
    "zh-TW zu zu-ZA"
)
_ISO639_2_CODES: Final = _words(
    "aar abk ace ach ada ady afa afh afr ain aka akk alb sqi ale alg alt amh ang anp apa ara arc arg arm hye arn "
    "arp art arw asm ast ath aus ava ave awa aym aze bad bai bak bal bam ban baq eus bas bat bej bel bem ben ber "
    "bho bih bik bin bis bla bnt tib bod bos bra bre btk bua bug bul bur mya byn cad cai car cat cau ceb cel cze "
    "ces cha chb che chg chi zho chk chm chn cho chp chr chu chv chy cmc cop cor cos cpe cpf cpp cre crh crp csb "
    "cus wel cym dak dan dar day del den ger deu dgr din div doi dra dsb dua dum dut nld dyu dzo efi egy eka gre "
    "ell elx eng enm epo est ewe ewo fan fao per fas fat fij fil fin fiu fon fre fra frm fro frr frs fry ful fur "
    "gaa gay gba gem geo kat gez gil gla gle glg glv gmh goh gon gor got grb grc grn gsw guj gwi hai hat hau haw "
    "heb her hil him hin hit hmn hmo hrv hsb hun hup iba ibo ice isl ido iii ijo iku ile ilo ina inc ind ine inh "
    "ipk ira iro ita jav jbo jpn jpr jrb kaa kab kac kal kam kan kar kas kau kaw kaz kbd kha khi khm kho kik kin "
    "kir kmb kok kom kon kor kos kpe krc krl kro kru kua kum kur kut lad lah lam lao lat lav lez lim lin lit lol "
    "loz ltz lua lub lug lui lun luo lus mac mkd mad mag mah mai mak mal man mao mri map mar mas may msa mdf mdr "
    "men mga mic min mis mkh mlg mlt mnc mni mno moh mon mos mul mun mus mwl mwr myn myv nah nai nap nau nav nbl "
    "nde ndo nds nep new nia nic niu nno nob nog non nor nqo nso nub nwc nya nym nyn nyo nzi oci oji ori orm osa "
    "oss ota oto paa pag pal pam pan pap pau peo phi phn pli pol pon por pra pro pus qaa-qtz que raj rap rar roa "
    "roh rom rum ron run rup rus sad sag sah sai sal sam san sas sat scn sco sel sem sga sgn shn sid sin sio sit "
    "sla slo slk slv sma sme smi smj smn smo sms sna snd snk sog som son sot spa srd srn srp srr ssa ssw suk sun "
    "sus sux swa swe syc syr tah tai tam tat tel tem ter tet tgk tgl tha tig tir tiv tkl tlh tli tmh tog ton tpi "
    "tsi tsn tso tuk tum tup tur tut tvl twi tyv udm uga uig ukr umb und urd uzb vai ven vie vol vot wak wal war "
    "was wen wln wol xal xho yao yap yid yor ypk zap zbl zen zgh zha znd zul zun zxx zza"
)


# The software.languages items must match this expression (in software.json) and be known language codes (the
# official validator's MUST). Its nested repetitions take quadratic time on a long near-miss, so the schema is
# relieved of it and the codes that pass both tests are listed once.
_LANGUAGE_TAG_PATTERN: Final = (
    r"^([a-z]{2}(-[A-Z]{2})?(-[a-z]{4})?(-[A-Z]{2}|[0-9]{3})?(-[a-z0-9]{5,8}|[0-9][a-z0-9]{3})*(-[a-z0-9]{1,8})*"
    r"|[a-z]{3})$"
)
_SOFTWARE_LANGUAGES: Final = frozenset(
    code for code in _LANG_CODES | _ISO639_2_CODES if re.search(_LANGUAGE_TAG_PATTERN.replace("$", r"\Z"), code)
)

# ---------------------------------------------------------------------------------------------------------------------
# Entry point


def validate(obj: object) -> str | None:
    """None when the object is valid STIX 2.1; otherwise one clear sentence naming the property and the rule broken."""
    if not isinstance(obj, dict):
        return f"A STIX object must be a JSON object, not {_json_kind(obj)}."
    if obj.get("type") == "bundle":
        return _validate_bundle(obj)
    return _validate_object(obj)


def _validate_object(obj: dict[str, Any]) -> str | None:
    type_ = obj.get("type")
    if not isinstance(type_, str):
        if "type" not in obj:
            return "The required property 'type' is missing."
        return f"Property 'type' must be a string, not {_json_kind(type_)}."
    if not (3 <= len(type_) <= 250 and _TYPE_RE.fullmatch(type_)):
        return (
            f"Property 'type' ({_shown(type_)}) must be 3-250 lowercase ASCII letters, digits and hyphens, "
            "starting with a letter."
        )
    schema = _schema_for(obj, type_)
    return (
        _check_spec_version(obj, type_)
        or _check_id(obj, type_)
        or _check_properties(obj, type_, _builds_on_core(schema) or _builds_on_observable_core(schema))
        or _schema_problem(schema, obj, type_)
        or (_check_external_references(obj, type_) if _builds_on_core(schema) or schema == _MARKING else None)
        or _check_musts(obj, type_)
    )


def _validate_bundle(bundle: dict[str, Any]) -> str | None:
    problem = _check_id(bundle, "bundle")
    if problem:
        return problem
    if bundle.get("spec_version") == "2.0":
        return "Property 'spec_version' is '2.0': STIX 2.0 content is refused, upgrade the bundle to STIX 2.1 first."
    objects = bundle.get("objects", [])
    if not isinstance(objects, list):
        return f"Property 'objects' of a bundle must be a list of STIX objects, not {_json_kind(objects)}."
    for position, item in enumerate(objects):
        problem = validate(item)
        if problem:
            named = f" ({item['id']})" if isinstance(item, dict) and isinstance(item.get("id"), str) else ""
            return f"Bundle object objects[{position}]{named}: {problem}"
    return None


# ---------------------------------------------------------------------------------------------------------------------
# Checks before the schema: the common mistakes, with a precise message


def _check_spec_version(obj: dict[str, Any], type_: str) -> str | None:
    if "spec_version" not in obj:
        if type_ not in _SCO_TYPES and ("created" in obj or "modified" in obj or type_ in _NON_SCO_TYPES):
            return (
                "Property 'spec_version' is missing, which makes this STIX 2.0 content: STIX 2.0 is refused, "
                "upgrade the object to STIX 2.1 first."
            )
        return None  # a STIX 2.1 cyber-observable object may omit it
    version = obj["spec_version"]
    if version == "2.1":
        return None
    if version == "2.0":
        return "Property 'spec_version' is '2.0': STIX 2.0 content is refused, upgrade the object to STIX 2.1 first."
    return f"Property 'spec_version' must be '2.1', not {_shown(version)}."


def _check_id(obj: dict[str, Any], type_: str) -> str | None:
    if "id" not in obj:
        return "The required property 'id' is missing."
    identifier = obj["id"]
    if not isinstance(identifier, str):
        return f"Property 'id' must be a string '{type_}--<UUID>', not {_json_kind(identifier)}."
    prefix, separator, uuid = identifier.rpartition("--")
    if not separator or not _UUID_RE.fullmatch(uuid):
        return (
            f"Property 'id' ({_shown(identifier)}) must be '<type>--<UUID>' with an RFC 4122 UUID, "
            f"e.g. '{type_}--{_EXAMPLE_UUID}'."
        )
    if prefix != type_:
        return f"Property 'id' ({_shown(identifier)}) must start with the object's own type: '{type_}--'."
    return None


def _check_properties(obj: dict[str, Any], type_: str, core_based: bool) -> str | None:
    """Property names, `*_ref(s)` values, and what the core schemas require but `_load_schema` takes out of them
    (fastjsonschema's code for those constructs raises and catches exceptions on valid objects, which is slow):
    the reserved names, and the value rules of properties.json (by a sound fast path, the schema as fallback)."""
    plain_values = True
    for name, value in obj.items():
        kind = _name_kinds.get(name)
        if kind is None:
            if not isinstance(name, str) or not (_PROPERTY_NAME_RE.fullmatch(name) or name == "id"):
                return (
                    f"Property name {_shown(name)} is invalid: property names must be 3-250 lowercase ASCII letters, "
                    "digits and underscores, starting with a letter."
                )
            kind = _name_kind(name)
            if len(_name_kinds) < 10_000:
                _name_kinds[name] = kind
        if kind == _REF:
            if not (isinstance(value, str) and _IDENTIFIER_RE.fullmatch(value)):
                return f"Property {name!r} must hold a STIX identifier '<type>--<UUID>', not {_shown(value)}."
        elif kind == _REFS:
            if not (
                isinstance(value, list) and all(isinstance(ref, str) and _IDENTIFIER_RE.fullmatch(ref) for ref in value)
            ):
                return f"Property {name!r} must be a list of STIX identifiers '<type>--<UUID>', not {_shown(value)}."
        elif kind == _ENCODED:
            plain_values = False
        value_type = type(value)
        if value_type not in _PLAIN_VALUE_TYPES and not (value_type is list and value):
            plain_values = False
    if not core_based:  # e.g. a marking definition: its schema does not build on the core schemas
        return None
    return _check_core_rules(obj, type_) or (None if plain_values else _schema_problem(_PROPERTIES, obj, type_))


def _check_core_rules(obj: dict[str, Any], type_: str) -> str | None:
    if type_ == "action":
        return "Property 'type' must not be 'action', a name STIX reserves."
    for name in _RESERVED_PROPERTIES:
        if name in obj:
            return f"Property {name!r} is reserved by STIX and must not be used."
    return None


_PLAIN, _REF, _REFS, _ENCODED = range(4)
_name_kinds: dict[str, int] = {}  # valid property names seen, by kind (a bounded cache)


def _name_kind(name: str) -> int:
    if name.startswith("x_"):  # custom references are not checked (the official validator does not either)
        return _ENCODED if name.endswith(("_bin", "_hex")) else _PLAIN
    if name.endswith("_ref"):
        return _REF
    if name.endswith("_refs"):
        return _REFS
    return _ENCODED if name.endswith(("_bin", "_hex")) else _PLAIN


def _check_external_references(obj: dict[str, Any], type_: str) -> str | None:
    """`external_references` items, taken out of the core and marking-definition schemas for the same reason."""
    references = obj.get("external_references")
    if not isinstance(references, list):
        return None
    for position, reference in enumerate(references):
        if not _plain_external_reference(reference):
            problem = _schema_problem(_EXTERNAL_REFERENCE, reference, type_, f"data.external_references[{position}]")
            if problem:
                return problem
    return None


def _plain_external_reference(reference: object) -> bool:
    """True only for references that external-reference.json accepts (the others go to the schema)."""
    if not isinstance(reference, dict) or "hashes" in reference:
        return False
    source = reference.get("source_name")
    if not isinstance(source, str) or not isinstance(reference.get("description", ""), str):
        return False
    if "url" in reference and not (isinstance(reference["url"], str) and _is_uri(reference["url"])):
        return False
    identifier = reference.get("external_id")
    if source == "cve":
        return isinstance(identifier, str) and _CVE_RE.search(identifier) is not None
    if source == "capec":
        return isinstance(identifier, str) and _CAPEC_RE.search(identifier) is not None
    if "external_id" in reference and not (isinstance(identifier, str) and not _CVE_OR_CAPEC_RE.search(identifier)):
        return False
    return "external_id" in reference or "description" in reference or "url" in reference


# ---------------------------------------------------------------------------------------------------------------------
# The OASIS JSON schemas, compiled once per schema file

_SCHEMA_URL: Final = "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/"
_CORE: Final = "common/core.json"
_OBSERVABLE_CORE: Final = "common/cyber-observable-core.json"
_PROPERTIES: Final = "common/properties.json"
_EXTERNAL_REFERENCE: Final = "common/external-reference.json"
_MARKING: Final = "common/marking-definition.json"
_PATTERN_FIXES: Final = {
    # catastrophic backtracking (nested quantifier) in the type-name patterns; same language, linear time
    r"^([a-z][a-z0-9]*)+(-[a-z0-9]+)*\-?$": r"^[a-z][a-z0-9]*(-[a-z0-9]+)*-?$",
    r"^([a-z][a-z0-9]*)+(-[a-z0-9]+)*\-ext$": r"^[a-z][a-z0-9]*(-[a-z0-9]+)*-ext$",
    # the unanchored alternative lets any name through that merely starts right ('abc-DEF') or ends in 'id'
    r"^([a-z][a-z0-9_]{2,249})|id$": r"^([a-z][a-z0-9_]{2,249}|id)$",
}
_validators: dict[str, Callable[..., Any]] = {}
_compile_lock = threading.Lock()


def _schema_problem(relative: str, value: Any, type_: str, where: str = "data") -> str | None:
    """What the schema file `relative` finds wrong with `value` (named `where`), or None."""
    try:
        _schema_validator(relative)(value, name_prefix=where)
    except fastjsonschema.JsonSchemaValueException as error:
        return _describe(error, type_)
    return None


def _schema_validator(relative: str) -> Callable[..., Any]:
    validator = _validators.get(relative)
    if validator is None:
        with _compile_lock:
            validator = _validators.get(relative)
            if validator is None:
                validator = _validators[relative] = fastjsonschema.compile(
                    _load_schema(relative),
                    handlers={"http": _fetch_schema, "https": _fetch_schema},
                    formats=_FORMATS,
                    use_default=False,
                )
    return validator


def _schema_for(obj: dict[str, Any], type_: str) -> str:
    schema = _object_schemas().get(type_)
    if schema:
        return schema
    return _CORE if "created" in obj or "modified" in obj else _OBSERVABLE_CORE


@lru_cache(maxsize=1)
def _package_root() -> Path:
    """The installed stix2validator package: its STIX schemas and IANA lists are used, its code is not."""
    spec = find_spec("stix2validator")  # finds the package without importing it
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / "schemas-2.1" / "schemas").is_dir():
            return Path(location)
    raise RuntimeError("the OASIS STIX 2.1 JSON schemas were not found: install stix2-validator, which bundles them")


def _schema_root() -> Path:
    return _package_root() / "schemas-2.1" / "schemas"


@lru_cache(maxsize=1)
def _object_schemas() -> dict[str, str]:
    """Object type → schema file (relative to the schema root): the official validator takes the file named
    after the type from any folder, even common/ building blocks such as hex.json."""
    root = _schema_root()
    return {
        path.stem: f"{folder}/{path.name}"
        for folder in ("common", "observables", "sros", "sdos")
        for path in sorted((root / folder).glob("*.json"))
    }


def _builds_on_core(schema: str) -> bool:
    return schema.startswith(("sdos/", "sros/")) or schema in (
        _CORE,
        "common/extension-definition.json",
        "common/language-content.json",
    )


def _builds_on_observable_core(schema: str) -> bool:
    return schema.startswith("observables/") or schema == _OBSERVABLE_CORE


def _fetch_schema(uri: str) -> Any:
    if not uri.startswith(_SCHEMA_URL):
        raise ValueError(f"refusing to fetch the JSON schema {uri}: only the bundled STIX schemas are used")
    return _load_schema(uri[len(_SCHEMA_URL) :].partition("#")[0])


def _load_schema(relative: str) -> Any:
    path = (_schema_root() / relative).resolve()
    if _schema_root().resolve() not in path.parents:
        raise ValueError(f"the JSON schema {relative} is outside the bundled STIX schemas")
    schema = _patch_schema(json.loads(path.read_text(encoding="utf-8")))
    try:  # see _check_core_rules and _check_external_references
        if relative in (_CORE, _OBSERVABLE_CORE):
            del schema["allOf"], schema["not"], schema["properties"]["type"]["not"]
        if relative in (_CORE, "common/marking-definition.json"):
            del schema["properties"]["external_references"]["items"]
        if relative == "observables/software.json":  # see _SOFTWARE_LANGUAGES
            languages = schema["allOf"][1]["properties"]["languages"]["items"]
            if languages.pop("pattern") != _LANGUAGE_TAG_PATTERN:
                raise KeyError("languages.items.pattern")
    except KeyError as error:
        raise RuntimeError(f"the bundled STIX schema {relative} has an unexpected layout ({error})") from error
    return schema


def _patch_schema(node: Any) -> Any:
    """Make the schemas' regular expressions safe and exact for Python's `re` (see `_PATTERN_FIXES`)."""
    if isinstance(node, list):
        return [_patch_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    patched: dict[str, Any] = {}
    for key, value in node.items():
        if key == "pattern" and isinstance(value, str):
            patched[key] = _fix_pattern(value)
        elif key == "patternProperties" and isinstance(value, dict):
            patched[key] = {_fix_pattern(pattern): _patch_schema(schema) for pattern, schema in value.items()}
        else:
            patched[key] = _patch_schema(value)
    return patched


def _fix_pattern(pattern: str) -> str:
    pattern = _PATTERN_FIXES.get(pattern, pattern)
    # fastjsonschema turns every unescaped `$` into `\Z`, which is an error inside a character class
    out: list[str] = []
    in_class = False
    position = 0
    while position < len(pattern):
        char = pattern[position]
        if char == "\\":
            out.append(pattern[position : position + 2])
            position += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "$" and in_class:
            char = "\\$"
        out.append(char)
        position += 1
    return "".join(out)


# The `format`s the schemas use, checked as the official validator checks them.
_EMAIL_RE: Final = re.compile(r"^[a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+$")  # stix2-validator's own
_URI_CHARS: Final = r"A-Za-z0-9\-._~!$&'()*+,;="  # RFC 3986 unreserved and sub-delims
_PCT: Final = r"%[0-9A-Fa-f]{2}"
_PCHAR: Final = rf"(?:[{_URI_CHARS}:@]|{_PCT})"
_PATH_CHAR: Final = rf"(?:[{_URI_CHARS}:@/]|{_PCT})"
_QUERY: Final = rf"(?:[{_URI_CHARS}:@/?]|{_PCT})*"
_URI_RE: Final = re.compile(
    rf"[A-Za-z][A-Za-z0-9+.\-]*:"
    rf"(?://(?:(?:[{_URI_CHARS}:]|{_PCT})*@)?(?P<host>\[[^\]]*\]|(?:[{_URI_CHARS}]|{_PCT})*)(?::[0-9]*)?"
    rf"(?:/{_PATH_CHAR}*)?"
    rf"|/(?:{_PCHAR}{_PATH_CHAR}*)?"
    rf"|{_PCHAR}{_PATH_CHAR}*"
    rf"|)"
    rf"(?:\?{_QUERY})?(?:\#{_QUERY})?"
)
_IP_FUTURE_RE: Final = re.compile(rf"v[0-9A-Fa-f]+\.[{_URI_CHARS}:]+")


def _is_uri(value: str) -> bool:
    """An absolute URI by RFC 3986's grammar."""
    match = _URI_RE.fullmatch(value)
    if not match:
        return False
    host = match.group("host")
    if not host or not host.startswith("["):
        return True
    literal = host[1:-1]
    if _IP_FUTURE_RE.fullmatch(literal):
        return True
    try:
        ipaddress.IPv6Address(literal)
    except ValueError:
        return False
    return "%" not in literal


def _is_email(value: str) -> bool:
    return _EMAIL_RE.match(value) is not None


def _is_idn_hostname(value: str) -> bool:
    try:
        idna.encode(value)
    except (idna.IDNAError, UnicodeError):
        return False
    return True


_FORMATS: Final[dict[str, Callable[[str], bool]]] = {
    "uri": _is_uri,
    "email": _is_email,
    "idn-hostname": _is_idn_hostname,
}
_FORMAT_NAMES: Final = {"uri": "URI (RFC 3986)", "email": "e-mail address", "idn-hostname": "host name"}
_TIMESTAMP_PATTERN: Final = (
    r"^[0-9]{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\.[0-9]+)?Z$"
)
_PATTERN_MEANINGS: Final = {
    _TIMESTAMP_PATTERN: "must be an RFC 3339 timestamp in UTC with a 'Z', e.g. 2016-04-06T20:03:48.000Z",
    r"T\d{2}:\d{2}:\d{2}\.\d{3,}Z$": "must be precise to the millisecond at least, e.g. 2016-04-06T20:03:48.000Z",
    "^[a-z][a-z0-9-]+[a-z0-9]--" + _UUID + "$": "must be a STIX identifier '<type>--<UUID>'",
}


def _describe(error: fastjsonschema.JsonSchemaValueException, type_: str) -> str:
    """One sentence for a schema violation."""
    name = error.name or "data"
    where = name[4:].lstrip(".") if name.startswith("data") else name
    subject = f"Property {where!r}" if where else f"The {type_!r} object"
    value = error.value
    rule = error.rule
    definition = error.rule_definition
    node = error.definition if isinstance(error.definition, dict) else {}
    if rule in ("oneOf", "anyOf") and isinstance(value, dict):  # a required property missing is the likely cause
        definition = node.get("required")
        rule = "required" if any(prop not in value for prop in definition or ()) else rule
    if rule == "required" and isinstance(value, dict) and isinstance(definition, list):
        missing = [prop for prop in definition if prop not in value] or definition
        owner = f"property {where!r}" if where else f"the {type_!r} object"
        return f"The required property {missing[0]!r} is missing from {owner}."
    if rule == "pattern" and isinstance(definition, str):
        detail = _PATTERN_MEANINGS.get(definition, f"must match the regular expression {definition}")
    elif rule == "type":
        kinds = definition if isinstance(definition, list) else [definition]
        detail = "must be a JSON " + " or ".join(str(kind) for kind in kinds)
    elif rule == "format" and isinstance(definition, str):
        detail = f"must be a valid {_FORMAT_NAMES.get(definition, definition)}"
    elif rule in ("oneOf", "anyOf") and (value is None or value == []):
        detail = "must not be null or an empty list"
    elif rule in ("oneOf", "anyOf"):
        how_many = "exactly one" if rule == "oneOf" else "at least one"
        names = sorted(_properties_named(node.get(rule)))
        detail = f"must match {how_many} of the forms its schema allows" + (
            f" (they differ in {', '.join(names)})" if 0 < len(names) <= 8 else ""
        )
    elif rule == "not":
        detail = "takes a form or holds a property that its schema forbids"
    else:
        message = error.message
        detail = message[len(name) :].strip() if message.startswith(name) else message
    if isinstance(value, (dict, list)) or not where:
        return f"{subject} {detail}."
    return f"{subject} ({_shown(value)}) {detail}."


def _properties_named(branches: object, depth: int = 0) -> set[str]:
    """The property names that the alternatives of a oneOf/anyOf constrain (to say what they are about)."""
    names: set[str] = set()
    for branch in branches if isinstance(branches, list) and depth < 3 else ():
        if isinstance(branch, dict):
            names.update(name for name in branch.get("properties", {}) if isinstance(name, str))
            names.update(name for name in branch.get("required", ()) if isinstance(name, str))
            for keyword in ("allOf", "anyOf", "oneOf"):
                names |= _properties_named(branch.get(keyword), depth + 1)
    return names


# ---------------------------------------------------------------------------------------------------------------------
# The official validator's MUST checks that the schemas cannot express


def _check_musts(obj: dict[str, Any], type_: str) -> str | None:
    problem = _check_timestamps(obj, type_) or _check_granular_markings(obj, type_)
    if problem:
        return problem
    lang = obj.get("lang")
    if lang is not None and not (isinstance(lang, str) and lang in _LANG_CODES):
        return f"Property 'lang' ({_shown(lang)}) is not a known RFC 5646 language code."
    if type_ in _SCO_TYPES:
        return _check_observable(obj, type_) or _check_uuid_version(obj, type_)
    if type_ == "indicator":
        return _check_indicator(obj)
    if type_ == "observed-data":
        return _check_observed_objects(obj)
    if type_ == "language-content":
        return _check_language_contents(obj)
    return None


def _check_timestamps(obj: dict[str, Any], type_: str) -> str | None:
    for prop in ("created", "modified", *_TIMESTAMP_PROPERTIES.get(type_, ())):
        reason = _calendar_error(obj.get(prop))
        if reason:
            return f"Property {prop!r} ({obj[prop]!r}) is not a valid date and time: {reason}."
    if type_ == "file" and isinstance(obj.get("extensions"), dict):
        for extension_name, extension in obj["extensions"].items():
            value = extension.get("time_date_stamp") if isinstance(extension, dict) else None
            if _calendar_error(value):
                return f"Property 'extensions.{extension_name}.time_date_stamp' ({value!r}) is not a valid date."
    if type_ == "x509-certificate" and isinstance(obj.get("x509_v3_extensions"), dict):
        for prop in ("private_key_usage_period_not_before", "private_key_usage_period_not_after"):
            value = obj["x509_v3_extensions"].get(prop)
            if _calendar_error(value):
                return f"Property 'x509_v3_extensions.{prop}' ({value!r}) is not a valid date."
    for later, strictly, earlier in (("modified", False, "created"), *_TIMESTAMP_ORDER.get(type_, ())):
        late, early = obj.get(later), obj.get(earlier)
        if isinstance(late, str) and isinstance(early, str):
            order = _timestamp_order(late, early)
            if order < 0 or (strictly and order == 0):
                relation = "later than" if strictly else "later than or equal to"
                return f"Property {later!r} ({late}) must be {relation} {earlier!r} ({early})."
    return None


_TIMESTAMP_RE: Final = re.compile(_TIMESTAMP_PATTERN)  # used with .match, as the official validator does


def _calendar_error(value: object) -> str | None:
    """Why a timestamp-shaped string is not a real instant (Feb 30, a leap second), or None."""
    if not isinstance(value, str) or not _TIMESTAMP_RE.match(value):
        return None  # not a timestamp at all: the schema judges that where it matters
    if value[8] != "3" and value[8:10] != "29" and value[17:19] != "60" and not value.startswith("0000"):
        return None  # the pattern allows only real instants otherwise
    try:
        datetime(int(value[0:4]), int(value[5:7]), int(value[8:10]), int(value[11:13]), int(value[14:16]),
                 int(value[17:19]))
    except ValueError as error:
        return str(error)
    return None


def _timestamp_order(first: str, second: str) -> int:
    """-1, 0 or 1 as `first` is before, at or after `second` (chronologically when both are timestamps)."""
    if _TIMESTAMP_RE.match(first) and _TIMESTAMP_RE.match(second):
        first_fraction, second_fraction = first[20 : first.index("Z")], second[20 : second.index("Z")]
        width = max(len(first_fraction), len(second_fraction))
        first = first[:19] + first_fraction.ljust(width, "0")
        second = second[:19] + second_fraction.ljust(width, "0")
    return (first > second) - (first < second)


_INDEX_SEGMENT_RE: Final = re.compile(r"\[(\d+)\]")


def _check_granular_markings(obj: dict[str, Any], type_: str) -> str | None:
    own_id = obj["id"]
    if type_ == "marking-definition" and own_id in (obj.get("object_marking_refs") or ()):
        return "Property 'object_marking_refs' must not reference this marking definition itself."
    for position, marking in enumerate(obj.get("granular_markings") or ()):
        if not isinstance(marking, dict):
            continue
        if type_ == "marking-definition" and marking.get("marking_ref") == own_id:
            return f"Property 'granular_markings[{position}].marking_ref' must not reference this marking definition."
        for selector in marking.get("selectors") or ():
            if isinstance(selector, str) and not _selects(obj, selector):
                return (
                    f"Property 'granular_markings[{position}].selectors' holds {selector!r}, "
                    "which selects nothing in this object."
                )
    return None


def _selects(obj: dict[str, Any], selector: str) -> bool:
    target: Any = obj
    for segment in selector.split("."):
        index = _INDEX_SEGMENT_RE.match(segment)
        if index:
            position = int(index.group(1))
            if not (isinstance(target, (list, str)) and position < len(target)):
                return False
            target = target[position]
        elif isinstance(target, dict) and segment in target:
            target = target[segment]
        else:
            return False
    return True


def _check_observable(sco: dict[str, Any], type_: str) -> str | None:
    """The checks of a cyber-observable object, also applied to those inside observed-data `objects`."""
    if type_ == "artifact" and "mime_type" in sco:
        value = sco["mime_type"]
        known = _iana_list("mediatype_*.csv", "Template", "Name")
        if not (isinstance(value, str) and (value in known if known else _MIME_TYPE_RE.match(value))):
            return (
                f"Property 'mime_type' ({_shown(value)}) must be an IANA registered media type "
                "of the form 'type/subtype'."
            )
    for charset_type, prop in (("directory", "path_enc"), ("file", "name_enc")):
        if type_ == charset_type and prop in sco:
            value = sco[prop]
            known = _iana_list("charsets.csv", "Preferred MIME Name", "Name")
            if not (isinstance(value, str) and (value in known if known else _CHARSET_RE.match(value))):
                return f"Property {prop!r} ({_shown(value)}) must be an IANA registered character set."
    if type_ == "software" and isinstance(sco.get("languages"), list):
        for language in sco["languages"]:
            if not (isinstance(language, str) and language in _SOFTWARE_LANGUAGES):
                return f"Property 'languages' holds {_shown(language)}, which is not an RFC 5646 language code."
    return None


@lru_cache(maxsize=2)
def _iana_list(files: str, first_column: str, second_column: str) -> frozenset[str]:
    """An IANA registry as bundled with stix2validator (empty when absent: then a syntax check is used instead, as
    the official validator does). Media types are named by their template, or else 'category/name'."""
    names: set[str] = set()
    for path in sorted((_package_root() / "v21" / "assets").glob(files)):
        category = path.stem.partition("_")[2]
        with path.open(encoding="utf-8", newline="") as stream:
            for row in csv.DictReader(stream):
                if row.get(first_column):
                    names.add(row[first_column])
                elif row.get(second_column):
                    names.add(f"{category}/{row[second_column]}" if category else row[second_column])
    return frozenset(names)


def _check_uuid_version(sco: dict[str, Any], type_: str) -> str | None:
    version = sco["id"][-22]  # the version digit of the UUID (checked by _check_id)
    if type_ == "process" and version != "4":
        return "Property 'id' of a process object must use a version 4 UUID."
    contributing = _ID_CONTRIBUTING.get(type_)
    if contributing and version != "4" and not any(prop in sco for prop in contributing):
        return (
            f"Property 'id' must use a version 4 UUID when none of the ID contributing properties "
            f"({', '.join(contributing)}) is present."
        )
    return None


def _check_observed_objects(obj: dict[str, Any]) -> str | None:
    objects = obj.get("objects")
    if not isinstance(objects, dict):
        return None
    for key, sco in objects.items():
        if isinstance(sco, dict) and isinstance(sco.get("type"), str):
            problem = (
                _check_core_rules(sco, sco["type"])
                or _schema_problem(_PROPERTIES, sco, sco["type"])
                or _check_timestamps(sco, sco["type"])
                or _check_observable(sco, sco["type"])
            )
            if problem:
                return f"In observed-data object {key!r}: {problem}"
    return None


def _check_language_contents(obj: dict[str, Any]) -> str | None:
    contents = obj.get("contents")
    if not isinstance(contents, dict):
        return None
    for language, translations in contents.items():
        if language not in _LANG_CODES:
            return f"Property 'contents' has the key {language!r}, which is not a known RFC 5646 language code."
        for name in translations if isinstance(translations, dict) else ():
            if not _PROPERTY_FORMAT_RE.match(name):
                return f"Property 'contents.{language}' has the key {name!r}, which is not a valid property name."
    return None


def _check_indicator(obj: dict[str, Any]) -> str | None:
    pattern = obj.get("pattern")
    if obj.get("pattern_type") != "stix" or not isinstance(pattern, str):
        return None
    problem = _pattern_problem(pattern)
    return f"Property 'pattern' is not a valid STIX 2.1 pattern: {problem}." if problem else None


# ---------------------------------------------------------------------------------------------------------------------
# STIX 2.1 patterns: the grammar of stix2-patterns' STIXPattern.g4 (v21), plus the checks stix2-patterns and
# stix2-validator add (hash values, duplicate qualifiers, observable type and property names).

_PATTERN_SPACE: Final = r"[ \t\r\n\x0b\x0c\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
# One token per match, after any white space and comments (possessive: no backtracking). The alternatives are
# ordered so that the first to match is the lexer's longest match; the empty match at the end ends the list.
_PATTERN_TOKEN_RE: Final = re.compile(
    rf"(?:{_PATTERN_SPACE}+|/\*[\s\S]*?\*/|//[^\r\n]*)*+("
    r"[+-]?[0-9]*\.[0-9]+"  # float
    r"|[+-]?(?:0|[1-9][0-9]*)"  # int
    r"|h'(?:[0-9A-Fa-f]{2})*'"  # hex
    r"|b'(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)'"  # binary
    r"|t'[0-9]{4}-(?:0[1-9]|1[012])-(?:0[1-9]|[12][0-9]|3[01])"  # timestamp
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\.[0-9]+)?Z'"
    r"|'[^'\\]*(?:\\['\\][^'\\]*)*'"  # string
    r"|[A-Za-z_][A-Za-z0-9_-]*"  # keyword or identifier
    r"|==|!=|<>|<=|>="
    rf"|(?!{_PATTERN_SPACE})[\s\S]"  # one character: punctuation, or a character no token starts with
    r"|\Z)"
)
# Token text → kind, for the texts that are their own kind.
_PATTERN_KINDS: Final = {
    **{word: word for word in _words(
        "AND OR NOT FOLLOWEDBY LIKE MATCHES ISSUPERSET ISSUBSET EXISTS LAST IN START STOP SECONDS WITHIN REPEATS "
        "TIMES : . , ( ) [ ] * < <= > >="
    )},
    "=": "=", "==": "=", "!=": "!=", "<>": "!=", "true": "bool", "false": "bool", "": "end",
}
_LITERAL_KINDS: Final = {"h": "hex", "b": "binary", "t": "timestamp"}
_TOKEN_NAMES: Final = {
    "int+": "a number", "int-": "a number", "float+": "a number", "float-": "a number", "string": "a string",
    "binary": "a b'...' value", "hex": "an h'...' value", "timestamp": "a t'...' timestamp", "bool": "true or false",
    "identifier": "a name", "identifier-with-hyphen": "a name", "end": "the end",
}
_ORDERABLE: Final = ("int+", "int-", "float+", "float-", "string", "binary", "hex", "timestamp")
_PRIMITIVE: Final = (*_ORDERABLE, "bool")
_HASH_VALUE_RES: Final = {
    "MD5": re.compile(r"^[a-fA-F0-9]{32}$"),
    "MD6": re.compile(r"^[a-fA-F0-9]{32}"),  # stix2-patterns' MD6 expression accepts whatever starts so
    "RIPEMD160": re.compile(r"^[a-fA-F0-9]{40}$"),
    "SHA1": re.compile(r"^[a-fA-F0-9]{40}$"),
    "SHA224": re.compile(r"^[a-fA-F0-9]{56}$"),
    "SHA256": re.compile(r"^[a-fA-F0-9]{64}$"),
    "SHA384": re.compile(r"^[a-fA-F0-9]{96}$"),
    "SHA512": re.compile(r"^[a-fA-F0-9]{128}$"),
    "SHA3224": re.compile(r"^[a-fA-F0-9]{56}$"),
    "SHA3256": re.compile(r"^[a-fA-F0-9]{64}$"),
    "SHA3384": re.compile(r"^[a-fA-F0-9]{96}$"),
    "SHA3512": re.compile(r"^[a-fA-F0-9]{128}$"),
    "SSDEEP": re.compile(r"^[a-zA-Z0-9/+:.]{1,128}$"),
    "WHIRLPOOL": re.compile(r"^[a-fA-F0-9]{128}$"),
}


class _PatternError(Exception):
    pass


def _pattern_problem(pattern: str) -> str | None:
    """Why `pattern` is not a valid STIX 2.1 pattern, or None (remembered for the patterns of usual size)."""
    return _remembered_pattern_problem(pattern) if len(pattern) <= 2048 else _parse_pattern(pattern)


def _parse_pattern(pattern: str) -> str | None:
    first = next((char for char in pattern if char != "(" and not char.isspace()), "")
    if first != "[":
        return "it must start with '[' (after any opening parentheses)"
    parser = _PatternParser(pattern)
    try:
        parser.parse()
    except _PatternError as error:
        return str(error)
    except RecursionError:
        return "it is nested too deeply"
    for type_, path, value in parser.comparisons:
        selector = path[-1]
        if "hashes" in path and isinstance(selector, str):
            expected = _HASH_VALUE_RES.get(selector.upper().replace("-", "").replace("'", ""))
            if expected and not expected.match(value.replace("'", "")):
                return f"{value} is not a valid {selector} hash"
        if type_ not in _SCO_TYPES and not (3 <= len(type_) <= 250 and _OBSERVABLE_TYPE_RE.match(type_)):
            return f"{type_!r} is not a valid observable type name"
        prop = path[0]
        if isinstance(prop, str) and not (prop == "id" and type_ in _SCO_TYPES) and not _PROPERTY_FORMAT_RE.match(prop):
            return f"{prop!r} is not a valid observable property name"
    return None


_remembered_pattern_problem: Final = lru_cache(maxsize=4096)(_parse_pattern)


class _PatternParser:
    """Recursive descent over the tokens; records (object type, path, literal text) of each comparison."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.texts: list[str] = _PATTERN_TOKEN_RE.findall(pattern)
        self.kinds = [_PATTERN_KINDS.get(text) or _token_kind(text) for text in self.texts]
        self.position = 0
        self.comparisons: list[tuple[str, list[str | int | None], str]] = []

    def peek(self) -> str:
        return self.kinds[self.position]

    def take(self, *kinds: str) -> str:
        position = self.position
        if self.kinds[position] not in kinds:
            text = self.texts[position]
            start = [match.start(1) for match in _PATTERN_TOKEN_RE.finditer(self.pattern)][position]
            found = f"{text!r}" if text else "the end"
            expected = " or ".join(dict.fromkeys(_TOKEN_NAMES.get(kind, repr(kind)) for kind in kinds))
            raise _PatternError(f"{found} at character {start} is unexpected (expected {expected})")
        self.position = position + 1
        return self.texts[position]

    def parse(self) -> None:
        self.observations()
        self.take("end")

    def observations(self) -> None:
        self.observation_or()
        while self.peek() == "FOLLOWEDBY":
            self.position += 1
            self.observation_or()

    def observation_or(self) -> None:
        self.observation_and()
        while self.peek() == "OR":
            self.position += 1
            self.observation_and()

    def observation_and(self) -> None:
        self.observation()
        while self.peek() == "AND":
            self.position += 1
            self.observation()

    def observation(self) -> None:
        simple = self.peek() == "["
        if simple:
            self.position += 1
            self.comparison_or()
            self.take("]")
        else:
            self.take("(", "[")
            self.observations()
            self.take(")")
        qualifiers: set[str] = set()
        while (qualifier := self.peek()) in ("START", "WITHIN", "REPEATS"):
            self.position += 1
            if qualifier == "START":
                self.take("timestamp")
                self.take("STOP")
                self.take("timestamp")
            elif qualifier == "WITHIN":
                self.take("int+", "float+")
                self.take("SECONDS")
            else:
                self.take("int+")
                self.take("TIMES")
            if simple and qualifier in qualifiers:  # allowed on a parenthesised group, as in stix2-patterns
                raise _PatternError(f"the qualifier {qualifier} is applied twice to the same observation")
            qualifiers.add(qualifier)

    def comparison_or(self) -> None:
        self.comparison_and()
        while self.peek() == "OR":
            self.position += 1
            self.comparison_and()

    def comparison_and(self) -> None:
        self.comparison()
        while self.peek() == "AND":
            self.position += 1
            self.comparison()

    def comparison(self) -> None:
        kind = self.peek()
        if kind == "(":
            self.position += 1
            self.comparison_or()
            self.take(")")
            return
        if kind == "EXISTS":
            self.position += 1
            self.object_path()
            return
        type_, path = self.object_path()
        if self.peek() == "NOT":
            self.position += 1
        operator = self.kinds[self.position]
        self.take("=", "!=", "<", "<=", ">", ">=", "IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET")
        if operator in ("=", "!="):
            value = self.take(*_PRIMITIVE)
        elif operator in ("<", "<=", ">", ">="):
            value = self.take(*_ORDERABLE)
        elif operator == "IN":
            self.take("(")
            items = [] if self.peek() == ")" else [self.take(*_PRIMITIVE)]
            while self.peek() == ",":
                self.position += 1
                items.append(self.take(*_PRIMITIVE))
            self.take(")")
            value = "(" + ",".join(items) + ")"
        else:
            value = self.take("string")
        self.comparisons.append((type_, path, value))

    def object_path(self) -> tuple[str, list[str | int | None]]:
        type_ = self.take("identifier", "identifier-with-hyphen")
        self.take(":")
        path: list[str | int | None] = [self.property_name()]
        while (kind := self.peek()) in (".", "["):
            self.position += 1
            if kind == ".":
                path.append(self.property_name())
            else:
                index = self.take("int+", "int-", "*")
                path.append(None if index == "*" else int(index))
                self.take("]")
        return type_, path

    def property_name(self) -> str:
        text = self.take("identifier", "string")
        if text.startswith("'"):
            return text[1:-1].replace("\\'", "'").replace("\\\\", "\\")
        return text


def _token_kind(text: str) -> str:
    first = text[0]
    if first == "'":
        return "string" if len(text) > 1 else "bad"
    if first in "+-.0123456789":
        if len(text) == 1 and not first.isdigit():
            return "bad"
        return ("float" if "." in text else "int") + ("-" if first == "-" else "+")
    if first.isalpha() or first == "_":
        if len(text) > 1 and text[1] == "'":
            return _LITERAL_KINDS[first]
        return "identifier-with-hyphen" if "-" in text else "identifier"
    return "bad"


# ---------------------------------------------------------------------------------------------------------------------
# Wording


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def _shown(value: object) -> str:
    try:
        text = repr(value) if isinstance(value, str) else json.dumps(value, default=repr)
    except (RecursionError, ValueError):
        text = _json_kind(value)
    return text if len(text) <= 80 else text[:77] + "..."
