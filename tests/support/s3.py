"""A real S3-compatible HTTP server for tests: moto's server mode on 127.0.0.1, on a free port.

It checks signatures like AWS does: once the bucket and an IAM user with its access key exist, every
request must be signed with that key (moto's `reset-auth`), so a store that sends no credentials or
the wrong ones is refused. moto keeps its state per Python process, so one server runs at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3  # type: ignore[import-untyped]
import httpx

REGION = "us-east-1"
ADMIN_KEY = "moto-admin"
"""moto accepts any key until auth is switched on; the bucket and the IAM user are made with this one."""
EVERYTHING_ON_S3 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    access_key_id: str
    secret_access_key: str

    def client(self) -> Any:
        return _client("s3", self.endpoint, self.access_key_id, self.secret_access_key)

    def keys(self, bucket: str, prefix: str = "") -> set[str]:
        """Every object key in `bucket` that starts with `prefix`."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return {item["Key"] for page in pages for item in page.get("Contents", [])}

    def read(self, bucket: str, key: str) -> tuple[bytes, str]:
        """The object's bytes and its stored Content-Type."""
        found = self.client().get_object(Bucket=bucket, Key=key)
        return found["Body"].read(), found["ContentType"]


def _client(service: str, endpoint: str, key: str, secret: str) -> Any:
    return boto3.client(
        service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id=key, aws_secret_access_key=secret
    )


def _set_auth(endpoint: str, unchecked_requests: str) -> None:
    """How many more requests moto serves without checking their signature (`inf`: all of them)."""
    httpx.post(f"{endpoint}/moto-api/reset-auth", content=unchecked_requests.encode(), timeout=10).raise_for_status()


@contextmanager
def s3_server(*buckets: str) -> Iterator[S3Server]:
    """A running server holding `buckets`, and the one access key it accepts (allowed everything on S3)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        iam = _client("iam", endpoint, ADMIN_KEY, ADMIN_KEY)
        iam.create_user(UserName="folio")
        iam.put_user_policy(UserName="folio", PolicyName="s3", PolicyDocument=json.dumps(EVERYTHING_ON_S3))
        key = iam.create_access_key(UserName="folio")["AccessKey"]
        admin = _client("s3", endpoint, ADMIN_KEY, ADMIN_KEY)
        for bucket in buckets:
            admin.create_bucket(Bucket=bucket)
        _set_auth(endpoint, "0")
        yield S3Server(endpoint, key["AccessKeyId"], key["SecretAccessKey"])
    finally:
        _set_auth(endpoint, "inf")
        httpx.post(f"{endpoint}/moto-api/reset", timeout=10)
        server.stop()
