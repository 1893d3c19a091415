"""What counts as a direct identifier: the 18 Safe Harbor classes, by column name and by value.

Two explicit tables drive the Safe Harbor check. ``COLUMN_NAME_PATTERNS`` maps the
words of a column name to the class it announces (a column named "email" holds class
(F) email addresses), and ``VALUE_DETECTORS`` finds identifiers inside cells whatever
the column is called (an email address in a free-text note). Both are deliberately
eager: dropping a harmless column costs far less than releasing a real identifier.
Each detector is exercised by an example in the tests, so the list here is exactly the
list of what the platform claims to detect in values; classes with no reliable value
pattern (biometrics, photographs) are caught mainly by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum


class IdentifierClass(Enum):
    """The 18 identifier classes of 45 CFR 164.514(b)(2)(i), lettered (A) to (R) as in the rule."""

    NAMES = ("A", "names")
    GEOGRAPHY = ("B", "geographic subdivisions smaller than a state")
    DATES = ("C", "dates (except year) and ages over 89")
    TELEPHONE = ("D", "telephone numbers")
    FAX = ("E", "fax numbers")
    EMAIL = ("F", "email addresses")
    SOCIAL_SECURITY = ("G", "social security numbers")
    MEDICAL_RECORD = ("H", "medical record numbers")
    HEALTH_PLAN = ("I", "health plan beneficiary numbers")
    ACCOUNT = ("J", "account numbers")
    CERTIFICATE = ("K", "certificate or licence numbers")
    VEHICLE = ("L", "vehicle identifiers and serial numbers, including licence plates")
    DEVICE = ("M", "device identifiers and serial numbers")
    URL = ("N", "web URLs")
    IP_ADDRESS = ("O", "IP addresses")
    BIOMETRIC = ("P", "biometric identifiers, including finger and voice prints")
    PHOTO = ("Q", "full-face photographs and comparable images")
    OTHER_CODE = ("R", "any other unique identifying number, characteristic or code")

    @property
    def letter(self) -> str:
        return self.value[0]

    @property
    def label(self) -> str:
        return self.value[1]

    def __str__(self) -> str:
        return f"({self.letter}) {self.label}"


# --- column names ------------------------------------------------------------------------


def normalise_column_name(name: object) -> str:
    """A column name as lower-case words joined by "_", so one pattern matches every spelling.

    "firstName", "First name", "NHSNumber" and "Home location - east co-ordinate-0.0"
    become "first_name", "first_name", "nhs_number" and
    "home_location_east_co_ordinate_0_0".
    """
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", str(name))
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _words(*words: str) -> re.Pattern[str]:
    return re.compile(r"(?:^|_)(?:" + "|".join(words) + r")(?:_|$)")


_C = IdentifierClass

# The explicit map from column-name words to identifier classes: (class, what matched,
# words). A word matches whole "_"-separated words of the normalised name and may be a
# regular expression ("photos?"). Entries are tried in order and the first match
# decides, so specific words (licence plate, fax, device id) precede general ones
# (licence, phone, id). Columns named for the birth date and postcode are not lost:
# the export reduces them (to age and postcode area) before this map drops the rest.
# fmt: off
_NAME_WORDS: tuple[tuple[IdentifierClass, str, str], ...] = (
    (_C.VEHICLE, "vehicle or plate",
     "vehicle vin licen[cs]e_plate number_plate registration_plate plate_number car_registration"),
    (_C.FAX, "fax", "fax facsimile"),
    (_C.TELEPHONE, "telephone", "phone telephone tel mobile cellphone cell_phone landline"),
    (_C.EMAIL, "email", "e_?mail mail email_address"),
    (_C.URL, "URL", "url uri website web_site homepage home_page web_address link"),
    (_C.IP_ADDRESS, "IP address", "ip ip_address ipv4 ipv6 ip_addr remote_addr"),
    (_C.DEVICE, "device or serial",
     "device serial imei imsi mac mac_address udi udid implant_serial implant_id"),
    (_C.BIOMETRIC, "biometric",
     "biometrics? fingerprints? finger_prints? voiceprints? voice_prints? retina retinal_scan "
     "iris_scan palm_print face_template gait"),
    (_C.PHOTO, "photograph or image",
     "photos? photograph picture image img face selfie portrait headshot mugshot avatar"),
    (_C.SOCIAL_SECURITY, "social security or national insurance",
     "ssn social_security national_insurance ni_number ni_no nino national_id"),
    (_C.HEALTH_PLAN, "health plan",
     "health_plan insurance insurer policy beneficiary medicare medicaid member_id member_number "
     "subscriber_id"),
    (_C.MEDICAL_RECORD, "medical record",
     "mrn medical_record hospital_number hospital_no hospital_id nhs chi chi_number patient_number "
     "case_number record_number"),
    (_C.ACCOUNT, "account", "account bank iban sort_code card card_number credit_card billing invoice"),
    (_C.CERTIFICATE, "certificate or licence",
     "certificate cert licen[cs]e passport registration_number gmc_number"),
    (_C.NAMES, "name",
     "names? forenames? firstname surname lastname fullname maiden initials next_of_kin nok alias "
     "nickname signature"),
    (_C.GEOGRAPHY, "geography",
     "address street road house city town village county district ward parish borough postcode "
     "post_code postal_code zip zipcode zip_code latitude longitude lat lon lng easting northing "
     "coordinates? co_ordinates? geocode geolocation location residence lsoa msoa output_area "
     "grid_ref uprn place_of_birth birthplace birth_place"),
    (_C.DATES, "date",
     "dates? dob yob birth birth_date date_of_birth birthdate birthday born_on died dod deceased "
     "admission admitted discharge discharged datetime timestamp"),
    (_C.OTHER_CODE, "identifying code",
     "id ids identifier uuid guid eid accession barcode subject_code patient_code participant_code "
     "username user_name login handle"),
)
# fmt: on

# Timestamps are often named for the event: "created_at", "recruited_on".
_DATE_SUFFIX = re.compile(r"_(?:at|on)$")

COLUMN_NAME_PATTERNS: tuple[tuple[IdentifierClass, re.Pattern[str], str], ...] = tuple(
    (
        identifier_class,
        re.compile(
            _words(*words.split()).pattern
            + (f"|{_DATE_SUFFIX.pattern}" if identifier_class is _C.DATES else "")
        ),
        what,
    )
    for identifier_class, what, words in _NAME_WORDS
)

_BIRTH_WORDS = _words("dob", "yob", "birth", "birthday", "birthdate", "born")
_AGE_WORDS = _words("age", "ages")

# Names the released table may use although a pattern above would match them: the
# postcode area (letters only, as Safe Harbor's geographic rule permits) and the year
# of an event (Safe Harbor keeps years), except a birth year, which would undo the
# ages-over-89 rule.
_YEAR_COLUMN = re.compile(r"(?:^|_)year$")
_ALLOWED_NAMES = frozenset({"postcode_area", "pseudonym"})


def is_age_column(name: object) -> bool:
    """Whether a column's name says it holds ages, which Safe Harbor caps at "90+"."""
    return bool(_AGE_WORDS.search(normalise_column_name(name)))


def is_birth_column(name: object) -> bool:
    """Whether a column's name says it holds birth dates or years, which never leave as such."""
    return bool(_BIRTH_WORDS.search(normalise_column_name(name)))


def column_identifier_class(name: object) -> tuple[IdentifierClass, str] | None:
    """The identifier class a column's name announces, with what matched, or None.

    The export drops every such column, so a name that merely looks like an identifier
    costs a column rather than risking a release.
    """
    normalised = normalise_column_name(name)
    if normalised in _ALLOWED_NAMES:
        return None
    if _YEAR_COLUMN.search(normalised) and not _BIRTH_WORDS.search(normalised):
        return None
    for identifier_class, pattern, what in COLUMN_NAME_PATTERNS:
        if pattern.search(normalised):
            return identifier_class, what
    return None


def identifier_columns(columns: Iterable[object]) -> dict[str, IdentifierClass]:
    """The columns whose names announce a Safe Harbor identifier, with the class of each."""
    found = {}
    for column in columns:
        named = column_identifier_class(column)
        if named is not None:
            found[str(column)] = named[0]
    return found


# --- cell values -------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueDetector:
    """One pattern that finds an identifier inside a cell, named for the findings it produces."""

    identifier_class: IdentifierClass
    name: str
    pattern: str


_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_D = ValueDetector

# Patterns use scoped flags ((?i:...)) so that they can be joined into one pre-filter.
# fmt: off
VALUE_DETECTORS: tuple[ValueDetector, ...] = (
    _D(_C.EMAIL, "email address",
       r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    _D(_C.URL, "URL", r"(?i:\b(?:https?|ftp)://\S+|\bwww\.[a-z0-9-]+\.[a-z]{2,})"),
    _D(_C.IP_ADDRESS, "IPv4 address",
       r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])"),
    _D(_C.IP_ADDRESS, "IPv6 address",
       r"(?<![\w:])(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}"
       r"|(?:[0-9A-Fa-f]{1,4}:){1,6}(?::[0-9A-Fa-f]{1,4}){1,6})(?![\w:])"),
    _D(_C.DEVICE, "MAC address", r"(?<![\w:-])(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}(?![\w:-])"),
    _D(_C.DEVICE, "labelled serial number",
       r"(?i:\b(?:serial|s/n|imei|udi|device\s*id)\s*(?:no|number|#)?\.?[\s:#-]*[a-z0-9-]{5,})"),
    _D(_C.GEOGRAPHY, "full UK postcode", r"(?i:\b(?:[a-z]{1,2}\d[a-z\d]?\s*\d[a-z]{2}|gir\s*0aa)\b)"),
    _D(_C.GEOGRAPHY, "ZIP+4 code", r"\b\d{5}-\d{4}\b"),
    _D(_C.DATES, "full date", r"\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b|\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b"),
    _D(_C.DATES, "full date with month name",
       rf"(?i:\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{2,4}}\b"
       rf"|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b)"),
    _D(_C.FAX, "labelled fax number", r"(?i:\bfax\b[\s.:#-]*\+?\(?\d)"),
    _D(_C.TELEPHONE, "UK telephone number",
       r"(?:(?<![\w+])\+44[\s-]?(?:\(0\)[\s-]?)?|(?<![\w.+])0)\d(?:[\s-]?\d){8,9}(?![\w.])"),
    _D(_C.TELEPHONE, "international telephone number",
       r"(?<![\w+])\+[1-9]\d{0,2}[\s-]?\(?\d{1,4}\)?(?:[\s-]?\d){5,12}(?![\w.])"),
    _D(_C.TELEPHONE, "North American telephone number",
       r"(?<![\w.])\(\d{3}\)\s?\d{3}[\s.-]\d{4}(?![\w.])|(?<![\w.])\d{3}[.-]\d{3}[.-]\d{4}(?![\w.])"),
    _D(_C.SOCIAL_SECURITY, "US social security number", r"\b\d{3}-\d{2}-\d{4}\b"),
    _D(_C.SOCIAL_SECURITY, "UK National Insurance number",
       r"(?i:\b[a-ceghj-pr-tw-z][a-ceghj-npr-tw-z]\s?\d{2}\s?\d{2}\s?\d{2}\s?[a-d]\b)"),
    _D(_C.MEDICAL_RECORD, "NHS or CHI number", r"(?<![\w.])\d{3}[\s-]?\d{3}[\s-]?\d{4}(?![\w.])"),
    _D(_C.MEDICAL_RECORD, "medical record number", r"(?i:\bmrn[\s:#-]*[a-z0-9-]{4,})|\b[A-Z]{1,4}\d{6,}\b"),
    _D(_C.HEALTH_PLAN, "labelled health plan number",
       r"(?i:\b(?:policy|member|beneficiary|insurance|health\s*plan)\s*(?:no|number|id|#)\.?[\s:#-]*"
       r"[a-z0-9-]{4,})"),
    _D(_C.ACCOUNT, "payment card number",
       r"(?<![\w.])(?:\d{4}[\s-]){3}\d{1,7}(?![\w.])|(?<![\w.])\d{13,19}(?![\w.])"),
    _D(_C.ACCOUNT, "IBAN", r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b"),
    _D(_C.ACCOUNT, "labelled account number", r"(?i:\baccount\s*(?:no|number|#)\.?[\s:#-]*\d{6,})"),
    _D(_C.CERTIFICATE, "UK driving licence number", r"\b[A-Z9]{5}\d{6}[A-Z9]{2}\d[A-Z]{2}\b"),
    _D(_C.CERTIFICATE, "labelled passport, licence or certificate number",
       r"(?i:\b(?:passport|licen[cs]e|certificate)\s*(?:no|number|#)?\.?[\s:#-]*[a-z0-9]{6,})"),
    _D(_C.VEHICLE, "UK number plate", r"\b[A-Z]{2}\d{2}\s?[A-Z]{3}\b"),
    _D(_C.VEHICLE, "vehicle identification number",
       r"\b(?=[A-HJ-NPR-Z0-9]*\d)(?=[A-HJ-NPR-Z0-9]*[A-HJ-NPR-Z])[A-HJ-NPR-Z0-9]{17}\b"),
    _D(_C.BIOMETRIC, "labelled biometric template",
       r"(?i:\b(?:finger\s*print|voice\s*print|face\s*print|iris|retina|palm\s*print)"
       r"[\s_-]*(?:template|minutiae|hash|scan|sample)\b)"),
    _D(_C.PHOTO, "embedded image", r"(?i:data:image/)|^(?:/9j/|iVBORw0KGgo)"),
    _D(_C.NAMES, "titled name",
       r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame)\.?\s+[A-Z][a-z]+(?:[\s-][A-Z][a-z]+)*"),
    _D(_C.OTHER_CODE, "platform subject code", r"\bHX-[0-9A-HJKMNP-TV-Z]{10}\b"),
    _D(_C.OTHER_CODE, "long number", r"(?<![\w.])\d{9,}(?![\w.])"),
)
# fmt: on
