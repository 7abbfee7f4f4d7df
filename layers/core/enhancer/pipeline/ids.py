"""Document identity and profile choice: both derived from the object, so a duplicate event maps to the
same document and the same work."""

import hashlib
import re
from urllib.parse import unquote_plus

from enhancer.config import ExtractionProfilesConfig
from enhancer.models.bounded import PROFILE_MAX_CHARS
from enhancer.resources import INCOMING_PREFIX

_API_KEY = re.compile(rf"^{re.escape(INCOMING_PREFIX)}(?P<id>[0-9a-f]{{32}})/[^/]+$")


def document_id_for(bucket: str, key: str, etag: str) -> str:
    """The id in an API upload's key (``incoming/{document_id}/{filename}``), else
    ``sha256(bucket + "/" + key + ":" + etag)``, hex, first 32 characters."""
    if match := _API_KEY.match(key):
        return match.group("id")
    digest = hashlib.sha256(f"{bucket}/{key}:{etag.strip(chr(34))}".encode())
    return digest.hexdigest()[:32]


def decode_key(raw_key: str) -> str:
    """S3 event keys are URL-encoded with ``+`` for spaces."""
    return unquote_plus(raw_key)


def resolve_profile(metadata_profile: str | None, key: str, profiles: ExtractionProfilesConfig) -> str:
    """The profile an object asks for, which may be one that does not exist: extraction then fails the
    document ``UNKNOWN_PROFILE`` (``ExtractionProfilesConfig.require``) instead of quietly using the default.

    What counts as a profile reference:

    - ``x-amz-meta-profile``, when set and not blank, always (an unknown name is kept, cut to 64 characters);
    - else the first path segment under ``incoming/`` (``incoming/<segment>/…``) when it names a profile, or
      spells one up to case and ``-``/``_``/space (``Technical-Book``: a mistyped profile, so it fails);
      any other first segment is an ordinary folder (``incoming/2024/…``, the API's ``incoming/{id}/…``);
    - else the configured default profile.
    """
    if metadata_profile and metadata_profile.strip():
        return metadata_profile.strip()[:PROFILE_MAX_CHARS]
    if key.startswith(INCOMING_PREFIX):
        segments = key[len(INCOMING_PREFIX) :].split("/")
        if len(segments) > 1 and (segments[0] in profiles.profiles or profiles.spelled_like(segments[0])):
            return segments[0][:PROFILE_MAX_CHARS]
    return profiles.default_profile
