"""Language tags for routing: BCP 47 and POSIX spellings made comparable, without babel (the core may not use it).

:mod:`ticketcore._codec.routing` adds babel's check that a configured language exists, at load time.
"""

from __future__ import annotations

import re

from ticketcore.errors import ConfigError

__all__ = ["normalize_language", "primary_language", "region_of"]

_SUBTAG = re.compile(r"[A-Za-z0-9]{1,8}")


def normalize_language(tag: str) -> str:
    """A BCP 47 / POSIX language tag in canonical case: ``'it_ch'`` → ``'it-CH'``, ``'zh_hant_tw'`` → ``'zh-Hant-TW'``.

    ``-`` and ``_`` are equivalent; a POSIX encoding or modifier (``'de_DE.UTF-8'``, ``'it_IT@euro'``) is dropped.
    The language subtag is lower-cased, a script title-cased, a region upper-cased; variants are kept in lower case.
    This checks the tag's shape only; :mod:`ticketcore.codec` also checks, with babel, that the language is a known one.
    Raises :class:`ConfigError` for anything that is not a language tag.

    >>> normalize_language("it_CH"), normalize_language("EN-gb"), normalize_language("sr_latn")
    ('it-CH', 'en-GB', 'sr-Latn')
    """
    if not isinstance(tag, str):
        raise ConfigError(
            f"expected a language tag string such as 'it' or 'it-CH', got {type(tag).__name__} {tag!r}"
        )
    body = re.split(r"[.@]", tag.strip(), maxsplit=1)[0]
    parts = re.split(r"[-_]", body)
    language = parts[0]
    if not (
        language.isascii() and language.isalpha() and (2 <= len(language) <= 3 or 5 <= len(language) <= 8)
    ):
        raise ConfigError(
            f"{tag!r} is not a language tag; write a BCP 47 or POSIX tag such as 'it', 'it-IT' or 'it_CH'"
        )
    out = [language.lower()]
    rest = parts[1:]
    if rest and len(rest[0]) == 4 and rest[0].isascii() and rest[0].isalpha():
        out.append(rest.pop(0).title())
    if rest and ((len(rest[0]) == 2 and rest[0].isalpha()) or (len(rest[0]) == 3 and rest[0].isdigit())):
        out.append(rest.pop(0).upper())
    for variant in rest:
        if not (variant.isascii() and _SUBTAG.fullmatch(variant) and len(variant) >= 4):
            raise ConfigError(
                f"{tag!r} is not a language tag: subtag {variant!r} is neither a script (4 letters), a region "
                "(2 letters or 3 digits) nor a variant; write e.g. 'it', 'it-CH' or 'zh-Hant-TW'"
            )
        out.append(variant.lower())
    return "-".join(out)


def primary_language(tag: str) -> str:
    """The language subtag of a tag, lower-cased (``'it_CH'`` → ``'it'``); never raises."""
    return re.split(r"[-_.@]", tag.strip(), maxsplit=1)[0].lower()


def region_of(tag: str) -> str | None:
    """The region subtag of a normalised tag (``'it-CH'`` → ``'CH'``), or ``None``."""
    for part in tag.split("-")[1:]:
        if part.isupper() or part.isdigit():
            return part
    return None
