"""Where media bytes live: S3 (boto3; CloudFront for downloads when configured) or the local filesystem.

Config (section ``MEDIA`` of config.yaml): ``STORAGE`` ``local`` | ``s3``; ``LOCAL_DIRECTORY``;
``PUBLIC_BASE_URL`` (prefix of the gateway links of local mode; empty gives paths); ``URL_SIGNING_SECRET``
(local mode's link key; empty: one is made once and kept in the training database); ``MAX_BYTES``;
``URL_TTL_SECONDS`` and ``UPLOAD_TTL_SECONDS``; ``S3_BUCKET``, ``S3_REGION``, ``S3_ENDPOINT_URL``;
``CLOUDFRONT_DOMAIN``, ``CLOUDFRONT_KEY_ID``, ``CLOUDFRONT_PRIVATE_KEY_PATH``. AWS credentials come from
boto3's usual chain (environment, profile, instance role).

Both backends answer the same questions: an upload target for a pending item, what is stored under a key
(size, content type), a time-limited download URL, and deletion. The local backend also reads and writes
bytes, for the gateway's own upload and download routes.
"""

import os
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from nameko.extensions import DependencyProvider

from common.clock import isoformat
from common.config import ROOT
from common.exceptions import NotFound
from training import media
from training.keys import stored_secret

LOCAL = "local"
S3 = "s3"
# SigV4 presigned URLs live at most 7 days.
MAX_TTL_SECONDS = 7 * 24 * 3600


def _text(value):
    return "" if value is None else str(value).strip()


@dataclass(frozen=True)
class MediaPolicy:
    max_bytes: int = 50 * 1024 * 1024
    url_ttl: int = 3600
    upload_ttl: int = 900

    @classmethod
    def from_config(cls, settings):
        policy = cls(
            max_bytes=int(settings.get("MAX_BYTES") or cls.max_bytes),
            url_ttl=int(settings.get("URL_TTL_SECONDS") or cls.url_ttl),
            upload_ttl=int(settings.get("UPLOAD_TTL_SECONDS") or cls.upload_ttl),
        )
        for name in ("url_ttl", "upload_ttl"):
            if not 1 <= getattr(policy, name) <= MAX_TTL_SECONDS:
                raise ValueError(f"MEDIA {name} must be between 1 and {MAX_TTL_SECONDS} seconds")
        if policy.max_bytes < 1:
            raise ValueError("MEDIA MAX_BYTES must be positive")
        return policy


def _expires_at(expires):
    return isoformat(datetime.fromtimestamp(expires, UTC))


class LocalBackend:
    """Files under a directory; links point at the gateway and carry an expiring HMAC token."""

    kind = LOCAL

    def __init__(self, root, policy, secret, base_url="", clock=time.time):
        self.root = Path(root).resolve()
        self.policy = policy
        self._secret = secret  # bytes, or a callable giving them (resolved on first use)
        self.base_url = _text(base_url).rstrip("/")
        self.clock = clock
        self._lock = threading.Lock()

    @property
    def secret(self):
        if callable(self._secret):
            with self._lock:
                if callable(self._secret):
                    self._secret = self._secret()
        return self._secret

    def _path(self, key):
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise NotFound("No such media")  # a key never leaves the media directory
        return path

    def _link(self, doc, suffix, purpose, ttl):
        expires = media.expiry_of(self.clock(), ttl)
        token = media.sign_token(self.secret, purpose, doc["_id"], expires)
        return f"{self.base_url}/training/media/{doc['_id']}/{suffix}?token={token}", expires

    def upload_target(self, doc):
        url, expires = self._link(doc, "content", media.UPLOAD_PURPOSE, self.policy.upload_ttl)
        return {
            "method": "PUT",
            "url": url,
            "fields": {},
            "headers": {"Content-Type": doc["content_type"]},
            "max_bytes": doc["size"],
            "expires_at": _expires_at(expires),
        }

    def download_url(self, doc):
        url, expires = self._link(doc, "content", media.DOWNLOAD_PURPOSE, self.policy.url_ttl)
        return {"url": url, "expires_at": _expires_at(expires)}

    def check_token(self, purpose, media_id, token):
        return media.verify_token(self.secret, purpose, media_id, token, self.clock())

    def write(self, key, data):
        """Write all of ``data`` or nothing: a temporary file in the same directory, renamed into place."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def read(self, key):
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise NotFound("The media file is missing") from None

    def stat(self, key):
        try:
            return {"size": self._path(key).stat().st_size, "content_type": None}
        except FileNotFoundError:
            return None

    def delete(self, key):
        path = self._path(key)
        path.unlink(missing_ok=True)
        for parent in (path.parent, path.parent.parent):
            try:
                parent.rmdir()  # only empty directories go
            except OSError:
                break


def cloudfront_signer(key_id, private_key_pem):
    """A ``botocore`` CloudFront signer: RSA-SHA1 PKCS#1 v1.5, as CloudFront requires."""
    from botocore.signers import CloudFrontSigner
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    private_key = serialization.load_pem_private_key(private_key_pem, password=None)

    def rsa_signer(message):
        return private_key.sign(message, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303 (CloudFront's algorithm)

    return CloudFrontSigner(key_id, rsa_signer)


class S3Backend:
    """A bucket: presigned POST for uploads, presigned GET (or CloudFront signed URLs) for downloads."""

    kind = S3

    def __init__(self, client, bucket, policy, cloudfront_domain="", cloudfront=None, clock=time.time):
        self.client = client
        self.bucket = bucket
        self.policy = policy
        self.cloudfront_domain = _text(cloudfront_domain).rstrip("/")
        self.cloudfront = cloudfront
        self.clock = clock

    def upload_target(self, doc):
        """A presigned POST whose policy binds the key, the content type and the exact declared size."""
        ttl = self.policy.upload_ttl
        expires = media.expiry_of(self.clock(), ttl)
        content_type = doc["content_type"]
        post = self.client.generate_presigned_post(
            Bucket=self.bucket,
            Key=doc["storage_key"],
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", doc["size"], doc["size"]]],
            ExpiresIn=ttl,
        )
        return {
            "method": "POST",
            "url": post["url"],
            "fields": post["fields"],
            "headers": {},
            "max_bytes": doc["size"],
            "expires_at": _expires_at(expires),
        }

    def download_url(self, doc):
        ttl = self.policy.url_ttl
        expires = media.expiry_of(self.clock(), ttl)
        if self.cloudfront is not None:
            resource = f"https://{self.cloudfront_domain}/{quote(doc['storage_key'])}"
            url = self.cloudfront.generate_presigned_url(resource, date_less_than=datetime.fromtimestamp(expires, UTC))
        else:
            url = self.client.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": doc["storage_key"],
                    "ResponseContentType": doc["content_type"],
                    "ResponseContentDisposition": f'inline; filename="{doc["filename"]}"',
                },
                ExpiresIn=ttl,
            )
        return {"url": url, "expires_at": _expires_at(expires)}

    def stat(self, key):
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return {"size": head["ContentLength"], "content_type": head.get("ContentType")}

    def delete(self, key):
        self.client.delete_object(Bucket=self.bucket, Key=key)


def s3_client(settings):
    import boto3
    from botocore.config import Config

    endpoint_url = _text(settings.get("S3_ENDPOINT_URL")) or None
    # A custom endpoint (MinIO, a test server) rarely resolves bucket subdomains: address by path there.
    addressing = {"addressing_style": "path"} if endpoint_url else {}
    return boto3.client(
        "s3",
        region_name=_text(settings.get("S3_REGION")) or "us-east-1",
        endpoint_url=endpoint_url,
        config=Config(signature_version="s3v4", s3=addressing),
    )


def build_backend(settings, database):
    policy = MediaPolicy.from_config(settings)
    kind = _text(settings.get("STORAGE")).lower() or LOCAL
    if kind == S3:
        bucket = _text(settings.get("S3_BUCKET"))
        if not bucket:
            raise ValueError("MEDIA S3_BUCKET is required when STORAGE is s3")
        cloudfront = None
        domain = _text(settings.get("CLOUDFRONT_DOMAIN"))
        if domain:
            key_id = _text(settings.get("CLOUDFRONT_KEY_ID"))
            key_path = _text(settings.get("CLOUDFRONT_PRIVATE_KEY_PATH"))
            if not key_id or not key_path:
                raise ValueError("MEDIA CLOUDFRONT_KEY_ID and CLOUDFRONT_PRIVATE_KEY_PATH go with CLOUDFRONT_DOMAIN")
            cloudfront = cloudfront_signer(key_id, Path(key_path).read_bytes())
        return S3Backend(s3_client(settings), bucket, policy, cloudfront_domain=domain, cloudfront=cloudfront)
    if kind != LOCAL:
        raise ValueError(f"MEDIA STORAGE must be {LOCAL} or {S3}, not {kind!r}")
    directory = Path(_text(settings.get("LOCAL_DIRECTORY")) or "var/media")
    if not directory.is_absolute():
        directory = ROOT / directory
    configured = _text(settings.get("URL_SIGNING_SECRET"))
    secret = configured.encode() if configured else (lambda: stored_secret(database))
    return LocalBackend(directory, policy, secret, base_url=settings.get("PUBLIC_BASE_URL"))


class MediaStorage(DependencyProvider):
    """The configured backend; it also creates the ``media`` collection's indexes at start."""

    def setup(self):
        from common.mongo import database_for

        self.database = database_for(self.container)
        self.backend = build_backend(self.container.config.get("MEDIA") or {}, self.database)

    def start(self):
        media.ensure_indexes(self.database)

    def get_dependency(self, worker_ctx):
        return self.backend
